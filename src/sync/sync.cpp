// One pass of Velero's backup sync controller (pkg/controller/backup_sync_controller.go, spec §3.1):
// the bucket is the source of truth for the Backup CRs of one location.
#include "vbackup/operation.hpp"
#include "vbackup/cluster.hpp"
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/sync.hpp"

#include "sync/sync_internal.hpp"

#include <algorithm>
#include <set>

namespace vbackup {

using sync_detail::has_status_subresource;

bool sync_due(const velero::BackupStorageLocation& bsl, Timestamp now, std::chrono::nanoseconds server_period) {
  auto period = server_period;
  if (bsl.spec.backup_sync_period) {
    period = *bsl.spec.backup_sync_period;
    if (period.count() == 0) return false;  // "Backup sync period for this location is set to 0, skipping sync"
    if (period.count() < 0) period = server_period;
  }
  if (!bsl.status.last_synced_time) return true;
  return now >= *bsl.status.last_synced_time + std::chrono::duration_cast<std::chrono::seconds>(period);
}

json::object SyncResult::to_json() const {
  auto strings = [](const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
  };
  json::array skips;
  for (const auto& s : skipped) skips.emplace_back(json::object{{"backup", s.backup}, {"reason", s.reason}});
  json::object o{{"location", location}, {"created", strings(created)}, {"deleted", strings(deleted)},
                 {"skipped", std::move(skips)}, {"errors", strings(errors)}, {"warnings", strings(warnings)}};
  if (last_synced_time) o["lastSyncedTime"] = format_rfc3339(*last_synced_time);
  if (!ran) o["ran"] = false;
  return o;
}

namespace {

constexpr std::size_t kRecordLimit = 64 << 20;  // velero-backup.json is a few KB

struct Pass {
  kube::KubeClient& client;
  const velero::BackupStorageLocation& bsl;
  storage::BackupStore& store;
  const SyncOptions& options;
  SyncResult& result;
  Timestamp now;

  void log(std::string_view level, const std::string& line) {
    if (options.on_log) options.on_log(level, line);
  }
  void warn(std::string line) {
    log("warning", line);
    result.warnings.push_back(std::move(line));
  }
  void error(std::string line) {
    log("error", line);
    result.errors.push_back(std::move(line));
  }
  void skip(const std::string& backup, std::string reason) {
    log("info", "backup " + backup + " not synced: " + reason);
    result.skipped.push_back({backup, std::move(reason)});
  }

  // Velero's ListBackups: every folder under backups/, with or without its velero-backup.json.
  std::vector<std::string> bucket_folders() {
    std::vector<std::string> names;
    const std::string base = store.root() + "backups/";
    try {
      for (const auto& p : store.objects().list_common_prefixes(base, "/")) {
        std::string name = p.substr(base.size());
        if (!name.empty() && name.back() == '/') name.pop_back();
        if (!name.empty()) names.push_back(std::move(name));
      }
    } catch (const Error& e) {
      throw Error(ErrorCode::storage, "backup storage location \"" + bsl.metadata.name +
                                          "\": listing backups in the backup store: " + e.what());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // filterBackupOwnerReferences: a Schedule that is missing here, or another one of that name,
  // no longer owns the backup; other kinds cannot be checked and stay.
  std::vector<velero::OwnerReference> owner_references(const velero::Backup& b) {
    std::vector<velero::OwnerReference> kept;
    for (const auto& ref : b.metadata.owner_references) {
      if (ref.kind == "Schedule") {
        try {
          const ApiResource& schedules = velero_resource(client, "schedules", "Schedule");
          auto schedule = client.try_get(schedules, b.metadata.namespace_, ref.name);
          if (!schedule) {
            warn("backup " + b.metadata.name + ": removing missing schedule ownership reference " +
                 b.metadata.namespace_ + "/" + ref.name);
            continue;
          }
          if (std::string uid(json::metadata_string(*schedule, "uid")); uid != ref.uid) {
            warn("backup " + b.metadata.name + ": removing schedule ownership reference with mismatched UIDs. Expected " +
                 ref.uid + ", got " + uid);
            continue;
          }
        } catch (const Error& e) {
          log("error", "backup " + b.metadata.name + ": error finding schedule ownership reference, keeping schedule on "
                       "backup: " + e.what());
        }
      } else {
        log("warning", "backup " + b.metadata.name + ": unable to check ownership reference for unknown kind, " + ref.kind);
      }
      kept.push_back(ref);
    }
    return kept;
  }

  // The stored Backup, or nullopt (said in the result) when it is not to be synced.
  std::optional<velero::Backup> stored_backup(const std::string& name) {
    const std::string key = store.backup_metadata_key(name);
    velero::Backup b;
    try {
      if (!store.objects().exists(key)) {
        skip(name, "the folder backups/" + name + "/ has no velero-backup.json (an upload in progress or a leftover)");
        return std::nullopt;
      }
      b = velero::read_backup_json(store.objects().get_all(key, kRecordLimit), key);
    } catch (const Error& e) {
      // A corrupt record must not stop the others (the loop goes on).
      std::string why = "backup folder backups/" + name + "/: velero-backup.json cannot be read: " + e.what();
      warn(why);
      skip(name, why);
      return std::nullopt;
    }
    if (b.metadata.name != name) {
      // Ours: Velero would create the CR under the stored name, which the next pass finds orphaned.
      std::string why = "backup folder backups/" + name + "/: its velero-backup.json names backup \"" +
                        b.metadata.name + "\"";
      warn(why);
      skip(name, why);
      return std::nullopt;
    }
    // Only phases Velero itself writes to object storage are synced; anything else would look
    // like a backup to run.
    const std::string& phase = b.status.phase;
    namespace ph = velero::backup_phase;
    if (phase == ph::Completed || phase == ph::PartiallyFailed || phase == ph::Failed) {
      // synced as they are
    } else if (phase == ph::WaitingForPluginOperations || phase == ph::WaitingForPluginOperationsPartiallyFailed ||
               phase == ph::Finalizing || phase == ph::FinalizingPartiallyFailed) {
      if (!b.status.expiration || *b.status.expiration > now) {
        skip(name, "phase " + phase + " and not expired: skipping non-expired incomplete backup");
        return std::nullopt;
      }
      log("info", "backup " + name + ": " + phase + " backup is past expiration, syncing for garbage collection");
      b.status.phase = std::string(ph::PartiallyFailed);
    } else {
      skip(name, "phase \"" + phase + "\" in the backup store is not a phase that can be synced");
      return std::nullopt;
    }
    return b;
  }

  // Velero's mutations of a synced backup.
  void mutate(velero::Backup& b) {
    b.spec.hooks = json::object{};  // a record of a backup that ran elsewhere: hooks have no consumer
    b.metadata.namespace_ = options.velero_namespace;
    b.metadata.resource_version.clear();
    // What the API server assigns on create anyway.
    b.metadata.uid.clear();
    b.metadata.creation_timestamp.reset();
    b.metadata.deletion_timestamp.reset();
    b.metadata.deletion_grace_period_seconds.reset();
    b.metadata.generation = 0;
    b.metadata.managed_fields = json::array{};
    // The location may have another name in this cluster than where the backup was made.
    b.spec.storage_location = bsl.metadata.name;
    b.metadata.labels[std::string(velero::label::storage_location)] = velero::get_valid_name(bsl.metadata.name);
    b.metadata.owner_references = owner_references(b);
  }

  // Creates the CR; false (said in the result) when it was not.
  bool create(const ApiResource& backups, bool status_subresource, const velero::Backup& b) {
    const std::string& name = b.metadata.name;
    json::object cr = b.to_json();
    json::object status = cr.contains("status") && cr["status"].is_object() ? cr["status"].get_object() : json::object{};
    json::object created;
    try {
      if (status_subresource) cr.erase("status");  // the server drops it on create: PUT .../status follows
      created = client.create(backups, cr, options.velero_namespace);
    } catch (const kube::KubeError& e) {
      if (e.reason() == kube::Reason::already_exists) {
        skip(name, "a Backup of that name already exists in the cluster");
      } else {
        error("backup " + name + ": error syncing backup into cluster: " + e.what());
      }
      return false;
    }
    if (!status_subresource) return true;
    const std::string path = kube::KubeClient::path(backups, options.velero_namespace, name) + "/status";
    try {
      json::object body = created;
      body["status"] = status;
      client.request("PUT", path, json::marshal(body), "application/json");
      return true;
    } catch (const Error& e) {
      // A Backup without a phase is a request to a running server (New): take it back.
      std::string msg = "backup " + name + ": its status could not be written (" + e.what() + ")";
      try {
        client.remove(backups, options.velero_namespace, name);
        msg += "; the Backup CR was deleted again";
      } catch (const Error& e2) {
        msg += "; the phase-less Backup CR could not be deleted either (" + std::string(e2.what()) +
               "): remove it with `kubectl delete backup " + name + " -n " + options.velero_namespace + "`";
      }
      error(msg);
      return false;
    }
  }

  // Velero also creates the PodVolumeBackups listed in <b>-podvolumebackups.json.gz; this library
  // serves no such CRD (and its backups list none), so a non-empty list is a warning, never dropped
  // silently.
  void pod_volume_backups(const std::string& name) {
    try {
      const std::string key = store.backup_pod_volume_backups_key(name);
      if (!store.objects().exists(key)) return;
      auto list = velero::decode_json_list_gz(store.objects().get_all(key, velero::side_file_limit), key);
      if (!list.empty()) {
        warn("backup " + name + ": its " + std::to_string(list.size()) +
             " PodVolumeBackups are not synced (pod volume backups are not supported)");
      }
    } catch (const Error& e) {
      warn("backup " + name + ": its pod volume backups cannot be read: " + std::string(e.what()));
    }
  }

  // Ours (issue 16, SyncOptions::verify): the backup against its checksum manifest.
  bool verified(const std::string& name) {
    try {
      auto v = sealing::verify_backup(store, name, options.seal);
      for (const auto& w : v.warnings) warn("backup " + name + ": " + w);
      if (v.ok()) return true;
      skip(name, "does not match its checksum manifest: " + v.problems.front() +
                     (v.problems.size() > 1 ? " (and " + std::to_string(v.problems.size() - 1) + " more)" : ""));
    } catch (const Error& e) {
      skip(name, "cannot be verified: " + std::string(e.what()));
    }
    return false;
  }

  // deleteOrphanedBackups: Completed and PartiallyFailed Backups of this location whose folder
  // left the bucket.
  void delete_orphans(const ApiResource& backups, const std::set<std::string>& in_bucket) {
    ListOptions list;
    list.namespace_ = options.velero_namespace;
    list.label_selector = std::string(velero::label::storage_location) + "=" + velero::get_valid_name(bsl.metadata.name);
    std::vector<std::string> orphans;
    try {
      client.list(backups, list, [&](json::object&& o) {
        std::string name(json::metadata_string(o, "name"));
        const json::object* st = json::find_object(o, "status");
        std::string_view phase = st ? json::get_string(*st, "phase") : std::string_view();
        if (phase != velero::backup_phase::Completed && phase != velero::backup_phase::PartiallyFailed) return;
        if (!in_bucket.count(name)) orphans.push_back(std::move(name));
      });
    } catch (const Error& e) {
      error("error listing backups from cluster: " + std::string(e.what()));
      return;
    }
    for (const auto& name : orphans) {
      try {
        client.remove(backups, options.velero_namespace, name);
        log("info", "backup " + name + ": deleted from the cluster, its data left the backup storage location");
        result.deleted.push_back(name);
      } catch (const kube::KubeError& e) {
        if (e.reason() == kube::Reason::not_found) continue;  // gone meanwhile
        error("backup " + name + ": error deleting orphaned backup from cluster: " + e.what());
      }
    }
  }

  void run() {
    namespace ph = velero::location_phase;
    if (bsl.status.phase == ph::Unavailable || (options.require_available && bsl.status.phase != ph::Available)) {
      result.ran = false;
      error("BackupStorageLocation \"" + bsl.metadata.name + "\" is in unavailable state (phase \"" + bsl.status.phase +
            "\"), skip syncing backup from it");
      return;
    }
    const ApiResource& backups = velero_resource(client, "backups", "Backup");
    const bool status_subresource = has_status_subresource(client, backups);
    const std::vector<std::string> folders = bucket_folders();
    const std::set<std::string> in_bucket(folders.begin(), folders.end());

    std::set<std::string> in_cluster;
    try {
      ListOptions list;
      list.namespace_ = options.velero_namespace;
      client.list(backups, list, [&](json::object&& o) { in_cluster.emplace(json::metadata_string(o, "name")); });
    } catch (const Error& e) {
      error("error getting backups from cluster, proceeding with sync into cluster: " + std::string(e.what()));
    }

    for (const auto& name : folders) {
      if (in_cluster.count(name)) continue;
      auto b = stored_backup(name);
      if (!b) continue;
      if (options.verify && !verified(name)) continue;
      mutate(*b);
      if (create(backups, status_subresource, *b)) {
        log("info", "backup " + name + ": successfully synced backup into cluster");
        result.created.push_back(name);
      }
      pod_volume_backups(name);
    }

    delete_orphans(backups, in_bucket);

    if (!options.update_location) return;
    try {
      if (get_location(client, options.velero_namespace, bsl.metadata.name)) {
        patch_location_status(client, options.velero_namespace, bsl.metadata.name,
                              json::object{{"status", json::object{{"lastSyncedTime", format_rfc3339(now)}}}});
        result.last_synced_time = now;
      }
    } catch (const Error& e) {
      error("error patching backup location's last-synced time: " + std::string(e.what()));
    }
  }
};

}  // namespace

SyncResult sync_once(kube::KubeClient& client, const velero::BackupStorageLocation& bsl, storage::BackupStore& store,
                     const SyncOptions& options) {
  SyncResult result;
  result.location = bsl.metadata.name;
  Timestamp now = options.now ? options.now() : now_timestamp();
  Pass{client, bsl, store, options, result, now}.run();
  return result;
}

std::vector<velero::BackupStorageLocation> sync_order(std::vector<velero::BackupStorageLocation> locations) {
  auto def = std::find_if(locations.begin(), locations.end(), [](const auto& l) { return l.spec.default_; });
  if (def != locations.end()) std::rotate(locations.begin(), def, def + 1);
  return locations;
}

std::vector<SyncResult> sync_due_locations(kube::KubeClient& client, const SyncOptions& options,
                                           std::chrono::nanoseconds server_period,
                                           const LocationOptions& location_options) {
  const Timestamp now = options.now ? options.now() : now_timestamp();
  std::vector<SyncResult> out;
  for (const auto& bsl : sync_order(list_locations(client, options.velero_namespace))) {
    if (!sync_due(bsl, now, server_period)) continue;
    try {
      OpenedLocation opened = open_bsl(client, bsl, options.velero_namespace, location_options);
      out.push_back(sync_once(client, bsl, *opened.backups, options));
    } catch (const Error& e) {
      // "Error getting backup store for this location": this location waits for its next period.
      SyncResult r;
      r.location = bsl.metadata.name;
      r.ran = false;
      r.errors.push_back(e.what());
      if (options.on_log) options.on_log("error", "backup storage location \"" + bsl.metadata.name + "\": " + e.what());
      out.push_back(std::move(r));
    }
  }
  return out;
}

SyncResult sync_location(Cluster& cluster, std::string_view location, const SyncOptions& options,
                         const LocationOptions& location_options) {
  if (!cluster.live()) {
    throw Error(ErrorCode::unsupported, "sync: " + cluster.describe() +
                                            " is a folder of manifests; syncing Backup CRs needs a live cluster");
  }
  kube::KubeClient& client = *cluster.client();
  velero::BackupStorageLocation bsl = resolve_location(client, location, options.velero_namespace, location_options);
  OpenedLocation opened = open_bsl(client, bsl, options.velero_namespace, location_options);
  return sync_once(client, bsl, *opened.backups, options);
}

}  // namespace vbackup
