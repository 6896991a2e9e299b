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

}  // namespace vbackup::kube
