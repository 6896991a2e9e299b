// Garbage collection of expired backups: Velero's gcReconciler (pkg/controller/gc_controller.go,
// spec §3.2) as a decision (gc_decide), one reconcile (gc_backup) and a pass over a namespace (gc_once).
#include "deletion/common.hpp"

#include "vbackup/error.hpp"
#include "vbackup/velero_meta.hpp"

namespace vbackup::deletion {

using detail::say;

GcDecision gc_decide(const velero::Backup& backup, Timestamp now, const GcLocation& location) {
  GcDecision d;
  // `Expiration == nil || Expiration.After(now)`: not expired. An expiration equal to now is expired.
  if (!backup.status.expiration || *backup.status.expiration > now) {
    d.message = "Backup has not expired yet, skipping";
    return d;
  }
  const std::string& bsl = backup.spec.storage_location;
  if (!location.location) {
    d.action = GcAction::label_failure;
    if (location.cannot_get) {
      d.failure = gc_failure::BSLCannotGet;
      d.message = "error getting backup storage location " + bsl;
    } else {
      d.failure = gc_failure::BSLNotFound;
      d.message = "Backup cannot be garbage-collected because backup storage location " + bsl + " does not exist";
    }
    return d;
  }
  const velero::BackupStorageLocation& loc = *location.location;
  // veleroutil.BSLIsAvailable: status.phase == Available, checked before the access mode.
  if (loc.status.phase != velero::location_phase::Available) {
    d.action = GcAction::label_failure;
    d.failure = gc_failure::BSLUnavailable;
    d.message = "bsl " + loc.metadata.name + " is unavailable, cannot gc backup";
    return d;
  }
  if (loc.spec.access_mode == velero::access_mode::ReadOnly) {
    d.action = GcAction::label_failure;
    d.failure = gc_failure::BSLReadOnly;
    d.message = "Backup cannot be garbage-collected because backup storage location " + loc.metadata.name +
                " is currently in read-only mode";
    return d;
  }
  d.action = GcAction::request_deletion;
  d.message = "Backup:" + backup.metadata.name + " has expired";
  return d;
}

velero::DeleteBackupRequest make_delete_backup_request(const velero::Backup& backup) {
  velero::DeleteBackupRequest r;
  r.metadata.generate_name = backup.metadata.name + "-";
  r.metadata.namespace_ = backup.metadata.namespace_;
  r.metadata.labels[std::string(velero::label::backup_name)] = velero::get_valid_name(backup.metadata.name);
  r.metadata.labels[std::string(velero::label::backup_uid)] = backup.metadata.uid;
  r.spec.backup_name = backup.metadata.name;
  return r;
}

std::string delete_backup_request_selector(std::string_view backup_name, std::string_view uid) {
  std::string s = std::string(velero::label::backup_name) + "=" + velero::get_valid_name(backup_name);
  if (!uid.empty()) s += "," + std::string(velero::label::backup_uid) + "=" + std::string(uid);
  return s;
}

json::object GcItem::to_json() const {
  json::object o{{"backup", backup}, {"action", action}};
  if (!delete_request.empty()) o["deleteBackupRequest"] = delete_request;
  if (!gc_failure.empty()) o["gcFailure"] = gc_failure;
  if (!message.empty()) o["message"] = message;
  return o;
}

json::object GcResult::to_json() const {
  json::array a;
  for (const auto& i : items) a.push_back(i.to_json());
  return json::object{{"dryRun", dry_run}, {"items", std::move(a)}};
}

namespace {

// The Backup's velero.io/gc-failure label set to `value`, or removed (null), by a merge patch
// (Velero Updates the whole Backup; only the label changes).
void patch_gc_label(kube::KubeClient& client, const ApiResource& backups, const std::string& ns,
                    const velero::Backup& backup, const std::optional<std::string>& value) {
  json::object labels;
  if (value) labels[velero::label::gc_failure] = *value;
  else labels[velero::label::gc_failure] = nullptr;
  json::object patch{{"metadata", json::object{{"labels", std::move(labels)}}}};
  client.patch(backups, ns, backup.metadata.name, kube::PatchType::merge, json::marshal(patch));
}

}  // namespace

GcItem gc_backup(kube::KubeClient& client, const velero::Backup& backup, const GcOptions& options) {
  const ApiResource& backups = vbackup::velero_resource(client, "backups", "Backup");
  GcItem item;
  item.backup = backup.metadata.name;
  const Timestamp now = detail::clock_now(options.now);
  if (!backup.status.expiration || *backup.status.expiration > now) {
    item.action = "not expired";
    return item;
  }
  GcLocation where;
  const ApiResource& bsls = vbackup::velero_resource(client, "backupstoragelocations", "BackupStorageLocation");
  const std::string ns = backup.metadata.namespace_.empty() ? options.namespace_ : backup.metadata.namespace_;
  std::string get_error;
  try {
    if (auto o = client.try_get(bsls, ns, backup.spec.storage_location)) {
      where.location = velero::BackupStorageLocation::from_json(*o, "BackupStorageLocation " + ns + "/" +
                                                                        backup.spec.storage_location);
    }
  } catch (const std::exception& e) {
    where.cannot_get = true;
    get_error = detail::error_text(e);
  }
  GcDecision d = gc_decide(backup, now, where);
  item.message = d.message + (get_error.empty() ? "" : ": " + get_error);
  const auto current = backup.metadata.labels.find(std::string(velero::label::gc_failure));
  if (d.action == GcAction::label_failure) {
    item.action = "gc-failure";
    item.gc_failure = d.failure;
    if (!options.dry_run && (current == backup.metadata.labels.end() || current->second != d.failure)) {
      patch_gc_label(client, backups, ns, backup, d.failure);
    }
    say(options.log, "backup " + backup.metadata.name + ": " + item.message + " (velero.io/gc-failure=" + d.failure + ")");
    return item;
  }
  // "remove gc fail error label after this point"
  if (!options.dry_run && current != backup.metadata.labels.end()) {
    patch_gc_label(client, backups, ns, backup, std::nullopt);
  }
  // An unprocessed request for this backup (phase "", New or InProgress): none is created.
  const ApiResource& dbrs = vbackup::velero_resource(client, "deletebackuprequests", "DeleteBackupRequest");
  bool pending = false;
  ListOptions lo;
  lo.namespace_ = ns;
  lo.label_selector = delete_backup_request_selector(backup.metadata.name, backup.metadata.uid);
  client.list(dbrs, lo, [&](json::object&& o) {
    const json::object* st = json::find_object(o, "status");
    std::string_view phase = st ? json::get_string(*st, "phase") : std::string_view{};
    if (phase.empty() || phase == velero::delete_backup_request_phase::New ||
        phase == velero::delete_backup_request_phase::InProgress) {
      pending = true;
    }
  });
  if (pending) {
    item.action = "deletion already requested";
    item.message = "Backup already has a pending deletion request";
    say(options.log, "backup " + backup.metadata.name + ": " + item.message);
    return item;
  }
  item.action = "requested deletion";
  if (!options.dry_run) {
    velero::DeleteBackupRequest r = make_delete_backup_request(backup);
    r.metadata.namespace_ = ns;
    item.delete_request = detail::create_delete_backup_request(client, r).metadata.name;
  }
  say(options.log, "backup " + backup.metadata.name + ": " + d.message + ", " +
                       (options.dry_run ? std::string("would create a DeleteBackupRequest")
                                        : "created DeleteBackupRequest " + item.delete_request));
  return item;
}

GcResult gc_once(kube::KubeClient& client, const GcOptions& options) {
  const ApiResource& backups = vbackup::velero_resource(client, "backups", "Backup");
  vbackup::velero_resource(client, "deletebackuprequests", "DeleteBackupRequest");
  GcResult result;
  result.dry_run = options.dry_run;
  ListOptions lo;
  lo.namespace_ = options.namespace_;
  // Listed first, acted on after (the pass patches the Backups it lists), keeping of each Backup only
  // what GC reads: a few strings, whatever the size of its spec and status.
  struct Entry {
    velero::Backup backup;
    std::string error;
  };
  std::vector<Entry> entries;
  client.list(backups, lo, [&](json::object&& o) {
    Entry e;
    const std::string name(json::metadata_string(o, "name"));
    try {
      velero::Backup full = velero::Backup::from_json(o, "Backup " + options.namespace_ + "/" + name);
      e.backup.metadata.name = std::move(full.metadata.name);
      e.backup.metadata.namespace_ = std::move(full.metadata.namespace_);
      e.backup.metadata.uid = std::move(full.metadata.uid);
      e.backup.metadata.labels = std::move(full.metadata.labels);
      e.backup.spec.storage_location = std::move(full.spec.storage_location);
      e.backup.status.expiration = full.status.expiration;
    } catch (const std::exception& ex) {
      e.backup.metadata.name = name;
      e.error = ex.what();
    }
    entries.push_back(std::move(e));
  });
  for (const auto& e : entries) {
    try {
      if (!e.error.empty()) throw Error(ErrorCode::invalid, e.error);
      result.items.push_back(gc_backup(client, e.backup, options));
    } catch (const std::exception& ex) {
      GcItem item;
      item.backup = e.backup.metadata.name;
      item.action = "error";
      item.message = ex.what();
      say(options.log, "backup " + item.backup + ": " + item.message);
      result.items.push_back(std::move(item));
    }
  }
  return result;
}

}  // namespace vbackup::deletion
