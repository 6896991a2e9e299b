// The C ABI's conventions (vbackup.h 1–6): version, last error, strings, options, callbacks.
#include "capi_internal.hpp"

#include "vbackup/version.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace vbackup::capi {
namespace {

thread_local std::string last_error;
thread_local vbk_status last_code = VBK_OK;

}  // namespace

vbk_status fail(vbk_status code, std::string message) {
  last_error = std::move(message);
  last_code = code;
  return code;
}

const char* last_error_message() { return last_error.c_str(); }
vbk_status last_error_status() { return last_code; }

vbk_status succeed() {
  last_error.clear();
  last_code = VBK_OK;
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

void map_callbacks(const vbk_callbacks* callbacks, BackupOptions& options) {
  if (!callbacks) return;
  if (callbacks->version != VBK_CALLBACKS_VERSION) {
    throw invalid_input("callbacks: version " + std::to_string(callbacks->version) + " is not " +
                        std::to_string(VBK_CALLBACKS_VERSION) + " (initialise with VBK_CALLBACKS_INIT)");
  }
  const vbk_callbacks cb = *callbacks;
  if (cb.progress) {
    options.on_progress = [cb](const BackupProgress& p) {
      return cb.progress(cb.user, p.items_backed_up, p.total_items, p.bytes_written) == 0;
    };
  }
  if (cb.log) {
    options.on_log = [cb](std::string_view level, std::string_view line) {
      cb.log(cb.user, std::string(level).c_str(), std::string(line).c_str());
    };
  }
  if (cb.item) {
    options.on_item = [cb](BackupItem& item) {
      std::string in = json::marshal(item.to_json());
      char* result = nullptr;
      int rc = cb.item(cb.user, in.c_str(), &result);
      std::unique_ptr<char, decltype(&std::free)> owned(result, &std::free);
      if (rc != 0) throw Error(ErrorCode::cancelled, "cancelled by the item callback");
      if (result) item.apply_json(parse_object(result, "item callback result"), "item callback result");
    };
  }
}

}  // namespace vbackup::capi

using namespace vbackup::capi;

extern "C" {

const char* vbk_version(void) { return vbackup::version(); }

const char* vbk_last_error(void) { return last_error_message(); }

vbk_status vbk_last_error_code(void) { return last_error_status(); }

void vbk_free(void* p) { std::free(p); }

vbk_status vbk_callbacks_init(vbk_callbacks* callbacks, unsigned version) {
  VBK_REQUIRE(callbacks);
  if (version != VBK_CALLBACKS_VERSION) {
    return fail(VBK_EINVALID, "vbk_callbacks_init: version " + std::to_string(version) + " is not known (this "
                              "library knows " + std::to_string(VBK_CALLBACKS_VERSION) + ")");
  }
  vbk_callbacks init = VBK_CALLBACKS_INIT;
  *callbacks = init;
  return succeed();
}

}  // extern "C"
