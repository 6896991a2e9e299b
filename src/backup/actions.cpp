// The built-in BackupItemActions (actions.hpp).
#include "backup/actions.hpp"

#include "vbackup/error.hpp"
#include "vbackup/velero.hpp"

#include <algorithm>
#include <optional>
#include <set>

namespace vbackup::detail {
namespace {

bool is_core(const ApiResource& r, std::string_view name) { return r.group.empty() && r.name == name; }

// velero.io/pv (spec §1.3): a bound PVC brings its PV, without stale selector data.
class PvcAction final : public BackupItemAction {
 public:
  explicit PvcAction(BackupActionContext& c) : c_(c) {}
  std::string_view name() const override { return "velero.io/pv"; }
  bool applies_to(const ApiResource& r) const override { return is_core(r, "persistentvolumeclaims"); }
  void execute(BackupItem& item) override {
    auto* spec = item.object.if_contains("spec") ? item.object["spec"].if_object() : nullptr;
    auto* status = item.object.if_contains("status") ? item.object["status"].if_object() : nullptr;
    std::string volume = spec ? std::string(json::get_string(*spec, "volumeName")) : "";
    std::string phase_value = status ? std::string(json::get_string(*status, "phase")) : "";
    if (!spec || volume.empty() || phase_value != "Bound") return;
    spec->erase("dataSource");
    spec->erase("dataSourceRef");
    auto sc = spec->find("storageClassName");
    bool explicit_empty_class = sc != spec->end() && sc->value().is_string() && sc->value().get_string().empty();
    if (!explicit_empty_class) {
      spec->erase("selector");
    } else if (auto* sel = spec->if_contains("selector") ? (*spec)["selector"].if_object() : nullptr) {
      if (auto* ml = sel->if_contains("matchLabels") ? (*sel)["matchLabels"].if_object() : nullptr) {
        std::vector<std::string> stale;
        for (const auto& kv : *ml) if (std::string_view(kv.key()).starts_with("velero.io/")) stale.emplace_back(kv.key());
        for (const auto& k : stale) ml->erase(k);
      }
    }
    if (auto* md = item.object["metadata"].if_object()) {
      if (auto* lbl = md->if_contains("labels") ? (*md)["labels"].if_object() : nullptr) {
        lbl->erase(velero::label::restore_name);
        lbl->erase(velero::annotation::must_include_additional_items);
        auto bn = lbl->find(velero::label::backup_name);
        if (bn != lbl->end() && !(bn->value().is_string() && bn->value().get_string() == c_.backup_name)) {
          lbl->erase(velero::label::backup_name);
        }
      }
    }
    item.additional.push_back({"persistentvolumes", "", volume});
  }

 private:
  BackupActionContext& c_;
};

// velero.io/pod (actionhelpers.RelatedItemsForPod): its PriorityClass and the PVCs of its volumes.
class PodAction final : public BackupItemAction {
 public:
  std::string_view name() const override { return "velero.io/pod"; }
  bool applies_to(const ApiResource& r) const override { return is_core(r, "pods"); }
  void execute(BackupItem& item) override {
    std::string ns(json::metadata_string(item.object, "namespace"));
    const json::object* spec = json::find_object(item.object, "spec");
    if (!spec) return;
    if (auto pc = json::get_string(*spec, "priorityClassName"); !pc.empty()) {
      item.additional.push_back({"priorityclasses.scheduling.k8s.io", "", std::string(pc)});
    }
    if (const json::array* volumes = json::find_array(*spec, "volumes")) {
      for (const auto& v : *volumes) {
        const json::object* claim = v.is_object() ? json::find_object(v.get_object(), "persistentVolumeClaim") : nullptr;
        if (auto claim_name = claim ? json::get_string(*claim, "claimName") : ""; !claim_name.empty()) {
          item.additional.push_back({"persistentvolumeclaims", ns, std::string(claim_name)});
        }
      }
    }
  }
};

// velero.io/service-account: the ClusterRoleBindings naming the ServiceAccount as a subject, and
// their ClusterRoles.
class ServiceAccountAction final : public BackupItemAction {
 public:
  explicit ServiceAccountAction(BackupActionContext& c) : c_(c) {}
  std::string_view name() const override { return "velero.io/service-account"; }
  bool applies_to(const ApiResource& r) const override { return is_core(r, "serviceaccounts"); }
  void execute(BackupItem& item) override {
    std::string ns(json::metadata_string(item.object, "namespace"));
    std::string name(json::metadata_string(item.object, "name"));
    const ApiResource* crb = c_.source.discovery().find("rbac.authorization.k8s.io", "clusterrolebindings");
    if (!crb) return;
    if (!bindings_) {
      // Listed once per backup, as Velero's action lists them once when it is created.
      bindings_.emplace();
      try {
        c_.source.list(*crb, {}, [&](json::object&& o) { bindings_->push_back(std::move(o)); });
      } catch (const Error& e) {
        if (e.code() == ErrorCode::cancelled) throw;
        c_.record_error("Error listing ClusterRoleBindings for the ServiceAccount action: " + std::string(e.what()));
      }
    }
    std::set<std::string> roles;
    for (const auto& binding : *bindings_) {
      const json::array* subjects = json::find_array(binding, "subjects");
      if (!subjects) continue;
      bool names_it = std::any_of(subjects->begin(), subjects->end(), [&](const json::value& s) {
        return s.is_object() && json::get_string(s.get_object(), "kind") == "ServiceAccount" &&
               json::get_string(s.get_object(), "namespace") == ns && json::get_string(s.get_object(), "name") == name;
      });
      if (!names_it) continue;
      item.additional.push_back(
          {"clusterrolebindings.rbac.authorization.k8s.io", "", std::string(json::metadata_string(binding, "name"))});
      if (const json::object* ref = json::find_object(binding, "roleRef")) {
        if (auto role = json::get_string(*ref, "name"); !role.empty()) roles.emplace(role);
      }
    }
    for (const auto& role : roles) item.additional.push_back({"clusterroles.rbac.authorization.k8s.io", "", role});
  }

 private:
  BackupActionContext& c_;
  std::optional<std::vector<json::object>> bindings_;
};

class HookAction final : public BackupItemAction {
 public:
  explicit HookAction(std::function<void(BackupItem&)> hook) : hook_(std::move(hook)) {}
  std::string_view name() const override { return "item hook"; }
  bool applies_to(const ApiResource&) const override { return true; }
  void execute(BackupItem& item) override { hook_(item); }

 private:
  std::function<void(BackupItem&)> hook_;
};

}  // namespace

std::vector<std::unique_ptr<BackupItemAction>> builtin_backup_item_actions(BackupActionContext& context) {
  std::vector<std::unique_ptr<BackupItemAction>> out;
  out.push_back(std::make_unique<PvcAction>(context));
  out.push_back(std::make_unique<PodAction>());
  out.push_back(std::make_unique<ServiceAccountAction>(context));
  return out;
}

std::unique_ptr<BackupItemAction> hook_action(std::function<void(BackupItem&)> hook) {
  return std::make_unique<HookAction>(std::move(hook));
}

}  // namespace vbackup::detail
