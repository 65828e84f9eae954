// Parked long-poll check-ins (docs/api.md "wait"). A session whose answer is
// unchanged registers a wake-up callback here and waits on its own timer;
// any catalogue change (import, release, revert) calls WakeAll, and each
// parked session re-evaluates its answer on its own I/O thread. So a release
// reaches online devices within milliseconds while idle devices cost one
// timer each. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace lp::eportal {

class LongPollHub {
 public:
  using Wake = std::function<void()>;

  std::uint64_t Add(Wake wake);
  void Remove(std::uint64_t id);
  // Calls every registered callback (outside the lock); callbacks only post
  // work to their session's executor, so this is quick even for 10k waiters.
  void WakeAll();
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Wake> waiters_;
};

}  // namespace lp::eportal
