// The discovery and OpenAPI documents, as the API server writes them: /version, /api (APIVersions),
// /apis (APIGroupList), /apis/<group> (APIGroup), /api/v1 and /apis/<group>/<version>
// (APIResourceList), aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList), and an
// OpenAPI v3 index with one document per group version. The OpenAPI documents carry what kubectl
// reads: every resource's PATCH operation with its x-kubernetes-group-version-kind and the
// `fieldValidation` query parameter (so kubectl leaves validation to the server); no schemas.
#include "kube_server/api.hpp"

namespace vbackup::kubetest {

namespace {

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::string(s));
  return a;
}

json::object group_version(const std::string& group, const std::string& version) {
  return json::object{{"groupVersion", group.empty() ? version : group + "/" + version}, {"version", version}};
}

std::string marshal(const json::object& o) { return json::marshal(o, {.sort_keys = false}); }

// The group and version a subresource answers with, where it differs from its resource's.
json::object response_kind(const ApiResource& r) {
  if (r.kind == "Scale") return json::object{{"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"}};
  if (r.kind == "Eviction") return json::object{{"group", "policy"}, {"version", "v1"}, {"kind", "Eviction"}};
  if (r.kind == "TokenRequest")
    return json::object{{"group", "authentication.k8s.io"}, {"version", "v1"}, {"kind", "TokenRequest"}};
  return json::object{{"group", r.group}, {"version", r.version}, {"kind", r.kind}};
}

}  // namespace

std::string Api::version_doc() const {
  std::string minor = "0", major = "1";
  // "v1.33.1" → major 1, minor 33
  const std::string& v = options_.git_version;
  if (auto dot = v.find('.'); v.size() > 1 && dot != std::string::npos) {
    major = v.substr(1, dot - 1);
    minor = v.substr(dot + 1, v.find('.', dot + 1) - dot - 1);
  }
  return marshal(json::object{{"major", major},
                              {"minor", minor},
                              {"emulationMajor", major},
                              {"emulationMinor", minor},
                              {"gitVersion", v},
                              {"gitCommit", "0000000000000000000000000000000000000000"},
                              {"gitTreeState", "clean"},
                              {"buildDate", "2025-01-01T00:00:00Z"},
                              {"goVersion", "go1.24.0"},
                              {"compiler", "gc"},
                              {"platform", "linux/amd64"}});
}

std::string Api::api_versions_doc() const {
  std::string address;
  {
    std::lock_guard lock(settings_mutex_);
    address = server_address_;
  }
  return marshal(json::object{
      {"kind", "APIVersions"},
      {"versions", json::array{"v1"}},
      {"serverAddressByClientCIDRs", json::array{json::object{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", address}}}}});
}

std::string Api::group_doc(const ApiGroup& g) const {
  json::array versions;
  for (const auto& v : g.versions) versions.push_back(group_version(g.name, v));
  return marshal(json::object{{"kind", "APIGroup"},
                              {"apiVersion", "v1"},
                              {"name", g.name},
                              {"versions", std::move(versions)},
                              {"preferredVersion", group_version(g.name, g.preferred_version.empty() ? g.versions.front() : g.preferred_version)}});
}

std::string Api::group_list_doc() const {
  json::array groups;
  for (const ApiGroup& g : discovery_.groups()) {
    if (g.name.empty()) continue;
    json::array versions;
    for (const auto& v : g.versions) versions.push_back(group_version(g.name, v));
    groups.push_back(json::object{{"name", g.name},
                                  {"versions", std::move(versions)},
                                  {"preferredVersion", group_version(g.name, g.preferred_version.empty() ? g.versions.front() : g.preferred_version)}});
  }
  return marshal(json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", std::move(groups)}});
}

std::string Api::resource_list_doc(const std::string& gv) const {
  json::array resources;
  for (const ApiResource& r : discovery_.resources(gv)) {
    json::object o{{"name", r.name}, {"singularName", r.singular}, {"namespaced", r.namespaced}};
    json::object rk = response_kind(r);
    if (r.is_subresource() && (rk["group"] != json::value(json::string(r.group)) || rk["version"] != json::value(json::string(r.version)))) {
      o["group"] = rk["group"];
      o["version"] = rk["version"];
    }
    o["kind"] = r.kind;
    o["verbs"] = strings(r.verbs);
    if (!r.short_names.empty()) o["shortNames"] = strings(r.short_names);
    if (!r.categories.empty()) o["categories"] = strings(r.categories);
    resources.push_back(std::move(o));
  }
  return marshal(json::object{{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv}, {"resources", std::move(resources)}});
}

std::string Api::aggregated_doc(bool core) const {
  json::array items;
  for (const ApiGroup& g : discovery_.groups()) {
    if (g.name.empty() != core) continue;
    json::array versions;
    for (const std::string& v : g.versions) {
      const std::string gv = g.name.empty() ? v : g.name + "/" + v;
      json::array resources;
      for (const ApiResource& r : discovery_.resources(gv)) {
        if (r.is_subresource()) {
          if (resources.empty()) continue;
          json::object& parent = resources.back().get_object();
          if (!r.name.starts_with(std::string(parent["resource"].get_string()) + "/")) continue;
          json::value& subs = parent["subresources"];
          if (!subs.is_array()) subs = json::array{};
          subs.get_array().push_back(json::object{{"subresource", r.name.substr(r.name.find('/') + 1)},
                                                  {"responseKind", response_kind(r)},
                                                  {"verbs", strings(r.verbs)}});
          continue;
        }
        json::object o{{"resource", r.name},
                       {"responseKind", response_kind(r)},
                       {"scope", r.namespaced ? "Namespaced" : "Cluster"},
                       {"singularResource", r.singular},
                       {"verbs", strings(r.verbs)}};
        if (!r.short_names.empty()) o["shortNames"] = strings(r.short_names);
        if (!r.categories.empty()) o["categories"] = strings(r.categories);
        resources.push_back(std::move(o));
      }
      versions.push_back(json::object{{"version", v}, {"resources", std::move(resources)}, {"freshness", "Current"}});
    }
    items.push_back(json::object{{"metadata", json::object{{"name", g.name}, {"creationTimestamp", nullptr}}},
                                 {"versions", std::move(versions)}});
  }
  return marshal(json::object{{"kind", "APIGroupDiscoveryList"},
                              {"apiVersion", "apidiscovery.k8s.io/v2"},
                              {"metadata", json::object{}},
                              {"items", std::move(items)}});
}

std::string Api::openapi_root_doc() const {
  json::object paths;
  const std::string hash = "?hash=" + std::to_string(discovery_generation_);
  for (const ApiGroup& g : discovery_.groups()) {
    for (const std::string& v : g.versions) {
      const std::string key = g.name.empty() ? "api/" + v : "apis/" + g.name + "/" + v;
      paths[key] = json::object{{"serverRelativeURL", "/openapi/v3/" + key + hash}};
    }
  }
  return marshal(json::object{{"paths", std::move(paths)}});
}

std::string Api::openapi_gv_doc(const std::string& gv) const {
  json::object paths;
  const json::array parameters{
      json::object{{"name", "dryRun"}, {"in", "query"}, {"schema", json::object{{"type", "string"}}}},
      json::object{{"name", "fieldManager"}, {"in", "query"}, {"schema", json::object{{"type", "string"}}}},
      json::object{{"name", "fieldValidation"}, {"in", "query"}, {"schema", json::object{{"type", "string"}}}}};
  for (const ApiResource& r : discovery_.resources(gv)) {
    if (r.is_subresource() || !r.has_verb("patch")) continue;
    const std::string base = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
    const std::string path = base + (r.namespaced ? "/namespaces/{namespace}/" : "/") + r.name + "/{name}";
    paths[path] = json::object{
        {"patch", json::object{{"operationId", "patch" + r.kind},
                               {"x-kubernetes-group-version-kind", json::object{{"group", r.group}, {"version", r.version}, {"kind", r.kind}}},
                               {"x-kubernetes-action", "patch"},
                               {"parameters", parameters},
                               {"responses", json::object{}}}}};
  }
  return marshal(json::object{{"openapi", "3.0.0"},
                              {"info", json::object{{"title", "Kubernetes"}, {"version", options_.git_version}}},
                              {"paths", std::move(paths)},
                              {"components", json::object{{"schemas", json::object{}}}}});
}

}  // namespace vbackup::kubetest
