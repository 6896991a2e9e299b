// Expiry and deletion (vbackup.h "expiry and deletion"; include/vbackup/deletion.hpp): one GC pass,
// a DeleteBackupRequest carried out, a deletion requested from a running server.
#include "capi_internal.hpp"

#include "vbackup/deletion.hpp"

using namespace vbackup::capi;
namespace json = vbackup::json;
namespace deletion = vbackup::deletion;

namespace {

vbackup::kube::KubeClient& live_client(vbk_cluster* cluster, std::string_view what) {
  auto* client = cluster->cluster->client();
  if (!client) {
    throw vbackup::Error(vbackup::ErrorCode::unsupported,
                         std::string(what) + ": " + cluster->cluster->describe() +
                             " is a folder of manifests; the velero.io custom resources live in a cluster");
  }
  return *client;
}

std::string namespace_option(const json::object& o, std::string_view what) {
  auto ns = string_option(o, "veleroNamespace", what);
  return ns && !ns->empty() ? *ns : "velero";
}

std::optional<vbackup::Timestamp> now_option(const json::object& o, std::string_view what) {
  if (auto t = string_option(o, "now", what)) return vbackup::parse_rfc3339(*t);
  return std::nullopt;
}

}  // namespace

extern "C" {

vbk_status vbk_gc_once(vbk_cluster* cluster, const char* options_json, char** result_json) {
  VBK_REQUIRE(result_json);
  *result_json = nullptr;
  VBK_REQUIRE(cluster);
  return guarded([&] {
    constexpr std::string_view what = "gc options";
    auto o = parse_options(options_json, what, {"veleroNamespace", "dryRun", "now"});
    deletion::GcOptions options;
    options.namespace_ = namespace_option(o, what);
    options.now = now_option(o, what);
    if (auto* d = o.if_contains("dryRun")) {
      if (!d->is_bool()) throw vbackup::invalid_input("gc options: dryRun: expected a boolean");
      options.dry_run = d->as_bool();
    }
    auto result = deletion::gc_once(live_client(cluster, "vbk_gc_once"), options);
    *result_json = dup(pretty(result.to_json()));
    return VBK_OK;
  });
}

vbk_status vbk_delete_backup_request_process(vbk_cluster* cluster, vbk_location* location, const char* name,
                                             const char* options_json, char** result_json) {
  VBK_REQUIRE(result_json);
  *result_json = nullptr;
  VBK_REQUIRE(cluster);
  VBK_OPTIONAL_HANDLE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    constexpr std::string_view what = "delete backup request options";
    auto o = parse_options(options_json, what, {"veleroNamespace", "now", "restoreWaitSeconds", "temporaryContentGapMilliseconds"});
    deletion::DeletionOptions options;
    options.now = now_option(o, what);
    if (auto s = int_option(o, "restoreWaitSeconds", what)) {
      if (*s < 0) throw vbackup::invalid_input("delete backup request options: restoreWaitSeconds: must not be negative");
      options.restore_wait = std::chrono::seconds(*s);
    }
    // csi §3: the pause of Velero's temporary VolumeSnapshotContent (velero#9700; default 2000).
    if (auto g = int_option(o, "temporaryContentGapMilliseconds", what)) {
      if (*g < 0) throw vbackup::invalid_input("delete backup request options: temporaryContentGapMilliseconds: must not be negative");
      options.temporary_content_gap = std::chrono::milliseconds(*g);
    }
    auto& client = live_client(cluster, "vbk_delete_backup_request_process");
    vbackup::velero::DeleteBackupRequest request;
    request.metadata.namespace_ = namespace_option(o, what);
    request.metadata.name = name;
    auto result = location ? deletion::process_delete_backup_request(client, *location->backups, request, options)
                           : deletion::process_delete_backup_request(client, request, options);
    *result_json = dup(pretty(result.to_json()));
    return VBK_OK;
  });
}

vbk_status vbk_delete_backup_requests_process(vbk_cluster* cluster, vbk_location* location, const char* options_json,
                                              char** results_json) {
  VBK_REQUIRE(results_json);
  *results_json = nullptr;
  VBK_REQUIRE(cluster);
  VBK_OPTIONAL_HANDLE(location);
  return guarded([&] {
    constexpr std::string_view what = "delete backup request options";
    auto o = parse_options(options_json, what, {"veleroNamespace", "now", "restoreWaitSeconds", "temporaryContentGapMilliseconds"});
    deletion::DeletionOptions options;
    options.now = now_option(o, what);
    if (auto s = int_option(o, "restoreWaitSeconds", what)) {
      if (*s < 0) throw vbackup::invalid_input("delete backup request options: restoreWaitSeconds: must not be negative");
      options.restore_wait = std::chrono::seconds(*s);
    }
    // csi §3: the pause of Velero's temporary VolumeSnapshotContent (velero#9700; default 2000).
    if (auto g = int_option(o, "temporaryContentGapMilliseconds", what)) {
      if (*g < 0) throw vbackup::invalid_input("delete backup request options: temporaryContentGapMilliseconds: must not be negative");
      options.temporary_content_gap = std::chrono::milliseconds(*g);
    }
    deletion::StoreOpener open;
    if (location) {
      // Every request against the one store the caller opened (not owned by the opener's result).
      open = [location](const vbackup::velero::BackupStorageLocation&) {
        return std::make_unique<vbackup::storage::BackupStore>(location->objects, location->location.prefix);
      };
    }
    auto results = deletion::process_delete_backup_requests(live_client(cluster, "vbk_delete_backup_requests_process"),
                                                            namespace_option(o, what), options, open);
    json::array a;
    for (const auto& r : results) a.push_back(r.to_json());
    *results_json = dup(pretty(a));
    return VBK_OK;
  });
}

vbk_status vbk_backup_request_deletion(vbk_cluster* cluster, const char* name, const char* options_json,
                                       char** request_json) {
  if (request_json) *request_json = nullptr;
  VBK_REQUIRE(cluster);
  VBK_REQUIRE(name);
  return guarded([&] {
    auto o = parse_options(options_json, "backup deletion options", {"veleroNamespace"});
    auto request = deletion::request_backup_deletion(live_client(cluster, "vbk_backup_request_deletion"),
                                                     namespace_option(o, "backup deletion options"), name);
    if (request_json) *request_json = dup(pretty(request.to_json()));
    return VBK_OK;
  });
}

}  // extern "C"
