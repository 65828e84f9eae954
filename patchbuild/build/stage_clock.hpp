// Measures named stages of a build for the human summary and the bench.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace lp::patchbuild::tree {

// Named stage durations in seconds, in the order they ran.
using StageTimes = std::vector<std::pair<std::string, double>>;

class StageClock {
 public:
  explicit StageClock(StageTimes& times) : times_(times) {}
  // Records the time since the previous Lap (or construction) under `name`.
  void Lap(const std::string& name) {
    auto now = std::chrono::steady_clock::now();
    times_.emplace_back(name, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }

 private:
  StageTimes& times_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace lp::patchbuild::tree
