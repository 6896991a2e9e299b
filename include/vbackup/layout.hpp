// Velero's object layout of a BackupStorageLocation (spec §2): key names under the prefix, the
// validity check, listing and deleting backups.
#pragma once

#include "vbackup/storage.hpp"

#include <memory>
#include <string>
#include <vector>

namespace vbackup::storage {

class BackupStore {
 public:
  BackupStore(std::shared_ptr<ObjectStore> store, std::string prefix);

  ObjectStore& objects() { return *store_; }
  const std::string& root() const { return root_; }  // "" or "prefix/"

  // spec §2.3 and §2.4 keys.
  std::string backup_dir(const std::string& backup) const;  // <root>backups/<b>/
  std::string backup_metadata_key(const std::string& backup) const;
  std::string backup_contents_key(const std::string& backup) const;
  std::string backup_log_key(const std::string& backup) const;
  std::string backup_resource_list_key(const std::string& backup) const;
  std::string backup_results_key(const std::string& backup) const;
  std::string backup_volume_snapshots_key(const std::string& backup) const;
  std::string backup_pod_volume_backups_key(const std::string& backup) const;
  std::string backup_item_operations_key(const std::string& backup) const;
  std::string backup_volume_info_key(const std::string& backup) const;
  std::string backup_csi_volume_snapshots_key(const std::string& backup) const;
  std::string backup_csi_volume_snapshot_contents_key(const std::string& backup) const;
  std::string backup_csi_volume_snapshot_classes_key(const std::string& backup) const;
  std::string restore_dir(const std::string& restore) const;
  std::string restore_log_key(const std::string& restore) const;
  std::string restore_results_key(const std::string& restore) const;
  std::string restore_resource_list_key(const std::string& restore) const;
  std::string restore_item_operations_key(const std::string& restore) const;
  std::string restore_volume_info_key(const std::string& restore) const;
  // restores/<r>/velero-restore.json: the Restore as it ended (ours, not Velero's: Velero keeps a
  // Restore only as a CR in its cluster; with it, `restore get` works from the location alone).
  std::string restore_metadata_key(const std::string& restore) const;
  // Names under restores/ that have a velero-restore.json, sorted.
  std::vector<std::string> list_restores();

  // spec §2.2: "" when valid, else Velero's message ("Backup store contains invalid top-level
  // directories: [a b]", at most 3 named).
  std::string validation_error();
  // spec §2.7: names under backups/ whose velero-backup.json exists, sorted.
  std::vector<std::string> list_backups();
  bool backup_exists(const std::string& backup);
  // spec §2.8: every key under backups/<b>/; returns the keys deleted.
  std::vector<std::string> delete_backup(const std::string& backup);
  std::vector<std::string> delete_restore(const std::string& restore);

 private:
  std::shared_ptr<ObjectStore> store_;
  std::string root_;
};

// The top-level directories Velero accepts under a location's root (spec §2.1).
const std::vector<std::string>& valid_top_level_directories();

}  // namespace vbackup::storage
