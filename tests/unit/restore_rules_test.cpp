// Velero's per-item restore rules that are not actions (restore §2.3, §2.6, §2.8, §2.9): the cases of
// pkg/restore/restore_test.go and merge_service_account_test.go at velero-io HEAD, restated.
// Velero 1.5.2's own restores are checked in restore_actions_corpus_test.cpp.
#include "restore/actions/compare.hpp"
#include "restore/actions/item_rules.hpp"
#include "restore/actions/pv_decision.hpp"
#include "vbackup/error.hpp"
#include "vbackup/labels.hpp"
#include "vbackup/velero_meta.hpp"

#include "fake_target_lookup.hpp"

#include <doctest/doctest.h>

#include <map>
#include <tuple>

using namespace vbackup;
using namespace vbackup::restore;

namespace {

json::object obj(std::string_view text) { return json::parse(text, "test").as_object(); }
std::string compact(const json::object& o) { return json::marshal(o, {.sort_keys = false}); }

using testing::FakeTarget;

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

// ---- TestIsCompleted, mirror pods ------------------------------------------------------------------

TEST_CASE("restore §2.3 step 3 isCompleted: finished pods and jobs are not restored") {
  auto completed = [](std::string gr, std::string status) {
    return is_completed(obj(R"({"apiVersion":"v1","kind":"Pod","metadata":{"namespace":"ns","name":"pod1"},"status":)" + status + "}"), gr);
  };
  CHECK(completed("pods", R"({"phase":"Failed"})"));
  CHECK(completed("pods", R"({"phase":"Succeeded"})"));
  CHECK_FALSE(completed("pods", R"({"phase":"Pending"})"));
  CHECK_FALSE(completed("pods", R"({"phase":"Running"})"));
  CHECK_FALSE(completed("jobs.batch", "{}"));
  CHECK(completed("jobs.batch", R"({"completionTime":"bar"})"));
  CHECK_FALSE(completed("jobs.batch", R"({"completionTime":""})"));
  CHECK_FALSE(completed("namespaces", R"({"completionTime":"bar","phase":"Completed"})"));
  CHECK_FALSE(is_completed(obj(R"({"metadata":{"name":"pod1"}})"), "pods"));
  CHECK(error_of([&] { completed("pods", R"({"phase":3})"); }) == "pods/ns/pod1: status.phase: expected string, found number");
  // Only pods and jobs are looked at: a malformed status elsewhere is not an error here.
  CHECK_FALSE(completed("configmaps", "\"x\""));
}

TEST_CASE("restore §2.3 step 5: mirror pods (kubernetes.io/config.mirror) are skipped") {
  json::object mirror = obj(R"({"metadata":{"name":"p","annotations":{"kubernetes.io/config.mirror":"abc"}}})");
  CHECK(is_mirror_pod(mirror, "pods"));
  CHECK_FALSE(is_mirror_pod(mirror, "configmaps"));
  CHECK_FALSE(is_mirror_pod(obj(R"({"metadata":{"name":"p","annotations":{"kubernetes.io/config.mirror":""}}})"), "pods"));
  CHECK_FALSE(is_mirror_pod(obj(R"({"metadata":{"name":"p"}})"), "pods"));
}

// ---- TestResetMetadata, TestResetStatus, TestRestoreItems -------------------------------------------

TEST_CASE("restore §2.3 step 7 resetMetadataAndStatus: the exact field list, status kept aside") {
  json::object item = obj(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"n","namespace":"ns","generateName":"g",
      "selfLink":"s","uid":"u","resourceVersion":"1","generation":2,"creationTimestamp":"t","deletionTimestamp":"t",
      "deletionGracePeriodSeconds":30,"ownerReferences":[{}],"labels":{"l":"1"},"annotations":{"a":"1"},
      "finalizers":["f"],"managedFields":[{"manager":"m"}],"x-unknown":1},"spec":{},"status":{"message":"a non-empty status"}})");
  auto status = reset_metadata_and_status(item);
  CHECK(compact(item) == R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"n","namespace":"ns","labels":{"l":"1"},)"
                         R"("annotations":{"a":"1"},"finalizers":["f"],"managedFields":[{"manager":"m"}],"x-unknown":1},"spec":{}})");
  REQUIRE(status);
  CHECK(json::marshal(*status) == R"({"message":"a non-empty status"})");
  json::object no_status = obj(R"({"metadata":{}})");
  CHECK_FALSE(reset_metadata_and_status(no_status));
  json::object no_metadata = obj(R"({"kind":"Pod"})");
  CHECK(error_of([&] { reset_metadata_and_status(no_metadata); }) == "Pod: metadata not found");
}

TEST_CASE("restore §2.3 step 12 TestRestoreItems: restore labels, with the 63-character rule") {
  json::object pod = obj(R"({"metadata":{"namespace":"ns-1","name":"pod-1","labels":{"key-1":"val-1"}}})");
  add_restore_labels(pod, "restore-1", "backup-1");
  CHECK(compact(pod) == R"({"metadata":{"namespace":"ns-1","name":"pod-1","labels":{"key-1":"val-1",)"
                        R"("velero.io/backup-name":"backup-1","velero.io/restore-name":"restore-1"}}})");
  const std::string exactly63 = "the-really-long-kube-service-name-that-is-exactly-63-characters";
  const std::string longer = "the-really-long-kube-service-name-that-is-much-greater-than-63-characters";
  REQUIRE(exactly63.size() == 63);
  json::object a = obj(R"({"metadata":{"name":"pod-1"}})");
  add_restore_labels(a, exactly63, exactly63);
  CHECK(a.at("metadata").at("labels").at("velero.io/backup-name").as_string() == exactly63);
  CHECK(a.at("metadata").at("labels").at("velero.io/restore-name").as_string() == exactly63);
  json::object b = obj(R"({"metadata":{"name":"pod-1"}})");
  add_restore_labels(b, longer, longer);
  CHECK(b.at("metadata").at("labels").at("velero.io/backup-name").as_string() ==
        "the-really-long-kube-service-name-that-is-much-greater-th8a11b3");
  CHECK(b.at("metadata").at("labels").at("velero.io/restore-name").as_string() ==
        "the-really-long-kube-service-name-that-is-much-greater-th8a11b3");
}

TEST_CASE("restore §2.5 must-include-additional-items: stripped always, true only for \"true\"") {
  json::object yes = obj(R"({"metadata":{"annotations":{"restore.velero.io/must-include-additional-items":"true","a":"b"}}})");
  CHECK(take_must_include_annotation(yes));
  CHECK(compact(yes) == R"({"metadata":{"annotations":{"a":"b"}}})");
  json::object other = obj(R"({"metadata":{"annotations":{"restore.velero.io/must-include-additional-items":"True"}}})");
  CHECK_FALSE(take_must_include_annotation(other));
  CHECK(compact(other) == R"({"metadata":{"annotations":{}}})");
  json::object none = obj(R"({"metadata":{}})");
  CHECK_FALSE(take_must_include_annotation(none));
}

// ---- Test_resetVolumeBindingInfo, restore §2.3 step 9 ------------------------------------------------

TEST_CASE("restore §2.8 resetVolumeBindingInfo: claimRef uid/resourceVersion and binding annotations go") {
  json::object pv = obj(R"({"kind":"persistentVolume","metadata":{"name":"pv-1","annotations":{
      "pv.kubernetes.io/bind-completed":"yes","pv.kubernetes.io/bound-by-controller":"yes","pv.kubernetes.io/provisioned-by":"p"}},
      "spec":{"claimRef":{"namespace":"ns-1","name":"pvc-1","uid":"abc","resourceVersion":"1"}}})");
  reset_volume_binding_info(pv);
  CHECK(compact(pv) == R"({"kind":"persistentVolume","metadata":{"name":"pv-1","annotations":{"pv.kubernetes.io/provisioned-by":"p"}},)"
                       R"("spec":{"claimRef":{"namespace":"ns-1","name":"pvc-1"}}})");
  json::object pvc = obj(R"({"kind":"persistentVolumeClaim","metadata":{"name":"pvc-1","annotations":{
      "pv.kubernetes.io/bind-completed":"yes","pv.kubernetes.io/bound-by-controller":"yes"}},"spec":{"volumeName":"pv-1"}})");
  reset_volume_binding_info(pvc);
  CHECK(compact(pvc) == R"({"kind":"persistentVolumeClaim","metadata":{"name":"pvc-1","annotations":{}},"spec":{"volumeName":"pv-1"}})");
}

TEST_CASE("restore §2.3 step 9: a PVC loses its volumeName only when its PV is provisioned dynamically") {
  const std::string text = R"({"metadata":{"name":"pvc-1","annotations":{"pv.kubernetes.io/bind-completed":"yes"}},"spec":{"volumeName":"pv-1"}})";
  json::object kept = obj(text);
  reset_pvc_binding(kept, {});
  CHECK(compact(kept) == R"({"metadata":{"name":"pvc-1","annotations":{}},"spec":{"volumeName":"pv-1"}})");
  json::object provisioned = obj(text);
  reset_pvc_binding(provisioned, {"pv-1"});
  CHECK(compact(provisioned) == R"({"metadata":{"name":"pvc-1","annotations":{}},"spec":{}})");
  json::object renamed = obj(text);
  reset_pvc_binding(renamed, {}, {{"pv-1", "velero-clone-1"}});
  CHECK(compact(renamed) == R"({"metadata":{"name":"pvc-1","annotations":{}},"spec":{"volumeName":"velero-clone-1"}})");
  // Without a volumeName the annotations stay.
  json::object unbound = obj(R"({"metadata":{"annotations":{"pv.kubernetes.io/bind-completed":"yes"}},"spec":{}})");
  reset_pvc_binding(unbound, {"pv-1"});
  CHECK(compact(unbound) == R"({"metadata":{"annotations":{"pv.kubernetes.io/bind-completed":"yes"}},"spec":{}})");
}

// ---- TestDetermineRestoreStatus ---------------------------------------------------------------------

TEST_CASE("restore §2.9 TestDetermineRestoreStatus: the annotation over spec.restoreStatus") {
  filter::IncludesExcludes all({"*"}, {}), none({}, {"*"});
  auto decide = [&](const filter::IncludesExcludes* spec, std::optional<std::string> annotation) {
    json::object o = obj(R"({"metadata":{"name":"n"}})");
    if (annotation) o["metadata"].as_object()["annotations"] = json::object{{"velero.io/restore-status", *annotation}};
    return should_restore_status(o, spec, "testGroupResource");
  };
  CHECK(decide(&all, std::nullopt));
  CHECK_FALSE(decide(&none, std::nullopt));
  CHECK(decide(&none, "true"));
  CHECK_FALSE(decide(&all, "false"));
  CHECK(decide(&all, "foo"));
  CHECK_FALSE(decide(&none, ""));
  CHECK(decide(&all, "True"));
  CHECK_FALSE(decide(&all, "FALSE"));
  CHECK(decide(nullptr, "true"));   // restore §3 item 28: even without spec.restoreStatus
  CHECK_FALSE(decide(nullptr, "false"));
  CHECK_FALSE(decide(nullptr, std::nullopt));
  CHECK(decide(&none, " TRUE "));  // trimmed
  std::string note;
  json::object odd = obj(R"({"metadata":{"namespace":"ns","name":"n","annotations":{"velero.io/restore-status":"maybe"}}})");
  CHECK_FALSE(should_restore_status(odd, nullptr, "pods", &note));
  CHECK(note == "Invalid annotation value 'maybe' on ns/n, using restore spec setting: false");
}

TEST_CASE("restore §2.9 spec.restoreStatus resolves names like GetResourceIncludesExcludes") {
  velero::RestoreSpec spec;
  CHECK_FALSE(status_includes_excludes(spec, {}));
  spec.restore_status = velero::RestoreStatusSpec{{"Deployments", "widgets.example.com"}, {"*", "pods"}, {}};
  auto resolve = [](std::string_view name) -> std::optional<filter::ResolvedResource> {
    if (name == "Deployments") return filter::ResolvedResource{"deployments.apps", true};
    if (name == "pods") return filter::ResolvedResource{"pods", true};
    return std::nullopt;
  };
  auto f = status_includes_excludes(spec, resolve);
  REQUIRE(f);
  CHECK(f->should_include("deployments.apps"));
  CHECK(f->should_include("widgets.example.com"));  // unresolvable: kept verbatim
  CHECK_FALSE(f->should_include("pods"));
  CHECK_FALSE(f->should_include("services"));
  CHECK(f->excludes().list() == std::vector<std::string>{"pods"});  // a "*" exclude is dropped
}

// ---- restore §2.8: TestRestorePVWithVolumeInfo, TestRestorePersistentVolumes, TestShouldRestore -----

namespace {

struct PvFixture {
  velero::Restore restore;
  FakeTarget target;
  json::array volume_infos, snapshots, pvbs, csi_snapshots;
  BackupVolumeRecords records;  // pointers set by the cases that have the file

  PvFixture() {
    restore.metadata.name = "restore-1";
    restore.metadata.uid = "restore-uid";
    restore.spec.backup_name = "backup-1";
  }
  PvDecision decide(const json::object& pv) {
    ActionContext ctx{restore, "velero", target};
    return decide_persistent_volume(ctx, pv, records);
  }
};

json::object pv(std::string reclaim, std::string claim_ns = "ns-1") {
  return obj(R"({"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv-1","annotations":{
      "pv.kubernetes.io/bound-by-controller":"yes"}},"spec":{"persistentVolumeReclaimPolicy":")" + reclaim +
             R"(","claimRef":{"namespace":")" + claim_ns + R"(","name":"pvc-1","uid":"u","resourceVersion":"7"}}})");
}

json::array volume_info(std::string method) {
  return json::array{obj(R"({"pvcName":"pvc-1","pvcNamespace":"ns-1","pvName":"pv-1","backupMethod":")" + method +
                         R"(","snapshotDataMoved":false,"preserveLocalSnapshot":false,"skipped":false})")};
}

const std::string kReset = R"({"namespace":"ns-1","name":"pvc-1"})";
std::string claim_of(const PvDecision& d) { return compact(d.pv.at("spec").at("claimRef").as_object()); }

}  // namespace

TEST_CASE("restore §2.8 TestRestorePVWithVolumeInfo: the backup method decides") {
  PvFixture f;
  f.records.volume_infos = &f.volume_infos;
  SUBCASE("NativeSnapshot: restored from the snapshot, binding reset") {
    f.volume_infos = volume_info("NativeSnapshot");
    auto d = f.decide(pv("Retain"));
    CHECK(d.action == PvAction::restore_from_snapshot);
    CHECK(d.reason == "Restoring persistent volume from snapshot.");
    CHECK_FALSE(d.rename);
    CHECK(claim_of(d) == kReset);
    CHECK(compact(d.pv.at("metadata").as_object()) == R"({"name":"pv-1","annotations":{}})");
  }
  SUBCASE("PodVolumeBackup: provisioned dynamically") {
    f.volume_infos = volume_info("PodVolumeBackup");
    auto d = f.decide(pv("Retain"));
    CHECK(d.action == PvAction::provision_dynamically);
    CHECK(d.reason == "Dynamically re-provisioning persistent volume because it has a pod volume backup to be restored.");
  }
  SUBCASE("CSISnapshot (with or without data movement): provisioned dynamically") {
    f.volume_infos = volume_info("CSISnapshot");
    auto d = f.decide(pv("Retain"));
    CHECK(d.action == PvAction::provision_dynamically);
    CHECK(d.reason == "Dynamically re-provisioning persistent volume because it has a CSI VolumeSnapshot or a related snapshot DataUpload.");
  }
  SUBCASE("no method (skipped volume), reclaim policy Delete: provisioned dynamically") {
    f.volume_infos = volume_info("");
    auto d = f.decide(pv("Delete"));
    CHECK(d.action == PvAction::provision_dynamically);
    CHECK(d.reason == "Dynamically re-provisioning persistent volume because it doesn't have a snapshot and its reclaim policy is Delete.");
  }
  SUBCASE("no method, reclaim policy Retain: created as-is, binding reset") {
    f.volume_infos = volume_info("");
    auto d = f.decide(pv("Retain"));
    CHECK(d.action == PvAction::create);
    CHECK(d.reason == "Restoring persistent volume as-is because it doesn't have a snapshot and its reclaim policy is not Delete.");
    CHECK(claim_of(d) == kReset);
  }
  SUBCASE("an entry for another PV: the legacy path (reclaim policy)") {
    f.volume_infos = volume_info("PodVolumeBackup");
    f.volume_infos[0].as_object()["pvName"] = "pv-2";
    CHECK(f.decide(pv("Retain")).action == PvAction::create);
  }
}

TEST_CASE("restore §2.8 TestRestorePersistentVolumes: the legacy path without volume info") {
  PvFixture f;
  SUBCASE("reclaim Delete, no snapshot, not in the cluster: not restored, PVC reset for dynamic provisioning") {
    CHECK(f.decide(pv("Delete")).action == PvAction::provision_dynamically);
  }
  SUBCASE("reclaim Retain, no snapshot: restored with its claim ref") {
    auto d = f.decide(pv("Retain"));
    CHECK(d.action == PvAction::create);
    CHECK(claim_of(d) == kReset);
  }
  SUBCASE("a native snapshot, PV not in the cluster: the snapshot and the PV are restored") {
    f.snapshots = json::array{obj(R"({"spec":{"backupName":"backup-1","persistentVolumeName":"pv-1","providerVolumeID":"v"},"status":{}})")};
    f.records.volume_snapshots = &f.snapshots;
    for (std::string reclaim : {"Delete", "Retain"}) {
      CHECK(f.decide(pv(reclaim)).action == PvAction::restore_from_snapshot);
    }
  }
  SUBCASE("a native snapshot, PV in the cluster: neither the snapshot nor the PV is restored") {
    f.snapshots = json::array{obj(R"({"spec":{"persistentVolumeName":"pv-1"}})")};
    f.records.volume_snapshots = &f.snapshots;
    f.target.add("persistentvolumes", "", obj(R"({"metadata":{"name":"pv-1"},"spec":{}})"));
    auto d = f.decide(pv("Retain"));
    CHECK(d.action == PvAction::create);  // meets AlreadyExists and the §2.6 rules
    CHECK(d.reason == "PV is not marked for deletion and is not claimed by a PVC: the snapshot is not restored");
    CHECK(compact(d.pv.at("spec").at("claimRef").as_object()) == R"({"namespace":"ns-1","name":"pvc-1","uid":"u","resourceVersion":"7"})");
  }
  SUBCASE("a native snapshot, claim namespace remapped, PV in the cluster: renamed") {
    f.snapshots = json::array{obj(R"({"spec":{"persistentVolumeName":"pv-1"}})")};
    f.records.volume_snapshots = &f.snapshots;
    f.restore.spec.namespace_mapping = {{"ns-1", "new-ns"}};
    f.target.add("persistentvolumes", "", obj(R"({"metadata":{"name":"pv-1"}})"));
    auto d = f.decide(pv("Delete"));
    CHECK(d.action == PvAction::restore_from_snapshot);
    CHECK(d.rename);
    CHECK(claim_of(d) == R"({"namespace":"new-ns","name":"pvc-1"})");
  }
  SUBCASE("a native snapshot with spec.restorePVs false: the PV is created without its data") {
    f.snapshots = json::array{obj(R"({"spec":{"persistentVolumeName":"pv-1"}})")};
    f.records.volume_snapshots = &f.snapshots;
    f.restore.spec.restore_pvs = false;
    auto d = f.decide(pv("Retain"));
    CHECK(d.action == PvAction::create);
    CHECK(claim_of(d) == kReset);
  }
  SUBCASE("a native snapshot, claim namespace remapped, PV not in the cluster: not renamed") {
    f.snapshots = json::array{obj(R"({"spec":{"persistentVolumeName":"pv-1"}})")};
    f.records.volume_snapshots = &f.snapshots;
    f.restore.spec.namespace_mapping = {{"ns-1", "new-ns"}};
    auto d = f.decide(pv("Delete"));
    CHECK(d.action == PvAction::restore_from_snapshot);
    CHECK_FALSE(d.rename);
    CHECK(claim_of(d) == R"({"namespace":"new-ns","name":"pvc-1"})");
  }
  SUBCASE("no snapshot, claim namespace remapped: claimRef remapped (velero-io HEAD; the 1.5.2 MTC build did not)") {
    f.restore.spec.namespace_mapping = {{"ns-1", "new-ns"}};
    f.target.add("persistentvolumes", "", obj(R"({"metadata":{"name":"pv-1"}})"));
    auto d = f.decide(pv("Retain"));
    CHECK(d.action == PvAction::create);
    CHECK_FALSE(d.rename);
    CHECK(claim_of(d) == R"({"namespace":"new-ns","name":"pvc-1"})");
  }
  SUBCASE("a CSI VolumeSnapshot of the claim: not restored") {
    f.csi_snapshots = json::array{obj(R"({"metadata":{"namespace":"ns-1","name":"vs"},"spec":{"source":{"persistentVolumeClaimName":"pvc-1"}}})"),
                                  obj(R"({"metadata":{"namespace":"ns-1","name":"vs2"},"spec":{"source":{}}})")};
    f.records.csi_volume_snapshots = &f.csi_snapshots;
    CHECK(f.decide(pv("Retain")).action == PvAction::provision_dynamically);
    CHECK(f.decide(pv("Retain", "ns-2")).action == PvAction::create);  // another namespace's claim
  }
  SUBCASE("a DataUpload result ConfigMap of the claim: not restored") {
    f.target.add("configmaps", "velero", obj(R"({"metadata":{"name":"du-1-x","labels":{"velero.io/restore-uid":"restore-uid",
        "velero.io/pvc-namespace-name":"ns-1.pvc-1","velero.io/resource-usage":"DataUploadResult"}}})"));
    CHECK(f.decide(pv("Retain")).action == PvAction::provision_dynamically);
    CHECK(f.decide(pv("Retain", "ns-2")).action == PvAction::create);
  }
  SUBCASE("restore §3.0 item 7: a PodVolumeBackup counts only when Completed with a snapshot ID") {
    f.records.pod_volume_backups = &f.pvbs;
    auto pvb = [](std::string phase, std::string id) {
      return obj(R"({"metadata":{"annotations":{"velero.io/pvc-name":"pvc-1"}},"spec":{"pod":{"namespace":"ns-1","name":"p"}},)"
                 R"("status":{"phase":")" + phase + R"(","snapshotID":")" + id + R"("}})");
    };
    f.pvbs = json::array{pvb("InProgress", "s"), pvb("Completed", "")};
    CHECK(f.decide(pv("Retain")).action == PvAction::create);
    f.pvbs.push_back(pvb("Completed", "snap-1"));
    auto d = f.decide(pv("Retain"));
    CHECK(d.action == PvAction::provision_dynamically);
    CHECK(d.reason == "Dynamically re-provisioning persistent volume because it has a pod volume backup to be restored.");
  }
}

TEST_CASE("restore §2.8 TestShouldRestore: a natively snapshotted PV whose namesake is in the cluster") {
  PvFixture f;
  f.snapshots = json::array{obj(R"({"spec":{"persistentVolumeName":"pv-1"}})")};
  f.records.volume_snapshots = &f.snapshots;
  auto cluster_pv = [](std::string extra) {
    return obj(R"({"metadata":{"name":"pv-1"},"spec":{"claimRef":{"namespace":"ns-1","name":"pvc-1"}})" + extra + "}");
  };
  SUBCASE("not found: restored") { CHECK(f.decide(pv("Retain")).action == PvAction::restore_from_snapshot); }
  SUBCASE("phase Released: wait") {
    f.target.add("persistentvolumes", "", obj(R"({"metadata":{"name":"pv-1"},"status":{"phase":"Released"}})"));
    auto d = f.decide(pv("Retain"));
    CHECK(d.action == PvAction::wait);
    CHECK(d.reason == "PV found, but marked for deletion, waiting");
  }
  SUBCASE("PVC and namespace not deleting: not restored (the existing PV stays)") {
    f.target.add("persistentvolumes", "", cluster_pv(""));
    f.target.add("persistentvolumeclaims", "ns-1", obj(R"({"metadata":{"namespace":"ns-1","name":"pvc-1"}})"));
    f.target.add("namespaces", "", obj(R"({"metadata":{"name":"ns-1"}})"));
    auto d = f.decide(pv("Retain"));
    CHECK(d.action == PvAction::create);
    CHECK(d.reason == "PV, associated PVC and namespace are not marked for deletion: the snapshot is not restored");
  }
  SUBCASE("PVC deleting: wait") {
    f.target.add("persistentvolumes", "", cluster_pv(""));
    f.target.add("persistentvolumeclaims", "ns-1", obj(R"({"metadata":{"namespace":"ns-1","name":"pvc-1","deletionTimestamp":"2026-01-01T00:00:00Z"}})"));
    CHECK(f.decide(pv("Retain")).reason == "PVC for PV marked for deletion, waiting");
  }
  SUBCASE("namespace terminating or deleting: wait") {
    f.target.add("persistentvolumes", "", cluster_pv(""));
    f.target.add("persistentvolumeclaims", "ns-1", obj(R"({"metadata":{"namespace":"ns-1","name":"pvc-1"}})"));
    f.target.add("namespaces", "", obj(R"({"metadata":{"name":"ns-1"},"status":{"phase":"Terminating"}})"));
    CHECK(f.decide(pv("Retain")).reason == "namespace ns-1 associated with PV is deleting, waiting");
    f.target.add("namespaces", "", obj(R"({"metadata":{"name":"ns-1","deletionTimestamp":"2026-01-01T00:00:00Z"}})"));
    CHECK(f.decide(pv("Retain")).action == PvAction::wait);
  }
  SUBCASE("PVC not found, namespace not found: wait") {
    f.target.add("persistentvolumes", "", cluster_pv(""));
    CHECK(f.decide(pv("Retain")).reason == "PVC pvc-1 for PV not found, waiting");
    f.target.add("persistentvolumeclaims", "ns-1", obj(R"({"metadata":{"namespace":"ns-1","name":"pvc-1"}})"));
    CHECK(f.decide(pv("Retain")).reason == "namespace ns-1 for PV not found, waiting");
  }
}

// ---- restore §2.6: existing objects -------------------------------------------------------------------

namespace {
// A Deployment as backed up, then as the API server returns it after creating it again: server
// defaults, managedFields, new uid/resourceVersion, status.
const char* kBackedUpDeployment = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop",
  "uid":"old","resourceVersion":"10","generation":3,"creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app":"web"},
  "annotations":{"deployment.kubernetes.io/revision":"1"},"managedFields":[{"manager":"kubectl","operation":"Update"}]},
  "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
  "spec":{"containers":[{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80}]}]}}},"status":{"replicas":2}})";
const char* kInCluster = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop",
  "uid":"new","resourceVersion":"99","generation":1,"creationTimestamp":"2026-02-01T00:00:00Z","labels":{"app":"web",
  "velero.io/backup-name":"b1","velero.io/restore-name":"r1"},"annotations":{"deployment.kubernetes.io/revision":"1"},
  "managedFields":[{"manager":"velero-server","operation":"Update"}]},"spec":{"replicas":2,"revisionHistoryLimit":10,
  "progressDeadlineSeconds":600,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}},
  "selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
  "spec":{"containers":[{"name":"web","image":"nginx:1.25","imagePullPolicy":"IfNotPresent","resources":{},
  "ports":[{"containerPort":80,"protocol":"TCP"}],"terminationMessagePath":"/dev/termination-log"}],"dnsPolicy":"ClusterFirst",
  "restartPolicy":"Always","securityContext":{}}}},"status":{"replicas":2,"readyReplicas":2}})";

json::object desired_deployment(std::string restore_name) {
  json::object d = obj(kBackedUpDeployment);
  reset_metadata_and_status(d);
  add_restore_labels(d, restore_name, "b2");
  return d;
}
}  // namespace

TEST_CASE("restore §2.6 velero#1948: an object the cluster already holds compares equal") {
  json::object desired = desired_deployment("r2");
  json::object in_cluster = prepare_for_compare(obj(kInCluster), json::metadata_map(desired, "labels"));
  // Velero's prepared object: reset, restore labels from the desired object.
  CHECK(in_cluster.at("metadata").at("labels").at("velero.io/restore-name") == "r2");
  CHECK(in_cluster.at("metadata").at("labels").at("velero.io/backup-name") == "b2");
  CHECK_FALSE(in_cluster.contains("status"));
  CHECK_FALSE(in_cluster.at("metadata").as_object().contains("uid"));
  // equality.Semantic.DeepEqual says different (managedFields, defaults); content_equal does not.
  CHECK(in_cluster != desired);
  CHECK(content_equal(desired, in_cluster));
}

TEST_CASE("restore §2.6 content_differences: what the backup asks for and the cluster lacks") {
  json::object desired = desired_deployment("r2");
  auto differences = [&](auto&& edit) {
    json::object cluster = prepare_for_compare(obj(kInCluster), json::metadata_map(desired, "labels"));
    edit(cluster);
    return content_differences(desired, cluster);
  };
  using V = std::vector<std::string>;
  auto spec = [](json::object& o) -> json::object& { return o["spec"].as_object(); };
  CHECK(differences([&](json::object& c) {
          spec(c)["template"].as_object()["spec"].as_object()["containers"].as_array()[0].as_object()["image"] = "nginx:1.26";
        }) == V{"spec.template.spec.containers[0].image"});
  CHECK(differences([&](json::object& c) { spec(c)["replicas"] = 3; }) == V{"spec.replicas"});
  CHECK(differences([&](json::object& c) { spec(c)["replicas"] = 2.0; }).empty());  // numbers by value
  CHECK(differences([&](json::object& c) { spec(c)["replicas"] = "2"; }) == V{"spec.replicas"});
  CHECK(differences([&](json::object& c) { c["metadata"].as_object()["labels"].as_object()["app"] = "api"; }) ==
        V{"metadata.labels.app"});
  CHECK(differences([&](json::object& c) { c["metadata"].as_object()["annotations"].as_object().clear(); }) ==
        V{"metadata.annotations.deployment.kubernetes.io/revision"});
  // Lists compare whole: an extra container is a difference, a defaulted field in one is not.
  CHECK(differences([&](json::object& c) {
          auto& containers = spec(c)["template"].as_object()["spec"].as_object()["containers"].as_array();
          containers.push_back(containers[0]);
        }) == V{"spec.template.spec.containers"});
  // managedFields never count; fields the backup does not set never count.
  CHECK(differences([&](json::object& c) {
          c["metadata"].as_object()["managedFields"] = json::array{};
          spec(c)["paused"] = false;
          c["metadata"].as_object()["annotations"].as_object()["added-by-controller"] = "x";
        }).empty());
}

TEST_CASE("restore §2.6 content_differences: empty values ask for nothing") {
  CHECK(content_equal(obj(R"({"spec":{"selector":{},"finalizers":[],"x":null}})"),
                      obj(R"({"spec":{"selector":{"matchLabels":{"a":"b"}},"finalizers":["f"],"x":1}})")));
  CHECK(content_differences(obj(R"({"data":{"k":""}})"), obj(R"({"data":{}})")) == std::vector<std::string>{"data.k"});
  CHECK(content_differences(obj(R"({"spec":{"a":{"b":1}}})"), obj(R"({"spec":{"a":[]}})")) == std::vector<std::string>{"spec.a.b"});
  CHECK(content_differences(obj(R"({"spec":{"a":[1]}})"), obj(R"({"spec":{"a":{}}})")) == std::vector<std::string>{"spec.a"});
  CHECK(content_differences(obj(R"({"spec":{"a":{"b":1}}})"), obj(R"({"spec":{"a":"x"}})")) == std::vector<std::string>{"spec.a"});
}

TEST_CASE("restore §2.6 mergeServiceAccounts: missing secrets, pull secrets, labels and annotations added") {
  json::object cluster = obj(R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"namespace":"ns1","name":"default",
      "labels":{"l1":"v1","l2":"v2"},"annotations":{"a1":"v1"}},
      "secrets":[{"name":"default-token-abcde"},{"name":"my-secret"},{"name":"sekrit"}]})");
  json::object backup = obj(R"({"kind":"ServiceAccount","apiVersion":"v1","metadata":{"namespace":"ns1","name":"default",
      "labels":{"l1":"changed","l3":"v3"},"annotations":{"a1":"v1","a2":"v2"}},
      "secrets":[{"name":"my-old-secret"},{"name":"secrete"},{"name":"sekrit"}],"imagePullSecrets":[{"name":"regcred"}]})");
  CHECK(compact(merge_service_accounts(cluster, backup)) ==
        R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"namespace":"ns1","name":"default",)"
        R"("labels":{"l1":"v1","l2":"v2","l3":"v3"},"annotations":{"a1":"v1","a2":"v2"}},)"
        R"("secrets":[{"name":"default-token-abcde"},{"name":"my-secret"},{"name":"sekrit"},{"name":"my-old-secret"},{"name":"secrete"}],)"
        R"("imagePullSecrets":[{"name":"regcred"}]})");
  // only the default token in the cluster, none in the backup: unchanged
  json::object only_token = obj(R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"namespace":"ns1","name":"default"},
      "secrets":[{"name":"default-token-abcde"}]})");
  CHECK(merge_service_accounts(only_token, obj(R"({"metadata":{"name":"default"},"secrets":[]})")) == only_token);
}
