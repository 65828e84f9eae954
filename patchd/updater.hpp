// The persisted, table-driven apply state machine (shape after mender's
// daemon): Idle -> Poll -> Download -> Verify -> Load -> AwaitTransition ->
// Commit | Rollback -> Report -> Idle. The job is journaled (atomic write)
// before each state's work; Recover() resumes a journaled job after a crash,
// and every state's work is idempotent, so a kill -9 anywhere converges.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/crypto.hpp"
#include "common/identity.hpp"
#include "patchd/apply_engine.hpp"
#include "patchd/checkin_answer.hpp"
#include "patchd/clock.hpp"
#include "patchd/config.hpp"
#include "patchd/device_state.hpp"
#include "patchd/journal.hpp"
#include "patchd/kernel_log.hpp"
#include "patchd/livepatch_kernel.hpp"
#include "patchd/patch_cache.hpp"
#include "patchd/patch_verify.hpp"
#include "patchd/portal_api.hpp"

namespace lp::patchd {

enum class Event { kOk, kNothingToDo, kFailed, kStalled, kRevert };

// Where a test may "kill" the machine: right after the journal names a state
// (before its side effect), or right after the side effect (before the next
// journal write).
enum class CrashPoint { kBeforeEffect, kAfterEffect };
using CrashHook = std::function<bool(StepState, CrashPoint)>;

// Everything the machine works with. References must outlive the Updater;
// portal may be null (offline use from patchctl: reports are queued).
struct UpdaterDeps {
  const Config& config;
  LivepatchKernel& kernel;
  Clock& clock;
  PortalApi* portal;
  const Ed25519Key& root_key;
  KernelIdentity identity;
  KernelLogReader kernel_log;  // may be empty: reports then carry no dmesg lines
};

// <procfs_root>/sys/kernel/random/boot_id, "" when unreadable.
std::string ReadBootId(const SystemPaths& paths);

// Returned by Run when a CrashHook stopped the machine.
inline constexpr const char* kCrashInjected = "crash injected";

class Updater {
 public:
  explicit Updater(UpdaterDeps deps);

  // Runs job from job.state until Idle; returns the job as it was when it
  // reached Idle (result, error, timings). Not thread-safe.
  Expected<Job> Run(Job job);
  // Resumes the journaled job, if any (when the journal says idle it only
  // reloads the device state).
  Expected<Job> Recover();
  // Re-reads state.json into state().
  Status LoadState();

  void set_crash_hook(CrashHook hook) { crash_hook_ = std::move(hook); }
  // The device state as last saved.
  const DeviceState& state() const { return state_; }
  // True when the last Poll failed to talk to the portal (the daemon backs off).
  bool checkin_failed() const { return checkin_failed_; }

  static StepState Next(StepState from, Event on);

 private:
  Event Step(Job& job);
  Event DoPoll(Job& job);
  Event DoDownload(Job& job);
  Event DoVerify(Job& job);
  Event DoLoad(Job& job);
  Event DoAwaitTransition(Job& job);
  Event DoCommit(Job& job);
  Event DoRollback(Job& job);
  Event DoReport(Job& job);

  // Poll helpers (updater_poll.cpp).
  Status EnsureEnrolled();
  Event ChooseOffer(Job& job, const CheckinAnswer& answer);
  // The verified manifest when the offer is a candidate; refusals are
  // recorded and queued for the portal.
  std::optional<Manifest> EvaluateOffer(const OfferedPatch& offer, const CachedMetadata& meta);
  // Verification right before load; refusals fill job.result/error.
  Event VerifyForLoad(Job& job);
  // A fault of the transport, the metadata or the cache, not a verdict on
  // the patch version: reported (result "refused"), kept in last_error,
  // recorded nowhere, so a later check-in tries again. Leaves job with no
  // result and the error.
  void ReportFault(Job& job, const std::string& error);
  // After a check-in accepted a newer keys document: remember its version
  // and pair every cached patch that still verifies under it with it, so
  // --apply-cached (which refuses older documents) keeps working.
  void AdoptKeysDocument(const CheckinAnswer& answer);
  void QueueReport(const Job& job);
  std::vector<std::string> Dmesg(const Job& job) const;
  void FlushReports();
  Status SaveState();
  void Fail(Job& job, const std::string& result, const std::string& error);

  UpdaterDeps deps_;
  PatchCache cache_;
  ApplyEngine engine_;
  DeviceState state_;
  std::optional<VerifiedPatch> verified_;
  CrashHook crash_hook_;
  bool checkin_failed_ = false;
};

}  // namespace lp::patchd
