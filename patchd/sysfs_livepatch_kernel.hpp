// The real kernel: finit_module(2)/delete_module(2) and the livepatch sysfs
// tree under paths.sysfs_root. Needs CAP_SYS_MODULE for load/unload.
#pragma once

#include "common/system_paths.hpp"
#include "patchd/livepatch_kernel.hpp"

namespace lp::patchd {

class SysfsLivepatchKernel final : public LivepatchKernel {
 public:
  explicit SysfsLivepatchKernel(SystemPaths paths) : paths_(std::move(paths)) {}

  Status LoadModule(int fd, const LoadParams& params) override;
  Status UnloadModule(const std::string& module_name) override;
  Expected<std::vector<std::string>> ListPatches() override;
  Expected<PatchState> ReadPatchState(const std::string& name) override;
  Status SetEnabled(const std::string& name, bool enabled) override;
  Status Probe() override;
  Expected<bool> LoadedModuleMatches(const std::string& module_name, std::string_view module_bytes) override;

 private:
  SystemPaths paths_;
};

}  // namespace lp::patchd
