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

}  // namespace

BackupResourcePolicies resolve_backup_resource_policies(const velero::Backup& backup, const ConfigMapGetter& get) {
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

void combine_with_policy(filter::ResourceFilterSpec& spec, const IncludeExcludePolicy& policy,
                         const filter::ResourceResolver& resolve) {
  combine(spec.included_namespace_scoped_resources, spec.excluded_namespace_scoped_resources,
          policy.included_namespace_scoped_resources, policy.excluded_namespace_scoped_resources, resolve, true);
  combine(spec.included_cluster_scoped_resources, spec.excluded_cluster_scoped_resources,
          policy.included_cluster_scoped_resources, policy.excluded_cluster_scoped_resources, resolve, false);
}

}  // namespace vbackup::policies
