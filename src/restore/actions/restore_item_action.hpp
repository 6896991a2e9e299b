// Velero's RestoreItemAction (pkg/plugin/velero/restore_item_action.go) in process, and the built-in v1
// actions of restore §2.5, each doing what pkg/restore/actions/<name>_action.go does at velero-io HEAD.
//
// An action is a pure function of the item, the Restore and a read-only view of the target cluster
// (TargetLookup), so the restore runner can call it against a live cluster or a dry-run view, and tests
// need no server. The runner calls them at restore §2.3 step 8: after reset_metadata_and_status
// (item_rules.hpp), while metadata.namespace is still the source namespace, in the order
// builtin_restore_item_actions() returns them, skipping those whose applies_to() is false for the item's
// group resource, target namespace and current labels.
//
// Deliberately different from Velero:
// * Velero converts the item to its Go type and back (restore §3 item 22): that drops every field the
//   vendored k8s.io/api does not know and adds `creationTimestamp: null`. We edit the JSON in place and
//   keep unknown fields. Where the round trip has a visible effect on the fields an action touches, we
//   reproduce it: a field set to its zero value is removed (omitempty), and a list or map emptied by the
//   action is removed.
// * change-image-name tries its ConfigMap rules in key order (Velero: random map order).
// * init-restore-hook: an annotation hook without a command gets a container without `command` (the
//   image's entrypoint, as Velero's log line says) where Velero indexes an empty string and panics; a
//   generated container name is "velero-restore-init-" + 8 hex digits of SHA-256(restore/ns/pod), stable
//   for one restore, where Velero takes 8 random hex digits.
// * admission-webhook-configuration: an entry of `webhooks` that is not an object is dropped as Velero
//   drops it, with a warning in the output instead of only a log line.
//
// The CSI v2 actions (csi-pvc-restorer, csi-volumesnapshot-restorer, csi-volumesnapshotcontent-restorer,
// csi-volumesnapshotclass-restorer; csi §2) are here too (csi_actions.cpp), always on: Velero runs them
// only with the EnableCSI feature flag (ShouldSkipAction), which every CSI user sets.
//
// velero.io/dataupload skips DataUploads as Velero does, without the DataUploadResult ConfigMap.
// Not here (restore §2.5): the DataDownload path of csi-pvc-restorer (no node agent: csi §6), the
// VolumeGroupSnapshot stubs of csi-volumesnapshot-restorer, and the restore-wait injection of
// velero.io/pod-volume-restore (its strip of stale restore-wait containers is here).
#pragma once

#include "vbackup/json.hpp"
#include "vbackup/velero_backup.hpp"
#include "vbackup/velero_restore.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::restore {

// What actions may read of the target cluster; the runner implements it over the live cluster or a
// dry-run view (which may hold nothing). group_resource as Velero writes it: "serviceaccounts",
// "storageclasses.storage.k8s.io". Actions call it per item as Velero does (the plugin ConfigMaps are
// listed for every item): an implementation over a live cluster should cache. Errors (other than
// not found, which is nullopt / an empty list) are thrown as vbackup::Error and fail the item.
class TargetLookup {
 public:
  virtual ~TargetLookup() = default;
  virtual std::optional<json::object> get(std::string_view group_resource, std::string_view ns,
                                          std::string_view name) = 0;
  // label_selector in Kubernetes' text form ("velero.io/plugin-config,velero.io/change-image-name=RestoreItemAction").
  virtual std::vector<json::object> list(std::string_view group_resource, std::string_view ns,
                                         std::string_view label_selector = {}) = 0;
};

// A TargetLookup that sees an empty cluster (a dry run without a cluster).
class EmptyTarget final : public TargetLookup {
 public:
  std::optional<json::object> get(std::string_view, std::string_view, std::string_view) override { return {}; }
  std::vector<json::object> list(std::string_view, std::string_view, std::string_view) override { return {}; }
};

// Velero's ResourceIdentifier: an additional item, in its *source* namespace ("" when cluster-scoped);
// the runner maps the namespace and restores it from the un-versioned archive path (restore §2.3 step 8).
struct ItemRef {
  std::string group_resource, namespace_, name;
  friend bool operator==(const ItemRef&, const ItemRef&) = default;
};

struct ActionContext {  // one per restore
  const velero::Restore& restore;  // name, spec.namespaceMapping, preserveNodePorts, hooks, ...
  std::string velero_namespace = "velero";  // where plugin ConfigMaps live
  TargetLookup& target;
  // The backup being restored (spec.snapshotMoveData for csi-pvc-restorer); nullptr = unknown, read
  // as a backup without the data mover.
  const velero::Backup* backup = nullptr;
};

struct ActionInput {
  std::string group_resource;  // "pods", "jobs.batch": the archive's resource directory
  std::string source_namespace, target_namespace;  // "" for cluster-scoped items
  json::object item;  // after reset_metadata_and_status and the actions before this one
  const json::object& item_from_backup;  // the archived item, untouched (status included)
};

struct ActionOutput {
  json::object item;
  bool skip_restore = false;
  std::vector<ItemRef> additional_items;
  // Velero's restore.velero.io/must-include-additional-items annotation: the additional items skip the
  // resource, namespace and cluster-scope filters. (take_must_include_annotation in item_rules.hpp reads
  // and strips the annotation for actions that set it the Velero way.)
  bool must_include_additional_items = false;
  std::vector<std::string> warnings;  // things the action dropped or ignored, for the restore's warnings
  // Errors of the restore that do not stop this item (it is still restored as the output says), e.g.
  // a PVC whose moved snapshot data cannot be restored without a node agent (csi §6).
  std::vector<std::string> errors;
};

// Actions hold no state: one list serves every item of a restore, from several threads at once.
class RestoreItemAction {
 public:
  virtual ~RestoreItemAction() = default;
  virtual std::string_view name() const = 0;  // "velero.io/pod"
  // Velero's ResourceSelector, resolved: the group resource as the archive names it, the target
  // namespace, and the item's labels after the metadata reset (nullptr = none).
  virtual bool applies_to(std::string_view group_resource, std::string_view ns, const json::object* labels) const = 0;
  // Throws vbackup::Error (the item fails with "error preparing <id>: <message>", restore §2.3 step 8).
  virtual ActionOutput execute(const ActionContext& context, ActionInput input) const = 0;
};

// Velero's built-in v1 actions in Velero's execution order (alphabetical by name, restore §2.5):
// add-pvc-from-pod, admission-webhook-configuration, apiservice, change-image-name,
// change-storage-class, cluster-role-bindings, crd-preserve-fields, csi-pvc-restorer,
// csi-volumesnapshot-restorer, csi-volumesnapshotclass-restorer, csi-volumesnapshotcontent-restorer,
// dataupload, init-restore-hook, job, pod, pod-volume-restore, pvc, role-bindings, secret, service, service-account
// (all "velero.io/...").
std::vector<std::unique_ptr<RestoreItemAction>> builtin_restore_item_actions();

// Runs every action of `actions` that applies to the input, in order, as restore §2.3 step 8 does: each
// action sees the previous one's item; the first skip_restore ends the run; the annotation
// restore.velero.io/must-include-additional-items is taken off each output (take_must_include_annotation)
// and counts as must_include_additional_items. Velero restores an action's
// additional items before the next action runs; `additional` keeps them per action, in order, so a
// runner can do the same or restore them all after the item. Errors propagate.
struct ActionRun {
  json::object item;
  bool skip_restore = false;
  std::string skipped_by;  // the action that set skip_restore
  struct Additional {
    std::string action;
    std::vector<ItemRef> items;
    bool must_include = false;
  };
  std::vector<Additional> additional;  // only actions that returned some
  std::vector<std::string> warnings;   // "<action>: <warning>"
  std::vector<std::string> errors;     // "<action>: <error>"
};
ActionRun run_restore_item_actions(const std::vector<std::unique_ptr<RestoreItemAction>>& actions,
                                   const ActionContext& context, ActionInput input);

}  // namespace vbackup::restore
