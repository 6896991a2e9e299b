// Internal: the base of the built-in actions and their factories (one .cpp per family).
#pragma once

#include "restore/actions/restore_item_action.hpp"

#include <initializer_list>
#include <string>
#include <vector>

namespace vbackup::restore::detail {

// An action whose AppliesTo is a fixed list of resources, written as Velero's discovery resolves the
// plugin's IncludedResources ("jobs" → "jobs.batch"), with no namespace or label restriction.
class ResourceAction : public RestoreItemAction {
 public:
  ResourceAction(std::string_view name, std::initializer_list<std::string_view> resources);
  std::string_view name() const override { return name_; }
  bool applies_to(std::string_view group_resource, std::string_view ns, const json::object* labels) const override;

 private:
  std::string name_;
  std::vector<std::string> resources_;
};

// An output carrying item, and one that also skips the restore. Built around the item, never
// assigned to: boost::json copies an object assigned across storages, and the item lives in its own
// bump allocator (issue 17).
inline ActionOutput output(json::object item) {
  ActionOutput out{.item = std::move(item), .skip_restore = false, .additional_items = {},
                   .must_include_additional_items = false, .warnings = {}, .errors = {}};
  return out;
}
// An empty output whose item has the input item's storage, so that assigning the item to it later
// moves instead of copying.
inline ActionOutput output_like(const ActionInput& input) {
  ActionOutput out{.item = json::object(input.item.storage()), .skip_restore = false, .additional_items = {},
                   .must_include_additional_items = false, .warnings = {}, .errors = {}};
  return out;
}
inline ActionOutput skip(json::object item) {
  ActionOutput out = output(std::move(item));
  out.skip_restore = true;
  return out;
}

// The name errors use for the item being restored (Velero's resource ID).
std::string item_name(const ActionInput& input);

// Velero's common.GetPluginConfig: the one ConfigMap in the Velero namespace labelled
// velero.io/plugin-config and <plugin>=RestoreItemAction; nullopt when none; Error(invalid) "found more
// than one ConfigMap matching label selector "<selector>": [a b]" when several.
std::optional<json::object> plugin_config(const ActionContext& context, std::string_view plugin_name);

std::unique_ptr<RestoreItemAction> make_pod_action();
std::unique_ptr<RestoreItemAction> make_add_pvc_from_pod_action();
std::unique_ptr<RestoreItemAction> make_init_restore_hook_action();
std::unique_ptr<RestoreItemAction> make_service_action();
std::unique_ptr<RestoreItemAction> make_change_storage_class_action();
std::unique_ptr<RestoreItemAction> make_change_image_name_action();
// csi_actions.cpp: csi-pvc-restorer, csi-volumesnapshot-restorer, csi-volumesnapshotcontent-restorer,
// csi-volumesnapshotclass-restorer (csi §2), and dataupload (skips DataUploads, csi §6).
std::vector<std::unique_ptr<RestoreItemAction>> make_csi_actions();
// builtin_actions.cpp: job, service-account, secret, role-bindings, cluster-role-bindings, pvc,
// crd-preserve-fields, apiservice, admission-webhook-configuration.
std::vector<std::unique_ptr<RestoreItemAction>> make_small_actions();

}  // namespace vbackup::restore::detail
