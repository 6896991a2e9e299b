// The pod actions: velero.io/pod (pod_action.go), velero.io/add-pvc-from-pod
// (add_pvc_from_pod_action.go) and velero.io/init-restore-hook (init_restorehook_pod_action.go with
// internal/hook/item_hook_handler.go HandleRestoreHooks).
#include "restore/actions/builtin.hpp"
#include "restore/actions/object_access.hpp"
#include "filter/filter.hpp"
#include "vbackup/labels.hpp"

#include <openssl/evp.h>

namespace vbackup::restore::detail {

namespace {

// Drops the entries of list (objects with a `name`) whose name starts with prefix; an emptied list is
// removed, as the typed round trip omits a nil slice.
void drop_named(json::object& parent, std::string_view key, std::string_view prefix, std::string_view what,
                std::string_view path) {
  json::array* list = array_field(parent, key, what, path);
  if (!list) return;
  const std::string list_path = join(path, key);
  json::array kept;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json::object& entry = object_element((*list)[i], what, index(list_path, i));
    if (!string_field(entry, "name", what, index(list_path, i)).value_or("").starts_with(prefix)) {
      kept.push_back(std::move((*list)[i]));
    }
  }
  *list = std::move(kept);
  erase_if_empty(parent, key);
}

class PodAction final : public ResourceAction {
 public:
  PodAction() : ResourceAction("velero.io/pod", {"pods"}) {}
  ActionOutput execute(const ActionContext&, ActionInput input) const override {
    const std::string what = item_name(input);
    ActionOutput out = output_like(input);
    json::object& item = input.item;
    if (json::object* spec = object_field(item, "spec", what, "")) {
      // The pod is scheduled again, and its priority comes from its class again.
      spec->stable_erase("nodeName");
      spec->stable_erase("priority");
      // Legacy token Secret volumes ("<sa>-token-xxxxx") name a Secret the cluster makes anew.
      const std::string prefix = std::string(string_field(*spec, "serviceAccountName", what, "spec").value_or("")) + "-token-";
      drop_named(*spec, "volumes", prefix, what, "spec");
      for (std::string_view containers : {"containers", "initContainers"}) {
        if (json::array* list = array_field(*spec, containers, what, "spec")) {
          const std::string list_path = join("spec", containers);
          for (std::size_t i = 0; i < list->size(); ++i) {
            json::object& container = object_element((*list)[i], what, index(list_path, i));
            drop_named(container, "volumeMounts", prefix, what, index(list_path, i));
          }
        }
      }
      if (auto pc = string_field(*spec, "priorityClassName", what, "spec"); pc && !pc->empty()) {
        out.additional_items.push_back({"priorityclasses.scheduling.k8s.io", "", std::string(*pc)});
      }
    }
    out.item = std::move(item);
    return out;
  }
};

// Every PVC a pod mounts comes with it (namespace: the pod's, still the source one).
class AddPvcFromPodAction final : public ResourceAction {
 public:
  AddPvcFromPodAction() : ResourceAction("velero.io/add-pvc-from-pod", {"pods"}) {}
  ActionOutput execute(const ActionContext&, ActionInput input) const override {
    const std::string what = item_name(input);
    ActionOutput out = output_like(input);
    if (const json::object* spec = object_field(input.item, "spec", what, "")) {
      if (const json::array* volumes = array_field(*spec, "volumes", what, "spec")) {
        for (std::size_t i = 0; i < volumes->size(); ++i) {
          const std::string path = index("spec.volumes", i);
          const json::object& volume = object_element((*volumes)[i], what, path);
          if (const json::object* claim = object_field(volume, "persistentVolumeClaim", what, path)) {
            auto name = string_field(*claim, "claimName", what, join(path, "persistentVolumeClaim")).value_or("");
            out.additional_items.push_back({"persistentvolumeclaims", input.source_namespace, std::string(name)});
          }
        }
      }
    }
    out.item = std::move(input.item);
    return out;
  }
};

// parseStringToCommand: a JSON array of strings, else the whole text as one argument. An empty text
// gives no command (Velero indexes it and panics).
std::optional<json::array> parse_command(std::string_view text) {
  if (text.empty()) return std::nullopt;
  json::array command;
  if (text.front() == '[') {
    try {
      json::value v = json::parse(text, "command");
      bool strings = v.is_array();
      if (strings) {
        for (const auto& e : v.get_array()) strings = strings && e.is_string();
      }
      if (strings) return std::move(v.get_array());
    } catch (const Error&) {
      // not JSON: falls through to one argument, as Go does on an Unmarshal error
    }
  }
  command.emplace_back(text);
  return command;
}

std::string hex8_sha256(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorCode::generic, "init-restore-hook: SHA-256 failed");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 4; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xF]);
  }
  return out;
}

// hook.ValidateContainer: a hook container needs a command, a name and an image.
void validate_hook_container(const json::value& raw, std::string_view what, std::string_view path) {
  const json::object& c = object_element(raw, what, path);
  const json::array* command = array_field(c, "command", what, path);
  if (command) {
    for (std::size_t i = 0; i < command->size(); ++i) {
      if (!(*command)[i].is_string()) fail(what, index(join(path, "command"), i), "expected string");
    }
  }
  if (!command || command->empty() || string_field(c, "name", what, path).value_or("").empty() ||
      string_field(c, "image", what, path).value_or("").empty()) {
    fail(what, path, "invalid InitContainer in restore hook, it doesn't have Command, Name or Image field");
  }
}

class InitRestoreHookAction final : public ResourceAction {
 public:
  InitRestoreHookAction() : ResourceAction("velero.io/init-restore-hook", {"pods"}) {}

  ActionOutput execute(const ActionContext& context, ActionInput input) const override {
    const std::string what = item_name(input);
    json::object& pod = input.item;
    json::array hooks;
    const json::object* annotations = metadata_map(pod, "annotations", what);
    const std::string_view image = map_string(annotations, "init.hook.restore.velero.io/container-image");
    if (!image.empty()) {
      // Annotations win over the Restore's spec hooks.
      std::string name(map_string(annotations, "init.hook.restore.velero.io/container-name"));
      if (name.empty()) {
        name = "velero-restore-init-" + hex8_sha256(context.restore.metadata.name + "/" + input.target_namespace +
                                                    "/" + std::string(json::metadata_string(pod, "name")));
      }
      json::object container{{"name", name}, {"image", image}};
      if (auto command = parse_command(map_string(annotations, "init.hook.restore.velero.io/command"));
          command && !command->empty()) {
        container["command"] = std::move(*command);
      }
      hooks.push_back(std::move(container));
    } else {
      spec_hooks(context, input, hooks);
    }
    if (hooks.empty()) return output(std::move(pod));

    json::object* spec = object_field(pod, "spec", what, "");
    if (!spec) spec = &pod["spec"].emplace_object();
    json::array merged;
    if (json::array* existing = array_field(*spec, "initContainers", what, "spec")) {
      // A restore-wait container (pod volume restore) at index 0 stays first, so data is in place
      // before the hooks run.
      std::size_t first = 0;
      if (!existing->empty()) {
        const json::object& c0 = object_element(existing->front(), what, "spec.initContainers[0]");
        if (json::get_string(c0, "name") == "restore-wait") {
          merged.push_back(std::move(existing->front()));
          first = 1;
        }
      }
      for (auto& h : hooks) merged.push_back(std::move(h));
      for (std::size_t i = first; i < existing->size(); ++i) merged.push_back(std::move((*existing)[i]));
    } else {
      merged = std::move(hooks);
    }
    (*spec)["initContainers"] = std::move(merged);
    return output(std::move(pod));
  }

 private:
  // GetRestoreHooksFromSpec + applicableTo: spec.hooks.resources[] whose namespaces include the
  // *target* namespace (velero#4720) and whose label selector matches; every postHooks[].init container.
  static void spec_hooks(const ActionContext& context, const ActionInput& input, json::array& out) {
    const json::object& spec_hooks = context.restore.spec.hooks;
    const std::string what = "Restore " + context.restore.metadata.name;
    const json::array* resources = array_field(spec_hooks, "resources", what, "spec.hooks");
    if (!resources) return;
    const json::object* pod_labels = metadata_map(input.item, "labels", item_name(input));
    for (std::size_t r = 0; r < resources->size(); ++r) {
      const std::string path = index("spec.hooks.resources", r);
      const json::object& rs = object_element((*resources)[r], what, path);
      auto strings = [&](std::string_view key) {
        std::vector<std::string> list;
        if (const json::array* a = array_field(rs, key, what, path)) {
          for (std::size_t i = 0; i < a->size(); ++i) {
            if (!(*a)[i].is_string()) fail(what, index(join(path, key), i), "expected string");
            list.emplace_back((*a)[i].get_string());
          }
        }
        return list;
      };
      filter::IncludesExcludes namespaces(strings("includedNamespaces"), strings("excludedNamespaces"));
      if (!namespaces.should_include(input.target_namespace)) continue;
      if (const json::value* selector = rs.if_contains("labelSelector"); selector && !selector->is_null()) {
        if (!labels::from_label_selector(*selector).matches(pod_labels)) continue;
      }
      const json::array* post = array_field(rs, "postHooks", what, path);
      if (!post) continue;
      for (std::size_t h = 0; h < post->size(); ++h) {
        const std::string hook_path = index(join(path, "postHooks"), h);
        const json::object& hook = object_element((*post)[h], what, hook_path);
        const json::object* init = object_field(hook, "init", what, hook_path);
        if (!init) continue;
        const json::array* containers = array_field(*init, "initContainers", what, join(hook_path, "init"));
        if (!containers) continue;
        for (std::size_t c = 0; c < containers->size(); ++c) {
          validate_hook_container((*containers)[c], what, index(join(hook_path, "init.initContainers"), c));
          out.push_back((*containers)[c]);
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<RestoreItemAction> make_pod_action() { return std::make_unique<PodAction>(); }
std::unique_ptr<RestoreItemAction> make_add_pvc_from_pod_action() { return std::make_unique<AddPvcFromPodAction>(); }
std::unique_ptr<RestoreItemAction> make_init_restore_hook_action() {
  return std::make_unique<InitRestoreHookAction>();
}

}  // namespace vbackup::restore::detail
