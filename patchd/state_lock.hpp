// One writer at a time on <state_dir>: patchd (per cycle) and patchctl
// (apply/revert/check) take an exclusive flock on <state_dir>/lock. The lock
// dies with the process, so a kill -9 never leaves it stuck.
#pragma once

#include <filesystem>

#include "common/error.hpp"
#include "common/raii.hpp"
#include "patchd/clock.hpp"

namespace lp::patchd {

class StateLock {
 public:
  // Waits up to timeout_ms (polling every 100 ms on clock) for the lock.
  static Expected<StateLock> Acquire(const std::filesystem::path& state_dir, Clock& clock,
                                     std::int64_t timeout_ms);

 private:
  explicit StateLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // closing it releases the lock
};

}  // namespace lp::patchd
