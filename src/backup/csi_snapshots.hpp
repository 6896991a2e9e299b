// CSI snapshots in the backup (csi §1): the volume decision Velero's item backupper and volume helper
// make for each PVC and PV (csi §1.1), the csi-pvc-backupper and csi-volumesnapshot-backupper actions
// (class choice §1.2, the VolumeSnapshot §1.3, the wait for its handle and the item operation §1.4),
// the operations' progress and the finalize step (§1.5), and the volume info entries (§1.7).
//
// One write of the bucket (the lead's design): Velero uploads the tarball after the main pass and
// rewrites it when finalizing. Here the VolumeSnapshot and VolumeSnapshotContent stay out of the
// tarball during the main pass, the backup waits in-process for the operations, and finalize()
// writes their post-operation state into the still-open tarball, so a reader never sees a
// half-finished backup.
#pragma once

#include "operations/operation_log.hpp"
#include "policies/resource_policies.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/velero_volumes.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <tuple>
#include <string>
#include <vector>

namespace vbackup::detail {

struct CsiContext {
  velero::Backup& backup;
  ClusterSource& source;
  const policies::ResourcePolicies* policies = nullptr;  // the Backup's resource policy, if any
  OperationLog& log;
  std::function<Timestamp()> now;
  // A problem that is not the item's failure (an operation failed, fs-backup without node agent).
  std::function<void(const std::string& ns, const std::string& message)> record_error;
  // Called while waiting (progress and cancellation: may throw Error(cancelled)).
  std::function<void()> tick;
  // How often the snapshot handle and the operations are polled. Velero polls the handle every 5 s
  // and the operations every 10 s (--item-operation-sync-frequency); 1 s here, a backup in-process.
  std::chrono::milliseconds poll_interval{1000};
};

// An item error Velero reports as the item's own, not wrapped as the action's ("Error backing up
// item: …"): the volume helper's, which item_backupper.go returns before running the action.
class UnwrappedItemError : public Error {
 public:
  explicit UnwrappedItemError(const Error& e) : Error(e) {}
};

// The name of the PVC action, in item errors ("error executing custom action …").
inline constexpr std::string_view csi_pvc_action = "velero.io/csi-pvc-backupper";
inline constexpr std::string_view csi_vs_action = "velero.io/csi-volumesnapshot-backupper";

class CsiSnapshots {
 public:
  explicit CsiSnapshots(CsiContext context);

  // csi §1.1–§1.4 for a PVC item (after the built-in actions): a skip is tracked, a snapshot is
  // taken (the PVC's labels, annotations and request updated in item.object, its VolumeSnapshotClass
  // and secrets added to item.additional, an item operation started). Throws Error (the item's
  // error) as Velero's action fails; the VolumeSnapshot is cleaned up first.
  void back_up_pvc(BackupItem& item);
  // A pod's volumes chosen for fs-backup (policy action fs-backup, or the opt-in/opt-out
  // annotations): a running pod fails with the node agent's error (UnwrappedItemError), as Velero's
  // pod volume backupper does without a node agent; a pod that is not running is logged (csi §6).
  void back_up_pod(const json::object& pod);
  // takePVSnapshot's bookkeeping for a PV written into the backup (volume info, skips).
  void back_up_pv(const json::object& pv);

  bool has_operations() const { return !operations_.empty(); }
  // End of the main pass (csi §1.5): csiVolumeSnapshotsAttempted, one progress check, the
  // backupItemOperations* counters. True when operations are still running.
  bool end_main_pass();
  // Polls until no operation runs (each ends Completed, Failed, or timed out after
  // itemOperationTimeout: "Asynchronous action timed out"); updates the counters.
  void wait_for_operations();
  // csi §1.5: re-reads every post-operation item (VolumeSnapshot, VolumeSnapshotContent) and hands
  // each to `write`, then DeleteReadyVolumeSnapshot (content → Retain, delete it, delete the
  // VolumeSnapshot); csiVolumeSnapshotsCompleted; volume info results.
  void finalize(const std::function<void(const ApiResource&, json::object)>& write);
  // A cancelled or failed backup: CleanupVolumeSnapshot on every VolumeSnapshot it made that is
  // still there (content → Delete, delete the VolumeSnapshot). Never throws.
  void cleanup() noexcept;

  const std::vector<velero::BackupOperation>& operations() const { return operations_; }
  std::vector<velero::BackupVolumeInfo> volume_infos() const;

 private:
  struct PvRecord {
    std::string pvc_name, pvc_namespace, reclaim_policy;
    std::optional<velero::StringMap> labels;
  };
  struct Snapshot {
    std::string ns, name, vsc_name, pvc_name;
    json::object vs_main;  // the VolumeSnapshot at the end of the main pass
    json::object vsc_main;
  };

  void snapshot_pvc(BackupItem& item);
  const ApiResource& resource(std::string_view group, std::string_view name, std::string_view kind_list);
  std::optional<json::object> get_pv(const std::string& name);
  json::object get_pv_for_pvc(const json::object& pvc);
  bool should_perform_snapshot(const json::object* pvc, const json::object* pv);
  std::string fs_backup_pod_volume(const std::string& ns, const std::string& claim);
  bool fs_backup_selected(const json::object& pod, const json::object& volume, bool opt_out);
  json::object choose_class(const json::object& pvc, const std::string& provisioner, const std::string& policy_class,
                            const std::string& storage_class);
  json::object wait_for_handle(const json::object& vs);
  void cleanup_volume_snapshot(const std::string& ns, const std::string& name) noexcept;
  void delete_ready_volume_snapshot(const json::object& vs) noexcept;
  bool check_progress();
  void track(const std::string& pv, std::string approach, std::string reason);
  void untrack(const std::string& pv);
  void set_counters();

  CsiContext c_;
  kube::KubeClient* kube_;
  std::map<std::string, std::map<std::string, std::string>> skipped_;  // PV → approach → reason
  std::set<std::string> included_pvs_;
  std::map<std::string, PvRecord> pvs_;  // PVs written, for volume info
  // namespace → claim → "pod/volume" chosen for fs-backup by the pods' annotations.
  std::map<std::string, std::map<std::string, std::string>> fs_backup_claims_;
  std::vector<Snapshot> snapshots_;  // one per operation, same order
  std::vector<velero::BackupOperation> operations_;
  std::vector<std::chrono::steady_clock::time_point> created_at_;  // itemOperationTimeout runs from here
  std::vector<std::string> made_;  // "ns/name" of every VolumeSnapshot created
};

// resource.Quantity in BinarySI format as Velero writes restore sizes ("1Gi", "1536Mi", "1000").
std::string binary_si(std::int64_t bytes);

}  // namespace vbackup::detail
