// The backup reads its resource policy (csi §1.1.3; Velero's GetResourcePoliciesFromBackup and
// prepareBackupRequest, TestGetResourcePoliciesFromBackup) and merges its includeExcludePolicy into
// the scoped filters (ScopeIncludesExcludes.CombineWithPolicy, TestScopeIncludesExcludes_CombineWithPolicy).
#include "policies/backup_policies.hpp"
#include "vbackup/error.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace vbackup;
using namespace vbackup::policies;

namespace {

velero::Backup backup_with_policy(std::string kind, std::string name) {
  velero::Backup b;
  b.metadata.namespace_ = "velero";
  b.metadata.name = "backup-1";
  velero::TypedLocalObjectReference ref;
  ref.kind = std::move(kind);
  ref.name = std::move(name);
  b.spec.resource_policy = ref;
  return b;
}

json::object config_map(std::string_view name, std::string_view yaml) {
  json::object cm;
  cm["metadata"] = json::object{{"namespace", "velero"}, {"name", name}};
  cm["data"] = json::object{{"policy.yaml", yaml}};
  return cm;
}

struct FakeCluster {
  std::map<std::string, json::object> config_maps;  // "ns/name"
  std::vector<std::string> asked;
  ConfigMapGetter getter() {
    return [this](const std::string& ns, const std::string& name) -> std::optional<json::object> {
      asked.push_back(ns + "/" + name);
      auto it = config_maps.find(ns + "/" + name);
      if (it == config_maps.end()) return std::nullopt;
      return it->second;
    };
  }
};

constexpr std::string_view kValid = "version: v1\nvolumePolicies:\n- conditions: {capacity: '0,100Gi'}\n  action: {type: skip}\n";

}  // namespace

TEST_CASE("csi §1.1.3 GetResourcePoliciesFromBackup: the ConfigMap from the Backup's namespace") {
  FakeCluster cluster;
  cluster.config_maps["velero/policy"] = config_map("policy", kValid);
  auto r = resolve_backup_resource_policies(backup_with_policy("ConfigMap", "policy"), cluster.getter());
  CHECK(r.validation_errors.empty());
  REQUIRE(r.policies);
  CHECK(r.policies->volume_policies.size() == 1);
  CHECK(cluster.asked == std::vector<std::string>{"velero/policy"});

  // No reference, or a reference of another kind: no policy, nothing read.
  velero::Backup none;
  none.metadata.namespace_ = "velero";
  CHECK_FALSE(resolve_backup_resource_policies(none, cluster.getter()).policies);
  auto other = resolve_backup_resource_policies(backup_with_policy("Secret", "policy"), cluster.getter());
  CHECK_FALSE(other.policies);
  CHECK(other.validation_errors.empty());
  CHECK(cluster.asked.size() == 1);
}

TEST_CASE("csi §1.1.3 GetResourcePoliciesFromBackup: Velero's three errors") {
  FakeCluster cluster;
  auto missing = resolve_backup_resource_policies(backup_with_policy("configmap", "non-existent-configmap"), cluster.getter());
  REQUIRE(missing.validation_errors.size() == 1);
  CHECK(missing.validation_errors[0] ==
        "fail to get ResourcePolicies velero/non-existent-configmap ConfigMap: configmaps \"non-existent-configmap\" not found");

  cluster.config_maps["velero/bad-yaml"] = config_map("bad-yaml", "version: v1\nvolumePolicies:\n- conditions: {unknown: 1}\n");
  auto bad = resolve_backup_resource_policies(backup_with_policy("configmap", "bad-yaml"), cluster.getter());
  REQUIRE(bad.validation_errors.size() == 1);
  CHECK(bad.validation_errors[0].starts_with("fail to read the ResourcePolicies from ConfigMap velero/backup-1: "));
  CHECK_FALSE(bad.policies);

  cluster.config_maps["velero/invalid-action"] =
      config_map("invalid-action", "version: v1\nvolumePolicies:\n- conditions: {}\n  action: {type: invalid}\n");
  auto invalid = resolve_backup_resource_policies(backup_with_policy("configmap", "invalid-action"), cluster.getter());
  REQUIRE(invalid.validation_errors.size() == 1);
  CHECK(invalid.validation_errors[0] ==
        "fail to validate ResourcePolicies in ConfigMap velero/backup-1: configmap velero/invalid-action: invalid action type invalid");

  cluster.config_maps["velero/v2"] = config_map("v2", "version: v2\n");
  auto v2 = resolve_backup_resource_policies(backup_with_policy("configmap", "v2"), cluster.getter());
  REQUIRE(v2.validation_errors.size() == 1);
  CHECK(v2.validation_errors[0].find("incompatible version number v2") != std::string::npos);
}

TEST_CASE("csi §1.1.3 prepareBackupRequest: old resource filters cannot be used with filter policies") {
  FakeCluster cluster;
  cluster.config_maps["velero/ie"] =
      config_map("ie", "version: v1\nincludeExcludePolicy:\n  excludedNamespaceScopedResources: [secrets]\n");
  auto b = backup_with_policy("configmap", "ie");
  CHECK(resolve_backup_resource_policies(b, cluster.getter()).validation_errors.empty());
  b.spec.included_resources = {"pods"};
  auto r = resolve_backup_resource_policies(b, cluster.getter());
  REQUIRE(r.validation_errors.size() == 1);
  CHECK(r.validation_errors[0] ==
        "include-resources, exclude-resources and include-cluster-resources are old filter parameters.\n"
        "They cannot be used with include-exclude policies.");
}

TEST_CASE("csi §1.1.3 CombineWithPolicy: policy entries join the scoped lists unless the Backup's match them") {
  filter::ResourceResolver resolve = [](std::string_view r) -> std::optional<filter::ResolvedResource> {
    if (r == "pods" || r == "pod") return filter::ResolvedResource{"pods", true};
    if (r == "secrets") return filter::ResolvedResource{"secrets", true};
    if (r == "deployments") return filter::ResolvedResource{"deployments.apps", true};
    if (r == "persistentvolumes" || r == "pv") return filter::ResolvedResource{"persistentvolumes", false};
    if (r == "storageclasses") return filter::ResolvedResource{"storageclasses.storage.k8s.io", false};
    return std::nullopt;
  };
  filter::ResourceFilterSpec spec;
  spec.included_namespace_scoped_resources = {"pods"};
  spec.excluded_cluster_scoped_resources = {"storageclasses"};
  IncludeExcludePolicy p;
  p.included_namespace_scoped_resources = {"deployments", "pod", "persistentvolumes"};  // pod: already included; pv: other scope
  p.excluded_namespace_scoped_resources = {"secrets", "pods"};                         // pods: the Backup includes it
  p.included_cluster_scoped_resources = {"pv", "storageclasses", "widgets.example.io"};  // storageclasses: the Backup excludes it
  combine_with_policy(spec, p, resolve);
  CHECK(spec.included_namespace_scoped_resources == std::vector<std::string>{"pods", "deployments.apps"});
  CHECK(spec.excluded_namespace_scoped_resources == std::vector<std::string>{"secrets"});
  CHECK(spec.included_cluster_scoped_resources == std::vector<std::string>{"persistentvolumes", "widgets.example.io"});
  CHECK(spec.excluded_cluster_scoped_resources == std::vector<std::string>{"storageclasses"});
}

TEST_CASE("csi §1.1.3 GetResourcePoliciesFromBackupWithGlobal: global volume policies come after the Backup's") {
  FakeCluster cluster;
  cluster.config_maps["velero/policy"] = config_map("policy", kValid);
  cluster.config_maps["velero/global"] = config_map(
      "global", "version: v1\nvolumePolicies:\n- conditions: {}\n  action: {type: fs-backup}\n"
                "includeExcludePolicy:\n  excludedNamespaceScopedResources: [secrets]\n");
  auto both = resolve_backup_resource_policies(backup_with_policy("configmap", "policy"), cluster.getter(), "global");
  CHECK(both.validation_errors.empty());
  REQUIRE(both.policies);
  REQUIRE(both.policies->volume_policies.size() == 2);
  CHECK(both.policies->volume_policies[0].action.type == "skip");
  CHECK(both.policies->volume_policies[1].action.type == "fs-backup");
  CHECK_FALSE(both.policies->include_exclude_policy);  // ignored in the global ConfigMap

  velero::Backup plain;
  plain.metadata.namespace_ = "velero";
  plain.metadata.name = "backup-2";
  auto only_global = resolve_backup_resource_policies(plain, cluster.getter(), "global");
  REQUIRE(only_global.policies);
  CHECK(only_global.policies->volume_policies.size() == 1);

  auto missing = resolve_backup_resource_policies(plain, cluster.getter(), "absent");
  REQUIRE(missing.validation_errors.size() == 1);
  CHECK(missing.validation_errors[0] ==
        "fail to get global backup volume policies ConfigMap velero/absent: configmaps \"absent\" not found");
  CHECK_FALSE(missing.policies);
}
