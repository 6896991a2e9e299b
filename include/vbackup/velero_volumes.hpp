// The backup's volume side files (csi §1.4, §1.7): <b>-itemoperations.json.gz, a JSON array of
// Velero's itemoperation.BackupOperation, and <b>-volumeinfo.json.gz, a JSON array of
// volume.BackupVolumeInfo, with Velero's keys exactly (the capitalised "Group", "Resource",
// "Namespace", "Name" of ResourceIdentifier and "ReadyToUse" of CSISnapshotInfo, which carry no json
// tag in Go). Both are gzip of compact JSON + "\n" (velero_side_files.hpp encode_json_gz).
#pragma once

#include "vbackup/velero_meta.hpp"

namespace vbackup::velero {

// velero.ResourceIdentifier (pkg/plugin/velero/shared.go): schema.GroupResource embedded untagged.
struct ResourceIdentifier {
  std::string group, resource, namespace_, name;
  json::object to_json() const;
  static ResourceIdentifier from_json(const json::object& o, std::string_view what);
};

namespace operation_phase {
inline constexpr std::string_view New = "New", InProgress = "InProgress", Completed = "Completed", Failed = "Failed";
}

// itemoperation.OperationStatus: every field omitempty.
struct OperationStatus {
  std::string phase, error;
  std::int64_t n_completed = 0, n_total = 0;
  std::string operation_units, description;
  std::optional<Timestamp> created, started, updated;
};

// itemoperation.BackupOperation.
struct BackupOperation {
  std::string backup_name, backup_uid, backup_item_action;
  ResourceIdentifier resource_identifier;
  std::string operation_id;
  std::vector<ResourceIdentifier> post_operation_items;  // null when empty, as a Go nil slice
  OperationStatus status;

  json::object to_json() const;
  static BackupOperation from_json(const json::object& o, std::string_view what);
};

// volume.CSISnapshotInfo.
struct CsiSnapshotInfo {
  std::string snapshot_handle;
  std::int64_t size = 0;
  std::string driver, vsc_name, operation_id;  // operationID omitempty
  std::optional<bool> ready_to_use;            // key "ReadyToUse", null when unknown
};

// volume.PVInfo.
struct PvInfo {
  std::string reclaim_policy;
  std::optional<StringMap> labels;  // null for a PV without labels
};

// volume.NativeSnapshotInfo and volume.SnapshotDataMovementInfo: sections this library never writes
// (no Velero-native snapshotter, no node agent) but reads from Velero's backups for describe.
struct NativeSnapshotInfo {
  std::string snapshot_handle, volume_type, volume_az, iops;
};
struct SnapshotDataMovementInfo {
  std::string data_mover, uploader_type, snapshot_handle, operation_id, phase;
  bool retained_snapshot = false;
  std::int64_t size = 0, incremental_size = 0;
};

// volume.BackupVolumeInfo: the fields this library fills (CSI snapshots and skipped volumes); other
// sections of an entry read from a Velero backup are kept in `extra` and written back.
struct BackupVolumeInfo {
  std::string pvc_name, pvc_namespace, pv_name, backup_method;  // omitempty
  bool snapshot_data_moved = false, preserve_local_snapshot = false, skipped = false;
  std::string skipped_reason;                                     // omitempty
  std::optional<Timestamp> start_timestamp, completion_timestamp;  // omitempty
  std::string result;                                             // "succeeded" | "failed", omitempty
  std::optional<CsiSnapshotInfo> csi_snapshot_info;
  std::optional<PvInfo> pv_info;
  json::object extra;  // snapshotDataMovementInfo, nativeSnapshotInfo, pvbInfo, unknown keys

  json::object to_json() const;
  static BackupVolumeInfo from_json(const json::object& o, std::string_view what);
  // The sections kept in `extra`, read leniently (absent or mistyped fields are empty).
  std::optional<NativeSnapshotInfo> native_snapshot_info() const;
  std::optional<SnapshotDataMovementInfo> snapshot_data_movement_info() const;
};

inline constexpr std::string_view csi_snapshot_method = "CSISnapshot";

// The side files' bytes, and their readers (Error(invalid) naming `what` and the entry).
std::string encode_item_operations(const std::vector<BackupOperation>& operations);
std::vector<BackupOperation> decode_item_operations(std::string_view gzipped, std::string_view what);
std::string encode_volume_infos(const std::vector<BackupVolumeInfo>& infos);
std::vector<BackupVolumeInfo> decode_volume_infos(std::string_view gzipped, std::string_view what);
// The entries of an already decoded file (the restore reads the list once for several uses).
std::vector<BackupVolumeInfo> volume_infos_from_json(const json::array& entries, std::string_view what);

}  // namespace vbackup::velero
