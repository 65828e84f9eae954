// Enrolled devices, held in memory (a small fleet's worth: ~1 KB each) so a
// check-in authenticates and compares state without a database read.
// Last-seen times of unchanged check-ins only mark the device dirty; the
// server flushes them in one batched transaction every few seconds
// (TakeDirtyLastSeen), so an idle fleet costs no disk writes per request.
// A crash loses at most that window of last-seen times, nothing else.
// Thread-safe.
#pragma once

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "eportal/records.hpp"

namespace lp::eportal {

class DeviceRegistry {
 public:
  void Put(const DeviceRecord& device);
  std::optional<DeviceRecord> FindByCredential(const std::string& credential_sha256) const;
  std::optional<DeviceRecord> Find(const std::string& id) const;
  std::vector<DeviceRecord> All() const;
  std::size_t size() const;

  // Records an unchanged check-in: memory only, flushed later.
  void Touch(const std::string& id, std::int64_t now);
  std::vector<std::pair<std::string, std::int64_t>> TakeDirtyLastSeen();

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, DeviceRecord> by_id_;
  std::unordered_map<std::string, std::string> id_by_credential_;
  std::map<std::string, std::int64_t> dirty_;
};

}  // namespace lp::eportal
