// One exception type for the whole library. Its code is the same category the C ABI returns
// (capi/include/vbackup.h), and its message names the input and the problem, e.g.
// "backups/demo/velero-backup.json: status.phase: expected string".
#pragma once

#include <stdexcept>
#include <string>

namespace vbackup {

enum class ErrorCode : int {
  ok = 0,              // no error (an Outcome that succeeded; never thrown)
  generic = -1,        // anything without a better category
  invalid = -2,        // bad input: a spec, a selector, a manifest, an archive entry
  not_found = -3,      // a backup, object or key that does not exist
  already_exists = -4, // a backup name taken in the location, an object that exists
  storage = -5,        // the object store failed (I/O, HTTP, permissions)
  kube = -6,           // the Kubernetes API failed
  cancelled = -7,      // a callback asked to stop
  io = -8,             // local file system I/O
  unsupported = -9,    // a valid request we do not implement (say so, never guess)
};

// Stable lower-case name of a code ("invalid", "not_found", …) for messages and bindings.
const char* to_string(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

  // The HTTP answer behind the error, where one arrived (issue 15: "the Kubernetes HTTP status
  // where there is one"): its status code, 0 when the error came from no HTTP answer; and the
  // server's reason: the Kubernetes Status reason ("AlreadyExists", "Forbidden") or the object
  // store's error code ("NoSuchBucket", "AuthorizationFailure"), "" when it sent none.
  int http_status() const noexcept { return http_status_; }
  const std::string& http_reason() const noexcept { return http_reason_; }
  // Set where the answer is read (kube::error_from_response, the S3 and Azure stores).
  Error& with_http(int http_status, std::string reason) {
    http_status_ = http_status;
    http_reason_ = std::move(reason);
    return *this;
  }

 private:
  ErrorCode code_;
  int http_status_ = 0;
  std::string http_reason_;
};

// Shorthands that read well at the throw site: throw invalid_input("selector: …").
inline Error invalid_input(const std::string& message) { return Error(ErrorCode::invalid, message); }
inline Error not_found(const std::string& message) { return Error(ErrorCode::not_found, message); }
inline Error io_error(const std::string& message) { return Error(ErrorCode::io, message); }

}  // namespace vbackup
