#include "common/file_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace lp {
namespace {

Error ErrnoError(const std::string& what, int err) {
  ErrorCode code = err == ENOENT ? ErrorCode::kNotFound
                   : (err == EACCES || err == EPERM) ? ErrorCode::kPermission
                                                     : ErrorCode::kIo;
  return MakeError(code, what + ": " + std::strerror(err));
}

Status WriteAll(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("writing " + what, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Ok();
}

}  // namespace

Expected<UniqueFd> OpenReadOnly(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("opening " + path.string(), errno);
  return UniqueFd(fd);
}

Expected<std::string> ReadFd(int fd, std::size_t max_size) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("reading", errno);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_size)
      return MakeError(ErrorCode::kInvalidArgument,
                       "input larger than " + std::to_string(max_size) + " bytes");
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Expected<std::string> ReadFile(const std::filesystem::path& path, std::size_t max_size) {
  auto fd = OpenReadOnly(path);
  if (!fd) return fd.error();
  auto data = ReadFd(fd->get(), max_size);
  if (!data) return data.error().WithContext(path.string());
  return data;
}

Status MakeDirs(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return MakeError(ErrorCode::kIo, "creating " + path.string() + ": " + ec.message());
  return Ok();
}

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data, unsigned mode) {
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) return ErrnoError("creating " + tmp.string(), errno);
  if (auto st = WriteAll(fd.get(), data, tmp.string()); !st) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (::fsync(fd.get()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("fsync " + tmp.string(), err);
  }
  fd.Reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("renaming " + tmp.string() + " to " + path.string(), err);
  }
  std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.valid()) ::fsync(dfd.get());  // best effort: some filesystems refuse
  return Ok();
}

}  // namespace lp
