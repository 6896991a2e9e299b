// velero.io/v1 Backup (spec §4.1, §4.2) and velero-backup.json (spec §2.3, §4.8). Conventions: velero.hpp.
#pragma once

#include "vbackup/velero_meta.hpp"

namespace vbackup::velero {

namespace backup_phase {
inline constexpr std::string_view New = "New";
inline constexpr std::string_view Queued = "Queued";              // v1.18+
inline constexpr std::string_view ReadyToStart = "ReadyToStart";  // v1.18+
inline constexpr std::string_view FailedValidation = "FailedValidation";
inline constexpr std::string_view InProgress = "InProgress";
inline constexpr std::string_view WaitingForPluginOperations = "WaitingForPluginOperations";
inline constexpr std::string_view WaitingForPluginOperationsPartiallyFailed =
    "WaitingForPluginOperationsPartiallyFailed";
inline constexpr std::string_view Finalizing = "Finalizing";
inline constexpr std::string_view FinalizingPartiallyFailed = "FinalizingPartiallyFailed";
inline constexpr std::string_view Completed = "Completed";
inline constexpr std::string_view PartiallyFailed = "PartiallyFailed";
inline constexpr std::string_view Failed = "Failed";
inline constexpr std::string_view Deleting = "Deleting";
}  // namespace backup_phase

// BackupSpec.metadata: the label template of schedule-created backups. Always written ({}).
struct Metadata {
  StringMap labels;
  json::object extra;
};

struct BackupSpec {
  Metadata metadata;
  std::vector<std::string> included_namespaces, excluded_namespaces;
  std::vector<std::string> included_resources, excluded_resources;  // "old" filters
  std::vector<std::string> included_cluster_scoped_resources, excluded_cluster_scoped_resources;
  std::vector<std::string> included_namespace_scoped_resources, excluded_namespace_scoped_resources;
  std::optional<json::value> label_selector;  // metav1.LabelSelector
  json::array or_label_selectors;             // []*metav1.LabelSelector; empty = absent
  std::optional<bool> snapshot_volumes;
  std::chrono::nanoseconds ttl{0};  // always written; 0 → server default (default_backup_ttl)
  std::string volume_group_snapshot_label_key;
  std::optional<bool> include_cluster_resources;
  json::object hooks;  // BackupHooks {resources: [...]}; always written ({})
  std::string storage_location;
  std::vector<std::string> volume_snapshot_locations;
  std::optional<bool> default_volumes_to_restic;  // deprecated
  std::optional<bool> default_volumes_to_fs_backup;
  StringMap ordered_resources;
  std::chrono::nanoseconds csi_snapshot_timeout{0};    // always written
  std::chrono::nanoseconds item_operation_timeout{0};  // always written
  std::optional<TypedLocalObjectReference> resource_policy;
  std::optional<bool> snapshot_move_data;
  std::string datamover;
  std::optional<json::value> uploader_config;  // {parallelFilesUpload}
  json::object extra;

  static BackupSpec from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

struct BackupProgress {
  std::int64_t total_items = 0, items_backed_up = 0;
  json::object extra;
};

// Every field is omitempty; `status` itself is always written ({}).
struct BackupStatus {
  std::int64_t version = 0;    // deprecated, 1
  std::string format_version;  // backup_format_version
  std::optional<Timestamp> expiration;
  std::string phase;  // backup_phase; "" == New
  std::int64_t queue_position = 0;  // v1.18+
  std::vector<std::string> validation_errors;
  std::optional<Timestamp> start_timestamp, completion_timestamp;
  std::int64_t volume_snapshots_attempted = 0, volume_snapshots_completed = 0;
  std::string failure_reason;
  std::int64_t warnings = 0, errors = 0;
  std::optional<BackupProgress> progress;
  std::int64_t csi_volume_snapshots_attempted = 0, csi_volume_snapshots_completed = 0;
  std::int64_t backup_item_operations_attempted = 0, backup_item_operations_completed = 0,
               backup_item_operations_failed = 0;
  std::optional<HookStatus> hook_status;
  json::object extra;

  static BackupStatus from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

struct Backup {
  ObjectMeta metadata;
  BackupSpec spec;
  BackupStatus status;
  json::object extra;  // unknown top-level keys

  // kind and apiVersion may be absent (a spec handed over the C API); if present they must be
  // "Backup" and "velero.io/v1". to_json() always writes them.
  static Backup from_json(const json::object& o, std::string_view what);
  json::object to_json() const;
};

// velero-backup.json exactly as Velero writes it: MarshalIndent with two spaces, no trailing newline.
std::string write_backup_json(const Backup& backup);
// GetBackupMetadata: apiVersion velero.io/v1 and kind Backup are required; `what` names the input.
Backup read_backup_json(std::string_view text, std::string_view what);

}  // namespace vbackup::velero
