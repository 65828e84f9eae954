// Counters for /metrics (Prometheus text exposition format 0.0.4).
// Thread-safe; counting takes one short mutex hold per request.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace lp::eportal {

struct Gauges {
  std::size_t devices = 0;
  std::size_t patches = 0;
  std::size_t long_polls = 0;
};

class Metrics {
 public:
  void CountRequest(const std::string& route, int status);
  void CountCheckin(bool not_modified);
  std::string Render(const Gauges& gauges) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::atomic<std::uint64_t> checkins_{0};
  std::atomic<std::uint64_t> checkins_not_modified_{0};
};

}  // namespace lp::eportal
