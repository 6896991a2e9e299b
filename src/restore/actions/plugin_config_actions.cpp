// The actions configured by a plugin ConfigMap in the Velero namespace (restore §2.5):
// velero.io/change-storage-class (change_storageclass_action.go) and velero.io/change-image-name
// (change_image_name_action.go).
#include "restore/actions/builtin.hpp"
#include "restore/actions/object_access.hpp"

#include <algorithm>

namespace vbackup::restore::detail {

namespace {

// The ConfigMap's data as string pairs, in key order; Error(invalid) for a non-string value.
std::vector<std::pair<std::string, std::string>> config_data(const json::object& config) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string what = "ConfigMap " + std::string(json::metadata_string(config, "name"));
  if (const json::object* data = object_field(config, "data", what, "")) {
    for (const auto& kv : *data) {
      if (!kv.value().is_string()) fail(what, join("data", kv.key()), "expected string");
      out.emplace_back(kv.key(), kv.value().get_string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ChangeStorageClassAction final : public ResourceAction {
 public:
  ChangeStorageClassAction()
      : ResourceAction("velero.io/change-storage-class",
                       {"persistentvolumeclaims", "persistentvolumes", "statefulsets.apps"}) {}

  ActionOutput execute(const ActionContext& context, ActionInput input) const override {
    const std::string what = item_name(input);
    json::object& item = input.item;
    std::optional<json::object> config = plugin_config(context, "velero.io/change-storage-class");
    if (!config) return output(std::move(item));
    auto data = config_data(*config);
    if (data.empty()) return output(std::move(item));

    // The new class, if the old one has a mapping; a mapped class missing from the cluster fails the item.
    auto mapped = [&](std::string_view old_class) -> std::optional<std::string> {
      if (old_class.empty()) return std::nullopt;
      auto it = std::find_if(data.begin(), data.end(), [&](const auto& kv) { return kv.first == old_class; });
      if (it == data.end()) return std::nullopt;
      if (!context.target.get("storageclasses.storage.k8s.io", "", it->second)) {
        throw Error(ErrorCode::invalid, "error getting storage class " + it->second +
                                            " from API: storageclasses.storage.k8s.io \"" + it->second + "\" not found");
      }
      return it->second;
    };

    json::object* spec = object_field(item, "spec", what, "");
    if (json::get_string(item, "kind") == "StatefulSet") {
      json::array* templates = spec ? array_field(*spec, "volumeClaimTemplates", what, "spec") : nullptr;
      for (std::size_t i = 0; templates && i < templates->size(); ++i) {
        const std::string path = index("spec.volumeClaimTemplates", i);
        json::object& pvc = object_element((*templates)[i], what, path);
        json::object* pvc_spec = object_field(pvc, "spec", what, path);
        if (!pvc_spec) continue;
        auto old_class = string_field(*pvc_spec, "storageClassName", what, join(path, "spec")).value_or("");
        if (auto new_class = mapped(old_class)) (*pvc_spec)["storageClassName"] = *new_class;
      }
    } else if (spec) {  // PVs and PVCs name the field alike
      auto old_class = string_field(*spec, "storageClassName", what, "spec").value_or("");
      if (auto new_class = mapped(old_class)) (*spec)["storageClassName"] = *new_class;
    }
    return output(std::move(item));
  }
};

// isImageReplaceRuleExist: each data value is "<old part>,<new part>" (keys are only names); the
// first rule whose old part occurs in the image replaces every occurrence. Rules go in key order.
std::optional<std::string> replace_image(std::string_view image,
                                         const std::vector<std::pair<std::string, std::string>>& rules) {
  if (image.empty()) return std::nullopt;
  for (const auto& [key, row] : rules) {
    auto comma = row.find(',');
    if (comma == std::string::npos) continue;
    std::string_view old_part = trim_space(std::string_view(row).substr(0, comma));
    // Velero requires something after the comma (before trimming).
    if (row.size() - comma <= 1 || image.find(old_part) == std::string_view::npos) continue;
    return replace_all(image, old_part, trim_space(std::string_view(row).substr(comma + 1)));
  }
  return std::nullopt;
}

class ChangeImageNameAction final : public ResourceAction {
 public:
  ChangeImageNameAction()
      : ResourceAction("velero.io/change-image-name",
                       {"deployments.apps", "statefulsets.apps", "daemonsets.apps", "replicasets.apps",
                        "replicationcontrollers", "jobs.batch", "cronjobs.batch", "pods"}) {}

  ActionOutput execute(const ActionContext& context, ActionInput input) const override {
    const std::string what = item_name(input);
    json::object& item = input.item;
    std::optional<json::object> config = plugin_config(context, "velero.io/change-image-name");
    if (!config) return output(std::move(item));
    auto rules = config_data(*config);
    if (rules.empty()) return output(std::move(item));

    const std::string_view kind = json::get_string(item, "kind");
    std::vector<std::string_view> pod_spec_path = {"spec", "template", "spec"};
    if (kind == "Pod") pod_spec_path = {"spec"};
    if (kind == "CronJob") pod_spec_path = {"spec", "jobTemplate", "spec", "template", "spec"};

    json::object* pod_spec = &item;
    std::string path;
    for (std::string_view key : pod_spec_path) {
      pod_spec = object_field(*pod_spec, key, what, path);
      path = join(path, key);
      if (!pod_spec) return output(std::move(item));
    }
    for (std::string_view field : {"containers", "initContainers"}) {
      json::array* containers = array_field(*pod_spec, field, what, path);
      for (std::size_t i = 0; containers && i < containers->size(); ++i) {
        const std::string cpath = index(join(path, field), i);
        json::object& container = object_element((*containers)[i], what, cpath);
        auto image = string_field(container, "image", what, cpath);
        if (!image) continue;
        if (auto replaced = replace_image(*image, rules)) container["image"] = *replaced;
      }
    }
    return output(std::move(item));
  }
};

}  // namespace

std::unique_ptr<RestoreItemAction> make_change_storage_class_action() {
  return std::make_unique<ChangeStorageClassAction>();
}
std::unique_ptr<RestoreItemAction> make_change_image_name_action() { return std::make_unique<ChangeImageNameAction>(); }

}  // namespace vbackup::restore::detail
