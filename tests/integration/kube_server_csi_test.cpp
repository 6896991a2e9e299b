// The test API server's fake CSI world (issue 14, velero-csi.md csi §4): the snapshot.storage.k8s.io
// CRDs with their CEL rules, the snapshot controller (dynamic and static contents, deletion
// policies), the external-provisioner restoring a PVC from a VolumeSnapshot, and the error switches.
#include "kube_server/kube_server.hpp"
#include "kube_server/kubectl_runner.hpp"
#include "kube_server/loopback_client.hpp"
#include "vbackup/json.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
using namespace vbackup::kubetest;
using namespace vbackup::kubetest::testing;

namespace {

json::object parse(const std::string& text) { return json::parse(text, "answer").as_object(); }
const json::object& at(const json::object& o, const char* key) { return o.at(key).as_object(); }
std::string str(const json::object& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}

constexpr const char* kDriver = "hostpath.csi.k8s.io";
constexpr const char* kVs = "/apis/snapshot.storage.k8s.io/v1/namespaces/default/volumesnapshots";
constexpr const char* kVsc = "/apis/snapshot.storage.k8s.io/v1/volumesnapshotcontents";

struct World {
  KubeServer server{quick()};
  LoopbackClient c{server.port()};

  World() {
    // A CSI StorageClass, a bound CSI volume of 1Gi and the driver's default snapshot class.
    put(R"({"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"csi"},"provisioner":"hostpath.csi.k8s.io","reclaimPolicy":"Delete"})");
    put(R"({"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv-data"},"spec":{"capacity":{"storage":"1Gi"},
          "accessModes":["ReadWriteOnce"],"storageClassName":"csi","claimRef":{"namespace":"default","name":"data"},
          "csi":{"driver":"hostpath.csi.k8s.io","volumeHandle":"vol-data","fsType":"ext4"}},"status":{"phase":"Bound"}})");
    put(R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data","namespace":"default"},
          "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"storageClassName":"csi","volumeName":"pv-data"},
          "status":{"phase":"Bound","capacity":{"storage":"1Gi"}}})");
  }
  void put(const std::string& text) { server.api().put_object(parse(text)); }
  void default_class(const std::string& policy = "Delete") {
    put(R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotClass","metadata":{"name":"csi-snap",
          "annotations":{"snapshot.storage.kubernetes.io/is-default-class":"true"}},"driver":"hostpath.csi.k8s.io","deletionPolicy":")" +
        policy + R"("})");
  }
  HttpResult send(std::string_view method, const std::string& path, const std::string& body = {}) {
    return c.request(method, path, body, {{"Content-Type", "application/json"}});
  }
  json::object get(const std::string& path) {
    HttpResult r = c.get(path);
    INFO(path << " → " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return parse(r.body);
  }
  json::object snapshot_from_pvc(const std::string& name, const std::string& pvc = "data") {
    HttpResult r = send("POST", kVs, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","metadata":{"name":")" +
                                         name + R"("},"spec":{"source":{"persistentVolumeClaimName":")" + pvc + R"("}}})");
    INFO(r.body);
    REQUIRE(r.status == 201);
    return parse(r.body);
  }
  json::object status_when(const std::string& path, const std::function<bool(const json::object&)>& pred) {
    json::object o;
    eventually([&] {
      o = get(path);
      auto it = o.find("status");
      return it != o.end() && it->value().is_object() && pred(it->value().get_object());
    });
    return o;
  }
  json::array handles() { return get("/__control/snapshots").at("snapshots").as_array(); }
  void control(const std::string& csi) {
    HttpResult r = send("POST", "/__control", R"({"csi":)" + csi + "}");
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
};

bool ready(const json::object& s) {
  auto it = s.find("readyToUse");
  return it != s.end() && it->value().is_bool() && it->value().get_bool();
}
bool has_error(const json::object& s) { return s.contains("error"); }

}  // namespace

TEST_CASE("csi §4 a dynamic VolumeSnapshot of a bound CSI PVC gets snapcontent-<uid> and a handle in storage") {
  World w;
  w.default_class();
  const json::object vs = w.snapshot_from_pvc("velero-data-abcde");
  const std::string uid = str(at(vs, "metadata"), "uid");
  const json::object done = w.status_when(std::string(kVs) + "/velero-data-abcde", ready);
  const json::object& status = at(done, "status");
  CHECK(str(status, "boundVolumeSnapshotContentName") == "snapcontent-" + uid);
  CHECK(str(at(done, "spec"), "volumeSnapshotClassName") == "csi-snap");  // SetDefaultSnapshotClass
  CHECK(str(status, "restoreSize") == "1Gi");  // VS: a Quantity
  CHECK(str(status, "creationTime").size() == 20);  // VS: an RFC3339 Time
  const json::object vsc = w.get(std::string(kVsc) + "/snapcontent-" + uid);
  const json::object& spec = at(vsc, "spec");
  CHECK(str(spec, "driver") == kDriver);
  CHECK(str(spec, "deletionPolicy") == "Delete");
  CHECK(str(spec, "volumeSnapshotClassName") == "csi-snap");
  CHECK(str(at(spec, "source"), "volumeHandle") == "vol-data");
  CHECK(str(at(spec, "volumeSnapshotRef"), "uid") == uid);
  CHECK(str(at(spec, "volumeSnapshotRef"), "namespace") == "default");
  const json::object& cs = at(vsc, "status");
  CHECK(cs.at("restoreSize").as_int64() == 1073741824);  // VSC: int64 bytes
  CHECK(cs.at("creationTime").is_int64());                // VSC: int64 nanoseconds
  const json::array h = w.handles();
  REQUIRE(h.size() == 1);
  CHECK(str(h[0].as_object(), "snapshotHandle") == str(cs, "snapshotHandle"));
  CHECK(str(h[0].as_object(), "sourceVolumeHandle") == "vol-data");
  // The controller's finalizers: deletion waits for it.
  CHECK(json::marshal(at(done, "metadata").at("finalizers")) ==
        R"(["snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection","snapshot.storage.kubernetes.io/volumesnapshot-bound-protection"])");
  CHECK(json::marshal(at(vsc, "metadata").at("finalizers")) == R"(["snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection"])");
}

TEST_CASE("csi §4 deletion: a VolumeSnapshot deleted with Delete takes its content and handle; Retain keeps both") {
  SUBCASE("Delete") {
    World w;
    w.default_class("Delete");
    const std::string uid = str(at(w.snapshot_from_pvc("s1"), "metadata"), "uid");
    w.status_when(std::string(kVs) + "/s1", ready);
    REQUIRE(w.handles().size() == 1);
    REQUIRE(w.send("DELETE", std::string(kVs) + "/s1").status == 202);  // held by the finalizers
    eventually([&] { return w.c.get(std::string(kVsc) + "/snapcontent-" + uid).status == 404; });
    eventually([&] { return w.c.get(std::string(kVs) + "/s1").status == 404; });  // its finalizers released
    CHECK(w.handles().empty());
  }
  SUBCASE("Retain") {
    World w;
    w.default_class("Retain");
    const std::string uid = str(at(w.snapshot_from_pvc("s1"), "metadata"), "uid");
    w.status_when(std::string(kVs) + "/s1", ready);
    REQUIRE(w.send("DELETE", std::string(kVs) + "/s1").status == 202);  // held by the finalizers
    eventually([&] { return w.c.get(std::string(kVs) + "/s1").status == 404; });
    CHECK(w.c.get(std::string(kVsc) + "/snapcontent-" + uid).status == 200);
    CHECK(w.handles().size() == 1);
    // Deleting the retained content keeps the storage snapshot too.
    REQUIRE(w.send("DELETE", std::string(kVsc) + "/snapcontent-" + uid).status == 200);
    CHECK(w.handles().size() == 1);
  }
}

TEST_CASE("csi §4 a content deleted with Delete and no volumeSnapshotRef.uid (Velero's temporary one) drops its handle") {
  World w;
  w.control(R"({"addHandle":{"handle":"snap-old","driver":"hostpath.csi.k8s.io","restoreSize":1073741824}})");
  REQUIRE(w.handles().size() == 1);
  HttpResult r = w.send("POST", kVsc, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotContent","metadata":{"name":"tmp"},
      "spec":{"deletionPolicy":"Delete","driver":"hostpath.csi.k8s.io","source":{"snapshotHandle":"snap-old"},
      "volumeSnapshotRef":{"name":"nobody","namespace":"default"}}})");
  REQUIRE(r.status == 201);
  w.status_when(std::string(kVsc) + "/tmp", ready);
  REQUIRE(w.send("DELETE", std::string(kVsc) + "/tmp").status == 200);
  CHECK(w.handles().empty());
}

TEST_CASE("csi §4 CEL rules of the snapshot CRDs: one source, immutable, volumeSnapshotRef name and namespace") {
  World w;
  HttpResult both = w.send("POST", kVs, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","metadata":{"name":"b"},
      "spec":{"source":{"persistentVolumeClaimName":"data","volumeSnapshotContentName":"x"}}})");
  CHECK(both.status == 422);
  CHECK(both.body.find("exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set") != std::string::npos);
  HttpResult empty_class = w.send("POST", kVs, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","metadata":{"name":"c"},
      "spec":{"volumeSnapshotClassName":"","source":{"persistentVolumeClaimName":"data"}}})");
  CHECK(empty_class.status == 422);
  HttpResult no_ns = w.send("POST", kVsc, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotContent","metadata":{"name":"n"},
      "spec":{"deletionPolicy":"Retain","driver":"d","source":{"snapshotHandle":"h"},"volumeSnapshotRef":{"name":"x"}}})");
  CHECK(no_ns.status == 422);
  CHECK(no_ns.body.find("both spec.volumeSnapshotRef.name and spec.volumeSnapshotRef.namespace must be set") != std::string::npos);
  HttpResult missing = w.send("POST", kVsc, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotContent","metadata":{"name":"m"},
      "spec":{"deletionPolicy":"Keep","source":{"snapshotHandle":"h"},"volumeSnapshotRef":{"name":"x","namespace":"default"}}})");
  CHECK(missing.status == 422);
  CHECK(missing.body.find("spec.driver: Required value") != std::string::npos);
  CHECK(missing.body.find(R"(Unsupported value: \"Keep\": supported values: \"Delete\", \"Retain\")") != std::string::npos);
  w.snapshot_from_pvc("s");
  HttpResult dropped = w.c.request("PATCH", std::string(kVs) + "/s", R"({"spec":{"source":{"persistentVolumeClaimName":null,"volumeSnapshotContentName":"c"}}})",
                                   {{"Content-Type", "application/merge-patch+json"}});
  CHECK(dropped.status == 422);
  CHECK(dropped.body.find("persistentVolumeClaimName is required once set") != std::string::npos);
  HttpResult changed = w.c.request("PATCH", std::string(kVs) + "/s", R"({"spec":{"source":{"persistentVolumeClaimName":"other"}}})",
                                   {{"Content-Type", "application/merge-patch+json"}});
  CHECK(changed.status == 422);
  CHECK(changed.body.find("persistentVolumeClaimName is immutable") != std::string::npos);
}

TEST_CASE("csi §4 d/§1.2 no VolumeSnapshotClass: the VolumeSnapshot gets status.error, no content") {
  World w;
  w.snapshot_from_pvc("s");
  const json::object vs = w.status_when(std::string(kVs) + "/s", has_error);
  CHECK(str(at(at(vs, "status"), "error"), "message") == "Failed to set default snapshot class with error cannot find default snapshot class");
  CHECK(w.get(kVsc).at("items").as_array().empty());
  // A named class that does not exist.
  HttpResult r = w.send("POST", kVs, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","metadata":{"name":"n"},
      "spec":{"volumeSnapshotClassName":"gone","source":{"persistentVolumeClaimName":"data"}}})");
  REQUIRE(r.status == 201);
  const json::object named = w.status_when(std::string(kVs) + "/n", has_error);
  CHECK(str(at(at(named, "status"), "error"), "message").find("\"gone\" not found") != std::string::npos);
}

TEST_CASE("csi §4 a VolumeSnapshot of a missing PVC with a named class: createSnapshotContent's error") {
  World w;
  w.default_class();
  HttpResult r = w.send("POST", kVs, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","metadata":{"name":"s"},
      "spec":{"volumeSnapshotClassName":"csi-snap","source":{"persistentVolumeClaimName":"nope"}}})");
  REQUIRE(r.status == 201);
  const json::object vs = w.status_when(std::string(kVs) + "/s", has_error);
  CHECK(str(at(at(vs, "status"), "error"), "message") ==
        R"(Failed to create snapshot content with error failed to get input parameters to create snapshot s: "failed to retrieve PVC nope from the lister: \"persistentvolumeclaim \\\"nope\\\" not found\"")");
}

TEST_CASE("csi §4 an unbound PVC cannot be snapshotted") {
  World w;
  w.default_class();
  w.put(R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"loose","namespace":"default"},
        "spec":{"resources":{"requests":{"storage":"1Gi"}}}})");
  w.snapshot_from_pvc("s", "loose");
  const json::object vs = w.status_when(std::string(kVs) + "/s", has_error);
  CHECK(str(at(at(vs, "status"), "error"), "message") ==
        "Failed to set default snapshot class with error the PVC loose is not yet bound to a PV, will not attempt to take a snapshot");
}

TEST_CASE("csi §4 switches: readiness after N ms (WaitingForPluginOperations), content status.error, no handle") {
  World w;
  w.default_class();
  SUBCASE("readyAfterMilliseconds") {
    w.control(R"({"readyAfterMilliseconds":1500})");  // long enough for a loaded machine to see it unready
    w.snapshot_from_pvc("s");
    const json::object first = w.status_when(std::string(kVs) + "/s", [](const json::object& s) { return s.contains("boundVolumeSnapshotContentName"); });
    CHECK_FALSE(ready(at(first, "status")));
    w.status_when(std::string(kVs) + "/s", ready);
  }
  SUBCASE("contentError") {
    w.control(R"({"contentError":"driver exploded"})");
    w.snapshot_from_pvc("s");
    const json::object vs = w.status_when(std::string(kVs) + "/s", has_error);
    CHECK(str(at(at(vs, "status"), "error"), "message") == "driver exploded");
    CHECK_FALSE(ready(at(vs, "status")));
    CHECK(w.handles().empty());
  }
  SUBCASE("snapshotError: a temporary VolumeSnapshot error while the content is pending (csi §4 c)") {
    w.control(R"({"cutSnapshots":false,"snapshotError":"waiting for the driver"})");
    w.snapshot_from_pvc("s");
    const json::object vs = w.status_when(std::string(kVs) + "/s", has_error);
    CHECK(str(at(at(vs, "status"), "error"), "message") == "waiting for the driver");
    CHECK(at(vs, "status").contains("boundVolumeSnapshotContentName"));
  }
  SUBCASE("cutSnapshots false: the content never gets a handle") {
    w.control(R"({"cutSnapshots":false})");
    const std::string uid = str(at(w.snapshot_from_pvc("s"), "metadata"), "uid");
    eventually([&] { return w.c.get(std::string(kVsc) + "/snapcontent-" + uid).status == 200; });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const json::object vsc = w.get(std::string(kVsc) + "/snapcontent-" + uid);
    CHECK_FALSE(vsc.contains("status"));
    CHECK(w.handles().empty());
  }
}

TEST_CASE("csi §4 static content (restore): binds to the VolumeSnapshot naming it when the handle exists, else status.error") {
  World w;
  w.control(R"({"addHandle":{"handle":"snap-7","driver":"hostpath.csi.k8s.io","restoreSize":1073741824}})");
  auto content = [&](const std::string& name, const std::string& handle) {
    HttpResult r = w.send("POST", kVsc, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshotContent","metadata":{"name":")" + name +
                                            R"("},"spec":{"deletionPolicy":"Retain","driver":"hostpath.csi.k8s.io","source":{"snapshotHandle":")" + handle +
                                            R"("},"volumeSnapshotRef":{"name":")" + name + R"(","namespace":"default"}}})");
    REQUIRE(r.status == 201);
    r = w.send("POST", kVs, R"({"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","metadata":{"name":")" + name +
                                R"("},"spec":{"source":{"volumeSnapshotContentName":")" + name + R"("}}})");
    REQUIRE(r.status == 201);
    return str(at(parse(r.body), "metadata"), "uid");
  };
  const std::string uid = content("restored", "snap-7");
  const json::object vs = w.status_when(std::string(kVs) + "/restored", ready);
  CHECK(str(at(vs, "status"), "restoreSize") == "1Gi");
  CHECK(str(at(at(w.get(std::string(kVsc) + "/restored"), "spec"), "volumeSnapshotRef"), "uid") == uid);
  content("lost", "snap-gone");  // csi §4 f
  const json::object vsc = w.status_when(std::string(kVsc) + "/lost", has_error);
  CHECK(str(at(at(vsc, "status"), "error"), "message").find("snap-gone") != std::string::npos);
}

TEST_CASE("csi §4 provisioner: a PVC from a ready VolumeSnapshot is bound to a PV restored from its handle") {
  World w;
  w.default_class();
  w.snapshot_from_pvc("s");
  const json::object vs = w.status_when(std::string(kVs) + "/s", ready);
  const std::string handle = str(at(w.get(std::string(kVsc) + "/" + str(at(vs, "status"), "boundVolumeSnapshotContentName")), "status"), "snapshotHandle");
  auto pvc = [&](const std::string& name, const std::string& size) {
    HttpResult r = w.send("POST", "/api/v1/namespaces/default/persistentvolumeclaims",
                          R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":")" + name +
                              R"("},"spec":{"accessModes":["ReadWriteOnce"],"storageClassName":"csi","resources":{"requests":{"storage":")" + size +
                              R"("}},"dataSource":{"apiGroup":"snapshot.storage.k8s.io","kind":"VolumeSnapshot","name":"s"}}})");
    REQUIRE(r.status == 201);
  };
  pvc("restored", "2Gi");
  const json::object bound = w.status_when("/api/v1/namespaces/default/persistentvolumeclaims/restored",
                                           [](const json::object& s) { return str(s, "phase") == "Bound"; });
  const std::string pv_name = str(at(bound, "spec"), "volumeName");
  CHECK(pv_name == "pvc-" + str(at(bound, "metadata"), "uid"));
  CHECK(str(at(at(bound, "metadata"), "annotations"), "pv.kubernetes.io/bind-completed") == "yes");
  const json::object pv = w.get("/api/v1/persistentvolumes/" + pv_name);
  CHECK(str(at(at(pv, "spec"), "csi"), "driver") == kDriver);
  CHECK(str(at(at(pv, "spec"), "csi"), "volumeHandle").ends_with("-from-" + handle));
  CHECK(str(at(at(pv, "spec"), "claimRef"), "uid") == str(at(bound, "metadata"), "uid"));
  const json::array vols = w.get("/__control/snapshots").at("volumes").as_array();
  REQUIRE(vols.size() == 1);
  CHECK(str(vols[0].as_object(), "fromSnapshotHandle") == handle);

  // Smaller than the snapshot: Pending, with the provisioner's event.
  pvc("small", "512Mi");
  eventually([&] {
    return w.get("/api/v1/namespaces/default/events").at("items").as_array().size() == 1;
  });
  const json::object ev = w.get("/api/v1/namespaces/default/events").at("items").as_array()[0].as_object();
  CHECK(str(ev, "reason") == "ProvisioningFailed");
  CHECK(str(ev, "message").find("requested volume size 536870912 is less than the size 1073741824 for the source snapshot s") != std::string::npos);
  CHECK(str(at(w.get("/api/v1/namespaces/default/persistentvolumeclaims/small"), "status"), "phase") == "Pending");

  // The storage snapshot gone (csi §4 f): Pending too.
  w.control(R"({"deleteHandle":")" + handle + R"("})");
  pvc("late", "1Gi");
  eventually([&] {
    const json::object events = w.get("/api/v1/namespaces/default/events");
    for (const json::value& e : events.at("items").as_array())
      if (str(e.as_object(), "message").find("snapshot " + handle + " not found") != std::string::npos) return true;
    return false;
  });
  CHECK(str(at(w.get("/api/v1/namespaces/default/persistentvolumeclaims/late"), "status"), "phase") == "Pending");
}

TEST_CASE("csi §4 provisioner: a PVC from a VolumeSnapshot that is not ready stays Pending ('snapshot s is not Ready')") {
  World w;
  w.default_class();
  w.control(R"({"readyAfterMilliseconds":-1})");
  w.snapshot_from_pvc("s");
  w.status_when(std::string(kVs) + "/s", [](const json::object& s) { return s.contains("boundVolumeSnapshotContentName"); });
  HttpResult r = w.send("POST", "/api/v1/namespaces/default/persistentvolumeclaims",
                        R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"p"},"spec":{"accessModes":["ReadWriteOnce"],
                            "storageClassName":"csi","resources":{"requests":{"storage":"1Gi"}},
                            "dataSource":{"apiGroup":"snapshot.storage.k8s.io","kind":"VolumeSnapshot","name":"s"}}})");
  REQUIRE(r.status == 201);
  eventually([&] { return w.get("/api/v1/namespaces/default/events").at("items").as_array().size() == 1; });
  const json::object events = w.get("/api/v1/namespaces/default/events");
  CHECK(str(events.at("items").as_array()[0].as_object(), "message") ==
        R"(failed to provision volume with StorageClass "csi": error getting handle for DataSource Type VolumeSnapshot by Name s: snapshot s is not Ready)");
  CHECK(str(at(w.get("/api/v1/namespaces/default/persistentvolumeclaims/p"), "status"), "phase") == "Pending");
}

TEST_CASE("csi §4 real kubectl applies the snapshot objects and reads what the controller wrote") {
  World w;
  Kubectl kubectl(w.server);
  kubectl.write("snap.yaml", R"(apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata:
  name: csi-snap
  annotations:
    snapshot.storage.kubernetes.io/is-default-class: "true"
driver: hostpath.csi.k8s.io
deletionPolicy: Delete
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: by-kubectl
  namespace: default
spec:
  source:
    persistentVolumeClaimName: data
)");
  auto applied = kubectl("apply -f snap.yaml");
  REQUIRE(applied.code == 0);
  eventually([&] { return kubectl("get vs by-kubectl -o jsonpath={.status.readyToUse}").out == "true"; });
  CHECK(kubectl("get volumesnapshot by-kubectl -o jsonpath={.status.restoreSize}").out == "1Gi");
  CHECK(kubectl("get vsc -o jsonpath={.items[0].status.restoreSize}").out == "1073741824");
  CHECK(kubectl("get vsclass csi-snap -o jsonpath={.driver}").out == kDriver);
  // Velero creates its VolumeSnapshots with generateName "velero-<pvc>-" and reads the name back.
  kubectl.write("gen.yaml", R"(apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  generateName: velero-data-
  namespace: default
spec:
  source:
    persistentVolumeClaimName: data
)");
  auto created = kubectl("create -f gen.yaml -o name");
  REQUIRE(created.code == 0);
  CHECK(created.out.starts_with("volumesnapshot.snapshot.storage.k8s.io/velero-data-"));
  // The CEL rules reach kubectl as the API server's Invalid error.
  kubectl.write("bad.yaml", R"(apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotContent
metadata:
  name: bad
spec:
  deletionPolicy: Retain
  driver: hostpath.csi.k8s.io
  source:
    snapshotHandle: h
    volumeHandle: v
  volumeSnapshotRef:
    name: x
    namespace: default
)");
  auto bad = kubectl("apply -f bad.yaml");
  CHECK(bad.code != 0);
  CHECK(bad.err.find("exactly one of volumeHandle and snapshotHandle must be set") != std::string::npos);
  // kubectl delete waits for the finalizers: the controller deletes the content and the handle.
  eventually([&] { return w.handles().size() == 2; });
  auto deleted = kubectl("delete vs by-kubectl --timeout=20s");
  CHECK(deleted.code == 0);
  CHECK(kubectl("get vs by-kubectl").code != 0);
  eventually([&] { return w.handles().size() == 1; });
}

TEST_CASE("csi §4 the snapshot CRDs print VolumeSnapshot restoreSize as a string and VolumeSnapshotContent's as an integer") {
  World w;
  auto column_type = [&](const std::string& crd, const std::string& column) {
    const json::object o = w.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + crd);
    for (const json::value& c : at(o, "spec").at("versions").as_array()[0].as_object().at("additionalPrinterColumns").as_array())
      if (str(c.as_object(), "name") == column) return str(c.as_object(), "type");
    return std::string("absent");
  };
  CHECK(column_type("volumesnapshots.snapshot.storage.k8s.io", "RestoreSize") == "string");
  CHECK(column_type("volumesnapshotcontents.snapshot.storage.k8s.io", "RestoreSize") == "integer");
  CHECK(column_type("volumesnapshots.snapshot.storage.k8s.io", "CreationTime") == "date");
  CHECK(column_type("volumesnapshotclasses.snapshot.storage.k8s.io", "Driver") == "string");
}

TEST_CASE("csi §4 e switch snapshotCrds false: the snapshot resources are not served (velero #7823); true brings them back") {
  World w;
  w.control(R"({"snapshotCrds":false})");
  CHECK(w.c.get("/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses").status == 404);
  CHECK(w.c.get(kVs).status == 404);
  w.control(R"({"snapshotCrds":true})");
  eventually([&] { return w.c.get("/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses").status == 200; });
  w.default_class();
  w.snapshot_from_pvc("s");
  w.status_when(std::string(kVs) + "/s", ready);
}
