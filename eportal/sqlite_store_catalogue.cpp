// SqliteStore: patches, releases/reverts, reports and the audit log.
#include <nlohmann/json.hpp>

#include "eportal/audit_chain.hpp"
#include "eportal/sqlite_store.hpp"

namespace lp::eportal {
namespace {

template <class T, class ReadRow>
Expected<std::vector<T>> ReadAll(Stmt& s, ReadRow read) {
  std::vector<T> out;
  for (;;) {
    auto row = s.Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(read(s));
  }
}

}  // namespace

Status SqliteStore::InsertPatch(const PatchRecord& p) {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare(
      "INSERT INTO patches(patch_id, version, release, build_id, arch, manifest, signature,"
      " blob_sha256, imported) VALUES(?,?,?,?,?,?,?,?,?)");
  if (!s) return s.error();
  return s->Bind(1, p.patch_id).Bind(2, static_cast<std::int64_t>(p.version))
      .Bind(3, p.target.release).Bind(4, p.target.build_id).Bind(5, p.target.arch)
      .BindBlob(6, p.manifest_json).BindBlob(7, p.manifest_sig).Bind(8, p.blob_sha256)
      .Bind(9, p.imported).Run();
}

Expected<std::vector<PatchRecord>> SqliteStore::ListPatches() {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare(
      "SELECT patch_id, version, release, build_id, arch, manifest, signature, blob_sha256, imported"
      " FROM patches ORDER BY patch_id, version, build_id");
  if (!s) return s.error();
  return ReadAll<PatchRecord>(*s, [](const Stmt& r) {
    return PatchRecord{r.Text(0), static_cast<std::uint64_t>(r.Int(1)), {r.Text(2), r.Text(3), r.Text(4)},
                       r.Blob(5), r.Blob(6), r.Text(7), r.Int(8)};
  });
}

Expected<std::int64_t> SqliteStore::InsertReleaseEvent(const ReleaseEvent& e) {
  std::lock_guard lock(mu_);
  // One sequence over both tables (see ReleaseEvent).
  auto next = db_.Prepare(
      "SELECT COALESCE(MAX(seq), 0) + 1 FROM"
      " (SELECT seq FROM releases UNION ALL SELECT seq FROM reverts)");
  if (!next) return next.error();
  auto row = next->Step();
  if (!row) return row.error();
  const std::int64_t seq = next->Int(0);
  const bool release = e.kind == ReleaseEvent::Kind::kRelease;
  auto s = db_.Prepare(release ? "INSERT INTO releases(seq, patch_id, group_name, time, actor, version)"
                                 " VALUES(?,?,?,?,?,?)"
                               : "INSERT INTO reverts(seq, patch_id, group_name, time, actor)"
                                 " VALUES(?,?,?,?,?)");
  if (!s) return s.error();
  s->Bind(1, seq).Bind(2, e.patch_id).Bind(3, e.group).Bind(4, e.time).Bind(5, e.actor);
  if (release) s->Bind(6, static_cast<std::int64_t>(e.version));
  LP_TRY(s->Run());
  return seq;
}

Expected<std::vector<ReleaseEvent>> SqliteStore::ListReleaseEvents() {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare(
      "SELECT seq, 0, patch_id, version, group_name, time, actor FROM releases"
      " UNION ALL SELECT seq, 1, patch_id, 0, group_name, time, actor FROM reverts ORDER BY 1");
  if (!s) return s.error();
  return ReadAll<ReleaseEvent>(*s, [](const Stmt& r) {
    return ReleaseEvent{r.Int(0), r.Int(1) ? ReleaseEvent::Kind::kRevert : ReleaseEvent::Kind::kRelease,
                        r.Text(2), static_cast<std::uint64_t>(r.Int(3)), r.Text(4), r.Int(5), r.Text(6)};
  });
}

Status SqliteStore::InsertReport(const ReportRecord& r) {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare("INSERT INTO reports(device_id, time, body) VALUES(?,?,?)");
  if (!s) return s.error();
  return s->Bind(1, r.device_id).Bind(2, r.time).Bind(3, r.body_json).Run();
}

Expected<std::vector<ReportRecord>> SqliteStore::ListReports(const std::string& device_id) {
  std::lock_guard lock(mu_);
  auto s = db_.Prepare("SELECT device_id, time, body FROM reports WHERE device_id=? ORDER BY id");
  if (!s) return s.error();
  s->Bind(1, device_id);
  return ReadAll<ReportRecord>(*s, [](const Stmt& r) {
    return ReportRecord{r.Text(0), r.Int(1), r.Text(2)};
  });
}

Expected<AuditEntry> SqliteStore::AppendAudit(const std::string& actor, const std::string& action,
                                              const std::string& detail_json, std::int64_t now) {
  std::lock_guard lock(mu_);
  AuditEntry entry{0, now, actor, action, detail_json, "", ""};
  Status st = InTransaction([&]() -> Status {
    auto head = db_.Prepare("SELECT seq, hash FROM audit_head WHERE id=1");
    if (!head) return head.error();
    auto row = head->Step();
    if (!row) return row.error();
    AuditHead h;
    if (*row) h = {head->Int(0), head->Text(1)};
    entry.seq = h.seq + 1;
    SealAuditEntry(entry, h.hash);
    auto ins = db_.Prepare(
        "INSERT INTO audit_log(seq, time, actor, action, detail, prev_hash, hash) VALUES(?,?,?,?,?,?,?)");
    if (!ins) return ins.error();
    LP_TRY(ins->Bind(1, entry.seq).Bind(2, entry.time).Bind(3, entry.actor).Bind(4, entry.action)
               .Bind(5, entry.detail_json).Bind(6, entry.prev_hash).Bind(7, entry.hash).Run());
    auto up = db_.Prepare("INSERT OR REPLACE INTO audit_head(id, seq, hash) VALUES(1, ?, ?)");
    if (!up) return up.error();
    return up->Bind(1, entry.seq).Bind(2, entry.hash).Run();
  });
  if (!st) return st.error();
  return entry;
}

Expected<std::vector<AuditEntry>> SqliteStore::ListAudit() {
  std::lock_guard lock(mu_);
  return ListAuditLocked();
}

Expected<std::vector<AuditEntry>> SqliteStore::ListAuditLocked() {
  auto s = db_.Prepare("SELECT seq, time, actor, action, detail, prev_hash, hash FROM audit_log ORDER BY seq");
  if (!s) return s.error();
  return ReadAll<AuditEntry>(*s, [](const Stmt& r) {
    return AuditEntry{r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6)};
  });
}

Expected<AuditCheck> SqliteStore::VerifyAudit() {
  std::lock_guard lock(mu_);
  auto entries = ListAuditLocked();
  if (!entries) return entries.error();
  auto head = db_.Prepare("SELECT seq, hash FROM audit_head WHERE id=1");
  if (!head) return head.error();
  auto row = head->Step();
  if (!row) return row.error();
  AuditHead h;
  if (*row) h = {head->Int(0), head->Text(1)};
  return VerifyAuditChain(*entries, h);
}

}  // namespace lp::eportal
