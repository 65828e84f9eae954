// POST /api/v1/admin/patches: import a bundle. The whole chain is verified
// (keys document against the root this portal was initialised with, manifest
// signature, module sha256 and size) before anything is written; a refused
// bundle leaves no trace but an error response. So does one that clashes with
// what is stored: another manifest under the same id, version and target, or
// a module name another version of the same stream (id + target) already has.
#include <mutex>

#include "common/bundle.hpp"
#include "eportal/handlers.hpp"

namespace lp::eportal {

namespace {

std::optional<PatchPtr> FindSame(const Catalogue& catalogue, const Manifest& m) {
  for (const PatchPtr& p : catalogue.Find(m.patch_id, m.version))
    if (p->record.target == m.target) return p;
  return std::nullopt;
}

// Imports run on the worker pool: the checks against the catalogue and the
// insert are one step, so two bundles of one stream cannot both pass them.
std::mutex import_mu;

}  // namespace

Response HandleImport(const Request& req, Services& s) {
  auto auth = AuthenticateUser(req, s, Role::kReleaser);
  if (!auth) return auth.failure;
  const std::int64_t now = s.now();
  auto bundle = VerifyBundle(req.body, s.trust.root, now);
  if (!bundle) return ErrorResponse(400, "verification_failed", "bundle refused: " + bundle.error().message);
  const Manifest& m = bundle->manifest;
  std::lock_guard lock(import_mu);
  if (auto same = FindSame(s.catalogue, m)) {
    if ((*same)->record.manifest_json == bundle->parts.manifest_json)
      return JsonResponse(200, PatchSummary(**same));  // re-import of the same bundle: idempotent
    return ErrorResponse(409, "conflict",
                         m.patch_id + " version " + std::to_string(m.version) + " for build " +
                             m.target.build_id + " exists with a different manifest");
  }
  if (PatchPtr other = s.catalogue.FindModuleNameInStream(m.patch_id, m.target, m.version, m.module_name))
    return ErrorResponse(409, "conflict",
                         m.patch_id + " version " + std::to_string(m.version) + " for build " + m.target.build_id +
                             ": module name " + m.module_name + " is taken by version " +
                             std::to_string(other->record.version) +
                             " of the stream; each version needs its own (the kernel refuses a second module of "
                             "one name during the atomic replace)");
  // The blob goes first: content-addressed and written atomically, so a
  // crash before the commit leaves at most an unreferenced file.
  auto sha = s.blobs.Put(bundle->parts.module_bytes);
  if (!sha) return ErrorToResponse(sha.error());
  PatchRecord record{m.patch_id, m.version, m.target, bundle->parts.manifest_json,
                     bundle->parts.manifest_sig, *sha, now};
  auto patch = Catalogue::MakePatch(record);
  if (!patch) return ErrorToResponse(patch.error());
  nlohmann::json summary = PatchSummary(**patch);
  Status st = s.store.Atomically([&]() -> Status {
    LP_TRY(s.store.InsertPatch(record));
    return Audit(s, auth.who->name, "patch.import", summary);
  });
  if (!st) return ErrorToResponse(st.error());
  s.catalogue.AddPatch(*patch);
  return JsonResponse(200, summary);
}

}  // namespace lp::eportal
