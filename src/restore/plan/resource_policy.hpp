// Restore resource policies (restore §2.4; Velero's internal/resourcepolicies/resource_policies.go,
// GetResourcePoliciesFromRestore and ValidateForRestore): the YAML a Restore's spec.resourcePolicy
// ConfigMap holds, parsed strictly as Velero parses it (go-yaml v3 with KnownFields: an unknown or
// repeated key is an error) and validated with Velero's rules and messages.
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
// `volumePolicies` and `includeExcludePolicy` are backup-only: present, they fail validation.
// How the filters act is RestoreSelection's (selection.hpp).
#pragma once

#include "vbackup/json.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::restore {

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

struct RestoreResourcePolicy {
  std::string version;
  std::vector<NamespacedFilterPolicy> namespaced_filter_policies;
  // clusterScopedFilterPolicy.resourceFilters; nullopt when the block is absent.
  std::optional<std::vector<PolicyResourceFilter>> cluster_scoped_filter_policy;

  // Parses and validates (ValidateForRestore). `what` names the input in errors; every problem
  // throws Error(invalid), e.g. `configmap velero/policy: namespacedFilterPolicies[0]: at least one
  // namespace must be specified` or `policy.yaml: line 4, column 7: namespacedFilterPolicies[0]:
  // unknown field "namespace"`.
  static RestoreResourcePolicy parse(std::string_view yaml, std::string_view what);
  // A ConfigMap object: exactly one data key (else Velero's `illegal resource policies <ns>/<name>
  // configmap`), whose value is parsed.
  static RestoreResourcePolicy from_config_map(const json::object& config_map);
};

// wildcard.ValidateNamespaceName (pkg/util/wildcard/expand.go): the problem with a namespace
// pattern, in Velero's words, or nullopt. Used for policy namespaces and namespace wildcards.
std::optional<std::string> namespace_pattern_error(std::string_view pattern);

}  // namespace vbackup::restore
