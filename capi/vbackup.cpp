// The C ABI over the C++ API: argument checks, JSON in and out, and the error boundary. No logic
// of its own (style.md); nothing thrown crosses into C.
#include "vbackup.h"

#include "vbackup/backup.hpp"
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/location.hpp"
#include "vbackup/velero.hpp"
#include "vbackup_version.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>

struct vbk_location : vbackup::OpenedLocation {};

struct vbk_source {
  std::unique_ptr<vbackup::kube::KubeClient> client;  // for a live cluster; outlives `source`
  std::unique_ptr<vbackup::ClusterSource> source;
};

namespace {

thread_local std::string last_error;

vbk_status fail(vbk_status code, std::string message) {
  last_error = std::move(message);
  return code;
}

vbk_status code_of(vbackup::ErrorCode c) { return static_cast<vbk_status>(c); }

// Runs f, mapping exceptions to a status and the thread's last error.
template <typename F>
vbk_status guarded(F&& f) {
  try {
    last_error.clear();
    return f();
  } catch (const vbackup::Error& e) {
    return fail(code_of(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(VBK_ERROR, "out of memory");
  } catch (const std::exception& e) {
    return fail(VBK_ERROR, e.what());
  } catch (...) {
    return fail(VBK_ERROR, "unknown error");
  }
}

char* dup(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

vbackup::json::object parse_object(const char* text, const char* what) {
  auto v = vbackup::json::parse(text, what);
  if (!v.is_object()) throw vbackup::invalid_input(std::string(what) + ": expected a JSON object");
  return std::move(v.get_object());
}

std::string pretty(const vbackup::json::value& v) { return vbackup::json::marshal(v, {.sort_keys = false, .indent = 2}); }

#define VBK_REQUIRE(arg) \
  if (!(arg)) return fail(VBK_EINVALID, std::string(__func__) + ": " #arg " must not be NULL")

}  // namespace

extern "C" {

const char* vbk_version(void) { return VBACKUP_VERSION; }

const char* vbk_last_error(void) { return last_error.c_str(); }

void vbk_free(void* p) { std::free(p); }

vbk_status vbk_location_open(const char* location, vbk_location** out) {
  VBK_REQUIRE(out);
  *out = nullptr;
  VBK_REQUIRE(location);
  return guarded([&] {
    *out = new vbk_location{vbackup::open_location(location)};
    return VBK_OK;
  });
}

void vbk_location_close(vbk_location* location) { delete location; }

vbk_status vbk_location_check(vbk_location* location, char** status_json) {
  VBK_REQUIRE(status_json);
  *status_json = nullptr;
  VBK_REQUIRE(location);
  return guarded([&] {
    auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    *status_json = dup(pretty(vbackup::check_location(*location->backups, now).to_json()));
    return VBK_OK;
  });
}

vbk_status vbk_source_open_manifests(const char* path, const char* options_json, vbk_source** out) {
  VBK_REQUIRE(out);
  *out = nullptr;
  VBK_REQUIRE(path);
  return guarded([&] {
    vbackup::ManifestSourceOptions options;
    if (options_json) {
      auto o = parse_object(options_json, "manifest source options");
      if (auto ns = vbackup::json::get_string(o, "defaultNamespace"); !ns.empty()) options.default_namespace = ns;
    }
    auto s = std::make_unique<vbk_source>();
    s->source = vbackup::open_manifest_source({path}, options);
    *out = s.release();
    return VBK_OK;
  });
}

namespace {

vbackup::kube::ConnectOptions connect_options(const char* options_json) {
  vbackup::kube::ConnectOptions o;
  if (!options_json) return o;
  auto obj = parse_object(options_json, "cluster options");
  o.kubeconfig = vbackup::json::get_string(obj, "kubeconfig");
  o.context = vbackup::json::get_string(obj, "context");
  return o;
}

}  // namespace

vbk_status vbk_source_open_cluster(const char* options_json, vbk_source** out) {
  VBK_REQUIRE(out);
  *out = nullptr;
  return guarded([&] {
    auto s = std::make_unique<vbk_source>();
    s->client = std::make_unique<vbackup::kube::KubeClient>(vbackup::kube::load_rest_config(connect_options(options_json)));
    s->source = vbackup::kube::open_cluster_source(*s->client);
    *out = s.release();
    return VBK_OK;
  });
}

void vbk_source_close(vbk_source* source) { delete source; }

vbk_status vbk_cluster_version(const char* options_json, char** version_json) {
  VBK_REQUIRE(version_json);
  *version_json = nullptr;
  return guarded([&] {
    vbackup::kube::KubeClient client(vbackup::kube::load_rest_config(connect_options(options_json)));
    auto v = client.version();
    vbackup::json::object o{{"gitVersion", v.git_version}, {"major", v.major}, {"minor", v.minor},
                            {"server", client.config().server}};
    *version_json = dup(pretty(o));
    return VBK_OK;
  });
}

vbk_status vbk_backup_create(vbk_source* source, vbk_location* location, const char* backup_json,
                             const char* options_json, const vbk_backup_callbacks* callbacks, char** backup_out) {
  if (backup_out) *backup_out = nullptr;
  VBK_REQUIRE(source);
  VBK_REQUIRE(location);
  VBK_REQUIRE(backup_json);
  return guarded([&] {
    auto backup = vbackup::velero::Backup::from_json(parse_object(backup_json, "backup"), "backup");
    vbackup::BackupOptions options;
    if (options_json) {
      auto o = parse_object(options_json, "backup options");
      auto c = vbackup::json::get_string(o, "compression", "gzip");
      if (c == "zstd") {
        options.compression = vbackup::archive::Compression::zstd;
      } else if (c != "gzip") {
        throw vbackup::invalid_input("backup options: compression must be \"gzip\" or \"zstd\", not \"" + std::string(c) + "\"");
      }
      if (auto ns = vbackup::json::get_string(o, "veleroNamespace"); !ns.empty()) options.velero_namespace = ns;
    }
    if (callbacks && callbacks->progress) {
      options.on_progress = [cb = *callbacks](const vbackup::BackupProgress& p) {
        return cb.progress(cb.user, p.items_backed_up, p.total_items, p.bytes_written) == 0;
      };
    }
    if (callbacks && callbacks->log) {
      options.on_log = [cb = *callbacks](std::string_view level, std::string_view line) {
        cb.log(cb.user, std::string(level).c_str(), std::string(line).c_str());
      };
    }
    if (callbacks && callbacks->item) {
      options.on_item = [cb = *callbacks](vbackup::BackupItem& item) {
        vbackup::json::object resource{{"group", item.resource.group},
                                       {"version", item.resource.version},
                                       {"resource", item.resource.name},
                                       {"kind", item.resource.kind},
                                       {"namespaced", item.resource.namespaced}};
        std::string in = vbackup::json::marshal(vbackup::json::object{{"resource", resource}, {"object", item.object}});
        char* result = nullptr;
        int rc = cb.item(cb.user, in.c_str(), &result);
        std::unique_ptr<char, decltype(&std::free)> owned(result, &std::free);
        if (rc != 0) throw vbackup::Error(vbackup::ErrorCode::cancelled, "backup cancelled by the item callback");
        if (!result) return;
        auto r = parse_object(result, "item callback result");
        if (auto it = r.find("object"); it != r.end()) {
          if (!it->value().is_object()) throw vbackup::invalid_input("item callback result: object: expected an object");
          item.object = it->value().get_object();
        }
        if (auto it = r.find("skip"); it != r.end() && it->value().is_bool()) item.skip = it->value().get_bool();
        if (auto* extra = vbackup::json::find_array(r, "additionalItems")) {
          for (const auto& e : *extra) {
            if (!e.is_object()) throw vbackup::invalid_input("item callback result: additionalItems: expected objects");
            const auto& o = e.get_object();
            item.additional.push_back({std::string(vbackup::json::get_string(o, "groupResource")),
                                       std::string(vbackup::json::get_string(o, "namespace")),
                                       std::string(vbackup::json::get_string(o, "name"))});
          }
        }
      };
    }
    // Against a cluster with Velero's CRDs, the Backup CR is kept current there too.
    std::optional<vbackup::kube::BackupRecorder> recorder;
    if (source->client) {
      recorder.emplace(*source->client);
      options.on_record = [&recorder](const vbackup::velero::Backup& b) { (*recorder)(b); };
    }
    auto result = vbackup::run_backup(std::move(backup), *source->source, *location->backups, location->location, options);
    if (backup_out) *backup_out = dup(pretty(result.to_json()));
    namespace phase = vbackup::velero::backup_phase;
    const auto& st = result.status;
    if (st.phase == phase::FailedValidation) {
      std::string msg = "backup " + result.metadata.name + " failed validation:";
      for (const auto& e : st.validation_errors) msg += "\n  " + e;
      return fail(VBK_EINVALID, msg);
    }
    if (st.phase == phase::Failed) {
      bool exists = st.failure_reason == "backup already exists in object storage";
      return fail(exists ? VBK_EEXISTS : VBK_ERROR, "backup " + result.metadata.name + " failed: " + st.failure_reason);
    }
    return VBK_OK;
  });
}

vbk_status vbk_backup_list(vbk_location* location, char** backups_json) {
  VBK_REQUIRE(backups_json);
  *backups_json = nullptr;
  VBK_REQUIRE(location);
  return guarded([&] {
    vbackup::json::array out;
    for (const auto& b : vbackup::list_backups(*location->backups)) out.push_back(b.to_json());
    *backups_json = dup(pretty(out));
    return VBK_OK;
  });
}

vbk_status vbk_backup_get(vbk_location* location, const char* name, char** backup_json) {
  VBK_REQUIRE(backup_json);
  *backup_json = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    *backup_json = dup(pretty(vbackup::get_backup(*location->backups, name).to_json()));
    return VBK_OK;
  });
}

vbk_status vbk_backup_describe(vbk_location* location, const char* name, int details, char** json_out) {
  VBK_REQUIRE(json_out);
  *json_out = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    auto d = vbackup::describe_backup(*location->backups, name, details != 0);
    vbackup::json::object out{{"backup", d.backup.to_json()}};
    if (d.has_resource_list) {
      vbackup::json::object list;
      for (const auto& [k, v] : d.resource_list) {
        vbackup::json::array names;
        for (const auto& n : v) names.emplace_back(n);
        list[k] = std::move(names);
      }
      out["resourceList"] = std::move(list);
    }
    if (d.has_results) {
      out["results"] = vbackup::json::object{{"errors", d.results.errors.to_json()}, {"warnings", d.results.warnings.to_json()}};
    }
    *json_out = dup(pretty(out));
    return VBK_OK;
  });
}

vbk_status vbk_backup_logs(vbk_location* location, const char* name, char** log_out) {
  VBK_REQUIRE(log_out);
  *log_out = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    *log_out = dup(vbackup::backup_logs(*location->backups, name));
    return VBK_OK;
  });
}

vbk_status vbk_backup_download(vbk_location* location, const char* name, const char* path) {
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  VBK_REQUIRE(path);
  return guarded([&] {
    vbackup::download_backup(*location->backups, name, path);
    return VBK_OK;
  });
}

vbk_status vbk_backup_delete(vbk_location* location, const char* name) {
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    vbackup::delete_backup(*location->backups, name);
    return VBK_OK;
  });
}

}  // extern "C"
