// A livepatch "kernel" made of files, for unit tests and the fleet simulator.
// Under root (a fake sysfs root) it keeps the same layout the real kernel
// shows, so the real sysfs parser reads it:
//   root/kernel/livepatch/<name>/{enabled,transition,replace}, <object>/<fn>,<sympos>/
//   root/module/<name>/                      one directory per loaded module
//   root/module/<name>/.sha256               the fake's identity of what it loaded
// State lives in the files, so a restarted patchd (or patchctl in another
// process) sees what an earlier instance loaded. Scripts (transition delays,
// injected errors) live in the instance.
//
// Modules are either real ELF .ko files (name from .modinfo) or one text line
//   fake-livepatch name=lp_a [replace=0|1] [funcs=vmlinux:cmdline_proc_show,...]
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "patchd/livepatch_kernel.hpp"

namespace lp::patchd {

struct FakeScript {
  int transition_polls = 0;  // ReadPatchState calls that still see transition=1 after load; -1: forever
  int disable_polls = 0;     // same after enabled is written 0 (disable or reversal); -1: forever
  int load_errno = 0;        // LoadModule fails with this errno (e.g. EPERM)
  int unload_errno = 0;      // UnloadModule fails with this errno
};

class FakeLivepatchKernel final : public LivepatchKernel {
 public:
  explicit FakeLivepatchKernel(std::filesystem::path root, bool livepatch_supported = true);

  Status LoadModule(int fd, const LoadParams& params) override;
  Status UnloadModule(const std::string& module_name) override;
  Expected<std::vector<std::string>> ListPatches() override;
  Expected<PatchState> ReadPatchState(const std::string& name) override;
  Status SetEnabled(const std::string& name, bool enabled) override;
  Status Probe() override;
  Expected<bool> LoadedModuleMatches(const std::string& module_name, std::string_view module_bytes) override;

  // Script for one module name, or (empty name) the default for all.
  void SetScript(const std::string& module_name, FakeScript script);
  // Modules currently "loaded" (root/module/*), sorted.
  std::vector<std::string> LoadedModules() const;
  // Every call made, in order: "load lp_a", "enable lp_a 0", "unload lp_a" ...
  const std::vector<std::string>& calls() const { return calls_; }
  const std::filesystem::path& root() const { return root_; }

  // The text module format above, for tests and the simulator.
  static std::string MakeTextModule(const std::string& name, bool replace = true,
                                    const std::string& funcs = "vmlinux:cmdline_proc_show");

 private:
  std::filesystem::path PatchDir(const std::string& name) const;
  const FakeScript& ScriptFor(const std::string& name) const;
  Status CreatePatchTree(const std::string& name, bool replace, const std::string& funcs);
  // Ends a transition: a disabled patch is freed, a replacing one frees the others.
  Status CompleteTransition(const std::string& name);

  std::filesystem::path root_;
  bool supported_;
  std::map<std::string, FakeScript> scripts_;
  std::map<std::string, int> polls_left_;
  std::vector<std::string> calls_;
};

}  // namespace lp::patchd
