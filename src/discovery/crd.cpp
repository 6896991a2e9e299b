// CustomResourceDefinition -> discovery, as apiextensions-apiserver serves it
// (pkg/apiserver/customresource_discovery_controller.go) after the API server's defaulting and
// validation of the CRD (pkg/apis/apiextensions/{v1,v1beta1}/defaults.go, validation/validation.go).
#include "vbackup/discovery.hpp"

#include "discovery/preferred.hpp"
#include "vbackup/error.hpp"

#include <algorithm>

namespace vbackup {

namespace {

// Group priority the CRD registration controller gives every CRD group version (APIService
// groupPriorityMinimum 1000, versionPriority 100): after all built-in groups.
constexpr int crd_group_priority = 1000;

struct CrdVersion {
  std::string name;
  bool served = false, storage = false, status = false, scale = false;
};

class CrdReader {
 public:

  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    std::string msg = "CustomResourceDefinition";
    if (!name_.empty()) msg += " \"" + name_ + "\"";
    msg += ": ";
    if (!field.empty()) msg += field + ": ";
    throw invalid_input(msg + problem);
  }

  const json::value* field(const json::object& o, std::string_view key, const std::string& path,
                           boost::json::kind expected, const char* type) const {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return nullptr;
    if (it->value().kind() != expected) fail(path, std::string("expected ") + type);
    return &it->value();
  }
  std::string string_field(const json::object& o, std::string_view key, const std::string& path) const {
    const json::value* v = field(o, key, path, boost::json::kind::string, "string");
    return v ? std::string(v->get_string()) : std::string();
  }
  bool bool_field(const json::object& o, std::string_view key, const std::string& path) const {
    const json::value* v = field(o, key, path, boost::json::kind::bool_, "boolean");
    return v && v->get_bool();
  }
  const json::object* object_field(const json::object& o, std::string_view key, const std::string& path) const {
    const json::value* v = field(o, key, path, boost::json::kind::object, "object");
    return v ? &v->get_object() : nullptr;
  }
  std::vector<std::string> strings_field(const json::object& o, std::string_view key, const std::string& path) const {
    std::vector<std::string> out;
    const json::value* v = field(o, key, path, boost::json::kind::array, "array");
    if (!v) return out;
    for (const json::value& item : v->get_array()) {
      if (!item.is_string() || item.get_string().empty()) fail(path, "expected non-empty strings");
      out.emplace_back(item.get_string());
    }
    return out;
  }

  void read_subresources(const json::object* sub, const std::string& path, CrdVersion& v) const {
    if (!sub) return;
    v.status = object_field(*sub, "status", path + ".status") != nullptr;
    v.scale = object_field(*sub, "scale", path + ".scale") != nullptr;
  }

  void set_name(std::string name) { name_ = std::move(name); }

 private:
  std::string name_;
};

}  // namespace

void Discovery::add_crd(const json::object& crd) {
  CrdReader in;
  const std::string name(json::metadata_string(crd, "name"));
  in.set_name(name);

  const std::string api_version = in.string_field(crd, "apiVersion", "apiVersion");
  const bool v1beta1 = api_version == "apiextensions.k8s.io/v1beta1";
  if (api_version != "apiextensions.k8s.io/v1" && !v1beta1)
    in.fail("apiVersion", "expected apiextensions.k8s.io/v1 or apiextensions.k8s.io/v1beta1, got \"" + api_version + "\"");
  const std::string kind = in.string_field(crd, "kind", "kind");
  if (kind != "CustomResourceDefinition") in.fail("kind", "expected CustomResourceDefinition, got \"" + kind + "\"");
  if (name.empty()) in.fail("metadata.name", "required");

  const json::object* spec = in.object_field(crd, "spec", "spec");
  if (!spec) in.fail("spec", "required");

  const std::string group = in.string_field(*spec, "group", "spec.group");
  if (group.empty()) in.fail("spec.group", "required");
  if (group.find('.') == std::string::npos) in.fail("spec.group", "should be a domain with at least one dot");

  const json::object* names = in.object_field(*spec, "names", "spec.names");
  if (!names) in.fail("spec.names", "required");
  const std::string plural = in.string_field(*names, "plural", "spec.names.plural");
  if (plural.empty()) in.fail("spec.names.plural", "required");
  const std::string resource_kind = in.string_field(*names, "kind", "spec.names.kind");
  if (resource_kind.empty()) in.fail("spec.names.kind", "required");
  std::string singular = in.string_field(*names, "singular", "spec.names.singular");
  if (singular.empty()) singular = discovery_detail::lower_ascii(resource_kind);  // SetDefaults
  const std::vector<std::string> short_names = in.strings_field(*names, "shortNames", "spec.names.shortNames");
  const std::vector<std::string> categories = in.strings_field(*names, "categories", "spec.names.categories");
  if (name != plural + "." + group) in.fail("metadata.name", "must be spec.names.plural+\".\"+spec.group");

  std::string scope = in.string_field(*spec, "scope", "spec.scope");
  if (scope.empty()) {
    if (!v1beta1) in.fail("spec.scope", "required");
    scope = "Namespaced";  // v1beta1 default
  }
  if (scope != "Namespaced" && scope != "Cluster")
    in.fail("spec.scope", "must be Namespaced or Cluster, got \"" + scope + "\"");

  // Versions. v1beta1 may name one in spec.version and keep subresources at spec level.
  std::vector<CrdVersion> versions;
  const json::object* shared_subresources = v1beta1 ? in.object_field(*spec, "subresources", "spec.subresources") : nullptr;
  const json::value* list = in.field(*spec, "versions", "spec.versions", boost::json::kind::array, "array");
  if (list) {
    const auto& arr = list->get_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string path = "spec.versions[" + std::to_string(i) + "]";
      if (!arr[i].is_object()) in.fail(path, "expected object");
      const json::object& o = arr[i].get_object();
      CrdVersion v;
      v.name = in.string_field(o, "name", path + ".name");
      if (v.name.empty()) in.fail(path + ".name", "required");
      for (const CrdVersion& seen : versions)
        if (seen.name == v.name) in.fail(path + ".name", "duplicate version \"" + v.name + "\"");
      v.served = in.bool_field(o, "served", path + ".served");
      v.storage = in.bool_field(o, "storage", path + ".storage");
      const json::object* own = in.object_field(o, "subresources", path + ".subresources");
      if (own && shared_subresources)
        in.fail(path + ".subresources", "per-version subresources may not be used with spec.subresources");
      in.read_subresources(own ? own : shared_subresources, own ? path + ".subresources" : "spec.subresources", v);
      versions.push_back(std::move(v));
    }
  }
  if (v1beta1) {
    const std::string version = in.string_field(*spec, "version", "spec.version");
    if (versions.empty() && !version.empty()) {
      CrdVersion v;  // SetDefaults: the single version is served and stored
      v.name = version;
      v.served = v.storage = true;
      in.read_subresources(shared_subresources, "spec.subresources", v);
      versions.push_back(std::move(v));
    } else if (!version.empty() && version != versions.front().name) {
      in.fail("spec.version", "must match the first version in spec.versions");
    }
  }
  if (versions.empty()) in.fail("spec.versions", "must have at least one version");
  if (std::count_if(versions.begin(), versions.end(), [](const CrdVersion& v) { return v.storage; }) != 1)
    in.fail("spec.versions", "must have exactly one version marked as storage version");
  std::vector<CrdVersion> served;
  for (const CrdVersion& v : versions)
    if (v.served) served.push_back(v);
  if (served.empty()) in.fail("spec.versions", "no version is served");

  // Valid: replace an earlier CRD of this name, then publish this one.
  if (auto old = crds_.find(name); old != crds_.end()) {
    for (const std::string& v : old->second.served) {
      auto it = lists_.find(discovery_detail::join_group_version(old->second.group, v));
      if (it == lists_.end()) continue;
      auto& rs = it->second;
      const std::string prefix = old->second.plural + "/";
      rs.erase(std::remove_if(rs.begin(), rs.end(),
                              [&](const ApiResource& r) { return r.name == old->second.plural || r.name.starts_with(prefix); }),
               rs.end());
    }
    crds_.erase(old);
  }
  Crd record{group, plural, {}};
  for (const CrdVersion& v : served) record.served.push_back(v.name);
  crds_.emplace(name, std::move(record));

  // The group's versions: for a CRD-made group the union over its CRDs, highest priority first
  // (sortGroupDiscoveryByKubeAwareVersion; the first is preferred). An existing group made otherwise
  // keeps its order and preferred version and gains any new version at the end.
  if (!this->group(group)) {
    insert_crd_group(group);
    crd_groups_.insert(group);
  }
  ApiGroup& g = *std::find_if(groups_.begin(), groups_.end(), [&](const ApiGroup& x) { return x.name == group; });
  if (crd_groups_.contains(group)) {
    std::vector<std::string> union_versions;
    for (const auto& [crd_name, c] : crds_)
      if (c.group == group)
        for (const std::string& v : c.served)
          if (std::find(union_versions.begin(), union_versions.end(), v) == union_versions.end())
            union_versions.push_back(v);
    std::stable_sort(union_versions.begin(), union_versions.end(),
                     [](const std::string& a, const std::string& b) { return compare_kube_versions(a, b) > 0; });
    for (const std::string& v : g.versions)  // versions no CRD serves any more disappear
      if (std::find(union_versions.begin(), union_versions.end(), v) == union_versions.end())
        lists_.erase(discovery_detail::join_group_version(group, v));
    g.versions = std::move(union_versions);
    g.preferred_version = g.versions.front();
  } else {
    for (const CrdVersion& v : served)
      if (std::find(g.versions.begin(), g.versions.end(), v.name) == g.versions.end()) g.versions.push_back(v.name);
  }

  const bool namespaced = scope == "Namespaced";
  for (const CrdVersion& v : served) {
    auto& rs = lists_[discovery_detail::join_group_version(group, v.name)];
    std::vector<ApiResource> block;
    ApiResource main;
    main.group = group;
    main.version = v.name;
    main.name = plural;
    main.singular = singular;
    main.kind = resource_kind;
    main.namespaced = namespaced;
    main.verbs = {"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"};
    main.short_names = short_names;
    main.categories = categories;
    block.push_back(main);
    if (v.status) {
      ApiResource s;
      s.group = group;
      s.version = v.name;
      s.name = plural + "/status";
      s.kind = resource_kind;
      s.namespaced = namespaced;
      s.verbs = {"get", "patch", "update"};
      block.push_back(std::move(s));
    }
    if (v.scale) {
      ApiResource s;
      s.group = group;
      s.version = v.name;
      s.name = plural + "/scale";
      s.kind = "Scale";  // autoscaling/v1
      s.namespaced = namespaced;
      s.verbs = {"get", "patch", "update"};
      block.push_back(std::move(s));
    }
    // Aggregated discovery sorts a version's resources by name; each one's subresources follow it.
    auto at = std::find_if(rs.begin(), rs.end(), [&](const ApiResource& r) { return !r.is_subresource() && r.name > plural; });
    rs.insert(at, block.begin(), block.end());
  }
}

void Discovery::insert_crd_group(const std::string& name) {
  // Aggregated discovery orders groups by priority (highest first), equal priorities by name.
  // Groups of unknown priority are passed over where they stand.
  auto at = std::find_if(groups_.begin(), groups_.end(), [&](const ApiGroup& g) {
    return g.priority != 0 && (g.priority < crd_group_priority || (g.priority == crd_group_priority && g.name > name));
  });
  ApiGroup g;
  g.name = name;
  g.priority = crd_group_priority;
  groups_.insert(at, std::move(g));
}

}  // namespace vbackup
