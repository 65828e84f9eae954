// SqliteStore: connection, transactions, groups, devices, tokens and users.
// Catalogue, reports and audit are in sqlite_store_catalogue.cpp.
#include "eportal/sqlite_store.hpp"

#include <nlohmann/json.hpp>

#include "eportal/migrations.hpp"

namespace lp::eportal {
namespace {

DeviceRecord ReadDevice(const Stmt& s) {
  DeviceRecord d;
  d.id = s.Text(0);
  d.group = s.Text(1);
  d.credential_sha256 = s.Text(2);
  d.hostname = s.Text(3);
  d.identity = {s.Text(4), s.Text(5), s.Text(6)};
  d.enrolled = s.Int(7);
  d.last_checkin = s.Int(8);
  d.applied_json = s.Text(9);
  d.last_error = s.Text(10);
  return d;
}

UserRecord ReadUser(const Stmt& s) {
  UserRecord u;
  u.name = s.Text(0);
  u.role = ParseRole(s.Text(1)).value_or(Role::kViewer);
  auto groups = nlohmann::json::parse(s.Text(2), nullptr, false);
  if (groups.is_array())
    for (const auto& g : groups)
      if (g.is_string()) u.groups.push_back(g.get<std::string>());
  u.token_sha256 = s.Text(3);
  u.created = s.Int(4);
  return u;
}

}  // namespace

Expected<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::filesystem::path& file) {
  auto db = Db::Open(file);
  if (!db) return db.error();
  LP_TRY(Migrate(*db));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(*db)));
}

Status SqliteStore::Atomically(const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  if (in_transaction_) return MakeError(ErrorCode::kInternal, "nested Store::Atomically");
  // IMMEDIATE takes the write lock up front, so the transaction cannot fail
  // half-way with SQLITE_BUSY when another process holds a read lock.
  LP_TRY(db_.Exec("BEGIN IMMEDIATE"));
  in_transaction_ = true;
  Status st = fn();
  in_transaction_ = false;
  if (st) st = db_.Exec("COMMIT");
  if (!st) (void)db_.Exec("ROLLBACK");
  return st;
}

Status SqliteStore::InTransaction(const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  return in_transaction_ ? fn() : Atomically(fn);
}

Status SqliteStore::EnsureGroup(const std::string& name, std::int64_t now) {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare("INSERT OR IGNORE INTO groups(name, created) VALUES(?, ?)");
  if (!s) return s.error();
  return s->Bind(1, name).Bind(2, now).Run();
}

Expected<std::vector<std::string>> SqliteStore::ListGroups() {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare("SELECT name FROM groups ORDER BY name");
  if (!s) return s.error();
  std::vector<std::string> out;
  for (;;) {
    auto row = s->Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(s->Text(0));
  }
}

Status SqliteStore::InsertDevice(const DeviceRecord& d) {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare(
      "INSERT INTO devices(id, group_name, credential_sha256, hostname, release, build_id, arch,"
      " enrolled, last_checkin, applied_json, last_error) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  if (!s) return s.error();
  return s->Bind(1, d.id).Bind(2, d.group).Bind(3, d.credential_sha256).Bind(4, d.hostname)
      .Bind(5, d.identity.release).Bind(6, d.identity.build_id).Bind(7, d.identity.arch)
      .Bind(8, d.enrolled).Bind(9, d.last_checkin).Bind(10, d.applied_json).Bind(11, d.last_error)
      .Run();
}

Status SqliteStore::UpdateDeviceState(const DeviceRecord& d) {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare(
      "UPDATE devices SET release=?, build_id=?, arch=?, last_checkin=?, applied_json=?,"
      " last_error=? WHERE id=?");
  if (!s) return s.error();
  LP_TRY(s->Bind(1, d.identity.release).Bind(2, d.identity.build_id).Bind(3, d.identity.arch)
             .Bind(4, d.last_checkin).Bind(5, d.applied_json).Bind(6, d.last_error).Bind(7, d.id)
             .Run());
  if (db_.Changes() == 0) return MakeError(ErrorCode::kNotFound, "no device " + d.id);
  return Ok();
}

Status SqliteStore::UpdateLastSeen(const std::vector<std::pair<std::string, std::int64_t>>& seen) {
  if (seen.empty()) return Ok();
  return InTransaction([&]() -> Status {
    auto s = db_.Prepare("UPDATE devices SET last_checkin=MAX(last_checkin, ?) WHERE id=?");
    if (!s) return s.error();
    for (const auto& [id, time] : seen) {
      LP_TRY(s->Bind(1, time).Bind(2, id).Run());
      s->Reset();
    }
    return Ok();
  });
}

Expected<std::vector<DeviceRecord>> SqliteStore::ListDevices() {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare(
      "SELECT id, group_name, credential_sha256, hostname, release, build_id, arch, enrolled,"
      " last_checkin, applied_json, last_error FROM devices ORDER BY id");
  if (!s) return s.error();
  std::vector<DeviceRecord> out;
  for (;;) {
    auto row = s->Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(ReadDevice(*s));
  }
}

Status SqliteStore::InsertEnrollToken(const EnrollTokenRecord& t) {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare("INSERT INTO enroll_tokens(sha256, group_name, expires, created) VALUES(?,?,?,?)");
  if (!s) return s.error();
  return s->Bind(1, t.sha256).Bind(2, t.group).Bind(3, t.expires).Bind(4, t.created).Run();
}

Expected<std::optional<EnrollTokenRecord>> SqliteStore::FindEnrollToken(const std::string& sha256) {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare("SELECT sha256, group_name, expires, created FROM enroll_tokens WHERE sha256=?");
  if (!s) return s.error();
  s->Bind(1, sha256);
  auto row = s->Step();
  if (!row) return row.error();
  if (!*row) return std::optional<EnrollTokenRecord>();
  return std::optional<EnrollTokenRecord>(EnrollTokenRecord{s->Text(0), s->Text(1), s->Int(2), s->Int(3)});
}

Status SqliteStore::InsertUser(const UserRecord& u) {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare("INSERT INTO users(name, role, groups_json, token_sha256, created) VALUES(?,?,?,?,?)");
  if (!s) return s.error();
  return s->Bind(1, u.name).Bind(2, RoleName(u.role)).Bind(3, nlohmann::json(u.groups).dump())
      .Bind(4, u.token_sha256).Bind(5, u.created).Run();
}

Expected<std::optional<UserRecord>> SqliteStore::FindUserByToken(const std::string& token_sha256) {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare("SELECT name, role, groups_json, token_sha256, created FROM users WHERE token_sha256=?");
  if (!s) return s.error();
  s->Bind(1, token_sha256);
  auto row = s->Step();
  if (!row) return row.error();
  if (!*row) return std::optional<UserRecord>();
  return std::optional<UserRecord>(ReadUser(*s));
}

Expected<std::vector<UserRecord>> SqliteStore::ListUsers() {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare("SELECT name, role, groups_json, token_sha256, created FROM users ORDER BY name");
  if (!s) return s.error();
  std::vector<UserRecord> out;
  for (;;) {
    auto row = s->Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(ReadUser(*s));
  }
}

}  // namespace lp::eportal
