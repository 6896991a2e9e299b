// The glue every surface calls to make a backup (backup.hpp create_backup), and the JSON forms of
// the item a hook sees: what the CLI, the C API and Python used to wire up each on its own.
#include "vbackup/backup.hpp"
#include "vbackup/error.hpp"

#include <cctype>

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
  const std::string name = backup.metadata.name;
  if (options.record_in_cluster == RecordInCluster::always && !cluster.live()) {
    throw invalid_input("backup " + name + ": recording the Backup in the cluster was asked (record in cluster: true), "
                        "but " + cluster.describe() + " is not a cluster");
  }
  // Against a live cluster with Velero's CRDs, the Backup CR is kept current there too. Not for a
  // name the location already holds: that backup fails at once, and a Failed CR of its name would
  // hide the stored one from Velero's sync.
  std::optional<CrRecorder> recorder;
  if (cluster.live() && options.record_in_cluster != RecordInCluster::never &&
      (options.record_existing || name.empty() || !location.backups->backup_exists(name))) {
    recorder.emplace(*cluster.client(), "backups", "Backup", options.record_in_cluster);
    if (options.on_recording) recorder->on_recording(options.on_recording);
    if (options.record_existing) recorder->adopt_existing();
    auto caller = options.on_record;
    options.on_record = [&recorder, caller](const velero::Backup& b) {
      recorder->record(b.to_json());
      if (caller) caller(b);
    };
  }
  std::function<Timestamp()> now = options.now;
  if (!now) now = [] { return now_timestamp(); };
  std::optional<BackupRun> run;
  try {
    run.emplace(BackupRun{run_backup(std::move(backup), cluster.source(), *location.backups, location.location, options), {}});
  } catch (...) {
    // A cancel (recorded Failed "cancelled" by run_backup) or an error thrown past it: never leave
    // the CR InProgress, where a Velero server counts it as running.
    if (recorder) recorder->settle(std::current_exception(), now());
    throw;
  }
  if (recorder) {
    recorder->settle(run->result.backup.status.failure_reason, now());
    run->note = recorder->note();
  }
  return std::move(*run);
}

DeleteResult delete_with_record(const std::function<std::vector<std::string>()>& delete_files, Cluster* cluster,
                                std::string_view plural, std::string_view kind, const std::string& name,
                                const std::string& velero_namespace) {
  std::string what(kind);
  if (!what.empty()) what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
  DeleteResult out;
  bool in_location = true;
  try {
    out.objects = delete_files();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::not_found || !cluster || !cluster->live()) throw;
    in_location = false;
  }
  if (cluster && cluster->live()) {
    try {
      out.cr_deleted = delete_recorded_cr(*cluster->client(), plural, velero_namespace, name);
    } catch (const Error& e) {
      // The files are gone; a cluster that cannot be reached (or refuses) leaves the CR, and says so.
      if (e.code() != ErrorCode::kube || !in_location) throw;
      out.note = "the " + std::string(kind) + " CR was not deleted: " + std::string(e.what());
    }
  }
  if (!in_location && !out.cr_deleted) {
    throw not_found(what + " " + name + ": not in the location, and no " + std::string(kind) +
                    " of that name in namespace \"" + velero_namespace + "\" of " + cluster->describe());
  }
  return out;
}

DeleteResult delete_backup(storage::BackupStore& store, const std::string& name, Cluster* cluster,
                            const std::string& velero_namespace) {
  // spec §2.8 (Velero's backup deletion): the files first, then the CR, so that Velero's sync never
  // brings the CR back from a backup still in the bucket.
  return delete_with_record([&] { return delete_backup(store, name); }, cluster, "backups", "Backup", name,
                            velero_namespace);
}

}  // namespace vbackup
