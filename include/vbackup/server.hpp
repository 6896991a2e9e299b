// `vbackup server`: the controllers Velero's server runs, over the cluster's velero.io custom
// resources. The pieces are public so that other rooms plug their controllers in (a Controller is a
// few lines: the resource it watches, reconcile(object) → when to look again, periodic ticks):
// Informer (list + watch with resourceVersion and bookmarks, relisting on 410), LeaderElector (a
// coordination.k8s.io/v1 Lease, client-go's leaderelection), Metrics (Velero's Prometheus names),
// and run_server, which wires them with the Backup and Restore controllers.
#pragma once

#include "vbackup/json.hpp"
#include "vbackup/kube.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::server {

using Log = std::function<void(std::string_view level, std::string_view line)>;

// ---- informer -------------------------------------------------------------------------------------

struct InformerOptions {
  std::string namespace_;  // "" = all namespaces
  // Each watch asks the API server to end it after this long (client-go: 5-10 minutes); a stop is
  // seen at the next event or when the watch ends, so this bounds how long a stop waits.
  std::chrono::seconds watch_timeout{10};
  // After a failed LIST or WATCH: wait, doubling up to the maximum (client-go's reflector backoff).
  std::chrono::milliseconds backoff_initial{800};
  std::chrono::milliseconds backoff_max{30000};
  Log log;
};

// client-go's reflector: LIST (the objects as ADDED, or MODIFIED when already known, and DELETED for
// known objects the list no longer has), then WATCH from the list's resourceVersion with bookmarks,
// resuming from the last resourceVersion seen when a watch ends, and listing again when the API
// server answers 410 (the resourceVersion is older than its history). Errors are logged and retried
// with backoff. Keeps the names and resourceVersions of the objects it knows, not the objects.
class Informer {
 public:
  // type: "ADDED", "MODIFIED" or "DELETED"; called on the run() thread, one at a time.
  using Handler = std::function<void(std::string_view type, const json::object& object)>;
  Informer(kube::KubeClient& client, ApiResource resource, InformerOptions options, Handler on_event);
  // Until stop is requested.
  void run(std::stop_token stop);
  // The first LIST has been delivered.
  bool synced() const { return synced_.load(); }
  int lists() const { return lists_.load(); }  // LISTs done (1 + relists)
  std::string resource_version() const;

 private:
  void relist();
  kube::KubeClient& client_;
  ApiResource resource_;
  InformerOptions options_;
  Handler on_event_;
  std::map<std::string, std::string> known_;  // "ns/name" → resourceVersion
  mutable std::mutex mutex_;
  std::string resource_version_;
  std::atomic<bool> synced_{false};
  std::atomic<int> lists_{0};
};

// ---- leader election ------------------------------------------------------------------------------

// client-go's leaderelection over a coordination.k8s.io/v1 Lease: spec.holderIdentity,
// leaseDurationSeconds, acquireTime, renewTime, leaseTransitions.
struct LeaderElectionOptions {
  std::string namespace_ = "velero";
  std::string lease_name = "vbackup-server";
  std::string identity;  // "" = <hostname>_<random>
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  Log log;
};

class LeaderElector {
 public:
  LeaderElector(kube::KubeClient& client, LeaderElectionOptions options);
  const std::string& identity() const { return options_.identity; }
  // One attempt: acquire the Lease when it is free, expired (renewTime + leaseDurationSeconds
  // passed, by our clock since we last saw it change) or ours; renew it when ours. True when we hold it.
  bool try_acquire_or_renew();
  // Gives the Lease up (holderIdentity emptied, leaseDurationSeconds 1), as ReleaseOnCancel does.
  void release();
  // Retries every retry_period until the Lease is ours (false when stop came first).
  bool acquire(std::stop_token stop);
  // Renews every retry_period; returns when stop is requested (true) or a renewal could not be
  // made within renew_deadline (false: leadership lost).
  bool keep(std::stop_token stop);

 private:
  kube::KubeClient& client_;
  LeaderElectionOptions options_;
  ApiResource lease_;
  std::string observed_record_;  // the holder record as last read
  std::chrono::steady_clock::time_point observed_at_{};
  bool held_ = false;
};

// ---- metrics --------------------------------------------------------------------------------------

// Velero's Prometheus metrics (pkg/metrics/metrics.go) with their names and `schedule` label, in the
// text exposition format 0.0.4. Thread-safe.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  void backup_attempt(const std::string& schedule);
  void backup_success(const std::string& schedule);
  void backup_partial_failure(const std::string& schedule);
  void backup_failure(const std::string& schedule);
  void backup_validation_failure(const std::string& schedule);
  void backup_duration(const std::string& schedule, double seconds);
  void backup_last_successful(const std::string& schedule, double unix_seconds);
  void backup_items(const std::string& schedule, double total, double errors);
  void restore_attempt(const std::string& schedule);
  void restore_success(const std::string& schedule);
  void restore_partial_failure(const std::string& schedule);
  void restore_failed(const std::string& schedule);
  void restore_validation_failed(const std::string& schedule);
  // A counter or gauge by name (without the velero_ prefix), for controllers added later.
  void add(std::string_view name, const std::string& schedule, double delta = 1);
  std::string exposition() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// /metrics, /healthz and /readyz over HTTP on `address` ("host:port", ":8085" = all interfaces,
// port 0 = any): a small Beast server on its own thread. ready() answers /readyz (200 or 503).
class MetricsServer {
 public:
  MetricsServer(const std::string& address, const Metrics& metrics, std::function<bool()> ready);
  ~MetricsServer();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- controllers ----------------------------------------------------------------------------------

// What a controller gets to work with.
struct ControllerContext {
  kube::KubeClient& client;
  std::string namespace_;  // the Velero namespace
  kube::ConnectOptions connect;  // how the server reached the cluster (operations open their own)
  Metrics& metrics;
  std::stop_token stop;    // requested at shutdown: long work cancels (on_progress returns false)
  Log log;
};

// One of the server's controllers. Objects of resource() in the Velero namespace are handed to
// reconcile() one at a time, on the controller's own thread, as they change (and once at start);
// the latest version of an object replaces a queued older one.
class Controller {
 public:
  virtual ~Controller() = default;
  virtual std::string name() const = 0;
  // The velero.io/v1 plural watched ("backups"); "" for a controller of ticks only.
  virtual std::string resource() const = 0;
  // Returns when to reconcile this object again (read afresh then) though it did not change;
  // nullopt for never. Errors thrown are logged and retried after a backoff.
  virtual std::optional<std::chrono::milliseconds> reconcile(const json::object& object, ControllerContext& context) = 0;
  // Deleted objects, for controllers that keep state.
  virtual void deleted(const json::object&, ControllerContext&) {}
  // tick() every tick_period() (zero: never), on the controller's thread.
  virtual std::chrono::milliseconds tick_period() const { return std::chrono::milliseconds(0); }
  virtual void tick(ControllerContext&) {}
};

// Velero's backup controller: a Backup in phase "" or New is validated (its storage location: the
// default one when unnamed), then run with create_backup against the BackupStorageLocation it names,
// its CR kept current (CrRecorder on the existing CR) up to the terminal phase.
std::unique_ptr<Controller> make_backup_controller();
// Velero's restore controller: a Restore in phase "" or New, from the Backup CR it names (its
// location), run with create_restore into this cluster.
std::unique_ptr<Controller> make_restore_controller();

// Velero's markInProgressCRsFailed (pkg/cmd/server/server.go): Backups and Restores left InProgress
// by a server that stopped become Failed with "found a backup with status \"InProgress\" during the
// server starting, mark it as \"Failed\"". Returns the names changed ("backups/x", "restores/y").
std::vector<std::string> mark_in_progress_failed(kube::KubeClient& client, const std::string& ns, const Log& log = {});

// ---- submitting to a running server -------------------------------------------------------------

// `velero backup create` / `velero restore create`: creates the velero.io/v1 CR (`plural`
// "backups" or "restores") in namespace ns without a status, for a running server to carry out.
// Error(unsupported) when the cluster has no such CRD, Error(already_exists) for a name taken.
json::object submit(kube::KubeClient& client, const std::string& ns, const std::string& plural, json::object cr);
// Polls the CR every `poll` until its phase is terminal (Completed, PartiallyFailed, Failed,
// FailedValidation) and returns it; Error(cancelled) when stop is requested, Error(not_found) when
// it was deleted meanwhile.
json::object wait_for_completion(kube::KubeClient& client, const std::string& ns, const std::string& plural,
                                 const std::string& name, std::stop_token stop = {},
                                 std::chrono::milliseconds poll = std::chrono::seconds(1));

// The velero.io/v1 CRs (`plural`) in namespace ns, as `velero backup get` reads them: the ones
// named (Error(not_found) for a name absent), or all matching the label selector (server side).
std::vector<json::object> list_crs(kube::KubeClient& client, const std::string& ns, const std::string& plural,
                                   const std::vector<std::string>& names = {}, const std::string& selector = {});

// ---- the server -----------------------------------------------------------------------------------

struct ServerOptions {
  kube::ConnectOptions connect;  // kubeconfig, context, or the in-cluster service account
  std::string namespace_ = "velero";
  std::string metrics_address = ":8085";  // "" = no metrics / health server
  bool leader_elect = true;
  LeaderElectionOptions leader_election;  // namespace_ and log are taken from here when empty
  std::chrono::seconds watch_timeout{10};
  Log log;
  // Controllers besides Backup and Restore (schedule, sync, deletion, requests), added by the wiring.
  std::vector<std::function<std::unique_ptr<Controller>()>> controllers;
  bool backup_controller = true, restore_controller = true;
  // Called once the metrics server listens (its port, for tests that ask port 0) and when the
  // server becomes leader and starts its controllers.
  std::function<void(int port)> on_listening;
  std::function<void()> on_leading;
};

// Runs until stop is requested: waits to be leader (when leader_elect), marks InProgress CRs
// Failed, runs the controllers; on stop, running work is cancelled (a backup leaves nothing visible
// and its CR Failed), the controllers are joined and the Lease released. Returns normally after a
// stop; throws Error when it cannot start (no cluster, metrics address taken). Losing the Lease
// stops the controllers and returns Error(kube) "leader election lost", as Velero exits.
void run_server(const ServerOptions& options, std::stop_token stop);

// The identity of the server holding the Lease `lease_name` in `ns` when one is running (held and
// renewed within its duration), nullopt otherwise: the CLI then hands work to it as velero does.
std::optional<std::string> running_server(kube::KubeClient& client, const std::string& ns,
                                          const std::string& lease_name = "vbackup-server");

// ---- the other controllers of Velero's server -----------------------------------------------------

// Which of Velero's other controllers run, with the server flags they read (velero server's names).
struct VeleroControllerOptions {
  bool schedules = true;           // schedule_controller.go (off with --restore-only)
  bool schedule_skip_immediately = false;  // --schedule-skip-immediately
  bool locations = true;           // BSL validation (validationFrequency), a single default, backup sync
  std::chrono::nanoseconds validation_frequency = std::chrono::minutes(1);  // --store-validation-frequency
  std::chrono::nanoseconds backup_sync_period = std::chrono::minutes(1);    // --backup-sync-period (0: off)
  bool garbage_collection = true;  // gc_controller.go and backup_deletion_controller.go (off with --restore-only)
  std::chrono::nanoseconds garbage_collection_frequency = std::chrono::hours(1);  // --garbage-collection-frequency
  bool requests = true;            // DownloadRequests and ServerStatusRequests (the velero CLI's read path)
};

// Appends those controllers to options.controllers (velero_controllers.cpp).
void add_velero_controllers(ServerOptions& options, const VeleroControllerOptions& controllers = {});

}  // namespace vbackup::server
