#include "vbackup/error.hpp"

namespace vbackup {

const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::ok: return "ok";
    case ErrorCode::generic: return "error";
    case ErrorCode::invalid: return "invalid";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::already_exists: return "already_exists";
    case ErrorCode::storage: return "storage";
    case ErrorCode::kube: return "kube";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::io: return "io";
    case ErrorCode::unsupported: return "unsupported";
  }
  return "error";
}

}  // namespace vbackup
