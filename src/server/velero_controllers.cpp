// The controllers of Velero's server beyond Backup and Restore, each a thin loop over the rules its
// room implements: Schedule (src/schedule, schedule_controller.go), BackupStorageLocation
// validation and backup sync (src/sync, backup_storage_location_controller.go and
// backup_sync_controller.go), GC and DeleteBackupRequests (src/deletion, gc_controller.go and
// backup_deletion_controller.go), DownloadRequests and ServerStatusRequests (src/requests).
#include "vbackup/operation.hpp"
#include "vbackup/deletion.hpp"
#include "vbackup/requests.hpp"
#include "vbackup/schedule.hpp"
#include "vbackup/server.hpp"
#include "vbackup/sync.hpp"
#include "vbackup/time.hpp"
#include "vbackup/velero.hpp"

#include <algorithm>

namespace vbackup::server {

namespace {

using std::chrono::milliseconds;



milliseconds until(Timestamp when, Timestamp now, milliseconds at_least = milliseconds(1000)) {
  return std::max(at_least, std::chrono::duration_cast<milliseconds>(when - now));
}

// Credentials of a BSL (spec.credential) come from its Secret in the Velero namespace.
LocationOptions location_options(ControllerContext& c) {
  LocationOptions o;
  o.secret_key = secret_key_reader(c.client, c.namespace_);
  return o;
}

// ---- Schedule -------------------------------------------------------------------------------------

class ScheduleController : public Controller {
 public:
  explicit ScheduleController(schedule::ScheduleDefaults defaults) : defaults_(std::move(defaults)) {}
  std::string name() const override { return "schedule"; }
  std::string resource() const override { return "schedules"; }

  std::optional<milliseconds> reconcile(const json::object& object, ControllerContext& c) override {
    auto s = velero::Schedule::from_json(object, "schedule");
    if (s.spec.paused) return std::nullopt;  // paused schedules are filtered out (a spec change wakes them)
    const auto& schedules = velero_resource(c.client, "schedules", "Schedule");
    const auto& backups = velero_resource(c.client, "backups", "Backup");
    std::vector<velero::Backup> mine;
    ListOptions lo;
    lo.namespace_ = s.metadata.namespace_;
    lo.label_selector = std::string(velero::label::schedule_name) + "=" + s.metadata.name;
    c.client.list(backups, lo, [&](json::object&& b) { mine.push_back(velero::Backup::from_json(b, "backup")); });
    const Timestamp now = now_timestamp();
    auto d = schedule::decide(s, now, defaults_, schedule::backup_running(s, mine));
    const std::string& ns = s.metadata.namespace_;
    if (!d.patch.empty()) c.client.patch(schedules, ns, s.metadata.name, kube::PatchType::merge, json::marshal(d.patch));
    if (d.backup) {
      c.client.create(backups, d.backup->to_json(), ns);
      c.client.patch(schedules, ns, s.metadata.name, kube::PatchType::merge, json::marshal(d.backup_patch));
      if (c.log) c.log("info", "schedule " + ns + "/" + s.metadata.name + ": created Backup " + d.backup->metadata.name);
    }
    // Velero requeues every scheduleSyncPeriod; we also wake at the next run, whichever is first.
    milliseconds again = std::chrono::duration_cast<milliseconds>(schedule::schedule_sync_period);
    if (d.next_run) again = std::min(again, until(*d.next_run, now));
    return again;
  }

 private:
  schedule::ScheduleDefaults defaults_;
};

// ---- BackupStorageLocation: validation, the single default, and backup sync ----------------------

class LocationController : public Controller {
 public:
  explicit LocationController(const VeleroControllerOptions& o) : options_(o) {}
  std::string name() const override { return "backup-storage-location"; }
  std::string resource() const override { return "backupstoragelocations"; }

  std::optional<milliseconds> reconcile(const json::object& object, ControllerContext& c) override {
    auto bsl = velero::BackupStorageLocation::from_json(object, "backup storage location");
    const Timestamp now = now_timestamp();
    ensure_single_default(c.client, c.namespace_);
    if (validation_due(bsl, now, options_.validation_frequency)) {
      auto status = validate_location(bsl, &c.client, c.namespace_, now, location_options(c));
      patch_location_status(c.client, c.namespace_, bsl.metadata.name, location_status_patch(status));
      if (c.log && status.phase != "Available") c.log("warning", status.message);
    }
    auto freq = bsl.spec.validation_frequency.value_or(options_.validation_frequency);
    if (freq <= std::chrono::nanoseconds::zero()) return std::nullopt;
    return std::max(milliseconds(1000), std::chrono::duration_cast<milliseconds>(freq));
  }

  // backup_sync_controller.go runs on its own period over the due locations.
  milliseconds tick_period() const override {
    auto p = std::chrono::duration_cast<milliseconds>(options_.backup_sync_period);
    return p.count() > 0 ? std::max(p, milliseconds(1000)) : milliseconds(0);
  }
  void tick(ControllerContext& c) override {
    SyncOptions so;
    so.velero_namespace = c.namespace_;
    so.require_available = true;
    so.on_log = [&c](std::string_view level, std::string_view line) {
      if (c.log) c.log(level, line);
    };
    for (const auto& r : sync_due_locations(c.client, so, options_.backup_sync_period, location_options(c))) {
      if (!c.log) continue;
      if (!r.created.empty() || !r.deleted.empty()) {
        c.log("info", "backup sync " + r.location + ": " + std::to_string(r.created.size()) + " created, " +
                          std::to_string(r.deleted.size()) + " deleted");
      }
      for (const auto& e : r.errors) c.log("error", "backup sync " + r.location + ": " + e);
    }
  }

 private:
  VeleroControllerOptions options_;
};

// ---- GC and DeleteBackupRequests ------------------------------------------------------------------

class GcController : public Controller {
 public:
  explicit GcController(std::chrono::nanoseconds frequency) : frequency_(frequency) {}
  std::string name() const override { return "gc"; }
  std::string resource() const override { return ""; }
  std::optional<milliseconds> reconcile(const json::object&, ControllerContext&) override { return std::nullopt; }
  milliseconds tick_period() const override {
    auto p = std::chrono::duration_cast<milliseconds>(frequency_);
    return p.count() > 0 ? std::max(p, milliseconds(1000)) : milliseconds(0);
  }
  void tick(ControllerContext& c) override {
    deletion::GcOptions o;
    o.namespace_ = c.namespace_;
    o.log = [&c](std::string_view line) {
      if (c.log) c.log("info", line);
    };
    deletion::gc_once(c.client, o);
  }

 private:
  std::chrono::nanoseconds frequency_;
};

class DeleteBackupRequestController : public Controller {
 public:
  std::string name() const override { return "backup-deletion"; }
  std::string resource() const override { return "deletebackuprequests"; }
  std::optional<milliseconds> reconcile(const json::object& object, ControllerContext& c) override {
    deletion::DeletionOptions o;
    o.log = [&c](std::string_view line) {
      if (c.log) c.log("info", line);
    };
    auto r = deletion::process_delete_backup_request(c.client, std::string(json::metadata_string(object, "namespace")),
                                                     std::string(json::metadata_string(object, "name")), o);
    // A handled request is deleted 24 h after it was taken: look again then.
    if (r.skipped && !r.request_expired) return milliseconds(std::chrono::hours(1));
    return std::nullopt;
  }
};

// ---- DownloadRequests and ServerStatusRequests ----------------------------------------------------

class DownloadRequestController : public Controller {
 public:
  std::string name() const override { return "download-request"; }
  std::string resource() const override { return "downloadrequests"; }
  std::optional<milliseconds> reconcile(const json::object& object, ControllerContext& c) override {
    const Timestamp now = now_timestamp();
    auto out = requests::reconcile_download_request(c.client, std::string(json::metadata_string(object, "namespace")),
                                                    std::string(json::metadata_string(object, "name")), now,
                                                    location_options(c));
    if (!out.message.empty() && c.log) c.log(out.retry ? "error" : "info", out.message);
    if (out.action == requests::RequestAction::remove) return std::nullopt;
    if (out.retry) return milliseconds(5000);
    // Velero resyncs every minute and deletes what expired.
    milliseconds again = std::chrono::duration_cast<milliseconds>(requests::download_request_sync_period);
    if (out.status.expiration) again = std::min(again, until(*out.status.expiration, now));
    return again;
  }
};

class ServerStatusRequestController : public Controller {
 public:
  std::string name() const override { return "server-status-request"; }
  std::string resource() const override { return "serverstatusrequests"; }
  std::optional<milliseconds> reconcile(const json::object& object, ControllerContext& c) override {
    auto out = requests::reconcile_server_status_request(
        c.client, std::string(json::metadata_string(object, "namespace")),
        std::string(json::metadata_string(object, "name")), now_timestamp());
    if (!out.message.empty() && c.log) c.log("error", out.message);
    if (out.retry) return milliseconds(5000);
    if (out.requeue_after) return std::chrono::duration_cast<milliseconds>(*out.requeue_after);
    return std::nullopt;
  }
};

}  // namespace

void add_velero_controllers(ServerOptions& options, const VeleroControllerOptions& o) {
  auto& c = options.controllers;
  if (o.schedules) {
    schedule::ScheduleDefaults d;
    d.skip_immediately = o.schedule_skip_immediately;
    c.emplace_back([d] { return std::make_unique<ScheduleController>(d); });
  }
  if (o.locations) c.emplace_back([o] { return std::make_unique<LocationController>(o); });
  if (o.garbage_collection) {
    c.emplace_back([f = o.garbage_collection_frequency] { return std::make_unique<GcController>(f); });
    c.emplace_back([] { return std::make_unique<DeleteBackupRequestController>(); });
  }
  if (o.requests) {
    c.emplace_back([] { return std::make_unique<DownloadRequestController>(); });
    c.emplace_back([] { return std::make_unique<ServerStatusRequestController>(); });
  }
}

}  // namespace vbackup::server
