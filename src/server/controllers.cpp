// Velero's backup and restore controllers (pkg/controller/backup_controller.go,
// restore_controller.go) over create_backup / create_restore, and the start-up sweep of
// pkg/cmd/server/server.go (markInProgressCRsFailed).
#include "vbackup/operation.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/cluster.hpp"
#include "vbackup/location.hpp"
#include "vbackup/restore.hpp"
#include "vbackup/sync.hpp"
#include "vbackup/server.hpp"
#include "vbackup/time.hpp"

namespace vbackup::server {

namespace {


std::string_view phase_of(const json::object& o) {
  const json::object* st = json::find_object(o, "status");
  return st ? json::get_string(*st, "phase") : std::string_view();
}

std::string schedule_of(const json::object& o) {
  const json::object* md = json::find_object(o, "metadata");
  const json::object* labels = md ? json::find_object(*md, "labels") : nullptr;
  return labels ? std::string(json::get_string(*labels, "velero.io/schedule-name")) : std::string();
}


// Writes a terminal status the controller decided itself (FailedValidation) onto the existing CR,
// through CrRecorder (status subresource or not).
void record_status(kube::KubeClient& client, std::string plural, std::string kind, json::object cr,
                   json::object status) {
  cr["status"] = std::move(status);
  CrRecorder recorder(client, std::move(plural), std::move(kind), RecordInCluster::always);
  recorder.adopt_existing();
  recorder.record(cr);
}

json::object failed_validation(const std::vector<std::string>& errors) {
  json::array list;
  for (const auto& e : errors) list.emplace_back(e);
  return json::object{{"phase", "FailedValidation"}, {"validationErrors", std::move(list)},
                      {"completionTimestamp", format_rfc3339(now_timestamp())}};
}

// The BackupStorageLocation a Backup names: the default location when it names none
// (backup_controller.go prepareBackupRequest: the server's --default-backup-storage-location
// "default", unless a BSL is marked spec.default). The BSL object, or the validation error.
std::optional<json::object> find_location(kube::KubeClient& client, const std::string& ns, std::string& name,
                                          std::vector<std::string>& errors) {
  const ApiResource& bsl = velero_resource(client, "backupstoragelocations", "BackupStorageLocation");
  const bool unnamed = name.empty();
  if (unnamed) {
    name = "default";
    ListOptions lo;
    lo.namespace_ = ns;
    client.list(bsl, lo, [&](json::object&& o) {
      const json::object* spec = json::find_object(o, "spec");
      auto it = spec ? spec->find("default") : nullptr;
      if (spec && it != spec->end() && it->value().is_bool() && it->value().get_bool())
        name = std::string(json::metadata_string(o, "name"));
    });
  }
  std::optional<json::object> found;
  try {
    found = client.try_get(bsl, ns, name);
  } catch (const Error& e) {
    errors.push_back("error getting backup storage location: " + std::string(e.what()));
    return std::nullopt;
  }
  if (!found) {
    std::string err = "backupstoragelocations.velero.io \"" + name + "\" not found";
    errors.push_back(unnamed ? "an existing backup storage location was not specified at backup creation time and the "
                               "default " + name + " was not found. Please address this issue (see `velero "
                               "backup-location -h` for options) and create a new backup. Error: " + err
                             : "error getting backup storage location: " + err);
  }
  return found;
}

// What the Backup and Restore controllers do once validation is over: either FailedValidation
// recorded on the CR (and logged), or the location opened (spec.credential from its Secret, sync.hpp's
// open_bsl) and the cluster connected.
struct Started {
  OpenedLocation location;
  std::unique_ptr<Cluster> cluster;
};

std::optional<Started> start_or_fail(ControllerContext& ctx, const char* plural, const char* kind,
                                     const json::object& object, const std::vector<std::string>& errors,
                                     const std::optional<json::object>& bsl) {
  if (!errors.empty()) {
    record_status(ctx.client, plural, kind, object, failed_validation(errors));
    std::string noun(kind);
    noun[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(noun[0])));  // "backup NAME: …"
    if (ctx.log) ctx.log("warning", noun + " " + std::string(json::metadata_string(object, "name")) +
                                        ": FailedValidation: " + errors.front());
    return std::nullopt;
  }
  Started s{open_bsl(ctx.client, velero::BackupStorageLocation::from_json(*bsl, "backup storage location"), ctx.namespace_),
            nullptr};
  ClusterOptions co;
  co.connect = ctx.connect;
  s.cluster = Cluster::open(co);
  return s;
}

class BackupController final : public Controller {
 public:
  std::string name() const override { return "backup"; }
  std::string resource() const override { return "backups"; }

  std::optional<std::chrono::milliseconds> reconcile(const json::object& object, ControllerContext& ctx) override {
    // Velero's backup controller acts on new Backups only; the rest belongs to other controllers.
    std::string_view phase = phase_of(object);
    if (!phase.empty() && phase != "New") return std::nullopt;
    const std::string name(json::metadata_string(object, "name"));
    const std::string schedule = schedule_of(object);
    const std::string what = "Backup " + ctx.namespace_ + "/" + name;
    if (ctx.log) ctx.log("info", "backup " + name + ": starting");
    ctx.metrics.backup_attempt(schedule);
    std::vector<std::string> errors;
    std::optional<velero::Backup> backup;
    try {
      backup = velero::Backup::from_json(object, what);
    } catch (const Error& e) {
      errors.push_back(e.what());
    }
    std::optional<json::object> bsl;
    if (backup) {
      bsl = find_location(ctx.client, ctx.namespace_, backup->spec.storage_location, errors);
      if (bsl) {
        auto b = velero::BackupStorageLocation::from_json(*bsl, "BackupStorageLocation " + backup->spec.storage_location);
        if (b.spec.access_mode == "ReadOnly")
          errors.push_back("backup can't be created because backup storage location " + b.metadata.name +
                           " is currently in read-only mode");
        // Velero also refuses a location whose phase is not Available; one not validated yet (no
        // phase: no BSL controller has run) is tried, and the store answers for itself.
        if (b.status.phase == "Unavailable")
          errors.push_back("backup can't be created because BackupStorageLocation " + b.metadata.name +
                           " is in Unavailable status.");
      }
    }
    if (!errors.empty()) ctx.metrics.backup_validation_failure(schedule);
    auto started_with = start_or_fail(ctx, "backups", "Backup", object, errors, bsl);
    if (!started_with) return std::nullopt;
    BackupOptions options;
    options.velero_namespace = ctx.namespace_;
    options.record_existing = true;
    options.record_in_cluster = RecordInCluster::always;
    std::stop_token stop = ctx.stop;
    // A stop cancels the backup: nothing of it stays visible, its CR ends Failed.
    options.on_progress = [stop](const BackupProgress&) { return !stop.stop_requested(); };
    const auto started = std::chrono::steady_clock::now();
    BackupRun run;
    try {
      run = create_backup(*started_with->cluster, started_with->location, std::move(*backup), std::move(options));
    } catch (const Error& e) {
      ctx.metrics.backup_failure(schedule);
      if (ctx.log) ctx.log("error", "backup " + name + ": " + e.what());
      return std::nullopt;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto& st = run.result.backup.status;
    if (st.phase == "Completed") {
      ctx.metrics.backup_success(schedule);
      ctx.metrics.backup_last_successful(schedule, double(std::chrono::system_clock::to_time_t(now_timestamp())));
    } else if (st.phase == "PartiallyFailed") {
      ctx.metrics.backup_partial_failure(schedule);
    } else if (st.phase == "FailedValidation") {
      ctx.metrics.backup_validation_failure(schedule);
    } else {
      ctx.metrics.backup_failure(schedule);
    }
    if (st.phase == "Completed" || st.phase == "PartiallyFailed") {
      ctx.metrics.backup_duration(schedule, seconds);
      ctx.metrics.backup_items(schedule, double(st.progress ? st.progress->total_items : 0), double(st.errors));
    }
    if (ctx.log) ctx.log("info", "backup " + name + ": " + st.phase + (run.note.empty() ? "" : " (" + run.note + ")"));
    return std::nullopt;
  }
};

class RestoreController final : public Controller {
 public:
  std::string name() const override { return "restore"; }
  std::string resource() const override { return "restores"; }

  std::optional<std::chrono::milliseconds> reconcile(const json::object& object, ControllerContext& ctx) override {
    std::string_view phase = phase_of(object);
    if (!phase.empty() && phase != "New") return std::nullopt;
    const std::string name(json::metadata_string(object, "name"));
    const std::string schedule = schedule_of(object);
    const std::string what = "Restore " + ctx.namespace_ + "/" + name;
    if (ctx.log) ctx.log("info", "restore " + name + ": starting");
    ctx.metrics.restore_attempt(schedule);
    std::vector<std::string> errors;
    std::optional<velero::Restore> restore;
    try {
      restore = velero::Restore::from_json(object, what);
    } catch (const Error& e) {
      errors.push_back(e.what());
    }
    std::optional<json::object> backup_cr, bsl;
    if (restore) {
      const ApiResource& backups = velero_resource(ctx.client, "backups", "Backup");
      if (restore->spec.backup_name.empty() == restore->spec.schedule_name.empty()) {
        errors.push_back("Either a backup or schedule must be specified as a source for the restore, but not both");
      } else if (!restore->spec.schedule_name.empty()) {
        // restore_controller.go: the newest Completed backup of the schedule, from the cluster's Backups.
        ListOptions lo;
        lo.namespace_ = ctx.namespace_;
        lo.label_selector = "velero.io/schedule-name=" + velero::get_valid_name(restore->spec.schedule_name);
        int count = 0;
        std::string newest;
        ctx.client.list(backups, lo, [&](json::object&& o) {
          ++count;
          const json::object* st = json::find_object(o, "status");
          std::string start = st ? std::string(json::get_string(*st, "startTimestamp")) : std::string();
          if (phase_of(o) == "Completed" && (!backup_cr || start > newest)) {
            newest = start;
            backup_cr = std::move(o);
          }
        });
        if (count == 0) errors.push_back("No backups found for schedule");
        else if (!backup_cr) errors.push_back("No completed backups found for schedule");
        else restore->spec.backup_name = std::string(json::metadata_string(*backup_cr, "name"));
      } else {
        backup_cr = ctx.client.try_get(backups, ctx.namespace_, restore->spec.backup_name);
        if (!backup_cr)
          errors.push_back("Error retrieving backup: backups.velero.io \"" + restore->spec.backup_name + "\" not found");
      }
      if (backup_cr) {
        std::string_view bphase = phase_of(*backup_cr);
        if (bphase != "Completed" && bphase != "PartiallyFailed") {
          errors.push_back("backup \"" + restore->spec.backup_name + "\" is in phase \"" + std::string(bphase) +
                           "\" and cannot be used as a restore source");
        } else {
          const json::object* spec = json::find_object(*backup_cr, "spec");
          std::string location = spec ? std::string(json::get_string(*spec, "storageLocation")) : std::string();
          bsl = find_location(ctx.client, ctx.namespace_, location, errors);
        }
      }
    }
    if (!errors.empty()) ctx.metrics.restore_validation_failed(schedule);
    auto started_with = start_or_fail(ctx, "restores", "Restore", object, errors, bsl);
    if (!started_with) return std::nullopt;
    RestoreOptions options;
    options.velero_namespace = ctx.namespace_;
    options.record_existing = true;
    options.record_in_cluster = RecordInCluster::always;
    std::stop_token stop = ctx.stop;
    options.on_progress = [stop](const RestoreProgress&) { return !stop.stop_requested(); };
    RestoreRun run;
    try {
      run = create_restore(started_with->cluster.get(), started_with->location, std::move(*restore), std::move(options));
    } catch (const Error& e) {
      ctx.metrics.restore_failed(schedule);
      if (ctx.log) ctx.log("error", "restore " + name + ": " + e.what());
      return std::nullopt;
    }
    const auto& st = run.result.restore.status;
    if (st.phase == "Completed") ctx.metrics.restore_success(schedule);
    else if (st.phase == "PartiallyFailed") ctx.metrics.restore_partial_failure(schedule);
    else if (st.phase == "FailedValidation") ctx.metrics.restore_validation_failed(schedule);
    else ctx.metrics.restore_failed(schedule);
    if (ctx.log) ctx.log("info", "restore " + name + ": " + st.phase + (run.note.empty() ? "" : " (" + run.note + ")"));
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<Controller> make_backup_controller() { return std::make_unique<BackupController>(); }
std::unique_ptr<Controller> make_restore_controller() { return std::make_unique<RestoreController>(); }

std::vector<std::string> mark_in_progress_failed(kube::KubeClient& client, const std::string& ns, const Log& log) {
  std::vector<std::string> out;
  for (auto [plural, kind] : {std::pair{"backups", "backup"}, std::pair{"restores", "restore"}}) {
    const ApiResource* r = client.discovery().find("velero.io", plural);
    if (!r) continue;
    const bool is_backups = std::string_view(plural) == "backups";  // a lambda below: clang 14 cannot capture a binding
    bool status_subresource = false;
    for (const auto& sub : client.discovery().resources(r->group_version()))
      if (sub.name == std::string(plural) + "/status") status_subresource = true;
    std::vector<std::pair<std::string, std::string>> names;  // name, phase
    ListOptions lo;
    lo.namespace_ = ns;
    client.list(*r, lo, [&](json::object&& o) {
      // A backup waits for its CSI item operations and finalizes in-process (csi §1.5): after a
      // restart nothing carries on a WaitingForPluginOperations* or Finalizing* backup either.
      // (Velero's operations and finalizer controllers resume those; here they are in progress.)
      std::string_view p = phase_of(o);
      if (p == "InProgress" || (is_backups &&
                                (p == "WaitingForPluginOperations" || p == "WaitingForPluginOperationsPartiallyFailed" ||
                                 p == "Finalizing" || p == "FinalizingPartiallyFailed"))) {
        names.emplace_back(json::metadata_string(o, "name"), p);
      }
    });
    for (const auto& [name, phase] : names) {
      // server.go: "found a backup with status %q during the server starting, mark it as %q".
      std::string reason = std::string("found a ") + kind + " with status \"" + phase + "\" during the server starting, "
                           "mark it as \"Failed\"";
      json::object patch{{"status", json::object{{"phase", "Failed"}, {"failureReason", reason},
                                                 {"completionTimestamp", format_rfc3339(now_timestamp())}}}};
      try {
        std::string path = kube::KubeClient::path(*r, ns, name) + (status_subresource ? "/status" : "");
        client.request("PATCH", path, json::marshal(patch), kube::content_type(kube::PatchType::merge));
        out.push_back(std::string(plural) + "/" + name);
        if (log) log("warning", std::string(kind) + " " + name + ": " + reason);
      } catch (const Error& e) {
        if (log) log("error", "failed to patch " + std::string(kind) + " \"" + name + "\": " + e.what());
      }
    }
  }
  return out;
}

}  // namespace vbackup::server
