// Backup resource policies (csi §1.1.3; Velero's internal/resourcepolicies): volume policies decoded
// strictly, validated with Policies.Validate's messages, and volumes matched to the first policy's
// action. Cases restated from Velero's resource_policies_test.go and volume_resources_test.go.
#include "policies/resource_policies.hpp"
#include "vbackup/error.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
using namespace vbackup::policies;

namespace {

std::string error_of(std::string_view yaml, PolicyUse use = PolicyUse::backup) {
  try {
    ResourcePolicies::parse(yaml, "policy.yaml", use);
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid);
    return e.what();
  }
  return "";
}

ResourcePolicies backup_policy(std::string_view yaml) { return ResourcePolicies::parse(yaml, "policy.yaml", PolicyUse::backup); }

json::object object(std::string_view text) { return json::parse(text, "test").as_object(); }

// resPolicies of TestGetResourceMatchedAction.
constexpr std::string_view kMatched = R"(version: v1
volumePolicies:
- conditions: {capacity: "0,10Gi", storageClass: [gp2, ebs-sc], csi: {driver: aws.efs.csi.driver}}
  action: {type: skip}
- conditions: {csi: {driver: files.csi.driver, volumeAttributes: {protocol: nfs}}}
  action: {type: skip}
- conditions: {capacity: "10,100Gi", storageClass: [gp2, ebs-sc], csi: {driver: aws.efs.csi.driver}}
  action: {type: snapshot}
- conditions: {storageClass: [gp2, ebs-sc], csi: {driver: aws.efs.csi.driver}}
  action: {type: fs-backup}
- conditions: {pvcLabels: {environment: production}}
  action: {type: snapshot}
)";

json::object csi_pv(std::string_view storage, std::string_view sc, std::string_view driver, std::string_view attrs = "{}") {
  return object(R"({"spec":{"capacity":{"storage":")" + std::string(storage) + R"("},"storageClassName":")" +
                std::string(sc) + R"(","csi":{"driver":")" + std::string(driver) + R"(","volumeAttributes":)" +
                std::string(attrs) + "}}}");
}

std::string action_for(const ResourcePolicies& p, const VolumeFilterData& d) {
  const VolumeAction* a = p.match_volume(d);
  return a ? a->type : "<none>";
}

}  // namespace

TEST_CASE("csi §1.1.3 TestLoadResourcePolicies: strict decoding of volume policies") {
  // unknown key, repeated key, wrong shapes: decoding fails.
  CHECK(error_of("version: v1\nvolumePolicies:\n- conditions:\n    capacity: '0,100Gi'\n    unknown: {}\n  action:\n    type: skip\n")
            .find("unknown field \"unknown\"") != std::string::npos);
  CHECK(error_of("version: v1\nvolumePolicies:\n- conditions:\n    capacity: '0,100Gi'\n    capacity: '0,100Gi'\n  action:\n    type: skip\n")
            .find("already defined") != std::string::npos);
  CHECK(error_of("version: v1\nvolumePolicies:\n- conditions: {capacity: '0,100Gi', storageClass: gp2}\n  action: {type: skip}\n") != "");
  CHECK(error_of("version: v1\nvolumePolicies:\n- conditions: {capacity: '0,100Gi', csi: gp2}\n  action: {type: skip}\n") != "");
  CHECK(error_of("version: v1\nvolumePolicies:\n- conditions: {capacity: '0,100Gi', csi: {}, nfs: abc}\n  action: {type: skip}\n") != "");
  CHECK(error_of("version: v1\nvolumePolicies:\n- conditions: {pvcLabels: production}\n  action: {type: skip}\n") ==
        "policy.yaml: pvcLabels must be a map of string to string, got string");
  CHECK(error_of("version: v1\nvolumePolicies:\n- conditions: {pvcVolumeMode: [Block]}\n  action: {type: skip}\n") ==
        "policy.yaml: pvcVolumeMode must be a string, got []interface {}");
  CHECK(error_of("version: v1\nvolumePolicies:\n- conditions: {pvcAccessModes: ReadWriteOnce}\n  action: {type: skip}\n") ==
        "policy.yaml: pvcAccessModes must be a list of strings, got string");
  CHECK(error_of("version: v1\nvolumePolicies:\n- conditions: {pvcAccessModes: [123]}\n  action: {type: skip}\n") ==
        "policy.yaml: pvcAccessModes must be a list of strings, got element int");
  // The supported forms parse.
  for (std::string_view ok : {
           "version: v1\nvolumePolicies:\n  - conditions:\n      capacity: '0,100Gi'\n      csi:\n        driver: aws.efs.csi.driver\n    action:\n      type: skip\n",
           "version: v1\nvolumePolicies:\n  - conditions:\n      csi:\n        driver: aws.efs.csi.driver\n        volumeAttributes:\n          key1: value1\n    action:\n      type: skip\n",
           "version: v1\nvolumePolicies:\n  - conditions:\n      pvcLabels:\n        environment: production\n        app: database\n    action:\n      type: skip\n",
           "version: v1\nvolumePolicies:\n  - conditions:\n      pvcVolumeMode: Block\n    action:\n      type: skip\n",
           "version: v1\nvolumePolicies:\n  - conditions:\n      pvcAccessModes:\n        - ReadWriteOnce\n    action:\n      type: skip\n"}) {
    CHECK_MESSAGE(error_of(ok) == "", ok);
  }
}

TEST_CASE("csi §1.1.3 Policies.Validate: actions, parameters, capacity and csi, in Velero's words") {
  auto one = [](std::string_view conditions, std::string_view action) {
    return error_of("version: v1\nvolumePolicies:\n- conditions: " + std::string(conditions) + "\n  action: " +
                    std::string(action) + "\n");
  };
  CHECK(one("{}", "{type: unsupported}") == "policy.yaml: invalid action type unsupported");
  CHECK(one("{}", "{type: custom}") == "");
  CHECK(one("{}", "{type: snapshot, parameters: {dataMover: velero-fs, snapshotClass: fast}}") == "");
  CHECK(one("{}", "{type: skip, parameters: {dataMover: velero}}") ==
        "policy.yaml: parameter \"dataMover\" is only supported for the \"snapshot\" action, but the action type is \"skip\"");
  CHECK(one("{}", "{type: snapshot, parameters: {dataMover: 1}}") == "policy.yaml: parameter \"dataMover\" must be a string, got int");
  CHECK(one("{}", "{type: snapshot, parameters: {dataMover: \"1\"}}").find("invalid \"dataMover\" value \"1\"") != std::string::npos);
  CHECK(one("{}", "{type: snapshot, parameters: {snapshotClass: ''}}") ==
        "policy.yaml: parameter \"snapshotClass\" must not be empty");
  CHECK(one("{}", "{type: fs-backup, parameters: {snapshotClass: x}}").find("only supported for the \"snapshot\" action") !=
        std::string::npos);
  CHECK(one("{capacity: '100Gi,10Gi'}", "{type: skip}") == "policy.yaml: illegal values for capacity 100Gi,10Gi");
  CHECK(one("{capacity: '10Gi,'}", "{type: skip}") == "");
  CHECK(one("{capacity: '10Gi'}", "{type: skip}") == "policy.yaml: wrong format of Capacity 10Gi");
  CHECK(one("{capacity: 'invalid-capacity,'}", "{type: skip}")
            .starts_with("policy.yaml: wrong format of Capacity invalid-capacity with err quantities must match"));
  CHECK(one("{csi: {volumeAttributes: {a: b}}}", "{type: skip}") ==
        "policy.yaml: csi driver should not be empty when filtering by volume attributes");
  CHECK(error_of("version: v2\n") == "policy.yaml: incompatible version number v2 with supported version v1");
}

TEST_CASE("csi §1.1.3 IncludeExcludePolicy.Validate and the restore's refusal of backup-only sections") {
  CHECK(error_of("version: v1\nincludeExcludePolicy:\n  includedClusterScopedResources: ['*']\n") ==
        "policy.yaml: cannot use '*' in includes or excludes filters in the policy");
  CHECK(error_of("version: v1\nincludeExcludePolicy:\n  includedNamespaceScopedResources: [secrets, pods]\n"
                 "  excludedNamespaceScopedResources: [pods]\n") ==
        "policy.yaml: excludes list cannot contain an item in the includes list: pods");
  auto p = backup_policy("version: v1\nincludeExcludePolicy:\n  includedClusterScopedResources: [persistentvolumes]\n"
                         "  excludedNamespaceScopedResources: [secrets]\n");
  REQUIRE(p.include_exclude_policy);
  CHECK(p.include_exclude_policy->included_cluster_scoped_resources == std::vector<std::string>{"persistentvolumes"});
  CHECK(p.include_exclude_policy->excluded_namespace_scoped_resources == std::vector<std::string>{"secrets"});
  CHECK(error_of("version: v1\nincludeExcludePolicy: {}\n", PolicyUse::restore) ==
        "policy.yaml: includeExcludePolicy is not supported for restore");
  CHECK(error_of(kMatched, PolicyUse::restore) == "policy.yaml: volumePolicies are not supported for restore");
  // The backup validates the fine-grained filter policies too (validateNamespacedFilterPolicies).
  CHECK(error_of("version: v1\nnamespacedFilterPolicies:\n- namespaces: []\n  resourceFilters: [{kinds: [pods]}]\n") ==
        "policy.yaml: namespacedFilterPolicies[0]: at least one namespace must be specified");
}

TEST_CASE("csi §1.1.3 TestGetResourceMatchedAction: the first matching policy's action") {
  auto p = backup_policy(kMatched);
  REQUIRE(p.volume_policies.size() == 5);
  auto pv = csi_pv("5Gi", "ebs-sc", "aws.efs.csi.driver");
  CHECK(action_for(p, {&pv, nullptr, nullptr}) == "skip");  // match policy
  auto afs_nfs = csi_pv("5Gi", "afs-nfs", "files.csi.driver", R"({"protocol":"nfs"})");
  CHECK(action_for(p, {&afs_nfs, nullptr, nullptr}) == "skip");
  auto afs_smb = csi_pv("5Gi", "afs-smb", "files.csi.driver");
  CHECK(action_for(p, {&afs_smb, nullptr, nullptr}) == "<none>");
  auto big = csi_pv("50Gi", "ebs-sc", "aws.efs.csi.driver");
  CHECK(action_for(p, {&big, nullptr, nullptr}) == "snapshot");  // 10 bytes..100Gi, the first that matches
  auto nfs = object(R"({"spec":{"capacity":{"storage":"50Gi"},"storageClassName":"ebs-sc","nfs":{}}})");
  CHECK(action_for(p, {&nfs, nullptr, nullptr}) == "<none>");
  auto plain = object(R"({"spec":{"capacity":{"storage":"5Gi"},"storageClassName":"some-class"}})");
  auto pvc_prod = object(R"({"metadata":{"labels":{"environment":"production","team":"backend"}}})");
  auto pvc_staging = object(R"({"metadata":{"labels":{"environment":"staging"}}})");
  CHECK(action_for(p, {&plain, nullptr, &pvc_prod}) == "snapshot");
  CHECK(action_for(p, {&plain, nullptr, &pvc_staging}) == "<none>");
  // nil condition always matches the action.
  auto any = backup_policy("version: v1\nvolumePolicies:\n- conditions: {}\n  action: {type: skip}\n");
  CHECK(action_for(any, {&plain, nullptr, &pvc_staging}) == "skip");
  CHECK_THROWS_WITH(any.match_volume({}), "volume filter data: failed to convert object");
}

TEST_CASE("csi §1.1.3 volume_resources_test: capacity, nfs, csi, volume types and PVC conditions") {
  CHECK(parse_capacity("10Gi,20Gi") == std::pair<long double, long double>(10.0L * (1 << 30), 20.0L * (1 << 30)));
  CHECK(parse_capacity("10Gi,") == std::pair<long double, long double>(10.0L * (1 << 30), 0));
  CHECK(parse_capacity("") == std::pair<long double, long double>(0, 0));
  CHECK_THROWS_WITH(parse_capacity("10Gi"), "wrong format of Capacity 10Gi");
  CHECK(parse_quantity("1.5G", "") == doctest::Approx(1.5e9));
  CHECK(parse_quantity("2e3", "") == doctest::Approx(2000));

  auto policy = [](std::string_view conditions) {
    return backup_policy("version: v1\nvolumePolicies:\n- conditions: " + std::string(conditions) + "\n  action: {type: skip}\n");
  };
  auto nfs_pv = object(R"({"spec":{"nfs":{"server":"192.168.1.20","path":"/mnt/data"}}})");
  auto csi = csi_pv("1Gi", "", "ebs.csi.aws.com", R"({"type":"gp3","iops":"3000"})");
  // nfs: {} matches any NFS volume; server and path each constrain only when set.
  CHECK(action_for(policy("{nfs: {}}"), {&nfs_pv, nullptr, nullptr}) == "skip");
  CHECK(action_for(policy("{nfs: {}}"), {&csi, nullptr, nullptr}) == "<none>");
  CHECK(action_for(policy("{nfs: {server: 192.168.1.20}}"), {&nfs_pv, nullptr, nullptr}) == "skip");
  CHECK(action_for(policy("{nfs: {path: /mnt/other}}"), {&nfs_pv, nullptr, nullptr}) == "<none>");
  CHECK(action_for(policy("{nfs: {server: other, path: /mnt/data}}"), {&nfs_pv, nullptr, nullptr}) == "<none>");
  // csi: {} any CSI volume; attributes must all be equal.
  CHECK(action_for(policy("{csi: {}}"), {&csi, nullptr, nullptr}) == "skip");
  CHECK(action_for(policy("{csi: {driver: ebs.csi.aws.com, volumeAttributes: {type: gp3}}}"), {&csi, nullptr, nullptr}) == "skip");
  CHECK(action_for(policy("{csi: {driver: ebs.csi.aws.com, volumeAttributes: {type: gp2}}}"), {&csi, nullptr, nullptr}) == "<none>");
  // storageClass: a volume without a class never matches a class list.
  CHECK(action_for(policy("{storageClass: [gp2]}"), {&csi, nullptr, nullptr}) == "<none>");
  // capacity [a, b] inclusive; a PV without capacity is 0.
  CHECK(action_for(policy("{capacity: '1Gi,1Gi'}"), {&csi, nullptr, nullptr}) == "skip");
  CHECK(action_for(policy("{capacity: '2Gi,'}"), {&csi, nullptr, nullptr}) == "<none>");
  // volumeTypes: getVolumeTypeFromPV / getVolumeTypeFromVolume.
  CHECK(action_for(policy("{volumeTypes: [nfs, hostPath]}"), {&nfs_pv, nullptr, nullptr}) == "skip");
  auto empty_dir = object(R"({"name":"cache","emptyDir":{}})");
  CHECK(action_for(policy("{volumeTypes: [emptyDir]}"), {nullptr, &empty_dir, nullptr}) == "skip");
  CHECK(action_for(policy("{volumeTypes: [csi]}"), {nullptr, &empty_dir, nullptr}) == "<none>");
  auto storageos = object(R"({"spec":{"storageos":{"volumeName":"v"}}})");
  CHECK(volume_type_of_pv(storageos) == "storageOS");
  // PVC phase, volume mode, access modes (the same set, any order).
  auto pvc = object(R"({"spec":{"volumeMode":"Block","accessModes":["ReadWriteOnce","ReadOnlyMany"]},"status":{"phase":"Bound"}})");
  CHECK(action_for(policy("{pvcPhase: [Pending, Bound]}"), {nullptr, nullptr, &pvc}) == "skip");
  CHECK(action_for(policy("{pvcPhase: [Lost]}"), {nullptr, nullptr, &pvc}) == "<none>");
  CHECK(action_for(policy("{pvcVolumeMode: Block}"), {nullptr, nullptr, &pvc}) == "skip");
  CHECK(action_for(policy("{pvcVolumeMode: Filesystem}"), {nullptr, nullptr, &pvc}) == "<none>");
  CHECK(action_for(policy("{pvcAccessModes: [ReadOnlyMany, ReadWriteOnce]}"), {nullptr, nullptr, &pvc}) == "skip");
  CHECK(action_for(policy("{pvcAccessModes: [ReadWriteOnce]}"), {nullptr, nullptr, &pvc}) == "<none>");
  auto no_labels = object(R"({"metadata":{}})");
  CHECK(action_for(policy("{pvcLabels: {environment: production}}"), {nullptr, nullptr, &no_labels}) == "<none>");
}

TEST_CASE("csi §1.1.3 Action.GetDataMover and GetSnapshotClass") {
  auto p = backup_policy("version: v1\nvolumePolicies:\n- conditions: {}\n  action: {type: snapshot}\n"
                         "- conditions: {}\n  action: {type: snapshot, parameters: {dataMover: velero-block, snapshotClass: fast}}\n"
                         "- conditions: {}\n  action: {type: skip}\n"
                         "- conditions: {}\n  action: {type: snapshot, parameters: {dataMover: velero}}\n");
  CHECK(p.volume_policies[3].action.data_mover() == "velero-fs");
  CHECK(p.volume_policies[0].action.data_mover() == "velero-fs");  // GetDefaultBuiltInDataMover
  CHECK(p.volume_policies[0].action.snapshot_class() == "");
  CHECK(p.volume_policies[1].action.data_mover() == "velero-block");
  CHECK(p.volume_policies[1].action.snapshot_class() == "fast");
  CHECK_THROWS_WITH(p.volume_policies[2].action.data_mover(),
                    "the \"dataMover\" parameter is only supported for the \"snapshot\" action");
}

TEST_CASE("csi §1.1.3 getResourcePoliciesFromConfig: one data key, for the backup") {
  auto cm = object(R"({"metadata":{"namespace":"velero","name":"policy"},"data":{"policy.yaml":"version: v1\nvolumePolicies:\n- conditions: {}\n  action: {type: skip}\n"}})");
  CHECK(ResourcePolicies::from_config_map(cm, PolicyUse::backup).volume_policies.size() == 1);
  auto two = object(R"({"metadata":{"namespace":"velero","name":"policy"},"data":{"a":"","b":""}})");
  CHECK_THROWS_WITH(ResourcePolicies::from_config_map(two, PolicyUse::backup), "illegal resource policies velero/policy configmap");
}

TEST_CASE("csi §1.1.3 TestGetMatchAction: PVs, pod volumes and PVCs against one-policy documents") {
  struct Case {
    const char* name;
    const char* conditions;
    const char* pv;       // JSON or nullptr
    const char* pod_vol;  // JSON or nullptr
    const char* pvc;      // JSON or nullptr
    bool skip;
  };
  const Case cases[] = {
      {"empty csi", "{csi: {}}", R"({"spec":{"csi":{"driver":"ebs.csi.aws.com"}}})", nullptr, nullptr, true},
      {"empty csi with pv no csi driver", "{csi: {}}", R"({"spec":{"capacity":{"storage":"1Gi"}}})", nullptr, nullptr, false},
      {"Skip AFS CSI condition with Disk volumes", "{csi: {driver: files.csi.driver}}",
       R"({"spec":{"csi":{"driver":"disks.csi.driver"}}})", nullptr, nullptr, false},
      {"Skip AFS CSI condition with AFS volumes", "{csi: {driver: files.csi.driver}}",
       R"({"spec":{"csi":{"driver":"files.csi.driver"}}})", nullptr, nullptr, true},
      {"Skip AFS NFS CSI condition with AFS SMB volumes", "{csi: {driver: files.csi.driver, volumeAttributes: {protocol: nfs}}}",
       R"({"spec":{"csi":{"driver":"files.csi.driver","volumeAttributes":{"key1":"val1"}}}})", nullptr, nullptr, false},
      {"Skip AFS NFS CSI condition with AFS NFS volumes", "{csi: {driver: files.csi.driver, volumeAttributes: {protocol: nfs}}}",
       R"({"spec":{"csi":{"driver":"files.csi.driver","volumeAttributes":{"key1":"val1","protocol":"nfs"}}}})", nullptr,
       nullptr, true},
      {"csi not configured and testing capacity condition", "{capacity: '0,100Gi'}",
       R"({"spec":{"capacity":{"storage":"1Gi"},"csi":{"driver":"ebs.csi.aws.com"}}})", nullptr, nullptr, true},
      {"empty nfs", "{nfs: {}}", R"({"spec":{"nfs":{"server":"192.168.1.20"}}})", nullptr, nullptr, true},
      {"empty nfs with pv no nfs volume source", "{capacity: '0,100Gi', nfs: {}}", R"({"spec":{"capacity":{"storage":"1Gi"}}})",
       nullptr, nullptr, false},
      {"match volume by types", "{capacity: '0,100Gi', volumeTypes: [local, hostPath]}",
       R"({"spec":{"capacity":{"storage":"1Gi"},"hostPath":{"path":"/mnt/data"}}})", nullptr, nullptr, true},
      {"mismatch volume by types", "{capacity: '0,100Gi', volumeTypes: [local]}",
       R"({"spec":{"capacity":{"storage":"1Gi"},"hostPath":{"path":"/mnt/data"}}})", nullptr, nullptr, false},
      {"PodVolume case with PVC labels match", "{pvcLabels: {environment: production}}", nullptr, R"({"name":"pod-vol-1"})",
       R"({"metadata":{"name":"pvc-1","labels":{"environment":"production"}}})", true},
      {"PodVolume case with PVC labels mismatch", "{pvcLabels: {environment: production}}", nullptr, R"({"name":"pod-vol-2"})",
       R"({"metadata":{"name":"pvc-2","labels":{"environment":"staging"}}})", false},
      {"PVC labels match don't match exactly", "{pvcLabels: {environment: production, app: frontend}}",
       R"({"spec":{"capacity":{"storage":"1Gi"}}})", nullptr, R"({"metadata":{"labels":{"environment":"production"}}})", false},
      {"PVC phase matching - Pending phase should skip", "{pvcPhase: [Pending]}", nullptr, nullptr,
       R"({"status":{"phase":"Pending"}})", true},
      {"PVC phase matching - Bound phase should not skip", "{pvcPhase: [Pending]}", nullptr, nullptr,
       R"({"status":{"phase":"Bound"}})", false},
      {"PVC volume mode matching - nil volume mode should not match Filesystem", "{pvcVolumeMode: Filesystem}",
       R"({"spec":{}})", nullptr, R"({"spec":{}})", false},
      {"PVC volume mode matching - non-PVC volume should not match", "{pvcVolumeMode: Filesystem}", nullptr,
       R"({"name":"empty-dir-volume","emptyDir":{}})", nullptr, false},
      {"PVC access modes matching - non-PVC volume should not match", "{pvcAccessModes: [ReadWriteOnce]}", nullptr,
       R"({"name":"configmap-volume","configMap":{}})", nullptr, false},
      {"PVC access modes matching - extra PVC access mode should not skip", "{pvcAccessModes: [ReadWriteOnce]}", nullptr,
       nullptr, R"({"spec":{"accessModes":["ReadWriteOnce","ReadOnlyMany"]}})", false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto p = backup_policy("version: v1\nvolumePolicies:\n- conditions: " + std::string(c.conditions) +
                           "\n  action: {type: skip}\n");
    std::optional<json::object> pv, pod_vol, pvc;
    if (c.pv) pv = object(c.pv);
    if (c.pod_vol) pod_vol = object(c.pod_vol);
    if (c.pvc) pvc = object(c.pvc);
    VolumeFilterData d{pv ? &*pv : nullptr, pod_vol ? &*pod_vol : nullptr, pvc ? &*pvc : nullptr};
    CHECK(action_for(p, d) == (c.skip ? "skip" : "<none>"));
  }
}
