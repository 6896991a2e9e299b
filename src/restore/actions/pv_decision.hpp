// restore §2.8: what happens to an archived PersistentVolume (restore.go L1531–1630 at velero-io HEAD),
// decided from the backup's volume records and, for native snapshots, the target cluster.
#pragma once

#include "restore/actions/restore_item_action.hpp"

#include <string>

namespace vbackup::restore {

// What the backup recorded about volume data; each list may be absent (nullptr), as the file may be.
struct BackupVolumeRecords {
  // <backup>-volumeinfo.json.gz (BackupVolumeInfo entries, keyed by pvName). A PV without an entry,
  // or any PV when the file is absent, takes the legacy path below.
  const json::array* volume_infos = nullptr;
  // Legacy path, in this order: native snapshots (<backup>-volumesnapshots.json.gz, matched by
  // spec.persistentVolumeName); the backup's PodVolumeBackups (phase Completed with a snapshotID, pod
  // namespace and annotation velero.io/pvc-name = the claim); CSI VolumeSnapshots
  // (<backup>-csi-volumesnapshots.json.gz, matched by source PVC and namespace) or a DataUpload result
  // ConfigMap in the Velero namespace; then the reclaim policy.
  const json::array* volume_snapshots = nullptr;
  const json::array* pod_volume_backups = nullptr;
  const json::array* csi_volume_snapshots = nullptr;
};

enum class PvAction {
  // Create `pv`. Without a snapshot and with a reclaim policy other than Delete: restored as-is, with
  // spec.claimRef.namespace mapped and the binding info reset (item_rules.hpp reset_volume_binding_info).
  // Also a natively snapshotted PV that exists in the cluster and is not going away: its snapshot is not
  // restored and `pv` (claimRef mapped, binding untouched) meets the existing-object rules (§2.6). And a
  // natively snapshotted PV when spec.restorePVs is false: created without its data (binding reset).
  create,
  // Not created: the PV name joins the restore's pvs_to_provision, and its PVC loses spec.volumeName
  // (reset_pvc_binding). Pod volume backups, CSI snapshots / data uploads, and reclaim policy Delete.
  provision_dynamically,
  // A native snapshot to restore into `pv` (claimRef mapped, binding reset) through a volume snapshotter,
  // which this library does not have yet (a later issue): the runner reports it unsupported. `rename`:
  // the PV exists in the cluster and its claim's namespace is mapped, so Velero gives it a new name
  // (velero-clone-<uuid>, annotation velero.io/original-pv-name) and points the PVC at it.
  restore_from_snapshot,
  // A natively snapshotted PV whose in-cluster namesake (or its claim, or the claim's namespace) is
  // going away or missing: Velero asks again every second until --terminating-resource-timeout, then
  // fails the item with "error waiting on in-cluster persistentvolume <name>: context deadline exceeded".
  wait,
};

struct PvDecision {
  PvAction action = PvAction::create;
  std::string reason;  // the line Velero logs for this outcome
  json::object pv;     // the PV as the outcome leaves it
  bool rename = false;  // native snapshots only (restore_from_snapshot, or create when restorePVs is false)
};

// `pv` is the archived PV (before the metadata reset). Reads the target cluster through context.target
// only for native snapshots (the in-cluster PV, its claim and namespace) and for the legacy DataUpload
// result ConfigMap (labels velero.io/restore-uid = the Restore's uid, velero.io/pvc-namespace-name =
// <ns>.<claim>, velero.io/resource-usage = DataUploadResult; exactly one must exist).
PvDecision decide_persistent_volume(const ActionContext& context, json::object pv, const BackupVolumeRecords& records);

}  // namespace vbackup::restore
