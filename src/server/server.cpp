// run_server: Velero's `velero server` loop (pkg/cmd/server/server.go) for our controllers: the
// metrics and health server, leader election, the start-up sweep, and per controller an informer
// thread feeding a work queue and a worker thread running reconcile() one object at a time.
#include "server/internal.hpp"
#include "vbackup/server.hpp"

#include <condition_variable>
#include <deque>
#include <set>
#include <thread>

namespace vbackup::server {

namespace {

using steady = std::chrono::steady_clock;

// One controller at work: its informer and its queue (client-go's workqueue: a key is queued once;
// the newest object replaces an older one waiting), requeues at a time, periodic ticks.
class Runner {
 public:
  Runner(std::unique_ptr<Controller> controller, ControllerContext context, std::chrono::seconds watch_timeout)
      : controller_(std::move(controller)), ctx_(std::move(context)), watch_timeout_(watch_timeout) {}

  void start(std::stop_token stop) {
    ctx_.stop = stop;
    const std::string plural = controller_->resource();
    if (!plural.empty()) {
      const ApiResource* r = ctx_.client.discovery().find("velero.io", plural);
      if (!r) r = ctx_.client.refresh_discovery().find("velero.io", plural);
      if (!r) throw Error(ErrorCode::unsupported, "controller " + controller_->name() + ": the cluster has no velero.io/v1 " +
                                                      plural + " (Velero's CRDs are not installed)");
      resource_ = *r;
      InformerOptions io;
      io.namespace_ = ctx_.namespace_;
      io.watch_timeout = watch_timeout_;
      io.log = ctx_.log;
      informer_ = std::make_unique<Informer>(ctx_.client, *r, io, [this](std::string_view type, const json::object& o) {
        on_event(type, o);
      });
      informer_thread_ = std::jthread([this, stop] { informer_->run(stop); });
    }
    worker_ = std::jthread([this, stop] { work(stop); });
  }

  void join() {
    if (informer_thread_.joinable()) informer_thread_.join();
    if (worker_.joinable()) worker_.join();
  }

  bool synced() const { return !informer_ || informer_->synced(); }

 private:
  void on_event(std::string_view type, const json::object& o) {
    std::string key(json::metadata_string(o, "name"));
    std::lock_guard lock(mutex_);
    if (type == "DELETED") {
      // A change still queued is dropped with its object: the key leaves the order too.
      if (pending_.erase(key)) std::erase(order_, key);
      deleted_.push_back(o);
    } else {
      if (!pending_.contains(key)) order_.push_back(key);
      pending_[key] = o;
    }
    cv_.notify_all();
  }

  void work(std::stop_token stop) {
    auto next_tick = steady::now() + controller_->tick_period();
    std::map<std::string, int> failures;  // key → consecutive errors, for the backoff
    while (!stop.stop_requested()) {
      std::optional<json::object> object, gone;
      std::string requeued;
      bool tick = false;
      {
        std::unique_lock lock(mutex_);
        auto due = [&] {
          auto now = steady::now();
          if (!deleted_.empty() || !order_.empty()) return true;
          if (controller_->tick_period().count() > 0 && now >= next_tick) return true;
          return !requeue_.empty() && requeue_.begin()->first <= now;
        };
        while (!due() && !stop.stop_requested()) {
          auto wake = steady::now() + std::chrono::seconds(1);
          if (!requeue_.empty()) wake = std::min(wake, requeue_.begin()->first);
          if (controller_->tick_period().count() > 0) wake = std::min(wake, next_tick);
          cv_.wait_until(lock, stop, wake, [&] { return due(); });
        }
        if (stop.stop_requested()) return;
        if (!deleted_.empty()) {
          gone = std::move(deleted_.front());
          deleted_.pop_front();
        } else if (!order_.empty()) {
          std::string key = std::move(order_.front());
          order_.pop_front();
          auto it = pending_.find(key);
          if (it == pending_.end()) continue;
          object = std::move(it->second);
          pending_.erase(it);
        } else if (controller_->tick_period().count() > 0 && steady::now() >= next_tick) {
          tick = true;
          next_tick = steady::now() + controller_->tick_period();
        } else {
          requeued = requeue_.begin()->second;
          requeue_.erase(requeue_.begin());
        }
      }
      try {
        if (gone) {
          controller_->deleted(*gone, ctx_);
          continue;
        }
        if (tick) {
          controller_->tick(ctx_);
          continue;
        }
        if (!requeued.empty()) {
          // A requeue reads the object afresh (it may have changed or gone meanwhile).
          object = ctx_.client.try_get(resource_, ctx_.namespace_, requeued);
        }
        if (!object) continue;
        const std::string key(json::metadata_string(*object, "name"));
        try {
          auto again = controller_->reconcile(*object, ctx_);
          failures.erase(key);
          if (again) schedule(key, *again);
        } catch (const std::exception& e) {
          // controller-runtime's rate-limited requeue: 5 ms doubling, here from 500 ms up to 5 minutes.
          int n = ++failures[key];
          auto delay = std::chrono::milliseconds(500) * (1 << std::min(n - 1, 10));
          delay = std::min<std::chrono::milliseconds>(delay, std::chrono::minutes(5));
          if (ctx_.log) ctx_.log("error", "controller " + controller_->name() + ": " + key + ": " + e.what());
          schedule(key, delay);
        }
      } catch (const std::exception& e) {
        if (ctx_.log) ctx_.log("error", "controller " + controller_->name() + ": " + e.what());
      }
    }
  }

  void schedule(const std::string& key, std::chrono::milliseconds after) {
    std::lock_guard lock(mutex_);
    requeue_.emplace(steady::now() + after, key);
    cv_.notify_all();
  }

  std::unique_ptr<Controller> controller_;
  ControllerContext ctx_;
  std::chrono::seconds watch_timeout_;
  ApiResource resource_;
  std::unique_ptr<Informer> informer_;
  std::mutex mutex_;
  std::condition_variable_any cv_;
  std::deque<std::string> order_;
  std::map<std::string, json::object> pending_;
  std::deque<json::object> deleted_;
  std::multimap<steady::time_point, std::string> requeue_;
  std::jthread informer_thread_, worker_;
};

}  // namespace

void run_server(const ServerOptions& options, std::stop_token stop) {
  Log log = options.log;
  kube::KubeClient client(kube::load_rest_config(options.connect));
  Metrics metrics;
  std::atomic<bool> ready{false};
  std::optional<MetricsServer> http;
  if (!options.metrics_address.empty()) {
    http.emplace(options.metrics_address, metrics, [&ready] { return ready.load(); });
    if (log) log("info", "Starting metric server at address [" + options.metrics_address + "]");
    if (options.on_listening) options.on_listening(http->port());
  }

  std::optional<LeaderElector> elector;
  if (options.leader_elect) {
    LeaderElectionOptions lo = options.leader_election;
    if (lo.namespace_.empty() || lo.namespace_ == "velero") lo.namespace_ = options.namespace_;
    if (!lo.log) lo.log = log;
    elector.emplace(client, lo);
    if (log) log("info", "leader election: " + elector->identity() + " waiting for lease " + lo.namespace_ + "/" + lo.lease_name);
    if (!elector->acquire(stop)) return;
  }
  if (options.on_leading) options.on_leading();

  // Only the leader sweeps: a standby server must not fail the leader's running backups.
  mark_in_progress_failed(client, options.namespace_, log);

  // The controllers stop when we are asked to, or when the Lease is lost.
  std::stop_source controllers_stop;
  std::stop_callback forward(stop, [&controllers_stop] { controllers_stop.request_stop(); });
  std::vector<std::unique_ptr<Runner>> runners;
  std::vector<std::function<std::unique_ptr<Controller>()>> factories;
  if (options.backup_controller) factories.emplace_back(make_backup_controller);
  if (options.restore_controller) factories.emplace_back(make_restore_controller);
  for (const auto& f : options.controllers) factories.push_back(f);
  for (const auto& make : factories) {
    ControllerContext ctx{client, options.namespace_, options.connect, metrics, controllers_stop.get_token(), log};
    runners.push_back(std::make_unique<Runner>(make(), std::move(ctx), options.watch_timeout));
  }
  try {
    for (auto& r : runners) r->start(controllers_stop.get_token());
  } catch (...) {
    controllers_stop.request_stop();
    for (auto& r : runners) r->join();
    if (elector) elector->release();
    throw;
  }
  std::jthread readiness([&](std::stop_token s) {
    while (!s.stop_requested()) {
      bool all = true;
      for (auto& r : runners) all = all && r->synced();
      if (all) {
        ready = true;
        return;
      }
      interruptible_sleep(s, std::chrono::milliseconds(50));
    }
  });
  bool lost = false;
  if (elector) lost = !elector->keep(stop);
  else
    while (interruptible_sleep(stop, std::chrono::hours(1))) {
    }
  // Shutdown: running work sees the stop through its progress callback and cancels; then the
  // informers end with their current watch.
  if (log) log("info", lost ? "leader election lost: stopping the controllers" : "shutting down");
  ready = false;
  controllers_stop.request_stop();
  readiness.request_stop();
  for (auto& r : runners) r->join();
  if (elector && !lost) elector->release();
  if (lost) throw Error(ErrorCode::kube, "leader election lost");
}

}  // namespace vbackup::server
