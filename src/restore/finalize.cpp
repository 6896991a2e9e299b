// Velero's restore finalizer for volumes (pkg/controller/restore_finalizer_controller.go
// patchDynamicPVWithVolumeInfo, velero-io HEAD): a claim this restore created for a volume the backup
// took by CSI snapshot or pod volume backup is provisioned anew (its PV is not restored, restore
// §2.8); once it is Bound, the new PV gets the reclaim policy and the labels the old one had (the
// volume info's pvInfo). A claim that is not Bound within --resource-timeout is an error of its
// namespace ("fail to patch dynamic PV, err: context deadline exceeded, ..."): that is how a restore
// whose snapshot is gone from the storage (the content gets status.error, the claim stays Pending)
// ends PartiallyFailed, as in Velero.
//
// Ours: Velero checks each claim every 10 s, three at a time, each with its own timeout; we check all
// of them every half second against one deadline, so a restore ends as soon as its claims are bound.
#include "restore/restorer.hpp"

#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"

#include <thread>

namespace vbackup::detail {
namespace {

struct Pending {
  const velero::BackupVolumeInfo* info;
  std::string namespace_;  // the claim's target namespace
};

std::string_view string_at(const json::object& o, std::string_view a, std::string_view b) {
  const json::object* inner = json::find_object(o, a);
  return inner ? json::get_string(*inner, b) : std::string_view{};
}

}  // namespace

bool Restorer::has_volumes_to_finalize() const {
  if (!writes() || target_.offline()) return false;
  std::lock_guard lock(mu_);
  for (const auto& v : volume_info_list_) {
    if ((v.backup_method == "CSISnapshot" || v.backup_method == "PodVolumeBackup") && v.pv_info &&
        created_pvcs_.count(map_namespace(v.pvc_namespace) + "/" + v.pvc_name)) {
      return true;
    }
  }
  return false;
}

void Restorer::finalize_volumes() {
  if (!has_volumes_to_finalize()) return;
  log_.info("patching newly dynamically provisioned PV starts");
  std::vector<Pending> pending;
  {
    std::lock_guard lock(mu_);
    for (const auto& v : volume_info_list_) {
      if ((v.backup_method != "CSISnapshot" && v.backup_method != "PodVolumeBackup") || !v.pv_info) continue;
      std::string ns = map_namespace(v.pvc_namespace);
      if (created_pvcs_.count(ns + "/" + v.pvc_name)) pending.push_back({&v, std::move(ns)});
    }
  }
  const ApiResource* pvcs = target_.discovery().find("", "persistentvolumeclaims");
  const ApiResource* pvs = target_.discovery().find("", "persistentvolumes");
  const ApiResource* classes = target_.discovery().find("storage.k8s.io", "storageclasses");
  auto fail = [&](const Pending& p, const std::string& why) {
    add_error(p.namespace_, "fail to patch dynamic PV, err: " + why + ", PVC: " + p.info->pvc_name + ", PV: " + p.info->pv_name,
              {{"PVC", p.info->pvc_name}, {"PVCNamespace", p.namespace_}});
  };
  // One poll of one claim: true when done (patched, or nothing to wait for); throws on an error.
  auto poll = [&](const Pending& p) -> bool {
    LogFields where{{"PVC", p.info->pvc_name}, {"PVCNamespace", p.namespace_}};
    auto pvc = pvcs ? target_.get(*pvcs, p.namespace_, p.info->pvc_name) : std::nullopt;
    if (!pvc) return false;
    const std::string_view phase = string_at(*pvc, "status", "phase");
    const std::string_view volume = string_at(*pvc, "spec", "volumeName");
    const std::string_view class_name = string_at(*pvc, "spec", "storageClassName");
    if (phase == "Pending" && !class_name.empty() && classes) {
      auto sc = target_.get(*classes, "", std::string(class_name));
      if (!sc) throw Error(ErrorCode::not_found, "storageclasses.storage.k8s.io \"" + std::string(class_name) + "\" not found");
      if (json::get_string(*sc, "volumeBindingMode") == "WaitForFirstConsumer") {
        log_.warning("skipping PV patch to restore custom reclaim policy, if any: StorageClass " + std::string(class_name) +
                         " used by PVC " + p.info->pvc_name + " has VolumeBindingMode set to WaitForFirstConsumer, and the PVC is "
                         "also in a pending state",
                     where);
        return true;
      }
    }
    if (phase != "Bound" || volume.empty()) return false;
    auto pv = pvs ? target_.get(*pvs, "", std::string(volume)) : std::nullopt;
    if (!pv) return false;
    const json::object* spec = json::find_object(*pv, "spec");
    const json::object* claim = spec ? json::find_object(*spec, "claimRef") : nullptr;
    if (!claim || string_at(*pv, "status", "phase") != "Bound") return false;
    if (json::get_string(*claim, "name") != p.info->pvc_name || json::get_string(*claim, "namespace") != p.namespace_) {
      throw Error(ErrorCode::invalid, "PV was bound by unexpected PVC, unexpected PVC: " +
                                          std::string(json::get_string(*claim, "namespace")) + "/" +
                                          std::string(json::get_string(*claim, "name")) + ", expected PVC: " + p.namespace_ + "/" +
                                          p.info->pvc_name);
    }
    // needPatch: another reclaim policy, or a label of the old PV missing (existing labels win).
    const auto& want = *p.info->pv_info;
    json::object labels;
    const json::object* have = json::metadata_map(*pv, "labels");
    for (const auto& [k, v] : want.labels.value_or(velero::StringMap{})) {
      if (!have || !have->contains(k)) labels[k] = v;
    }
    json::object patch;
    // An empty reclaim policy (a volume info without one) is left alone: the API server refuses "".
    if (!want.reclaim_policy.empty() && json::get_string(*spec, "persistentVolumeReclaimPolicy") != want.reclaim_policy) {
      patch["spec"] = json::object{{"persistentVolumeReclaimPolicy", want.reclaim_policy}};
    }
    if (!labels.empty()) patch["metadata"] = json::object{{"labels", std::move(labels)}};
    if (!patch.empty()) {
      target_.patch(*pvs, "", std::string(volume), kube::PatchType::merge, json::marshal(patch));
      log_.info("newly dynamically provisioned PV:" + std::string(volume) + " has been patched using volume info", where);
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + options_.resource_timeout;
  while (!pending.empty()) {
    check_cancelled();
    std::vector<Pending> still;
    for (const auto& p : pending) {
      try {
        if (!poll(p)) still.push_back(p);
      } catch (const kube::KubeError& e) {
        if (e.reason() == kube::Reason::not_found) {
          still.push_back(p);
        } else {
          fail(p, e.status_message());
        }
      } catch (const Error& e) {
        if (e.code() == ErrorCode::cancelled) throw;
        fail(p, e.what());
      }
    }
    pending = std::move(still);
    if (pending.empty()) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      for (const auto& p : pending) fail(p, "context deadline exceeded");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  log_.info("patching newly dynamically provisioned PV ends");
}

}  // namespace vbackup::detail
