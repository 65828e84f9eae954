// The portal's persistent state behind one small interface, so that a
// PostgreSQL back-end can sit beside SQLite later (DESIGN.md "Scale").
// Implementations are thread-safe: every method may be called from any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "eportal/records.hpp"

namespace lp::eportal {

struct AuditCheck {
  bool ok = true;
  std::int64_t entries = 0;
  std::string problem;  // first inconsistency found, empty when ok
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs fn inside one transaction: all its writes land or none do. fn may
  // call the other methods (on the same thread); nesting is not supported.
  virtual Status Atomically(const std::function<Status()>& fn) = 0;

  virtual Status EnsureGroup(const std::string& name, std::int64_t now) = 0;
  virtual Expected<std::vector<std::string>> ListGroups() = 0;

  virtual Status InsertDevice(const DeviceRecord& device) = 0;
  // Identity, applied state, last error and last check-in of one device.
  virtual Status UpdateDeviceState(const DeviceRecord& device) = 0;
  // Batched last-seen updates: (device id, time) pairs in one transaction.
  virtual Status UpdateLastSeen(const std::vector<std::pair<std::string, std::int64_t>>& seen) = 0;
  virtual Expected<std::vector<DeviceRecord>> ListDevices() = 0;

  virtual Status InsertEnrollToken(const EnrollTokenRecord& token) = 0;
  virtual Expected<std::optional<EnrollTokenRecord>> FindEnrollToken(const std::string& sha256) = 0;

  virtual Status InsertUser(const UserRecord& user) = 0;
  virtual Expected<std::optional<UserRecord>> FindUserByToken(const std::string& token_sha256) = 0;
  virtual Expected<std::vector<UserRecord>> ListUsers() = 0;

  virtual Status InsertPatch(const PatchRecord& patch) = 0;
  virtual Expected<std::vector<PatchRecord>> ListPatches() = 0;

  // Assigns event.seq; returns it.
  virtual Expected<std::int64_t> InsertReleaseEvent(const ReleaseEvent& event) = 0;
  virtual Expected<std::vector<ReleaseEvent>> ListReleaseEvents() = 0;  // in seq order

  virtual Status InsertReport(const ReportRecord& report) = 0;
  virtual Expected<std::vector<ReportRecord>> ListReports(const std::string& device_id) = 0;

  // Appends to the hash-chained audit log (see audit_chain.hpp).
  virtual Expected<AuditEntry> AppendAudit(const std::string& actor, const std::string& action,
                                           const std::string& detail_json, std::int64_t now) = 0;
  virtual Expected<std::vector<AuditEntry>> ListAudit() = 0;
  virtual Expected<AuditCheck> VerifyAudit() = 0;
};

}  // namespace lp::eportal
