// The glue every surface calls to make a backup (backup.hpp create_backup), and the JSON forms of
// the item a hook sees: what the CLI, the C API and Python used to wire up each on its own.
#include "vbackup/backup.hpp"
#include "vbackup/error.hpp"

namespace vbackup {

archive::Compression parse_compression(std::string_view name, std::string_view what) {
  if (name == "gzip") return archive::Compression::gzip;
  if (name == "zstd") return archive::Compression::zstd;
  throw invalid_input(std::string(what) + ": expected gzip or zstd, not \"" + std::string(name) + "\"");
}

archive::Compression recorded_compression(const velero::Backup& backup) {
  auto it = backup.metadata.annotations.find(std::string(compression_annotation));
  return it != backup.metadata.annotations.end() && it->second == "zstd" ? archive::Compression::zstd
                                                                         : archive::Compression::gzip;
}

std::string compression_warning(archive::Compression compression, std::string_view backup_name) {
  if (compression == archive::Compression::gzip) return {};
  return "a Velero server cannot restore a zstd backup: it reads " + std::string(backup_name) + ".tar.gz as gzip";
}

json::object BackupItem::to_json() const {
  json::object r{{"group", resource.group},
                 {"version", resource.version},
                 {"resource", resource.name},
                 {"kind", resource.kind},
                 {"namespaced", resource.namespaced}};
  return json::object{{"resource", std::move(r)}, {"object", object}};
}

void BackupItem::apply_json(const json::object& answer, std::string_view what) {
  const std::string w(what);
  for (const auto& kv : answer) {
    std::string_view key = kv.key();
    if (key != "object" && key != "skip" && key != "additionalItems") {
      throw invalid_input(w + ": unknown key \"" + std::string(key) + "\" (object, skip, additionalItems)");
    }
  }
  if (auto it = answer.find("object"); it != answer.end()) {
    if (!it->value().is_object()) throw invalid_input(w + ": object: expected an object");
    object = it->value().get_object();
  }
  if (auto it = answer.find("skip"); it != answer.end()) {
    if (!it->value().is_bool()) throw invalid_input(w + ": skip: expected true or false");
    skip = it->value().get_bool();
  }
  if (auto it = answer.find("additionalItems"); it != answer.end()) {
    if (!it->value().is_array()) throw invalid_input(w + ": additionalItems: expected an array");
    for (const auto& e : it->value().get_array()) {
      if (!e.is_object()) throw invalid_input(w + ": additionalItems: expected objects");
      const auto& o = e.get_object();
      additional.push_back({std::string(json::get_string(o, "groupResource")), std::string(json::get_string(o, "namespace")),
                            std::string(json::get_string(o, "name"))});
    }
  }
}

BackupRun create_backup(Cluster& cluster, OpenedLocation& location, velero::Backup backup, BackupOptions options) {
  // Against a live cluster with Velero's CRDs, the Backup CR is kept current there too.
  std::optional<CrRecorder> recorder;
  if (cluster.live()) {
    recorder.emplace(*cluster.client(), "backups", "Backup");
    auto caller = options.on_record;
    options.on_record = [&recorder, caller](const velero::Backup& b) {
      recorder->record(b.to_json());
      if (caller) caller(b);
    };
  }
  BackupRun run{run_backup(std::move(backup), cluster.source(), *location.backups, location.location, options), {}};
  if (recorder) run.note = recorder->note();
  return run;
}

}  // namespace vbackup
