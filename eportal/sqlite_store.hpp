// Store on an embedded SQLite file (data-dir/portal.db). One connection,
// serialised by a recursive mutex so Atomically() can call the other methods
// from the same thread; SQLite calls take 12-22 us here (DESIGN.md), so
// callers on I/O threads block only briefly.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "eportal/sqlite_db.hpp"
#include "eportal/store.hpp"

namespace lp::eportal {

class SqliteStore final : public Store {
 public:
  // Opens or creates the file and migrates it to the latest schema.
  static Expected<std::unique_ptr<SqliteStore>> Open(const std::filesystem::path& file);

  Status Atomically(const std::function<Status()>& fn) override;

  Status EnsureGroup(const std::string& name, std::int64_t now) override;
  Expected<std::vector<std::string>> ListGroups() override;

  Status InsertDevice(const DeviceRecord& device) override;
  Status UpdateDeviceState(const DeviceRecord& device) override;
  Status UpdateLastSeen(const std::vector<std::pair<std::string, std::int64_t>>& seen) override;
  Expected<std::vector<DeviceRecord>> ListDevices() override;

  Status InsertEnrollToken(const EnrollTokenRecord& token) override;
  Expected<std::optional<EnrollTokenRecord>> FindEnrollToken(const std::string& sha256) override;

  Status InsertUser(const UserRecord& user) override;
  Expected<std::optional<UserRecord>> FindUserByToken(const std::string& token_sha256) override;
  Expected<std::vector<UserRecord>> ListUsers() override;

  Status InsertPatch(const PatchRecord& patch) override;
  Expected<std::vector<PatchRecord>> ListPatches() override;

  Expected<std::int64_t> InsertReleaseEvent(const ReleaseEvent& event) override;
  Expected<std::vector<ReleaseEvent>> ListReleaseEvents() override;

  Status InsertReport(const ReportRecord& report) override;
  Expected<std::vector<ReportRecord>> ListReports(const std::string& device_id) override;

  Expected<AuditEntry> AppendAudit(const std::string& actor, const std::string& action,
                                   const std::string& detail_json, std::int64_t now) override;
  Expected<std::vector<AuditEntry>> ListAudit() override;
  Expected<AuditCheck> VerifyAudit() override;

 private:
  explicit SqliteStore(Db db) : db_(std::move(db)) {}
  Expected<std::vector<AuditEntry>> ListAuditLocked();
  // Joins the caller's Atomically() if one is open, else opens its own.
  Status InTransaction(const std::function<Status()>& fn);

  std::recursive_mutex mu_;
  Db db_;
  bool in_transaction_ = false;
};

}  // namespace lp::eportal
