#include "restore/actions/compare.hpp"

#include "restore/actions/item_rules.hpp"
#include "restore/actions/object_access.hpp"
#include "vbackup/velero_meta.hpp"

namespace vbackup::restore {

using namespace detail;

namespace {

bool empty_value(const json::value* v) {
  return !v || v->is_null() || (v->is_object() && v->get_object().empty()) || (v->is_array() && v->get_array().empty());
}

void differences(const json::value& desired, const json::value* cluster, const std::string& path,
                 std::vector<std::string>& out);

void object_differences(const json::object& desired, const json::object* cluster, const std::string& path,
                        std::vector<std::string>& out) {
  for (const auto& kv : desired) {
    if (path == "metadata" && kv.key() == "managedFields") continue;
    const json::value* other = cluster ? cluster->if_contains(kv.key()) : nullptr;
    differences(kv.value(), other, join(path, kv.key()), out);
  }
}

void differences(const json::value& desired, const json::value* cluster, const std::string& path,
                 std::vector<std::string>& out) {
  if (empty_value(&desired)) return;  // asks for nothing, as an absent key
  if (desired.is_object()) {
    // Descend even when the cluster has nothing here, so the paths name the keys asked for.
    if (empty_value(cluster)) return object_differences(desired.get_object(), nullptr, path, out);
    if (!cluster->is_object()) return out.push_back(path);
    return object_differences(desired.get_object(), &cluster->get_object(), path, out);
  }
  if (empty_value(cluster)) return out.push_back(path);
  if (desired.is_array()) {
    if (!cluster->is_array() || cluster->get_array().size() != desired.get_array().size()) return out.push_back(path);
    const json::array& a = desired.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) differences(a[i], &cluster->get_array()[i], index(path, i), out);
    return;
  }
  if (desired.is_number() && cluster->is_number()) {
    // int64 against int64 exactly; anything with a double numerically.
    bool same = desired.is_int64() && cluster->is_int64() ? desired.get_int64() == cluster->get_int64()
                                                            : desired.to_number<double>() == cluster->to_number<double>();
    if (!same) out.push_back(path);
    return;
  }
  if (desired != *cluster) out.push_back(path);
}

// Appends the entries of `from` (objects with a name) whose name `into` lacks.
void merge_named(json::object& into, const json::object& from, std::string_view key, std::string_view what) {
  const json::array* add = array_field(from, key, what, "");
  if (!add || add->empty()) return;
  json::array* list = array_field(into, key, what, "");
  if (!list) list = &into[key].emplace_array();
  for (std::size_t i = 0; i < add->size(); ++i) {
    const json::object& entry = object_element((*add)[i], what, index(key, i));
    auto name = json::get_string(entry, "name");
    bool exists = false;
    for (const auto& e : *list) exists = exists || (e.is_object() && json::get_string(e.get_object(), "name") == name);
    if (!exists) list->push_back(entry);
  }
}

}  // namespace

json::object prepare_for_compare(json::object in_cluster, const json::object* desired_labels) {
  reset_metadata_and_status(in_cluster);
  add_restore_labels(in_cluster, map_string(desired_labels, velero::label::restore_name),
                     map_string(desired_labels, velero::label::backup_name));
  return in_cluster;
}

std::vector<std::string> content_differences(const json::object& desired, const json::object& in_cluster) {
  std::vector<std::string> out;
  object_differences(desired, &in_cluster, "", out);
  return out;
}

bool content_equal(const json::object& desired, const json::object& in_cluster) {
  return content_differences(desired, in_cluster).empty();
}

json::object merge_service_accounts(json::object in_cluster, const json::object& from_backup) {
  const std::string what = resource_id("serviceaccounts", json::metadata_string(in_cluster, "namespace"),
                                       json::metadata_string(in_cluster, "name"));
  merge_named(in_cluster, from_backup, "secrets", what);
  merge_named(in_cluster, from_backup, "imagePullSecrets", what);
  for (std::string_view key : {"labels", "annotations"}) {
    const json::object* add = metadata_map(from_backup, key, what);
    if (!add || add->empty()) continue;
    json::object& md = metadata(in_cluster, what);
    json::object* into = object_field(md, key, what, "metadata");
    if (!into) into = &md[key].emplace_object();
    for (const auto& kv : *add) {
      if (!into->contains(kv.key())) (*into)[kv.key()] = kv.value();
    }
  }
  return in_cluster;
}

}  // namespace vbackup::restore
