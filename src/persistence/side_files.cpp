// Writing the side files of a backup or a restore (persistence.hpp): Velero's PutBackup /
// PutRestoreResults / PutRestoredResourceList, with the resource list streamed out of a sorted spill.
#include "core/item_set.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/stream.hpp"

namespace vbackup::persistence {

struct ResourceListWriter::Impl {
  detail::SortedSpill lines;  // "<key>\t<entry>"
};

ResourceListWriter::ResourceListWriter() : impl_(std::make_unique<Impl>()) {}
ResourceListWriter::~ResourceListWriter() = default;

void ResourceListWriter::add(std::string_view key, std::string_view entry) {
  std::string line;
  line.reserve(key.size() + entry.size() + 1);
  line.append(key).append(1, '\t').append(entry);
  impl_->lines.add(std::move(line));
}

// Encoded as the sorted lines stream out of the spill: the same bytes as velero::encode_resource_list.
void ResourceListWriter::upload(storage::ObjectStore& store, const std::string& key) {
  auto upload = store.open_write(key);
  GzipOutputStream gz(*upload);
  std::string current, chunk = "{";
  bool first_key = true, first_name = true;
  impl_->lines.for_each_sorted([&](std::string_view line) {
    auto tab = line.find('\t');
    std::string_view k = line.substr(0, tab), item = line.substr(tab + 1);
    if (first_key || k != current) {
      if (!first_key) chunk += "],";
      json::marshal_to(json::string(k), chunk);
      chunk += ":[";
      current = k;
      first_key = false;
      first_name = true;
    }
    if (!first_name) chunk += ',';
    json::marshal_to(json::string(item), chunk);
    first_name = false;
    if (chunk.size() > (1 << 16)) {
      gz.write(chunk);
      chunk.clear();
    }
  });
  if (!first_key) chunk += "]";
  chunk += "}\n";
  gz.write(chunk);
  gz.finish();
  upload->commit();
}

void put_results(storage::ObjectStore& store, const std::string& key, const velero::Result& errors,
                 const velero::Result& warnings) {
  store.put(key, velero::encode_results(errors, warnings));
}

void put_empty_backup_side_files(storage::BackupStore& store, const std::string& name) {
  for (const auto& key : {store.backup_pod_volume_backups_key(name), store.backup_volume_snapshots_key(name),
                          store.backup_item_operations_key(name), store.backup_volume_info_key(name)}) {
    store.objects().put(key, velero::encode_json_gz(json::value(nullptr)));
  }
}

void put_backup_record(storage::BackupStore& store, const velero::Backup& backup) {
  store.objects().put(store.backup_metadata_key(backup.metadata.name), velero::write_backup_json(backup));
}

}  // namespace vbackup::persistence
