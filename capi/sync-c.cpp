// vbk_sync_once and vbk_location_validate: the bucket as the source of truth (vbackup.h "sync").
#include "capi_internal.hpp"

#include "vbackup/sync.hpp"

using namespace vbackup::capi;
namespace json = vbackup::json;

namespace {

// A live cluster's client; Error(unsupported) for manifests.
vbackup::kube::KubeClient& live_client(vbk_cluster* cluster, std::string_view what) {
  auto* client = cluster->cluster->client();
  if (!client) {
    throw vbackup::Error(vbackup::ErrorCode::unsupported,
                         std::string(what) + ": " + cluster->cluster->describe() + " is a folder of manifests, not a live cluster");
  }
  return *client;
}

bool bool_option(const json::object& o, std::string_view key, std::string_view what, bool fallback) {
  auto* v = o.if_contains(key);
  if (!v) return fallback;
  if (!v->is_bool()) throw vbackup::invalid_input(std::string(what) + ": " + std::string(key) + ": expected true or false");
  return v->as_bool();
}

}  // namespace

extern "C" {

vbk_status vbk_sync_once(vbk_cluster* cluster, const char* location, const char* options_json, char** result_json) {
  if (result_json) *result_json = nullptr;
  VBK_REQUIRE(cluster);
  return guarded([&] {
    constexpr std::string_view what = "sync options";
    auto o = parse_options(options_json, what, {"veleroNamespace", "requireAvailable", "updateLocation", "locationsFile",
                                                // brief s3-seal (issue 16)
                                                "verify", "identityFile", "identities", "allowedSignersFile",
                                                "allowedSigners", "principal", "requireSignature"});
    vbackup::SyncOptions options;
    options.verify = bool_option(o, "verify", what, false);
    vbackup::sealing::open_options_from_json(o, what, options.seal);
    if (auto ns = string_option(o, "veleroNamespace", what); ns && !ns->empty()) options.velero_namespace = *ns;
    options.require_available = bool_option(o, "requireAvailable", what, false);
    options.update_location = bool_option(o, "updateLocation", what, true);
    vbackup::LocationOptions location_options;
    if (auto f = string_option(o, "locationsFile", what)) location_options.locations_file = *f;
    auto r = vbackup::sync_location(*cluster->cluster, location ? location : "", options, location_options);
    if (result_json) *result_json = dup(pretty(r.to_json()));
    return VBK_OK;
  });
}

vbk_status vbk_location_validate(vbk_cluster* cluster, const char* location, const char* options_json,
                                 char** status_json) {
  if (status_json) *status_json = nullptr;
  VBK_REQUIRE(cluster);
  return guarded([&] {
    constexpr std::string_view what = "validate options";
    auto o = parse_options(options_json, what, {"veleroNamespace", "update", "locationsFile"});
    std::string ns = string_option(o, "veleroNamespace", what).value_or("velero");
    if (ns.empty()) ns = "velero";
    vbackup::LocationOptions location_options;
    if (auto f = string_option(o, "locationsFile", what)) location_options.locations_file = *f;
    auto& client = live_client(cluster, "validate");
    auto bsl = vbackup::resolve_location(client, location ? location : "", ns, location_options);
    auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto status = vbackup::validate_location(bsl, &client, ns, now, location_options);
    json::object patch = vbackup::location_status_patch(status);
    if (bool_option(o, "update", what, false)) vbackup::patch_location_status(client, ns, bsl.metadata.name, patch);
    json::object out = status.to_json();
    out["location"] = bsl.metadata.name;
    if (status_json) *status_json = dup(pretty(out));
    return VBK_OK;
  });
}

}  // extern "C"
