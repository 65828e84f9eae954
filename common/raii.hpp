// RAII owners for the C handles the project uses. One header so every
// component frees libelf, OpenSSL, curl and fd resources the same way.
#pragma once

#include <unistd.h>

#include <memory>
#include <utility>

namespace lp {

// Calls F(p) when a unique_ptr<T, CDeleter<F>> lets go of a non-null p.
template <auto F>
struct CDeleter {
  template <class T>
  void operator()(T* p) const noexcept {
    if (p) F(p);
  }
};

template <class T, auto F>
using CPtr = std::unique_ptr<T, CDeleter<F>>;

// An owned file descriptor. Move-only; closes on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace lp
