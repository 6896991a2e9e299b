// The fake CSI external-provisioner (csi §4, modelled on external-provisioner
// pkg/controller/controller.go getSnapshotSource, its messages as there): a Pending PVC of a StorageClass whose provisioner
// is a driver of the CSI world gets a PV "pvc-<uid>" and is bound; with dataSource VolumeSnapshot
// only once the snapshot passes every check, each failure a ProvisioningFailed Warning event.
#include "kube_server/api.hpp"
#include "kube_server/csi.hpp"
#include "kube_server/handlers.hpp"
#include "kube_server/util.hpp"

namespace vbackup::kubetest {

namespace {

const json::object& obj_at(const json::object& o, std::string_view key) {
  static const json::object empty;
  const json::object* p = json::find_object(o, key);
  return p ? *p : empty;
}
std::string str_at(const json::object& o, std::string_view key) { return std::string(json::get_string(o, key)); }

}  // namespace

// "" when the VolumeSnapshot `name` can be restored into a PVC of `driver` asking `request` bytes,
// else the reason; `handle` is its snapshotHandle.
std::string Api::csi_snapshot_source(const std::string& ns, const std::string& name, const std::string& driver,
                                     const std::string& sc_name, std::int64_t request, std::string& handle) const {
  const auto vs = csi_get("snapshot.storage.k8s.io/volumesnapshots", "snapshot.storage.k8s.io/v1", "VolumeSnapshot", ns, name);
  if (!vs)
    return "error getting snapshot " + name + " from api server: volumesnapshots.snapshot.storage.k8s.io \"" + name + "\" not found";
  if (!json::metadata_string(*vs, "deletionTimestamp").empty()) return "snapshot " + name + " is being deleted";
  const json::object& status = obj_at(*vs, "status");
  const std::string content = str_at(status, "boundVolumeSnapshotContentName");
  if (content.empty()) return "snapshot " + name + " not bound";
  const auto vsc = csi_get("snapshot.storage.k8s.io/volumesnapshotcontents", "snapshot.storage.k8s.io/v1",
                           "VolumeSnapshotContent", "", content);
  if (!vsc) return "error getting snapshotcontent " + content + " for snapshot " + name;
  const json::object& ref = obj_at(obj_at(*vsc, "spec"), "volumeSnapshotRef");
  if (str_at(ref, "uid") != json::metadata_string(*vs, "uid") || str_at(ref, "namespace") != ns || str_at(ref, "name") != name)
    return "snapshotcontent " + content + " for snapshot " + name + " is bound to a different snapshot";
  if (str_at(obj_at(*vsc, "spec"), "driver") != driver)
    return "snapshotcontent " + content + " for snapshot " + name + " is not handled by CSI driver of StorageClass " + sc_name;
  auto ready = status.find("readyToUse");
  if (ready == status.end() || !ready->value().is_bool() || !ready->value().get_bool())
    return "snapshot " + name + " is not Ready";
  handle = str_at(obj_at(*vsc, "status"), "snapshotHandle");
  if (handle.empty()) return "snapshot handle " + name + " is not available";
  const std::int64_t size = quantity_bytes(str_at(status, "restoreSize")).value_or(0);
  if (request < size)
    return "requested volume size " + std::to_string(request) + " is less than the size " + std::to_string(size) +
           " for the source snapshot " + name;
  // The driver's CreateVolume: the storage snapshot must still be there (csi §4 f).
  if (!csi_.snapshots.contains(handle)) return "rpc error: code = NotFound desc = snapshot " + handle + " not found";
  return {};
}

void Api::csi_provision_locked() {
  if (csi_.drivers.empty()) return;
  for (json::object& pvc : csi_list("/persistentvolumeclaims", "v1", "PersistentVolumeClaim")) {
    json::object& spec = pvc["spec"].get_object();
    if (!str_at(spec, "volumeName").empty() || !json::metadata_string(pvc, "deletionTimestamp").empty()) continue;
    const std::string sc_name = str_at(spec, "storageClassName");
    const auto sc = csi_get("storage.k8s.io/storageclasses", "storage.k8s.io/v1", "StorageClass", "", sc_name);
    if (!sc || !csi_.drivers.contains(str_at(*sc, "provisioner"))) continue;
    if (str_at(*sc, "volumeBindingMode") == "WaitForFirstConsumer") continue;  // no pods scheduled here (#4428)
    const std::string driver = str_at(*sc, "provisioner"), ns(json::metadata_string(pvc, "namespace")),
                      name(json::metadata_string(pvc, "name")), uid(json::metadata_string(pvc, "uid"));
    const std::string request_text = str_at(obj_at(obj_at(spec, "resources"), "requests"), "storage");
    const std::int64_t request = quantity_bytes(request_text).value_or(0);
    std::string from;
    const json::object& ds = obj_at(spec, "dataSource");
    if (str_at(ds, "kind") == "VolumeSnapshot" && str_at(ds, "apiGroup") == "snapshot.storage.k8s.io") {
      std::string why = csi_snapshot_source(ns, str_at(ds, "name"), driver, sc_name, request, from);
      if (!why.empty()) {
        std::string& last = csi_.provisioning_failure[uid];
        if (last == why) continue;
        last = why;
        const std::string message = "failed to provision volume with StorageClass \"" + sc_name +
                                    "\": error getting handle for DataSource Type VolumeSnapshot by Name " +
                                    str_at(ds, "name") + ": " + why;
        const std::string now = now_rfc3339();
        csi_put("v1", "events",
                json::object{{"apiVersion", "v1"}, {"kind", "Event"},
                             {"metadata", json::object{{"name", name + "." + random_name_suffix()}, {"namespace", ns}}},
                             {"involvedObject", json::object{{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"},
                                                             {"name", name}, {"namespace", ns}, {"uid", uid}}},
                             {"reason", "ProvisioningFailed"}, {"message", message}, {"type", "Warning"},
                             {"source", json::object{{"component", driver + "_csi-provisioner"}}},
                             {"firstTimestamp", now}, {"lastTimestamp", now}, {"count", 1}});
        continue;
      }
    }
    csi_.provisioning_failure.erase(uid);
    // CreateVolume: a new volume whose handle records the snapshot it was restored from.
    std::string volume = "vol-" + std::to_string(csi_.next_id++);
    if (!from.empty()) volume += "-from-" + from;
    csi_.volumes[volume] = CsiVolume{driver, from};
    const std::string pv_name = "pvc-" + uid;
    json::value access = spec.contains("accessModes") ? spec["accessModes"] : json::value(json::array{"ReadWriteOnce"});
    std::string reclaim = str_at(*sc, "reclaimPolicy");
    if (reclaim.empty()) reclaim = "Delete";
    csi_put("v1", "persistentvolumes",
            json::object{{"apiVersion", "v1"}, {"kind", "PersistentVolume"},
                         {"metadata", json::object{{"name", pv_name},
                                                   {"annotations", json::object{{"pv.kubernetes.io/provisioned-by", driver},
                                                                                {"volume.kubernetes.io/provisioner-deletion-secret-name", ""},
                                                                                {"volume.kubernetes.io/provisioner-deletion-secret-namespace", ""}}},
                                                   {"finalizers", json::array{"kubernetes.io/pv-protection"}}}},
                         {"spec", json::object{{"accessModes", access},
                                               {"capacity", json::object{{"storage", request_text}}},
                                               {"claimRef", json::object{{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"},
                                                                         {"name", name}, {"namespace", ns}, {"uid", uid},
                                                                         {"resourceVersion", std::string(json::metadata_string(pvc, "resourceVersion"))}}},
                                               {"csi", json::object{{"driver", driver}, {"fsType", "ext4"}, {"volumeHandle", volume},
                                                                    {"volumeAttributes", json::object{}}}},
                                               {"persistentVolumeReclaimPolicy", reclaim},
                                               {"storageClassName", sc_name},
                                               {"volumeMode", spec.contains("volumeMode") ? spec["volumeMode"] : json::value("Filesystem")}}},
                         {"status", json::object{{"phase", "Bound"}}}});
    spec["volumeName"] = pv_name;
    json::object& md = metadata_of(pvc);
    json::object& ann = md["annotations"].is_object() ? md["annotations"].get_object() : (md["annotations"] = json::object{}).get_object();
    ann["pv.kubernetes.io/bind-completed"] = "yes";
    ann["pv.kubernetes.io/bound-by-controller"] = "yes";
    ann["volume.beta.kubernetes.io/storage-provisioner"] = driver;
    ann["volume.kubernetes.io/storage-provisioner"] = driver;
    pvc["status"] = json::object{{"accessModes", access}, {"capacity", json::object{{"storage", request_text}}}, {"phase", "Bound"}};
    csi_put("v1", "persistentvolumeclaims", std::move(pvc));
  }
}

}  // namespace vbackup::kubetest
