// The registry of built-in actions, the action runner, and the actions small enough to share a file:
// job, service-account, secret, role-bindings, cluster-role-bindings, pvc, crd-preserve-fields,
// apiservice, admission-webhook-configuration, pod-volume-restore (pkg/restore/actions/*.go at velero-io HEAD).
#include "restore/actions/builtin.hpp"
#include "restore/actions/item_rules.hpp"
#include "restore/actions/object_access.hpp"

#include <algorithm>

namespace vbackup::restore {

namespace detail {

ResourceAction::ResourceAction(std::string_view name, std::initializer_list<std::string_view> resources)
    : name_(name), resources_(resources.begin(), resources.end()) {}

bool ResourceAction::applies_to(std::string_view group_resource, std::string_view, const json::object*) const {
  return std::find(resources_.begin(), resources_.end(), group_resource) != resources_.end();
}

std::string item_name(const ActionInput& input) {
  // getResourceID(groupResource, namespace, name) with the target namespace, as "error preparing <id>" shows it.
  return resource_id(input.group_resource, input.target_namespace, json::metadata_string(input.item, "name"));
}

std::optional<json::object> plugin_config(const ActionContext& context, std::string_view plugin_name) {
  // pkg/plugin/framework/common/plugin_config.go PluginConfigLabelSelector.
  std::string selector = "velero.io/plugin-config," + std::string(plugin_name) + "=RestoreItemAction";
  std::vector<json::object> found = context.target.list("configmaps", context.velero_namespace, selector);
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    std::string names;
    for (const auto& cm : found) {
      if (!names.empty()) names.push_back(' ');
      names.append(json::metadata_string(cm, "name"));
    }
    throw Error(ErrorCode::invalid,
                "found more than one ConfigMap matching label selector \"" + selector + "\": [" + names + "]");
  }
  return std::move(found.front());
}

namespace {

// velero.io/job (job_action.go): the controller-uid labels would select the old Job's pods.
class JobAction final : public ResourceAction {
 public:
  JobAction() : ResourceAction("velero.io/job", {"jobs.batch"}) {}
  ActionOutput execute(const ActionContext&, ActionInput input) const override {
    const std::string what = item_name(input);
    json::object& item = input.item;
    auto strip = [](json::object& labels) {
      labels.stable_erase("controller-uid");                      // Kubernetes ≤ 1.26
      labels.stable_erase("batch.kubernetes.io/controller-uid");  // ≥ 1.27
    };
    if (json::object* spec = object_field(item, "spec", what, "")) {
      if (json::object* selector = object_field(*spec, "selector", what, "spec")) {
        if (json::object* match = object_field(*selector, "matchLabels", what, "spec.selector")) {
          strip(*match);
          erase_if_empty(*selector, "matchLabels");
        }
      }
      if (json::object* tmpl = object_field(*spec, "template", what, "spec")) {
        if (json::object* md = object_field(*tmpl, "metadata", what, "spec.template")) {
          if (json::object* labels = object_field(*md, "labels", what, "spec.template.metadata")) {
            strip(*labels);
            erase_if_empty(*md, "labels");
          }
        }
      }
    }
    return output(std::move(item));
  }
};

// velero.io/service-account (service_account_action.go): the last secrets[] entry named
// "<sa>-token-…" is the auto-created token, which the cluster makes again.
class ServiceAccountAction final : public ResourceAction {
 public:
  ServiceAccountAction() : ResourceAction("velero.io/service-account", {"serviceaccounts"}) {}
  ActionOutput execute(const ActionContext&, ActionInput input) const override {
    const std::string what = item_name(input);
    json::object& item = input.item;
    const std::string prefix = std::string(json::metadata_string(item, "name")) + "-token-";
    if (json::array* secrets = array_field(item, "secrets", what, "")) {
      for (std::size_t i = secrets->size(); i-- > 0;) {
        const json::object& ref = object_element((*secrets)[i], what, index("secrets", i));
        auto name = string_field(ref, "name", what, index("secrets", i)).value_or("");
        if (name.starts_with(prefix)) {
          secrets->erase(secrets->begin() + static_cast<std::ptrdiff_t>(i));
          break;  // one entry only
        }
      }
      erase_if_empty(item, "secrets");
    }
    return output(std::move(item));
  }
};

// velero.io/secret (secret_action.go). The ServiceAccounts are listed in the *source* namespace of
// the target cluster (secret.Namespace before the remap, restore §2.7).
class SecretAction final : public ResourceAction {
 public:
  SecretAction() : ResourceAction("velero.io/secret", {"secrets"}) {}
  ActionOutput execute(const ActionContext& context, ActionInput input) const override {
    const std::string what = item_name(input);
    json::object& item = input.item;
    if (string_field(item, "type", what, "").value_or("") != "kubernetes.io/service-account-token") {
      return output(std::move(item));
    }
    const std::string_view name = json::metadata_string(item, "name");
    for (const auto& sa : context.target.list("serviceaccounts", input.source_namespace)) {
      // A token Secret auto-created for a ServiceAccount (before Kubernetes 1.22) is made again by
      // the token controller.
      if (name.starts_with(std::string(json::metadata_string(sa, "name")) + "-token-")) {
        return skip(std::move(item));
      }
    }
    // The token controller fills these in for the new ServiceAccount.
    if (json::object* annotations = metadata_map(item, "annotations", what)) {
      annotations->stable_erase("kubernetes.io/service-account.uid");
      erase_if_empty(metadata(item, what), "annotations");
    }
    if (json::object* data = object_field(item, "data", what, "")) {
      data->stable_erase("token");
      data->stable_erase("ca.crt");
      erase_if_empty(item, "data");
    }
    return output(std::move(item));
  }
};

// velero.io/role-bindings and velero.io/cluster-role-bindings: subjects[].namespace through the
// namespace mapping; roleRef and names such as system:serviceaccounts:<ns> are left alone (restore §2.7).
class BindingAction final : public ResourceAction {
 public:
  BindingAction(std::string_view name, std::string_view resource) : ResourceAction(name, {resource}) {}
  ActionOutput execute(const ActionContext& context, ActionInput input) const override {
    const std::string what = item_name(input);
    json::object& item = input.item;
    const auto& mapping = context.restore.spec.namespace_mapping;
    if (mapping.empty()) return output(std::move(item));
    if (json::array* subjects = array_field(item, "subjects", what, "")) {
      for (std::size_t i = 0; i < subjects->size(); ++i) {
        json::object& subject = object_element((*subjects)[i], what, index("subjects", i));
        auto ns = string_field(subject, "namespace", what, index("subjects", i)).value_or("");
        if (auto it = mapping.find(std::string(ns)); it != mapping.end()) subject["namespace"] = it->second;
      }
    }
    return output(std::move(item));
  }
};

// velero.io/pvc (pvc_action.go): binding and provisioning annotations go; the archived claim's bound
// PV comes along (its status is only in the archived copy).
class PvcAction final : public ResourceAction {
 public:
  PvcAction() : ResourceAction("velero.io/pvc", {"persistentvolumeclaims"}) {}
  ActionOutput execute(const ActionContext&, ActionInput input) const override {
    const std::string what = item_name(input);
    json::object& item = input.item;
    if (json::object* annotations = metadata_map(item, "annotations", what)) {
      for (std::string_view key : {"pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller",
                                   "volume.kubernetes.io/storage-provisioner",
                                   "volume.beta.kubernetes.io/storage-provisioner",
                                   "volume.kubernetes.io/selected-node", "velero.io/volume-snapshot-name",
                                   "velero.io/data-upload-name"}) {
        annotations->stable_erase(key);
      }
      erase_if_empty(metadata(item, what), "annotations");
    }
    ActionOutput out = output(std::move(item));
    const json::object& archived = input.item_from_backup;
    std::string_view phase, volume;
    if (const json::object* status = object_field(archived, "status", what, "")) {
      phase = string_field(*status, "phase", what, "status").value_or("");
    }
    if (const json::object* spec = object_field(archived, "spec", what, "")) {
      volume = string_field(*spec, "volumeName", what, "spec").value_or("");
    }
    if (phase == "Bound" && !volume.empty()) out.additional_items.push_back({"persistentvolumes", "", std::string(volume)});
    return out;
  }
};

// velero.io/crd-preserve-fields (crd_v1_preserve_unknown_fields_action.go): apiextensions v1 refuses
// spec.preserveUnknownFields=true; the schema flag says the same thing.
class CrdPreserveFieldsAction final : public ResourceAction {
 public:
  CrdPreserveFieldsAction()
      : ResourceAction("velero.io/crd-preserve-fields", {"customresourcedefinitions.apiextensions.k8s.io"}) {}
  ActionOutput execute(const ActionContext&, ActionInput input) const override {
    const std::string what = item_name(input);
    json::object& item = input.item;
    if (string_field(item, "apiVersion", what, "").value_or("") != "apiextensions.k8s.io/v1") {
      return output(std::move(item));  // v1beta1 CRDs are left as they are
    }
    json::object* spec = object_field(item, "spec", what, "");
    if (!spec || !bool_field(*spec, "preserveUnknownFields", what, "spec").value_or(false)) {
      return output(std::move(item));
    }
    spec->stable_erase("preserveUnknownFields");  // false, omitted as the typed CRD omits it
    if (json::array* versions = array_field(*spec, "versions", what, "spec")) {
      for (std::size_t i = 0; i < versions->size(); ++i) {
        const std::string path = index("spec.versions", i);
        json::object& version = object_element((*versions)[i], what, path);
        json::object* schema = object_field(version, "schema", what, path);
        json::object* openapi = schema ? object_field(*schema, "openAPIV3Schema", what, join(path, "schema")) : nullptr;
        if (openapi) (*openapi)["x-kubernetes-preserve-unknown-fields"] = true;
      }
    }
    return output(std::move(item));
  }
};

// velero.io/apiservice (apiservice_action.go): APIServices the aggregator registers itself are not
// restored. AppliesTo carries the label selector "kube-aggregator.kubernetes.io/automanaged" (exists).
class ApiServiceAction final : public ResourceAction {
 public:
  ApiServiceAction() : ResourceAction("velero.io/apiservice", {"apiservices.apiregistration.k8s.io"}) {}
  bool applies_to(std::string_view group_resource, std::string_view ns, const json::object* labels) const override {
    return ResourceAction::applies_to(group_resource, ns, labels) && labels &&
           labels->contains("kube-aggregator.kubernetes.io/automanaged");
  }
  ActionOutput execute(const ActionContext&, ActionInput input) const override {
    return skip(std::move(input.item));
  }
};

// velero.io/admission-webhook-configuration (admissionwebhook_config_action.go): v1 accepts only
// sideEffects None or NoneOnDryRun (velero#3516).
class AdmissionWebhookAction final : public ResourceAction {
 public:
  AdmissionWebhookAction()
      : ResourceAction("velero.io/admission-webhook-configuration",
                       {"mutatingwebhookconfigurations.admissionregistration.k8s.io",
                        "validatingwebhookconfigurations.admissionregistration.k8s.io"}) {}
  ActionOutput execute(const ActionContext&, ActionInput input) const override {
    const std::string what = item_name(input);
    json::object& item = input.item;
    ActionOutput out = output_like(input);
    if (string_field(item, "apiVersion", what, "").value_or("") == "admissionregistration.k8s.io/v1") {
      if (json::array* webhooks = array_field(item, "webhooks", what, "")) {
        json::array kept;
        for (std::size_t i = 0; i < webhooks->size(); ++i) {
          json::value& hook = (*webhooks)[i];
          if (!hook.is_object()) {
            out.warnings.push_back(what + ": " + index("webhooks", i) + ": not an object: dropped");
            continue;
          }
          const json::value* side = hook.get_object().if_contains("sideEffects");
          std::string_view value = side && side->is_string() ? std::string_view(side->get_string()) : "";
          if (value != "None" && value != "NoneOnDryRun") hook.get_object()["sideEffects"] = "None";
          kept.push_back(std::move(hook));
        }
        item["webhooks"] = std::move(kept);
      }
    }
    out.item = std::move(item);
    return out;
  }
};

// velero.io/pod-volume-restore (pod_volume_restore_action.go), the part that applies without pod
// volume backups (libvbackup restores no pod volume data yet): every restore-wait and restic-wait init
// container goes first ("to prevent duplicates"), so that a pod backed up after an earlier
// file-system restore does not wait for ever for data that never comes. Go's omitempty leaves no
// empty list behind. (With pod volume backups Velero then injects its own restore-wait container:
// that belongs to the volume work of a later issue.)
class PodVolumeRestoreAction final : public ResourceAction {
 public:
  PodVolumeRestoreAction() : ResourceAction("velero.io/pod-volume-restore", {"pods"}) {}
  ActionOutput execute(const ActionContext&, ActionInput input) const override {
    json::object pod = std::move(input.item);
    json::object* spec = pod.contains("spec") ? pod["spec"].if_object() : nullptr;
    json::array* init = spec && spec->contains("initContainers") ? (*spec)["initContainers"].if_array() : nullptr;
    if (init) {
      json::array kept;
      for (auto& c : *init) {
        std::string_view name = c.is_object() ? json::get_string(c.get_object(), "name") : std::string_view{};
        if (name != "restore-wait" && name != "restic-wait") kept.push_back(std::move(c));
      }
      if (kept.empty()) {
        spec->erase("initContainers");
      } else {
        *init = std::move(kept);
      }
    }
    return output(std::move(pod));
  }
};

}  // namespace

std::vector<std::unique_ptr<RestoreItemAction>> make_small_actions() {
  std::vector<std::unique_ptr<RestoreItemAction>> out;
  out.push_back(std::make_unique<JobAction>());
  out.push_back(std::make_unique<ServiceAccountAction>());
  out.push_back(std::make_unique<SecretAction>());
  out.push_back(std::make_unique<BindingAction>("velero.io/role-bindings", "rolebindings.rbac.authorization.k8s.io"));
  out.push_back(std::make_unique<BindingAction>("velero.io/cluster-role-bindings",
                                                "clusterrolebindings.rbac.authorization.k8s.io"));
  out.push_back(std::make_unique<PvcAction>());
  out.push_back(std::make_unique<CrdPreserveFieldsAction>());
  out.push_back(std::make_unique<ApiServiceAction>());
  out.push_back(std::make_unique<AdmissionWebhookAction>());
  out.push_back(std::make_unique<PodVolumeRestoreAction>());
  return out;
}

}  // namespace detail

std::vector<std::unique_ptr<RestoreItemAction>> builtin_restore_item_actions() {
  auto out = detail::make_small_actions();
  out.push_back(detail::make_pod_action());
  out.push_back(detail::make_add_pvc_from_pod_action());
  out.push_back(detail::make_init_restore_hook_action());
  out.push_back(detail::make_service_action());
  out.push_back(detail::make_change_storage_class_action());
  out.push_back(detail::make_change_image_name_action());
  for (auto& a : detail::make_csi_actions()) out.push_back(std::move(a));
  // ServerMux.Names() is sorted: Velero runs its actions in name order.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->name() < b->name(); });
  return out;
}

ActionRun run_restore_item_actions(const std::vector<std::unique_ptr<RestoreItemAction>>& actions,
                                   const ActionContext& context, ActionInput input) {
  ActionRun run{.item = json::object(input.item.storage()), .skip_restore = false, .skipped_by = {}, .additional = {},
                .warnings = {}, .errors = {}};  // the item moves in at the end (see output())
  for (const auto& action : actions) {
    const json::object* labels = json::metadata_map(input.item, "labels");
    if (!action->applies_to(input.group_resource, input.target_namespace, labels)) continue;
    ActionInput step{input.group_resource, input.source_namespace, input.target_namespace, std::move(input.item),
                     input.item_from_backup};
    ActionOutput out = action->execute(context, std::move(step));
    // The annotation form of must-include is stripped whatever its value (restore §2.5, L1700–1713).
    const bool must_include = take_must_include_annotation(out.item) || out.must_include_additional_items;
    input.item = std::move(out.item);
    for (auto& w : out.warnings) run.warnings.push_back(std::string(action->name()) + ": " + w);
    for (auto& e : out.errors) run.errors.push_back(std::string(action->name()) + ": " + e);
    if (out.skip_restore) {
      run.skip_restore = true;
      run.skipped_by = action->name();
      break;
    }
    if (!out.additional_items.empty()) {
      run.additional.push_back({std::string(action->name()), std::move(out.additional_items), must_include});
    }
  }
  run.item = std::move(input.item);
  return run;
}

}  // namespace vbackup::restore
