// Store on PostgreSQL (DESIGN.md "Scale"), same semantics as SqliteStore.
// One libpq connection serialised by a recursive mutex: Atomically() holds
// it for the whole transaction, and fn may call the other methods from the
// same thread. Enough for one portal process (the in-memory catalogue is the
// read path); several processes sharing a database stay consistent because
// sequence and audit-head updates take a transaction-scoped advisory lock.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "eportal/pg_db.hpp"
#include "eportal/store.hpp"

namespace lp::eportal {

class PgStore final : public Store {
 public:
  // Connects (libpq conninfo or postgresql:// URI) and migrates the
  // database to the latest schema.
  static Expected<std::unique_ptr<PgStore>> Open(const std::string& conninfo);

  // The schema version this build writes, and the one a database is at
  // (0 for an empty database).
  static int LatestSchemaVersion();
  static Expected<int> SchemaVersion(pg::Conn& conn);

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
  explicit PgStore(pg::Conn conn) : conn_(std::move(conn)) {}
  // Joins the caller's Atomically() if one is open, else opens its own.
  Status InTransaction(const std::function<Status()>& fn);
  // One statement outside or inside a transaction (mu_ held by the caller).
  Expected<pg::Result> Query(const std::string& sql, const std::vector<pg::Param>& params = {});
  // Query for a statement whose rows do not matter (INSERT, UPDATE).
  Status Execute(const std::string& sql, const std::vector<pg::Param>& params = {});
  Expected<std::vector<AuditEntry>> ListAuditLocked();

  std::recursive_mutex mu_;
  pg::Conn conn_;
  bool in_transaction_ = false;
};

}  // namespace lp::eportal
