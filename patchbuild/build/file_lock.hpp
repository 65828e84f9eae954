// An exclusive flock(2) on a lock file, held for the object's lifetime. The
// kernel drops it when the process dies, so a crashed build never leaves a
// tree locked forever (unlike a pid file).
#pragma once

#include <filesystem>

#include "common/error.hpp"
#include "common/raii.hpp"

namespace lp::patchbuild::tree {

class FileLock {
 public:
  FileLock() = default;
  // Blocks until the lock is ours; creates the file if needed.
  static Expected<FileLock> Acquire(const std::filesystem::path& path);
  // Returns a kConflict error instead of waiting when another process holds it.
  static Expected<FileLock> TryAcquire(const std::filesystem::path& path);

  bool held() const { return fd_.valid(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  FileLock(UniqueFd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}
  static Expected<FileLock> Lock(const std::filesystem::path& path, bool wait);

  UniqueFd fd_;  // closing it releases the lock
  std::filesystem::path path_;
};

}  // namespace lp::patchbuild::tree
