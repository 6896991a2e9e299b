// Pod volumes chosen for file-system backup (csi §1.1, csi §6): Velero's volume helper
// ShouldPerformFSBackup / shouldPerformFSBackupLegacy / shouldIncludeVolumeInBackup
// (internal/volumehelper/volume_policy_helper.go) and what the pod volume backupper does without a
// node agent (pkg/podvolume/backupper.go BackupPodVolumes): a pod that is not running has its
// volumes skipped; a running one fails as an item with nodeagent.IsRunningInNode's error. This
// library has no node agent, so nothing else can happen.
#include "backup/csi_snapshots.hpp"
#include "backup/csi_util.hpp"

#include "vbackup/error.hpp"

namespace vbackup::detail {
namespace {

namespace pa = policies::volume_action;

// shouldIncludeVolumeInBackup: what the node agent could not read, or what kube state holds.
bool includable(const json::object& vol) {
  for (const char* source : {"hostPath", "secret", "configMap", "projected", "downwardAPI"})
    if (vol.contains(source)) return false;
  return !json::get_string(vol, "name").starts_with("default-token");
}

}  // namespace

bool CsiSnapshots::fs_backup_selected(const json::object& pod, const json::object& vol, bool opt_out) {
  if (!includable(vol)) return false;
  const std::string name(json::get_string(vol, "name"));
  if (c_.policies) {
    std::optional<json::object> pvc, pv;
    if (std::string claim = csi_util::str(vol, {"persistentVolumeClaim", "claimName"}); !claim.empty()) {
      const std::string ns(json::metadata_string(pod, "namespace"));
      if (const ApiResource* r = c_.source.discovery().find("", "persistentvolumeclaims")) pvc = c_.source.get(*r, ns, claim);
      if (pvc) {
        try {
          pv = get_pv_for_pvc(*pvc);
        } catch (const Error&) {
        }
      }
    }
    json::object empty_pvc;
    policies::VolumeFilterData data{pv ? &*pv : nullptr, pv ? nullptr : &vol, pvc ? &*pvc : &empty_pvc};
    if (const policies::VolumeAction* a = c_.policies->match_volume(data)) return a->type == pa::fs_backup;
  }
  return opt_out ? !csi_util::annotation_lists(pod, velero::annotation::backup_volumes_excludes, name)
                 : csi_util::annotation_lists(pod, velero::annotation::backup_volumes, name);
}

void CsiSnapshots::back_up_pod(const json::object& pod) {
  if (!kube_) return;  // manifests: no pod runs anywhere
  const json::object* spec = json::find_object(pod, "spec");
  const json::array* volumes = spec ? json::find_array(*spec, "volumes") : nullptr;
  if (!volumes) return;
  const bool opt_out = c_.backup.spec.default_volumes_to_fs_backup.value_or(false);
  std::vector<std::string> chosen;
  for (const auto& v : *volumes) {
    if (v.is_object() && fs_backup_selected(pod, v.get_object(), opt_out)) chosen.emplace_back(json::get_string(v.get_object(), "name"));
  }
  if (chosen.empty()) return;
  const std::string id = std::string(json::metadata_string(pod, "namespace")) + "/" + std::string(json::metadata_string(pod, "name"));
  if (csi_util::str(pod, {"status", "phase"}) != "Running") {
    for (const auto& v : chosen) c_.log.warning("Skip pod volume " + v + " of pod " + id + ": pod is not running");
    return;
  }
  // nodeagent.IsRunningInNode: there is no node agent here (csi §6).
  throw UnwrappedItemError(Error(ErrorCode::unsupported, "daemonset pod not found in running state in node " +
                                                             csi_util::str(pod, {"spec", "nodeName"})));
}

}  // namespace vbackup::detail
