// vbk_cluster: a folder of manifests or a live cluster (vbackup.h "clusters").
#include "capi_internal.hpp"

using namespace vbackup::capi;
namespace json = vbackup::json;

extern "C" {

vbk_status vbk_cluster_open_manifests(const char* path, const char* options_json, vbk_cluster** out) {
  VBK_REQUIRE(out);
  *out = nullptr;
  VBK_REQUIRE(path);
  return guarded([&] {
    auto o = parse_options(options_json, "manifest options", {"defaultNamespace"});
    vbackup::ClusterOptions options;
    options.manifests = {path};
    if (auto ns = json::get_string(o, "defaultNamespace"); !ns.empty()) options.default_namespace = ns;
    *out = new vbk_cluster{vbackup::Cluster::open(options)};
    register_handle(*out, HandleKind::cluster);
    return VBK_OK;
  });
}

vbk_status vbk_cluster_open(const char* options_json, vbk_cluster** out) {
  VBK_REQUIRE(out);
  *out = nullptr;
  return guarded([&] {
    auto o = parse_options(options_json, "cluster options", {"kubeconfig", "context", "qps", "burst", "requestTimeout"});
    vbackup::ClusterOptions options;
    options.connect.kubeconfig = json::get_string(o, "kubeconfig");
    options.connect.context = json::get_string(o, "context");
    if (auto t = string_option(o, "requestTimeout", "cluster options")) {
      options.connect.request_timeout = vbackup::kube::parse_request_timeout(*t, "cluster options: requestTimeout");
    }
    if (auto* q = o.if_contains("qps")) {
      if (!q->is_number()) throw vbackup::invalid_input("cluster options: qps: expected a number");
      options.qps = q->to_number<double>();
    }
    if (auto* b = o.if_contains("burst")) {
      if (!b->is_int64()) throw vbackup::invalid_input("cluster options: burst: expected an integer");
      options.burst = static_cast<int>(b->as_int64());
    }
    *out = new vbk_cluster{vbackup::Cluster::open(options)};
    register_handle(*out, HandleKind::cluster);
    return VBK_OK;
  });
}

void vbk_cluster_close(vbk_cluster* cluster) {
  if (!cluster) return;
  if (!unregister_handle(cluster)) {
    fail(VBK_EINVALID, "vbk_cluster_close: cluster is not an open vbk_cluster (closed twice, or never opened)");
    return;
  }
  succeed();
  delete cluster;
}

vbk_status vbk_cluster_version(vbk_cluster* cluster, char** version_json) {
  VBK_REQUIRE(version_json);
  *version_json = nullptr;
  VBK_REQUIRE(cluster);
  return guarded([&] {
    auto* client = cluster->cluster->client();
    if (!client) {
      throw vbackup::Error(vbackup::ErrorCode::unsupported,
                           cluster->cluster->describe() + ": a folder of manifests has no server version");
    }
    auto v = client->version();
    json::object o{{"gitVersion", v.git_version}, {"major", v.major}, {"minor", v.minor}, {"server", client->config().server}};
    *version_json = dup(pretty(o));
    return VBK_OK;
  });
}

}  // extern "C"
