// The strict YAML reading mirrors go-yaml v3 decoding into Velero's structs with KnownFields(true):
// unknown and repeated keys fail, any scalar reads as a string field's text, null as the zero value.
// The validation is Validate's (backup) or ValidateForRestore's, rule by rule, with their messages.
#include "policies/resource_policies.hpp"

#include "vbackup/error.hpp"
#include "filter/filter.hpp"
#include "vbackup/labels.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <set>
#include <tuple>

namespace vbackup::policies {

namespace {

constexpr std::string_view kSupportedVersion = "v1";  // currentSupportDataVersion
// Aliases can make a small document name many values; reading stops past this many.
constexpr std::size_t kMaxValues = 1'000'000;

class Reader {
 public:
  explicit Reader(std::string_view what) : what_(what) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& path, const std::string& problem) const {
    std::string msg(what_);
    msg += ": ";
    if (at.IsDefined() && at.Mark().line >= 0) {
      msg += "line " + std::to_string(at.Mark().line + 1) + ", column " + std::to_string(at.Mark().column + 1) + ": ";
    }
    throw invalid_input(msg + (path.empty() ? "" : path + ": ") + problem);
  }

  void count(const YAML::Node& at, const std::string& path) {
    if (++values_ > kMaxValues) fail(at, path, "more than 1000000 values (aliases expand too far)");
  }

  bool absent(const YAML::Node& n) const { return !n.IsDefined() || n.IsNull(); }

  std::string str(const YAML::Node& n, const std::string& path) {
    count(n, path);
    if (absent(n)) return {};
    if (!n.IsScalar()) fail(n, path, "expected a string");
    return n.Scalar();
  }

  std::vector<std::string> strings(const YAML::Node& n, const std::string& path) {
    std::vector<std::string> out;
    if (absent(n)) return out;
    if (!n.IsSequence()) fail(n, path, "expected a list of strings");
    for (std::size_t i = 0; i < n.size(); ++i) out.push_back(str(n[i], path + "[" + std::to_string(i) + "]"));
    return out;
  }

  // The mapping's entries by key, refusing keys outside `known` and repeated keys.
  std::map<std::string, YAML::Node> fields(const YAML::Node& n, const std::string& path,
                                           std::initializer_list<std::string_view> known) {
    std::map<std::string, YAML::Node> out;
    if (absent(n)) return out;
    if (!n.IsMap()) fail(n, path, "expected a mapping");
    for (auto it = n.begin(); it != n.end(); ++it) {
      count(it->first, path);
      if (!it->first.IsScalar()) fail(it->first, path, "expected a string key");
      const std::string& key = it->first.Scalar();
      bool ok = false;
      for (std::string_view k : known) ok = ok || k == key;
      if (!ok) fail(it->first, path, "unknown field \"" + key + "\"");
      if (!out.emplace(key, it->second).second) fail(it->first, path, "mapping key \"" + key + "\" already defined");
    }
    return out;
  }

  std::optional<json::object> label_selector(const YAML::Node& n, const std::string& path) {
    if (absent(n)) return std::nullopt;
    auto f = fields(n, path, {"matchLabels", "matchExpressions"});
    json::object sel;
    if (auto it = f.find("matchLabels"); it != f.end() && !absent(it->second)) {
      if (!it->second.IsMap()) fail(it->second, path + ".matchLabels", "expected a mapping of strings");
      json::object labels;
      std::set<std::string> seen;
      for (auto kv = it->second.begin(); kv != it->second.end(); ++kv) {
        std::string key = str(kv->first, path + ".matchLabels");
        if (!seen.insert(key).second) fail(kv->first, path + ".matchLabels", "mapping key \"" + key + "\" already defined");
        labels[key] = str(kv->second, path + ".matchLabels." + key);
      }
      if (!labels.empty()) sel["matchLabels"] = std::move(labels);
    }
    if (auto it = f.find("matchExpressions"); it != f.end() && !absent(it->second)) {
      const YAML::Node& list = it->second;
      if (!list.IsSequence()) fail(list, path + ".matchExpressions", "expected a list");
      json::array exprs;
      for (std::size_t i = 0; i < list.size(); ++i) {
        std::string p = path + ".matchExpressions[" + std::to_string(i) + "]";
        auto e = fields(list[i], p, {"key", "operator", "values"});
        json::object expr;
        expr["key"] = str(e["key"], p + ".key");
        expr["operator"] = str(e["operator"], p + ".operator");
        json::array values;
        for (auto& v : strings(e["values"], p + ".values")) values.emplace_back(v);
        if (!values.empty()) expr["values"] = std::move(values);
        exprs.emplace_back(std::move(expr));
      }
      if (!exprs.empty()) sel["matchExpressions"] = std::move(exprs);
    }
    if (sel.empty()) return std::nullopt;  // IsPresentLabelSelector
    return sel;
  }

  PolicyResourceFilter resource_filter(const YAML::Node& n, const std::string& path) {
    auto f = fields(n, path, {"kinds", "labelSelector", "orLabelSelectors", "names", "excludedNames"});
    PolicyResourceFilter rf;
    rf.kinds = strings(f["kinds"], path + ".kinds");
    rf.label_selector = label_selector(f["labelSelector"], path + ".labelSelector");
    if (const YAML::Node& ors = f["orLabelSelectors"]; !absent(ors)) {
      if (!ors.IsSequence()) fail(ors, path + ".orLabelSelectors", "expected a list");
      for (std::size_t i = 0; i < ors.size(); ++i) {
        rf.or_label_selectors.push_back(label_selector(ors[i], path + ".orLabelSelectors[" + std::to_string(i) + "]"));
      }
    }
    rf.names = strings(f["names"], path + ".names");
    rf.excluded_names = strings(f["excludedNames"], path + ".excludedNames");
    return rf;
  }

  std::vector<PolicyResourceFilter> resource_filters(const YAML::Node& n, const std::string& path) {
    std::vector<PolicyResourceFilter> out;
    if (absent(n)) return out;
    if (!n.IsSequence()) fail(n, path, "expected a list");
    for (std::size_t i = 0; i < n.size(); ++i) out.push_back(resource_filter(n[i], path + "[" + std::to_string(i) + "]"));
    return out;
  }

  // An untyped YAML value (map[string]any) as go-yaml v3 types it: quoted scalars are strings, plain
  // ones null, bool, int or float when they read as such (YAML 1.2 core schema), else strings.
  json::value any(const YAML::Node& n, const std::string& path) {
    count(n, path);
    if (!n.IsDefined() || n.IsNull()) return nullptr;
    if (n.IsSequence()) {
      json::array a;
      for (std::size_t i = 0; i < n.size(); ++i) a.push_back(any(n[i], path + "[" + std::to_string(i) + "]"));
      return a;
    }
    if (n.IsMap()) {
      json::object o;
      for (auto it = n.begin(); it != n.end(); ++it) {
        std::string key = str(it->first, path);
        if (o.contains(key)) fail(it->first, path, "mapping key \"" + key + "\" already defined");
        o[key] = any(it->second, path + "." + key);
      }
      return o;
    }
    const std::string& text = n.Scalar();
    if (n.Tag() != "?") return json::string(text);  // quoted or explicitly tagged: a string
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
    try {
      std::size_t used = 0;
      long long i = std::stoll(text, &used, 0);
      if (used == text.size() && text.find_first_of("xX") == std::string::npos) return static_cast<std::int64_t>(i);
    } catch (const std::exception&) {
    }
    try {
      std::size_t used = 0;
      double d = std::stod(text, &used);
      if (used == text.size() && text.find_first_of("xXpP") == std::string::npos &&
          text.find_first_of("0123456789") != std::string::npos) {
        return d;
      }
    } catch (const std::exception&) {
    }
    return json::string(text);
  }

  // A plain scalar go-yaml would not decode as a string into map[string]any (the type checks
  // unmarshalResourcePolicies makes on pvcVolumeMode and pvcAccessModes elements).
  std::string go_type_of(const YAML::Node& n, const std::string& path) {
    json::value v = any(n, path);
    switch (v.kind()) {
      case boost::json::kind::string: return "string";
      case boost::json::kind::bool_: return "bool";
      case boost::json::kind::int64: return "int";
      case boost::json::kind::double_: return "float64";
      case boost::json::kind::array: return "[]interface {}";
      case boost::json::kind::object: return "map[string]interface {}";
      default: return "<nil>";
    }
  }

  std::map<std::string, std::string> string_map(const YAML::Node& n, const std::string& path) {
    std::map<std::string, std::string> out;
    if (absent(n)) return out;
    if (!n.IsMap()) fail(n, path, "expected a mapping of strings");
    for (auto kv = n.begin(); kv != n.end(); ++kv) {
      std::string key = str(kv->first, path);
      if (out.count(key)) fail(kv->first, path, "mapping key \"" + key + "\" already defined");
      out[key] = str(kv->second, path + "." + key);
    }
    return out;
  }

  // unmarshalVolConditions: the conditions map decoded strictly into volumeConditions, after
  // unmarshalResourcePolicies' type checks on pvcLabels, pvcVolumeMode and pvcAccessModes.
  VolumeConditions conditions(const YAML::Node& n, const std::string& path) {
    VolumeConditions c;
    if (absent(n)) return c;
    if (!n.IsMap()) fail(n, path, "expected a mapping");
    if (const YAML::Node l = n["pvcLabels"]; l.IsDefined() && !l.IsNull() && !l.IsMap()) {
      invalid("pvcLabels must be a map of string to string, got " + go_type_of(l, path));
    }
    if (const YAML::Node m = n["pvcVolumeMode"]; m.IsDefined() && go_type_of(m, path) != "string") {
      invalid("pvcVolumeMode must be a string, got " + go_type_of(m, path));
    }
    if (const YAML::Node a = n["pvcAccessModes"]; a.IsDefined()) {
      if (!a.IsSequence()) invalid("pvcAccessModes must be a list of strings, got " + go_type_of(a, path));
      for (std::size_t i = 0; i < a.size(); ++i) {
        std::string t = go_type_of(a[i], path);
        if (t != "string") invalid("pvcAccessModes must be a list of strings, got element " + t);
      }
    }
    auto f = fields(n, path, {"capacity", "storageClass", "nfs", "csi", "volumeTypes", "pvcLabels", "pvcPhase",
                              "pvcVolumeMode", "pvcAccessModes"});
    c.capacity = str(f["capacity"], path + ".capacity");
    c.storage_class = strings(f["storageClass"], path + ".storageClass");
    // `nfs: {}` / `csi: {}` match any NFS / CSI volume; `nfs:` (null) is no condition, as in Go.
    if (const YAML::Node& nfs = f["nfs"]; !absent(nfs)) {
      auto nf = fields(nfs, path + ".nfs", {"server", "path"});
      c.nfs = NfsVolumeSource{str(nf["server"], path + ".nfs.server"), str(nf["path"], path + ".nfs.path")};
    }
    if (const YAML::Node& csi = f["csi"]; !absent(csi)) {
      auto cf = fields(csi, path + ".csi", {"driver", "volumeAttributes"});
      c.csi = CsiVolumeSource{str(cf["driver"], path + ".csi.driver"),
                              string_map(cf["volumeAttributes"], path + ".csi.volumeAttributes")};
    }
    c.volume_types = strings(f["volumeTypes"], path + ".volumeTypes");
    c.pvc_labels = string_map(f["pvcLabels"], path + ".pvcLabels");
    c.pvc_phase = strings(f["pvcPhase"], path + ".pvcPhase");
    c.pvc_volume_mode = str(f["pvcVolumeMode"], path + ".pvcVolumeMode");
    c.pvc_access_modes = strings(f["pvcAccessModes"], path + ".pvcAccessModes");
    return c;
  }

  VolumePolicy volume_policy(const YAML::Node& n, const std::string& path) {
    auto f = fields(n, path, {"conditions", "action"});
    VolumePolicy p;
    p.conditions = conditions(f["conditions"], path + ".conditions");
    auto a = fields(f["action"], path + ".action", {"type", "parameters"});
    p.action.type = str(a["type"], path + ".action.type");
    if (const YAML::Node& params = a["parameters"]; !absent(params)) {
      if (!params.IsMap()) fail(params, path + ".action.parameters", "expected a mapping");
      p.action.parameters = any(params, path + ".action.parameters").as_object();
    }
    return p;
  }

  IncludeExcludePolicy include_exclude(const YAML::Node& n, const std::string& path) {
    auto f = fields(n, path, {"includedClusterScopedResources", "excludedClusterScopedResources",
                              "includedNamespaceScopedResources", "excludedNamespaceScopedResources"});
    IncludeExcludePolicy p;
    p.included_cluster_scoped_resources = strings(f["includedClusterScopedResources"], path + ".includedClusterScopedResources");
    p.excluded_cluster_scoped_resources = strings(f["excludedClusterScopedResources"], path + ".excludedClusterScopedResources");
    p.included_namespace_scoped_resources =
        strings(f["includedNamespaceScopedResources"], path + ".includedNamespaceScopedResources");
    p.excluded_namespace_scoped_resources =
        strings(f["excludedNamespaceScopedResources"], path + ".excludedNamespaceScopedResources");
    return p;
  }

  ResourcePolicies document(const YAML::Node& root, PolicyUse use) {
    if (absent(root)) fail(root, "", "failed to decode yaml data into resource policies: EOF (empty document)");
    auto f = fields(root, "", {"version", "volumePolicies", "includeExcludePolicy", "clusterScopedFilterPolicy",
                               "namespacedFilterPolicies"});
    ResourcePolicies p;
    p.version = str(f["version"], "version");
    if (const YAML::Node& volumes = f["volumePolicies"]; !absent(volumes)) {
      if (!volumes.IsSequence()) fail(volumes, "volumePolicies", "expected a list");
      for (std::size_t i = 0; i < volumes.size(); ++i) {
        p.volume_policies.push_back(volume_policy(volumes[i], "volumePolicies[" + std::to_string(i) + "]"));
      }
    }
    if (const YAML::Node& ie = f["includeExcludePolicy"]; !absent(ie)) {
      p.include_exclude_policy = include_exclude(ie, "includeExcludePolicy");
    }
    if (const YAML::Node& cs = f["clusterScopedFilterPolicy"]; !absent(cs)) {
      auto c = fields(cs, "clusterScopedFilterPolicy", {"resourceFilters"});
      p.cluster_scoped_filter_policy = resource_filters(c["resourceFilters"], "clusterScopedFilterPolicy.resourceFilters");
    }
    if (const YAML::Node& ns = f["namespacedFilterPolicies"]; !absent(ns)) {
      if (!ns.IsSequence()) fail(ns, "namespacedFilterPolicies", "expected a list");
      for (std::size_t i = 0; i < ns.size(); ++i) {
        std::string path = "namespacedFilterPolicies[" + std::to_string(i) + "]";
        auto nf = fields(ns[i], path, {"namespaces", "resourceFilters"});
        p.namespaced_filter_policies.push_back(
            {strings(nf["namespaces"], path + ".namespaces"), resource_filters(nf["resourceFilters"], path + ".resourceFilters")});
      }
    }
    // BuildPolicy: every capacity parses (before any validation).
    for (VolumePolicy& v : p.volume_policies) {
      try {
        std::tie(v.capacity_lower, v.capacity_upper) = parse_capacity(v.conditions.capacity);
      } catch (const Error& e) {
        invalid(e.what());
      }
    }
    if (use == PolicyUse::decode) return p;
    if (p.version != kSupportedVersion) {
      invalid("incompatible version number " + p.version + " with supported version " + std::string(kSupportedVersion));
    }
    if (use == PolicyUse::restore) {  // ValidateForRestore
      if (!p.volume_policies.empty()) invalid("volumePolicies are not supported for restore");
      if (p.include_exclude_policy) invalid("includeExcludePolicy is not supported for restore");
      return p;
    }
    // Validate: each volume policy's action and conditions, then the include/exclude policy.
    for (std::size_t i = 0; i < p.volume_policies.size(); ++i) {
      if (auto e = volume_policy_error(p.volume_policies[i])) invalid(*e);
    }
    if (p.include_exclude_policy) {
      const auto& ie = *p.include_exclude_policy;
      if (auto e = include_exclude_error(ie.included_cluster_scoped_resources, ie.excluded_cluster_scoped_resources)) {
        invalid(*e);
      }
      if (auto e = include_exclude_error(ie.included_namespace_scoped_resources, ie.excluded_namespace_scoped_resources)) {
        invalid(*e);
      }
    }
    return p;
  }

  // IncludeExcludePolicy.validateIncludeExclude; excludes are walked sorted (sets.String.List).
  static std::optional<std::string> include_exclude_error(const std::vector<std::string>& includes,
                                                          const std::vector<std::string>& excludes) {
    std::set<std::string> in(includes.begin(), includes.end()), ex(excludes.begin(), excludes.end());
    if (in.count("*") || ex.count("*")) return "cannot use '*' in includes or excludes filters in the policy";
    for (const std::string& item : ex) {
      if (in.count(item)) return "excludes list cannot contain an item in the includes list: " + item;
    }
    return std::nullopt;
  }

  [[noreturn]] void invalid(const std::string& problem) const { throw invalid_input(std::string(what_) + ": " + problem); }

 private:
  std::string_view what_;
  std::size_t values_ = 0;
};

bool present(const PolicyResourceFilter& rf) { return rf.label_selector.has_value(); }

// The checks both policy kinds make on one resource filter; `at` is its path.
void validate_filter(const PolicyResourceFilter& rf, const std::string& at, const Reader& r) {
  if (present(rf) && !rf.or_label_selectors.empty()) {
    r.invalid(at + ": labelSelector and orLabelSelectors cannot co-exist");
  }
  auto check_selector = [&](const std::optional<json::object>& s, const std::string& where) {
    if (!s) return;
    try {
      labels::from_label_selector(json::value(*s));
    } catch (const Error& e) {
      r.invalid(where + ": invalid label selector: " + e.what());
    }
  };
  check_selector(rf.label_selector, at);
  for (std::size_t k = 0; k < rf.or_label_selectors.size(); ++k) {
    check_selector(rf.or_label_selectors[k], at + ".orLabelSelectors[" + std::to_string(k) + "]");
  }
  auto check_globs = [&](const std::vector<std::string>& list, const char* field) {
    for (std::size_t k = 0; k < list.size(); ++k) {
      try {
        filter::Glob::compile(list[k]);
      } catch (const Error& e) {
        r.invalid(at + "." + field + "[" + std::to_string(k) + "]: invalid glob pattern \"" + list[k] + "\": " + e.what());
      }
    }
  };
  check_globs(rf.names, "names");
  check_globs(rf.excluded_names, "excludedNames");
}

void validate_cluster_scoped(const ResourcePolicies& p, const Reader& r) {
  if (!p.cluster_scoped_filter_policy) return;
  const auto& filters = *p.cluster_scoped_filter_policy;
  if (filters.empty()) {
    r.invalid("clusterScopedFilterPolicy: resourceFilters cannot be empty; remove the policy block entirely if it is "
              "not needed");
  }
  std::map<std::string, std::size_t> seen;
  for (std::size_t j = 0; j < filters.size(); ++j) {
    const auto& rf = filters[j];
    std::string at = "clusterScopedFilterPolicy.resourceFilters[" + std::to_string(j) + "]";
    if (rf.catch_all()) r.invalid(at + ": kinds must be specified (catch-all is not supported)");
    for (const std::string& kind : rf.kinds) {
      auto [it, fresh] = seen.emplace(kind, j);
      if (!fresh) {
        r.invalid("clusterScopedFilterPolicy: kind \"" + kind + "\" appears in both resourceFilters[" +
                  std::to_string(it->second) + "] and resourceFilters[" + std::to_string(j) + "]");
      }
    }
    validate_filter(rf, at, r);
  }
}

void validate_namespaced(const ResourcePolicies& p, const Reader& r) {
  std::map<std::string, std::vector<std::size_t>> patterns;
  for (std::size_t i = 0; i < p.namespaced_filter_policies.size(); ++i) {
    const auto& nfp = p.namespaced_filter_policies[i];
    std::string at = "namespacedFilterPolicies[" + std::to_string(i) + "]";
    if (nfp.namespaces.empty()) r.invalid(at + ": at least one namespace must be specified");
    if (nfp.resource_filters.empty()) r.invalid(at + ": at least one resourceFilter must be specified");
    for (std::size_t j = 0; j < nfp.namespaces.size(); ++j) {
      if (auto e = namespace_pattern_error(nfp.namespaces[j])) {
        r.invalid(at + ".namespaces[" + std::to_string(j) + "]: " + *e);
      }
      patterns[nfp.namespaces[j]].push_back(i);
    }
    std::map<std::string, std::size_t> kinds;
    bool catch_all = false;
    for (std::size_t j = 0; j < nfp.resource_filters.size(); ++j) {
      const auto& rf = nfp.resource_filters[j];
      std::string rat = at + ".resourceFilters[" + std::to_string(j) + "]";
      if (rf.catch_all()) {
        if (catch_all) r.invalid(at + ": only one catch-all resource filter is allowed");
        catch_all = true;
        if (!rf.names.empty() || !rf.excluded_names.empty()) {
          r.invalid(rat + ": names or excludedNames cannot be specified for catch-all filters");
        }
      }
      for (const std::string& kind : rf.kinds) {
        if (kind == "*") continue;
        auto [it, fresh] = kinds.emplace(kind, j);
        if (!fresh) {
          r.invalid(at + ": kind \"" + kind + "\" appears in both resourceFilters[" + std::to_string(it->second) +
                    "] and resourceFilters[" + std::to_string(j) + "]");
        }
      }
      validate_filter(rf, rat, r);
    }
  }
  // Rule 8: exact duplicates only. Velero walks a Go map (random order); we report the first pattern.
  for (const auto& [pattern, policies] : patterns) {
    if (policies.size() < 2) continue;
    std::string list;
    for (std::size_t k : policies) list += (list.empty() ? "" : " ") + std::to_string(k);
    r.invalid("namespacedFilterPolicies: duplicate namespace pattern '" + pattern + "' found in policies [" + list + "]");
  }
}

}  // namespace

std::optional<std::string> namespace_pattern_error(std::string_view pattern) {
  if (pattern.find_first_of("|()!{},") != std::string_view::npos) {
    return "wildcard pattern contains unsupported characters: |, (, ), !, {, }, ,";
  }
  if (pattern.find("**") != std::string_view::npos) {
    return "wildcard pattern contains consecutive asterisks (only single * allowed)";
  }
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '[') {
      std::size_t close = pattern.find(']', i + 1);
      if (close == std::string_view::npos) return "wildcard pattern contains unclosed bracket '['";
      if (close == i + 1) return "wildcard pattern contains empty bracket pattern '[]'";
      i = close;
    } else if (pattern[i] == ']') {
      return "wildcard pattern contains unmatched closing bracket ']'";
    }
  }
  return std::nullopt;
}

ResourcePolicies ResourcePolicies::parse(std::string_view yaml, std::string_view what, PolicyUse use) {
  Reader reader(what);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    std::string msg(what);
    if (e.mark.line >= 0) msg += ": line " + std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1);
    throw invalid_input(msg + ": failed to decode yaml data into resource policies: " + e.msg);
  }
  try {
    ResourcePolicies p = reader.document(root, use);
    if (use == PolicyUse::decode) return p;
    validate_cluster_scoped(p, reader);
    validate_namespaced(p, reader);
    return p;
  } catch (const YAML::Exception& e) {  // yaml-cpp may still throw while nodes are visited
    throw invalid_input(std::string(what) + ": failed to decode yaml data into resource policies: " + e.msg);
  }
}

ResourcePolicies ResourcePolicies::from_config_map(const json::object& config_map, PolicyUse use) {
  std::string ns(json::metadata_string(config_map, "namespace")), name(json::metadata_string(config_map, "name"));
  std::string id = "configmap " + ns + "/" + name;
  const json::object* data = json::find_object(config_map, "data");
  if (!data || data->size() != 1) throw invalid_input("illegal resource policies " + ns + "/" + name + " configmap");
  const json::value& text = data->begin()->value();
  if (!text.is_string()) throw invalid_input(id + ": data." + std::string(data->begin()->key()) + ": expected a string");
  return parse(std::string_view(text.as_string()), id, use);
}

}  // namespace vbackup::policies
