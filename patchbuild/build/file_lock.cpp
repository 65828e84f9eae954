#include "patchbuild/build/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstring>

namespace lp::patchbuild::tree {

Expected<FileLock> FileLock::Lock(const std::filesystem::path& path, bool wait) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid())
    return MakeError(ErrorCode::kIo, "opening lock " + path.string() + ": " + std::strerror(errno));
  int op = LOCK_EX | (wait ? 0 : LOCK_NB);
  while (::flock(fd.get(), op) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK)
      return MakeError(ErrorCode::kConflict, path.string() + " is locked by another build");
    return MakeError(ErrorCode::kIo, "locking " + path.string() + ": " + std::strerror(errno));
  }
  return FileLock(std::move(fd), path);
}

Expected<FileLock> FileLock::Acquire(const std::filesystem::path& path) { return Lock(path, true); }

Expected<FileLock> FileLock::TryAcquire(const std::filesystem::path& path) {
  return Lock(path, false);
}

}  // namespace lp::patchbuild::tree
