// Time behind an interface so every wait in patchd is bounded and testable:
// tests use FakeClock, whose Sleep advances time instantly.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <thread>

namespace lp::patchd {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic milliseconds (deadlines, timings).
  virtual std::int64_t NowMs() = 0;
  // Wall-clock seconds since the epoch (expiry checks, timestamps).
  virtual std::time_t WallNow() = 0;
  virtual void SleepMs(std::int64_t ms) = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t NowMs() override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }
  std::time_t WallNow() override { return std::time(nullptr); }
  void SleepMs(std::int64_t ms) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
};

// Deterministic time for tests and the fleet simulator. Not thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::time_t wall = 1795428000) : wall_(wall) {}  // 2026-11-23T10:00:00Z
  std::int64_t NowMs() override { return now_ms_; }
  std::time_t WallNow() override { return wall_ + static_cast<std::time_t>(now_ms_ / 1000); }
  void SleepMs(std::int64_t ms) override {
    now_ms_ += ms;
    total_slept_ms_ += ms;
  }
  void Advance(std::int64_t ms) { now_ms_ += ms; }
  std::int64_t total_slept_ms() const { return total_slept_ms_; }

 private:
  std::time_t wall_;
  std::int64_t now_ms_ = 0;
  std::int64_t total_slept_ms_ = 0;
};

}  // namespace lp::patchd
