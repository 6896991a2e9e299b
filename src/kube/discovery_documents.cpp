// Legacy discovery documents (metav1.APIVersions, APIGroupList, APIResourceList) into the
// Discovery model. A malformed document is Error(kube) naming the URL and the field.
#include "kube/internal.hpp"
#include "vbackup/error.hpp"

#include <algorithm>

namespace vbackup::kube {
namespace {

[[noreturn]] void bad(std::string_view what, const std::string& problem) {
  throw Error(ErrorCode::kube, std::string(what) + ": " + problem);
}

const json::object& as_object(const json::value& v, std::string_view what, const std::string& path) {
  if (!v.is_object()) bad(what, path + ": expected an object");
  return v.get_object();
}

std::string string_field(const json::object& o, std::string_view key, std::string_view what, const std::string& path) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return {};
  if (!it->value().is_string()) bad(what, path + "." + std::string(key) + ": expected a string");
  return std::string(it->value().get_string());
}

std::vector<std::string> string_list(const json::object& o, std::string_view key, std::string_view what,
                                     const std::string& path) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return out;
  if (!it->value().is_array()) bad(what, path + "." + std::string(key) + ": expected a list of strings");
  for (const auto& v : it->value().get_array()) {
    if (!v.is_string()) bad(what, path + "." + std::string(key) + ": expected a list of strings");
    out.emplace_back(v.get_string());
  }
  return out;
}

const json::array& array_field(const json::object& o, std::string_view key, std::string_view what) {
  static const json::array empty;
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return empty;
  if (!it->value().is_array()) bad(what, std::string(key) + ": expected a list");
  return it->value().get_array();
}

}  // namespace

std::vector<std::string> parse_api_versions(const json::value& doc, std::string_view what) {
  return string_list(as_object(doc, what, "(document)"), "versions", what, "(document)");
}

std::vector<ApiGroup> parse_api_group_list(const json::value& doc, std::string_view what) {
  const json::object& o = as_object(doc, what, "(document)");
  std::vector<ApiGroup> out;
  std::size_t i = 0;
  for (const auto& g : array_field(o, "groups", what)) {
    std::string path = "groups[" + std::to_string(i++) + "]";
    const json::object& go = as_object(g, what, path);
    ApiGroup group;
    group.name = string_field(go, "name", what, path);
    if (group.name.empty()) bad(what, path + ".name: missing");
    std::size_t j = 0;
    for (const auto& v : array_field(go, "versions", what)) {
      std::string vpath = path + ".versions[" + std::to_string(j++) + "]";
      std::string version = string_field(as_object(v, what, vpath), "version", what, vpath);
      if (version.empty()) bad(what, vpath + ".version: missing");
      group.versions.push_back(std::move(version));
    }
    if (const json::object* pv = json::find_object(go, "preferredVersion")) {
      group.preferred_version = string_field(*pv, "version", what, path + ".preferredVersion");
      // A preferred version the group does not list would be refused by Discovery; keep the first.
      if (std::find(group.versions.begin(), group.versions.end(), group.preferred_version) == group.versions.end()) {
        group.preferred_version.clear();
      }
    }
    if (group.versions.empty()) continue;  // nothing served: nothing to discover
    out.push_back(std::move(group));
  }
  return out;
}

std::vector<ApiResource> parse_api_resource_list(const json::value& doc, std::string_view what) {
  const json::object& o = as_object(doc, what, "(document)");
  std::vector<ApiResource> out;
  std::size_t i = 0;
  for (const auto& r : array_field(o, "resources", what)) {
    std::string path = "resources[" + std::to_string(i++) + "]";
    const json::object& ro = as_object(r, what, path);
    ApiResource res;
    res.name = string_field(ro, "name", what, path);
    if (res.name.empty()) bad(what, path + ".name: missing");
    res.singular = string_field(ro, "singularName", what, path);
    res.kind = string_field(ro, "kind", what, path);
    auto ns = ro.find("namespaced");
    if (ns != ro.end() && !ns->value().is_null()) {
      if (!ns->value().is_bool()) bad(what, path + ".namespaced: expected a boolean");
      res.namespaced = ns->value().get_bool();
    } else {
      res.namespaced = false;  // Go's zero value
    }
    res.verbs = string_list(ro, "verbs", what, path);
    res.short_names = string_list(ro, "shortNames", what, path);
    res.categories = string_list(ro, "categories", what, path);
    out.push_back(std::move(res));
  }
  return out;
}

std::vector<AggregatedGroup> parse_aggregated_discovery(const json::value& doc, std::string_view what,
                                                        std::vector<std::string>& warnings) {
  const json::object& o = as_object(doc, what, "(document)");
  std::vector<AggregatedGroup> out;
  std::size_t i = 0;
  for (const auto& item : array_field(o, "items", what)) {
    std::string path = "items[" + std::to_string(i++) + "]";
    const json::object& io = as_object(item, what, path);
    AggregatedGroup ag;
    if (const json::object* meta = json::find_object(io, "metadata")) ag.group.name = string_field(*meta, "name", what, path + ".metadata");
    std::size_t j = 0;
    auto versions = io.find("versions");
    if (versions == io.end() || !versions->value().is_array()) continue;
    for (const auto& v : versions->value().get_array()) {
      std::string vpath = path + ".versions[" + std::to_string(j++) + "]";
      const json::object& vo = as_object(v, what, vpath);
      std::string version = string_field(vo, "version", what, vpath);
      if (version.empty()) bad(what, vpath + ".version: missing");
      const std::string gv = ag.group.name.empty() ? version : ag.group.name + "/" + version;
      if (string_field(vo, "freshness", what, vpath) == "Stale") {
        warnings.push_back("failed to discover group " + gv + ": stale aggregated discovery (" + std::string(what) + ")");
        continue;
      }
      std::vector<ApiResource> resources;
      std::size_t k = 0;
      auto rs = vo.find("resources");
      if (rs != vo.end() && rs->value().is_array()) {
        for (const auto& r : rs->value().get_array()) {
          std::string rpath = vpath + ".resources[" + std::to_string(k++) + "]";
          const json::object& ro = as_object(r, what, rpath);
          const json::object* kind = json::find_object(ro, "responseKind");
          ApiResource res;
          res.name = string_field(ro, "resource", what, rpath);
          if (res.name.empty()) bad(what, rpath + ".resource: missing");
          res.singular = string_field(ro, "singularResource", what, rpath);
          res.namespaced = string_field(ro, "scope", what, rpath) == "Namespaced";
          res.verbs = string_list(ro, "verbs", what, rpath);
          res.short_names = string_list(ro, "shortNames", what, rpath);
          res.categories = string_list(ro, "categories", what, rpath);
          if (kind) {
            res.kind = string_field(*kind, "kind", what, rpath + ".responseKind");
            resources.push_back(res);
          }
          std::size_t m = 0;
          for (const auto& sr : array_field(ro, "subresources", what)) {
            std::string spath = rpath + ".subresources[" + std::to_string(m++) + "]";
            const json::object& so = as_object(sr, what, spath);
            const json::object* skind = json::find_object(so, "responseKind");
            if (!skind) continue;
            ApiResource sub;
            sub.name = res.name + "/" + string_field(so, "subresource", what, spath);
            sub.kind = string_field(*skind, "kind", what, spath + ".responseKind");
            sub.namespaced = res.namespaced;
            sub.verbs = string_list(so, "verbs", what, spath);
            resources.push_back(std::move(sub));
          }
        }
      }
      ag.group.versions.push_back(version);
      ag.versions.emplace_back(version, std::move(resources));
    }
    if (ag.group.versions.empty()) continue;
    ag.group.preferred_version = ag.group.versions.front();
    out.push_back(std::move(ag));
  }
  return out;
}

}  // namespace vbackup::kube
