// The CSI item operations after the main pass (csi_snapshots.hpp; csi §1.4, §1.5, §1.7):
// volumesnapshot_action.go Progress, backup_operations_controller.go getBackupItemOperationProgress,
// the finalizer (backup.go FinalizeBackup, updateVolumeInfos), CleanupVolumeSnapshot and
// DeleteReadyVolumeSnapshot (pkg/util/csi/volume_snapshot.go), and the volume info entries
// (internal/volume/volumes_information.go).
#include "backup/csi_snapshots.hpp"
#include "backup/csi_util.hpp"

#include "policies/volume_policies.hpp"
#include "vbackup/error.hpp"

#include <algorithm>
#include <thread>

namespace vbackup::detail {
namespace {

namespace op_phase = velero::operation_phase;

// wrapErrMsg: the operation's error with the action that reported it.
std::string wrap_error(const std::string& message) { return message + ", plugin: " + std::string(csi_vs_action); }

std::optional<bool> bool_at(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::value* v = csi_util::at(o, path);
  if (v && v->is_bool()) return v->get_bool();
  return std::nullopt;
}

}  // namespace

void CsiSnapshots::set_counters() {
  auto& st = c_.backup.status;
  st.backup_item_operations_attempted = static_cast<std::int64_t>(operations_.size());
  st.backup_item_operations_completed = std::count_if(operations_.begin(), operations_.end(), [](const auto& o) {
    return o.status.phase == op_phase::Completed;
  });
  st.backup_item_operations_failed = std::count_if(operations_.begin(), operations_.end(), [](const auto& o) {
    return o.status.phase == op_phase::Failed;
  });
}

// One pass of getBackupItemOperationProgress over the running operations; true while any runs.
bool CsiSnapshots::check_progress() {
  const ApiResource& vsr = resource("snapshot.storage.k8s.io", "volumesnapshots", "VolumeSnapshot");
  const ApiResource& vscr = resource("snapshot.storage.k8s.io", "volumesnapshotcontents", "VolumeSnapshotContent");
  bool running = false;
  for (std::size_t i = 0; i < operations_.size(); ++i) {
    auto& op = operations_[i];
    auto& st = op.status;
    if (st.phase != op_phase::New && st.phase != op_phase::InProgress) continue;
    auto fail = [&](const std::string& message) {
      st.phase = std::string(op_phase::Failed);
      st.error = message;
      c_.record_error("", wrap_error(message));
    };
    // Progress(): Started is the time in the operation ID, i.e. when the operation was created.
    if (!st.started) st.started = st.created;
    bool completed = false;
    std::string error;
    try {
      const auto& id = op.resource_identifier;
      auto vs = kube_->try_get(vsr, id.namespace_, id.name);
      if (!vs) throw Error(ErrorCode::not_found, "volumesnapshots.snapshot.storage.k8s.io \"" + id.name + "\" not found");
      if (csi_util::has(*vs, {"status"})) {
        bool vs_ready = bool_at(*vs, {"status", "readyToUse"}).value_or(false);
        if (!vs_ready && csi_util::has(*vs, {"status", "error"})) {
          c_.log.warning("VolumeSnapshot has a temporary error " + csi_util::str(*vs, {"status", "error", "message"}) +
                         ". Snapshot controller will retry later.");
        } else if (std::string bound = csi_util::str(*vs, {"status", "boundVolumeSnapshotContentName"}); !bound.empty()) {
          auto vsc = kube_->try_get(vscr, "", bound);
          if (!vsc) throw Error(ErrorCode::not_found, "volumesnapshotcontents.snapshot.storage.k8s.io \"" + bound + "\" not found");
          if (bool_at(*vsc, {"status", "readyToUse"}).value_or(false)) {
            completed = true;
          } else if (csi_util::has(*vsc, {"status", "error"})) {
            completed = true;
            error = csi_util::str(*vsc, {"status", "error", "message"});
            c_.log.warning("VolumeSnapshotContent meets an error " + error + ".");
          }
        }
      }
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled) throw;
      st.updated = c_.now();
      fail(e.what());
      continue;
    }
    if (completed) {
      st.updated = c_.now();
      if (!error.empty()) {
        fail(error);
      } else {
        st.phase = std::string(op_phase::Completed);
      }
      continue;
    }
    // Cancel (a no-op for VolumeSnapshots) past itemOperationTimeout, measured from creation.
    if (std::chrono::steady_clock::now() - created_at_[i] > c_.backup.spec.item_operation_timeout) {
      fail("Asynchronous action timed out");
      continue;
    }
    if (st.phase == op_phase::New && st.started) st.phase = std::string(op_phase::InProgress);
    running = true;
  }
  set_counters();
  return running;
}

bool CsiSnapshots::end_main_pass() {
  auto& st = c_.backup.status;
  // csiVolumeSnapshotsAttempted: Velero lists the VolumeSnapshots labelled with the backup; these are
  // the ones this backup made and kept (a failed one was cleaned up).
  st.csi_volume_snapshots_attempted = static_cast<std::int64_t>(snapshots_.size());
  if (snapshots_.empty()) {
    set_counters();
    return false;
  }
  // The main pass's state of each VolumeSnapshot and its content, for the volume info (§1.7).
  const ApiResource& vsr = resource("snapshot.storage.k8s.io", "volumesnapshots", "VolumeSnapshot");
  const ApiResource& vscr = resource("snapshot.storage.k8s.io", "volumesnapshotcontents", "VolumeSnapshotContent");
  for (auto& s : snapshots_) {
    if (auto vs = kube_->try_get(vsr, s.ns, s.name)) s.vs_main = std::move(*vs);
    if (auto vsc = kube_->try_get(vscr, "", s.vsc_name)) s.vsc_main = std::move(*vsc);
  }
  return check_progress();
}

void CsiSnapshots::wait_for_operations() {
  while (check_progress()) {
    if (c_.tick) c_.tick();
    std::this_thread::sleep_for(c_.poll_interval);
  }
}

void CsiSnapshots::finalize(const std::function<void(const ApiResource&, json::object)>& write) {
  if (snapshots_.empty()) return;
  const ApiResource& vsr = resource("snapshot.storage.k8s.io", "volumesnapshots", "VolumeSnapshot");
  const ApiResource& vscr = resource("snapshot.storage.k8s.io", "volumesnapshotcontents", "VolumeSnapshotContent");
  // Every post-operation item is read before any is deleted, as the finalizer downloads them first.
  std::vector<std::pair<std::optional<json::object>, std::optional<json::object>>> items;
  for (const auto& s : snapshots_) items.emplace_back(kube_->try_get(vsr, s.ns, s.name), kube_->try_get(vscr, "", s.vsc_name));
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& [vs, vsc] = items[i];
    if (!vs) c_.log.warning("VolumeSnapshot " + snapshots_[i].ns + "/" + snapshots_[i].name + " is gone before finalizing");
    if (vs) write(vsr, *vs);
    if (vsc) write(vscr, *vsc);
  }
  // The csi-volumesnapshot-backupper in the Finalizing phase: DeleteReadyVolumeSnapshot.
  for (auto& [vs, vsc] : items) {
    if (vs) delete_ready_volume_snapshot(*vs);
  }
  c_.backup.status.csi_volume_snapshots_completed = std::count_if(operations_.begin(), operations_.end(), [](const auto& o) {
    return o.resource_identifier.resource == "volumesnapshots" && o.status.phase == op_phase::Completed;
  });
}

// CleanupVolumeSnapshot: the content to Delete (the storage snapshot goes with it), then the VolumeSnapshot.
void CsiSnapshots::cleanup_volume_snapshot(const std::string& ns, const std::string& name) noexcept {
  try {
    const ApiResource& vsr = resource("snapshot.storage.k8s.io", "volumesnapshots", "VolumeSnapshot");
    const ApiResource& vscr = resource("snapshot.storage.k8s.io", "volumesnapshotcontents", "VolumeSnapshotContent");
    c_.log.info("Deleting Volumesnapshot " + ns + "/" + name);
    auto vs = kube_->try_get(vsr, ns, name);
    if (!vs) return;
    if (std::string bound = csi_util::str(*vs, {"status", "boundVolumeSnapshotContentName"}); !bound.empty()) {
      try {
        kube_->patch(vscr, "", bound, kube::PatchType::merge, R"({"spec":{"deletionPolicy":"Delete"}})");
      } catch (const Error& e) {
        c_.log.info("Failed to patch DeletionPolicy of volume snapshot " + ns + "/" + name + ": " + e.what());
      }
    }
    kube_->remove(vsr, ns, name);
    c_.log.info("Deleted volumesnapshot with volumesnapshotContent " + ns + "/" + name);
  } catch (const std::exception& e) {
    c_.log.warning("Failed to delete volumesnapshot " + ns + "/" + name + ": " + e.what());
  }
}

// DeleteReadyVolumeSnapshot: the content to Retain (the storage snapshot stays), delete it, delete
// the VolumeSnapshot: no snapshot object is left in the cluster (csi §1.5).
void CsiSnapshots::delete_ready_volume_snapshot(const json::object& vs) noexcept {
  const std::string ns(json::metadata_string(vs, "namespace")), name(json::metadata_string(vs, "name"));
  try {
    const ApiResource& vsr = resource("snapshot.storage.k8s.io", "volumesnapshots", "VolumeSnapshot");
    const ApiResource& vscr = resource("snapshot.storage.k8s.io", "volumesnapshotcontents", "VolumeSnapshotContent");
    c_.log.info("Deleting Volumesnapshot " + ns + "/" + name);
    std::string bound = csi_util::str(vs, {"status", "boundVolumeSnapshotContentName"});
    if (bound.empty()) {
      c_.log.error("VolumeSnapshot " + ns + "/" + name + " is not ready. This is not expected.");
      return;
    }
    try {
      kube_->patch(vscr, "", bound, kube::PatchType::merge, R"({"spec":{"deletionPolicy":"Retain"}})");
    } catch (const Error& e) {
      c_.log.warning("Failed to patch DeletionPolicy of VolumeSnapshot " + ns + "/" + name + ": " + e.what());
      return;
    }
    try {
      kube_->remove(vscr, "", bound);
    } catch (const Error& e) {
      c_.log.warning("Failed to delete the VolumeSnapshotContent " + bound + ": " + e.what());
    }
    kube_->remove(vsr, ns, name);
    c_.log.info("Deleted VolumeSnapshot " + ns + "/" + name + " and VolumeSnapshotContent " + bound);
  } catch (const std::exception& e) {
    c_.log.warning("Failed to delete VolumeSnapshot " + ns + "/" + name + ": " + e.what());
  }
}

void CsiSnapshots::cleanup() noexcept {
  if (!kube_) return;
  for (const auto& id : made_) {
    auto slash = id.find('/');
    cleanup_volume_snapshot(id.substr(0, slash), id.substr(slash + 1));
  }
  made_.clear();
}

// BackupVolumesInformation.Result: skipped PVs (by name), then the CSI snapshots (by namespace/name,
// the order of Velero's list), completed by updateVolumeInfos with the operations' results.
std::vector<velero::BackupVolumeInfo> CsiSnapshots::volume_infos() const {
  std::vector<velero::BackupVolumeInfo> out;
  for (const auto& [pv, reasons] : skipped_) {
    auto it = pvs_.find(pv);
    if (it == pvs_.end() || reasons.empty()) continue;
    velero::BackupVolumeInfo v;
    v.pvc_name = it->second.pvc_name;
    v.pvc_namespace = it->second.pvc_namespace;
    v.pv_name = pv;
    v.skipped = true;
    for (const auto& [approach, reason] : reasons) v.skipped_reason += approach + ": " + reason + ";";  // SerializeSkipReasons
    v.pv_info = velero::PvInfo{it->second.reclaim_policy, it->second.labels};
    out.push_back(std::move(v));
  }
  std::vector<std::size_t> order(snapshots_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(snapshots_[a].ns, snapshots_[a].name) < std::tie(snapshots_[b].ns, snapshots_[b].name);
  });
  for (std::size_t i : order) {
    const auto& s = snapshots_[i];
    const auto& op = operations_[i];
    if (csi_util::str(s.vs_main, {"status", "boundVolumeSnapshotContentName"}).empty()) continue;
    const PvRecord* pv = nullptr;
    std::string pv_name;
    for (const auto& [name, rec] : pvs_) {
      if (rec.pvc_name == s.pvc_name && rec.pvc_namespace == s.ns) {
        pv = &rec;
        pv_name = name;
      }
    }
    if (!pv) continue;  // "cannot find info for PVC"
    velero::BackupVolumeInfo v;
    v.backup_method = std::string(velero::csi_snapshot_method);
    v.pvc_name = pv->pvc_name;
    v.pvc_namespace = pv->pvc_namespace;
    v.pv_name = pv_name;
    v.preserve_local_snapshot = true;
    velero::CsiSnapshotInfo ci;
    ci.vsc_name = csi_util::str(s.vs_main, {"status", "boundVolumeSnapshotContentName"});
    if (std::string q = csi_util::str(s.vs_main, {"status", "restoreSize"}); !q.empty()) {
      try {
        ci.size = static_cast<std::int64_t>(policies::parse_quantity(q, "VolumeSnapshot status.restoreSize"));
      } catch (const Error&) {
      }
    }
    ci.driver = csi_util::str(s.vsc_main, {"spec", "driver"});
    ci.snapshot_handle = csi_util::str(s.vsc_main, {"status", "snapshotHandle"});
    ci.operation_id = op.operation_id;
    ci.ready_to_use = bool_at(s.vs_main, {"status", "readyToUse"});
    v.csi_snapshot_info = std::move(ci);
    v.pv_info = velero::PvInfo{pv->reclaim_policy, pv->labels};
    if (std::string t = csi_util::str(s.vs_main, {"status", "creationTime"}); !t.empty()) {
      try {
        v.start_timestamp = parse_rfc3339(t);
      } catch (const Error&) {
      }
    }
    if (op.status.phase == op_phase::Completed || op.status.phase == op_phase::Failed) {
      v.completion_timestamp = op.status.updated;
      v.result = op.status.error.empty() ? "succeeded" : "failed";
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace vbackup::detail
