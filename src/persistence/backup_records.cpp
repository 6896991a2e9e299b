// Reading what a backup left in storage: velero-backup.json and the side files `describe` shows
// (persistence.hpp).
#include "vbackup/error.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/velero.hpp"

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

namespace {

// A gzip'd JSON array of objects (null: none), Error(invalid) naming the key otherwise.
std::vector<json::object> side_array(storage::BackupStore& store, const std::string& key) {
  const std::string text =
      gzip_decompress(store.objects().get_all(key, velero::side_file_limit), velero::side_file_limit, key);
  json::value v = json::parse(text, key);
  std::vector<json::object> out;
  if (v.is_null()) return out;
  if (!v.is_array()) throw invalid_input(key + ": not a JSON array");
  for (auto& e : v.as_array()) {
    if (!e.is_object()) throw invalid_input(key + ": an entry is not a JSON object");
    out.push_back(std::move(e.as_object()));
  }
  return out;
}

std::string str(const json::object* o, std::string_view key) {
  return o ? std::string(json::get_string(*o, key)) : std::string();
}
bool flag(const json::object* o, std::string_view key) {
  if (!o) return false;
  auto it = o->find(key);
  return it != o->end() && it->value().is_bool() && it->value().get_bool();
}
std::int64_t number(const json::object* o, std::string_view key) {
  if (!o) return 0;
  auto it = o->find(key);
  if (it == o->end()) return 0;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64()) return static_cast<std::int64_t>(it->value().get_uint64());
  return 0;
}

// internal/volume/volumes_information.go BackupVolumeInfo (its JSON keys, "ReadyToUse" aside).
BackupVolumeInfo volume_info(json::object o, const std::string& key) {
  (void)key;
  BackupVolumeInfo v;
  v.pvc_name = str(&o, "pvcName");
  v.pvc_namespace = str(&o, "pvcNamespace");
  v.pv_name = str(&o, "pvName");
  v.backup_method = str(&o, "backupMethod");
  v.skipped = flag(&o, "skipped");
  v.skipped_reason = str(&o, "skippedReason");
  v.snapshot_data_moved = flag(&o, "snapshotDataMoved");
  v.preserve_local_snapshot = flag(&o, "preserveLocalSnapshot");
  v.result = str(&o, "result");
  const json::object* csi = json::find_object(o, "csiSnapshotInfo");
  v.snapshot_handle = str(csi, "snapshotHandle");
  v.size = number(csi, "size");
  v.driver = str(csi, "driver");
  v.vsc_name = str(csi, "vscName");
  v.operation_id = str(csi, "operationID");
  const json::object* native = json::find_object(o, "nativeSnapshotInfo");
  v.native_snapshot_handle = str(native, "snapshotHandle");
  v.volume_type = str(native, "volumeType");
  v.volume_az = str(native, "volumeAZ");
  v.iops = str(native, "iops");
  const json::object* dm = json::find_object(o, "snapshotDataMovementInfo");
  v.data_mover = str(dm, "dataMover");
  v.uploader_type = str(dm, "uploaderType");
  v.data_movement_operation_id = str(dm, "operationID");
  v.data_movement_size = number(dm, "size");
  v.incremental_size = number(dm, "incrementalSize");
  v.raw = std::move(o);
  return v;
}

// velero.ResourceIdentifier: schema.GroupResource embedded without JSON tags ("Group", "Resource").
void resource_identifier(const json::object* r, std::string& resource, std::string& ns, std::string& name) {
  const std::string group = str(r, "Group");
  resource = str(r, "Resource") + (group.empty() ? "" : "." + group);
  ns = str(r, "Namespace");
  name = str(r, "Name");
}

// pkg/itemoperation BackupOperation.
BackupItemOperation item_operation(json::object o, const std::string& key) {
  (void)key;
  BackupItemOperation op;
  const json::object* spec = json::find_object(o, "spec");
  resource_identifier(spec ? json::find_object(*spec, "resourceIdentifier") : nullptr, op.resource, op.namespace_, op.name);
  op.backup_item_action = str(spec, "backupItemAction");
  op.operation_id = str(spec, "operationID");
  if (const json::array* items = spec ? json::find_array(*spec, "postOperationItems") : nullptr) {
    for (const auto& i : *items) {
      if (!i.is_object()) continue;
      std::string r, ns, n;
      resource_identifier(&i.get_object(), r, ns, n);
      op.post_operation_items.push_back(r + " " + ns + "/" + n);
    }
  }
  const json::object* st = json::find_object(o, "status");
  op.phase = str(st, "phase");
  op.error = str(st, "error");
  op.n_completed = number(st, "nCompleted");
  op.n_total = number(st, "nTotal");
  op.operation_units = str(st, "operationUnits");
  op.description = str(st, "description");
  op.created = str(st, "created");
  op.started = str(st, "started");
  op.updated = str(st, "updated");
  op.raw = std::move(o);
  return op;
}

}  // namespace

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
    for (auto& o : side_array(store, key)) d.volume_infos.push_back(volume_info(std::move(o), key));
    d.has_volume_info = true;
  }
  if (std::string key = store.backup_item_operations_key(name); store.objects().exists(key)) {
    for (auto& o : side_array(store, key)) d.item_operations.push_back(item_operation(std::move(o), key));
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
    for (const auto& v : volume_infos) a.emplace_back(v.raw);
    out["volumeInfos"] = std::move(a);
  }
  if (has_item_operations) {
    json::array a;
    for (const auto& op : item_operations) a.emplace_back(op.raw);
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
