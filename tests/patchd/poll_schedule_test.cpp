#include "patchd/poll_schedule.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace lp::patchd {
namespace {

TEST(PollScheduleTest, BackoffDoublesFromFiveSecondsUpToTheCap) {
  PollSchedule s(60, [] { return 0.999999; });  // top of every jitter range
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 6; ++i) delays.push_back(s.AfterFailure() / 1000);
  EXPECT_EQ(delays, (std::vector<std::int64_t>{4, 9, 19, 39, 59, 59}));
  EXPECT_EQ(s.consecutive_failures(), 6);
}

TEST(PollScheduleTest, BackoffJitterStaysInHalfToFullStep) {
  PollSchedule low(3600, [] { return 0.0; });
  EXPECT_EQ(low.AfterFailure(), 2500);
  EXPECT_EQ(low.AfterFailure(), 5000);
  EXPECT_EQ(low.AfterFailure(), 10000);
}

TEST(PollScheduleTest, SuccessResetsBackoffAndJittersTheInterval) {
  double u = 0.0;
  PollSchedule s(3600, [&] { return u; });
  s.AfterFailure();
  s.AfterFailure();
  EXPECT_EQ(s.AfterSuccess(300), 270000);  // -10%
  EXPECT_EQ(s.consecutive_failures(), 0);
  u = 0.5;
  EXPECT_EQ(s.AfterSuccess(300), 300000);
  EXPECT_EQ(s.AfterFailure(), 3750);  // back to the first step
}

TEST(PollScheduleTest, SystemRandomIsInUnitInterval) {
  auto r = SystemRandom();
  for (int i = 0; i < 100; ++i) {
    double v = r();
    EXPECT_GE(v, 0.0);
    EXPECT_LT(v, 1.0);
  }
}


// Issue 10: a portal answer or a config may carry any interval; the
// arithmetic must neither overflow nor produce a zero or negative delay.
TEST(PollScheduleTest, HugeIntervalsAndBackoffCapsDoNotOverflow) {
  constexpr std::int64_t kWeekMs = 7ll * 24 * 3600 * 1000;
  PollSchedule s(std::numeric_limits<std::int64_t>::max(), [] { return 0.999999; },
                 std::numeric_limits<std::int64_t>::max());
  for (int i = 0; i < 70; ++i) {
    std::int64_t d = s.AfterFailure();
    EXPECT_GT(d, 0);
    EXPECT_LE(d, kWeekMs);
  }
  std::int64_t d = s.AfterSuccess(std::numeric_limits<std::int64_t>::max());
  EXPECT_GT(d, 0);
  EXPECT_LE(d, kWeekMs + kWeekMs / 10);
  PollSchedule zero(0, [] { return 0.5; });
  EXPECT_GT(zero.AfterFailure(), 0);  // backoff_max = 0 must not poll in a tight loop
}

}  // namespace
}  // namespace lp::patchd
