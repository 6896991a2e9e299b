// Velero's pkg/persistence over a location: reading what backups left in the bucket (get, list,
// describe, logs, download, delete) and writing the side files every operation leaves next to its
// tarball or its log, in Velero's layout (layout.hpp) and formats (velero_side_files.hpp). Restore
// and sync use it without the backup runner.
#pragma once

#include "vbackup/layout.hpp"
#include "vbackup/velero.hpp"
#include "vbackup/velero_volumes.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace vbackup {

// What `describe` shows of a stored backup: its record and, when asked, its side files.
struct BackupDetails {
  velero::Backup backup;
  velero::ResourceList resource_list;   // empty if the file is absent (older backups)
  velero::Results results;
  std::vector<velero::BackupVolumeInfo> volume_infos;   // <b>-volumeinfo.json.gz (csi §1.7)
  std::vector<velero::BackupOperation> item_operations;  // <b>-itemoperations.json.gz (csi §1.4)
  bool has_resource_list = false, has_results = false, has_volume_info = false, has_item_operations = false;

  // {"backup": {…}, "resourceList": {…}, "results": {"errors": {…}, "warnings": {…}},
  //  "volumeInfos": [… Velero's JSON], "itemOperations": [… Velero's JSON]}, the side files only when
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
