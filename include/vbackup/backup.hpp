// Creating a backup: Velero's backup controller and backupper in one call. The Backup custom
// resource is the request and the answer (design.md): its spec says what to back up, the returned
// copy carries the status Velero would record.
#pragma once

#include "vbackup/archive.hpp"
#include "vbackup/discovery.hpp"
#include "vbackup/layout.hpp"
#include "vbackup/source.hpp"
#include "vbackup/velero_backup.hpp"
#include "vbackup/velero_side_files.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace vbackup {

struct BackupProgress {
  std::int64_t items_backed_up = 0;
  // The items expected: the source's counts summed before listing (on a cluster, one LIST with
  // limit=1 per list), never below items_backed_up, and equal to it at the end. Without counts (a
  // label selector) it is items_backed_up all along.
  std::int64_t total_items = 0;
  std::uint64_t bytes_written = 0;    // compressed tarball bytes uploaded
  std::string resource;               // group resource being collected
};

// Another object an item brings into the backup (a PVC's PV): Velero's additional items.
struct ItemReference {
  std::string group_resource;  // "persistentvolumes", "customresourcedefinitions.apiextensions.k8s.io"
  std::string namespace_;
  std::string name;
};

// What an item hook sees and may change: the in-process replacement for a BackupItemAction plugin.
struct BackupItem {
  ApiResource resource;
  json::object object;                      // may be modified in place
  bool skip = false;                        // set to leave the item out of the backup
  std::vector<ItemReference> additional;    // set to bring more items in (backed up first)
};

struct BackupOptions {
  archive::Compression compression = archive::Compression::gzip;
  // Called after every item and at phase changes; return false to cancel (Error(cancelled) is thrown
  // and nothing of the backup stays in storage).
  std::function<bool(const BackupProgress&)> on_progress;
  // Called for every item that passed the filters, before it is written.
  std::function<void(BackupItem&)> on_item;
  // Every line of the backup log (also uploaded as <b>-logs.gz), for callers that show it.
  std::function<void(std::string_view level, std::string_view line)> on_log;
  std::string velero_namespace = "velero";
  // The Backup as it stands: once processing starts (phase InProgress), at most once a second while
  // items go in, and with the final status. Velero keeps its Backup CR current this way; see
  // kube::BackupRecorder. An Error thrown here at the start fails the backup.
  std::function<void(const velero::Backup&)> on_record;
  // The clock; tests pin it.
  std::function<Timestamp()> now;
};

// Runs the backup described by `backup` (metadata.name and spec) from `source` into `store` at
// `location` and returns the Backup with its final status: FailedValidation (validationErrors set,
// nothing written), Failed (failureReason set, nothing visible in storage), Completed or
// PartiallyFailed (item errors recorded in the results file). The tarball and side files go up
// first and velero-backup.json last, so no reader sees a backup without its tarball (spec §3.1).
velero::Backup run_backup(velero::Backup backup, ClusterSource& source, storage::BackupStore& store,
                          const storage::Location& location, const BackupOptions& options = {});

// What `describe` shows of a stored backup: its record and, when asked, its side files.
struct BackupDetails {
  velero::Backup backup;
  velero::ResourceList resource_list;   // empty if the file is absent (older backups)
  velero::Results results;
  bool has_resource_list = false, has_results = false;
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

}  // namespace vbackup
