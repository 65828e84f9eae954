// The one error model of fleetpatch: functions that can fail return
// Expected<T> (a value or an Error); no exception crosses a library boundary.
// Exceptions thrown by third-party APIs are caught at the call site and turned
// into an Error there. See docs/errors.md.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace lp {

// Broad classes of failure. Callers branch on these (e.g. a CLI picks its exit
// status, the portal picks an HTTP status); the message is for humans.
enum class ErrorCode {
  kInvalidArgument,   // caller passed something malformed (bad flag, bad JSON)
  kNotFound,          // a file, key, patch, device ... does not exist
  kIo,                // the OS refused a read/write/open
  kParse,             // input bytes are not in the expected format
  kVerification,      // signature, hash, expiry or identity check failed
  kPermission,        // caller is not allowed to do this
  kConflict,          // state does not allow it (already exists, rollback ...)
  kUnsupported,       // the kernel/arch/object cannot do this
  kKernel,            // the kernel refused (finit_module, sysfs write ...)
  kNetwork,           // transport failure talking to a peer
  kTimeout,           // a bounded wait ran out
  kInternal,          // a bug or an unexpected third-party failure
  kNothingToDo,       // the input asks for no change (a patch that changes no live function)
};

const char* ErrorCodeName(ErrorCode code);

struct [[nodiscard]] Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // Prefixes what the caller was doing: "reading bundle x.bundle: " + message.
  Error WithContext(const std::string& context) const {
    return Error{code, context + ": " + message};
  }
};

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

// Tag type so `return Unexpected(err)` reads like std::unexpected.
struct Unexpected {
  explicit Unexpected(Error e) : error(std::move(e)) {}
  Error error;
};

// A value of T or an Error. A tiny stand-in for C++23 std::expected (gcc 12
// in C++20 mode has none); only the operations the codebase uses.
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Expected(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
  Expected(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Expected<void>: success or an Error.
template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Unexpected u) : error_(std::move(u.error)), ok_(false) {}  // NOLINT
  Expected(Error e) : error_(std::move(e)), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Expected<void>;

inline Status Ok() { return Status{}; }

}  // namespace lp

// Propagate an error from an expression returning Expected<...>/Status.
#define LP_TRY(expr)                                   \
  do {                                                 \
    auto lp_try_result_ = (expr);                      \
    if (!lp_try_result_) return lp_try_result_.error(); \
  } while (0)
