#include "policies/backup_policies.hpp"

#include "vbackup/error.hpp"

#include <algorithm>
#include <cctype>

namespace vbackup::policies {

namespace {

bool equal_fold(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// scopeResourceMapFunc: the GroupResource string; "" for a resource of the other scope; the entry
// itself when discovery does not know it.
std::string scope_resource(const filter::ResourceResolver& resolve, std::string_view item, bool namespaced) {
  auto r = resolve(item);
  if (!r) return std::string(item);
  if (r->namespaced != namespaced) return {};
  return r->group_resource;
}

void combine(std::vector<std::string>& includes, std::vector<std::string>& excludes,
             const std::vector<std::string>& policy_includes, const std::vector<std::string>& policy_excludes,
             const filter::ResourceResolver& resolve, bool namespaced) {
  filter::GlobSet in, ex;
  for (const auto& i : includes) {
    if (std::string r = i == "*" ? i : scope_resource(resolve, i, namespaced); !r.empty()) in.insert(r);
  }
  for (const auto& e : excludes) {
    if (std::string r = e == "*" ? e : scope_resource(resolve, e, namespaced); !r.empty()) ex.insert(r);
  }
  // Excludes first, then includes, each against the lists as they grow (Velero's order).
  for (const auto& item : policy_excludes) {
    std::string r = scope_resource(resolve, item, namespaced);
    if (r.empty() || in.match(r) || ex.match(r)) continue;
    ex.insert(r);
    excludes.push_back(r);
  }
  for (const auto& item : policy_includes) {
    std::string r = scope_resource(resolve, item, namespaced);
    if (r.empty() || in.match(r) || ex.match(r)) continue;
    in.insert(r);
    includes.push_back(r);
  }
}

// GetGlobalResourcePolicies: the global ConfigMap's volume policies only.
std::optional<ResourcePolicies> global_policies(const std::string& ns, const std::string& name, const ConfigMapGetter& get,
                                                std::vector<std::string>& errors) {
  const std::string id = ns + "/" + name;
  std::optional<json::object> cm;
  try {
    cm = get(ns, name);
    if (!cm) throw Error(ErrorCode::not_found, "configmaps \"" + name + "\" not found");
  } catch (const Error& e) {
    errors.push_back("fail to get global backup volume policies ConfigMap " + id + ": " + e.what());
    return std::nullopt;
  }
  try {
    ResourcePolicies::from_config_map(*cm, PolicyUse::decode);
  } catch (const Error& e) {
    errors.push_back("fail to read global backup volume policies from ConfigMap " + id + ": " + e.what());
    return std::nullopt;
  }
  ResourcePolicies p;
  try {
    p = ResourcePolicies::from_config_map(*cm, PolicyUse::backup);
  } catch (const Error& e) {
    errors.push_back("fail to validate global backup volume policies in ConfigMap " + id + ": " + e.what());
    return std::nullopt;
  }
  ResourcePolicies only;  // include/exclude and filter policies are ignored globally (Velero warns)
  only.version = p.version;
  only.volume_policies = std::move(p.volume_policies);
  return only;
}

BackupResourcePolicies backup_policies(const velero::Backup& backup, const ConfigMapGetter& get);

}  // namespace

BackupResourcePolicies resolve_backup_resource_policies(const velero::Backup& backup, const ConfigMapGetter& get,
                                                        const std::string& global_config_map) {
  BackupResourcePolicies out = backup_policies(backup, get);
  if (!global_config_map.empty() && out.validation_errors.empty()) {
    if (auto global = global_policies(backup.metadata.namespace_, global_config_map, get, out.validation_errors)) {
      if (!out.policies) {
        out.policies = std::move(global);
      } else {
        for (auto& v : global->volume_policies) out.policies->volume_policies.push_back(std::move(v));
      }
    }
  }
  if (!out.policies) return out;
  // prepareBackupRequest: the old resource filters cannot be combined with filter policies.
  const auto& s = backup.spec;
  filter::ResourceFilterSpec old;
  old.included_resources = s.included_resources;
  old.excluded_resources = s.excluded_resources;
  old.include_cluster_resources = s.include_cluster_resources;
  const bool old_filters = filter::use_old_resource_filters(old);
  if (old_filters && out.policies->include_exclude_policy) {
    out.validation_errors.push_back(
        "include-resources, exclude-resources and include-cluster-resources are old filter parameters.\n"
        "They cannot be used with include-exclude policies.");
  }
  if (old_filters &&
      (!out.policies->namespaced_filter_policies.empty() || out.policies->cluster_scoped_filter_policy)) {
    out.validation_errors.push_back(
        "include-resources, exclude-resources and include-cluster-resources are old filter parameters.\n"
        "They cannot be used with namespace-scoped or fine-grained global filter policies.");
  }
  return out;
}

namespace {

BackupResourcePolicies backup_policies(const velero::Backup& backup, const ConfigMapGetter& get) {
  BackupResourcePolicies out;
  const auto& ref = backup.spec.resource_policy;
  if (!ref || !equal_fold(ref->kind, configmap_ref_type)) return out;
  const std::string& ns = backup.metadata.namespace_;
  const std::string cm_id = ns + "/" + ref->name, backup_id = ns + "/" + backup.metadata.name;
  std::optional<json::object> cm;
  try {
    cm = get(ns, ref->name);
    if (!cm) throw Error(ErrorCode::not_found, "configmaps \"" + ref->name + "\" not found");
  } catch (const Error& e) {
    out.validation_errors.push_back("fail to get ResourcePolicies " + cm_id + " ConfigMap: " + e.what());
    return out;
  }
  // getResourcePoliciesFromConfig (decode and BuildPolicy), then Validate, each with its message.
  try {
    ResourcePolicies::from_config_map(*cm, PolicyUse::decode);
  } catch (const Error& e) {
    out.validation_errors.push_back("fail to read the ResourcePolicies from ConfigMap " + backup_id + ": " + e.what());
    return out;
  }
  try {
    out.policies = ResourcePolicies::from_config_map(*cm, PolicyUse::backup);
  } catch (const Error& e) {
    out.validation_errors.push_back("fail to validate ResourcePolicies in ConfigMap " + backup_id + ": " + e.what());
    return out;
  }
  return out;
}

}  // namespace

void combine_with_policy(filter::ResourceFilterSpec& spec, const IncludeExcludePolicy& policy,
                         const filter::ResourceResolver& resolve) {
  combine(spec.included_namespace_scoped_resources, spec.excluded_namespace_scoped_resources,
          policy.included_namespace_scoped_resources, policy.excluded_namespace_scoped_resources, resolve, true);
  combine(spec.included_cluster_scoped_resources, spec.excluded_cluster_scoped_resources,
          policy.included_cluster_scoped_resources, policy.excluded_cluster_scoped_resources, resolve, false);
}

}  // namespace vbackup::policies
