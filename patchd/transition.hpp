// Bounded waiting for a livepatch transition, as the kernel selftests do
// (poll `transition` until 0 or a deadline), and naming the tasks that hold it
// up when it does not finish.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "patchd/clock.hpp"
#include "patchd/livepatch_kernel.hpp"

namespace lp::patchd {

struct TransitionWait {
  bool finished = false;        // transition reached 0 (or the patch was freed)
  bool patch_gone = false;      // the patch directory disappeared (disabled and freed)
  std::int64_t elapsed_ms = 0;
};

// Polls ReadPatchState(name) every poll_ms until transition is 0, the patch
// directory is gone, or timeout_ms passed. Never writes anything.
Expected<TransitionWait> WaitForTransition(LivepatchKernel& kernel, Clock& clock,
                                           const std::string& name, std::int64_t timeout_ms,
                                           std::int64_t poll_ms = 100);

// Tasks whose <procfs_root>/<pid>[/task/<tid>]/patch_state is neither -1 (no
// transition) nor target_state (1 when patching, 0 when unpatching), as
// "pid 123 comm foo: <stack, one line per frame joined by ' | '>". At most
// max_tasks entries; the stack is left out when it is not readable.
std::vector<std::string> FindBlockingTasks(const std::filesystem::path& procfs_root,
                                           int target_state, std::size_t max_tasks = 32);

}  // namespace lp::patchd
