#include "eportal/long_poll_hub.hpp"

#include <vector>

namespace lp::eportal {

std::uint64_t LongPollHub::Add(Wake wake) {
  std::lock_guard lock(mu_);
  std::uint64_t id = next_id_++;
  waiters_.emplace(id, std::move(wake));
  return id;
}

void LongPollHub::Remove(std::uint64_t id) {
  std::lock_guard lock(mu_);
  waiters_.erase(id);
}

void LongPollHub::WakeAll() {
  std::vector<Wake> wakes;
  {
    std::lock_guard lock(mu_);
    wakes.reserve(waiters_.size());
    for (const auto& [id, wake] : waiters_) wakes.push_back(wake);
  }
  for (const Wake& wake : wakes) wake();
}

std::size_t LongPollHub::size() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

}  // namespace lp::eportal
