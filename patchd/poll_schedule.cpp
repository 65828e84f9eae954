#include "patchd/poll_schedule.hpp"

#include <algorithm>
#include <memory>
#include <random>

namespace lp::patchd {

std::int64_t PollSchedule::AfterSuccess(std::int64_t interval_s) {
  failures_ = 0;
  double factor = 0.9 + 0.2 * uniform01_();
  return static_cast<std::int64_t>(static_cast<double>(std::max<std::int64_t>(interval_s, 1) * 1000) * factor);
}

std::int64_t PollSchedule::AfterFailure() {
  ++failures_;
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
