#include "patchd/sysfs_livepatch_kernel.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_util.hpp"
#include "common/identity.hpp"
#include "patchd/patch_tree.hpp"

namespace lp::patchd {
namespace {

Error KernelErrno(const std::string& what, int err) {
  ErrorCode code = err == EPERM || err == EACCES ? ErrorCode::kPermission
                   : err == ENOENT               ? ErrorCode::kNotFound
                   : err == EEXIST               ? ErrorCode::kConflict
                                                 : ErrorCode::kKernel;
  return MakeError(code, what + ": " + std::strerror(err));
}

}  // namespace

Status SysfsLivepatchKernel::LoadModule(int fd, const LoadParams& params) {
  // glibc 2.36 has no wrapper for finit_module; the raw syscall takes the fd
  // we verified, so the kernel reads exactly the bytes we checked.
  if (::syscall(SYS_finit_module, fd, params.args.c_str(), 0) != 0)
    return KernelErrno("finit_module " + params.module_name, errno);
  return Ok();
}

Status SysfsLivepatchKernel::UnloadModule(const std::string& module_name) {
  // O_NONBLOCK: fail at once with EBUSY/EWOULDBLOCK instead of waiting for
  // users of the module to go away.
  if (::syscall(SYS_delete_module, module_name.c_str(), O_NONBLOCK) != 0)
    return KernelErrno("delete_module " + module_name, errno);
  return Ok();
}

Expected<std::vector<std::string>> SysfsLivepatchKernel::ListPatches() {
  return ListPatchDirs(paths_.LivepatchDir());
}

Expected<PatchState> SysfsLivepatchKernel::ReadPatchState(const std::string& name) {
  return ReadPatchDir(paths_.LivepatchDir(), name);
}

Status SysfsLivepatchKernel::SetEnabled(const std::string& name, bool enabled) {
  return WriteIntAttribute(paths_.LivepatchDir() / name / "enabled", enabled ? 1 : 0);
}

Expected<bool> SysfsLivepatchKernel::LoadedModuleMatches(const std::string& module_name,
                                                         std::string_view module_bytes) {
  auto want = BuildIdFromElf(module_bytes);
  if (!want) return want.error().WithContext("build id of the patch module");
  // The kernel shows each note section of a loaded module as a file.
  const auto note = paths_.sysfs_root / "module" / module_name / "notes" / ".note.gnu.build-id";
  auto notes = ReadFile(note, 64u << 10);
  if (!notes) return notes.error().WithContext("build id of the loaded module " + module_name);
  auto have = BuildIdFromNotes(*notes);
  if (!have) return have.error().WithContext(note.string());
  return *have == *want;
}

Status SysfsLivepatchKernel::Probe() {
  std::error_code ec;
  if (!std::filesystem::is_directory(paths_.LivepatchDir(), ec))
    return MakeError(ErrorCode::kUnsupported,
                     "no " + paths_.LivepatchDir().string() + ": kernel built without CONFIG_LIVEPATCH");
  return Ok();
}

}  // namespace lp::patchd
