// Carrying out a DeleteBackupRequest: Velero's backupDeletionReconciler
// (pkg/controller/backup_deletion_controller.go, spec §3.3), and what `velero backup delete` submits
// (pkg/cmd/cli/backup/delete.go).
#include "deletion/common.hpp"

#include "vbackup/error.hpp"
#include "vbackup/location.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/sync.hpp"
#include "vbackup/velero_restore.hpp"

#include <algorithm>
#include <thread>

namespace vbackup::deletion {

using detail::say;

json::object DeletionResult::to_json() const {
  auto strings = [](const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
  };
  return json::object{{"deleteBackupRequest", request.to_json()},
                      {"skipped", skipped},
                      {"requestExpired", request_expired},
                      {"deletedObjects", strings(deleted_objects)},
                      {"deletedRestores", strings(deleted_restores)},
                      {"backupDeleted", backup_cr_deleted},
                      {"deletedRequests", strings(deleted_requests)},
                      {"csiSnapshots", csi_snapshots.to_json()}};
}

namespace {

// Velero's backup tracker holds a backup from InProgress until it is terminal.
bool backup_running(std::string_view phase) {
  namespace p = velero::backup_phase;
  return phase == p::InProgress || phase == p::WaitingForPluginOperations ||
         phase == p::WaitingForPluginOperationsPartiallyFailed || phase == p::Finalizing ||
         phase == p::FinalizingPartiallyFailed;
}

// The BSL's store as the sync opens it: spec.credential read from its Secret in the namespace.
std::unique_ptr<storage::BackupStore> open_bsl_store(kube::KubeClient& client, const velero::BackupStorageLocation& bsl,
                                                     const std::string& ns) {
  return std::move(open_bsl(client, bsl, ns).backups);
}

class Deletion {
 public:
  Deletion(kube::KubeClient& client, const velero::DeleteBackupRequest& request, const DeletionOptions& options)
      : client_(client), options_(options),
        dbrs_(vbackup::velero_resource(client, "deletebackuprequests", "DeleteBackupRequest")),
        backups_(vbackup::velero_resource(client, "backups", "Backup")),
        bsls_(vbackup::velero_resource(client, "backupstoragelocations", "BackupStorageLocation")),
        restores_(vbackup::velero_resource(client, "restores", "Restore")),
        ns_(request.metadata.namespace_), name_(request.metadata.name) {
    if (name_.empty() || ns_.empty()) {
      throw invalid_input("DeleteBackupRequest: metadata.name and metadata.namespace are required");
    }
    // The request as the cluster has it now (Reconcile's Get).
    result_.request = velero::DeleteBackupRequest::from_json(client_.get(dbrs_, ns_, name_),
                                                             "DeleteBackupRequest " + ns_ + "/" + name_);
  }

  DeletionResult run(storage::BackupStore* given, const StoreOpener& open);

 private:
  // patchDeleteBackupRequest: a merge patch of what changed.
  void patch_request(const json::object& patch) {
    json::object after = client_.patch(dbrs_, ns_, name_, kube::PatchType::merge, json::marshal(patch));
    result_.request = velero::DeleteBackupRequest::from_json(after, "DeleteBackupRequest " + ns_ + "/" + name_);
  }
  // patchDeleteBackupRequestWithError: Processed with this one error.
  DeletionResult fail(const std::string& error) {
    say(options_.log, "deletebackuprequest " + ns_ + "/" + name_ + ": " + error);
    patch_request(json::object{{"status", json::object{{"phase", velero::delete_backup_request_phase::Processed},
                                                        {"errors", json::array{json::value(error)}}}}});
    return std::move(result_);
  }
  // deleteExistingDeletionRequests: the other requests of this backup name (any uid).
  void delete_other_requests(const std::string& backup);
  void delete_restores(storage::BackupStore* store, const velero::Backup& backup, std::vector<std::string>& errs);

  kube::KubeClient& client_;
  const DeletionOptions& options_;
  const ApiResource &dbrs_, &backups_, &bsls_, &restores_;
  std::string ns_, name_;
  DeletionResult result_;
};

void Deletion::delete_other_requests(const std::string& backup) {
  ListOptions lo;
  lo.namespace_ = ns_;
  lo.label_selector = delete_backup_request_selector(backup);
  std::vector<std::string> others;
  client_.list(dbrs_, lo, [&](json::object&& o) {
    std::string n(json::metadata_string(o, "name"));
    if (n != name_) others.push_back(std::move(n));
  });
  std::vector<std::string> errs;
  for (const auto& n : others) {
    try {
      client_.remove(dbrs_, ns_, n);
      result_.deleted_requests.push_back(n);
      say(options_.log, "deletion request '" + n + "' removed.");
    } catch (const std::exception& e) {
      if (!detail::is_not_found(e)) errs.push_back(e.what());
    }
  }
  if (!errs.empty()) {
    std::string m = "DeleteBackupRequest " + ns_ + "/" + name_ + ": removing the other requests of backup " + backup + ":";
    for (const auto& e : errs) m += " " + e + ";";
    throw Error(ErrorCode::kube, m);
  }
}

void Deletion::delete_restores(storage::BackupStore* store, const velero::Backup& backup, std::vector<std::string>& errs) {
  const std::string& b = backup.metadata.name;
  say(options_.log, "Removing restores");
  std::vector<std::string> names;
  auto list = [&] {
    std::vector<std::string> out;
    ListOptions lo;
    lo.namespace_ = ns_;
    client_.list(restores_, lo, [&](json::object&& o) {
      const json::object* spec = json::find_object(o, "spec");
      if (spec && json::get_string(*spec, "backupName") == b) out.emplace_back(json::metadata_string(o, "name"));
    });
    return out;
  };
  try {
    names = list();
  } catch (const std::exception& e) {
    // Velero logs "Error listing restore API objects" and goes on (no wait: nothing was deleted).
    say(options_.log, std::string("Error listing restore API objects: ") + e.what());
  }
  for (const auto& r : names) {
    // Velero's restore finalizer deletes restores/<r>/ when the CR goes; without a server running that
    // finalizer, the files go here, before the CR (a failure leaves the CR to retry with).
    if (store) {
      try {
        store->delete_restore(r);
      } catch (const std::exception& e) {
        errs.push_back("error deleting restore " + ns_ + "/" + r + ": " + std::string(e.what()));
        continue;
      }
    }
    try {
      say(options_.log, "Deleting restore referencing backup: " + ns_ + "/" + r);
      client_.remove(restores_, ns_, r);
      result_.deleted_restores.push_back(r);
    } catch (const std::exception& e) {
      if (!detail::is_not_found(e)) errs.push_back("error deleting restore " + ns_ + "/" + r + ": " + detail::error_text(e));
    }
  }
  // wait.PollUntilContextTimeout(1s, 1m): until no Restore of the backup is left (finalizers may hold them).
  if (!names.empty()) {
    const auto deadline = std::chrono::steady_clock::now() + options_.restore_wait;
    for (;;) {
      std::vector<std::string> left;
      try {
        left = list();
      } catch (const std::exception& e) {
        errs.push_back("error deleting restore " + std::string(e.what()) + ": " + e.what());
        break;
      }
      if (left.empty()) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        errs.emplace_back("error deleting restore context deadline exceeded: context deadline exceeded");
        break;
      }
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(std::chrono::seconds(1), options_.restore_wait));
    }
  }
  // Ours: restores recorded only in the bucket (restores/<r>/velero-restore.json, which Velero does not
  // write) whose spec.backupName is the backup go with it too.
  if (store) {
    try {
      for (const auto& r : list_restores(*store)) {
        if (r.spec.backup_name != b) continue;
        if (std::find(names.begin(), names.end(), r.metadata.name) != names.end()) continue;
        store->delete_restore(r.metadata.name);
        result_.deleted_restores.push_back(r.metadata.name);
      }
    } catch (const std::exception& e) {
      errs.push_back("error deleting the restores of backup " + b + " from the backup storage location: " + e.what());
    }
  }
}

DeletionResult Deletion::run(storage::BackupStore* given, const StoreOpener& open) {
  namespace phase = velero::delete_backup_request_phase;
  const velero::DeleteBackupRequest& dbr = result_.request;
  // Already handled (a periodic requeue of a stale request): deleted after 24 h, else left alone.
  if (dbr.status.phase == phase::Processed || dbr.status.phase == phase::InProgress) {
    result_.skipped = true;
    const Timestamp now = detail::clock_now(options_.now);
    if (dbr.metadata.creation_timestamp && now - *dbr.metadata.creation_timestamp >= delete_backup_request_max_age) {
      client_.remove(dbrs_, ns_, name_);
      result_.request_expired = true;
      say(options_.log, "The request is expired, status: " + dbr.status.phase + ", deleting it.");
    } else {
      say(options_.log, "The request has status '" + dbr.status.phase + "', skip.");
    }
    return std::move(result_);
  }
  const std::string backup_name = dbr.spec.backup_name;
  if (backup_name.empty()) return fail("spec.backupName is required");

  delete_other_requests(backup_name);

  auto found = client_.try_get(backups_, ns_, backup_name);
  if (!found) return fail("backup not found");
  velero::Backup backup = velero::Backup::from_json(*found, "Backup " + ns_ + "/" + backup_name);
  const bool running = options_.backup_running ? options_.backup_running(ns_, backup_name)
                                               : backup_running(backup.status.phase);
  if (running) return fail("backup is still in progress");

  // Don't allow deleting backups in read-only or unavailable storage locations.
  const std::string& l = backup.spec.storage_location;
  auto bsl_json = client_.try_get(bsls_, ns_, l);
  if (!bsl_json) return fail("backup storage location " + l + " not found");
  auto bsl = velero::BackupStorageLocation::from_json(*bsl_json, "BackupStorageLocation " + ns_ + "/" + l);
  if (bsl.spec.access_mode == velero::access_mode::ReadOnly) {
    return fail("cannot delete backup because backup storage location " + l + " is currently in read-only mode");
  }
  if (bsl.status.phase != velero::location_phase::Available) {
    return fail("cannot delete backup because backup storage location " + l + " is currently in Unavailable state");
  }

  // InProgress, with the backup's name and uid labels when missing.
  json::object labels;
  if (!dbr.metadata.labels.contains(std::string(velero::label::backup_name)) ||
      dbr.metadata.labels.at(std::string(velero::label::backup_name)).empty()) {
    labels[velero::label::backup_name] = velero::get_valid_name(backup_name);
  }
  if (!dbr.metadata.labels.contains(std::string(velero::label::backup_uid)) ||
      dbr.metadata.labels.at(std::string(velero::label::backup_uid)).empty()) {
    labels[velero::label::backup_uid] = backup.metadata.uid;
  }
  json::object in_progress{{"status", json::object{{"phase", phase::InProgress}}}};
  if (!labels.empty()) in_progress["metadata"] = json::object{{"labels", std::move(labels)}};
  patch_request(in_progress);

  try {
    client_.patch(backups_, ns_, backup_name, kube::PatchType::merge,
                  json::marshal(json::object{{"status", json::object{{"phase", velero::backup_phase::Deleting}}}}));
  } catch (const std::exception& e) {
    return fail("error setting backup phase to deleting: error patching Backup: " + detail::error_text(e));
  }

  std::unique_ptr<storage::BackupStore> opened;
  storage::BackupStore* store = given;
  if (!store) {
    try {
      opened = open ? open(bsl) : open_bsl_store(client_, bsl, ns_);
      store = opened.get();
    } catch (const std::exception& e) {
      return fail("error getting the backup store: " + std::string(e.what()));
    }
  }

  std::vector<std::string> errs;
  // csi §3: the DeleteItemActions over the tarball's VolumeSnapshotContents (or, without a tarball,
  // the backup's VolumeSnapshots in the cluster). Velero-native snapshotters, pod volume and data
  // mover snapshots are out of scope (README): this project never takes them.
  CsiDeletionOptions csi;
  csi.temporary_content_gap = options_.temporary_content_gap;
  csi.log = options_.log;
  result_.csi_snapshots = delete_csi_snapshots(&client_, *store, backup_name, csi);
  if (!result_.csi_snapshots.failure.empty()) return fail(result_.csi_snapshots.failure);
  for (const auto& e : result_.csi_snapshots.errors) errs.push_back(e);
  if (errs.empty()) {
    say(options_.log, "Removing backup from backup storage");
    try {
      result_.deleted_objects = store->delete_backup(backup_name);
    } catch (const std::exception& e) {
      errs.emplace_back(e.what());
    }
  } else {
    say(options_.log, "Skipping removal of backup from backup storage due to previous errors");
  }
  delete_restores(store, backup, errs);

  // Only try to delete the Backup CR if everything preceding went smoothly.
  if (errs.empty()) {
    try {
      client_.remove(backups_, ns_, backup_name);
      result_.backup_cr_deleted = true;
    } catch (const std::exception& e) {
      errs.push_back("error deleting backup " + ns_ + "/" + backup_name + ": " + detail::error_text(e));
    }
  }

  json::value errors = nullptr;  // errs nil: the field stays unset
  if (!errs.empty()) {
    json::array a;
    for (const auto& e : errs) a.emplace_back(e);
    errors = std::move(a);
  }
  patch_request(json::object{{"status", json::object{{"phase", phase::Processed}, {"errors", std::move(errors)}}}});

  // Everything deleted: every request of this backup (name and uid) goes, this one included.
  if (errs.empty()) {
    ListOptions lo;
    lo.namespace_ = ns_;
    lo.label_selector = delete_backup_request_selector(backup_name, backup.metadata.uid);
    try {
      std::vector<std::string> all;
      client_.list(dbrs_, lo, [&](json::object&& o) { all.emplace_back(json::metadata_string(o, "name")); });
      for (const auto& n : all) {
        client_.remove(dbrs_, ns_, n);
        if (n != name_) result_.deleted_requests.push_back(n);
      }
    } catch (const std::exception& e) {
      // "If this errors, all we can do is log it."
      say(options_.log, "error deleting all associated DeleteBackupRequests after successfully deleting the backup: " +
                            std::string(e.what()));
    }
  }
  say(options_.log, "Reconciliation done");
  return std::move(result_);
}

}  // namespace

DeletionResult process_delete_backup_request(kube::KubeClient& client, storage::BackupStore& store,
                                             const velero::DeleteBackupRequest& request, const DeletionOptions& options) {
  return Deletion(client, request, options).run(&store, {});
}

DeletionResult process_delete_backup_request(kube::KubeClient& client, const velero::DeleteBackupRequest& request,
                                             const DeletionOptions& options, const StoreOpener& open) {
  return Deletion(client, request, options).run(nullptr, open);
}

DeletionResult process_delete_backup_request(kube::KubeClient& client, const std::string& ns, const std::string& name,
                                             const DeletionOptions& options, const StoreOpener& open) {
  velero::DeleteBackupRequest r;
  r.metadata.namespace_ = ns;
  r.metadata.name = name;
  return process_delete_backup_request(client, r, options, open);
}

std::vector<DeletionResult> process_delete_backup_requests(kube::KubeClient& client, const std::string& ns,
                                                           const DeletionOptions& options, const StoreOpener& open) {
  const ApiResource& dbrs = vbackup::velero_resource(client, "deletebackuprequests", "DeleteBackupRequest");
  std::vector<std::string> pending;
  ListOptions lo;
  lo.namespace_ = ns;
  client.list(dbrs, lo, [&](json::object&& o) {
    const json::object* st = json::find_object(o, "status");
    std::string_view phase = st ? json::get_string(*st, "phase") : std::string_view{};
    if (phase.empty() || phase == velero::delete_backup_request_phase::New) {
      pending.emplace_back(json::metadata_string(o, "name"));
    }
  });
  std::vector<DeletionResult> out;
  for (const auto& name : pending) {
    // An earlier request of the same backup may have removed this one (one request at a time).
    if (!client.try_get(dbrs, ns, name)) continue;
    out.push_back(process_delete_backup_request(client, ns, name, options, open));
  }
  return out;
}

velero::DeleteBackupRequest request_backup_deletion(kube::KubeClient& client, const std::string& ns,
                                                    const std::string& name) {
  const ApiResource& backups = vbackup::velero_resource(client, "backups", "Backup");
  velero::Backup backup = velero::Backup::from_json(client.get(backups, ns, name), "Backup " + ns + "/" + name);
  velero::DeleteBackupRequest r = make_delete_backup_request(backup);
  r.metadata.namespace_ = ns;
  return detail::create_delete_backup_request(client, r);
}

}  // namespace vbackup::deletion
