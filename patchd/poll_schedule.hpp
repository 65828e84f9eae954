// When to check in next: the portal's interval with +-10% jitter after a
// success (so a fleet rebooted together does not poll in lockstep), and
// exponential backoff with jitter after failures, capped. Every delay (an
// interval, a backoff cap) is clamped into [1 s, kMaxDelayS] first, so no
// value from the config or a portal answer can overflow the arithmetic.
#pragma once

#include <cstdint>
#include <functional>

namespace lp::patchd {

inline constexpr std::int64_t kMaxDelayS = 7 * 24 * 3600;

class PollSchedule {
 public:
  // uniform01 returns values in [0, 1); injected so tests are deterministic.
  PollSchedule(std::int64_t max_backoff_s, std::function<double()> uniform01,
               std::int64_t first_backoff_s = 5);

  // Delay in ms before the next check-in after a successful one.
  std::int64_t AfterSuccess(std::int64_t interval_s);
  // Delay in ms after a failed one: first*2^(n-1), capped, times [0.5, 1).
  std::int64_t AfterFailure();
  int consecutive_failures() const { return failures_; }

 private:
  std::int64_t max_backoff_ms_;
  std::int64_t first_backoff_ms_;
  std::function<double()> uniform01_;
  int failures_ = 0;
};

// A uniform01 source seeded from the OS (std::random_device).
std::function<double()> SystemRandom();

}  // namespace lp::patchd
