// Deleting a backup's CSI snapshots (issue 14, brief i14-delete; csi §3) on the test API server's fake
// CSI world: a backup tarball written by hand as Velero writes it (csi §1.6), whose
// VolumeSnapshotContent names a handle the world holds, deleted with delete_csi_snapshots and through
// a DeleteBackupRequest (process_delete_backup_request, the call the server's controller makes).
#include "kube_server/kube_server.hpp"
#include "kube_server/kubectl_runner.hpp"
#include "kube_server/loopback_client.hpp"
#include "test_helpers.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/deletion.hpp"
#include "vbackup/location.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace vbackup;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr const char* kVsc = "/apis/snapshot.storage.k8s.io/v1/volumesnapshotcontents";
constexpr const char* kContentsGr = "volumesnapshotcontents.snapshot.storage.k8s.io";

json::object parse(const std::string& text) { return json::parse(text, "test").as_object(); }

// A cluster with Velero's CRDs and the CSI world, a file bucket that BSL "default" names.
struct World {
  kubetest::KubeServer server{options()};
  kubetest::LoopbackClient http{server.port()};
  testing::TempDir dir{"deletion-csi"};
  std::unique_ptr<kube::KubeClient> client;
  OpenedLocation bucket;

  static kubetest::KubeServerOptions options() {
    kubetest::KubeServerOptions o;
    o.seed = {testing::source_root() / "tests" / "data" / "velero"};
    return o;
  }
  World() {
    server.write_kubeconfig(dir.path / "kubeconfig");
    kube::ConnectOptions c;
    c.kubeconfig = (dir.path / "kubeconfig").string();
    client = std::make_unique<kube::KubeClient>(kube::load_rest_config(c));
    fs::create_directories(dir.path / "bucket");
    bucket = open_location("file://" + (dir.path / "bucket").string());
  }
  void control(const std::string& csi) {
    auto r = http.request("POST", "/__control", R"({"csi":)" + csi + "}", {{"Content-Type", "application/json"}});
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
  void add_handle(const std::string& handle) {
    control(R"({"addHandle":{"handle":")" + handle + R"(","driver":"hostpath.csi.k8s.io","restoreSize":1073741824}})");
  }
  // GET /__control/snapshots: the storage's snapshot handles.
  std::vector<std::string> handles() {
    auto r = http.get("/__control/snapshots");
    REQUIRE(r.status == 200);
    std::vector<std::string> out;
    const json::object state = parse(r.body);
    for (const auto& s : state.at("snapshots").as_array()) {
      out.emplace_back(s.as_object().at("snapshotHandle").as_string());
    }
    return out;
  }
  std::vector<json::object> contents() {
    auto r = http.get(kVsc);
    REQUIRE(r.status == 200);
    std::vector<json::object> out;
    const json::object list = parse(r.body);
    for (const auto& i : list.at("items").as_array()) out.push_back(i.as_object());
    return out;
  }
  const ApiResource& velero(std::string_view plural) {
    const ApiResource* r = client->discovery().find("velero.io", plural);
    REQUIRE(r);
    return *r;
  }
  void location() {
    velero::BackupStorageLocation l;
    l.metadata.name = "default";
    l.metadata.namespace_ = "velero";
    l.spec.provider = "file";
    l.spec.object_storage = velero::ObjectStorageLocation{};
    l.spec.object_storage->bucket = (dir.path / "bucket").string();
    l.status.phase = "Available";
    client->create(velero("backupstoragelocations"), l.to_json(), "velero");
  }
  // The backup's record and CR, and a tarball with these items (each a JSON object text).
  void backup(const std::string& name, const std::vector<std::string>& contents, bool cr = true) {
    velero::Backup b;
    b.metadata.name = name;
    b.metadata.namespace_ = "velero";
    b.spec.storage_location = "default";
    b.status.phase = "Completed";
    auto out = bucket.objects->open_write(bucket.backups->backup_contents_key(name));
    archive::ArchiveWriter w(*out, archive::Compression::gzip);
    // csi §1.6: the PVC and the VolumeSnapshot next to the content; only the content matters here.
    w.add_item("persistentvolumeclaims", "default", "data", "", R"({"apiVersion":"v1","kind":"PersistentVolumeClaim"})");
    w.add_item("persistentvolumeclaims", "default", "data", "v1-preferredversion", R"({"apiVersion":"v1"})");
    w.add_item("volumesnapshots.snapshot.storage.k8s.io", "default", "velero-data-abcde", "",
               R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot"})");
    for (const auto& c : contents) {
      const std::string n(json::metadata_string(parse(c), "name"));
      w.add_item(kContentsGr, "", n, "", c);
      w.add_item(kContentsGr, "", n, "v1-preferredversion", c);
    }
    w.finish();
    out->commit();
    persistence::put_backup_record(*bucket.backups, b);
    if (cr) client->create(velero("backups"), b.to_json(), "velero");
  }
};

// A VolumeSnapshotContent as Velero's finalize leaves it in the tarball (csi §1.4, §1.6).
std::string content(const std::string& name, const std::string& handle, const std::string& backup_label,
                    const std::string& uid = "5f0c2a4e-1111-4222-8333-444455556666") {
  return R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotContent","metadata":{"name":")" + name +
         R"(","uid":")" + uid + R"(","resourceVersion":"812","creationTimestamp":"2026-12-01T10:00:00Z",
      "labels":{"velero.io/backup-name":")" + backup_label + R"("},
      "finalizers":["snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection"]},
    "spec":{"deletionPolicy":"Retain","driver":"hostpath.csi.k8s.io","source":{"volumeHandle":"vol-data"},
      "volumeSnapshotClassName":"csi-snap",
      "volumeSnapshotRef":{"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","name":"velero-data-abcde",
        "namespace":"default","uid":"0a0a0a0a-0000-4000-8000-000000000001"}},
    "status":{"creationTime":1764583200000000000,"readyToUse":true,"restoreSize":1073741824,"snapshotHandle":")" +
         handle + R"("}})";
}

deletion::CsiDeletionOptions quick(std::chrono::milliseconds gap = 20ms) {
  deletion::CsiDeletionOptions o;
  o.temporary_content_gap = gap;
  return o;
}

}  // namespace

TEST_CASE("csi §3 a backup's storage snapshot is deleted through a temporary Delete content vsc-<uuid4>") {
  World w;
  w.add_handle("snap-1");
  w.add_handle("snap-other");
  // The second content was taken by another backup: "was not taken by backup", skipped.
  w.backup("b1", {content("snapcontent-aaa", "snap-1", "b1"), content("snapcontent-bbb", "snap-other", "b0")});
  REQUIRE(w.handles() == std::vector<std::string>{"snap-1", "snap-other"});

  auto listed = deletion::backup_csi_snapshot_contents(*w.bucket.backups, "b1");
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].name == "snapcontent-aaa");
  CHECK(listed[0].handle == "snap-1");
  CHECK(listed[0].driver == "hostpath.csi.k8s.io");

  // During the gap (velero#9700) the temporary content is in the cluster: look at it.
  deletion::CsiSnapshotDeletion d;
  std::thread t([&] { d = deletion::delete_csi_snapshots(w.client.get(), *w.bucket.backups, "b1", quick(1500ms)); });
  json::object tmp;
  kubetest::testing::eventually([&] {
    auto cs = w.contents();
    if (cs.size() != 1) return false;
    tmp = cs[0];
    return true;
  });
  t.join();
  const json::object& meta = tmp.at("metadata").as_object();
  const std::string name(meta.at("name").as_string());
  CHECK(name.rfind("vsc-", 0) == 0);
  REQUIRE(name.size() == 40);  // vsc- + a uuid
  CHECK(name[18] == '4');      // version 4
  CHECK(json::marshal(meta.at("labels")) == R"({"velero.io/backup-name":"b1"})");
  CHECK(meta.at("uid").as_string() != "5f0c2a4e-1111-4222-8333-444455556666");
  const json::object& spec = tmp.at("spec").as_object();
  CHECK(spec.at("deletionPolicy").as_string() == "Delete");
  CHECK(json::marshal(spec.at("source")) == R"({"snapshotHandle":"snap-1"})");
  CHECK(json::marshal(spec.at("volumeSnapshotRef"), {.sort_keys = true}) ==
        R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","name":"name-5f0c2a4e-1111-4222-8333-444455556666","namespace":"ns-5f0c2a4e-1111-4222-8333-444455556666"})");
  CHECK_FALSE(spec.contains("volumeSnapshotClassName"));

  CHECK(d.ok());
  CHECK(d.temporary_contents == std::vector<std::string>{name});
  CHECK(d.legacy_contents.empty());
  CHECK(d.handles_not_deleted.empty());
  // The content goes once the fake snapshot controller drops its finalizer (asynchronously), and the
  // handle with it: wait for the content first, then the handle must be exactly the other backup's.
  kubetest::testing::eventually([&] { return w.contents().empty(); });
  CHECK(w.handles() == std::vector<std::string>{"snap-other"});
}

TEST_CASE("csi §3 velero#9579 a snapshot handle already gone does not block the deletion") {
  World w;
  w.backup("b1", {content("snapcontent-aaa", "snap-gone", "b1")});
  REQUIRE(w.handles().empty());
  auto d = deletion::delete_csi_snapshots(w.client.get(), *w.bucket.backups, "b1", quick());
  CHECK(d.ok());
  CHECK(d.temporary_contents.size() == 1);
  kubetest::testing::eventually([&] { return w.contents().empty(); });
}

TEST_CASE("csi §3 velero#9628 a legacy backup's content still in the cluster is set to Delete and deleted") {
  World w;
  w.add_handle("snap-legacy");
  // Velero ≤ 1.15 kept a static Retain content with the backup's label in the cluster.
  const std::string legacy = content("snapcontent-legacy", "snap-legacy", "b1");
  json::object in_cluster = parse(legacy);
  in_cluster.erase("status");
  json::object& meta = in_cluster["metadata"].as_object();
  meta.erase("uid");
  meta.erase("resourceVersion");
  meta.erase("creationTimestamp");
  meta.erase("finalizers");
  json::object& spec = in_cluster["spec"].as_object();
  spec["source"] = json::object{{"snapshotHandle", "snap-legacy"}};
  spec.erase("volumeSnapshotClassName");
  auto r = w.http.request("POST", kVsc, json::marshal(in_cluster), {{"Content-Type", "application/json"}});
  INFO(r.body);
  REQUIRE(r.status == 201);
  w.backup("b1", {legacy});

  auto d = deletion::delete_csi_snapshots(w.client.get(), *w.bucket.backups, "b1", quick());
  CHECK(d.ok());
  CHECK(d.legacy_contents == std::vector<std::string>{"snapcontent-legacy"});
  CHECK(d.temporary_contents.empty());
  kubetest::testing::eventually([&] { return w.contents().empty(); });
  CHECK(w.handles().empty());
}

TEST_CASE("csi §3 a DeleteBackupRequest deletes the backup's storage snapshot, then its files and CR") {
  World w;
  w.location();
  w.add_handle("snap-1");
  w.backup("b1", {content("snapcontent-aaa", "snap-1", "b1")});
  velero::DeleteBackupRequest r;
  r.metadata.name = "b1-del";
  r.metadata.namespace_ = "velero";
  r.spec.backup_name = "b1";
  w.client->create(w.velero("deletebackuprequests"), r.to_json(), "velero");

  deletion::DeletionOptions o;
  o.temporary_content_gap = 20ms;
  std::vector<std::string> log;
  o.log = [&](std::string_view l) { log.emplace_back(l); };
  auto done = deletion::process_delete_backup_request(*w.client, "velero", "b1-del", o);
  INFO(json::marshal(done.to_json()));
  CHECK(done.request.status.phase == "Processed");
  CHECK(done.request.status.errors.empty());
  CHECK(done.backup_cr_deleted);
  CHECK(done.csi_snapshots.temporary_contents.size() == 1);
  kubetest::testing::eventually([&] { return w.handles().empty(); });  // the content's finalizer goes asynchronously
  CHECK(w.bucket.objects->list_objects("backups/").empty());
  CHECK(json::marshal(done.to_json().at("csiSnapshots").as_object().at("snapshotHandles")) == R"(["snap-1"])");
  CHECK(std::find(log.begin(), log.end(), "Deleting VolumeSnapshotContent snapcontent-aaa") != log.end());
}

TEST_CASE("csi §3 a tarball that cannot be extracted ends the request with Velero's error and keeps the backup") {
  World w;
  w.location();
  w.backup("b1", {});
  w.bucket.objects->put(w.bucket.backups->backup_contents_key("b1"), "not a tarball");
  velero::DeleteBackupRequest r;
  r.metadata.name = "b1-del";
  r.metadata.namespace_ = "velero";
  r.spec.backup_name = "b1";
  w.client->create(w.velero("deletebackuprequests"), r.to_json(), "velero");
  auto done = deletion::process_delete_backup_request(*w.client, "velero", "b1-del");
  CHECK(done.request.status.phase == "Processed");
  REQUIRE(done.request.status.errors.size() == 1);
  CHECK(done.request.status.errors[0].rfind("error invoking delete item actions: error extracting backup: ", 0) == 0);
  CHECK_FALSE(done.backup_cr_deleted);
  CHECK(w.bucket.backups->backup_exists("b1"));
  // Ours, for deleting what a location holds (the CLI's backup delete): the backup may go, and says so.
  auto lenient = quick();
  lenient.unreadable_tarball_fails = false;
  auto d = deletion::delete_csi_snapshots(w.client.get(), *w.bucket.backups, "b1", lenient);
  CHECK(d.ok());
  CHECK_FALSE(d.tarball_found);
  CHECK(d.note.find("the tarball could not be read") != std::string::npos);
}

TEST_CASE("csi §3 ours: a backup whose resource list names no VolumeSnapshotContent is not downloaded") {
  World w;
  w.location();
  w.backup("b1", {});
  // A tarball that cannot be read would fail the request (above); the resource list says there is
  // nothing to look for in it.
  w.bucket.objects->put(w.bucket.backups->backup_contents_key("b1"), "not a tarball");
  persistence::ResourceListWriter list;
  list.add("v1/ConfigMap", "default/cm");
  list.upload(*w.bucket.objects, w.bucket.backups->backup_resource_list_key("b1"));
  auto d = deletion::delete_csi_snapshots(w.client.get(), *w.bucket.backups, "b1", quick());
  CHECK(d.ok());
  CHECK(d.contents.empty());
  // Once it names one, the tarball is read.
  persistence::ResourceListWriter with_content;
  with_content.add("snapshot.storage.k8s.io/v1/VolumeSnapshotContent", "snapcontent-aaa");
  with_content.upload(*w.bucket.objects, w.bucket.backups->backup_resource_list_key("b1"));
  CHECK_FALSE(deletion::delete_csi_snapshots(w.client.get(), *w.bucket.backups, "b1", quick()).failure.empty());
}

TEST_CASE("csi §3 no tarball: the VolumeSnapshots labelled with the backup are cleaned up (CleanupVolumeSnapshot)") {
  World w;
  // A bound CSI volume and a Retain class; a snapshot a backup left behind before its tarball was written.
  for (const char* o : {
           R"({"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"csi"},"provisioner":"hostpath.csi.k8s.io"})",
           R"({"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv-data"},"spec":{"capacity":{"storage":"1Gi"},
              "accessModes":["ReadWriteOnce"],"storageClassName":"csi","claimRef":{"namespace":"default","name":"data"},
              "csi":{"driver":"hostpath.csi.k8s.io","volumeHandle":"vol-data"}},"status":{"phase":"Bound"}})",
           R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data","namespace":"default"},
              "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"storageClassName":"csi",
              "volumeName":"pv-data"},"status":{"phase":"Bound"}})",
           R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotClass","metadata":{"name":"csi-snap"},
              "driver":"hostpath.csi.k8s.io","deletionPolicy":"Retain"})"}) {
    w.server.api().put_object(parse(o));
  }
  const char* vs = "/apis/snapshot.storage.k8s.io/v1/namespaces/default/volumesnapshots";
  for (const char* n : {"velero-data-abcde", "someone-elses"}) {
    const std::string label = std::string(n) == "someone-elses" ? "b0" : "b1";
    auto r = w.http.request("POST", vs, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","metadata":{"name":")" +
                                            std::string(n) + R"(","labels":{"velero.io/backup-name":")" + label +
                                            R"("}},"spec":{"volumeSnapshotClassName":"csi-snap","source":{"persistentVolumeClaimName":"data"}}})",
                            {{"Content-Type", "application/json"}});
    REQUIRE(r.status == 201);
  }
  kubetest::testing::eventually([&] { return w.handles().size() == 2; });

  auto d = deletion::delete_csi_snapshots(w.client.get(), *w.bucket.backups, "b1", quick());
  CHECK(d.ok());
  CHECK_FALSE(d.tarball_found);
  CHECK(d.cleaned_volume_snapshots == std::vector<std::string>{"default/velero-data-abcde"});
  // The Retain content was set to Delete first, so the storage snapshot went with the VolumeSnapshot.
  kubetest::testing::eventually([&] { return w.handles().size() == 1; });
  CHECK(w.http.get(std::string(vs) + "/someone-elses").status == 200);
}

TEST_CASE("csi §3 without a cluster the storage snapshots are not deleted, and the result says so with the handles") {
  World w;
  w.add_handle("snap-1");
  w.backup("b1", {content("snapcontent-aaa", "snap-1", "b1")}, false);
  auto d = deletion::delete_csi_snapshots(nullptr, *w.bucket.backups, "b1", quick());
  CHECK(d.ok());
  CHECK(d.handles_not_deleted == std::vector<std::string>{"snap-1"});
  CHECK(d.note.find("storage snapshots were not deleted") != std::string::npos);
  CHECK(d.note.find("snap-1") != std::string::npos);
  CHECK(w.handles() == std::vector<std::string>{"snap-1"});
  // A backup without CSI snapshots has nothing to say.
  w.backup("b2", {}, false);
  CHECK(deletion::delete_csi_snapshots(nullptr, *w.bucket.backups, "b2").note.empty());
}

TEST_CASE("csi §3 label.GetValidName: a backup name over 63 characters matches its shortened label") {
  World w;
  w.add_handle("snap-1");
  const std::string name(70, 'b');
  w.backup(name, {content("snapcontent-aaa", "snap-1", velero::get_valid_name(name))}, false);
  REQUIRE(velero::get_valid_name(name) != name);
  auto listed = deletion::backup_csi_snapshot_contents(*w.bucket.backups, name);
  CHECK(listed.size() == 1);
}

TEST_CASE("the demo (examples/manifests + examples/csi): a CSI StorageClass, the labelled VolumeSnapshotClass, a bound CSI claim the world snapshots") {
  kubetest::KubeServerOptions o;
  o.seed = {testing::source_root() / "examples" / "manifests", testing::source_root() / "examples" / "csi"};
  kubetest::KubeServer server(o);
  for (const auto& p : server.seed_problems()) MESSAGE(p);
  kubetest::LoopbackClient c(server.port());
  auto get = [&](const std::string& path) {
    auto r = c.get(path);
    INFO(path << " → " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return parse(r.body);
  };
  CHECK(get("/apis/storage.k8s.io/v1/storageclasses/csi-hostpath").at("provisioner").as_string() == "hostpath.csi.k8s.io");
  const json::object cls = get("/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses/csi-hostpath-snapclass");
  CHECK(cls.at("driver").as_string() == "hostpath.csi.k8s.io");
  CHECK(json::metadata_map(cls, "labels")->contains("velero.io/csi-volumesnapshot-class"));  // csi §1.2 (a)
  CHECK(get("/api/v1/namespaces/demo/persistentvolumeclaims/web-snapshots").at("status").as_object().at("phase") == "Bound");
  CHECK(get("/api/v1/persistentvolumes/pv-demo-web-snapshots").at("spec").as_object().contains("csi"));
  // What a backup's VolumeSnapshot of the claim gets (csi §1.3): a content and a handle in storage.
  auto r = c.request("POST", "/apis/snapshot.storage.k8s.io/v1/namespaces/demo/volumesnapshots",
                     R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","metadata":{"name":"velero-web-snapshots-abcde"},
                         "spec":{"volumeSnapshotClassName":"csi-hostpath-snapclass","source":{"persistentVolumeClaimName":"web-snapshots"}}})",
                     {{"Content-Type", "application/json"}});
  REQUIRE(r.status == 201);
  kubetest::testing::eventually([&] {
    const json::object vs = get("/apis/snapshot.storage.k8s.io/v1/namespaces/demo/volumesnapshots/velero-web-snapshots-abcde");
    const json::object* st = json::find_object(vs, "status");
    return st && st->contains("readyToUse") && st->at("readyToUse").as_bool();
  });
  const json::object state = get("/__control/snapshots");
  REQUIRE(state.at("snapshots").as_array().size() == 1);
  CHECK(state.at("snapshots").as_array()[0].as_object().at("sourceVolumeHandle").as_string() == "vol-demo-web-snapshots");
}
