// The backup's side of resource policies (Velero's GetResourcePoliciesFromBackup and the checks
// prepareBackupRequest adds, pkg/controller/backup_controller.go; ScopeIncludesExcludes.CombineWithPolicy,
// pkg/util/collections/includes_excludes.go): the ConfigMap a Backup's spec.resourcePolicy names, read
// from the Backup's (Velero) namespace, parsed and validated, and its includeExcludePolicy merged into
// the scoped resource filters. The volume decision is ResourcePolicies::match_volume.
#pragma once

#include "filter/filter.hpp"
#include "policies/resource_policies.hpp"
#include "vbackup/velero_backup.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vbackup::policies {

// ConfigmapRefType: the only kind of spec.resourcePolicy Velero reads (compared case-insensitively);
// a reference of another kind is ignored, as Velero ignores it.
inline constexpr std::string_view configmap_ref_type = "configmap";

// Reads one ConfigMap (namespace, name); nullopt when it does not exist. May throw Error for any
// other failure (its message is kept in the validation error).
using ConfigMapGetter = std::function<std::optional<json::object>(const std::string& ns, const std::string& name)>;

struct BackupResourcePolicies {
  std::optional<ResourcePolicies> policies;    // nullopt: no policy (none named, or not a configmap)
  std::vector<std::string> validation_errors;  // for status.validationErrors, in Velero's words
};

// GetResourcePoliciesFromBackup with prepareBackupRequest's checks. The ConfigMap is read from
// backup.metadata.namespace_; errors, worded as Velero's:
//   fail to get ResourcePolicies <ns>/<cm> ConfigMap: configmaps "<cm>" not found
//   fail to read the ResourcePolicies from ConfigMap <ns>/<backup>: <decode error>
//   fail to validate ResourcePolicies in ConfigMap <ns>/<backup>: <validation error>
// (Velero names the Backup, not the ConfigMap, in the last two), then the old-filter conflicts
// ("include-resources, exclude-resources and include-cluster-resources are old filter parameters…").
//
// `global_config_map` (the server's --global-backup-volume-policies-configmap, read from the same
// namespace; "" for none) is GetResourcePoliciesFromBackupWithGlobal: its volumePolicies only are
// appended after the Backup's own (the Backup's win), its other sections ignored; errors
// "fail to get global backup volume policies ConfigMap <ns>/<cm>: …" (read / validate alike). Without
// errors, the caller sets global_annotation: <cm> on the Backup, as prepareBackupRequest does.
BackupResourcePolicies resolve_backup_resource_policies(const velero::Backup& backup, const ConfigMapGetter& get,
                                                        const std::string& global_config_map = {});

// GlobalBackupVolumePolicyConfigMapAnnotation: set on the Backup when a global ConfigMap is configured.
inline constexpr std::string_view global_annotation = "velero.io/global-backup-volume-policy-configmap";

// CombineWithPolicy: each includeExcludePolicy entry, resolved as the scoped filters resolve theirs
// (an entry of the other scope is dropped, an unknown one kept verbatim), is added to the spec's
// scoped includes or excludes unless those already match it (the Backup's own lists win).
void combine_with_policy(filter::ResourceFilterSpec& spec, const IncludeExcludePolicy& policy,
                         const filter::ResourceResolver& resolve);

}  // namespace vbackup::policies
