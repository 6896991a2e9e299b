// Restoring CSI-snapshotted volumes (csi §2, restore §2.8) into the test API server's fake CSI world
// (csi §4): backups written by hand as Velero 1.18 writes them for one CSI volume app/data (csi §1.6:
// the claim with velero.io/volume-snapshot-name, its PV, the post-operation VolumeSnapshot and
// VolumeSnapshotContent, the VolumeSnapshotClass, <b>-volumeinfo.json.gz with backupMethod
// CSISnapshot) or as Velero ≤ 1.16 wrote them (<b>-csi-volumesnapshots.json.gz, no volume info). The
// claim must end Bound by the fake external-provisioner with a volume cut from the right snapshot
// handle (its volumeHandle says `-from-<handle>`).
#include "restore/actions/csi.hpp"
#include "restore_support.hpp"

#include "kube_server/kubectl_runner.hpp"
#include "vbackup/velero_side_files.hpp"

using namespace vbackup;
using namespace vbackup::testing;
using Strings = std::vector<std::string>;

namespace {

constexpr const char* kDriver = "hostpath.csi.k8s.io";
constexpr const char* kVsName = "velero-data-abcde";
constexpr const char* kVscName = "snapcontent-5e1f0c2a-vs";
constexpr const char* kVs = "volumesnapshots.snapshot.storage.k8s.io";
constexpr const char* kVsc = "volumesnapshotcontents.snapshot.storage.k8s.io";
constexpr const char* kVsClass = "volumesnapshotclasses.snapshot.storage.k8s.io";

json::object parse(const std::string& text) { return json::parse(text, "test object").as_object(); }
std::string replace(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}
const json::object& at(const json::object& o, const char* key) { return o.at(key).as_object(); }
std::string str(const json::object& o, const char* key) { return std::string(json::get_string(o, key)); }

// One Velero backup of namespace app with its CSI volume.
struct CsiBackup {
  std::string name = "b1";
  std::string handle = "snapshot-77";
  bool volume_info = true;        // Velero ≥ 1.13
  bool legacy_side_file = false;  // Velero ≤ 1.16: <b>-csi-volumesnapshots.json.gz
  bool move_data = false;         // spec.snapshotMoveData: the claim went through a DataUpload
  bool crds = false;              // the snapshot CRDs, as Velero backs up the CRD of each custom resource
};

// A snapshot.storage.k8s.io/v1 CRD (enough of it for discovery).
std::string snapshot_crd(const std::string& plural, const std::string& kind, const std::string& scope) {
  std::string singular = kind;
  for (auto& ch : singular) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":")" + plural +
         R"(.snapshot.storage.k8s.io"},"spec":{"group":"snapshot.storage.k8s.io","scope":")" + scope +
         R"(","names":{"plural":")" + plural + R"(","singular":")" + singular + R"(","kind":")" + kind + R"(","listKind":")" +
         kind + R"(List"},"versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object",
         "x-kubernetes-preserve-unknown-fields":true}}}]}})";
}

// Items as Velero 1.18 writes them (status included; the VS and VSC as re-read at finalize).
std::vector<std::pair<std::string, std::string>> items_of(const CsiBackup& c) {
  std::string pvc_annotations = R"("velero.io/volume-snapshot-name":"velero-data-abcde","pv.kubernetes.io/bind-completed":"yes",
      "pv.kubernetes.io/bound-by-controller":"yes","volume.kubernetes.io/storage-provisioner":"hostpath.csi.k8s.io")";
  if (c.move_data) pvc_annotations += R"(,"velero.io/data-upload-name":"velero/b1-x7k2p")";
  std::vector<std::pair<std::string, std::string>> out = {
      {"namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"app","labels":{"team":"web"}},"spec":{"finalizers":["kubernetes"]},
        "status":{"phase":"Active"}})"},
      {"persistentvolumeclaims", R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data","namespace":"app",
        "uid":"0b7f3c1e-pvc","resourceVersion":"812","annotations":{)" + pvc_annotations + R"(},
        "labels":{"app":"web","velero.io/volume-snapshot-name":"velero-data-abcde","velero.io/backup-name":"b1"},
        "finalizers":["kubernetes.io/pvc-protection"]},
        "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"storageClassName":"csi",
        "volumeMode":"Filesystem","volumeName":"pvc-0b7f3c1e"},
        "status":{"phase":"Bound","accessModes":["ReadWriteOnce"],"capacity":{"storage":"1Gi"}}})"},
      {"persistentvolumes", R"({"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pvc-0b7f3c1e",
        "annotations":{"pv.kubernetes.io/provisioned-by":"hostpath.csi.k8s.io"},"labels":{"tier":"gold"},
        "finalizers":["kubernetes.io/pv-protection"]},
        "spec":{"accessModes":["ReadWriteOnce"],"capacity":{"storage":"1Gi"},"storageClassName":"csi",
        "persistentVolumeReclaimPolicy":"Retain","volumeMode":"Filesystem",
        "claimRef":{"apiVersion":"v1","kind":"PersistentVolumeClaim","namespace":"app","name":"data","uid":"0b7f3c1e-pvc"},
        "csi":{"driver":"hostpath.csi.k8s.io","fsType":"ext4","volumeHandle":"vol-src-1"}},"status":{"phase":"Bound"}})"}};
  if (c.move_data) return out;  // the data mover keeps no VolumeSnapshot (csi §6)
  out.push_back({kVs, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","metadata":{"name":"velero-data-abcde",
        "generateName":"velero-data-","namespace":"app","uid":"5e1f0c2a-vs","resourceVersion":"950",
        "annotations":{"velero.io/csi-driver-name":"hostpath.csi.k8s.io","velero.io/csi-volumesnapshot-handle":"HANDLE",
        "velero.io/csi-volumesnapshot-restore-size":"1Gi","velero.io/csi-vsc-deletion-policy":"Delete"},
        "labels":{"app":"web","velero.io/backup-name":"b1"},
        "finalizers":["snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection",
        "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection"]},
        "spec":{"source":{"persistentVolumeClaimName":"data"},"volumeSnapshotClassName":"csi-snap"},
        "status":{"boundVolumeSnapshotContentName":"snapcontent-5e1f0c2a-vs","creationTime":"2026-12-01T10:00:00Z",
        "readyToUse":true,"restoreSize":"1Gi"}})"});
  out.push_back({kVsc, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotContent","metadata":{
        "name":"snapcontent-5e1f0c2a-vs","uid":"77aa-vsc","resourceVersion":"951","labels":{"velero.io/backup-name":"b1"},
        "finalizers":["snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection"]},
        "spec":{"deletionPolicy":"Delete","driver":"hostpath.csi.k8s.io","source":{"volumeHandle":"vol-src-1"},
        "volumeSnapshotClassName":"csi-snap","volumeSnapshotRef":{"apiVersion":"snapshot.storage.k8s.io/v1",
        "kind":"VolumeSnapshot","name":"velero-data-abcde","namespace":"app","resourceVersion":"940","uid":"5e1f0c2a-vs"}},
        "status":{"creationTime":1764583200000000000,"readyToUse":true,"restoreSize":1073741824,"snapshotHandle":"HANDLE"}})"});
  out.push_back({kVsClass, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotClass","metadata":{"name":"csi-snap",
        "labels":{"velero.io/csi-volumesnapshot-class":"true"}},"driver":"hostpath.csi.k8s.io","deletionPolicy":"Delete"})"});
  for (auto& [gr, text] : out) text = replace(text, "HANDLE", c.handle);
  if (c.crds) {
    out.push_back({"customresourcedefinitions.apiextensions.k8s.io", snapshot_crd("volumesnapshots", "VolumeSnapshot", "Namespaced")});
    out.push_back({"customresourcedefinitions.apiextensions.k8s.io",
                   snapshot_crd("volumesnapshotcontents", "VolumeSnapshotContent", "Cluster")});
    out.push_back({"customresourcedefinitions.apiextensions.k8s.io",
                   snapshot_crd("volumesnapshotclasses", "VolumeSnapshotClass", "Cluster")});
  }
  return out;
}

// The backup in the location: tarball (each item at its un-versioned and preferred-version path, as
// Velero ≥ 1.10 writes them), record, volume info or the legacy CSI side file.
void put_csi_backup(RestoreLocation& loc, const CsiBackup& c) {
  Tarball t;
  json::array snapshots;
  for (const auto& [gr, text] : items_of(c)) {
    json::object o = parse(text);
    const std::string ns(json::metadata_string(o, "namespace")), name(json::metadata_string(o, "name"));
    const std::string bytes = json::marshal(o);
    t.file(archive::item_path(gr, ns, name, ""), bytes);
    t.file(archive::item_path(gr, ns, name, "v1-preferredversion"), bytes);
    if (gr == kVs) snapshots.push_back(o);
  }
  velero::Backup b;
  b.metadata.name = c.name;
  b.metadata.namespace_ = "velero";
  b.spec.included_namespaces = {"app"};
  if (c.move_data) b.spec.snapshot_move_data = true;
  b.status.phase = "Completed";
  b.status.format_version = "1.1.0";
  b.status.version = 1;
  b.status.csi_volume_snapshots_attempted = b.status.csi_volume_snapshots_completed = c.move_data ? 0 : 1;
  persistence::put_backup_record(*loc.location.backups, b);
  loc.put_tarball(c.name, t.gzip());
  if (c.volume_info) {
    std::string info = R"([{"pvcName":"data","pvcNamespace":"app","pvName":"pvc-0b7f3c1e","backupMethod":"CSISnapshot",
      "snapshotDataMoved":MOVED,"preserveLocalSnapshot":true,"skipped":false,"startTimestamp":"2026-12-01T10:00:00Z",
      "completionTimestamp":"2026-12-01T10:00:05Z","result":"succeeded",
      "csiSnapshotInfo":{"snapshotHandle":"HANDLE","size":1073741824,"driver":"hostpath.csi.k8s.io",
      "vscName":"snapcontent-5e1f0c2a-vs","operationID":"app/velero-data-abcde/2026-12-01T10:00:00Z","ReadyToUse":true},
      "pvInfo":{"reclaimPolicy":"Retain","labels":{"tier":"gold"}}}])";
    info = replace(replace(info, "HANDLE", c.handle), "MOVED", c.move_data ? "true" : "false");
    loc.location.objects->put(loc.location.backups->backup_volume_info_key(c.name),
                              velero::encode_json_gz(json::parse(info, "volume info")));
  }
  if (c.legacy_side_file) {
    loc.location.objects->put(loc.location.backups->backup_csi_volume_snapshots_key(c.name),
                              velero::encode_json_gz(json::value(std::move(snapshots))));
  }
}

// A cluster with the CSI StorageClass and, when given, the snapshot in its storage.
struct CsiCluster {
  RestoreServer s{kubetest::KubeServerOptions{}};
  explicit CsiCluster(const std::string& handle = {}) {
    s.server.api().put_object(parse(R"({"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"csi"},
      "provisioner":"hostpath.csi.k8s.io","reclaimPolicy":"Delete","volumeBindingMode":"Immediate"})"));
    if (!handle.empty()) add_handle(handle);
  }
  void add_handle(const std::string& handle) {
    s.server.api().csi_control(json::object{
        {"addHandle", json::object{{"handle", handle}, {"driver", kDriver}, {"restoreSize", 1073741824}}}});
  }
  // The fake driver's volume of a handle: "" when the claim's PV was not cut from a snapshot.
  std::string from_snapshot(const std::string& volume_handle) {
    const json::object world = s.server.api().csi_snapshots();
    for (const auto& v : world.at("volumes").as_array()) {
      if (str(v.as_object(), "volumeHandle") == volume_handle) return str(v.as_object(), "fromSnapshotHandle");
    }
    FAIL("no volume " << volume_handle);
    return {};
  }
  json::object bound_claim(const std::string& ns) {
    json::object pvc;
    kubetest::testing::eventually([&] {
      auto o = s.get("persistentvolumeclaims", ns, "data");
      if (!o) return false;
      pvc = *o;
      return str(at(pvc, "status"), "phase") == "Bound";
    });
    return pvc;
  }
};

RestoreResult run(CsiCluster& c, RestoreLocation& loc, const std::string& name, const std::string& uid,
                  const std::function<void(velero::Restore&)>& edit = {}, RestoreOptions o = {}) {
  velero::Restore r = restore_of(name, "b1");
  r.metadata.uid = uid;
  if (edit) edit(r);
  if (o.resource_timeout == std::chrono::minutes(10)) o.resource_timeout = std::chrono::seconds(20);
  return run_restore(std::move(r), *loc.location.backups, c.s.cluster->target(), o);
}

Strings errors_of(RestoreLocation& loc, const std::string& restore) { return messages(loc.details(restore).results.errors); }

// What a successful CSI restore into namespace ns leaves: the content and snapshot under the restore's
// names, Velero's fields, and the claim Bound to a new PV cut from `handle`, patched by the finalizer.
void check_restored(CsiCluster& c, const std::string& ns, const std::string& uid, const std::string& handle,
                    const std::string& restore) {
  const std::string name = restore::csi_restore_name(uid, kVsName);
  auto vsc = c.s.get(kVsc, "", name);
  REQUIRE(vsc);
  const json::object& vsc_spec = at(*vsc, "spec");
  CHECK(str(vsc_spec, "deletionPolicy") == "Retain");
  CHECK(json::marshal(vsc_spec.at("source")) == R"({"snapshotHandle":")" + handle + R"("})");
  CHECK(str(at(vsc_spec, "volumeSnapshotRef"), "name") == name);
  CHECK(str(at(vsc_spec, "volumeSnapshotRef"), "namespace") == ns);
  CHECK(str(vsc_spec, "volumeSnapshotClassName") == "csi-snap");  // restored first, found by its driver
  CHECK(label_of(*vsc, "velero.io/restore-name") == restore);
  CHECK(label_of(*vsc, "velero.io/backup-name") == "b1");
  auto vs = c.s.get(kVs, ns, name);
  REQUIRE(vs);
  CHECK(json::marshal(at(*vs, "spec")) == R"({"source":{"volumeSnapshotContentName":")" + name + R"("}})");
  CHECK(annotation_of(*vs, "velero.io/csi-vsc-deletion-policy") == "Retain");
  CHECK_FALSE(c.s.get(kVs, ns, kVsName));  // never under the backed-up name
  CHECK_FALSE(c.s.get(kVsc, "", kVscName));
  json::object pvc = c.bound_claim(ns);
  CHECK(json::marshal(at(pvc, "spec").at("dataSource")) ==
        R"({"apiGroup":"snapshot.storage.k8s.io","kind":"VolumeSnapshot","name":")" + name + R"("})");
  CHECK(annotation_of(pvc, "velero.io/volume-snapshot-name").empty());  // velero.io/pvc strips it
  const std::string pv_name = str(at(pvc, "spec"), "volumeName");
  CHECK(pv_name != "pvc-0b7f3c1e");  // provisioned anew, the archived PV is not restored
  auto pv = c.s.get("persistentvolumes", "", pv_name);
  REQUIRE(pv);
  const std::string volume_handle = str(at(at(*pv, "spec"), "csi"), "volumeHandle");
  CHECK(volume_handle.ends_with("-from-" + handle));
  CHECK(c.from_snapshot(volume_handle) == handle);
  // The restore finalizer (patchDynamicPVWithVolumeInfo): the old PV's reclaim policy and labels.
  CHECK(str(at(*pv, "spec"), "persistentVolumeReclaimPolicy") == "Retain");
  CHECK(label_of(*pv, "tier") == "gold");
}

}  // namespace

TEST_CASE("csi §2 restore into another namespace: static content and snapshot under the restore's names, the claim bound from the handle") {
  RestoreLocation loc;
  put_csi_backup(loc, {});
  CsiCluster c("snapshot-77");
  PlanLog plan;
  RestoreOptions o = plan_options(plan);
  Strings phases;
  o.on_record = [&](const velero::Restore& r) {
    if (phases.empty() || phases.back() != r.status.phase) phases.push_back(r.status.phase);
  };
  auto r = run(c, loc, "r1", "11111111-2222-4333-8444-555555555555", [](velero::Restore& r) {
    r.spec.namespace_mapping = {{"app", "app-copy"}};
  }, o);
  INFO(plan.dump());
  // restore §2.11: Finalizing while the finalizer waits for the claim and patches its new PV.
  CHECK(phases == Strings{"InProgress", "Finalizing", "Completed"});
  CHECK(errors_of(loc, "r1") == Strings{});
  CHECK(r.restore.status.phase == "Completed");
  check_restored(c, "app-copy", "11111111-2222-4333-8444-555555555555", "snapshot-77", "r1");
  CHECK_FALSE(c.s.get("persistentvolumes", "", "pvc-0b7f3c1e"));
  CHECK(plan.action("v1/PersistentVolume /pvc-0b7f3c1e") == "skipped");
  CHECK(plan.action("snapshot.storage.k8s.io/v1/VolumeSnapshotClass /csi-snap") == "created");
  const std::string name = restore::csi_restore_name("11111111-2222-4333-8444-555555555555", kVsName);
  CHECK(plan.action("snapshot.storage.k8s.io/v1/VolumeSnapshotContent /" + name) == "created");
  CHECK(plan.action("snapshot.storage.k8s.io/v1/VolumeSnapshot app-copy/" + name) == "created");
  // The restored content becomes ready from the storage's handle, and binds to the restored snapshot.
  auto vsc = c.s.get(kVsc, "", name);
  CHECK(json::get_string(at(*vsc, "spec").at("volumeSnapshotRef").as_object(), "uid") ==
        json::metadata_string(*c.s.get(kVs, "app-copy", name), "uid"));
  // The resource list names them as created, under their new names (Velero's createdName).
  auto list = loc.details("r1").resource_list;
  CHECK(list["snapshot.storage.k8s.io/v1/VolumeSnapshot"] == Strings{"app-copy/" + name + "(created)"});
  CHECK(list["v1/PersistentVolumeClaim"] == Strings{"app-copy/data(created)"});
}

TEST_CASE("csi §2 restore into a second cluster whose storage holds the snapshot handle") {
  RestoreLocation loc;
  put_csi_backup(loc, {.handle = "snapshot-from-a"});
  CsiCluster b("snapshot-from-a");
  auto r = run(b, loc, "r1", "22222222-2222-4333-8444-555555555555");
  CHECK(errors_of(loc, "r1") == Strings{});
  CHECK(r.restore.status.phase == "Completed");
  check_restored(b, "app", "22222222-2222-4333-8444-555555555555", "snapshot-from-a", "r1");
  CHECK(label_of(*b.s.get("namespaces", "", "app"), "team") == "web");
}

TEST_CASE("csi §2 restoring the same backup twice: a new snapshot and content per restore, no conflict") {
  RestoreLocation loc;
  put_csi_backup(loc, {});
  CsiCluster c("snapshot-77");
  const std::string uid1 = "aaaaaaaa-2222-4333-8444-555555555555", uid2 = "bbbbbbbb-2222-4333-8444-555555555555";
  auto r1 = run(c, loc, "r1", uid1, [](velero::Restore& r) { r.spec.namespace_mapping = {{"app", "copy-1"}}; });
  auto r2 = run(c, loc, "r2", uid2, [](velero::Restore& r) { r.spec.namespace_mapping = {{"app", "copy-2"}}; });
  CHECK(r1.restore.status.phase == "Completed");
  CHECK(r2.restore.status.phase == "Completed");
  check_restored(c, "copy-1", uid1, "snapshot-77", "r1");
  check_restored(c, "copy-2", uid2, "snapshot-77", "r2");
  // Into the same namespace again: the claim exists (csi-pvc-restorer leaves it alone, isResourceExist),
  // the third restore's snapshot and content are new objects; nothing fails.
  PlanLog plan;
  auto r3 = run(c, loc, "r3", "cccccccc-2222-4333-8444-555555555555",
                [](velero::Restore& r) { r.spec.namespace_mapping = {{"app", "copy-1"}}; }, plan_options(plan));
  INFO(plan.dump());
  CHECK(errors_of(loc, "r3") == Strings{});
  CHECK(r3.restore.status.phase == "Completed");
  CHECK(plan.action("v1/PersistentVolumeClaim copy-1/data") == "unchanged");  // ours: Velero's "skipped", same list entry
  CHECK(plan.action("snapshot.storage.k8s.io/v1/VolumeSnapshotClass /csi-snap") == "unchanged");
  CHECK(messages(loc.details("r3").results.warnings) == Strings{});
  CHECK(c.s.get(kVsc, "", restore::csi_restore_name("cccccccc-2222-4333-8444-555555555555", kVsName)));
  CHECK(str(at(*c.s.get("persistentvolumeclaims", "copy-1", "data"), "spec").at("dataSource").as_object(), "name") ==
        restore::csi_restore_name(uid1, kVsName));
}

TEST_CASE("csi §2 restorePVs=false: an empty claim, provisioned without a snapshot; no VolumeSnapshot, content or class") {
  RestoreLocation loc;
  put_csi_backup(loc, {});
  CsiCluster c("snapshot-77");
  PlanLog plan;
  auto r = run(c, loc, "r1", "dddddddd-2222-4333-8444-555555555555", [](velero::Restore& r) { r.spec.restore_pvs = false; },
               plan_options(plan));
  INFO(plan.dump());
  CHECK(errors_of(loc, "r1") == Strings{});
  CHECK(r.restore.status.phase == "Completed");
  json::object pvc = c.bound_claim("app");
  CHECK_FALSE(at(pvc, "spec").contains("dataSource"));
  const std::string pv = str(at(pvc, "spec"), "volumeName");
  CHECK(c.from_snapshot(str(at(at(*c.s.get("persistentvolumes", "", pv), "spec"), "csi"), "volumeHandle")) == "");
  CHECK(c.s.list(kVs).empty());
  CHECK(c.s.list(kVsc).empty());
  CHECK(c.s.list(kVsClass).empty());
  CHECK(plan.action("snapshot.storage.k8s.io/v1/VolumeSnapshot app/velero-data-abcde") == "skipped");
  CHECK(plan.action("snapshot.storage.k8s.io/v1/VolumeSnapshotContent /snapcontent-5e1f0c2a-vs") == "skipped");
  CHECK(plan.action("snapshot.storage.k8s.io/v1/VolumeSnapshotClass /csi-snap") == "skipped");
}

TEST_CASE("csi §2 / restore §2.8 an older backup (-csi-volumesnapshots.json.gz, no volume info) restores the same way") {
  RestoreLocation loc;
  put_csi_backup(loc, {.volume_info = false, .legacy_side_file = true});
  REQUIRE_FALSE(loc.location.objects->exists(loc.location.backups->backup_volume_info_key("b1")));
  CsiCluster c("snapshot-77");
  PlanLog plan;
  auto r = run(c, loc, "r1", "eeeeeeee-2222-4333-8444-555555555555",
               [](velero::Restore& r) { r.spec.namespace_mapping = {{"app", "old-copy"}}; }, plan_options(plan));
  CHECK(errors_of(loc, "r1") == Strings{});
  CHECK(r.restore.status.phase == "Completed");
  CHECK(plan.action("v1/PersistentVolume /pvc-0b7f3c1e") == "skipped");  // hasCSIVolumeSnapshot
  CHECK_FALSE(c.s.get("persistentvolumes", "", "pvc-0b7f3c1e"));
  json::object pvc = c.bound_claim("old-copy");
  const std::string pv = str(at(pvc, "spec"), "volumeName");
  CHECK(c.from_snapshot(str(at(at(*c.s.get("persistentvolumes", "", pv), "spec"), "csi"), "volumeHandle")) == "snapshot-77");
}

TEST_CASE("csi §4 f the handle is gone from the storage: the content gets status.error, the claim stays Pending, the restore ends PartiallyFailed") {
  // Velero's restore does not wait for the claim; its finalizer (patchDynamicPVWithVolumeInfo) waits
  // --resource-timeout for it to be Bound and then records "fail to patch dynamic PV" as an error.
  RestoreLocation loc;
  put_csi_backup(loc, {});
  CsiCluster c;  // no snapshot-77 in this storage
  RestoreOptions o;
  o.resource_timeout = std::chrono::seconds(2);
  auto r = run(c, loc, "r1", "ffffffff-2222-4333-8444-555555555555",
               [](velero::Restore& r) { r.spec.namespace_mapping = {{"app", "lost"}}; }, o);
  CHECK(r.restore.status.phase == "PartiallyFailed");
  CHECK(r.restore.status.errors == 1);
  CHECK(errors_of(loc, "r1") ==
        Strings{"lost: fail to patch dynamic PV, err: context deadline exceeded, PVC: data, PV: pvc-0b7f3c1e"});
  const std::string name = restore::csi_restore_name("ffffffff-2222-4333-8444-555555555555", kVsName);
  auto vsc = c.s.get(kVsc, "", name);
  REQUIRE(vsc);
  const json::object* status = json::find_object(*vsc, "status");
  REQUIRE(status);
  REQUIRE(status->contains("error"));
  CHECK(str(status->at("error").as_object(), "message").find("snapshot-77") != std::string::npos);
  auto pvc = c.s.get("persistentvolumeclaims", "lost", "data");
  REQUIRE(pvc);
  CHECK(str(at(*pvc, "status"), "phase") == "Pending");
  CHECK(loc.logs("r1").find("patching newly dynamically provisioned PV starts") != std::string::npos);
}

TEST_CASE("csi §6 snapshotMoveData: per claim an error naming the missing node agent; the claim restored empty, no DataDownload") {
  RestoreLocation loc;
  put_csi_backup(loc, {.move_data = true});
  CsiCluster c;
  auto r = run(c, loc, "r1", "99999999-2222-4333-8444-555555555555");
  CHECK(r.restore.status.phase == "PartiallyFailed");
  Strings errors = errors_of(loc, "r1");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].starts_with("app: velero.io/csi-pvc-restorer: persistentvolumeclaims/app/data: backup b1 moved this volume's snapshot data"));
  CHECK(errors[0].find("node agent") != std::string::npos);
  json::object pvc = c.bound_claim("app");
  CHECK_FALSE(at(pvc, "spec").contains("dataSource"));
  CHECK(c.s.list(kVs).empty());
  CHECK(loc.logs("r1").find("DataDownload") == std::string::npos);
}

TEST_CASE("csi §2 a dry run and a diff show the rewritten objects under the names the restore would create") {
  RestoreLocation loc;
  put_csi_backup(loc, {});
  CsiCluster c("snapshot-77");
  const std::string uid = "12121212-2222-4333-8444-555555555555";
  const std::string name = restore::csi_restore_name(uid, kVsName);
  auto edit = [](velero::Restore& r) { r.spec.namespace_mapping = {{"app", "app-copy"}}; };
  PlanLog dry, diff;
  run(c, loc, "r1", uid, edit, plan_options(dry, RestoreOptions::Mode::dry_run));
  run(c, loc, "r1", uid, edit, plan_options(diff, RestoreOptions::Mode::diff));
  INFO(dry.dump());
  for (PlanLog* p : {&dry, &diff}) {
    CHECK(p->action("snapshot.storage.k8s.io/v1/VolumeSnapshotContent /" + name) == "create");
    CHECK(p->action("snapshot.storage.k8s.io/v1/VolumeSnapshot app-copy/" + name) == "create");
    CHECK(p->action("v1/PersistentVolumeClaim app-copy/data") == "create");
    CHECK(p->action("v1/PersistentVolume /pvc-0b7f3c1e") == "skip");
  }
  const std::string vsc_diff = diff.by_key["snapshot.storage.k8s.io/v1/VolumeSnapshotContent /" + name].diff;
  CHECK(vsc_diff.find("snapshotHandle: snapshot-77") != std::string::npos);
  CHECK(vsc_diff.find("deletionPolicy: Retain") != std::string::npos);
  // The class the restore would create first is the one the content would name.
  CHECK(vsc_diff.find("volumeSnapshotClassName: csi-snap") != std::string::npos);
  const std::string pvc_diff = diff.by_key["v1/PersistentVolumeClaim app-copy/data"].diff;
  CHECK(pvc_diff.find("name: " + name) != std::string::npos);
  CHECK(pvc_diff.find("volumeName") == std::string::npos);
  // Nothing was written.
  CHECK(c.s.list(kVsc).empty());
  CHECK_FALSE(c.s.get("persistentvolumeclaims", "app-copy", "data"));
}

TEST_CASE("csi §2 a dry run without a cluster (--output-dir) writes the rewritten snapshot, content and claim") {
  RestoreLocation loc;
  put_csi_backup(loc, {.crds = true});
  TempDir out("restore-csi-plan");
  velero::Restore r = restore_of("r1", "b1");
  r.metadata.uid = "34343434-2222-4333-8444-555555555555";
  r.spec.namespace_mapping = {{"app", "app-copy"}};
  PlanLog plan;
  auto run = create_restore(nullptr, loc.location, r, plan_options(plan, RestoreOptions::Mode::dry_run), out.path / "plan");
  INFO(plan.dump());
  CHECK(run.result.restore.status.errors == 0);
  const std::string name = restore::csi_restore_name("34343434-2222-4333-8444-555555555555", kVsName);
  CHECK(plan.action("snapshot.storage.k8s.io/v1/VolumeSnapshotContent /" + name) == "create");
  CHECK(plan.action("snapshot.storage.k8s.io/v1/VolumeSnapshot app-copy/" + name) == "create");
  CHECK(plan.action("v1/PersistentVolume /pvc-0b7f3c1e") == "skip");
  std::string vsc, pvc;
  for (const auto& e : std::filesystem::directory_iterator(out.path / "plan")) {
    const std::string file = e.path().filename().string();
    if (file.find("volumesnapshotcontent-" + name) != std::string::npos) vsc = read_file(e.path());
    if (file.find("persistentvolumeclaim-app-copy-data") != std::string::npos) pvc = read_file(e.path());
  }
  CHECK(vsc.find("snapshotHandle: snapshot-77") != std::string::npos);
  CHECK(vsc.find("volumeSnapshotClassName: csi-snap") != std::string::npos);  // the class the plan creates first
  CHECK(vsc.find("namespace: app-copy") != std::string::npos);
  CHECK(pvc.find("name: " + name) != std::string::npos);
  CHECK(pvc.find("volumeName") == std::string::npos);
}

TEST_CASE("csi §2 restore finalizer: a claim of a WaitForFirstConsumer class stays Pending and is not waited for") {
  // patchDynamicPVWithVolumeInfo skips it (velero #4428): no pod, no binding, no error.
  RestoreLocation loc;
  put_csi_backup(loc, {});
  CsiCluster c("snapshot-77");
  c.s.server.api().put_object(parse(R"({"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"csi-wait"},
      "provisioner":"hostpath.csi.k8s.io","reclaimPolicy":"Delete","volumeBindingMode":"WaitForFirstConsumer"})"));
  RestoreOptions o;
  o.resource_timeout = std::chrono::seconds(30);
  // The claim moves to the WaitForFirstConsumer class (velero.io/change-storage-class's ConfigMap).
  c.s.server.api().put_object(parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"velero"}})"));
  c.s.server.api().put_object(parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"change-sc","namespace":"velero",
      "labels":{"velero.io/plugin-config":"","velero.io/change-storage-class":"RestoreItemAction"}},"data":{"csi":"csi-wait"}})"));
  const auto start = std::chrono::steady_clock::now();
  auto r = run(c, loc, "r1", "56565656-2222-4333-8444-555555555555", {}, o);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(15));
  CHECK(errors_of(loc, "r1") == Strings{});
  CHECK(r.restore.status.phase == "Completed");
  auto pvc = c.s.get("persistentvolumeclaims", "app", "data");
  REQUIRE(pvc);
  CHECK(str(at(*pvc, "spec"), "storageClassName") == "csi-wait");
  CHECK(str(at(*pvc, "status"), "phase") == "Pending");
  CHECK(loc.logs("r1").find("has VolumeBindingMode set to WaitForFirstConsumer") != std::string::npos);
}
