#include "restore/actions/item_rules.hpp"

#include "restore/actions/object_access.hpp"
#include "vbackup/velero_meta.hpp"

#include <algorithm>
#include <cctype>

namespace vbackup::restore {

using namespace detail;

namespace {

// The item in messages: Velero's resource ID when the group resource is known, else "<Kind>/<ns>/<name>";
// empty parts are left out ("Pod" for an object without metadata).
std::string what_of(const json::object& item, std::string_view group_resource = {}) {
  std::string out(group_resource.empty() ? json::get_string(item, "kind", "item") : group_resource);
  for (std::string_view part : {json::metadata_string(item, "namespace"), json::metadata_string(item, "name")}) {
    if (!part.empty()) out.append("/").append(part);
  }
  return out;
}

}  // namespace

bool is_completed(const json::object& item, std::string_view group_resource) {
  if (group_resource != "pods" && group_resource != "jobs.batch") return false;
  const std::string what = what_of(item, group_resource);
  const json::object* status = object_field(item, "status", what, "");
  if (!status) return false;
  if (group_resource == "pods") {
    auto phase = string_field(*status, "phase", what, "status").value_or("");
    return phase == "Failed" || phase == "Succeeded";
  }
  return !string_field(*status, "completionTime", what, "status").value_or("").empty();
}

bool is_mirror_pod(const json::object& item, std::string_view group_resource) {
  if (group_resource != "pods") return false;
  return !map_string(metadata_map(item, "annotations", what_of(item, group_resource)), "kubernetes.io/config.mirror")
              .empty();
}

std::optional<json::value> reset_metadata_and_status(json::object& item) {
  json::object& md = metadata(item, what_of(item));
  for (std::string_view key : {"generateName", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
                               "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences"}) {
    md.stable_erase(key);
  }
  std::optional<json::value> status;
  if (auto it = item.find("status"); it != item.end()) {
    status = std::move(it->value());
    item.stable_erase(it);
  }
  return status;
}

void add_restore_labels(json::object& item, std::string_view restore_name, std::string_view backup_name) {
  const std::string what = what_of(item);
  json::object& md = metadata(item, what);
  json::object* labels = object_field(md, "labels", what, "metadata");
  if (!labels) labels = &md["labels"].emplace_object();
  (*labels)[velero::label::backup_name] = velero::get_valid_name(backup_name);
  (*labels)[velero::label::restore_name] = velero::get_valid_name(restore_name);
}

void reset_volume_binding_info(json::object& item) {
  const std::string what = what_of(item);
  if (json::object* spec = object_field(item, "spec", what, "")) {
    if (json::object* claim = object_field(*spec, "claimRef", what, "spec")) {
      claim->stable_erase("uid");
      claim->stable_erase("resourceVersion");
    }
  }
  if (json::object* annotations = metadata_map(item, "annotations", what)) {
    annotations->stable_erase("pv.kubernetes.io/bind-completed");
    annotations->stable_erase("pv.kubernetes.io/bound-by-controller");
  }
}

void reset_pvc_binding(json::object& pvc, const std::set<std::string, std::less<>>& pvs_to_provision,
                       const std::map<std::string, std::string, std::less<>>& renamed_pvs) {
  const std::string what = what_of(pvc, "persistentvolumeclaims");
  json::object* spec = object_field(pvc, "spec", what, "");
  if (!spec) return;
  const std::string volume(string_field(*spec, "volumeName", what, "spec").value_or(""));
  if (volume.empty()) return;
  // "This used to only happen with PVB volumes, but now always remove this binding metadata".
  reset_volume_binding_info(pvc);
  if (pvs_to_provision.contains(volume)) spec->stable_erase("volumeName");  // dynamic provisioning
  if (auto it = renamed_pvs.find(volume); it != renamed_pvs.end()) (*spec)["volumeName"] = it->second;
}

bool take_must_include_annotation(json::object& item) {
  json::object* annotations = metadata_map(item, "annotations", what_of(item));
  if (!annotations) return false;
  auto it = annotations->find("restore.velero.io/must-include-additional-items");
  if (it == annotations->end()) return false;
  bool on = it->value().is_string() && it->value().get_string() == "true";
  annotations->stable_erase(it);
  return on;
}

std::optional<filter::IncludesExcludes> status_includes_excludes(const velero::RestoreSpec& spec,
                                                                 const filter::ResourceResolver& resolve) {
  if (!spec.restore_status) return std::nullopt;
  auto map = [&](const std::string& name) {
    auto resolved = resolve ? resolve(name) : std::nullopt;
    return resolved ? resolved->group_resource : name;
  };
  std::vector<std::string> includes, excludes;
  for (const auto& name : spec.restore_status->included_resources) {
    std::string key = name == "*" ? name : map(name);
    if (!key.empty()) includes.push_back(std::move(key));
  }
  for (const auto& name : spec.restore_status->excluded_resources) {
    if (name == "*") continue;  // a wildcard exclude is invalid and ignored
    std::string key = map(name);
    if (!key.empty()) excludes.push_back(std::move(key));
  }
  return filter::IncludesExcludes(includes, excludes);
}

bool should_restore_status(const json::object& item, const filter::IncludesExcludes* status_filter,
                           std::string_view group_resource, std::string* note) {
  bool restore = status_filter && status_filter->should_include(group_resource);
  const json::object* annotations = json::metadata_map(item, "annotations");
  const json::value* value = annotations ? annotations->if_contains(velero::annotation::restore_status) : nullptr;
  if (!value) return restore;
  std::string text = value->is_string() ? std::string(trim_space(value->get_string())) : std::string();
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  if (text == "true") return true;
  if (text == "false") return false;
  if (note) {
    *note = "Invalid annotation value '" + (value->is_string() ? std::string(value->get_string()) : json::marshal(*value)) +
            "' on " + std::string(json::metadata_string(item, "namespace")) + "/" +
            std::string(json::metadata_string(item, "name")) + ", using restore spec setting: " +
            (restore ? "true" : "false");
  }
  return restore;
}

}  // namespace vbackup::restore
