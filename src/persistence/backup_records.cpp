// Reading what a backup left in storage: velero-backup.json and the side files `describe` shows
// (persistence.hpp).
#include "vbackup/error.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/velero.hpp"
#include "vbackup/velero_volumes.hpp"

namespace vbackup {

namespace {
constexpr std::size_t kRecordLimit = 64 << 20;  // velero-backup.json is a few KB; refuse absurd sizes
}

velero::Backup get_backup(storage::BackupStore& store, const std::string& name) {
  std::string key = store.backup_metadata_key(name);
  if (!store.objects().exists(key)) {
    throw not_found("backup \"" + name + "\" not found in " + store.objects().describe() +
                    (store.root().empty() ? "" : " (prefix " + store.root() + ")"));
  }
  return velero::read_backup_json(store.objects().get_all(key, kRecordLimit), key);
}

BackupDetails describe_backup(storage::BackupStore& store, const std::string& name, bool details) {
  BackupDetails d;
  d.backup = get_backup(store, name);
  if (!details) return d;
  // Optional files: absent in older backups, which is not an error (spec §2.3).
  if (std::string key = store.backup_resource_list_key(name); store.objects().exists(key)) {
    d.resource_list = velero::decode_resource_list(store.objects().get_all(key, velero::side_file_limit), key);
    d.has_resource_list = true;
  }
  if (std::string key = store.backup_results_key(name); store.objects().exists(key)) {
    d.results = velero::decode_results(store.objects().get_all(key, velero::side_file_limit), key);
    d.has_results = true;
  }
  // csi §1.7, §1.4: Velero writes both for every backup (gzip "null" when there is nothing).
  if (std::string key = store.backup_volume_info_key(name); store.objects().exists(key)) {
    d.volume_infos = velero::decode_volume_infos(store.objects().get_all(key, velero::side_file_limit), key);
    d.has_volume_info = true;
  }
  if (std::string key = store.backup_item_operations_key(name); store.objects().exists(key)) {
    d.item_operations = velero::decode_item_operations(store.objects().get_all(key, velero::side_file_limit), key);
    d.has_item_operations = true;
  }
  return d;
}

json::object BackupDetails::to_json() const {
  json::object out{{"backup", backup.to_json()}};
  if (has_resource_list) {
    json::object list;
    for (const auto& [k, v] : resource_list) {
      json::array names;
      for (const auto& n : v) names.emplace_back(n);
      list[k] = std::move(names);
    }
    out["resourceList"] = std::move(list);
  }
  if (has_results) {
    out["results"] = json::object{{"errors", results.errors.to_json()}, {"warnings", results.warnings.to_json()}};
  }
  if (has_volume_info) {
    json::array a;
    for (const auto& v : volume_infos) a.emplace_back(v.to_json());
    out["volumeInfos"] = std::move(a);
  }
  if (has_item_operations) {
    json::array a;
    for (const auto& op : item_operations) a.emplace_back(op.to_json());
    out["itemOperations"] = std::move(a);
  }
  return out;
}

std::vector<velero::Backup> list_backups(storage::BackupStore& store) {
  std::vector<velero::Backup> out;
  for (const auto& name : store.list_backups()) out.push_back(get_backup(store, name));
  return out;
}

}  // namespace vbackup

namespace vbackup {

std::string backup_logs(storage::BackupStore& store, const std::string& name) {
  std::string key = store.backup_log_key(name);
  if (!store.objects().exists(key)) {
    if (!store.backup_exists(name)) get_backup(store, name);  // throws the not-found message
    throw not_found("backup \"" + name + "\" has no log in " + store.objects().describe());
  }
  return gzip_decompress(store.objects().get_all(key, velero::side_file_limit), velero::side_file_limit, key);
}

void download_backup(storage::BackupStore& store, const std::string& name, const std::filesystem::path& path) {
  std::string key = store.backup_contents_key(name);
  if (!store.objects().exists(key)) {
    if (!store.backup_exists(name)) get_backup(store, name);
    throw not_found("backup \"" + name + "\" has no tarball (" + key + ") in " + store.objects().describe());
  }
  auto in = store.objects().get(key);
  std::filesystem::path target = std::filesystem::absolute(path);
  auto dir = storage::open_file_store(target.parent_path());
  auto out = dir->open_write(target.filename().string());
  std::vector<char> buf(1 << 20);
  while (std::size_t n = in->read(buf.data(), buf.size())) out->write(buf.data(), n);
  out->commit();
}

std::vector<std::string> delete_backup(storage::BackupStore& store, const std::string& name) {
  auto deleted = store.delete_backup(name);
  if (deleted.empty()) {
    throw not_found("backup \"" + name + "\" not found in " + store.objects().describe() +
                    (store.root().empty() ? "" : " (prefix " + store.root() + ")"));
  }
  return deleted;
}

}  // namespace vbackup
