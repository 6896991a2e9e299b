// The DownloadRequest controller (Velero's pkg/controller/download_request_controller.go) and the
// keys it signs (pkg/persistence/object_store.go GetDownloadURL).
#include "vbackup/requests.hpp"

#include "vbackup/error.hpp"

#include <algorithm>

namespace vbackup::requests {

namespace kind = velero::download_target_kind;

const std::vector<std::string_view>& download_target_kinds() {
  static const std::vector<std::string_view> kinds = {
      kind::BackupLog,          kind::BackupContents,        kind::BackupVolumeSnapshots,
      kind::BackupItemOperations, kind::BackupResourceList,  kind::BackupResults,
      kind::RestoreLog,         kind::RestoreResults,        kind::RestoreResourceList,
      kind::RestoreItemOperations, kind::CSIBackupVolumeSnapshots, kind::CSIBackupVolumeSnapshotContents,
      kind::BackupVolumeInfos,  kind::RestoreVolumeInfo};
  return kinds;
}

bool is_restore_target(std::string_view k) {
  return k == kind::RestoreLog || k == kind::RestoreResults || k == kind::RestoreResourceList ||
         k == kind::RestoreItemOperations || k == kind::RestoreVolumeInfo;
}

std::string download_target_key(const storage::BackupStore& store, const velero::DownloadTarget& target) {
  const std::string& k = target.kind;
  const std::string& n = target.name;
  if (std::find(download_target_kinds().begin(), download_target_kinds().end(), k) == download_target_kinds().end()) {
    throw invalid_input("unsupported download target kind \"" + k + "\"");  // Velero's message
  }
  // A name is one path segment of the layout; Kubernetes names never hold '/'.
  if (n.empty() || n.find('/') != std::string::npos || n == "." || n == "..") {
    throw invalid_input("download target name \"" + n + "\": not a backup or restore name");
  }
  if (k == kind::BackupContents) return store.backup_contents_key(n);
  if (k == kind::BackupLog) return store.backup_log_key(n);
  if (k == kind::BackupVolumeSnapshots) return store.backup_volume_snapshots_key(n);
  if (k == kind::BackupItemOperations) return store.backup_item_operations_key(n);
  if (k == kind::RestoreItemOperations) return store.restore_item_operations_key(n);
  if (k == kind::BackupResourceList) return store.backup_resource_list_key(n);
  if (k == kind::RestoreLog) return store.restore_log_key(n);
  if (k == kind::RestoreResults) return store.restore_results_key(n);
  if (k == kind::RestoreResourceList) return store.restore_resource_list_key(n);
  if (k == kind::CSIBackupVolumeSnapshots) return store.backup_csi_volume_snapshots_key(n);
  if (k == kind::CSIBackupVolumeSnapshotContents) return store.backup_csi_volume_snapshot_contents_key(n);
  if (k == kind::BackupResults) return store.backup_results_key(n);
  if (k == kind::BackupVolumeInfos) return store.backup_volume_info_key(n);
  return store.restore_volume_info_key(n);  // RestoreVolumeInfo
}

std::string download_url(storage::BackupStore& store, const velero::DownloadTarget& target, std::chrono::seconds ttl) {
  return store.objects().signed_url(download_target_key(store, target), ttl);
}

namespace {

// backupPhaseHasNoArtifacts: phases before a backup writes anything.
bool backup_has_no_artifacts(std::string_view phase) {
  namespace p = velero::backup_phase;
  return phase == p::New || phase == p::Queued || phase == p::ReadyToStart || phase == p::FailedValidation;
}

// restorePhaseHasNoArtifacts.
bool restore_has_no_artifacts(std::string_view phase) {
  namespace p = velero::restore_phase;
  return phase == p::New || phase == p::FailedValidation;
}

std::shared_ptr<storage::BackupStore> open_store(const DownloadRequestLookups& lookups,
                                                 const velero::BackupStorageLocation& bsl) {
  if (lookups.open_store) return lookups.open_store(bsl);
  storage::Location location = location_from_bsl(bsl);
  std::shared_ptr<storage::ObjectStore> objects = open_location_store(location);
  return std::make_shared<storage::BackupStore>(std::move(objects), location.prefix);
}

}  // namespace

DownloadRequestOutcome process_download_request(const velero::DownloadRequest& request,
                                                const DownloadRequestLookups& lookups, Timestamp now) {
  namespace phase = velero::download_request_phase;
  DownloadRequestOutcome out;
  const velero::DownloadRequestStatus& st = request.status;
  if (!st.empty() && st.expiration) {
    // "Delete any request that is expired, regardless of the phase."
    if (*st.expiration < now) {
      out.action = RequestAction::remove;
      return out;
    }
    if (st.phase == phase::Processed) return out;
  }
  if (!st.phase.empty() && st.phase != phase::New) return out;  // Failed: kept until it expires

  // A new request: whatever happens next, the status is patched with an expiration (Velero's
  // deferred Patch), so a request that cannot be answered is collected 10 minutes later.
  const std::string& ns = request.metadata.namespace_;
  const velero::DownloadTarget& target = request.spec.target;
  out.action = RequestAction::update_status;
  out.status = st;
  out.status.expiration = now + download_url_ttl;
  auto fail = [&](std::string message) {
    out.status.phase = phase::Failed;
    out.status.message = std::move(message);
    return out;
  };
  auto lookup_failed = [&](std::string message, bool retry) {
    out.message = std::move(message);
    out.retry = retry;
    return out;
  };

  std::string backup_name = target.name;
  bool restore_target = is_restore_target(target.kind);
  if (restore_target) {
    std::optional<velero::Restore> restore;
    try {
      restore = lookups.restore(ns, target.name);
    } catch (const std::exception& e) {
      return lookup_failed("fail to get restore for DownloadRequest " + std::string(e.what()) + ". Retry later.", true);
    }
    if (!restore) return lookup_failed("fail to get restore for DownloadRequest: restore \"" + target.name + "\" not found", false);
    if (restore_has_no_artifacts(restore->status.phase)) {
      return fail("restore \"" + restore->metadata.name + "\" is in phase \"" + restore->status.phase +
                  "\" and has not written any artifacts");
    }
    backup_name = restore->spec.backup_name;
  }

  std::optional<velero::Backup> backup;
  try {
    backup = lookups.backup(ns, backup_name);
  } catch (const std::exception& e) {
    return lookup_failed("fail to get backup for DownloadRequest " + std::string(e.what()) + ". Retry later.", true);
  }
  if (!backup) return lookup_failed("fail to get backup for DownloadRequest: backup \"" + backup_name + "\" not found", false);
  if (!restore_target && backup_has_no_artifacts(backup->status.phase)) {
    return fail("backup \"" + backup->metadata.name + "\" is in phase \"" + backup->status.phase +
                "\" and has not written any artifacts");
  }

  std::optional<velero::BackupStorageLocation> bsl;
  // Velero looks the BSL up in the backup's namespace.
  const std::string& bsl_ns = backup->metadata.namespace_.empty() ? ns : backup->metadata.namespace_;
  try {
    bsl = lookups.location(bsl_ns, backup->spec.storage_location);
  } catch (const std::exception& e) {
    return lookup_failed("fail to get BSL for DownloadRequest: " + std::string(e.what()), true);
  }
  if (!bsl) {
    return lookup_failed("BSL for DownloadRequest cannot be found: backup storage location \"" +
                             backup->spec.storage_location + "\" not found",
                         false);
  }

  std::shared_ptr<storage::BackupStore> store;
  try {
    store = open_store(lookups, *bsl);
  } catch (const std::exception& e) {
    // "Fail to get backup store is due to BSL setting issue or credential issue. It cannot be
    // recovered. No need to retry."
    return lookup_failed("Error getting a backup store: " + std::string(e.what()), false);
  }
  try {
    out.status.download_url = download_url(*store, target);
  } catch (const std::exception& e) {
    return lookup_failed("fail to get Backup metadata file's download URL " + target.kind + "/" + target.name +
                             ", retry later: " + e.what(),
                         true);
  }
  out.status.phase = phase::Processed;
  out.status.expiration = now + download_url_ttl;
  return out;
}

bool download_request_due(const velero::DownloadRequest& request, Timestamp now) {
  // SetupWithManager's downloadRequestPredicate.
  if (!request.status.empty() && request.status.expiration) return *request.status.expiration < now;
  return true;
}

}  // namespace vbackup::requests
