// Resource policies (Velero's internal/resourcepolicies; csi §1.1.3 for the backup, restore §2.4 for
// the restore): the YAML a Backup's or Restore's spec.resourcePolicy ConfigMap holds, parsed strictly as
// Velero parses it (go-yaml v3 with KnownFields: an unknown or repeated key is an error) and validated
// with Velero's rules and messages: Validate for a backup, ValidateForRestore for a restore.
//
//   version: v1
//   namespacedFilterPolicies:
//   - namespaces: [ns-1, "team-*"]
//     resourceFilters:
//     - kinds: [pods, deployments.apps]      # empty or ["*"]: the catch-all entry
//       labelSelector: {matchLabels: {app: web}}        # or orLabelSelectors: [ … ], not both
//       names: ["web-*"]                     # gobwas globs on metadata.name
//       excludedNames: ["web-canary"]
//   clusterScopedFilterPolicy:
//     resourceFilters:
//     - kinds: [persistentvolumes]           # kinds required here
//       names: [pv-1]
//
//   volumePolicies:                          # backup only (volume_policies.hpp)
//   - conditions: {capacity: "0,100Gi", storageClass: [gp2], csi: {driver: ebs.csi.aws.com}}
//     action: {type: snapshot, parameters: {snapshotClass: fast}}
//   includeExcludePolicy:                    # backup only
//     includedClusterScopedResources: [persistentvolumes]
//     excludedNamespaceScopedResources: [secrets]
//
// `volumePolicies` and `includeExcludePolicy` fail ValidateForRestore. How the filters act on a
// restore is RestoreSelection's (restore/plan/selection.hpp).
#pragma once

#include "policies/volume_policies.hpp"
#include "vbackup/json.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::policies {

struct PolicyResourceFilter {
  std::vector<std::string> kinds;
  // metav1.LabelSelector JSON ({"matchLabels":…,"matchExpressions":[…]}); set only when it has a
  // constraint (Velero's IsPresentLabelSelector: {} counts as absent).
  std::optional<json::object> label_selector;
  // One entry per list element; nullopt for an element without constraints (Velero skips those).
  std::vector<std::optional<json::object>> or_label_selectors;
  std::vector<std::string> names, excluded_names;

  // IsCatchAll: no kinds, or exactly ["*"].
  bool catch_all() const { return kinds.empty() || (kinds.size() == 1 && kinds[0] == "*"); }
};

struct NamespacedFilterPolicy {
  std::vector<std::string> namespaces;  // names or globs (* ? [...])
  std::vector<PolicyResourceFilter> resource_filters;
};

// IncludeExcludePolicy: resource names or groups (plural, as on the Backup spec); the backup applies
// them as its spec's cluster-/namespace-scoped includes and excludes when those are empty.
struct IncludeExcludePolicy {
  std::vector<std::string> included_cluster_scoped_resources, excluded_cluster_scoped_resources;
  std::vector<std::string> included_namespace_scoped_resources, excluded_namespace_scoped_resources;
};

// Which of Velero's validations runs after decoding: Validate (backup), ValidateForRestore (restore),
// or none (decode: getResourcePoliciesFromConfig's decoding and BuildPolicy only).
enum class PolicyUse { backup, restore, decode };

struct ResourcePolicies {
  std::string version;
  std::vector<VolumePolicy> volume_policies;  // in document order: the first match wins
  std::optional<IncludeExcludePolicy> include_exclude_policy;
  std::vector<NamespacedFilterPolicy> namespaced_filter_policies;
  // clusterScopedFilterPolicy.resourceFilters; nullopt when the block is absent.
  std::optional<std::vector<PolicyResourceFilter>> cluster_scoped_filter_policy;

  // Parses and validates (ValidateForRestore by default, Validate for PolicyUse::backup). `what`
  // names the input in errors; every problem
  // throws Error(invalid), e.g. `configmap velero/policy: namespacedFilterPolicies[0]: at least one
  // namespace must be specified` or `policy.yaml: line 4, column 7: namespacedFilterPolicies[0]:
  // unknown field "namespace"`.
  static ResourcePolicies parse(std::string_view yaml, std::string_view what, PolicyUse use = PolicyUse::restore);
  // A ConfigMap object: exactly one data key (else Velero's `illegal resource policies <ns>/<name>
  // configmap`), whose value is parsed.
  static ResourcePolicies from_config_map(const json::object& config_map, PolicyUse use = PolicyUse::restore);

  // GetMatchAction: the action of the first volume policy whose conditions all match, or nullptr.
  const VolumeAction* match_volume(const VolumeFilterData& volume) const;
};

// wildcard.ValidateNamespaceName (pkg/util/wildcard/expand.go): the problem with a namespace
// pattern, in Velero's words, or nullopt. Used for policy namespaces and namespace wildcards.
std::optional<std::string> namespace_pattern_error(std::string_view pattern);

}  // namespace vbackup::policies
