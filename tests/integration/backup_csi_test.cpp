// CSI snapshots in the backup (brief "i14-backup", issue 14 "Tests"; csi §N = velero-csi.md): backups of
// a live test API server with its fake CSI world (tests/support/kube_server/csi*.cpp), run in-process
// through create_backup, checked against the bucket (velero-backup.json, the tarball read back with
// the archive reader, <b>-itemoperations.json.gz, <b>-volumeinfo.json.gz, the results) and against
// the cluster (no VolumeSnapshot or content left; the storage's snapshot handles).
#include "kube_server/kube_server.hpp"
#include "kube_server/kubectl_runner.hpp"
#include "test_helpers.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/server.hpp"
#include "vbackup/stream.hpp"
#include "vbackup/velero.hpp"
#include "vbackup/velero_volumes.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace vbackup;
namespace kt = vbackup::kubetest;

namespace {

constexpr const char* kDriver = "hostpath.csi.k8s.io";

json::object parse(const std::string& text) { return json::parse(text, "test object").as_object(); }

std::string str_at(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::object* cur = &o;
  const json::value* v = nullptr;
  for (auto k : path) {
    if (!cur || !(v = cur->if_contains(k))) return {};
    cur = v->if_object();
  }
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

struct CsiCluster {
  kt::KubeServer server{options()};
  testing::TempDir dir{"backup-csi"};
  std::unique_ptr<Cluster> cluster;
  OpenedLocation location = open_location("file://" + (dir.path / "bucket").string());

  static kt::KubeServerOptions options() {
    kt::KubeServerOptions o = kt::testing::quick();
    o.seed = {testing::source_root() / "tests" / "data" / "velero"};  // Velero's CRDs: the Backup CR is recorded
    return o;
  }
  CsiCluster() {
    server.write_kubeconfig(dir.path / "kubeconfig");
    ClusterOptions c;
    c.connect.kubeconfig = (dir.path / "kubeconfig").string();
    c.qps = 100000;
    c.burst = 100000;
    cluster = Cluster::open(c);
    // Velero's CRDs established, so that the Backup CR is recorded.
    kt::testing::eventually([&] { return cluster->client()->refresh_discovery().find("velero.io", "backups") != nullptr; });
    put(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"velero"}})");
    put(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"app"}})");
    put(R"({"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"csi"},"provisioner":"hostpath.csi.k8s.io","reclaimPolicy":"Delete"})");
  }
  void put(const std::string& text) { server.api().put_object(parse(text)); }
  void control(const std::string& csi) { server.api().csi_control(parse(csi)); }
  std::vector<std::string> handles() {
    std::vector<std::string> out;
    const json::object state = server.api().csi_snapshots();
    for (const auto& s : state.at("snapshots").as_array()) out.push_back(str_at(s.as_object(), {"snapshotHandle"}));
    return out;
  }
  void snapshot_class(const std::string& name = "csi-snap", const std::string& driver = kDriver, bool is_default = true) {
    put(R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotClass","metadata":{"name":")" + name + R"(")" +
        (is_default ? R"(,"annotations":{"snapshot.storage.kubernetes.io/is-default-class":"true"})" : "") + R"(},"driver":")" +
        driver + R"(","deletionPolicy":"Delete"})");
  }
  // A bound PVC `name` in namespace app, 1Gi requested, on PV pv-<name> of `capacity` (CSI unless nfs).
  void volume(const std::string& name, const std::string& labels = "{}", bool csi = true, const std::string& capacity = "1Gi",
              const std::string& storage_class = "csi") {
    std::string source = csi ? R"("csi":{"driver":"hostpath.csi.k8s.io","volumeHandle":"vol-)" + name + R"(","fsType":"ext4"})"
                             : R"("nfs":{"server":"nfs.example.com","path":"/exports/)" + name + R"("})";
    put(R"({"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv-)" + name + R"(","labels":{"disk":")" + name +
        R"("}},"spec":{"capacity":{"storage":")" + capacity + R"("},"accessModes":["ReadWriteOnce"],"storageClassName":")" +
        storage_class + R"(","persistentVolumeReclaimPolicy":"Delete","claimRef":{"namespace":"app","name":")" + name + R"("},)" +
        source + R"(},"status":{"phase":"Bound"}})");
    put(R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":")" + name + R"(","namespace":"app","labels":)" +
        labels + R"(},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"storageClassName":")" +
        storage_class + R"(","volumeName":"pv-)" + name + R"("},"status":{"phase":"Bound","capacity":{"storage":"1Gi"}}})");
  }
  void policy(const std::string& yaml) {
    json::object cm{{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                    {"metadata", json::object{{"name", "volume-policy"}, {"namespace", "velero"}}},
                    {"data", json::object{{"policy.yaml", yaml}}}};
    server.api().put_object(cm);
  }

  BackupRun backup(const std::string& name, velero::BackupSpec spec = {}, BackupOptions o = {},
                   velero::StringMap annotations = {}) {
    velero::Backup b;
    b.metadata.name = name;
    b.metadata.annotations = std::move(annotations);
    if (spec.included_namespaces.empty()) spec.included_namespaces = {"app"};
    b.spec = std::move(spec);
    return create_backup(*cluster, location, b, std::move(o));
  }
  const ApiResource& resource(const std::string& group, const std::string& name) {
    const ApiResource* r = cluster->client()->discovery().find(group, name);
    if (!r) r = cluster->client()->refresh_discovery().find(group, name);
    REQUIRE(r);
    return *r;
  }
  std::vector<json::object> list(const std::string& group, const std::string& name) {
    std::vector<json::object> out;
    cluster->client()->list(resource(group, name), {}, [&](json::object&& o) { out.push_back(std::move(o)); });
    return out;
  }
  std::size_t snapshot_objects() { return list("snapshot.storage.k8s.io", "volumesnapshots").size() + list("snapshot.storage.k8s.io", "volumesnapshotcontents").size(); }
  // The tarball's items: path → object.
  std::map<std::string, json::object> tarball(const std::string& name) {
    StringInputStream in(location.objects->get_all(location.backups->backup_contents_key(name), 1 << 28));
    archive::ArchiveReader reader(in, name);
    archive::Entry e;
    std::map<std::string, json::object> out;
    while (reader.next(e)) {
      std::string body = reader.read_body(1 << 24);
      if (e.item) out[e.path] = json::parse(body, e.path).as_object();
    }
    return out;
  }
  std::vector<velero::BackupOperation> operations(const std::string& name) {
    return velero::decode_item_operations(location.objects->get_all(location.backups->backup_item_operations_key(name), 1 << 24), "ops");
  }
  std::vector<velero::BackupVolumeInfo> volume_infos(const std::string& name) {
    return velero::decode_volume_infos(location.objects->get_all(location.backups->backup_volume_info_key(name), 1 << 24), "infos");
  }
  velero::Results results(const std::string& name) {
    return velero::decode_results(location.objects->get_all(location.backups->backup_results_key(name), 1 << 24), "results");
  }
  std::vector<std::string> errors(const std::string& name) {
    auto r = results(name).errors;
    std::vector<std::string> out = r.velero;
    for (const auto& [ns, list] : r.namespaces) out.insert(out.end(), list.begin(), list.end());
    out.insert(out.end(), r.cluster.begin(), r.cluster.end());
    return out;
  }
};

std::string lower_name(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += e + "\n";
  return s;
}

const velero::BackupVolumeInfo* info_of(const std::vector<velero::BackupVolumeInfo>& infos, const std::string& pvc) {
  for (const auto& i : infos)
    if (i.pvc_name == pvc) return &i;
  return nullptr;
}

}  // namespace

TEST_CASE("csi §1.1 §1.3 §1.5 §1.7 three PVCs: one snapshotted, one skipped by a volume policy, one whose snapshot fails") {
  CsiCluster w;
  w.snapshot_class();
  w.volume("a-data", R"({"app":"web"})", true, "2Gi");  // restoreSize 2Gi > the 1Gi request (§1.4 bump)
  w.volume("b-skip", R"({"skip":"yes"})");
  w.volume("c-broken");
  w.policy("version: v1\nvolumePolicies:\n- conditions:\n    pvcLabels:\n      skip: \"yes\"\n  action:\n    type: skip\n");
  velero::BackupSpec spec;
  spec.resource_policy = velero::TypedLocalObjectReference{{}, "configmap", "volume-policy", {}};
  spec.csi_snapshot_timeout = std::chrono::seconds(3);
  BackupOptions o;
  // The snapshot of c-broken fails: its content gets status.error (csi §4 b) and never a handle.
  o.on_item = [&](BackupItem& item) {
    if (item.resource.name == "persistentvolumeclaims" && json::metadata_string(item.object, "name") == "b-skip") {
      w.control(R"({"contentError":"driver failed"})");
    }
  };
  std::vector<std::string> phases;
  o.on_record = [&](const velero::Backup& b) {
    if (phases.empty() || phases.back() != b.status.phase) phases.push_back(b.status.phase);
  };
  auto run = w.backup("three", spec, o);
  // csi §1.5: the operation is done at the first check, so the main pass goes straight to Finalizing.
  CHECK(phases == std::vector<std::string>{"InProgress", "FinalizingPartiallyFailed", "PartiallyFailed"});
  const auto& b = run.result.backup;
  INFO(joined(w.errors("three")));
  CHECK(b.status.phase == "PartiallyFailed");
  CHECK(b.status.csi_volume_snapshots_attempted == 1);
  CHECK(b.status.csi_volume_snapshots_completed == 1);
  CHECK(b.status.backup_item_operations_attempted == 1);
  CHECK(b.status.backup_item_operations_completed == 1);
  CHECK(b.status.backup_item_operations_failed == 0);
  // csi §1.4 failure path: the item's error, the content error quoted after the timeout.
  auto errs = w.errors("three");
  REQUIRE(errs.size() == 1);
  CHECK(errs[0] == "error executing custom action (groupResource=persistentvolumeclaims, namespace=app, name=c-broken): "
                   "CSI got timed out with error: driver failed");

  // csi §1.4: the operation, with Velero's keys.
  auto ops = w.operations("three");
  REQUIRE(ops.size() == 1);
  const auto& op = ops[0];
  const std::string vs_name = op.resource_identifier.name;
  CHECK(vs_name.rfind("velero-a-data-", 0) == 0);
  CHECK(vs_name.size() == std::string("velero-a-data-").size() + 5);  // generateName
  CHECK(op.backup_item_action == "velero.io/csi-volumesnapshot-backupper");
  CHECK(op.backup_name == "three");
  CHECK(op.backup_uid == b.metadata.uid);
  CHECK(op.operation_id.rfind("app/" + vs_name + "/", 0) == 0);
  CHECK(op.status.phase == "Completed");
  REQUIRE(op.post_operation_items.size() == 2);
  CHECK(op.post_operation_items[1].resource == "volumesnapshotcontents");
  const std::string vsc_name = op.post_operation_items[1].name;
  CHECK(vsc_name.rfind("snapcontent-", 0) == 0);
  const std::string raw_ops = json::marshal(velero::decode_json_gz(
      w.location.objects->get_all(w.location.backups->backup_item_operations_key("three"), 1 << 20), "ops"), {.sort_keys = false});
  CHECK(raw_ops.find(R"("resourceIdentifier":{"Group":"snapshot.storage.k8s.io","Resource":"volumesnapshots","Namespace":"app","Name":")") !=
        std::string::npos);

  // csi §1.7: the volume info, exactly.
  auto infos = w.volume_infos("three");
  REQUIRE(infos.size() == 2);  // c-broken: neither skipped nor snapshotted (Velero records no entry)
  CHECK(infos[0].pvc_name == "b-skip");
  CHECK(infos[0].skipped);
  // The PV's own decision (takePVSnapshot) matches the policy with an empty PVC, so its pvcLabels
  // condition does not match there: only the PVC's skip is recorded, as in Velero.
  CHECK(infos[0].skipped_reason == "any: skipped due to resource policy ;");
  CHECK(infos[0].backup_method.empty());
  REQUIRE(infos[0].pv_info);
  CHECK(infos[0].pv_info->reclaim_policy == "Delete");
  const auto& snap = infos[1];
  CHECK(snap.pvc_name == "a-data");
  CHECK(snap.pvc_namespace == "app");
  CHECK(snap.pv_name == "pv-a-data");
  CHECK(snap.backup_method == "CSISnapshot");
  CHECK(snap.preserve_local_snapshot);
  CHECK_FALSE(snap.skipped);
  CHECK(snap.result == "succeeded");
  CHECK(snap.start_timestamp);
  CHECK(snap.completion_timestamp);
  REQUIRE(snap.csi_snapshot_info);
  CHECK(snap.csi_snapshot_info->driver == kDriver);
  CHECK(snap.csi_snapshot_info->vsc_name == vsc_name);
  CHECK(snap.csi_snapshot_info->size == 2147483648);
  CHECK(snap.csi_snapshot_info->operation_id == op.operation_id);
  CHECK(snap.csi_snapshot_info->ready_to_use == true);
  const std::string handle = snap.csi_snapshot_info->snapshot_handle;
  CHECK(!handle.empty());

  // csi §1.6: the tarball.
  auto items = w.tarball("three");
  const auto& pvc = items.at("resources/persistentvolumeclaims/namespaces/app/a-data.json");
  CHECK(str_at(pvc, {"metadata", "labels", "velero.io/volume-snapshot-name"}) == vs_name);
  CHECK(str_at(pvc, {"metadata", "labels", "velero.io/backup-name"}) == "three");
  CHECK(str_at(pvc, {"metadata", "annotations", "velero.io/volume-snapshot-name"}) == vs_name);
  CHECK(str_at(pvc, {"metadata", "annotations", "backup.velero.io/must-include-additional-items"}).empty());
  CHECK(str_at(pvc, {"spec", "resources", "requests", "storage"}) == "2Gi");
  CHECK(items.count("resources/persistentvolumeclaims/namespaces/app/b-skip.json"));
  CHECK_FALSE(items.count("resources/persistentvolumeclaims/namespaces/app/c-broken.json"));
  const auto& vs = items.at("resources/volumesnapshots.snapshot.storage.k8s.io/namespaces/app/" + vs_name + ".json");
  CHECK(str_at(vs, {"metadata", "labels", "velero.io/backup-name"}) == "three");
  CHECK(str_at(vs, {"metadata", "labels", "app"}) == "web");
  CHECK(str_at(vs, {"metadata", "annotations", "velero.io/csi-volumesnapshot-handle"}) == handle);
  CHECK(str_at(vs, {"metadata", "annotations", "velero.io/csi-driver-name"}) == kDriver);
  CHECK(str_at(vs, {"metadata", "annotations", "velero.io/csi-vsc-deletion-policy"}) == "Delete");
  CHECK(str_at(vs, {"metadata", "annotations", "velero.io/csi-volumesnapshot-restore-size"}) == "2Gi");
  CHECK(str_at(vs, {"spec", "source", "persistentVolumeClaimName"}) == "a-data");
  CHECK(str_at(vs, {"spec", "volumeSnapshotClassName"}) == "csi-snap");
  CHECK(str_at(vs, {"status", "boundVolumeSnapshotContentName"}) == vsc_name);
  CHECK(vs.at("status").as_object().at("readyToUse").as_bool());
  const auto& vsc = items.at("resources/volumesnapshotcontents.snapshot.storage.k8s.io/cluster/" + vsc_name + ".json");
  CHECK(str_at(vsc, {"status", "snapshotHandle"}) == handle);
  CHECK(str_at(vsc, {"metadata", "labels", "velero.io/backup-name"}) == "three");
  CHECK(items.count("resources/volumesnapshotclasses.snapshot.storage.k8s.io/cluster/csi-snap.json"));
  CHECK(items.count("resources/persistentvolumes/cluster/pv-a-data.json"));

  // csi §1.5: no snapshot object left; the storage keeps the handle (and only that one: c-broken's
  // content never got one).
  w.control(R"({"reset":true})");
  kt::testing::eventually([&] { return w.snapshot_objects() == 0; });
  CHECK(w.handles() == std::vector<std::string>{handle});
}

TEST_CASE("csi §1.4 §1.5 slow readiness: WaitingForPluginOperations → Finalizing → Completed, seen on the Backup CR") {
  CsiCluster w;
  w.snapshot_class();
  w.volume("data");
  w.control(R"({"readyAfterMilliseconds":2500})");
  std::vector<std::string> phases, cr_phases;
  BackupOptions o;
  const ApiResource& backups = w.resource("velero.io", "backups");
  o.on_record = [&](const velero::Backup& b) {
    if (phases.empty() || phases.back() != b.status.phase) {
      phases.push_back(b.status.phase);
      if (auto cr = w.cluster->client()->try_get(backups, "velero", "slow")) cr_phases.push_back(str_at(*cr, {"status", "phase"}));
    }
  };
  auto run = w.backup("slow", {}, o);
  const auto& b = run.result.backup;
  CHECK(b.status.phase == "Completed");
  CHECK(phases == std::vector<std::string>{"InProgress", "WaitingForPluginOperations", "Finalizing", "Completed"});
  CHECK(cr_phases == std::vector<std::string>{"InProgress", "WaitingForPluginOperations", "Finalizing", "Completed"});
  CHECK(b.status.csi_volume_snapshots_completed == 1);
  CHECK(b.status.backup_item_operations_completed == 1);
  auto infos = w.volume_infos("slow");
  REQUIRE(infos.size() == 1);
  REQUIRE(infos[0].csi_snapshot_info);
  CHECK(infos[0].csi_snapshot_info->ready_to_use == false);  // as at the end of the main pass
  CHECK(infos[0].result == "succeeded");
  auto items = w.tarball("slow");
  const std::string vs_path = "resources/volumesnapshots.snapshot.storage.k8s.io/namespaces/app/" + w.operations("slow")[0].resource_identifier.name + ".json";
  REQUIRE(items.count(vs_path));
  CHECK(items.at(vs_path).at("status").as_object().at("readyToUse").as_bool());  // the post-operation state
  kt::testing::eventually([&] { return w.snapshot_objects() == 0; });
  CHECK(w.handles().size() == 1);
}

TEST_CASE("csi §1.4 itemOperationTimeout: a snapshot never ready fails its operation with \"Asynchronous action timed out\"") {
  CsiCluster w;
  w.snapshot_class();
  w.volume("data");
  w.control(R"({"readyAfterMilliseconds":-1})");
  velero::BackupSpec spec;
  spec.item_operation_timeout = std::chrono::seconds(2);
  auto run = w.backup("optimeout", spec);
  const auto& b = run.result.backup;
  CHECK(b.status.phase == "PartiallyFailed");
  CHECK(b.status.backup_item_operations_failed == 1);
  CHECK(b.status.csi_volume_snapshots_completed == 0);
  auto ops = w.operations("optimeout");
  REQUIRE(ops.size() == 1);
  CHECK(ops[0].status.phase == "Failed");
  CHECK(ops[0].status.error == "Asynchronous action timed out");
  CHECK(w.errors("optimeout") == std::vector<std::string>{"Asynchronous action timed out, plugin: velero.io/csi-volumesnapshot-backupper"});
  auto infos = w.volume_infos("optimeout");
  REQUIRE(infos.size() == 1);
  CHECK(infos[0].result == "failed");
  kt::testing::eventually([&] { return w.snapshot_objects() == 0; });  // finalize still removes both
}

TEST_CASE("csi §1.4 csiSnapshotTimeout: no handle in time → the PVC fails, CleanupVolumeSnapshot leaves nothing") {
  CsiCluster w;
  w.snapshot_class();
  w.volume("data");
  w.control(R"({"cutSnapshots":false})");
  velero::BackupSpec spec;
  spec.csi_snapshot_timeout = std::chrono::seconds(2);
  auto run = w.backup("timeout", spec);
  CHECK(run.result.backup.status.phase == "PartiallyFailed");
  CHECK(w.errors("timeout") == std::vector<std::string>{"error executing custom action (groupResource=persistentvolumeclaims, "
                                                        "namespace=app, name=data): context deadline exceeded"});
  CHECK(w.operations("timeout").empty());
  CHECK(run.result.backup.status.csi_volume_snapshots_attempted == 0);
  kt::testing::eventually([&] { return w.snapshot_objects() == 0; });
  CHECK(w.handles().empty());
}

TEST_CASE("csi §1.2 no VolumeSnapshotClass for the provisioner: Velero's error text") {
  CsiCluster w;
  w.snapshot_class("other", "ebs.csi.aws.com");
  w.volume("data");
  auto run = w.backup("noclass");
  CHECK(run.result.backup.status.phase == "PartiallyFailed");
  CHECK(w.errors("noclass") ==
        std::vector<std::string>{
            "error executing custom action (groupResource=persistentvolumeclaims, namespace=app, name=data): failed to get "
            "VolumeSnapshotClass for StorageClass csi: error getting VolumeSnapshotClass: failed to get VolumeSnapshotClass for "
            "provisioner hostpath.csi.k8s.io: ensure that the desired VolumeSnapshotClass has the velero.io/csi-volumesnapshot-class "
            "label or snapshot.storage.kubernetes.io/is-default-class annotation, and that its driver matches the StorageClass "
            "provisioner"});
  CHECK(w.snapshot_objects() == 0);
}

TEST_CASE("csi §1.2 class order: PVC annotation, volume policy, Backup annotation per driver, the labelled class, the default") {
  CsiCluster w;
  w.snapshot_class("default-one");
  w.put(R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotClass","metadata":{"name":"labelled","labels":{"velero.io/csi-volumesnapshot-class":"false"}},"driver":"hostpath.csi.k8s.io","deletionPolicy":"Delete"})");
  for (const char* name : {"chosen", "gold", "by-backup"}) {
    w.put(std::string(R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotClass","metadata":{"name":")") + name +
          R"("},"driver":"hostpath.csi.k8s.io","deletionPolicy":"Retain"})");
  }
  w.put(R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotClass","metadata":{"name":"wrong-driver"},"driver":"ebs.csi.aws.com","deletionPolicy":"Delete"})");
  w.volume("a");
  w.volume("b");
  w.volume("c", R"({"tier":"gold"})");
  w.volume("d", R"({"tier":"gold"})");
  // b: the PVC annotation, compared case-insensitively; d: a PVC annotation naming a class of another
  // driver falls through to the policy's class.
  w.put(R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"b","namespace":"app","annotations":{"velero.io/csi-volumesnapshot-class":"CHOSEN"}},
        "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"storageClassName":"csi","volumeName":"pv-b"},"status":{"phase":"Bound"}})");
  w.put(R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"d","namespace":"app","labels":{"tier":"gold"},"annotations":{"velero.io/csi-volumesnapshot-class":"wrong-driver"}},
        "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"storageClassName":"csi","volumeName":"pv-d"},"status":{"phase":"Bound"}})");
  w.policy("version: v1\nvolumePolicies:\n- conditions:\n    pvcLabels:\n      tier: gold\n  action:\n    type: snapshot\n    parameters:\n      snapshotClass: gold\n");
  velero::BackupSpec spec;
  spec.resource_policy = velero::TypedLocalObjectReference{{}, "configmap", "volume-policy", {}};
  SUBCASE("without the Backup annotation") {
    auto run = w.backup("classes", spec);
    CHECK(run.result.backup.status.phase == "Completed");
    auto items = w.tarball("classes");
    std::map<std::string, std::string> class_of;
    for (const auto& [path, obj] : items) {
      if (path.find("resources/volumesnapshots.snapshot.storage.k8s.io/namespaces/app/") == 0)
        class_of[str_at(obj, {"spec", "source", "persistentVolumeClaimName"})] = str_at(obj, {"spec", "volumeSnapshotClassName"});
    }
    CHECK(class_of == std::map<std::string, std::string>{{"a", "labelled"}, {"b", "chosen"}, {"c", "gold"}, {"d", "gold"}});
    kt::testing::eventually([&] { return w.snapshot_objects() == 0; });
    CHECK(w.handles().size() == 4);  // Retain and Delete classes alike: DeleteReadyVolumeSnapshot retains
  }
  SUBCASE("with velero.io/csi-volumesnapshot-class_<driver> on the Backup") {
    auto run = w.backup("classes", spec, {}, {{"velero.io/csi-volumesnapshot-class_hostpath.csi.k8s.io", "by-backup"}});
    CHECK(run.result.backup.status.phase == "Completed");
    std::map<std::string, std::string> class_of;
    for (const auto& [path, obj] : w.tarball("classes")) {
      if (path.find("resources/volumesnapshots.snapshot.storage.k8s.io/namespaces/app/") == 0)
        class_of[str_at(obj, {"spec", "source", "persistentVolumeClaimName"})] = str_at(obj, {"spec", "volumeSnapshotClassName"});
    }
    CHECK(class_of == std::map<std::string, std::string>{{"a", "by-backup"}, {"b", "chosen"}, {"c", "gold"}, {"d", "gold"}});
  }
}

TEST_CASE("csi §1.1 a Pending PVC no policy covers is the item's error; a pvcPhase policy skips it") {
  CsiCluster w;
  w.snapshot_class();
  w.put(R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"pending","namespace":"app"},
        "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"storageClassName":"none"},"status":{"phase":"Pending"}})");
  SUBCASE("no policy") {
    auto run = w.backup("pending");
    CHECK(run.result.backup.status.phase == "PartiallyFailed");
    // item_backupper.go returns the volume helper's error before the action runs: not wrapped as the action's.
    CHECK(w.errors("pending") == std::vector<std::string>{"Error backing up item: PVC app/pending has no volume backing this claim"});
  }
  SUBCASE("pvcPhase: [Pending] → skip") {
    w.policy("version: v1\nvolumePolicies:\n- conditions:\n    pvcPhase: [Pending]\n  action:\n    type: skip\n");
    velero::BackupSpec spec;
    spec.resource_policy = velero::TypedLocalObjectReference{{}, "configmap", "volume-policy", {}};
    auto run = w.backup("pending", spec);
    CHECK(run.result.backup.status.phase == "Completed");
    CHECK(w.tarball("pending").count("resources/persistentvolumeclaims/namespaces/app/pending.json"));
    CHECK(w.volume_infos("pending").empty());  // no PV to record
  }
}

TEST_CASE("csi §1.1 a non-CSI PV is skipped with Velero's reasons") {
  CsiCluster w;
  w.snapshot_class();
  w.volume("nfs", "{}", false);
  auto run = w.backup("nfs");
  CHECK(run.result.backup.status.phase == "Completed");
  auto infos = w.volume_infos("nfs");
  REQUIRE(infos.size() == 1);
  CHECK(infos[0].skipped);
  CHECK(infos[0].pv_name == "pv-nfs");
  CHECK(infos[0].skipped_reason == "csiSnapshot: skipped b/c it's not a CSI volume;volumeSnapshot: no applicable volumesnapshotter found;");
  REQUIRE(infos[0].pv_info);
  CHECK(infos[0].pv_info->labels == velero::StringMap{{"disk", "nfs"}});
  auto items = w.tarball("nfs");
  CHECK(str_at(items.at("resources/persistentvolumeclaims/namespaces/app/nfs.json"), {"metadata", "annotations", "backup.velero.io/skipped-no-csi-pv"}).empty());
  CHECK(w.snapshot_objects() == 0);
}

TEST_CASE("csi §1.1 snapshotVolumes=false: nothing snapshotted, the volume recorded as skipped") {
  CsiCluster w;
  w.snapshot_class();
  w.volume("data");
  velero::BackupSpec spec;
  spec.snapshot_volumes = false;
  auto run = w.backup("nosnap", spec);
  CHECK(run.result.backup.status.phase == "Completed");
  CHECK(w.operations("nosnap").empty());
  auto infos = w.volume_infos("nosnap");
  REQUIRE(infos.size() == 1);
  CHECK(infos[0].skipped_reason == "volumeSnapshot: not satisfy the criteria for VolumePolicy or the legacy snapshot way;");
  CHECK(w.snapshot_objects() == 0);
  CHECK(w.handles().empty());
}

TEST_CASE("csi §6 snapshotMoveData: the PVC fails with the node-agent message, no DataUpload, no VolumeSnapshot") {
  CsiCluster w;
  w.snapshot_class();
  w.volume("data");
  velero::BackupSpec spec;
  spec.snapshot_move_data = true;
  auto run = w.backup("move", spec);
  CHECK(run.result.backup.status.phase == "PartiallyFailed");
  CHECK(w.errors("move") == std::vector<std::string>{"error executing custom action (groupResource=persistentvolumeclaims, namespace=app, "
                                                     "name=data): CSI PVC BIA cannot proceed: node-agent is not ready for snapshot data "
                                                     "movement: node-agent is not ready: no ready pods found"});
  CHECK(w.snapshot_objects() == 0);
  CHECK(w.handles().empty());
  CHECK(w.list("velero.io", "backups").size() == 1);  // the recorded Backup; nothing else of velero.io made
}

TEST_CASE("csi §1.1.3 resource policy: a missing ConfigMap fails validation in Velero's words; includeExcludePolicy filters") {
  CsiCluster w;
  velero::BackupSpec spec;
  spec.resource_policy = velero::TypedLocalObjectReference{{}, "ConfigMap", "volume-policy", {}};
  SUBCASE("missing") {
    auto run = w.backup("nopolicy", spec);
    CHECK(run.result.backup.status.phase == "FailedValidation");
    CHECK(run.result.backup.status.validation_errors ==
          std::vector<std::string>{"fail to get ResourcePolicies velero/volume-policy ConfigMap: configmaps \"volume-policy\" not found"});
  }
  SUBCASE("includeExcludePolicy") {
    w.put(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings","namespace":"app"},"data":{"a":"b"}})");
    w.put(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"token","namespace":"app"},"data":{"a":"Yg=="}})");
    w.policy("version: v1\nincludeExcludePolicy:\n  excludedNamespaceScopedResources: [secrets]\n");
    auto run = w.backup("filtered", spec);
    CHECK(run.result.backup.status.phase == "Completed");
    auto items = w.tarball("filtered");
    CHECK(items.count("resources/configmaps/namespaces/app/settings.json"));
    CHECK_FALSE(items.count("resources/secrets/namespaces/app/token.json"));
  }
}

TEST_CASE("csi §1.3 cancellation: a cancelled backup cleans up the VolumeSnapshot it made") {
  CsiCluster w;
  w.snapshot_class();
  w.volume("data");
  w.control(R"({"readyAfterMilliseconds":-1})");
  BackupOptions o;
  bool made = false;
  o.on_progress = [&](const BackupProgress&) {
    // Cancel once the snapshot exists (while waiting for its operation).
    made = made || !w.list("snapshot.storage.k8s.io", "volumesnapshots").empty();
    return !made;
  };
  CHECK_THROWS_AS(w.backup("cancelled", {}, o), Error);
  CHECK(made);
  w.control(R"({"reset":true})");
  kt::testing::eventually([&] { return w.snapshot_objects() == 0; });
  CHECK(w.handles().empty());  // CleanupVolumeSnapshot: content → Delete
}

TEST_CASE("csi §1.5 server start: a Backup left WaitingForPluginOperations or Finalizing is in progress, marked Failed") {
  // The backup waits and finalizes in-process, so after a restart nothing carries on with them.
  CsiCluster w;
  for (const char* phase : {"WaitingForPluginOperations", "FinalizingPartiallyFailed", "Completed"}) {
    w.put(std::string(R"({"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":")") + lower_name(phase) +
          R"(","namespace":"velero"},"spec":{},"status":{"phase":")" + phase + R"("}})");
  }
  auto changed = server::mark_in_progress_failed(*w.cluster->client(), "velero");
  CHECK(changed == std::vector<std::string>{"backups/finalizingpartiallyfailed", "backups/waitingforpluginoperations"});
  auto cr = w.cluster->client()->try_get(w.resource("velero.io", "backups"), "velero", "waitingforpluginoperations");
  REQUIRE(cr);
  CHECK(str_at(*cr, {"status", "phase"}) == "Failed");
  CHECK(str_at(*cr, {"status", "failureReason"}) ==
        "found a backup with status \"WaitingForPluginOperations\" during the server starting, mark it as \"Failed\"");
  CHECK(str_at(*w.cluster->client()->try_get(w.resource("velero.io", "backups"), "velero", "completed"), {"status", "phase"}) ==
        "Completed");
}

TEST_CASE("csi §6 fs-backup: a running pod whose volume is opted in fails with the node agent's error; its PVC is not snapshotted") {
  CsiCluster w;
  w.snapshot_class();
  w.volume("data");
  w.put(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"app","annotations":{"backup.velero.io/backup-volumes":"store"}},
        "spec":{"nodeName":"node-1","containers":[{"name":"c","image":"nginx"}],"volumes":[{"name":"store","persistentVolumeClaim":{"claimName":"data"}}]},
        "status":{"phase":"Running"}})");
  auto run = w.backup("fsb");
  CHECK(run.result.backup.status.phase == "PartiallyFailed");
  CHECK(w.errors("fsb") == std::vector<std::string>{"Error backing up item: daemonset pod not found in running state in node node-1"});
  auto items = w.tarball("fsb");
  CHECK_FALSE(items.count("resources/pods/namespaces/app/web.json"));
  CHECK(items.count("resources/persistentvolumeclaims/namespaces/app/data.json"));  // the pod's additional item
  CHECK(w.operations("fsb").empty());
  auto infos = w.volume_infos("fsb");
  REQUIRE(infos.size() == 1);
  CHECK(infos[0].skipped_reason == "volumeSnapshot: not satisfy the criteria for VolumePolicy or the legacy snapshot way;");
  CHECK(w.snapshot_objects() == 0);
}
