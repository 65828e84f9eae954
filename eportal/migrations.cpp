#include "eportal/migrations.hpp"

#include <string>
#include <vector>

namespace lp::eportal {
namespace {

const std::vector<std::string>& Steps() {
  static const std::vector<std::string> steps = {
      // 1: the initial schema.
      R"sql(
CREATE TABLE groups(name TEXT PRIMARY KEY, created INTEGER NOT NULL);
CREATE TABLE devices(
  id TEXT PRIMARY KEY,
  group_name TEXT NOT NULL REFERENCES groups(name),
  credential_sha256 TEXT NOT NULL UNIQUE,
  hostname TEXT NOT NULL,
  release TEXT NOT NULL, build_id TEXT NOT NULL, arch TEXT NOT NULL,
  enrolled INTEGER NOT NULL,
  last_checkin INTEGER NOT NULL DEFAULT 0,
  applied_json TEXT NOT NULL DEFAULT '[]',
  last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX devices_by_group ON devices(group_name);
CREATE TABLE enroll_tokens(
  sha256 TEXT PRIMARY KEY,
  group_name TEXT NOT NULL REFERENCES groups(name),
  expires INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE TABLE users(
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK(role IN ('viewer','releaser','admin')),
  groups_json TEXT NOT NULL,
  token_sha256 TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL);
CREATE TABLE patches(
  patch_id TEXT NOT NULL, version INTEGER NOT NULL,
  release TEXT NOT NULL, build_id TEXT NOT NULL, arch TEXT NOT NULL,
  manifest BLOB NOT NULL, signature BLOB NOT NULL, blob_sha256 TEXT NOT NULL,
  imported INTEGER NOT NULL,
  PRIMARY KEY(patch_id, version, build_id, arch));
CREATE TABLE releases(
  seq INTEGER PRIMARY KEY, patch_id TEXT NOT NULL, version INTEGER NOT NULL,
  group_name TEXT NOT NULL REFERENCES groups(name), time INTEGER NOT NULL, actor TEXT NOT NULL);
CREATE TABLE reverts(
  seq INTEGER PRIMARY KEY, patch_id TEXT NOT NULL,
  group_name TEXT NOT NULL REFERENCES groups(name), time INTEGER NOT NULL, actor TEXT NOT NULL);
CREATE TABLE reports(
  id INTEGER PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),
  time INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX reports_by_device ON reports(device_id);
CREATE TABLE audit_log(
  seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE audit_head(id INTEGER PRIMARY KEY CHECK(id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
)sql",
  };
  return steps;
}

Status ApplyStep(Db& db, int number, const std::string& sql) {
  LP_TRY(db.Exec("BEGIN IMMEDIATE"));
  Status st = db.Exec(sql);
  if (st) st = db.Exec("DELETE FROM schema_version; INSERT INTO schema_version VALUES(" +
                       std::to_string(number) + ")");
  if (st) st = db.Exec("COMMIT");
  if (!st) {
    (void)db.Exec("ROLLBACK");
    return st.error().WithContext("schema migration " + std::to_string(number));
  }
  return Ok();
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Steps().size()); }

Expected<int> SchemaVersion(Db& db) {
  LP_TRY(db.Exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)"));
  auto stmt = db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!stmt) return stmt.error();
  auto row = stmt->Step();
  if (!row) return row.error();
  return static_cast<int>(stmt->Int(0));
}

Status Migrate(Db& db) {
  auto current = SchemaVersion(db);
  if (!current) return current.error();
  if (*current > LatestSchemaVersion())
    return MakeError(ErrorCode::kUnsupported,
                     "database schema " + std::to_string(*current) + " is newer than this eportal (" +
                         std::to_string(LatestSchemaVersion()) + ")");
  for (int n = *current + 1; n <= LatestSchemaVersion(); ++n)
    LP_TRY(ApplyStep(db, n, Steps()[static_cast<std::size_t>(n - 1)]));
  return Ok();
}

}  // namespace lp::eportal
