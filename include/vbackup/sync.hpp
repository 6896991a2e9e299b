// The bucket as the source of truth (spec §3.1, §2.2): Velero's backup sync controller
// (pkg/controller/backup_sync_controller.go) and the BackupStorageLocation controller
// (backup_storage_location_controller.go) as library calls over one live cluster: backups found in
// a location are created as Backup CRs, Backups whose data left it are deleted, and a location is
// validated and its status kept. Credentials come from the Secret a BSL names (spec.credential).
#pragma once

#include "vbackup/location.hpp"
#include "vbackup/sealing.hpp"
#include "vbackup/time.hpp"
#include "vbackup/velero.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup {

namespace kube {
class KubeClient;
}
class Cluster;

// velero server's defaults: --backup-sync-period and --store-validation-frequency.
inline constexpr std::chrono::nanoseconds default_backup_sync_period = std::chrono::minutes(1);
inline constexpr std::chrono::nanoseconds default_validation_frequency = std::chrono::minutes(1);

// ---- locations in the cluster -------------------------------------------------------------------

// The BackupStorageLocations of `velero_namespace`, in the API server's order. Error(unsupported)
// when the cluster serves no velero.io BackupStorageLocation (Velero's CRDs are not installed).
std::vector<velero::BackupStorageLocation> list_locations(kube::KubeClient& client, const std::string& velero_namespace);
// One of them; nullopt when absent.
std::optional<velero::BackupStorageLocation> get_location(kube::KubeClient& client, const std::string& velero_namespace,
                                                          const std::string& name);

// Velero's credentials store (internal/credentials, util/kube GetSecretKey) for LocationOptions::
// secret_key: data[key] of the Secret in `velero_namespace`. Error(not_found) "secret \"x\" not found
// in namespace velero" or "\"x\" secret is missing data for key \"k\"" (Velero's words).
std::function<std::string(const velero::SecretKeySelector&)> secret_key_reader(kube::KubeClient& client,
                                                                               std::string velero_namespace);

// The BSL a user names for a cluster operation: a name (the cluster's BSL CR in the Velero
// namespace first, then the locations file), "" for the default one (spec.default), BSL JSON/YAML
// text or a file of it, or a URL (a BSL named after storage::Location::name, "default").
velero::BackupStorageLocation resolve_location(kube::KubeClient& client, std::string_view location,
                                               const std::string& velero_namespace, const LocationOptions& options = {});
// A BSL's store, with spec.credential read from the cluster (secret_key_reader).
OpenedLocation open_bsl(kube::KubeClient& client, const velero::BackupStorageLocation& bsl,
                        const std::string& velero_namespace, LocationOptions options = {});

// ---- validation (spec §2.2) -------------------------------------------------------------------

// storage.IsReadyToValidate: never validated → due (even with frequency 0); spec.validationFrequency
// (else `server_frequency`; negative → server_frequency) of 0 → never again; else when now ≥
// lastValidationTime + frequency.
bool validation_due(const velero::BackupStorageLocation& bsl, Timestamp now,
                    std::chrono::nanoseconds server_frequency = default_validation_frequency);

// The BSL controller's validation: spec checks (caCert and caCertRef both set), opening the store
// (credentials from the cluster when `client` is given) and the store's validation (spec §2.2
// top-level directories, the bucket reachable). Returns the status to write: phase Available with
// message "" or Unavailable with "BackupStorageLocation \"<name>\" is unavailable: <why>", and
// lastValidationTime = now. Never throws for a location problem: that is what Unavailable says.
velero::BackupStorageLocationStatus validate_location(const velero::BackupStorageLocation& bsl, kube::KubeClient* client,
                                                      const std::string& velero_namespace, Timestamp now,
                                                      const LocationOptions& options = {});
// The merge patch of those status fields ({"status": {"phase", "message" (null when empty),
// "lastValidationTime"}}), as Velero's MergeFrom(original) patch carries them.
json::object location_status_patch(const velero::BackupStorageLocationStatus& status);
// Writes status fields of the BSL `name`: through .../status when the CRD has the status
// subresource, else a merge patch of the object (Velero's CRD has none).
void patch_location_status(kube::KubeClient& client, const std::string& velero_namespace, const std::string& name,
                           const json::object& status_fields);

// ---- the default location ------------------------------------------------------------------

// ensureSingleDefaultBSL: with several spec.default BSLs, the one created last stays default and
// the others are updated to default: false; returns the names unset. A server's
// --default-backup-storage-location: set_default_location makes that BSL the default (false when
// it already was); Error(not_found) when absent (Velero warns and goes on).
std::vector<std::string> ensure_single_default(kube::KubeClient& client, const std::string& velero_namespace);
bool set_default_location(kube::KubeClient& client, const std::string& velero_namespace, const std::string& name);

// ---- sync (spec §3.1) ---------------------------------------------------------------------------

// locationFilterFunc: spec.backupSyncPeriod (else `server_period`; negative → server_period) of 0
// never syncs; never synced → due; else when now ≥ lastSyncedTime + period.
bool sync_due(const velero::BackupStorageLocation& bsl, Timestamp now,
              std::chrono::nanoseconds server_period = default_backup_sync_period);

struct SyncOptions {
  std::string velero_namespace = "velero";
  // Velero syncs only a BSL whose status.phase is Available (veleroutil.BSLIsAvailable); a server
  // sets this. A direct call syncs any location but an Unavailable one.
  bool require_available = false;
  // Write status.lastSyncedTime on the BSL CR of that name, when the cluster has one.
  bool update_location = true;
  std::function<Timestamp()> now;                                             // the clock; tests pin it
  std::function<void(std::string_view level, std::string_view line)> on_log;  // "info", "warning", "error"
  // Ours (issue 16): verify each backup against its checksum manifest before it is synced
  // (sealing::verify_backup, with `seal`'s identities and signers); one that fails is not synced and
  // is in `skipped` with the first problem. A backup without a manifest is synced, with the warning.
  bool verify = false;
  sealing::OpenOptions seal;
};

struct SyncSkip {
  std::string backup, reason;
};

// What one sync did. Not synced (and said so, in skipped): a corrupt velero-backup.json (a warning
// naming the folder), a phase Velero does not sync (New, InProgress, FailedValidation, …; a
// Finalizing/WaitingForPluginOperations backup until it expires), a Backup of that name created
// meanwhile. PodVolumeBackups are not synced: this library makes none and serves no such CRD
// (Velero creates those listed in <b>-podvolumebackups.json.gz); a non-empty list is a warning.
struct SyncResult {
  std::string location;                  // the BSL's name
  std::vector<std::string> created;      // Backup CRs created from the bucket
  std::vector<std::string> deleted;      // orphaned Backups deleted
  std::vector<SyncSkip> skipped;
  std::vector<std::string> errors;       // what failed (the loop went on)
  std::vector<std::string> warnings;
  std::optional<Timestamp> last_synced_time;  // written to the BSL CR (unset: none, or sync not run)
  bool ran = true;                            // false: the location was Unavailable (require_available)
  // {"location", "created", "deleted", "skipped": [{"backup","reason"}], "errors", "warnings", "lastSyncedTime"}
  json::object to_json() const;
};

// One pass of the backup sync controller for `bsl`, whose objects `store` holds:
//  - every backup in the bucket (a backups/<b>/ folder with velero-backup.json) without a Backup of
//    that name in the Velero namespace is created with its stored status: hooks dropped, namespace
//    set, resourceVersion (and the uid, creationTimestamp and managedFields an API server assigns)
//    cleared, spec.storageLocation and the velero.io/storage-location label set to this BSL, owner
//    references to a missing Schedule (or one of another uid) removed; with the status subresource
//    the status is written through .../status;
//  - Backups labelled with this location, phase Completed or PartiallyFailed, whose folder left
//    the bucket, are deleted (nothing is deleted when the bucket cannot be listed);
//  - status.lastSyncedTime = now on the BSL CR.
// Error(storage) when the bucket cannot be listed, Error(unsupported) without Velero's Backup CRD;
// anything else about one backup is in the result and the loop goes on.
SyncResult sync_once(kube::KubeClient& client, const velero::BackupStorageLocation& bsl, storage::BackupStore& store,
                     const SyncOptions& options = {});
// backupSyncSourceOrderFunc: the default location first, the others in list order.
std::vector<velero::BackupStorageLocation> sync_order(std::vector<velero::BackupStorageLocation> locations);

// What a server's periodic tick does (the enqueue source's predicate, then Reconcile): every BSL of
// the Velero namespace in sync_order whose sync_due(…, `server_period`) holds is synced with
// options (require_available as Velero: set it); a location that cannot be opened gives a result
// with the error. One result per location considered.
std::vector<SyncResult> sync_due_locations(kube::KubeClient& client, const SyncOptions& options,
                                           std::chrono::nanoseconds server_period = default_backup_sync_period,
                                           const LocationOptions& location_options = {});

// The surfaces' glue: resolve_location + open_bsl + sync_once on a live cluster (Error(unsupported)
// for manifests).
SyncResult sync_location(Cluster& cluster, std::string_view location, const SyncOptions& options = {},
                         const LocationOptions& location_options = {});

}  // namespace vbackup
