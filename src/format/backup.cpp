// Backup ⇄ JSON. Field order and omitempty: pkg/apis/velero/v1/backup_types.go (BackupSpec, BackupStatus,
// BackupProgress, HookStatus); spec §4.1, §4.2 and the §4.8 example for the fields added after v1.15
// (volumeGroupSnapshotLabelKey after ttl, queuePosition after phase).
#include "vbackup/velero_backup.hpp"

#include "format/fields.hpp"
#include "format/resource.hpp"

namespace vbackup::velero {

using detail::Reader;

BackupSpec BackupSpec::from_json(const json::object& o, std::string_view what, std::string_view path) {
  Reader r(o, what, path);
  BackupSpec s;
  if (const json::object* md = r.object("metadata")) {
    Reader mr(*md, what, r.path("metadata"));
    s.metadata.labels = mr.string_map("labels");
    s.metadata.extra = mr.rest();
  }
  s.included_namespaces = r.strings("includedNamespaces");
  s.excluded_namespaces = r.strings("excludedNamespaces");
  s.included_resources = r.strings("includedResources");
  s.excluded_resources = r.strings("excludedResources");
  s.included_cluster_scoped_resources = r.strings("includedClusterScopedResources");
  s.excluded_cluster_scoped_resources = r.strings("excludedClusterScopedResources");
  s.included_namespace_scoped_resources = r.strings("includedNamespaceScopedResources");
  s.excluded_namespace_scoped_resources = r.strings("excludedNamespaceScopedResources");
  s.label_selector = detail::optional_object(r, "labelSelector");
  s.or_label_selectors = detail::object_list(r, "orLabelSelectors");
  s.snapshot_volumes = r.optional_bool("snapshotVolumes");
  s.ttl = r.duration("ttl");
  s.volume_group_snapshot_label_key = r.string("volumeGroupSnapshotLabelKey");
  s.include_cluster_resources = r.optional_bool("includeClusterResources");
  if (const json::object* hooks = r.object("hooks")) s.hooks = *hooks;
  s.storage_location = r.string("storageLocation");
  s.volume_snapshot_locations = r.strings("volumeSnapshotLocations");
  s.default_volumes_to_restic = r.optional_bool("defaultVolumesToRestic");
  s.default_volumes_to_fs_backup = r.optional_bool("defaultVolumesToFsBackup");
  s.ordered_resources = r.string_map("orderedResources");
  s.csi_snapshot_timeout = r.duration("csiSnapshotTimeout");
  s.item_operation_timeout = r.duration("itemOperationTimeout");
  if (const json::object* p = r.object("resourcePolicy")) {
    s.resource_policy = TypedLocalObjectReference::from_json(*p, what, r.path("resourcePolicy"));
  }
  s.snapshot_move_data = r.optional_bool("snapshotMoveData");
  s.datamover = r.string("datamover");
  s.uploader_config = detail::optional_object(r, "uploaderConfig");
  s.extra = r.rest();
  return s;
}

json::object BackupSpec::to_json() const {
  using namespace detail;
  json::object o;
  json::object md;  // embedded struct: always written, {} when empty
  put_string_map(md, "labels", metadata.labels);
  put_extra(md, metadata.extra);
  o["metadata"] = std::move(md);
  put_strings(o, "includedNamespaces", included_namespaces);
  put_strings(o, "excludedNamespaces", excluded_namespaces);
  put_strings(o, "includedResources", included_resources);
  put_strings(o, "excludedResources", excluded_resources);
  put_strings(o, "includedClusterScopedResources", included_cluster_scoped_resources);
  put_strings(o, "excludedClusterScopedResources", excluded_cluster_scoped_resources);
  put_strings(o, "includedNamespaceScopedResources", included_namespace_scoped_resources);
  put_strings(o, "excludedNamespaceScopedResources", excluded_namespace_scoped_resources);
  put_raw(o, "labelSelector", label_selector);
  put_array(o, "orLabelSelectors", or_label_selectors);
  put_optional_bool(o, "snapshotVolumes", snapshot_volumes);
  put_duration(o, "ttl", ttl);
  put_string(o, "volumeGroupSnapshotLabelKey", volume_group_snapshot_label_key);
  put_optional_bool(o, "includeClusterResources", include_cluster_resources);
  o["hooks"] = hooks;  // struct BackupHooks: always written
  put_string(o, "storageLocation", storage_location);
  put_strings(o, "volumeSnapshotLocations", volume_snapshot_locations);
  put_optional_bool(o, "defaultVolumesToRestic", default_volumes_to_restic);
  put_optional_bool(o, "defaultVolumesToFsBackup", default_volumes_to_fs_backup);
  put_string_map(o, "orderedResources", ordered_resources);
  put_duration(o, "csiSnapshotTimeout", csi_snapshot_timeout);
  put_duration(o, "itemOperationTimeout", item_operation_timeout);
  if (resource_policy) o["resourcePolicy"] = resource_policy->to_json();
  put_optional_bool(o, "snapshotMoveData", snapshot_move_data);
  put_string(o, "datamover", datamover);
  put_raw(o, "uploaderConfig", uploader_config);
  put_extra(o, extra);
  return o;
}

BackupStatus BackupStatus::from_json(const json::object& o, std::string_view what, std::string_view path) {
  Reader r(o, what, path);
  BackupStatus s;
  s.version = r.integer("version");
  s.format_version = r.string("formatVersion");
  s.expiration = r.time("expiration");
  s.phase = r.string("phase");
  s.queue_position = r.integer("queuePosition");
  s.validation_errors = r.strings("validationErrors");
  s.start_timestamp = r.time("startTimestamp");
  s.completion_timestamp = r.time("completionTimestamp");
  s.volume_snapshots_attempted = r.integer("volumeSnapshotsAttempted");
  s.volume_snapshots_completed = r.integer("volumeSnapshotsCompleted");
  s.failure_reason = r.string("failureReason");
  s.warnings = r.integer("warnings");
  s.errors = r.integer("errors");
  if (const json::object* p = r.object("progress")) {
    Reader pr(*p, what, r.path("progress"));
    BackupProgress progress;
    progress.total_items = pr.integer("totalItems");
    progress.items_backed_up = pr.integer("itemsBackedUp");
    progress.extra = pr.rest();
    s.progress = std::move(progress);
  }
  s.csi_volume_snapshots_attempted = r.integer("csiVolumeSnapshotsAttempted");
  s.csi_volume_snapshots_completed = r.integer("csiVolumeSnapshotsCompleted");
  s.backup_item_operations_attempted = r.integer("backupItemOperationsAttempted");
  s.backup_item_operations_completed = r.integer("backupItemOperationsCompleted");
  s.backup_item_operations_failed = r.integer("backupItemOperationsFailed");
  if (const json::object* h = r.object("hookStatus")) {
    s.hook_status = HookStatus::from_json(*h, what, r.path("hookStatus"));
  }
  s.extra = r.rest();
  return s;
}

json::object BackupStatus::to_json() const {
  using namespace detail;
  json::object o;
  put_int(o, "version", version);
  put_string(o, "formatVersion", format_version);
  put_time(o, "expiration", expiration);
  put_string(o, "phase", phase);
  put_int(o, "queuePosition", queue_position);
  put_strings(o, "validationErrors", validation_errors);
  put_time(o, "startTimestamp", start_timestamp);
  put_time(o, "completionTimestamp", completion_timestamp);
  put_int(o, "volumeSnapshotsAttempted", volume_snapshots_attempted);
  put_int(o, "volumeSnapshotsCompleted", volume_snapshots_completed);
  put_string(o, "failureReason", failure_reason);
  put_int(o, "warnings", warnings);
  put_int(o, "errors", errors);
  if (progress) {
    json::object p;
    put_int(p, "totalItems", progress->total_items);
    put_int(p, "itemsBackedUp", progress->items_backed_up);
    put_extra(p, progress->extra);
    o["progress"] = std::move(p);
  }
  put_int(o, "csiVolumeSnapshotsAttempted", csi_volume_snapshots_attempted);
  put_int(o, "csiVolumeSnapshotsCompleted", csi_volume_snapshots_completed);
  put_int(o, "backupItemOperationsAttempted", backup_item_operations_attempted);
  put_int(o, "backupItemOperationsCompleted", backup_item_operations_completed);
  put_int(o, "backupItemOperationsFailed", backup_item_operations_failed);
  if (hook_status) o["hookStatus"] = hook_status->to_json();
  put_extra(o, extra);
  return o;
}

Backup Backup::from_json(const json::object& o, std::string_view what) {
  return detail::read_resource<Backup, BackupSpec, BackupStatus>(o, "Backup", what, false);
}

json::object Backup::to_json() const { return detail::write_resource("Backup", *this); }

std::string write_backup_json(const Backup& backup) {
  return json::marshal(backup.to_json(), {.sort_keys = false, .indent = 2});
}

Backup read_backup_json(std::string_view text, std::string_view what) {
  json::value v = json::parse(text, what);
  const json::object& o = detail::expect_object(v, what, {});
  return detail::read_resource<Backup, BackupSpec, BackupStatus>(o, "Backup", what, true);
}

}  // namespace vbackup::velero
