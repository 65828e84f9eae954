#include "common/error.hpp"

namespace lp {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kParse: return "parse error";
    case ErrorCode::kVerification: return "verification failed";
    case ErrorCode::kPermission: return "permission denied";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kKernel: return "kernel error";
    case ErrorCode::kNetwork: return "network error";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kInternal: return "internal error";
    case ErrorCode::kNothingToDo: return "nothing to do";
  }
  return "unknown error";
}

}  // namespace lp
