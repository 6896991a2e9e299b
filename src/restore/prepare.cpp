// Setting a restore up against its target (restorer.hpp Restorer::prepare): the selection, the
// resource policy and the resource modifiers (from the options or from ConfigMaps the Restore names
// in the Velero namespace of the target), the built-in actions, the status filter, and the backup's
// volume records for the PV decision.
#include "restore/actions/item_rules.hpp"
#include "restore/restorer.hpp"

#include "format/unknown_fields.hpp"

#include "vbackup/error.hpp"
#include "vbackup/manifests.hpp"

namespace vbackup::detail {
namespace {

// A side file that may be absent (older backups): its JSON list, or an empty one.
json::array read_list(storage::BackupStore& store, const std::string& key) {
  if (!store.objects().exists(key)) return {};
  return velero::decode_json_list_gz(store.objects().get_all(key, velero::side_file_limit), key);
}

// Text that is a ConfigMap manifest (YAML or JSON) rather than the document it holds.
std::optional<json::object> as_config_map(const std::string& text, std::string_view what) {
  std::optional<json::object> found;
  try {
    manifests::read_manifests(text, what, [&](manifests::ManifestObject&& m) {
      if (json::get_string(m.object, "kind") == "ConfigMap") found = std::move(m.object);
    }, [](const std::string&) {});
  } catch (const Error&) {
    return std::nullopt;  // not manifests: the document itself (its parser names the problem)
  }
  return found;
}

bool is_pattern(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

// Ours (Velero is silent): keys of the Restore Velero does not know (an error under strict_spec,
// see run_restore), resource names that neither the target nor the backup knows, and included
// namespaces the backup does not hold. Each matches nothing; most likely a typo. Patterns are
// left alone.
std::vector<std::string> name_warnings(const velero::Restore& restore, const std::string& backup, const Discovery& d,
                                       const restore::BackupContents& contents) {
  std::vector<std::string> out = velero::unknown_fields(restore);
  const auto& spec = restore.spec;
  const std::vector<std::string> archived = contents.resources();  // "deployments.apps", "pods"
  std::vector<std::string> names;                                  // "deployments", short names "deploy"
  for (const auto& gr : archived) names.push_back(gr.substr(0, gr.find('.')));
  for (const auto& r : d.preferred_resources()) {
    if (std::find(archived.begin(), archived.end(), r.group_resource()) == archived.end()) continue;
    names.insert(names.end(), r.short_names.begin(), r.short_names.end());
  }
  std::vector<std::string_view> candidates(archived.begin(), archived.end());
  candidates.insert(candidates.end(), names.begin(), names.end());
  auto resources = [&](const char* field, const std::vector<std::string>& list) {
    for (const auto& name : list) {
      if (is_pattern(name) || d.resource_for(name)) continue;
      if (std::find(candidates.begin(), candidates.end(), name) != candidates.end()) continue;
      std::string best = velero::closest_name(name, candidates);
      out.push_back(std::string("spec.") + field + ": \"" + name + "\" is not a resource of the cluster or of backup \"" +
                    backup + "\"" + (best.empty() ? "" : "; did you mean " + best + "?"));
    }
  };
  resources("includedResources", spec.included_resources);
  resources("excludedResources", spec.excluded_resources);
  const std::vector<std::string> namespaces = contents.all_namespaces();
  std::vector<std::string_view> existing(namespaces.begin(), namespaces.end());
  for (const auto& name : spec.included_namespaces) {
    if (is_pattern(name) || std::find(existing.begin(), existing.end(), name) != existing.end()) continue;
    std::string best = velero::closest_name(name, existing);
    out.push_back("spec.includedNamespaces: namespace \"" + name + "\" is not in backup \"" + backup + "\"" +
                  (best.empty() ? "" : "; did you mean " + best + "?"));
  }
  return out;
}

}  // namespace

std::vector<std::string> Restorer::prepare(const velero::Backup& backup, storage::BackupStore& store) {
  std::vector<std::string> problems;
  const auto& spec = restore_.spec;
  backup_name_ = backup.metadata.name;
  const std::string& vns = options_.velero_namespace;

  // A ConfigMap the Restore names, from the Velero namespace of the target.
  auto config_map = [&](const std::string& name, const char* purpose) -> std::optional<json::object> {
    auto cm = lookup_.get("configmaps", vns, name);
    if (!cm) problems.push_back("unable to get " + std::string(purpose) + " configmap " + vns + "/" + name + ": not found in " +
                                target_.describe());
    return cm;
  };

  restore::SelectionOptions selection_options;
  selection_options.include_names = options_.include_names;
  try {
    if (options_.resource_policy) {
      if (auto cm = as_config_map(*options_.resource_policy, "resource policy")) {
        selection_options.policy = restore::RestoreResourcePolicy::from_config_map(*cm);
      } else {
        selection_options.policy = restore::RestoreResourcePolicy::parse(*options_.resource_policy, "resource policy");
      }
    } else if (spec.extra.contains("resourcePolicy")) {
      const json::value& ref = spec.extra.at("resourcePolicy");
      std::string name(ref.is_object() ? json::get_string(ref.get_object(), "name") : "");
      if (auto cm = config_map(name, "resource policy")) selection_options.policy = restore::RestoreResourcePolicy::from_config_map(*cm);
    }
  } catch (const Error& e) {
    problems.push_back(e.what());
  }
  selection_ = std::make_unique<restore::RestoreSelection>(spec, target_.discovery(), contents_.all_namespaces(),
                                                           std::move(selection_options));
  for (auto& p : selection_->validate()) problems.push_back(std::move(p));
  for (auto& w : name_warnings(restore_, backup_name_, target_.discovery(), contents_)) add_warning("", w);

  // restore §2.10: modifiers from the options (a file), else the ConfigMap spec.resourceModifier names.
  try {
    if (options_.resource_modifiers) {
      if (auto cm = as_config_map(*options_.resource_modifiers, "resource modifiers")) {
        modifiers_ = restore::ResourceModifiers::parse(*cm, "resource modifiers");
      } else {
        modifiers_ = restore::ResourceModifiers::parse_text(*options_.resource_modifiers, "resource modifiers");
      }
    } else if (spec.resource_modifier) {
      std::string kind = spec.resource_modifier->kind;
      for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (kind != "configmap") {  // strings.EqualFold(kind, "configmap")
        log_.warning("Unsupported resource modifier kind \"" + spec.resource_modifier->kind + "\", only \"configmap\" is supported");
      } else if (auto cm = config_map(spec.resource_modifier->name, "resource modifier")) {
        modifiers_ = restore::ResourceModifiers::parse(*cm, vns + "/" + spec.resource_modifier->name);
      }
    }
  } catch (const Error& e) {
    problems.push_back(e.what());
  }

  actions_ = restore::builtin_restore_item_actions();
  backup_ = backup;
  action_context_ = std::make_unique<restore::ActionContext>(restore::ActionContext{restore_, vns, lookup_, &*backup_});
  const Discovery& d = target_.discovery();
  status_filter_ = restore::status_includes_excludes(spec, [&d](std::string_view name) -> std::optional<filter::ResolvedResource> {
    if (auto r = d.resolve(name)) return filter::ResolvedResource{r->group_resource(), r->namespaced};
    return std::nullopt;
  });

  // restore §2.8: what the backup recorded about volume data.
  const std::string& b = backup.metadata.name;
  if (std::string key = store.backup_volume_info_key(b); store.objects().exists(key)) {
    volume_infos_ = read_list(store, key);
    volume_records_.volume_infos = &volume_infos_;
    volume_info_list_ = velero::volume_infos_from_json(volume_infos_, key);
  }
  volume_snapshots_ = read_list(store, store.backup_volume_snapshots_key(b));
  pod_volume_backups_ = read_list(store, store.backup_pod_volume_backups_key(b));
  csi_volume_snapshots_ = read_list(store, store.backup_csi_volume_snapshots_key(b));
  volume_records_.volume_snapshots = &volume_snapshots_;
  volume_records_.pod_volume_backups = &pod_volume_backups_;
  volume_records_.csi_volume_snapshots = &csi_volume_snapshots_;
  return problems;
}

}  // namespace vbackup::detail
