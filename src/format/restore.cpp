// Restore ⇄ JSON. Field order and omitempty: pkg/apis/velero/v1/restore_types.go (RestoreSpec,
// RestoreStatusSpec, RestoreStatus, RestoreProgress); spec §4.3.
#include "vbackup/velero_restore.hpp"

#include "format/fields.hpp"
#include "format/resource.hpp"

namespace vbackup::velero {

using detail::Reader;

RestoreSpec RestoreSpec::from_json(const json::object& o, std::string_view what, std::string_view path) {
  Reader r(o, what, path);
  RestoreSpec s;
  s.backup_name = r.string("backupName");
  s.schedule_name = r.string("scheduleName");
  s.included_namespaces = r.strings("includedNamespaces");
  s.excluded_namespaces = r.strings("excludedNamespaces");
  s.included_resources = r.strings("includedResources");
  s.excluded_resources = r.strings("excludedResources");
  s.namespace_mapping = r.string_map("namespaceMapping");
  s.label_selector = detail::optional_object(r, "labelSelector");
  s.or_label_selectors = detail::object_list(r, "orLabelSelectors");
  s.restore_pvs = r.optional_bool("restorePVs");
  if (const json::object* rs = r.object("restoreStatus")) {
    Reader sr(*rs, what, r.path("restoreStatus"));
    RestoreStatusSpec status_spec;
    status_spec.included_resources = sr.strings("includedResources");
    status_spec.excluded_resources = sr.strings("excludedResources");
    status_spec.extra = sr.rest();
    s.restore_status = std::move(status_spec);
  }
  s.preserve_node_ports = r.optional_bool("preserveNodePorts");
  s.include_cluster_resources = r.optional_bool("includeClusterResources");
  if (const json::object* hooks = r.object("hooks")) s.hooks = *hooks;
  s.existing_resource_policy = r.string("existingResourcePolicy");
  s.item_operation_timeout = r.duration("itemOperationTimeout");
  if (const json::object* m = r.object("resourceModifier")) {
    s.resource_modifier = TypedLocalObjectReference::from_json(*m, what, r.path("resourceModifier"));
  }
  s.uploader_config = detail::optional_object(r, "uploaderConfig");
  s.extra = r.rest();
  return s;
}

json::object RestoreSpec::to_json() const {
  using namespace detail;
  json::object o;
  o["backupName"] = backup_name;  // no omitempty
  put_string(o, "scheduleName", schedule_name);
  put_strings(o, "includedNamespaces", included_namespaces);
  put_strings(o, "excludedNamespaces", excluded_namespaces);
  put_strings(o, "includedResources", included_resources);
  put_strings(o, "excludedResources", excluded_resources);
  put_string_map(o, "namespaceMapping", namespace_mapping);
  put_raw(o, "labelSelector", label_selector);
  put_array(o, "orLabelSelectors", or_label_selectors);
  put_optional_bool(o, "restorePVs", restore_pvs);
  if (restore_status) {
    json::object rs;
    put_strings(rs, "includedResources", restore_status->included_resources);
    put_strings(rs, "excludedResources", restore_status->excluded_resources);
    put_extra(rs, restore_status->extra);
    o["restoreStatus"] = std::move(rs);
  }
  put_optional_bool(o, "preserveNodePorts", preserve_node_ports);
  put_optional_bool(o, "includeClusterResources", include_cluster_resources);
  o["hooks"] = hooks;  // struct RestoreHooks: always written
  put_string(o, "existingResourcePolicy", existing_resource_policy);
  put_duration(o, "itemOperationTimeout", item_operation_timeout);
  if (resource_modifier) o["resourceModifier"] = resource_modifier->to_json();
  put_raw(o, "uploaderConfig", uploader_config);
  put_extra(o, extra);
  return o;
}

RestoreStatus RestoreStatus::from_json(const json::object& o, std::string_view what, std::string_view path) {
  Reader r(o, what, path);
  RestoreStatus s;
  s.phase = r.string("phase");
  s.validation_errors = r.strings("validationErrors");
  s.warnings = r.integer("warnings");
  s.errors = r.integer("errors");
  s.failure_reason = r.string("failureReason");
  s.start_timestamp = r.time("startTimestamp");
  s.completion_timestamp = r.time("completionTimestamp");
  if (const json::object* p = r.object("progress")) {
    Reader pr(*p, what, r.path("progress"));
    RestoreProgress progress;
    progress.total_items = pr.integer("totalItems");
    progress.items_restored = pr.integer("itemsRestored");
    progress.extra = pr.rest();
    s.progress = std::move(progress);
  }
  s.restore_item_operations_attempted = r.integer("restoreItemOperationsAttempted");
  s.restore_item_operations_completed = r.integer("restoreItemOperationsCompleted");
  s.restore_item_operations_failed = r.integer("restoreItemOperationsFailed");
  if (const json::object* h = r.object("hookStatus")) {
    s.hook_status = HookStatus::from_json(*h, what, r.path("hookStatus"));
  }
  s.extra = r.rest();
  return s;
}

json::object RestoreStatus::to_json() const {
  using namespace detail;
  json::object o;
  put_string(o, "phase", phase);
  put_strings(o, "validationErrors", validation_errors);
  put_int(o, "warnings", warnings);
  put_int(o, "errors", errors);
  put_string(o, "failureReason", failure_reason);
  put_time(o, "startTimestamp", start_timestamp);
  put_time(o, "completionTimestamp", completion_timestamp);
  if (progress) {
    json::object p;
    put_int(p, "totalItems", progress->total_items);
    put_int(p, "itemsRestored", progress->items_restored);
    put_extra(p, progress->extra);
    o["progress"] = std::move(p);
  }
  put_int(o, "restoreItemOperationsAttempted", restore_item_operations_attempted);
  put_int(o, "restoreItemOperationsCompleted", restore_item_operations_completed);
  put_int(o, "restoreItemOperationsFailed", restore_item_operations_failed);
  if (hook_status) o["hookStatus"] = hook_status->to_json();
  put_extra(o, extra);
  return o;
}

Restore Restore::from_json(const json::object& o, std::string_view what) {
  return detail::read_resource<Restore, RestoreSpec, RestoreStatus>(o, "Restore", what, false);
}

json::object Restore::to_json() const { return detail::write_resource("Restore", *this); }

}  // namespace vbackup::velero
