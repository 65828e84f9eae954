// The kernel-facing steps of applying and reverting one patch. Each step is
// idempotent so the state machine can redo it after a crash. Policy lives
// here: identity and rollback checks, bounded transitions, reversal on stall,
// and `force` is never written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/identity.hpp"
#include "common/manifest.hpp"
#include "common/system_paths.hpp"
#include "patchd/clock.hpp"
#include "patchd/device_state.hpp"
#include "patchd/livepatch_kernel.hpp"

namespace lp::patchd {

struct ApplyOptions {
  std::int64_t transition_timeout_ms = 60'000;
  std::int64_t poll_ms = 100;
};

struct TransitionOutcome {
  bool finished = false;
  std::int64_t elapsed_ms = 0;
  std::vector<std::string> blocking_tasks;  // filled when it did not finish
};

class ApplyEngine {
 public:
  // kernel and clock must outlive the engine.
  ApplyEngine(LivepatchKernel& kernel, Clock& clock, SystemPaths paths, ApplyOptions options)
      : kernel_(kernel), clock_(clock), paths_(std::move(paths)), options_(options) {}

  // Target identity must equal the running kernel's (build id, arch, release),
  // and the version may not be lower than the highest applied of its stream.
  Status CheckApplicable(const Manifest& manifest, const KernelIdentity& running,
                         const DeviceState& state) const;

  // finit_module on the verified fd. A module of that name already in the
  // kernel counts as loaded only when it provably is this one
  // (LivepatchKernel::LoadedModuleMatches; a resumed job); any other is a
  // kConflict refusal naming it and telling the operator to unload it.
  Status Load(const std::string& module_name, bool replace, int fd);

  // Waits (bounded) for the patch to finish its transition. When it does
  // not, names the blocking tasks before anything else changes.
  Expected<TransitionOutcome> AwaitTransition(const std::string& module_name, bool enabling);

  // Disable, wait for the transition, delete_module. Safe to call on a patch
  // that is half loaded, already disabled or gone.
  Expected<TransitionOutcome> Reverse(const std::string& module_name);

  // After an atomic-replace patch is in effect the modules it replaced are
  // disabled but still loaded: unload them. Returns the names unloaded.
  std::vector<std::string> UnloadReplaced(const std::string& new_module,
                                          const std::vector<PatchRecord>& previously_applied);

  LivepatchKernel& kernel() { return kernel_; }

 private:
  Status CheckLoadedIsThisModule(const std::string& module_name, int fd);

  LivepatchKernel& kernel_;
  Clock& clock_;
  SystemPaths paths_;
  ApplyOptions options_;
};

}  // namespace lp::patchd
