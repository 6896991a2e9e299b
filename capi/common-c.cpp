// The C ABI's conventions (vbackup.h 1–6): version, last error, strings, options, callbacks.
#include "capi_internal.hpp"

#include "vbackup/version.hpp"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <unordered_map>

namespace vbackup::capi {
namespace {

thread_local std::string last_error;
thread_local vbk_status last_code = VBK_OK;
// brief s3-docs: the HTTP answer behind the failure (vbk_last_error_http_status/_reason).
thread_local int last_http_status = 0;
thread_local std::string last_http_reason;

}  // namespace

vbk_status fail(vbk_status code, std::string message) {
  last_error = std::move(message);
  last_code = code;
  last_http_status = 0;
  last_http_reason.clear();
  // guarded() calls this from its catch handlers: the Error being handled carries the HTTP answer,
  // if one arrived (vbackup::Error::http_status), so every call site keeps its one-line fail().
  if (std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const Error& e) {
      last_http_status = e.http_status();
      last_http_reason = e.http_reason();
    } catch (...) {
    }
  }
  return code;
}

const char* last_error_message() { return last_error.c_str(); }

namespace {

std::mutex handles_mu;
std::unordered_map<const void*, HandleKind>& handles() {
  static auto* h = new std::unordered_map<const void*, HandleKind>();  // never destroyed: handles may outlive main
  return *h;
}

const char* kind_name(HandleKind k) { return k == HandleKind::location ? "vbk_location" : "vbk_cluster"; }

vbk_status require_handle(const char* func, const char* name, const void* p, HandleKind kind) {
  if (!p) return fail(VBK_EINVALID, std::string(func) + ": " + name + " must not be NULL");
  if (live_handle(p, kind)) return VBK_OK;
  return fail(VBK_EINVALID, std::string(func) + ": " + name + " is not an open " + kind_name(kind) +
                                " (used after " + kind_name(kind) + "_close, or never opened)");
}

}  // namespace

void register_handle(const void* handle, HandleKind kind) {
  std::lock_guard lock(handles_mu);
  handles()[handle] = kind;
}

bool unregister_handle(const void* handle) {
  std::lock_guard lock(handles_mu);
  return handles().erase(handle) > 0;
}

bool live_handle(const void* handle, HandleKind kind) {
  std::lock_guard lock(handles_mu);
  auto it = handles().find(handle);
  return it != handles().end() && it->second == kind;
}

vbk_status require(const char* func, const char* name, const void* p) {
  return p ? VBK_OK : fail(VBK_EINVALID, std::string(func) + ": " + name + " must not be NULL");
}
vbk_status require(const char* func, const char* name, const vbk_location* p) {
  return require_handle(func, name, p, HandleKind::location);
}
vbk_status require(const char* func, const char* name, const vbk_cluster* p) {
  return require_handle(func, name, p, HandleKind::cluster);
}
vbk_status last_error_status() { return last_code; }

vbk_status succeed() {
  last_error.clear();
  last_code = VBK_OK;
  last_http_status = 0;
  last_http_reason.clear();
  return VBK_OK;
}

char* dup(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

std::string pretty(const json::value& v) { return json::marshal(v, {.sort_keys = false, .indent = 2}); }

json::object parse_object(const char* text, std::string_view what) {
  auto v = json::parse(text, what);
  if (!v.is_object()) throw invalid_input(std::string(what) + ": expected a JSON object");
  return std::move(v.get_object());
}

json::object parse_options(const char* text, std::string_view what, std::initializer_list<std::string_view> allowed) {
  if (!text) return {};
  json::object o = parse_object(text, what);
  for (const auto& kv : o) {
    std::string_view key = kv.key();
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (known) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    throw invalid_input(std::string(what) + ": unknown key \"" + std::string(key) + "\" (" + list + ")");
  }
  return o;
}

std::optional<std::string> string_option(const json::object& o, std::string_view key, std::string_view what) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw invalid_input(std::string(what) + ": " + std::string(key) + ": expected a string");
  return std::string(v->get_string());
}

std::optional<std::vector<std::string>> strings_option(const json::object& o, std::string_view key,
                                                       std::string_view what) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  const std::string where = std::string(what) + ": " + std::string(key);
  if (!v->is_array()) throw invalid_input(where + ": expected an array of strings");
  std::vector<std::string> out;
  for (const auto& e : v->get_array()) {
    if (!e.is_string()) throw invalid_input(where + ": expected an array of strings");
    out.emplace_back(e.get_string());
  }
  return out;
}

std::optional<std::int64_t> int_option(const json::object& o, std::string_view key, std::string_view what) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (!v->is_int64()) throw invalid_input(std::string(what) + ": " + std::string(key) + ": expected an integer");
  return v->as_int64();
}

RecordInCluster record_option(const json::object& o, std::string_view what) {
  const json::value* v = o.if_contains("recordInCluster");
  if (!v) return RecordInCluster::automatic;
  if (v->is_bool()) return v->get_bool() ? RecordInCluster::always : RecordInCluster::never;
  if (!v->is_string()) throw invalid_input(std::string(what) + ": recordInCluster: expected \"auto\", true or false");
  return parse_record_in_cluster(v->get_string(), std::string(what) + ": recordInCluster");
}

namespace {

// The bytes of a version 1 struct: everything up to and including `user` (vbackup.h).
constexpr std::size_t callbacks_v1_size = offsetof(vbk_callbacks, user) + sizeof(void*);

}  // namespace

vbk_callbacks read_callbacks(const vbk_callbacks* callbacks) {
  vbk_callbacks cb{};
  if (!callbacks) return cb;
  unsigned version = 0;
  std::memcpy(&version, callbacks, sizeof version);
  switch (version) {
    case 1:
      std::memcpy(&cb, callbacks, callbacks_v1_size);  // never read past a version 1 struct
      break;
    case 2:
      cb = *callbacks;
      break;
    default:
      throw invalid_input("callbacks: version " + std::to_string(version) + " is not known (this library knows 1 to " +
                          std::to_string(VBK_CALLBACKS_VERSION) + "; initialise with VBK_CALLBACKS_INIT)");
  }
  return cb;
}

namespace {

// Calls the C item hook with `item`; the answer to apply, if the hook gave one. Non-zero cancels.
std::optional<json::object> call_item_hook(const vbk_callbacks& cb, const json::object& item) {
  std::string in = json::marshal(item);
  char* result = nullptr;
  int rc = cb.item(cb.user, in.c_str(), &result);
  std::unique_ptr<char, decltype(&std::free)> owned(result, &std::free);
  if (rc != 0) throw Error(ErrorCode::cancelled, "cancelled by the item callback");
  if (!result) return std::nullopt;
  json::object answer = parse_object(result, "item callback result");
  // {"error": "why"} fails this item (recorded in the results, the operation goes on: PartiallyFailed),
  // as a BackupItemAction/RestoreItemAction returning an error does; a binding's exception becomes it.
  if (const json::value* e = answer.if_contains("error")) {
    if (!e->is_string()) throw invalid_input("item callback result: error: expected a string");
    throw Error(ErrorCode::generic, "item callback: " + std::string(e->get_string()));
  }
  return answer;
}

template <class Options>
void map_log(const vbk_callbacks& cb, Options& options) {
  if (!cb.log) return;
  options.on_log = [cb](std::string_view level, std::string_view line) {
    cb.log(cb.user, std::string(level).c_str(), std::string(line).c_str());
  };
}

}  // namespace

void map_callbacks(const vbk_callbacks* callbacks, BackupOptions& options) {
  const vbk_callbacks cb = read_callbacks(callbacks);
  if (cb.progress) {
    options.on_progress = [cb](const BackupProgress& p) {
      return cb.progress(cb.user, p.items_backed_up, p.total_items, p.bytes_written) == 0;
    };
  }
  map_log(cb, options);
  if (cb.item) {
    options.on_item = [cb](BackupItem& item) {
      if (auto answer = call_item_hook(cb, item.to_json())) item.apply_json(*answer, "item callback result");
    };
  }
}

void map_callbacks(const vbk_callbacks* callbacks, RestoreOptions& options) {
  const vbk_callbacks cb = read_callbacks(callbacks);
  if (cb.progress) {
    options.on_progress = [cb](const RestoreProgress& p) {
      return cb.progress(cb.user, p.items_restored, p.total_items, 0) == 0;
    };
  }
  map_log(cb, options);
  if (cb.item) {
    options.on_item = [cb](RestoreItem& item) {
      if (auto answer = call_item_hook(cb, item.to_json())) item.apply_json(*answer, "item callback result");
    };
  }
  if (cb.plan) {
    options.on_plan = [cb](const RestorePlanItem& p) { cb.plan(cb.user, json::marshal(p.to_json()).c_str()); };
  }
}

}  // namespace vbackup::capi

using namespace vbackup::capi;

extern "C" {

const char* vbk_version(void) { return vbackup::version(); }

const char* vbk_last_error(void) { return last_error_message(); }

vbk_status vbk_last_error_code(void) { return last_error_status(); }

int vbk_last_error_http_status(void) { return last_http_status; }

const char* vbk_last_error_reason(void) { return last_http_reason.c_str(); }

void vbk_free(void* p) { std::free(p); }

vbk_status vbk_callbacks_init(vbk_callbacks* callbacks, unsigned version) {
  VBK_REQUIRE(callbacks);
  if (version < 1 || version > VBK_CALLBACKS_VERSION) {
    return fail(VBK_EINVALID, "vbk_callbacks_init: version " + std::to_string(version) + " is not known (this "
                              "library knows 1 to " + std::to_string(VBK_CALLBACKS_VERSION) + ")");
  }
  vbk_callbacks init = VBK_CALLBACKS_INIT;
  init.version = version;
  // Only the fields of that version: a version 1 struct ends after `user`.
  std::memcpy(callbacks, &init, version == 1 ? callbacks_v1_size : sizeof init);
  return succeed();
}

}  // extern "C"
