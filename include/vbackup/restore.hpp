// Restoring a backup: Velero's restore controller and restorer in one call, the mirror of
// run_backup. The Restore custom resource is the request and the answer: its spec says what to
// restore from which backup, the returned copy carries the status Velero would record. Beyond
// Velero (each documented where it is done): a dry-run plan that needs no cluster, a diff against a
// cluster, selection by name, dependency-aware order, parallel creation within a priority group,
// an "unchanged" that compares what the backup asks for, and version choice without a feature flag.
#pragma once

#include "vbackup/backup.hpp"
#include "vbackup/cluster.hpp"
#include "vbackup/location.hpp"
#include "vbackup/operation.hpp"
#include "vbackup/velero_restore.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vbackup {

struct RestoreProgress {
  std::int64_t items_restored = 0;  // items decided (created, updated, unchanged, skipped, failed)
  std::int64_t total_items = 0;     // items in the backup's tarball, never below items_restored
  std::string resource;             // group resource being restored
};

// What a restore item hook sees and may change: the in-process RestoreItemAction. It runs after
// Velero's built-in actions and the resource modifiers, before the item goes to the cluster.
struct RestoreItem {
  std::string group_resource;    // as in the archive: "deployments.apps"
  ApiResource resource;          // as the target serves it
  std::string source_namespace;  // "" for cluster-scoped items
  std::string target_namespace;  // after the namespace mapping
  json::object object;           // may be modified in place
  bool skip = false;             // set to leave the item out (recorded skipped)
  std::vector<ItemReference> additional;  // more archived items to restore first (source namespaces)

  // {"groupResource", "resource": {…}, "sourceNamespace", "targetNamespace", "object"}.
  json::object to_json() const;
  // A hook's answer {"object", "skip", "additionalItems"} (each optional, nothing else).
  void apply_json(const json::object& answer, std::string_view what);
};

// What a restore did, or would do, to one object: one line of the plan, the diff and the record.
struct RestorePlanItem {
  std::string group_resource;  // as in the archive
  std::string api_version_kind;  // "apps/v1/Deployment"
  std::string namespace_;      // target namespace ("" for cluster-scoped)
  std::string name;
  // "create", "update", "unchanged", "skip", "fail" in a dry run or a diff;
  // "created", "updated", "unchanged", "skipped", "failed" when applied.
  std::string action;
  std::string reason;  // why skipped or failed, or what an update changes
  std::string diff;    // --diff: a unified diff of what would change ("" otherwise)
  json::object to_json() const;
};

struct RestoreOptions : OperationCallbacks<RestoreProgress, velero::Restore> {
  std::string velero_namespace = "velero";
  // Keys of the Restore that Velero does not know ("spec.includedNamespace") are a warning naming
  // the closest known one; with strict_spec they fail validation instead.
  bool strict_spec = false;
  enum class Mode {
    apply,    // restore into the target
    dry_run,  // decide everything, write nothing (the target may be an offline one)
    diff,     // dry_run against a live target, with a diff for every object that would change
  } mode = Mode::apply;
  // Every object as decided, in restore order (from the restore's workers, one at a time).
  std::function<void(const RestorePlanItem&)> on_plan;
  // The in-process RestoreItemAction.
  std::function<void(RestoreItem&)> on_item;
  // `[namespace/]name` globs (the --include-names shortcut; restore/plan/selection.hpp says how).
  std::vector<std::string> include_names;
  // Resource modifiers (restore §2.10) given as the modifier document or a ConfigMap holding it;
  // spec.resourceModifier instead names a ConfigMap in the Velero namespace of the target.
  std::optional<std::string> resource_modifiers;
  // Restore resource policies (restore §2.4) as the policy document or a ConfigMap holding it;
  // spec.resourcePolicy instead names a ConfigMap in the Velero namespace of the target.
  std::optional<std::string> resource_policy;
  // Velero's --restore-resource-priorities ("" = Velero's defaults).
  std::string restore_resource_priorities;
  // Velero's --max-backup-extraction-size.
  std::uint64_t max_extraction_size = std::uint64_t(16) << 30;
  // Velero's --resource-timeout: how long a created CRD may take to be ready.
  std::chrono::milliseconds resource_timeout = std::chrono::minutes(10);
  // Items of one priority group created at once (1 = one after the other, as Velero does).
  int parallel = 8;
  // Where the tarball is spooled, with its index (and the index's sort runs) and the restored set
  // (default: the system's temporary directory); the files are unlinked at once (issue 17). CLI
  // --spool-dir, C ABI "spoolDir", Python spool_dir=. One that cannot hold them fails the restore.
  std::filesystem::path spool_dir;
  // What the backup is opened with (sealing.hpp, issue 16): identities for an encrypted backup; the
  // backup is checked against its checksum manifest (the tarball while it is spooled) before
  // anything is applied, unless seal.skip_verify; seal.require_signature asks for a signature by
  // seal.allowed_signers.
  sealing::OpenOptions seal;
};

struct RestoreResult {
  velero::Restore restore;
  Outcome outcome;  // ok for Completed / PartiallyFailed; invalid for FailedValidation; else the failure
};

// Runs the restore described by `restore` (metadata.name, spec.backupName) from `store` into `target`
// and returns the Restore with its final status. In Mode::apply the restore's log, results and
// resource list go to restores/<name>/ in the location (restore §2.11), with a record of the Restore
// (restores/<name>/velero-restore.json, ours: Velero keeps it only as a CR) so that `restore get`
// works without a cluster. A dry run or a diff writes nothing anywhere.
RestoreResult run_restore(velero::Restore restore, storage::BackupStore& store, ClusterTarget& target,
                          const RestoreOptions& options = {});

// The glue every surface calls: a dry run with no cluster (cluster null) plans against an offline
// target (an empty cluster: the built-in Kubernetes API plus the backup's CRDs), writing each object
// to `output_dir` when set; otherwise the cluster's target, with the Restore CR kept current there
// as options.record_in_cluster says (create_backup's rules; a dry run or a diff records nothing).
// spec.scheduleName picks the schedule's newest Completed backup.
struct RestoreRun {
  RestoreResult result;
  std::string note;  // the recorder's note, "" when there is nothing to say
};
RestoreRun create_restore(Cluster* cluster, OpenedLocation& location, velero::Restore restore,
                          RestoreOptions options = {}, const std::filesystem::path& output_dir = {});

// Stored restores: persistence.hpp (get_restore, list_restores, describe_restore, restore_logs, delete_restore).
// delete_restore and, with a live `cluster`, the Restore CR of that name in `velero_namespace`, as
// delete_backup (backup.hpp) does for backups. What the restore created stays in the cluster.
DeleteResult delete_restore(storage::BackupStore& store, const std::string& name, Cluster* cluster,
                            const std::string& velero_namespace = "velero");

// The newest Completed backup of a schedule (label velero.io/schedule-name), Error(not_found) naming
// the schedule when there is none (restore §2.11 validation).
std::string latest_backup_of_schedule(storage::BackupStore& store, const std::string& schedule);

}  // namespace vbackup
