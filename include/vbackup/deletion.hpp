// Expiry and deletion (spec §3.2, §3.3): Velero's garbage collection (pkg/controller/gc_controller.go)
// turns expired Backups into DeleteBackupRequests, and the backup deletion controller
// (pkg/controller/backup_deletion_controller.go) carries a DeleteBackupRequest out: the objects under
// backups/<b>/, the restores of that backup and their files, the Backup CR, then the requests of
// that backup. Both act on the velero.io/v1 custom resources of one namespace of a cluster.
#pragma once

#include "vbackup/json.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/layout.hpp"
#include "vbackup/time.hpp"
#include "vbackup/velero_backup.hpp"
#include "vbackup/velero_delete_backup_request.hpp"
#include "vbackup/velero_location.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::deletion {

// Values of the velero.io/gc-failure label GC puts on a Backup it cannot collect (gc_controller.go).
namespace gc_failure {
inline constexpr std::string_view BSLNotFound = "BSLNotFound";
inline constexpr std::string_view BSLCannotGet = "BSLCannotGet";
inline constexpr std::string_view BSLUnavailable = "BSLUnavailable";
inline constexpr std::string_view BSLReadOnly = "BSLReadOnly";
}  // namespace gc_failure

// Velero's deleteBackupRequestMaxAge: a Processed or InProgress request older than this is deleted.
inline constexpr std::chrono::hours delete_backup_request_max_age{24};
// Velero's defaultGCFrequency (the server's --garbage-collection-frequency default).
inline constexpr std::chrono::minutes default_gc_frequency{60};

// ---- garbage collection ------------------------------------------------------------------------

// What GC found when it looked up the Backup's spec.storageLocation in the Backup's namespace.
struct GcLocation {
  std::optional<velero::BackupStorageLocation> location;  // nullopt: not found, or the GET failed
  bool cannot_get = false;  // the GET failed for another reason than NotFound
};

enum class GcAction {
  none,             // not expired (status.expiration unset or not before now)
  label_failure,    // expired but the location forbids it: set velero.io/gc-failure = failure
  request_deletion, // expired: create a DeleteBackupRequest unless one is pending
};

struct GcDecision {
  GcAction action = GcAction::none;
  std::string failure;             // the gc-failure value for label_failure
  std::string message;             // why, in Velero's log words
};

// gcReconciler.Reconcile's decision, without the cluster: expired when status.expiration is set and
// not after now; then the location: not found → BSLNotFound, not readable → BSLCannotGet,
// status.phase not Available → BSLUnavailable, accessMode ReadOnly → BSLReadOnly; else delete.
GcDecision gc_decide(const velero::Backup& backup, Timestamp now, const GcLocation& location);

// pkg/backup NewDeleteBackupRequest: generateName "<backup>-", labels velero.io/backup-name
// (get_valid_name) and velero.io/backup-uid, spec.backupName; in the backup's namespace.
velero::DeleteBackupRequest make_delete_backup_request(const velero::Backup& backup);

// The label selector of the requests of one backup: "velero.io/backup-name=<valid name>" and, when
// uid is not empty, ",velero.io/backup-uid=<uid>" (NewDeleteBackupRequestListOptions).
std::string delete_backup_request_selector(std::string_view backup_name, std::string_view uid = {});

struct GcOptions {
  std::string namespace_ = "velero";
  bool dry_run = false;               // decide and report, write nothing
  std::optional<Timestamp> now;       // nullopt: the clock
  std::function<void(std::string_view line)> log;  // one line per decision; may be empty
};

// What one GC pass did to one Backup.
struct GcItem {
  std::string backup;
  // "not expired", "requested deletion", "deletion already requested", "gc-failure" (or, with
  // dry_run, what would have been done: the same words).
  std::string action;
  std::string delete_request;  // the name of the request created ("" with dry_run or none)
  std::string gc_failure;      // the label value set, for "gc-failure"
  std::string message;
  json::object to_json() const;  // {"backup", "action", "deleteBackupRequest"?, "gcFailure"?, "message"?}
};

struct GcResult {
  std::vector<GcItem> items;  // one per Backup, in the API server's order
  json::object to_json() const;  // {"dryRun": bool, "items": [...]}
  bool dry_run = false;
};

// One GC reconcile of one Backup: gc_decide, then the label update (set the gc-failure label, or
// remove it once the location allows deletion), the check for a pending request (phase "", New or
// InProgress, selected by name and uid) and the creation of a new one (generateName, retried on
// AlreadyExists as CreateRetryGenerateName does). API failures throw kube::KubeError.
GcItem gc_backup(kube::KubeClient& client, const velero::Backup& backup, const GcOptions& options = {});

// One GC pass over every Backup of options.namespace_ (ours: Velero runs gc_backup on every Backup
// once an hour). Error(unsupported) when the cluster serves no velero.io Backup or
// DeleteBackupRequest CRD. A Backup that fails is reported with action "error" and the pass goes on.
GcResult gc_once(kube::KubeClient& client, const GcOptions& options = {});

// ---- CSI snapshots of a backup (csi §3) ----------------------------------------------------------

// One VolumeSnapshotContent item of a backup's tarball (resources/volumesnapshotcontents.
// snapshot.storage.k8s.io/cluster/<name>.json) labelled velero.io/backup-name=GetValidName(backup):
// the storage snapshot the backup keeps.
struct CsiSnapshotContent {
  std::string name;     // the content's name when it was backed up (snapcontent-<vs uid>)
  std::string handle;   // status.snapshotHandle
  std::string driver;   // spec.driver
  json::object item;    // the item as the tarball holds it
};

// The backup's CSI snapshots, read from its tarball (streamed; only the un-versioned copies, which
// Velero's archive parser reads; a later duplicate wins). Error(not_found) when the backup has no
// tarball, Error(invalid) naming the tarball when it cannot be read as one.
std::vector<CsiSnapshotContent> backup_csi_snapshot_contents(storage::BackupStore& store, const std::string& backup);

struct CsiDeletionOptions {
  // Velero's tempVSCCreateDeleteGap (2 s): the pause between creating the temporary content and
  // deleting it. velero#9700: a snapshot-controller older than 1.33 adds its finalizer only after the
  // content's status sync, and a content deleted before that is never handed to DeleteSnapshot
  // (velero#9699). Tests shorten it.
  std::chrono::milliseconds temporary_content_gap{2000};
  std::function<void(std::string_view line)> log;  // Velero's log lines; may be empty
  // Velero fails the deletion when the tarball cannot be extracted (the DeleteBackupRequest ends
  // Processed with "error invoking delete item actions: …"). false (ours, for deleting what a location
  // holds, a killed backup's half tarball too): the VolumeSnapshots labelled with the backup in the
  // cluster are cleaned up as without a tarball, and `note` says the tarball could not be read.
  bool unreadable_tarball_fails = true;
};

// What deleting a backup's CSI snapshots did.
struct CsiSnapshotDeletion {
  std::vector<CsiSnapshotContent> contents;  // the backup's contents found in the tarball
  bool tarball_found = true;                 // false: the in-cluster VolumeSnapshots were cleaned up instead
  std::vector<std::string> legacy_contents;     // in-cluster contents (≤ v1.15 backups) set to Delete and deleted
  std::vector<std::string> temporary_contents;  // vsc-<uuid4> created with Delete and deleted
  std::vector<std::string> cleaned_volume_snapshots;  // "<ns>/<name>": CleanupVolumeSnapshot (no tarball)
  std::vector<std::string> handles_not_deleted;       // storage snapshots left (no cluster, or a failure)
  // Velero's "error invoking delete item actions: …": the deletion of the backup stops here (the
  // request is Processed with this one error, nothing else is deleted).
  std::string failure;
  // Errors that keep the backup's files and CR (Velero's errs): a tarball that could not be downloaded.
  std::vector<std::string> errors;
  // Without a cluster: "storage snapshots were not deleted …" naming the handles; "" otherwise.
  std::string note;
  bool ok() const { return failure.empty() && errors.empty(); }
  // {"snapshotHandles", "legacyContents", "temporaryContents", "cleanedVolumeSnapshots",
  //  "handlesNotDeleted", "errors", "tarballFound": false, "failure", "note"}, each only when not empty.
  json::object to_json() const;
};

// Velero's backup deletion for CSI snapshots (backup_deletion_controller.go and the DeleteItemAction
// velero.io/csi-volumesnapshotcontent-delete, csi §3), for every content of the backup's tarball
// labelled with the backup: a content of that name still in the cluster with the label (a backup of
// Velero ≤ 1.15) is patched to deletionPolicy Delete and deleted; otherwise a temporary content
// vsc-<uuid4> (Delete, source.snapshotHandle from the tarball, volumeSnapshotRef ns-<uid>/name-<uid>,
// no class) is created, left for options.temporary_content_gap and deleted, so the CSI driver
// deletes the storage snapshot. A handle already gone is no error (velero#9579). Without a tarball,
// the VolumeSnapshots labelled with the backup in the cluster are cleaned up (CleanupVolumeSnapshot:
// their content set to Delete, the snapshot deleted). A backup whose resource list names no
// VolumeSnapshotContent is not downloaded (ours). `client` nullptr (a location without a cluster):
// nothing is deleted, `note` says so and names the handles. Never throws for the cluster's answers.
CsiSnapshotDeletion delete_csi_snapshots(kube::KubeClient* client, storage::BackupStore& store,
                                         const std::string& backup, const CsiDeletionOptions& options = {});

// ---- deletion ----------------------------------------------------------------------------------

struct DeletionOptions {
  std::optional<Timestamp> now;  // nullopt: the clock (the request's age)
  // How long to wait for the Restore CRs of the backup to be gone (Velero: one minute, polled every second).
  std::chrono::milliseconds restore_wait{60000};
  std::function<void(std::string_view line)> log;  // Velero's log lines; may be empty
  // Velero's backupTracker.Contains(ns, name): whether this server is running the backup. Empty: the
  // Backup's phase says (InProgress, WaitingForPluginOperations*, Finalizing*), which is what the
  // tracker holds for a server that marks what a crash left InProgress as Failed on start.
  std::function<bool(const std::string& ns, const std::string& name)> backup_running;
  // The pause of the temporary VolumeSnapshotContent (CsiDeletionOptions::temporary_content_gap).
  std::chrono::milliseconds temporary_content_gap{2000};
};

struct DeletionResult {
  velero::DeleteBackupRequest request;  // as it ended (status.phase Processed and status.errors)
  bool skipped = false;                 // the request was already InProgress or Processed
  bool request_expired = false;         // ... and older than 24 h: deleted
  std::vector<std::string> deleted_objects;   // keys under backups/<b>/
  std::vector<std::string> deleted_restores;  // Restore CRs and restores/<r>/ folders of the backup
  bool backup_cr_deleted = false;
  std::vector<std::string> deleted_requests;  // other DeleteBackupRequests of the backup
  CsiSnapshotDeletion csi_snapshots;          // the backup's CSI snapshots (csi §3)
  bool ok() const { return !skipped && request.status.errors.empty(); }
  json::object to_json() const;
};

// Opens the store of a BackupStorageLocation (location_from_bsl + open_location_store).
using StoreOpener = std::function<std::unique_ptr<storage::BackupStore>(const velero::BackupStorageLocation&)>;

// backupDeletionReconciler.Reconcile for one DeleteBackupRequest that exists in the cluster
// (metadata.namespace and metadata.name; the rest is read from the cluster):
//  * InProgress or Processed: skipped, deleted when older than 24 h;
//  * Processed with one error, in Velero's words, when: spec.backupName is empty ("spec.backupName is
//    required"), the backup runs ("backup is still in progress": phase InProgress, or past it and not
//    terminal, Velero's backup tracker), the Backup CR is absent ("backup not found"), its location is
//    absent ("backup storage location <l> not found"), ReadOnly ("cannot delete backup because backup
//    storage location <l> is currently in read-only mode") or not Available ("... is currently in
//    Unavailable state"); other requests of the backup (by name) are deleted first;
//  * else phase InProgress (with the name and uid labels), the Backup's phase Deleting, then the
//    backup's CSI snapshots (delete_csi_snapshots; its failure ends the request with that one error,
//    its errors keep the files and the CR), the objects under backups/<b>/, the Restore CRs whose
//    spec.backupName is the backup and their restores/<r>/ folders, the Backup CR (only when all
//    before succeeded), phase Processed with status.errors, and, when there were no errors, every
//    request of the backup (name and uid) — this one too.
// `store` is the backup's location; without one it is opened from the BSL (`open`, default
// location_from_bsl + open_location_store). API failures outside the request's own status throw.
DeletionResult process_delete_backup_request(kube::KubeClient& client, storage::BackupStore& store,
                                             const velero::DeleteBackupRequest& request,
                                             const DeletionOptions& options = {});
DeletionResult process_delete_backup_request(kube::KubeClient& client, const velero::DeleteBackupRequest& request,
                                             const DeletionOptions& options = {}, const StoreOpener& open = {});
// The same for the request named `name` in `ns` (Error(not_found) when absent).
DeletionResult process_delete_backup_request(kube::KubeClient& client, const std::string& ns, const std::string& name,
                                             const DeletionOptions& options = {}, const StoreOpener& open = {});

// Every request of `ns` not yet taken (phase "" or New), carried out one by one in the API server's
// order (ours: what a server's controller does as each request arrives, for `vbackup gc --process`
// without a server). API failures throw.
std::vector<DeletionResult> process_delete_backup_requests(kube::KubeClient& client, const std::string& ns,
                                                           const DeletionOptions& options = {},
                                                           const StoreOpener& open = {});

// velero backup delete with a server (pkg/cmd/cli/backup/delete.go): reads the Backup CR `name` in
// `ns` (kube::KubeError NotFound when absent) and creates its DeleteBackupRequest (generateName,
// retried on AlreadyExists); returns the request as created.
velero::DeleteBackupRequest request_backup_deletion(kube::KubeClient& client, const std::string& ns,
                                                    const std::string& name);

}  // namespace vbackup::deletion
