// pkg/persistence/object_store_layout.go and the listing/deleting parts of object_store.go.
#include "vbackup/layout.hpp"

#include "vbackup/error.hpp"

#include <algorithm>

namespace vbackup::storage {

const std::vector<std::string>& valid_top_level_directories() {
  static const std::vector<std::string> dirs{"backups", "restores", "restic", "metadata", "plugins", "kopia"};
  return dirs;
}

BackupStore::BackupStore(std::shared_ptr<ObjectStore> store, std::string prefix) : store_(std::move(store)) {
  std::string p = normalize_prefix(prefix);
  root_ = p.empty() ? "" : p + "/";
}

std::string BackupStore::backup_dir(const std::string& b) const { return root_ + "backups/" + b + "/"; }
std::string BackupStore::backup_metadata_key(const std::string& b) const { return backup_dir(b) + "velero-backup.json"; }
std::string BackupStore::backup_contents_key(const std::string& b) const { return backup_dir(b) + b + ".tar.gz"; }
std::string BackupStore::backup_log_key(const std::string& b) const { return backup_dir(b) + b + "-logs.gz"; }
std::string BackupStore::backup_resource_list_key(const std::string& b) const {
  return backup_dir(b) + b + "-resource-list.json.gz";
}
std::string BackupStore::backup_results_key(const std::string& b) const { return backup_dir(b) + b + "-results.gz"; }
std::string BackupStore::backup_volume_snapshots_key(const std::string& b) const {
  return backup_dir(b) + b + "-volumesnapshots.json.gz";
}
std::string BackupStore::backup_pod_volume_backups_key(const std::string& b) const {
  return backup_dir(b) + b + "-podvolumebackups.json.gz";
}
std::string BackupStore::backup_item_operations_key(const std::string& b) const {
  return backup_dir(b) + b + "-itemoperations.json.gz";
}
std::string BackupStore::backup_volume_info_key(const std::string& b) const {
  return backup_dir(b) + b + "-volumeinfo.json.gz";
}
std::string BackupStore::backup_csi_volume_snapshots_key(const std::string& b) const {
  return backup_dir(b) + b + "-csi-volumesnapshots.json.gz";
}
std::string BackupStore::backup_csi_volume_snapshot_contents_key(const std::string& b) const {
  return backup_dir(b) + b + "-csi-volumesnapshotcontents.json.gz";
}
std::string BackupStore::backup_csi_volume_snapshot_classes_key(const std::string& b) const {
  return backup_dir(b) + b + "-csi-volumesnapshotclasses.json.gz";
}
std::string BackupStore::restore_dir(const std::string& r) const { return root_ + "restores/" + r + "/"; }
std::string BackupStore::restore_log_key(const std::string& r) const { return restore_dir(r) + "restore-" + r + "-logs.gz"; }
std::string BackupStore::restore_results_key(const std::string& r) const {
  return restore_dir(r) + "restore-" + r + "-results.gz";
}
std::string BackupStore::restore_resource_list_key(const std::string& r) const {
  return restore_dir(r) + "restore-" + r + "-resource-list.json.gz";
}
std::string BackupStore::restore_item_operations_key(const std::string& r) const {
  return restore_dir(r) + "restore-" + r + "-itemoperations.json.gz";
}
// No "restore-" prefix here: Velero's getRestoreVolumeInfoKey (spec §2.4).
std::string BackupStore::restore_volume_info_key(const std::string& r) const {
  return restore_dir(r) + r + "-volumeinfo.json.gz";
}

std::string BackupStore::restore_metadata_key(const std::string& r) const { return restore_dir(r) + "velero-restore.json"; }

std::string BackupStore::validation_error() {
  const auto& valid = valid_top_level_directories();
  std::vector<std::string> invalid;
  for (const auto& p : store_->list_common_prefixes(root_, "/")) {
    std::string dir = p.substr(root_.size());
    if (!dir.empty() && dir.back() == '/') dir.pop_back();
    if (std::find(valid.begin(), valid.end(), dir) == valid.end()) invalid.push_back(dir);
  }
  if (invalid.empty()) return "";
  // Velero names at most three of them (object_store.go IsValid).
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& d : v) out += (out.empty() ? "" : " ") + d;
    return "[" + out + "]";
  };
  if (invalid.size() > 3) {
    std::size_t n = invalid.size();
    invalid.resize(3);
    invalid.push_back("...");
    return "Backup store contains " + std::to_string(n) + " invalid top-level directories: " + join(invalid);
  }
  return "Backup store contains invalid top-level directories: " + join(invalid);
}

std::vector<std::string> BackupStore::list_backups() {
  std::vector<std::string> names;
  std::string base = root_ + "backups/";
  for (const auto& p : store_->list_common_prefixes(base, "/")) {
    std::string name = p.substr(base.size());
    if (!name.empty() && name.back() == '/') name.pop_back();
    if (name.empty()) continue;
    if (store_->exists(backup_metadata_key(name))) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> BackupStore::list_restores() {
  std::vector<std::string> names;
  std::string base = root_ + "restores/";
  for (const auto& p : store_->list_common_prefixes(base, "/")) {
    std::string name = p.substr(base.size());
    if (!name.empty() && name.back() == '/') name.pop_back();
    if (!name.empty() && store_->exists(restore_metadata_key(name))) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool BackupStore::backup_exists(const std::string& b) { return store_->exists(backup_metadata_key(b)); }

// Everything under `dir`: `first` (the record) before the rest, so that from the first deletion on
// no reader sees a record whose tarball is gone; then uploads never committed there (a killed
// writer's), so a delete leaves nothing of the name behind. Returns the keys deleted, uploads
// included.
static std::vector<std::string> delete_all(ObjectStore& store, const std::string& dir, const std::string& first) {
  std::vector<std::string> keys = store.list_objects(dir);
  auto record = std::find(keys.begin(), keys.end(), first);
  if (record != keys.end()) std::rotate(keys.begin(), record, record + 1);
  std::vector<std::string> errors;
  for (const auto& k : keys) {
    try {
      store.remove(k);
    } catch (const Error& e) {
      errors.push_back(e.what());
      if (k == first) break;  // the record stays: so must the rest
    }
  }
  // Best effort: the objects are the contract (spec §2.8), and Velero's IAM policy does not grant
  // s3:ListBucketMultipartUploads; `backup-location check` reports what this could not see.
  std::vector<PendingUpload> uploads;
  try {
    if (errors.empty()) uploads = store.list_pending_uploads(dir);
  } catch (const Error&) {
  }
  for (const auto& u : uploads) {
    try {
      store.abort_pending_upload(u);
      keys.push_back(u.key + " (upload " + u.id + ")");
    } catch (const Error& e) {
      errors.push_back(e.what());
    }
  }
  if (!errors.empty()) {
    std::string msg = store.describe() + ": deleting " + dir + " failed for " + std::to_string(errors.size()) + " object(s): " + errors.front();
    throw Error(ErrorCode::storage, msg);
  }
  return keys;
}

std::vector<std::string> BackupStore::delete_backup(const std::string& b) {
  return delete_all(*store_, backup_dir(b), backup_metadata_key(b));
}
std::vector<std::string> BackupStore::delete_restore(const std::string& r) {
  return delete_all(*store_, restore_dir(r), restore_metadata_key(r));
}

}  // namespace vbackup::storage
