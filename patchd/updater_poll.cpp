// The Poll state: enroll if needed, check in, verify the answer, pick what to do.
#include <unistd.h>

#include "patchd/checkin_answer.hpp"
#include "patchd/kill_switch.hpp"
#include "patchd/patch_verify.hpp"
#include "patchd/updater.hpp"

namespace lp::patchd {
namespace {

std::string WireState(const std::string& state) {
  if (state == "stalled") return "failed";
  if (state == "replaced") return "reverted";
  return state;
}

std::string LocalHostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace

Status Updater::EnsureEnrolled() {
  if (!state_.credential.empty()) return Ok();
  if (deps_.config.enroll_token.empty())
    return MakeError(ErrorCode::kInvalidArgument, "not enrolled and no enroll_token in the config");
  std::string host = deps_.config.hostname.empty() ? LocalHostname() : deps_.config.hostname;
  auto enrolled = deps_.portal->Enroll(deps_.config.enroll_token, host, deps_.identity);
  if (!enrolled) return enrolled.error().WithContext("enroll");
  state_.device_id = enrolled->device_id;
  state_.credential = enrolled->credential;
  state_.group = enrolled->group;
  return SaveState();
}

Event Updater::DoPoll(Job& job) {
  if (!deps_.portal) {
    Fail(job, "", "no portal configured");
    return Event::kFailed;
  }
  checkin_failed_ = true;  // until the answer is in
  if (auto st = EnsureEnrolled(); !st) {
    Fail(job, "", st.error().message);
    return Event::kFailed;
  }
  FlushReports();
  CheckinRequest request{deps_.identity, {}, state_.last_error,
                         static_cast<int>(deps_.config.long_poll_s), state_.etag};
  for (const auto& r : state_.patches)
    if (r.build_id == deps_.identity.build_id) request.applied.push_back({r.patch_id, r.version, WireState(r.state)});
  auto response = deps_.portal->CheckIn(state_.credential, request);
  if (!response) {
    Fail(job, "", response.error().WithContext("check-in").message);
    return Event::kFailed;
  }
  checkin_failed_ = false;
  state_.last_checkin = deps_.clock.WallNow();
  if (response->not_modified) {
    (void)SaveState();
    return Event::kNothingToDo;
  }
  auto answer = VerifyCheckinAnswer(
      response->body, deps_.root_key,
      Freshness{state_.device_id, state_.last_issued, deps_.clock.WallNow(), state_.keys_version});
  if (!answer) {
    state_.last_error = answer.error().message;
    (void)SaveState();
    Fail(job, "", answer.error().message);
    return Event::kFailed;
  }
  state_.last_issued = answer->issued;
  state_.etag = response->etag;
  if (answer->poll_interval_s > 0) state_.poll_interval_s = answer->poll_interval_s;  // bounded by the parser
  AdoptKeysDocument(*answer);
  if (auto st = SaveState(); !st) {
    Fail(job, "", st.error().message);
    return Event::kFailed;
  }
  return ChooseOffer(job, *answer);
}

void Updater::AdoptKeysDocument(const CheckinAnswer& answer) {
  if (answer.keys_version <= state_.keys_version) return;
  state_.keys_version = answer.keys_version;
  for (const auto& sha : cache_.List()) {
    auto meta = cache_.LoadMetadata(sha);
    if (!meta || meta->keys_json == answer.keys_json) continue;
    CachedMetadata paired{meta->manifest_json, meta->manifest_sig, answer.keys_json, answer.keys_sig};
    // A patch whose key the new document dropped stays as it was (and is
    // refused at its next use): that is what revoking a key means.
    if (VerifyMetadata(paired, deps_.root_key, deps_.clock.WallNow(), answer.keys_version))
      (void)cache_.StoreMetadata(sha, paired);
  }
}

std::optional<Manifest> Updater::EvaluateOffer(const OfferedPatch& offer, const CachedMetadata& meta) {
  auto verified = VerifyMetadata(meta, deps_.root_key, deps_.clock.WallNow(), state_.keys_version);
  Job refusal = NewJob(StepState::kReport, "apply", "portal");
  if (!verified) {
    // Nothing of an unverified manifest is read (not even its id): it is
    // reported as a fault of the offer and blocks nothing.
    ReportFault(refusal, "offered manifest: " + verified.error().message);
    return std::nullopt;
  }
  Manifest& m = verified->manifest;
  if (const PatchRecord* seen = state_.Find(m.patch_id, m.version)) {
    // Dealt with already, except: recorded applied but not live (lost at
    // reboot and the cached copy was unusable), or reverted and offered again
    // (the portal re-released it; a patch that must stay out needs the kill
    // switch). Failed, stalled and refused versions wait for a new version.
    auto live = deps_.kernel.ReadPatchState(seen->module_name);
    bool lost = seen->state == "applied" && !(live && live->InEffect());
    if (!lost && seen->state != "reverted") return std::nullopt;
  }
  refusal.patch_id = m.patch_id;
  refusal.version = m.version;
  if (m.module_sha256 != offer.blob) {
    // The signed manifest is fine, the portal's pointer to its bytes is not:
    // not a verdict on the patch (the genuine offer must still apply later).
    ReportFault(refusal, "offer's blob hash " + offer.blob.substr(0, 64) + " differs from the manifest's " +
                             m.module_sha256 + "; offered again at the next check-in");
    return std::nullopt;
  }
  if (Status ok = engine_.CheckApplicable(m, deps_.identity, state_); !ok) {
    Fail(refusal, "refused", ok.error().message);
    // A verdict on the verified patch itself: remember it, report it once.
    state_.Record({m.patch_id, m.version, m.target.build_id, m.module_sha256, m.module_name,
                   m.replace, "refused", m.cves, m.description, deps_.clock.WallNow()});
    state_.last_error = ok.error().message;
    QueueReport(refusal);
    return std::nullopt;
  }
  return std::move(m);
}

Event Updater::ChooseOffer(Job& job, const CheckinAnswer& answer) {
  for (const auto& action : answer.actions) {
    if (action.type != "revert") continue;
    for (const auto& r : state_.Applied(deps_.identity.build_id)) {
      if (r.patch_id != action.patch_id) continue;
      job = NewJob(StepState::kPoll, "revert", "portal", r.patch_id, r.version, r.sha256, r.module_name, r.replace);
      return Event::kRevert;
    }
  }
  if (KillSwitchReason(deps_.config.paths)) return Event::kNothingToDo;
  std::optional<Manifest> best;
  CachedMetadata best_meta;
  for (const auto& offer : answer.patches) {
    CachedMetadata meta{offer.manifest_json, offer.manifest_sig, answer.keys_json, answer.keys_sig};
    auto m = EvaluateOffer(offer, meta);
    if (m && (!best || m->version > best->version)) {  // one patch per cycle: the newest
      best = std::move(m);
      best_meta = std::move(meta);
    }
  }
  (void)SaveState();
  FlushReports();
  if (!best) return Event::kNothingToDo;
  if (auto st = cache_.StoreMetadata(best->module_sha256, best_meta); !st) {
    Fail(job, "", st.error().message);
    return Event::kFailed;
  }
  job = NewJob(StepState::kPoll, "apply", "portal", best->patch_id, best->version, best->module_sha256,
               best->module_name, best->replace);
  return Event::kOk;
}

}  // namespace lp::patchd
