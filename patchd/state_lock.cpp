#include "patchd/state_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstring>

#include "common/file_util.hpp"

namespace lp::patchd {

Expected<StateLock> StateLock::Acquire(const std::filesystem::path& state_dir, Clock& clock,
                                       std::int64_t timeout_ms) {
  LP_TRY(MakeDirs(state_dir));
  std::filesystem::path path = state_dir / "lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return MakeError(ErrorCode::kIo, "opening " + path.string() + ": " + std::strerror(errno));
  const std::int64_t deadline = clock.NowMs() + timeout_ms;
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      return MakeError(ErrorCode::kIo, "locking " + path.string() + ": " + std::strerror(errno));
    if (clock.NowMs() >= deadline)
      return MakeError(ErrorCode::kTimeout, path.string() + " is held by another patchd/patchctl");
    clock.SleepMs(100);
  }
  return StateLock(std::move(fd));
}

}  // namespace lp::patchd
