#include "patchd/poll_schedule.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <random>

namespace lp::patchd {
namespace {

// Seconds to milliseconds, clamped first: at most kMaxDelayS * 1000, which
// leaves room for the doubling and the jitter factor below.
std::int64_t ClampedMs(std::int64_t seconds) { return std::clamp<std::int64_t>(seconds, 1, kMaxDelayS) * 1000; }

}  // namespace

PollSchedule::PollSchedule(std::int64_t max_backoff_s, std::function<double()> uniform01,
                           std::int64_t first_backoff_s)
    : max_backoff_ms_(ClampedMs(max_backoff_s)), first_backoff_ms_(ClampedMs(first_backoff_s)),
      uniform01_(std::move(uniform01)) {}

std::int64_t PollSchedule::AfterSuccess(std::int64_t interval_s) {
  failures_ = 0;
  double factor = 0.9 + 0.2 * uniform01_();
  return static_cast<std::int64_t>(static_cast<double>(ClampedMs(interval_s)) * factor);
}

std::int64_t PollSchedule::AfterFailure() {
  if (failures_ < std::numeric_limits<int>::max()) ++failures_;
  std::int64_t base = first_backoff_ms_;
  for (int i = 1; i < failures_ && base < max_backoff_ms_; ++i) base *= 2;
  base = std::min(base, max_backoff_ms_);
  // Half to full of the step: spreads a fleet that lost its portal together.
  return static_cast<std::int64_t>(static_cast<double>(base) * (0.5 + 0.5 * uniform01_()));
}

std::function<double()> SystemRandom() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace lp::patchd
