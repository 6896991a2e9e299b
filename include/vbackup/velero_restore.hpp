// velero.io/v1 Restore (spec §4.3). Conventions: velero.hpp.
#pragma once

#include "vbackup/velero_meta.hpp"

namespace vbackup::velero {

namespace restore_phase {
inline constexpr std::string_view New = "New";
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
}  // namespace restore_phase

// spec.existingResourcePolicy values; anything else fails validation.
namespace existing_resource_policy {
inline constexpr std::string_view none = "none";
inline constexpr std::string_view update = "update";
}  // namespace existing_resource_policy

// spec.restoreStatus: which resources get their status restored (absent = none).
struct RestoreStatusSpec {
  std::vector<std::string> included_resources, excluded_resources;
  json::object extra;
};

struct RestoreSpec {
  std::string backup_name;  // always written, even empty
  std::string schedule_name;
  std::vector<std::string> included_namespaces, excluded_namespaces;
  std::vector<std::string> included_resources, excluded_resources;
  StringMap namespace_mapping;
  std::optional<json::value> label_selector;
  json::array or_label_selectors;
  std::optional<bool> restore_pvs;  // nil = yes
  std::optional<RestoreStatusSpec> restore_status;
  std::optional<bool> preserve_node_ports;
  std::optional<bool> include_cluster_resources;
  json::object hooks;  // RestoreHooks {resources: [...]}; always written ({})
  std::string existing_resource_policy;
  std::chrono::nanoseconds item_operation_timeout{0};  // always written
  std::optional<TypedLocalObjectReference> resource_modifier;
  std::optional<json::value> uploader_config;  // {writeSparseFiles, parallelFilesDownload}
  json::object extra;

  static RestoreSpec from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

struct RestoreProgress {
  std::int64_t total_items = 0, items_restored = 0;
  json::object extra;
};

struct RestoreStatus {
  std::string phase;
  std::vector<std::string> validation_errors;
  std::int64_t warnings = 0, errors = 0;
  std::string failure_reason;
  std::optional<Timestamp> start_timestamp, completion_timestamp;
  std::optional<RestoreProgress> progress;
  std::int64_t restore_item_operations_attempted = 0, restore_item_operations_completed = 0,
               restore_item_operations_failed = 0;
  std::optional<HookStatus> hook_status;
  json::object extra;

  static RestoreStatus from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

struct Restore {
  ObjectMeta metadata;
  RestoreSpec spec;
  RestoreStatus status;
  json::object extra;

  static Restore from_json(const json::object& o, std::string_view what);  // kind "Restore" if present
  json::object to_json() const;
};

}  // namespace vbackup::velero
