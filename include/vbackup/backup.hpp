// Creating a backup: Velero's backup controller and backupper in one call. The Backup custom
// resource is the request and the answer (design.md): its spec says what to back up, the returned
// copy carries the status Velero would record.
#pragma once

#include "vbackup/archive.hpp"
#include "vbackup/cluster.hpp"
#include "vbackup/discovery.hpp"
#include "vbackup/layout.hpp"
#include "vbackup/location.hpp"
#include "vbackup/operation.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/sealing.hpp"
#include "vbackup/velero_backup.hpp"
#include "vbackup/velero_side_files.hpp"

#include <filesystem>
#include <functional>
#include <memory>
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

// Another object an item brings into the operation (a PVC's PV): Velero's additional items.
struct ItemReference {
  std::string group_resource;  // "persistentvolumes", "customresourcedefinitions.apiextensions.k8s.io"
  std::string namespace_;
  std::string name;
};

// What an item action sees and may change: the in-process replacement for a BackupItemAction plugin.
struct BackupItem {
  ApiResource resource;
  json::object object;                      // may be modified in place
  bool skip = false;                        // set to leave the item out of the backup
  std::vector<ItemReference> additional;    // set to bring more items in (backed up first)

  // {"resource": {"group","version","resource","kind","namespaced"}, "object": {…}}: what the C API
  // and Python item hooks receive.
  json::object to_json() const;
  // Applies a hook's answer {"object": {…}, "skip": bool, "additionalItems": [{"groupResource",
  // "namespace","name"}]} (each key optional; unknown keys are an error naming them).
  void apply_json(const json::object& answer, std::string_view what);
};

// Velero's BackupItemAction: the built-in ones (backup_actions.cpp: velero.io/pv, velero.io/pod,
// velero.io/service-account) and a caller's hook run through this one interface, in that order.
class BackupItemAction {
 public:
  virtual ~BackupItemAction() = default;
  virtual std::string_view name() const = 0;
  virtual bool applies_to(const ApiResource& resource) const = 0;
  // Throws Error to fail the item (recorded as an item error).
  virtual void execute(BackupItem& item) = 0;
};

struct BackupOptions : OperationCallbacks<BackupProgress, velero::Backup> {
  archive::Compression compression = archive::Compression::gzip;
  // Keys of the Backup that Velero does not know ("spec.includedNamespace") are a warning naming
  // the closest known one; with strict_spec they fail validation instead.
  bool strict_spec = false;
  // Called for every item that passed the filters, after the built-in actions, before it is written
  // (the in-process BackupItemAction).
  std::function<void(BackupItem&)> on_item;
  std::string velero_namespace = "velero";
  // Encryption at rest and the checksum manifest (sealing.hpp, issue 16): every backup writes
  // <b>-checksums.json; with recipients its files (all but velero-backup.json) are age files; with a
  // signing key the manifest is signed (<b>-checksums.json.sig).
  sealing::SealOptions seal;
};

// Runs the backup described by `backup` (metadata.name and spec) from `source` into `store` at
// `location` and returns the Backup with its final status: FailedValidation (validationErrors set,
// nothing written), Failed (failureReason set, nothing visible in storage), Completed or
// PartiallyFailed (item errors recorded in the results file). The tarball and side files go up
// first and velero-backup.json last, so no reader sees a backup without its tarball (spec §3.1).
// A callback that cancels throws Error(cancelled) after cleaning up.
//
// Volumes (velero-csi.md §1): a configmap spec.resourcePolicy is read from the Velero namespace
// (its errors are validation errors) and applied: includeExcludePolicy joins the scoped filters,
// volumePolicies decide each volume. On a live cluster serving snapshot.storage.k8s.io, each PVC
// whose volume is to be snapshotted gets a CSI VolumeSnapshot (Velero's class choice, labels and
// annotations, the handle awaited within spec.csiSnapshotTimeout); the backup then waits in-process
// for the snapshots to be ready (phases WaitingForPluginOperations[PartiallyFailed] and
// Finalizing[PartiallyFailed] go through on_record; spec.itemOperationTimeout), writes the final
// VolumeSnapshots and contents into the still-open tarball, deletes them from the cluster keeping the
// storage snapshot (contents set to Retain), and writes <b>-itemoperations.json.gz and
// <b>-volumeinfo.json.gz (velero_volumes.hpp). Velero uploads the tarball twice; here the bucket is
// written once, so a reader never sees a half-finished backup. A failed or cancelled backup deletes
// the VolumeSnapshots it made, storage snapshot included. snapshotMoveData and fs-backup volumes need
// Velero's node agent: those items fail as Velero fails them without one. Manifests only record skips.
struct BackupResult {
  velero::Backup backup;
  Outcome outcome;  // typed: ok, invalid (FailedValidation), already_exists, or the failure's category
};
BackupResult run_backup(velero::Backup backup, ClusterSource& source, storage::BackupStore& store,
                        const storage::Location& location, const BackupOptions& options = {});

// The glue every surface calls (CLI, C API, Python): run_backup against a Cluster (manifests or
// live) and an opened location, keeping the Backup CR current in a live cluster as
// options.record_in_cluster says (CrRecorder: by default when Velero's CRDs are installed), with
// `note` saying why not when it could not. The CR always ends in a terminal phase, also when the
// backup is cancelled or an exception ends it. RecordInCluster::always with a folder of manifests
// is Error(invalid); a name the location already holds is not recorded.
struct BackupRun {
  BackupResult result;
  std::string note;  // the recorder's note, "" when there is nothing to say
};
BackupRun create_backup(Cluster& cluster, OpenedLocation& location, velero::Backup backup, BackupOptions options = {});

// What a delete removed: the objects of the location, and whether the recorded CR went too.
struct DeleteResult {
  std::vector<std::string> objects;  // keys removed from the location
  bool cr_deleted = false;           // the velero.io CR of that name was deleted in the cluster
  std::string note;                  // why the CR may be left (the cluster could not be reached), or ""
};
// delete_backup (persistence.hpp) and, with a live `cluster`, the Backup CR of that name in
// `velero_namespace` (CrRecorder's record), so that the cluster and the bucket agree: the files
// first, then the CR. A name found in only one of them is deleted there; Error(not_found) when
// neither has it. Once the files are deleted, a cluster that cannot be reached or refuses is a
// note, not an error. Without a cluster (nullptr or manifests) it is delete_backup.
DeleteResult delete_backup(storage::BackupStore& store, const std::string& name, Cluster* cluster,
                           const std::string& velero_namespace = "velero");

// What delete_backup and delete_restore share: `delete_files` (the location's objects), then, with a
// live `cluster`, the CR `name` of `plural` ("backups", "restores"; `kind` names it in messages) in
// `velero_namespace`, with the rules above.
DeleteResult delete_with_record(const std::function<std::vector<std::string>()>& delete_files, Cluster* cluster,
                                std::string_view plural, std::string_view kind, const std::string& name,
                                const std::string& velero_namespace);

// "gzip" or "zstd"; anything else is Error(invalid) naming `what` (a flag, an options key).
archive::Compression parse_compression(std::string_view name, std::string_view what);

// Ours: `vbackup.io/compression: zstd` on a Backup whose tarball is zstd. Velero's layout fixes the
// name <b>.tar.gz, which a Velero server reads as gzip; a gzip backup carries no annotation.
inline constexpr std::string_view compression_annotation = "vbackup.io/compression";
// What a Backup records (the annotation; gzip without it).
archive::Compression recorded_compression(const velero::Backup& backup);
// The warning of a zstd backup (in its results, and on the CLI's stderr); "" for gzip.
std::string compression_warning(archive::Compression compression, std::string_view backup_name);

}  // namespace vbackup
