#include "patchd/apply_engine.hpp"

#include <unistd.h>

#include "common/bundle.hpp"
#include "common/file_util.hpp"
#include "patchd/transition.hpp"

namespace lp::patchd {

Status ApplyEngine::CheckApplicable(const Manifest& m, const KernelIdentity& running,
                                    const DeviceState& state) const {
  if (m.target.build_id != running.build_id)
    return MakeError(ErrorCode::kVerification, "patch is for build id " + m.target.build_id +
                                                   ", this kernel is " + running.build_id);
  if (m.target.arch != running.arch)
    return MakeError(ErrorCode::kVerification,
                     "patch is for arch " + m.target.arch + ", this kernel is " + running.arch);
  if (m.target.release != running.release)
    return MakeError(ErrorCode::kVerification, "patch is for release " + m.target.release +
                                                   ", this kernel is " + running.release);
  auto it = state.highest_version.find(StreamKey(m.patch_id, m.target.build_id));
  if (it != state.highest_version.end() && m.version < it->second)
    return MakeError(ErrorCode::kConflict, "rollback refused: " + m.patch_id + " version " +
                                               std::to_string(m.version) + " is lower than applied version " +
                                               std::to_string(it->second));
  return Ok();
}

Status ApplyEngine::CheckLoadedIsThisModule(const std::string& module_name, int fd) {
  if (::lseek(fd, 0, SEEK_SET) != 0) return MakeError(ErrorCode::kIo, "rewinding the module fd");
  auto bytes = ReadFd(fd, kMaxBundleBytes);
  if (::lseek(fd, 0, SEEK_SET) != 0) return MakeError(ErrorCode::kIo, "rewinding the module fd");
  if (!bytes) return bytes.error().WithContext("reading the module");
  auto same = kernel_.LoadedModuleMatches(module_name, *bytes);
  if (same && *same) return Ok();
  const std::string why = same ? "it is not the module this patch carries" : same.error().message;
  return MakeError(ErrorCode::kConflict, "another module named " + module_name + " is already loaded (" + why +
                                             "): disable it (echo 0 > /sys/kernel/livepatch/" + module_name +
                                             "/enabled), unload it (rmmod " + module_name + ") and apply again");
}

Status ApplyEngine::Load(const std::string& module_name, bool replace, int fd) {
  // Resuming after a crash: the module may already be in. Someone else's
  // module of the same name is not ours to count as applied.
  if (kernel_.ReadPatchState(module_name)) return CheckLoadedIsThisModule(module_name, fd);
  LoadParams params{module_name, "", replace};
  auto st = kernel_.LoadModule(fd, params);
  if (st || st.error().code != ErrorCode::kConflict) return st;
  // The module is loaded but registers no patch: a disable that was never
  // followed by delete_module, or an interrupted load. If it is ours, remove
  // it and load again; never unload someone else's.
  LP_TRY(CheckLoadedIsThisModule(module_name, fd));
  LP_TRY(kernel_.UnloadModule(module_name));
  return kernel_.LoadModule(fd, params);
}

Expected<TransitionOutcome> ApplyEngine::AwaitTransition(const std::string& module_name,
                                                         bool enabling) {
  auto wait = WaitForTransition(kernel_, clock_, module_name, options_.transition_timeout_ms,
                                options_.poll_ms);
  if (!wait) return wait.error();
  TransitionOutcome out{wait->finished, wait->elapsed_ms, {}};
  if (enabling && wait->patch_gone) {
    out.finished = false;  // loaded, then freed: it is not in effect
    return out;
  }
  if (!out.finished) out.blocking_tasks = FindBlockingTasks(paths_.procfs_root, enabling ? 1 : 0);
  return out;
}

Expected<TransitionOutcome> ApplyEngine::Reverse(const std::string& module_name) {
  TransitionOutcome out{true, 0, {}};
  auto state = kernel_.ReadPatchState(module_name);
  if (state && state->enabled) {
    // Writing 0 during a transition reverses it; after one, it disables.
    LP_TRY(kernel_.SetEnabled(module_name, false));
  }
  if (state) {
    auto wait = AwaitTransition(module_name, false);
    if (!wait) return wait.error();
    out = *wait;
    if (!out.finished) return out;  // stuck: leave it loaded, never force
  }
  if (auto st = kernel_.UnloadModule(module_name); !st && st.error().code != ErrorCode::kNotFound)
    return st.error();
  return out;
}

std::vector<std::string> ApplyEngine::UnloadReplaced(const std::string& new_module,
                                                     const std::vector<PatchRecord>& previously_applied) {
  std::vector<std::string> unloaded;
  for (const auto& old : previously_applied) {
    if (old.module_name == new_module || old.module_name.empty()) continue;
    // The kernel freed the replaced patch; only the module is left.
    if (kernel_.ReadPatchState(old.module_name)) continue;  // not replaced (replace=false)
    if (kernel_.UnloadModule(old.module_name)) unloaded.push_back(old.module_name);
  }
  return unloaded;
}

}  // namespace lp::patchd
