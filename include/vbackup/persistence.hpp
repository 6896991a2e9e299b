// Velero's pkg/persistence over a location: reading what backups left in the bucket (get, list,
// describe, logs, download, delete) and writing the side files every operation leaves next to its
// tarball or its log, in Velero's layout (layout.hpp) and formats (velero_side_files.hpp). Restore
// and sync use it without the backup runner.
#pragma once

#include "vbackup/layout.hpp"
#include "vbackup/velero.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace vbackup {

// One entry of <b>-volumeinfo.json.gz (Velero's internal/volume BackupVolumeInfo, csi §1.7), the
// fields `describe` shows; `raw` is the entry as stored.
struct BackupVolumeInfo {
  std::string pvc_name, pvc_namespace, pv_name;
  std::string backup_method;  // CSISnapshot, NativeSnapshot, PodVolumeBackup, "" when skipped
  bool skipped = false, snapshot_data_moved = false, preserve_local_snapshot = false;
  std::string skipped_reason, result;
  // csiSnapshotInfo
  std::string snapshot_handle, driver, vsc_name, operation_id;
  std::int64_t size = 0;
  // nativeSnapshotInfo (Velero-native snapshotters: this project takes none, but reads Velero's backups)
  std::string native_snapshot_handle, volume_type, volume_az, iops;
  // snapshotDataMovementInfo
  std::string data_mover, uploader_type, data_movement_operation_id;
  std::int64_t data_movement_size = 0, incremental_size = 0;
  json::object raw;
};

// One entry of <b>-itemoperations.json.gz (Velero's itemoperation.BackupOperation, csi §1.4).
struct BackupItemOperation {
  // spec.resourceIdentifier as "<resource>.<group> <ns>/<name>" parts
  std::string resource, namespace_, name;
  std::string backup_item_action, operation_id;
  std::vector<std::string> post_operation_items;  // "<resource>.<group> <ns>/<name>" each
  std::string phase, error, operation_units, description;
  std::int64_t n_completed = 0, n_total = 0;
  std::string created, started, updated;  // RFC 3339 as stored, "" when unset
  json::object raw;
};

// What `describe` shows of a stored backup: its record and, when asked, its side files.
struct BackupDetails {
  velero::Backup backup;
  velero::ResourceList resource_list;   // empty if the file is absent (older backups)
  velero::Results results;
  std::vector<BackupVolumeInfo> volume_infos;      // <b>-volumeinfo.json.gz
  std::vector<BackupItemOperation> item_operations;  // <b>-itemoperations.json.gz
  bool has_resource_list = false, has_results = false, has_volume_info = false, has_item_operations = false;

  // {"backup": {…}, "resourceList": {…}, "results": {"errors": {…}, "warnings": {…}},
  //  "volumeInfos": [… as stored], "itemOperations": [… as stored]}, the side files only when
  // present: what the C API, Python and `describe -o json --details` hand out.
  json::object to_json() const;
};

velero::Backup get_backup(storage::BackupStore& store, const std::string& name);
BackupDetails describe_backup(storage::BackupStore& store, const std::string& name, bool details);
std::vector<velero::Backup> list_backups(storage::BackupStore& store);
// The backup's log (<b>-logs.gz), uncompressed.
std::string backup_logs(storage::BackupStore& store, const std::string& name);
// Streams the tarball to `path` (written to a temporary file and renamed: never half a file).
void download_backup(storage::BackupStore& store, const std::string& name, const std::filesystem::path& path);
// spec §2.8: every object under backups/<name>/. Error(not_found) when there is nothing to delete.
std::vector<std::string> delete_backup(storage::BackupStore& store, const std::string& name);

// What `restore describe` shows of a restore recorded in the location.
struct RestoreDetails {
  velero::Restore restore;
  velero::Results results;
  velero::ResourceList resource_list;  // "<ns>/<name>(created)" entries
  bool has_results = false, has_resource_list = false;
  json::object to_json() const;  // {"restore", "results", "resourceList"} (side files when present)
};

velero::Restore get_restore(storage::BackupStore& store, const std::string& name);
std::vector<velero::Restore> list_restores(storage::BackupStore& store);
RestoreDetails describe_restore(storage::BackupStore& store, const std::string& name, bool details);
// restore-<r>-logs.gz, uncompressed.
std::string restore_logs(storage::BackupStore& store, const std::string& name);
// Everything under restores/<name>/ (Velero's external-resources finalizer); Error(not_found) when
// there is nothing.
std::vector<std::string> delete_restore(storage::BackupStore& store, const std::string& name);

namespace persistence {

// A resource list (spec §2.3 <b>-resource-list.json.gz, restore §2.11 restore-<r>-resource-list.json.gz)
// written as items go: entries are spilled to disk in sorted runs and merged on upload, so memory
// stays bounded whatever the number of items.
class ResourceListWriter {
 public:
  ResourceListWriter();
  ~ResourceListWriter();
  // key "<apiVersion>/<Kind>" ("apps/v1/Deployment"), entry "<ns>/<name>" or "<name>" (a restore
  // appends "(created)" and the like).
  void add(std::string_view key, std::string_view entry);
  // {"<key>": ["<entry>", …], …} + "\n", keys and entries sorted, duplicates once, gzip as Go writes it.
  void upload(storage::ObjectStore& store, const std::string& key);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// <b>-results.gz / restore-<r>-results.gz.
void put_results(storage::ObjectStore& store, const std::string& key, const velero::Result& errors,
                 const velero::Result& warnings);
// The side files a backup without volumes still carries (Velero uploads the lists even empty, as
// gzip "null"): pod volume backups, volume snapshots, item operations, volume info.
void put_empty_backup_side_files(storage::BackupStore& store, const std::string& backup);
// velero-backup.json, written last: once it exists, the backup exists (spec §3.1).
void put_backup_record(storage::BackupStore& store, const velero::Backup& backup);

// restores/<r>/velero-restore.json, written last.
void put_restore_record(storage::BackupStore& store, const velero::Restore& restore);

}  // namespace persistence
}  // namespace vbackup
