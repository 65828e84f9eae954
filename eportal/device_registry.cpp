#include "eportal/device_registry.hpp"

#include <mutex>

namespace lp::eportal {

void DeviceRegistry::Put(const DeviceRecord& device) {
  std::unique_lock lock(mu_);
  by_id_[device.id] = device;
  id_by_credential_[device.credential_sha256] = device.id;
}

std::optional<DeviceRecord> DeviceRegistry::FindByCredential(const std::string& credential_sha256) const {
  std::shared_lock lock(mu_);
  auto it = id_by_credential_.find(credential_sha256);
  if (it == id_by_credential_.end()) return std::nullopt;
  return by_id_.at(it->second);
}

std::optional<DeviceRecord> DeviceRegistry::Find(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::vector<DeviceRecord> DeviceRegistry::All() const {
  std::shared_lock lock(mu_);
  std::vector<DeviceRecord> out;
  out.reserve(by_id_.size());
  for (const auto& [id, d] : by_id_) out.push_back(d);
  return out;
}

std::size_t DeviceRegistry::size() const {
  std::shared_lock lock(mu_);
  return by_id_.size();
}

void DeviceRegistry::Touch(const std::string& id, std::int64_t now) {
  std::unique_lock lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.last_checkin >= now) return;
  it->second.last_checkin = now;
  dirty_[id] = now;
}

std::vector<std::pair<std::string, std::int64_t>> DeviceRegistry::TakeDirtyLastSeen() {
  std::unique_lock lock(mu_);
  std::vector<std::pair<std::string, std::int64_t>> out(dirty_.begin(), dirty_.end());
  dirty_.clear();
  return out;
}

}  // namespace lp::eportal
