// vbk_install_resources / vbk_install: velero install through the C ABI (vbackup.h "install").
// Argument mapping only: install options JSON → vbackup::InstallOptions.
#include "capi_internal.hpp"

#include "vbackup/install.hpp"
#include "vbackup/time.hpp"

using namespace vbackup::capi;
namespace json = vbackup::json;

namespace {

constexpr std::string_view kWhat = "install options";

bool bool_option(const json::object& o, std::string_view key, bool fallback) {
  const json::value* v = o.if_contains(key);
  if (!v) return fallback;
  if (!v->is_bool()) throw vbackup::invalid_input(std::string(kWhat) + ": " + std::string(key) + ": expected true or false");
  return v->get_bool();
}

std::map<std::string, std::string> map_option(const json::object& o, std::string_view key) {
  std::map<std::string, std::string> out;
  const json::value* v = o.if_contains(key);
  if (!v) return out;
  const std::string where = std::string(kWhat) + ": " + std::string(key);
  if (!v->is_object()) throw vbackup::invalid_input(where + ": expected an object of strings");
  for (const auto& [k, x] : v->get_object()) {
    if (!x.is_string()) throw vbackup::invalid_input(where + ": " + std::string(k) + ": expected a string");
    out[std::string(k)] = std::string(x.get_string());
  }
  return out;
}

std::chrono::milliseconds duration_option(const json::object& o, std::string_view key, std::chrono::milliseconds fallback) {
  auto s = string_option(o, key, kWhat);
  if (!s) return fallback;
  try {
    return std::chrono::duration_cast<std::chrono::milliseconds>(vbackup::parse_duration(*s));
  } catch (const vbackup::Error& e) {
    throw vbackup::invalid_input(std::string(kWhat) + ": " + std::string(key) + ": " + e.what());
  }
}

// The keys of both calls; vbk_install adds apply, wait, waitTimeout and crdTimeout.
#define VBK_INSTALL_KEYS                                                                                          \
  "namespace", "image", "provider", "bucket", "prefix", "backupLocationConfig", "snapshotLocationConfig",          \
      "secretData", "caCert", "noDefaultBackupLocation", "useVolumeSnapshots", "podAnnotations", "podLabels",      \
      "serviceAccountAnnotations", "serviceAccountName", "cpuRequest", "memRequest", "cpuLimit", "memLimit",       \
      "restoreOnly", "features", "garbageCollectionFrequency", "scheduleSkipImmediately", "disableInformerCache", \
      "concurrentBackups", "priorityClassName", "crdsOnly"

vbackup::InstallOptions install_options(const json::object& o) {
  vbackup::InstallOptions r;
  auto str = [&](std::string_view key, std::string& target) {
    if (auto v = string_option(o, key, kWhat)) target = *v;
  };
  str("namespace", r.namespace_);
  str("image", r.image);
  str("provider", r.provider);
  str("bucket", r.bucket);
  str("prefix", r.prefix);
  str("caCert", r.ca_cert);
  str("serviceAccountName", r.service_account_name);
  str("cpuRequest", r.cpu_request);
  str("memRequest", r.mem_request);
  str("cpuLimit", r.cpu_limit);
  str("memLimit", r.mem_limit);
  str("priorityClassName", r.priority_class_name);
  r.secret_data = string_option(o, "secretData", kWhat);  // absent: velero's --no-secret
  r.backup_location_config = map_option(o, "backupLocationConfig");
  r.snapshot_location_config = map_option(o, "snapshotLocationConfig");
  r.pod_annotations = map_option(o, "podAnnotations");
  r.pod_labels = map_option(o, "podLabels");
  r.service_account_annotations = map_option(o, "serviceAccountAnnotations");
  r.no_default_backup_location = bool_option(o, "noDefaultBackupLocation", false);
  r.use_volume_snapshots = bool_option(o, "useVolumeSnapshots", true);
  r.restore_only = bool_option(o, "restoreOnly", false);
  r.schedule_skip_immediately = bool_option(o, "scheduleSkipImmediately", false);
  r.disable_informer_cache = bool_option(o, "disableInformerCache", false);
  r.crds_only = bool_option(o, "crdsOnly", false);
  if (auto f = strings_option(o, "features", kWhat)) r.features = *f;
  if (auto g = string_option(o, "garbageCollectionFrequency", kWhat)) {
    try {
      r.garbage_collection_frequency = vbackup::parse_duration(*g);
    } catch (const vbackup::Error& e) {
      throw vbackup::invalid_input(std::string(kWhat) + ": garbageCollectionFrequency: " + e.what());
    }
  }
  if (auto n = int_option(o, "concurrentBackups", kWhat)) r.concurrent_backups = static_cast<int>(*n);
  return r;
}

}  // namespace

extern "C" {

vbk_status vbk_install_resources(const char* options_json, char** list_json) {
  VBK_REQUIRE(list_json);
  *list_json = nullptr;
  return guarded([&] {
    auto o = parse_options(options_json, kWhat, {VBK_INSTALL_KEYS});
    *list_json = dup(pretty(vbackup::install_list(vbackup::install_resources(install_options(o)))));
    return VBK_OK;
  });
}

vbk_status vbk_install(vbk_cluster* cluster, const char* options_json, char** result_json) {
  VBK_REQUIRE(result_json);
  *result_json = nullptr;
  VBK_REQUIRE(cluster);
  return guarded([&] {
    auto o = parse_options(options_json, kWhat, {VBK_INSTALL_KEYS, "apply", "wait", "waitTimeout", "crdTimeout"});
    auto* client = cluster->cluster->client();
    if (!client) {
      throw vbackup::Error(vbackup::ErrorCode::unsupported,
                           cluster->cluster->describe() + ": a folder of manifests cannot be installed into");
    }
    auto resources = vbackup::install_resources(install_options(o));
    vbackup::InstallApplyOptions ao;
    ao.apply = bool_option(o, "apply", false);
    ao.wait_for_deployment = bool_option(o, "wait", false);
    ao.deployment_timeout = duration_option(o, "waitTimeout", ao.deployment_timeout);
    ao.crd_timeout = duration_option(o, "crdTimeout", ao.crd_timeout);
    *result_json = dup(pretty(vbackup::install(*client, resources, ao).to_json()));
    return VBK_OK;
  });
}

}  // extern "C"
