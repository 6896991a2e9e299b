// vbk_download_* and vbk_server_status_request_*: Velero's request controllers (vbackup.h
// "requests"). Argument mapping only; the logic is requests.hpp's.
#include "capi_internal.hpp"

#include "vbackup/requests.hpp"

using namespace vbackup::capi;
namespace json = vbackup::json;
namespace requests = vbackup::requests;
namespace velero = vbackup::velero;

namespace {

// "now": RFC 3339; absent = the clock.
vbackup::Timestamp now_option(const json::object& o, std::string_view what) {
  if (auto t = string_option(o, "now", what)) return vbackup::parse_rfc3339(*t);
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

template <class T>
std::vector<T> list_option(const json::object& o, std::string_view key, std::string_view what) {
  std::vector<T> out;
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return out;
  std::string at = std::string(what) + ": " + std::string(key);
  if (!it->value().is_array()) throw vbackup::invalid_input(at + ": expected an array of objects");
  const json::array& a = it->value().get_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string item = at + "[" + std::to_string(i) + "]";
    if (!a[i].is_object()) throw vbackup::invalid_input(item + ": expected an object");
    out.push_back(T::from_json(a[i].get_object(), item));
  }
  return out;
}

vbackup::kube::KubeClient& live_client(vbk_cluster* cluster) {
  auto* client = cluster->cluster->client();
  if (!client) {
    throw vbackup::Error(vbackup::ErrorCode::unsupported,
                         cluster->cluster->describe() + ": a folder of manifests holds no requests to reconcile");
  }
  return *client;
}

}  // namespace

extern "C" {

vbk_status vbk_download_url(vbk_location* location, const char* kind, const char* name, long long ttl_seconds,
                            char** url) {
  VBK_REQUIRE(url);
  *url = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(kind);
  VBK_REQUIRE(name);
  return guarded([&] {
    if (ttl_seconds < 0) throw vbackup::invalid_input("download URL lifetime: must not be negative");
    std::chrono::seconds ttl = ttl_seconds == 0 ? requests::download_url_ttl : std::chrono::seconds(ttl_seconds);
    *url = dup(requests::download_url(*location->backups, velero::DownloadTarget{kind, name, {}}, ttl));
    return VBK_OK;
  });
}

vbk_status vbk_download_request_process(const char* request_json, const char* options_json, char** outcome_json) {
  VBK_REQUIRE(outcome_json);
  *outcome_json = nullptr;
  VBK_REQUIRE(request_json);
  return guarded([&] {
    const char* what = "download request options";
    auto o = parse_options(options_json, what, {"now", "backups", "restores", "locations"});
    auto request = velero::DownloadRequest::from_json(parse_object(request_json, "download request"), "download request");
    auto lookups = requests::lookups_over(list_option<velero::Backup>(o, "backups", what),
                                          list_option<velero::Restore>(o, "restores", what),
                                          list_option<velero::BackupStorageLocation>(o, "locations", what));
    *outcome_json = dup(pretty(requests::to_json(requests::process_download_request(request, lookups, now_option(o, what)))));
    return VBK_OK;
  });
}

vbk_status vbk_download_request_reconcile(vbk_cluster* cluster, const char* ns, const char* name,
                                          const char* options_json, char** outcome_json) {
  VBK_REQUIRE(outcome_json);
  *outcome_json = nullptr;
  VBK_REQUIRE(cluster);
  VBK_REQUIRE(ns);
  VBK_REQUIRE(name);
  return guarded([&] {
    auto o = parse_options(options_json, "reconcile options", {"now"});
    auto out = requests::reconcile_download_request(live_client(cluster), ns, name, now_option(o, "reconcile options"));
    *outcome_json = dup(pretty(requests::to_json(out)));
    return VBK_OK;
  });
}

vbk_status vbk_server_status_request_process(const char* request_json, const char* options_json, char** outcome_json) {
  VBK_REQUIRE(outcome_json);
  *outcome_json = nullptr;
  VBK_REQUIRE(request_json);
  return guarded([&] {
    auto o = parse_options(options_json, "server status request options", {"now"});
    auto request = velero::ServerStatusRequest::from_json(parse_object(request_json, "server status request"),
                                                          "server status request");
    auto out = requests::process_server_status_request(request, now_option(o, "server status request options"));
    *outcome_json = dup(pretty(requests::to_json(out)));
    return VBK_OK;
  });
}

vbk_status vbk_server_status_request_reconcile(vbk_cluster* cluster, const char* ns, const char* name,
                                               const char* options_json, char** outcome_json) {
  VBK_REQUIRE(outcome_json);
  *outcome_json = nullptr;
  VBK_REQUIRE(cluster);
  VBK_REQUIRE(ns);
  VBK_REQUIRE(name);
  return guarded([&] {
    auto o = parse_options(options_json, "reconcile options", {"now"});
    auto out = requests::reconcile_server_status_request(live_client(cluster), ns, name, now_option(o, "reconcile options"));
    *outcome_json = dup(pretty(requests::to_json(out)));
    return VBK_OK;
  });
}

}  // extern "C"
