// The seam between patchd and the kernel's livepatch interface. Everything
// patchd does to a kernel goes through these seven calls, so unit tests and the
// fleet simulator run against FakeLivepatchKernel (a directory tree) while
// devices run SysfsLivepatchKernel (finit_module/delete_module + sysfs).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace lp::patchd {

struct LoadParams {
  std::string module_name;  // expected KBUILD_MODNAME (from the verified manifest)
  std::string args;         // module parameters for finit_module ("" usually)
  bool replace = true;      // atomic-replace patch (only the fake needs to be told)
};

struct PatchedFunctionState {
  std::string name;
  unsigned sympos = 0;
};

struct PatchedObjectState {
  std::string name;                    // "vmlinux" or a module name
  std::optional<bool> patched;         // <object>/patched, when the kernel has it
  std::vector<PatchedFunctionState> functions;
};

// One directory under <sysfs>/kernel/livepatch. A patch is in effect when
// enabled && !transition. Optional attributes are probed, never assumed.
struct PatchState {
  std::string name;
  bool enabled = false;
  bool transition = false;
  std::optional<bool> replace;
  std::optional<int> stack_order;
  std::vector<PatchedObjectState> objects;

  bool InEffect() const { return enabled && !transition; }
};

class LivepatchKernel {
 public:
  virtual ~LivepatchKernel() = default;

  // Loads the module from an fd the caller has already verified (the kernel
  // reads the same open file, so nobody can swap it after the check).
  virtual Status LoadModule(int fd, const LoadParams& params) = 0;
  // delete_module(2). kNotFound when the module is not loaded.
  virtual Status UnloadModule(const std::string& module_name) = 0;
  // Names of the patches under kernel/livepatch.
  virtual Expected<std::vector<std::string>> ListPatches() = 0;
  // kNotFound when the patch directory is gone (disabled and freed).
  virtual Expected<PatchState> ReadPatchState(const std::string& name) = 0;
  // Writes 1/0 to <name>/enabled. Never writes `force`.
  virtual Status SetEnabled(const std::string& name, bool enabled) = 0;
  // Does this kernel support livepatch at all (kUnsupported with why if not)?
  virtual Status Probe() = 0;
  // Is the module loaded under this name provably the one in module_bytes?
  // The real kernel compares GNU build ids (<sysfs>/module/<name>/notes/
  // .note.gnu.build-id against the file's note); an error says why it
  // cannot tell (not loaded, no build id), which callers treat as "no".
  virtual Expected<bool> LoadedModuleMatches(const std::string& module_name, std::string_view module_bytes) = 0;
};

}  // namespace lp::patchd
