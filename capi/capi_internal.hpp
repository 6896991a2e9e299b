// What every file of the C ABI shares (DuckDB's capi_internal.hpp): the handle structs, the error
// boundary, strings out, strict options in, the callbacks mapped onto the C++ operation callbacks.
// Argument mapping only: the logic is the library's (style.md).
#pragma once

#include "vbackup.h"

#include "vbackup/backup.hpp"
#include "vbackup/cluster.hpp"
#include "vbackup/error.hpp"
#include "vbackup/location.hpp"
#include "vbackup/restore.hpp"

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct vbk_location : vbackup::OpenedLocation {};

struct vbk_cluster {
  std::unique_ptr<vbackup::Cluster> cluster;
};

// The kind of a handle in the registry of live handles (below).
enum class HandleKind { location, cluster };

namespace vbackup::capi {

// Records the outcome of the call on this thread (message and status) and returns the status.
vbk_status fail(vbk_status code, std::string message);
vbk_status succeed();
const char* last_error_message();
vbk_status last_error_status();

// Runs f, mapping exceptions to a status and the thread's last error. Nothing thrown crosses into C.
template <typename F>
vbk_status guarded(F&& f) noexcept {
  try {
    succeed();
    vbk_status rc = f();
    return rc == VBK_OK ? succeed() : rc;
  } catch (const vbackup::Error& e) {
    return fail(static_cast<vbk_status>(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(VBK_ERROR, "out of memory");
  } catch (const std::exception& e) {
    return fail(VBK_ERROR, e.what());
  } catch (...) {
    return fail(VBK_ERROR, "unknown error");
  }
}

// A malloc'ed copy for the caller (released with vbk_free).
char* dup(std::string_view s);
// MarshalIndent-style JSON, keys in the order the value holds them.
std::string pretty(const json::value& v);

// The JSON object a caller passed, with only `allowed` keys: anything else is Error(invalid) naming
// the key and `what` ("backup options: unknown key \"compresion\" (compression, veleroNamespace)").
json::object parse_options(const char* text, std::string_view what, std::initializer_list<std::string_view> allowed);
json::object parse_object(const char* text, std::string_view what);
// Typed reads of one option (absent = nullopt); a wrong type is Error(invalid) naming "<what>: <key>".
std::optional<std::string> string_option(const json::object& o, std::string_view key, std::string_view what);
std::optional<std::vector<std::string>> strings_option(const json::object& o, std::string_view key, std::string_view what);
std::optional<std::int64_t> int_option(const json::object& o, std::string_view key, std::string_view what);
// "recordInCluster": "auto" (absent), "true"/true or "false"/false; anything else names `what`.
RecordInCluster record_option(const json::object& o, std::string_view what);

// The message of a failed operation: its outcome's, else (an outcome without one) the status's
// failureReason or validationErrors, so that vbk_last_error() is never "" after a failure.
template <class Status>
std::string outcome_message(const std::string& message, const Status& status, std::string_view what) {
  if (!message.empty()) return message;
  if (!status.failure_reason.empty()) return std::string(what) + ": " + status.failure_reason;
  std::string joined;
  for (const auto& e : status.validation_errors) joined += (joined.empty() ? "" : "; ") + e;
  if (!joined.empty()) return std::string(what) + ": " + joined;
  return std::string(what) + ": failed (phase " + status.phase + ")";
}

// The caller's callbacks read as far as their version goes (a version 1 struct has no `plan`; the
// fields it lacks read as NULL); none when `callbacks` is NULL. Error(invalid) for an unknown version.
vbk_callbacks read_callbacks(const vbk_callbacks* callbacks);

// The C callbacks as the C++ operation callbacks: progress, log, the item hook; a restore's plan.
void map_callbacks(const vbk_callbacks* callbacks, BackupOptions& options);
void map_callbacks(const vbk_callbacks* callbacks, RestoreOptions& options);

// Live handles (vbackup.h 2): every handle from an *_open is registered until its *_close, so a
// closed, freed or foreign pointer is VBK_EINVALID naming the argument instead of undefined
// behaviour. Always active, in every build type: a lookup under a mutex per call, nothing next to
// the cost of a call, and no read of the handle's memory (so AddressSanitizer builds see no
// use-after-free either). The one hole: an address reused by a later open is live again.
void register_handle(const void* handle, HandleKind kind);
// False when `handle` was not live (a second close, or never opened).
bool unregister_handle(const void* handle);
bool live_handle(const void* handle, HandleKind kind);

// The argument checks of VBK_REQUIRE: non-NULL, and a live handle of its kind.
vbk_status require(const char* func, const char* name, const void* p);
vbk_status require(const char* func, const char* name, const vbk_location* p);
vbk_status require(const char* func, const char* name, const vbk_cluster* p);

}  // namespace vbackup::capi

// `arg` must not be NULL (vbackup.h 4); a handle must also be open. Returns the failure.
#define VBK_REQUIRE(arg) \
  if (vbk_status vbk_require_rc_ = ::vbackup::capi::require(__func__, #arg, arg); vbk_require_rc_ != VBK_OK) \
  return vbk_require_rc_
// A handle that "may be NULL": checked when given.
#define VBK_OPTIONAL_HANDLE(arg) \
  if (vbk_status vbk_require_rc_ = (arg) ? ::vbackup::capi::require(__func__, #arg, arg) : VBK_OK; \
      vbk_require_rc_ != VBK_OK)                                                                    \
  return vbk_require_rc_
