// PgStore: schema migrations, transactions and the 20 Store methods.
#include "eportal/pg_store.hpp"

#include <nlohmann/json.hpp>

#include "eportal/audit_chain.hpp"

namespace lp::eportal {
namespace {

// Transaction-scoped advisory lock keys ("ep" + a number): serialise schema
// upgrades, release/revert sequence numbers and audit-head updates between
// every connection to the database.
constexpr std::int64_t kMigrationLock = 0x65700001;
constexpr std::int64_t kReleaseSeqLock = 0x65700002;
constexpr std::int64_t kAuditLock = 0x65700003;

// Numbered steps, as in migrations.cpp for SQLite: schema_version holds the
// last applied one; never edit a released step, append a new one. Text keys
// sort with COLLATE "C" in the queries so listings order bytewise, as SQLite's.
const std::vector<std::string>& Steps() {
  static const std::vector<std::string> steps = {
      // 1: the initial schema (SQLite's step 1 in PostgreSQL types).
      R"sql(
CREATE TABLE groups(name TEXT PRIMARY KEY, created BIGINT NOT NULL);
CREATE TABLE devices(
  id TEXT PRIMARY KEY,
  group_name TEXT NOT NULL REFERENCES groups(name),
  credential_sha256 TEXT NOT NULL UNIQUE,
  hostname TEXT NOT NULL,
  release TEXT NOT NULL, build_id TEXT NOT NULL, arch TEXT NOT NULL,
  enrolled BIGINT NOT NULL,
  last_checkin BIGINT NOT NULL DEFAULT 0,
  applied_json TEXT NOT NULL DEFAULT '[]',
  last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX devices_by_group ON devices(group_name);
CREATE TABLE enroll_tokens(
  sha256 TEXT PRIMARY KEY,
  group_name TEXT NOT NULL REFERENCES groups(name),
  expires BIGINT NOT NULL, created BIGINT NOT NULL);
CREATE TABLE users(
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK(role IN ('viewer','releaser','admin')),
  groups_json TEXT NOT NULL,
  token_sha256 TEXT NOT NULL UNIQUE,
  created BIGINT NOT NULL);
CREATE TABLE patches(
  patch_id TEXT NOT NULL, version BIGINT NOT NULL,
  release TEXT NOT NULL, build_id TEXT NOT NULL, arch TEXT NOT NULL,
  manifest BYTEA NOT NULL, signature BYTEA NOT NULL, blob_sha256 TEXT NOT NULL,
  imported BIGINT NOT NULL,
  PRIMARY KEY(patch_id, version, build_id, arch));
CREATE TABLE releases(
  seq BIGINT PRIMARY KEY, patch_id TEXT NOT NULL, version BIGINT NOT NULL,
  group_name TEXT NOT NULL REFERENCES groups(name), time BIGINT NOT NULL, actor TEXT NOT NULL);
CREATE TABLE reverts(
  seq BIGINT PRIMARY KEY, patch_id TEXT NOT NULL,
  group_name TEXT NOT NULL REFERENCES groups(name), time BIGINT NOT NULL, actor TEXT NOT NULL);
CREATE TABLE reports(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),
  time BIGINT NOT NULL, body TEXT NOT NULL);
CREATE INDEX reports_by_device ON reports(device_id);
CREATE TABLE audit_log(
  seq BIGINT PRIMARY KEY, time BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE audit_head(id INTEGER PRIMARY KEY CHECK(id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL);
)sql",
  };
  return steps;
}

Status LockTransaction(pg::Conn& conn, std::int64_t key) {
  auto r = conn.Query("SELECT pg_advisory_xact_lock($1::bigint)", {key});
  if (!r) return r.error();
  return Ok();
}

// Applies step `number` unless another process did meanwhile.
Status ApplyStep(pg::Conn& conn, int number) {
  LP_TRY(conn.Exec("BEGIN"));
  Status st = LockTransaction(conn, kMigrationLock);
  Expected<int> current = st ? PgStore::SchemaVersion(conn) : Expected<int>(st.error());
  if (!current) st = current.error();
  if (st && *current < number) {
    st = conn.Exec(Steps()[static_cast<std::size_t>(number - 1)]);
    if (st) st = conn.Exec("DELETE FROM schema_version");
    if (st) {
      auto r = conn.Query("INSERT INTO schema_version(version) VALUES($1::integer)", {std::int64_t{number}});
      if (!r) st = r.error();
    }
  }
  if (st) st = conn.Commit();
  if (!st) {
    (void)conn.Exec("ROLLBACK");
    return st.error().WithContext("schema migration " + std::to_string(number));
  }
  return Ok();
}

Status Migrate(pg::Conn& conn) {
  // Two processes creating it at once: one may fail; it exists either way.
  (void)conn.Exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)");
  auto current = PgStore::SchemaVersion(conn);
  if (!current) return current.error();
  if (*current > PgStore::LatestSchemaVersion())
    return MakeError(ErrorCode::kUnsupported,
                     "database schema " + std::to_string(*current) + " is newer than this eportal (" +
                         std::to_string(PgStore::LatestSchemaVersion()) + ")");
  for (int n = *current + 1; n <= PgStore::LatestSchemaVersion(); ++n) LP_TRY(ApplyStep(conn, n));
  return Ok();
}

DeviceRecord ReadDevice(const pg::Result& r, int i) {
  DeviceRecord d;
  d.id = r.Text(i, 0);
  d.group = r.Text(i, 1);
  d.credential_sha256 = r.Text(i, 2);
  d.hostname = r.Text(i, 3);
  d.identity = {r.Text(i, 4), r.Text(i, 5), r.Text(i, 6)};
  d.enrolled = r.Int(i, 7);
  d.last_checkin = r.Int(i, 8);
  d.applied_json = r.Text(i, 9);
  d.last_error = r.Text(i, 10);
  return d;
}

UserRecord ReadUser(const pg::Result& r, int i) {
  UserRecord u;
  u.name = r.Text(i, 0);
  u.role = ParseRole(r.Text(i, 1)).value_or(Role::kViewer);
  auto groups = nlohmann::json::parse(r.Text(i, 2), nullptr, false);
  if (groups.is_array())
    for (const auto& g : groups)
      if (g.is_string()) u.groups.push_back(g.get<std::string>());
  u.token_sha256 = r.Text(i, 3);
  u.created = r.Int(i, 4);
  return u;
}

template <class T, class ReadRow>
std::vector<T> ReadAll(const pg::Result& r, ReadRow read) {
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(r.Rows()));
  for (int i = 0; i < r.Rows(); ++i) out.push_back(read(r, i));
  return out;
}

Expected<AuditHead> ReadHead(const pg::Result& r) {
  AuditHead h;
  if (r.Rows() > 0) h = {r.Int(0, 0), r.Text(0, 1)};
  return h;
}

}  // namespace

int PgStore::LatestSchemaVersion() { return static_cast<int>(Steps().size()); }

Expected<int> PgStore::SchemaVersion(pg::Conn& conn) {
  auto r = conn.Query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!r) return r.error();
  return static_cast<int>(r->Int(0, 0));
}

Expected<std::unique_ptr<PgStore>> PgStore::Open(const std::string& conninfo) {
  auto conn = pg::Conn::Connect(conninfo);
  if (!conn) return conn.error();
  LP_TRY(Migrate(*conn));
  return std::unique_ptr<PgStore>(new PgStore(std::move(*conn)));
}

Expected<pg::Result> PgStore::Query(const std::string& sql, const std::vector<pg::Param>& params) {
  if (!in_transaction_) conn_.ResetIfBroken();
  return conn_.Query(sql, params);
}

Status PgStore::Execute(const std::string& sql, const std::vector<pg::Param>& params) {
  auto r = Query(sql, params);
  if (!r) return r.error();
  return Ok();
}

Status PgStore::Atomically(const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  if (in_transaction_) return MakeError(ErrorCode::kInternal, "nested Store::Atomically");
  conn_.ResetIfBroken();
  LP_TRY(conn_.Exec("BEGIN"));
  in_transaction_ = true;
  Status st = fn();
  in_transaction_ = false;
  // Commit() fails when a statement fn ignored aborted the transaction.
  if (st) st = conn_.Commit();
  if (!st) (void)conn_.Exec("ROLLBACK");
  return st;
}

Status PgStore::InTransaction(const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  return in_transaction_ ? fn() : Atomically(fn);
}

Status PgStore::EnsureGroup(const std::string& name, std::int64_t now) {
  std::lock_guard lock(mu_);
  return Execute("INSERT INTO groups(name, created) VALUES($1, $2) ON CONFLICT DO NOTHING", {name, now});
}

Expected<std::vector<std::string>> PgStore::ListGroups() {
  std::lock_guard lock(mu_);
  auto r = Query(R"(SELECT name FROM groups ORDER BY name COLLATE "C")");
  if (!r) return r.error();
  return ReadAll<std::string>(*r, [](const pg::Result& row, int i) { return row.Text(i, 0); });
}

Status PgStore::InsertDevice(const DeviceRecord& d) {
  std::lock_guard lock(mu_);
  return Execute(
      "INSERT INTO devices(id, group_name, credential_sha256, hostname, release, build_id, arch,"
      " enrolled, last_checkin, applied_json, last_error) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
      {d.id, d.group, d.credential_sha256, d.hostname, d.identity.release, d.identity.build_id,
       d.identity.arch, d.enrolled, d.last_checkin, d.applied_json, d.last_error});
}

Status PgStore::UpdateDeviceState(const DeviceRecord& d) {
  std::lock_guard lock(mu_);
  auto r = Query(
      "UPDATE devices SET release=$1, build_id=$2, arch=$3, last_checkin=$4, applied_json=$5,"
      " last_error=$6 WHERE id=$7",
      {d.identity.release, d.identity.build_id, d.identity.arch, d.last_checkin, d.applied_json,
       d.last_error, d.id});
  if (!r) return r.error();
  if (r->Affected() == 0) return MakeError(ErrorCode::kNotFound, "no device " + d.id);
  return Ok();
}

Status PgStore::UpdateLastSeen(const std::vector<std::pair<std::string, std::int64_t>>& seen) {
  if (seen.empty()) return Ok();
  return InTransaction([&]() -> Status {
    for (const auto& [id, time] : seen)
      LP_TRY(Execute("UPDATE devices SET last_checkin=GREATEST(last_checkin, $1::bigint) WHERE id=$2", {time, id}));
    return Ok();
  });
}

Expected<std::vector<DeviceRecord>> PgStore::ListDevices() {
  std::lock_guard lock(mu_);
  auto r = Query(
      "SELECT id, group_name, credential_sha256, hostname, release, build_id, arch, enrolled,"
      R"( last_checkin, applied_json, last_error FROM devices ORDER BY id COLLATE "C")");
  if (!r) return r.error();
  return ReadAll<DeviceRecord>(*r, ReadDevice);
}

Status PgStore::InsertEnrollToken(const EnrollTokenRecord& t) {
  std::lock_guard lock(mu_);
  return Execute("INSERT INTO enroll_tokens(sha256, group_name, expires, created) VALUES($1,$2,$3,$4)",
                 {t.sha256, t.group, t.expires, t.created});
}

Expected<std::optional<EnrollTokenRecord>> PgStore::FindEnrollToken(const std::string& sha256) {
  std::lock_guard lock(mu_);
  auto r = Query("SELECT sha256, group_name, expires, created FROM enroll_tokens WHERE sha256=$1", {sha256});
  if (!r) return r.error();
  if (r->Rows() == 0) return std::optional<EnrollTokenRecord>();
  return std::optional<EnrollTokenRecord>(
      EnrollTokenRecord{r->Text(0, 0), r->Text(0, 1), r->Int(0, 2), r->Int(0, 3)});
}

Status PgStore::InsertUser(const UserRecord& u) {
  std::lock_guard lock(mu_);
  return Execute("INSERT INTO users(name, role, groups_json, token_sha256, created) VALUES($1,$2,$3,$4,$5)",
                 {u.name, RoleName(u.role), nlohmann::json(u.groups).dump(), u.token_sha256, u.created});
}

Expected<std::optional<UserRecord>> PgStore::FindUserByToken(const std::string& token_sha256) {
  std::lock_guard lock(mu_);
  auto r = Query("SELECT name, role, groups_json, token_sha256, created FROM users WHERE token_sha256=$1",
                 {token_sha256});
  if (!r) return r.error();
  if (r->Rows() == 0) return std::optional<UserRecord>();
  return std::optional<UserRecord>(ReadUser(*r, 0));
}

Expected<std::vector<UserRecord>> PgStore::ListUsers() {
  std::lock_guard lock(mu_);
  auto r = Query(R"(SELECT name, role, groups_json, token_sha256, created FROM users ORDER BY name COLLATE "C")");
  if (!r) return r.error();
  return ReadAll<UserRecord>(*r, ReadUser);
}

Status PgStore::InsertPatch(const PatchRecord& p) {
  std::lock_guard lock(mu_);
  return Execute(
      "INSERT INTO patches(patch_id, version, release, build_id, arch, manifest, signature,"
      " blob_sha256, imported) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9)",
      {p.patch_id, static_cast<std::int64_t>(p.version), p.target.release, p.target.build_id, p.target.arch,
       pg::Param::Bytes(p.manifest_json), pg::Param::Bytes(p.manifest_sig), p.blob_sha256, p.imported});
}

Expected<std::vector<PatchRecord>> PgStore::ListPatches() {
  std::lock_guard lock(mu_);
  auto r = Query(
      "SELECT patch_id, version, release, build_id, arch, manifest, signature, blob_sha256, imported"
      R"( FROM patches ORDER BY patch_id COLLATE "C", version, build_id COLLATE "C")");
  if (!r) return r.error();
  return ReadAll<PatchRecord>(*r, [](const pg::Result& row, int i) {
    return PatchRecord{row.Text(i, 0), static_cast<std::uint64_t>(row.Int(i, 1)),
                       {row.Text(i, 2), row.Text(i, 3), row.Text(i, 4)},
                       row.Bytes(i, 5), row.Bytes(i, 6), row.Text(i, 7), row.Int(i, 8)};
  });
}

Expected<std::int64_t> PgStore::InsertReleaseEvent(const ReleaseEvent& e) {
  std::lock_guard lock(mu_);
  std::int64_t seq = 0;
  Status st = InTransaction([&]() -> Status {
    // One sequence over both tables (see ReleaseEvent); the lock keeps two
    // connections from taking the same number.
    LP_TRY(LockTransaction(conn_, kReleaseSeqLock));
    auto next = Query(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM"
        " (SELECT seq FROM releases UNION ALL SELECT seq FROM reverts) AS events");
    if (!next) return next.error();
    seq = next->Int(0, 0);
    return e.kind == ReleaseEvent::Kind::kRelease
               ? Execute("INSERT INTO releases(seq, patch_id, group_name, time, actor, version)"
                         " VALUES($1,$2,$3,$4,$5,$6)",
                         {seq, e.patch_id, e.group, e.time, e.actor, static_cast<std::int64_t>(e.version)})
               : Execute("INSERT INTO reverts(seq, patch_id, group_name, time, actor) VALUES($1,$2,$3,$4,$5)",
                         {seq, e.patch_id, e.group, e.time, e.actor});
  });
  if (!st) return st.error();
  return seq;
}

Expected<std::vector<ReleaseEvent>> PgStore::ListReleaseEvents() {
  std::lock_guard lock(mu_);
  auto r = Query(
      "SELECT seq, 0, patch_id, version, group_name, time, actor FROM releases"
      " UNION ALL SELECT seq, 1, patch_id, 0, group_name, time, actor FROM reverts ORDER BY 1");
  if (!r) return r.error();
  return ReadAll<ReleaseEvent>(*r, [](const pg::Result& row, int i) {
    return ReleaseEvent{row.Int(i, 0),
                        row.Int(i, 1) ? ReleaseEvent::Kind::kRevert : ReleaseEvent::Kind::kRelease,
                        row.Text(i, 2), static_cast<std::uint64_t>(row.Int(i, 3)), row.Text(i, 4),
                        row.Int(i, 5), row.Text(i, 6)};
  });
}

Status PgStore::InsertReport(const ReportRecord& rep) {
  std::lock_guard lock(mu_);
  return Execute("INSERT INTO reports(device_id, time, body) VALUES($1,$2,$3)",
                 {rep.device_id, rep.time, rep.body_json});
}

Expected<std::vector<ReportRecord>> PgStore::ListReports(const std::string& device_id) {
  std::lock_guard lock(mu_);
  auto r = Query("SELECT device_id, time, body FROM reports WHERE device_id=$1 ORDER BY id", {device_id});
  if (!r) return r.error();
  return ReadAll<ReportRecord>(*r, [](const pg::Result& row, int i) {
    return ReportRecord{row.Text(i, 0), row.Int(i, 1), row.Text(i, 2)};
  });
}

Expected<AuditEntry> PgStore::AppendAudit(const std::string& actor, const std::string& action,
                                          const std::string& detail_json, std::int64_t now) {
  std::lock_guard lock(mu_);
  AuditEntry entry{0, now, actor, action, detail_json, "", ""};
  Status st = InTransaction([&]() -> Status {
    LP_TRY(LockTransaction(conn_, kAuditLock));
    auto head = Query("SELECT seq, hash FROM audit_head WHERE id=1");
    if (!head) return head.error();
    auto h = ReadHead(*head);
    if (!h) return h.error();
    entry.seq = h->seq + 1;
    SealAuditEntry(entry, h->hash);
    auto ins = Query(
        "INSERT INTO audit_log(seq, time, actor, action, detail, prev_hash, hash) VALUES($1,$2,$3,$4,$5,$6,$7)",
        {entry.seq, entry.time, entry.actor, entry.action, entry.detail_json, entry.prev_hash, entry.hash});
    if (!ins) return ins.error();
    auto up = Query(
        "INSERT INTO audit_head(id, seq, hash) VALUES(1, $1, $2)"
        " ON CONFLICT(id) DO UPDATE SET seq=EXCLUDED.seq, hash=EXCLUDED.hash",
        {entry.seq, entry.hash});
    if (!up) return up.error();
    return Ok();
  });
  if (!st) return st.error();
  return entry;
}

Expected<std::vector<AuditEntry>> PgStore::ListAudit() {
  std::lock_guard lock(mu_);
  return ListAuditLocked();
}

Expected<std::vector<AuditEntry>> PgStore::ListAuditLocked() {
  auto r = Query("SELECT seq, time, actor, action, detail, prev_hash, hash FROM audit_log ORDER BY seq");
  if (!r) return r.error();
  return ReadAll<AuditEntry>(*r, [](const pg::Result& row, int i) {
    return AuditEntry{row.Int(i, 0), row.Int(i, 1), row.Text(i, 2), row.Text(i, 3),
                      row.Text(i, 4), row.Text(i, 5), row.Text(i, 6)};
  });
}

Expected<AuditCheck> PgStore::VerifyAudit() {
  std::lock_guard lock(mu_);
  std::vector<AuditEntry> entries;
  AuditHead head;
  // Rows and head from one snapshot, so a concurrent append elsewhere does
  // not look like tampering.
  const bool own = !in_transaction_;
  Status st = InTransaction([&]() -> Status {
    if (own) LP_TRY(conn_.Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
    auto list = ListAuditLocked();
    if (!list) return list.error();
    entries = std::move(*list);
    auto r = Query("SELECT seq, hash FROM audit_head WHERE id=1");
    if (!r) return r.error();
    auto h = ReadHead(*r);
    if (!h) return h.error();
    head = *h;
    return Ok();
  });
  if (!st) return st.error();
  return VerifyAuditChain(entries, head);
}

}  // namespace lp::eportal
