// vbk_server_run (brief i13-server): `vbackup server` in a caller's process; the caller's progress
// callback, polled, is the stop switch.
#include "capi_internal.hpp"
#include "vbackup/server.hpp"
#include "vbackup/time.hpp"

#include <thread>

using namespace vbackup::capi;
namespace json = vbackup::json;

namespace {

std::chrono::milliseconds duration_option(const json::object& o, std::string_view key, std::chrono::milliseconds def) {
  auto text = string_option(o, key, "server options");
  if (!text) return def;
  auto d = std::chrono::duration_cast<std::chrono::milliseconds>(vbackup::parse_duration(*text));
  if (d.count() <= 0) throw vbackup::invalid_input("server options: " + std::string(key) + ": expected a positive duration");
  return d;
}

}  // namespace

vbk_status vbk_server_run(const char* options_json, const vbk_callbacks* callbacks) {
  return guarded([&] {
    auto o = parse_options(options_json, "server options",
                           {"kubeconfig", "context", "namespace", "metricsAddress", "leaderElect", "leaseDuration",
                            "renewDeadline", "retryPeriod", "identity", "watchTimeout", "backupSyncPeriod",
                            "storeValidationFrequency", "garbageCollectionFrequency", "scheduleSkipImmediately",
                            "restoreOnly"});
    vbackup::server::ServerOptions options;
    options.connect.kubeconfig = json::get_string(o, "kubeconfig");
    options.connect.context = json::get_string(o, "context");
    if (auto ns = string_option(o, "namespace", "server options")) options.namespace_ = *ns;
    if (auto a = string_option(o, "metricsAddress", "server options")) options.metrics_address = *a;
    if (auto* le = o.if_contains("leaderElect")) {
      if (!le->is_bool()) throw vbackup::invalid_input("server options: leaderElect: expected true or false");
      options.leader_elect = le->get_bool();
    }
    auto& lo = options.leader_election;
    lo.lease_duration = duration_option(o, "leaseDuration", lo.lease_duration);
    lo.renew_deadline = duration_option(o, "renewDeadline", lo.renew_deadline);
    lo.retry_period = duration_option(o, "retryPeriod", lo.retry_period);
    if (auto id = string_option(o, "identity", "server options")) lo.identity = *id;
    options.watch_timeout = std::max(std::chrono::seconds(1), std::chrono::duration_cast<std::chrono::seconds>(
                                                                   duration_option(o, "watchTimeout", std::chrono::seconds(10))));
    // Velero's other controllers (velero server's flags; a period of "0" turns one off).
    vbackup::server::VeleroControllerOptions vo;
    auto period = [&](std::string_view key, std::chrono::nanoseconds& target) {
      auto text = string_option(o, key, "server options");
      if (!text) return;
      auto d = vbackup::parse_duration(*text);
      if (d.count() < 0) throw vbackup::invalid_input("server options: " + std::string(key) + ": negative duration");
      target = d;
    };
    period("backupSyncPeriod", vo.backup_sync_period);
    period("storeValidationFrequency", vo.validation_frequency);
    period("garbageCollectionFrequency", vo.garbage_collection_frequency);
    auto flag = [&](std::string_view key) {
      auto* v = o.if_contains(key);
      if (v && !v->is_bool()) throw vbackup::invalid_input("server options: " + std::string(key) + ": expected true or false");
      return v && v->get_bool();
    };
    vo.schedule_skip_immediately = flag("scheduleSkipImmediately");
    if (flag("restoreOnly")) {
      options.backup_controller = false;
      vo.schedules = vo.garbage_collection = false;
    }
    vbackup::server::add_velero_controllers(options, vo);
    vbk_callbacks cb = read_callbacks(callbacks);
    std::mutex mutex;  // the caller's callbacks are never called at once
    if (cb.log) {
      options.log = [cb, &mutex](std::string_view level, std::string_view line) {
        std::lock_guard lock(mutex);
        cb.log(cb.user, std::string(level).c_str(), std::string(line).c_str());
      };
    }
    std::stop_source stop;
    // The progress callback, five times a second, (0, 0, 0): non-zero stops the server.
    std::jthread poller([&](std::stop_token st) {
      while (!st.stop_requested()) {
        if (cb.progress) {
          std::lock_guard lock(mutex);
          if (cb.progress(cb.user, 0, 0, 0) != 0) {
            stop.request_stop();
            return;
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
    vbackup::server::run_server(options, stop.get_token());
    return VBK_OK;
  });
}
