// Reading what restores left in the location (persistence.hpp): the record we keep next to Velero's
// restore files, and those files.
#include "vbackup/error.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/stream.hpp"

namespace vbackup {
namespace {

constexpr std::size_t kRecordLimit = 64 << 20;

json::object resource_list_json(const velero::ResourceList& list) {
  json::object out;
  for (const auto& [k, v] : list) {
    json::array names;
    for (const auto& n : v) names.emplace_back(n);
    out[k] = std::move(names);
  }
  return out;
}

std::string where(storage::BackupStore& store) {
  return store.objects().describe() + (store.root().empty() ? "" : " (prefix " + store.root() + ")");
}

}  // namespace

json::object RestoreDetails::to_json() const {
  json::object out{{"restore", restore.to_json()}};
  if (has_resource_list) out["resourceList"] = resource_list_json(resource_list);
  if (has_results) {
    out["results"] = json::object{{"errors", results.errors.to_json()}, {"warnings", results.warnings.to_json()}};
  }
  return out;
}

velero::Restore get_restore(storage::BackupStore& store, const std::string& name) {
  std::string key = store.restore_metadata_key(name);
  if (!store.objects().exists(key)) throw not_found("restore \"" + name + "\" not found in " + where(store));
  auto v = json::parse(store.objects().get_all(key, kRecordLimit), key);
  if (!v.is_object()) throw invalid_input(key + ": expected object");
  return velero::Restore::from_json(v.get_object(), key);
}

std::vector<velero::Restore> list_restores(storage::BackupStore& store) {
  std::vector<velero::Restore> out;
  for (const auto& name : store.list_restores()) out.push_back(get_restore(store, name));
  return out;
}

RestoreDetails describe_restore(storage::BackupStore& store, const std::string& name, bool details) {
  RestoreDetails d;
  d.restore = get_restore(store, name);
  if (!details) return d;
  if (std::string key = store.restore_resource_list_key(name); store.objects().exists(key)) {
    d.resource_list = velero::decode_resource_list(store.objects().get_all(key, velero::side_file_limit), key);
    d.has_resource_list = true;
  }
  if (std::string key = store.restore_results_key(name); store.objects().exists(key)) {
    d.results = velero::decode_results(store.objects().get_all(key, velero::side_file_limit), key);
    d.has_results = true;
  }
  return d;
}

std::string restore_logs(storage::BackupStore& store, const std::string& name) {
  std::string key = store.restore_log_key(name);
  if (!store.objects().exists(key)) throw not_found("restore \"" + name + "\" has no log in " + where(store));
  return gzip_decompress(store.objects().get_all(key, velero::side_file_limit), velero::side_file_limit, key);
}

std::vector<std::string> delete_restore(storage::BackupStore& store, const std::string& name) {
  auto deleted = store.delete_restore(name);
  if (deleted.empty()) throw not_found("restore \"" + name + "\" not found in " + where(store));
  return deleted;
}

namespace persistence {

void put_restore_record(storage::BackupStore& store, const velero::Restore& restore) {
  store.objects().put(store.restore_metadata_key(restore.metadata.name),
                      json::marshal(restore.to_json(), {.sort_keys = false, .indent = 2}) + "\n");
}

}  // namespace persistence
}  // namespace vbackup
