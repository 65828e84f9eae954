// The kernel-side states of the Updater. Each is safe to redo after a crash.
#include <algorithm>

#include "common/crypto.hpp"
#include "common/file_util.hpp"
#include "patchd/kill_switch.hpp"
#include "patchd/updater.hpp"

namespace lp::patchd {

Event Updater::DoDownload(Job& job) {
  if (cache_.HasModule(job.sha256)) {
    // A damaged cached copy is fetched again rather than blamed on the patch.
    auto cached = ReadFile(cache_.ModulePath(job.sha256), static_cast<std::size_t>(deps_.config.max_blob_bytes));
    if (cached && Sha256Hex(*cached) == job.sha256) return Event::kOk;
    cache_.Discard(job.sha256);
  }
  if (!deps_.portal) {
    Fail(job, "failed", "module " + job.sha256 + " is not cached and there is no portal");
    return Event::kFailed;
  }
  const std::int64_t start = deps_.clock.NowMs();
  auto blob = deps_.portal->FetchBlob(job.sha256, static_cast<std::size_t>(deps_.config.max_blob_bytes));
  if (!blob) {
    // Transient: no result, so nothing is recorded and the next cycle retries.
    Fail(job, "", blob.error().WithContext("download").message);
    return Event::kFailed;
  }
  if (Sha256Hex(*blob) != job.sha256) {
    // The signed manifest is fine, these bytes are not (a cut transfer, a bad
    // mirror or cache, a man in the middle): refuse them and tell the portal,
    // but record no verdict on the version, so the next check-in fetches it
    // again instead of giving the patch up for good.
    ReportFault(job, "download: module sha256 mismatch (truncated or tampered blob); fetched again at the next check-in");
    return Event::kFailed;
  }
  if (auto st = cache_.StoreModule(job.sha256, *blob); !st) {
    Fail(job, "", st.error().WithContext("caching module").message);
    return Event::kFailed;
  }
  job.timings_ms["download"] = deps_.clock.NowMs() - start;
  return Event::kOk;
}

Event Updater::VerifyForLoad(Job& job) {
  if (auto reason = KillSwitchReason(deps_.config.paths)) {
    Fail(job, "", "applying is disabled: " + *reason);  // not a verdict on the patch
    return Event::kFailed;
  }
  const std::int64_t start = deps_.clock.NowMs();
  auto verified = VerifyCachedPatch(cache_, job.sha256, deps_.root_key, deps_.clock.WallNow(), state_.keys_version);
  if (!verified) {
    // The copy in the cache (or its metadata) is unusable; that says nothing
    // about the patch, whose metadata verified when it was offered.
    if (verified.error().code == ErrorCode::kVerification) cache_.Discard(job.sha256);
    ReportFault(job, verified.error().message);
    return Event::kFailed;
  }
  if (verified->keys_version > state_.keys_version) state_.keys_version = verified->keys_version;
  const Manifest& m = verified->manifest;
  job.patch_id = m.patch_id;
  job.version = m.version;
  job.module_name = m.module_name;
  job.replace = m.replace;
  if (auto st = engine_.CheckApplicable(m, deps_.identity, state_); !st) {
    Fail(job, "refused", st.error().message);
    return Event::kFailed;
  }
  job.timings_ms["verify"] = deps_.clock.NowMs() - start;
  verified_ = std::move(*verified);
  return Event::kOk;
}

Event Updater::DoVerify(Job& job) {
  Event e = VerifyForLoad(job);
  if (e != Event::kOk) return e;
  // Already in effect (apply-cached on a running system, a repeated apply).
  auto live = deps_.kernel.ReadPatchState(job.module_name);
  const PatchRecord* record = state_.Find(job.patch_id, job.version);
  if (live && live->InEffect() && record && record->state == "applied") return Event::kNothingToDo;
  return Event::kOk;
}

Event Updater::DoLoad(Job& job) {
  if (!verified_) {  // resumed after a restart: never load unverified bytes
    Event e = VerifyForLoad(job);
    if (e != Event::kOk) return e;
  }
  const std::int64_t start = deps_.clock.NowMs();
  auto st = engine_.Load(job.module_name, job.replace, verified_->module_fd.get());
  verified_.reset();
  if (!st && st.error().code == ErrorCode::kConflict) {
    // Another module holds the name: the operator's to clear, not the
    // patch's fault; applied at a later check-in once it is gone.
    ReportFault(job, st.error().message);
    return Event::kFailed;
  }
  if (!st) {
    Fail(job, "failed", st.error().message);
    return Event::kFailed;
  }
  job.timings_ms["load"] = deps_.clock.NowMs() - start;
  return Event::kOk;
}

Event Updater::DoAwaitTransition(Job& job) {
  auto outcome = engine_.AwaitTransition(job.module_name, true);
  if (!outcome) {
    Fail(job, "failed", outcome.error().message);
    return Event::kFailed;
  }
  job.timings_ms["transition"] = outcome->elapsed_ms;
  if (outcome->finished) return Event::kOk;
  job.blocking_tasks = outcome->blocking_tasks;
  Fail(job, "stalled", "transition of " + job.module_name + " did not finish within " +
                           std::to_string(deps_.config.transition_timeout_s) + " s; reversed");
  return Event::kStalled;
}

Event Updater::DoCommit(Job& job) {
  std::vector<PatchRecord> before = state_.Applied(deps_.identity.build_id);
  std::erase_if(before, [&](const PatchRecord& r) { return r.patch_id == job.patch_id && r.version == job.version; });
  std::vector<std::string> unloaded;
  if (job.replace) unloaded = engine_.UnloadReplaced(job.module_name, before);
  for (const auto& old : before) {
    // An atomic-replace patch frees every other patch; mark those records even
    // when their module was already unloaded before a crash.
    if (job.replace && !deps_.kernel.ReadPatchState(old.module_name)) {
      PatchRecord r = old;
      r.state = "replaced";
      r.updated = deps_.clock.WallNow();
      state_.Record(r);
    }
  }
  auto meta = cache_.LoadMetadata(job.sha256);
  auto verified = meta ? VerifyMetadata(*meta, deps_.root_key, deps_.clock.WallNow(), state_.keys_version)
                       : Expected<VerifiedMetadata>(meta.error());
  PatchRecord rec{job.patch_id, job.version, deps_.identity.build_id, job.sha256, job.module_name,
                  job.replace, "applied", {}, "", deps_.clock.WallNow()};
  if (verified) {
    rec.cves = verified->manifest.cves;
    rec.description = verified->manifest.description;
  }
  state_.Record(rec);
  if (auto st = SaveState(); !st) {
    Fail(job, "failed", st.error().message);  // cannot remember it: Report still tells the portal
    return Event::kOk;
  }
  job.result = "applied";
  job.error.clear();
  return Event::kOk;
}

Event Updater::DoRollback(Job& job) {
  if (job.module_name.empty()) return Event::kOk;  // nothing ever reached the kernel
  auto outcome = engine_.Reverse(job.module_name);
  if (!outcome) {
    job.error += (job.error.empty() ? "" : "; ") + outcome.error().WithContext("reversing").message;
    if (job.result.empty() || job.action == "revert") job.result = "failed";
    return Event::kFailed;
  }
  if (!outcome->finished) {
    // Reversal stuck too: leave the module loaded, never write `force`.
    job.blocking_tasks = outcome->blocking_tasks;
    job.error += (job.error.empty() ? "" : "; ") + std::string("reversal did not finish; module left loaded");
    if (job.action == "revert") job.result = "failed";
    return Event::kFailed;
  }
  if (job.action == "revert") job.result = "reverted";
  return Event::kOk;
}

}  // namespace lp::patchd
