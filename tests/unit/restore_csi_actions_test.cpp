// The CSI RestoreItemActions of csi §2 (pkg/restore/actions/csi/*_action.go at velero-io HEAD) as pure
// functions over Velero 1.18's backed-up objects, the restore order of the snapshot resources, the PV
// decision for CSI-snapshotted volumes (restore §2.8) and the restore's reading of the volume info.
#include "restore/actions/csi.hpp"
#include "restore/actions/item_rules.hpp"
#include "restore/actions/pv_decision.hpp"
#include "restore/actions/restore_item_action.hpp"
#include "vbackup/velero_volumes.hpp"
#include "restore/plan/order.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"
#include "vbackup/stream.hpp"

#include "fake_target_lookup.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <tuple>

#include <unistd.h>

using namespace vbackup;
using namespace vbackup::restore;

namespace {

json::object obj(std::string_view text) { return json::parse(text, "test").as_object(); }
std::string compact(const json::value& v) { return json::marshal(v); }

using testing::FakeTarget;

// What Velero 1.18 writes for one CSI-snapshotted claim app/data (csi §1.3–§1.6), post-operation.
const char* kPvc = R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data","namespace":"app",
  "uid":"pvc-uid-1","resourceVersion":"812",
  "annotations":{"velero.io/volume-snapshot-name":"velero-data-abcde","pv.kubernetes.io/bind-completed":"yes",
    "pv.kubernetes.io/bound-by-controller":"yes","volume.kubernetes.io/storage-provisioner":"hostpath.csi.k8s.io"},
  "labels":{"app":"web","velero.io/volume-snapshot-name":"velero-data-abcde","velero.io/backup-name":"b1"}},
  "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"storageClassName":"csi",
    "volumeMode":"Filesystem","volumeName":"pvc-1111"},
  "status":{"phase":"Bound","accessModes":["ReadWriteOnce"],"capacity":{"storage":"1Gi"}}})";
const char* kVs = R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","metadata":{"name":"velero-data-abcde",
  "generateName":"velero-data-","namespace":"app","uid":"vs-uid-1",
  "annotations":{"velero.io/csi-driver-name":"hostpath.csi.k8s.io","velero.io/csi-volumesnapshot-handle":"snapshot-1",
    "velero.io/csi-volumesnapshot-restore-size":"1Gi","velero.io/csi-vsc-deletion-policy":"Delete"},
  "labels":{"app":"web","velero.io/backup-name":"b1"},
  "finalizers":["snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection"]},
  "spec":{"source":{"persistentVolumeClaimName":"data"},"volumeSnapshotClassName":"csi-snap"},
  "status":{"boundVolumeSnapshotContentName":"snapcontent-vs-uid-1","creationTime":"2026-12-01T10:00:00Z",
    "readyToUse":true,"restoreSize":"1Gi"}})";
const char* kVsc = R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotContent","metadata":{"name":"snapcontent-vs-uid-1",
  "uid":"vsc-uid-1","labels":{"velero.io/backup-name":"b1"}},
  "spec":{"deletionPolicy":"Delete","driver":"hostpath.csi.k8s.io","source":{"volumeHandle":"vol-data"},
    "volumeSnapshotClassName":"csi-snap","volumeSnapshotRef":{"apiVersion":"snapshot.storage.k8s.io/v1",
    "kind":"VolumeSnapshot","name":"velero-data-abcde","namespace":"app","resourceVersion":"900","uid":"vs-uid-1"}},
  "status":{"creationTime":1764583200000000000,"readyToUse":true,"restoreSize":1073741824,"snapshotHandle":"snapshot-1"}})";
const char* kVsClass = R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotClass","metadata":{"name":"csi-snap",
  "labels":{"velero.io/csi-volumesnapshot-class":"true"}},"driver":"hostpath.csi.k8s.io","deletionPolicy":"Delete"})";

// sha256("uid-1/velero-data-abcde"), computed outside (Python's hashlib).
constexpr const char* kNewName = "c67f1c7b8b8c63622cbbdcf18a505146cf7cd48fd7d1b7fa599f622f8b6de277";

struct Fixture {
  velero::Restore restore;
  velero::Backup backup;
  FakeTarget target;
  std::vector<std::unique_ptr<RestoreItemAction>> actions = builtin_restore_item_actions();

  Fixture() {
    restore.metadata.name = "r1";
    restore.metadata.namespace_ = "velero";
    restore.metadata.uid = "uid-1";
    restore.spec.backup_name = "b1";
    backup.metadata.name = "b1";
  }
  ActionContext context() { return ActionContext{restore, "velero", target, &backup}; }
  const RestoreItemAction& action(std::string_view name) {
    for (const auto& a : actions) {
      if (a->name() == name) return *a;
    }
    FAIL("no action " << name);
    throw 0;
  }
  // One action on the archived item, after the metadata reset (restore §2.3 step 7) as the runner does.
  ActionOutput run(std::string_view name, std::string_view gr, const char* archived, std::string ns = "app",
                   std::string target_ns = {}) {
    json::object from_backup = obj(archived);
    json::object item = from_backup;
    reset_metadata_and_status(item);
    ActionContext ctx = context();
    return action(name).execute(ctx, ActionInput{std::string(gr), ns, target_ns.empty() ? ns : target_ns, std::move(item),
                                                 from_backup});
  }
};

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

const json::object& at(const json::object& o, const char* key) { return o.at(key).as_object(); }

}  // namespace

TEST_CASE("csi §2 names: hex(sha256(restoreUID + \"/\" + name)) (util.GenerateSha256FromRestoreUIDAndVsName)") {
  CHECK(csi_restore_name("uid-1", "velero-data-abcde") == kNewName);
  CHECK(csi_restore_name("11111111-2222-4333-8444-555555555555", "velero-data-abcde") ==
        "ad487b63c08274b329213b1e723f516ba2247546efd5b0dc2923c7901d2f7917");
}

TEST_CASE("csi §2 csi-pvc-restorer: dataSource is the restored VolumeSnapshot, volumeName goes, the VS comes along") {
  Fixture f;
  auto out = f.run("velero.io/csi-pvc-restorer", "persistentvolumeclaims", kPvc);
  CHECK_FALSE(out.skip_restore);
  const json::object& spec = at(out.item, "spec");
  CHECK_FALSE(spec.contains("volumeName"));
  CHECK_FALSE(spec.contains("dataSourceRef"));
  CHECK(compact(spec.at("dataSource")) ==
        std::string(R"({"apiGroup":"snapshot.storage.k8s.io","kind":"VolumeSnapshot","name":")") + kNewName + R"("})");
  REQUIRE(out.additional_items.size() == 1);
  CHECK(out.additional_items[0] == ItemRef{"volumesnapshots.snapshot.storage.k8s.io", "app", "velero-data-abcde"});
  CHECK(out.must_include_additional_items);  // HEAD: restore.velero.io/must-include-additional-items
  CHECK(out.errors.empty());
}

TEST_CASE("csi §2 csi-pvc-restorer: a claim without velero.io/volume-snapshot-name is left as it is") {
  Fixture f;
  json::object pvc = obj(kPvc);
  pvc["metadata"].get_object()["annotations"].get_object().erase("velero.io/volume-snapshot-name");
  const std::string text = json::marshal(pvc);
  auto out = f.run("velero.io/csi-pvc-restorer", "persistentvolumeclaims", text.c_str());
  CHECK(json::get_string(at(out.item, "spec"), "volumeName") == "pvc-1111");
  CHECK_FALSE(at(out.item, "spec").contains("dataSource"));
  CHECK(out.additional_items.empty());
}

TEST_CASE("csi §2 csi-pvc-restorer: a claim that exists in the (mapped) target namespace is left to the existing-object rules") {
  Fixture f;
  f.restore.spec.namespace_mapping = {{"app", "app-copy"}};
  f.target.add("persistentvolumeclaims", "app-copy", obj(R"({"metadata":{"name":"data","namespace":"app-copy"}})"));
  auto out = f.run("velero.io/csi-pvc-restorer", "persistentvolumeclaims", kPvc, "app", "app-copy");
  CHECK(json::get_string(at(out.item, "spec"), "volumeName") == "pvc-1111");
  CHECK(out.additional_items.empty());
  // The same claim in the source namespace does not count: the mapped one is looked up.
  Fixture g;
  g.restore.spec.namespace_mapping = {{"app", "app-copy"}};
  g.target.add("persistentvolumeclaims", "app", obj(R"({"metadata":{"name":"data","namespace":"app"}})"));
  CHECK(g.run("velero.io/csi-pvc-restorer", "persistentvolumeclaims", kPvc, "app", "app-copy").additional_items.size() == 1);
}

TEST_CASE("csi §2 restorePVs=false: an empty claim (no dataSource, no volumeName); VS, VSC and VSClass skipped") {
  Fixture f;
  f.restore.spec.restore_pvs = false;
  auto pvc = f.run("velero.io/csi-pvc-restorer", "persistentvolumeclaims", kPvc);
  CHECK_FALSE(pvc.skip_restore);
  CHECK_FALSE(at(pvc.item, "spec").contains("volumeName"));
  CHECK_FALSE(at(pvc.item, "spec").contains("dataSource"));
  CHECK(pvc.additional_items.empty());
  CHECK(f.run("velero.io/csi-volumesnapshot-restorer", "volumesnapshots.snapshot.storage.k8s.io", kVs).skip_restore);
  CHECK(f.run("velero.io/csi-volumesnapshotcontent-restorer", "volumesnapshotcontents.snapshot.storage.k8s.io", kVsc, "")
            .skip_restore);
  CHECK(f.run("velero.io/csi-volumesnapshotclass-restorer", "volumesnapshotclasses.snapshot.storage.k8s.io", kVsClass, "")
            .skip_restore);
}

TEST_CASE("csi §6 snapshotMoveData: an error naming the missing node agent, the claim restored empty, no DataDownload") {
  Fixture f;
  f.backup.spec.snapshot_move_data = true;
  json::object pvc = obj(kPvc);
  pvc["metadata"].get_object()["annotations"].get_object()["velero.io/data-upload-name"] = "velero/b1-x7k2p";
  const std::string moved = json::marshal(pvc);
  auto out = f.run("velero.io/csi-pvc-restorer", "persistentvolumeclaims", moved.c_str());
  CHECK_FALSE(out.skip_restore);
  CHECK_FALSE(at(out.item, "spec").contains("volumeName"));
  CHECK_FALSE(at(out.item, "spec").contains("dataSource"));
  CHECK(out.additional_items.empty());
  REQUIRE(out.errors.size() == 1);
  CHECK(out.errors[0].find("persistentvolumeclaims/app/data: backup b1 moved this volume's snapshot data") == 0);
  CHECK(out.errors[0].find("node agent") != std::string::npos);
  // A claim the data mover did not take (no velero.io/data-upload-name) is left as it is, as Velero does.
  auto untouched = f.run("velero.io/csi-pvc-restorer", "persistentvolumeclaims", kPvc);
  CHECK(json::get_string(at(untouched.item, "spec"), "volumeName") == "pvc-1111");
  CHECK(untouched.errors.empty());
}

TEST_CASE("csi §2 csi-volumesnapshot-restorer: renamed, sourced from the static content, Retain, no class, the VSC comes along") {
  Fixture f;
  auto out = f.run("velero.io/csi-volumesnapshot-restorer", "volumesnapshots.snapshot.storage.k8s.io", kVs);
  CHECK(json::metadata_string(out.item, "name") == kNewName);
  CHECK(json::metadata_string(out.item, "namespace") == "app");  // the core maps it later
  const json::object& spec = at(out.item, "spec");
  CHECK(compact(spec.at("source")) == std::string(R"({"volumeSnapshotContentName":")") + kNewName + R"("})");
  CHECK_FALSE(spec.contains("volumeSnapshotClassName"));
  const json::object* annotations = json::metadata_map(out.item, "annotations");
  REQUIRE(annotations);
  CHECK(json::get_string(*annotations, "velero.io/csi-vsc-deletion-policy") == "Retain");
  CHECK(json::get_string(*annotations, "velero.io/csi-volumesnapshot-handle") == "snapshot-1");
  REQUIRE(out.additional_items.size() == 1);
  CHECK(out.additional_items[0] == ItemRef{"volumesnapshotcontents.snapshot.storage.k8s.io", "", "snapcontent-vs-uid-1"});
  CHECK(out.must_include_additional_items);
  CHECK_FALSE(out.item.contains("status"));
}

TEST_CASE("csi §2 csi-volumesnapshot-restorer: a snapshot without status.boundVolumeSnapshotContentName fails the item") {
  Fixture f;
  json::object vs = obj(kVs);
  vs["status"].get_object().erase("boundVolumeSnapshotContentName");
  const std::string text = json::marshal(vs);
  CHECK(error_of([&] { f.run("velero.io/csi-volumesnapshot-restorer", "volumesnapshots.snapshot.storage.k8s.io", text.c_str()); }) ==
        "VS velero-data-abcde doesn't have bound VSC");
}

TEST_CASE("csi §2 csi-volumesnapshotcontent-restorer: static, Retain, the snapshot handle, ref renamed and mapped, the driver's class") {
  Fixture f;
  f.restore.spec.namespace_mapping = {{"app", "app-copy"}};
  f.target.add("volumesnapshotclasses.snapshot.storage.k8s.io", "",
               obj(R"({"metadata":{"name":"a-other"},"driver":"ebs.csi.aws.com","deletionPolicy":"Delete"})"));
  f.target.add("volumesnapshotclasses.snapshot.storage.k8s.io", "",
               obj(R"({"metadata":{"name":"b-hostpath"},"driver":"hostpath.csi.k8s.io","deletionPolicy":"Delete"})"));
  f.target.add("volumesnapshotclasses.snapshot.storage.k8s.io", "",
               obj(R"({"metadata":{"name":"c-hostpath"},"driver":"hostpath.csi.k8s.io","deletionPolicy":"Delete"})"));
  auto out = f.run("velero.io/csi-volumesnapshotcontent-restorer", "volumesnapshotcontents.snapshot.storage.k8s.io", kVsc, "");
  CHECK(json::metadata_string(out.item, "name") == kNewName);
  const json::object& spec = at(out.item, "spec");
  CHECK(json::get_string(spec, "deletionPolicy") == "Retain");
  CHECK(compact(spec.at("source")) == R"({"snapshotHandle":"snapshot-1"})");
  CHECK(compact(spec.at("volumeSnapshotRef")) ==
        std::string(R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","name":")") + kNewName +
            R"(","namespace":"app-copy"})");
  CHECK(json::get_string(spec, "volumeSnapshotClassName") == "b-hostpath");  // the first of the driver
  CHECK(json::get_string(spec, "driver") == "hostpath.csi.k8s.io");
  CHECK(out.additional_items.empty());
  // No class of that driver in the target: none (the archived csi-snap may not exist there).
  Fixture g;
  auto bare = g.run("velero.io/csi-volumesnapshotcontent-restorer", "volumesnapshotcontents.snapshot.storage.k8s.io", kVsc, "");
  CHECK_FALSE(at(bare.item, "spec").contains("volumeSnapshotClassName"));
  CHECK(json::get_string(at(at(bare.item, "spec"), "volumeSnapshotRef"), "namespace") == "app");  // not mapped
}

TEST_CASE("csi §2 csi-volumesnapshotcontent-restorer: no status.snapshotHandle fails the item; the snapshotter secret comes along") {
  Fixture f;
  json::object vsc = obj(kVsc);
  vsc["status"].get_object().erase("snapshotHandle");
  const std::string text = json::marshal(vsc);
  CHECK(error_of([&] {
          f.run("velero.io/csi-volumesnapshotcontent-restorer", "volumesnapshotcontents.snapshot.storage.k8s.io", text.c_str(), "");
        }) == std::string("fail to get snapshot handle from VSC ") + kNewName + " status");
  json::object with_secret = obj(kVsc);
  with_secret["metadata"].get_object()["annotations"] =
      json::object{{"csi.storage.k8s.io/snapshotter-secret-name", "snap-creds"},
                   {"csi.storage.k8s.io/snapshotter-secret-namespace", "storage"}};
  const std::string text2 = json::marshal(with_secret);
  auto out = f.run("velero.io/csi-volumesnapshotcontent-restorer", "volumesnapshotcontents.snapshot.storage.k8s.io", text2.c_str(), "");
  REQUIRE(out.additional_items.size() == 1);
  CHECK(out.additional_items[0] == ItemRef{"secrets", "storage", "snap-creds"});
}

TEST_CASE("csi §2 csi-volumesnapshotclass-restorer: restored as is, with its list secret as an additional item") {
  Fixture f;
  auto plain = f.run("velero.io/csi-volumesnapshotclass-restorer", "volumesnapshotclasses.snapshot.storage.k8s.io", kVsClass, "");
  CHECK_FALSE(plain.skip_restore);
  CHECK(json::get_string(plain.item, "driver") == "hostpath.csi.k8s.io");
  CHECK(plain.additional_items.empty());
  json::object cls = obj(kVsClass);
  cls["metadata"].get_object()["annotations"] =
      json::object{{"csi.storage.k8s.io/snapshotter-list-secret-name", "list-creds"},
                   {"csi.storage.k8s.io/snapshotter-list-secret-namespace", "storage"}};
  const std::string text = json::marshal(cls);
  auto out = f.run("velero.io/csi-volumesnapshotclass-restorer", "volumesnapshotclasses.snapshot.storage.k8s.io", text.c_str(), "");
  REQUIRE(out.additional_items.size() == 1);
  CHECK(out.additional_items[0] == ItemRef{"secrets", "storage", "list-creds"});
}

TEST_CASE("csi §2 with velero.io/pvc after it (name order): binding annotations and the snapshot annotation go, PV and VS come along") {
  Fixture f;
  json::object from_backup = obj(kPvc);
  json::object item = from_backup;
  reset_metadata_and_status(item);
  ActionContext ctx = f.context();
  ActionRun run = run_restore_item_actions(f.actions, ctx, {"persistentvolumeclaims", "app", "app", std::move(item), from_backup});
  CHECK_FALSE(run.skip_restore);
  const json::object* annotations = json::metadata_map(run.item, "annotations");
  CHECK((!annotations || (!annotations->contains("velero.io/volume-snapshot-name") &&
                          !annotations->contains("pv.kubernetes.io/bind-completed") &&
                          !annotations->contains("restore.velero.io/must-include-additional-items"))));
  CHECK(json::get_string(at(at(run.item, "spec"), "dataSource"), "name") == kNewName);
  REQUIRE(run.additional.size() == 2);
  CHECK(run.additional[0].action == "velero.io/csi-pvc-restorer");
  CHECK(run.additional[0].must_include);
  CHECK(run.additional[1].action == "velero.io/pvc");
  CHECK(run.additional[1].items[0] == ItemRef{"persistentvolumes", "", "pvc-1111"});
}

TEST_CASE("csi §2 / restore §2.8: the PV of a CSISnapshot volume (volume info, or the legacy side file) is provisioned again") {
  Fixture f;
  ActionContext ctx = f.context();
  const json::object pv = obj(R"({"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pvc-1111"},
    "spec":{"capacity":{"storage":"1Gi"},"persistentVolumeReclaimPolicy":"Retain","storageClassName":"csi",
    "claimRef":{"namespace":"app","name":"data","uid":"pvc-uid-1"},"csi":{"driver":"hostpath.csi.k8s.io","volumeHandle":"vol-data"}}})");
  json::array infos{obj(R"({"pvcName":"data","pvcNamespace":"app","pvName":"pvc-1111","backupMethod":"CSISnapshot"})")};
  BackupVolumeRecords with_info;
  with_info.volume_infos = &infos;
  CHECK(decide_persistent_volume(ctx, pv, with_info).action == PvAction::provision_dynamically);
  json::array legacy{obj(kVs)};
  BackupVolumeRecords old;
  old.csi_volume_snapshots = &legacy;
  CHECK(decide_persistent_volume(ctx, pv, old).action == PvAction::provision_dynamically);
  json::array other_ns{obj(R"({"metadata":{"name":"s","namespace":"elsewhere"},"spec":{"source":{"persistentVolumeClaimName":"data"}}})")};
  BackupVolumeRecords miss;
  miss.csi_volume_snapshots = &other_ns;
  CHECK(decide_persistent_volume(ctx, pv, miss).action == PvAction::create);  // Retain, no snapshot of its claim
}

TEST_CASE("csi §1.7 volume info as the restore reads it (format room): the CSI entry and pvInfo; a wrong type names the entry") {
  json::array infos{obj(R"({"pvcName":"data","pvcNamespace":"app","pvName":"pvc-1111","backupMethod":"CSISnapshot",
    "snapshotDataMoved":false,"preserveLocalSnapshot":true,"skipped":false,"startTimestamp":"2026-12-01T10:00:00Z",
    "result":"succeeded","csiSnapshotInfo":{"snapshotHandle":"snapshot-1","size":1073741824,"driver":"hostpath.csi.k8s.io",
    "vscName":"snapcontent-vs-uid-1","operationID":"app/velero-data-abcde/2026-12-01T10:00:00Z","ReadyToUse":true},
    "pvInfo":{"reclaimPolicy":"Retain","labels":{"tier":"gold"}}})"),
                    obj(R"({"pvcName":"cache","pvcNamespace":"app","pvName":"pvc-2222","snapshotDataMoved":false,
    "skipped":true,"skippedReason":"skipped due to resource policy"})")};
  auto parsed = velero::volume_infos_from_json(infos, "b1-volumeinfo.json.gz");
  REQUIRE(parsed.size() == 2);
  CHECK(parsed[0].backup_method == "CSISnapshot");
  REQUIRE(parsed[0].csi_snapshot_info);
  CHECK(parsed[0].csi_snapshot_info->snapshot_handle == "snapshot-1");
  CHECK(parsed[0].csi_snapshot_info->size == 1073741824);
  REQUIRE(parsed[0].pv_info);
  CHECK(parsed[0].pv_info->reclaim_policy == "Retain");
  CHECK(parsed[0].pv_info->labels->at("tier") == "gold");
  CHECK(parsed[1].skipped);
  CHECK(parsed[1].backup_method.empty());
  CHECK_FALSE(parsed[1].pv_info);
  json::array bad{obj(R"({"pvcName":7})")};
  CHECK(error_of([&] { velero::volume_infos_from_json(bad, "b1-volumeinfo.json.gz"); }) ==
        "b1-volumeinfo.json.gz[0]: pvcName: expected string");
}

TEST_CASE("csi §2 restore priorities: VolumeSnapshotClasses, contents, snapshots, then PVs and PVCs") {
  namespace fs = std::filesystem;
  fs::path spool = fs::temp_directory_path() / ("vbk-restore-csi-test-" + std::to_string(::getpid()));
  fs::create_directories(spool);
  StringOutputStream out;
  archive::ArchiveWriter w(out, archive::Compression::gzip);
  for (const char* gr : {"persistentvolumeclaims", "volumesnapshots.snapshot.storage.k8s.io", "configmaps"}) {
    w.add_item(gr, "app", "x", "", "{}");
  }
  for (const char* gr : {"persistentvolumes", "volumesnapshotcontents.snapshot.storage.k8s.io",
                         "volumesnapshotclasses.snapshot.storage.k8s.io", "storageclasses.storage.k8s.io"}) {
    w.add_item(gr, "", "x", "", "{}");
  }
  // The snapshot CRDs as the target serves them (the singular priority entry resolves through them).
  for (const auto& [plural, singular, kind, scope] :
       std::initializer_list<std::tuple<const char*, const char*, const char*, const char*>>{
           {"volumesnapshotclasses", "volumesnapshotclass", "VolumeSnapshotClass", "Cluster"},
           {"volumesnapshotcontents", "volumesnapshotcontent", "VolumeSnapshotContent", "Cluster"},
           {"volumesnapshots", "volumesnapshot", "VolumeSnapshot", "Namespaced"}}) {
    w.add_item("customresourcedefinitions.apiextensions.k8s.io", "", std::string(plural) + ".snapshot.storage.k8s.io", "",
               std::string(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":")") +
                   plural + R"(.snapshot.storage.k8s.io"},"spec":{"group":"snapshot.storage.k8s.io","scope":")" + scope +
                   R"(","names":{"plural":")" + plural + R"(","singular":")" + singular + R"(","kind":")" + kind +
                   R"("},"versions":[{"name":"v1","served":true,"storage":true}]}})");
  }
  w.finish();
  StringInputStream in(out.take());
  BackupContents contents(in, "t.tar.gz", spool);
  auto order = restore_order(contents, builtin_kubernetes_discovery(), Priorities::defaults());
  CHECK(order == std::vector<std::string>{"customresourcedefinitions.apiextensions.k8s.io", "storageclasses.storage.k8s.io",
                                          "volumesnapshotclasses.snapshot.storage.k8s.io",
                                          "volumesnapshotcontents.snapshot.storage.k8s.io",
                                          "volumesnapshots.snapshot.storage.k8s.io", "persistentvolumes",
                                          "persistentvolumeclaims", "configmaps"});
  fs::remove_all(spool);
}

TEST_CASE("csi §6 velero.io/dataupload: a backed-up DataUpload is never restored (no node agent would serve it)") {
  Fixture f;
  auto out = f.run("velero.io/dataupload", "datauploads.velero.io",
                   R"({"apiVersion":"velero.io/v2alpha1","kind":"DataUpload","metadata":{"name":"b1-x7k2p","namespace":"velero"},
                      "spec":{"snapshotType":"CSI","sourcePVC":"data","sourceNamespace":"app"},"status":{"phase":"Completed"}})",
                   "velero");
  CHECK(out.skip_restore);
  CHECK(out.additional_items.empty());
}
