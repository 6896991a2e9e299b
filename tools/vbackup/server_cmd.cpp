// vbackup server (brief i13-server): Velero's `velero server` for our controllers. Runs until
// SIGTERM or SIGINT, which cancel running work (nothing half-written stays visible) and release
// the Lease; a second signal ends the process at once.
#include "commands.hpp"
#include "interrupt.hpp"
#include "vbackup/crypto.hpp"
#include "vbackup/server.hpp"
#include "vbackup/time.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

namespace vbackup::cli {

namespace {

std::chrono::milliseconds duration_flag(const std::string& text, const char* flag) {
  try {
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(text));
    if (d.count() <= 0) throw invalid_input("not positive");
    return d;
  } catch (const Error&) {
    throw invalid_input(std::string(flag) + ": expected a positive Go duration (\"15s\", \"1m\"), not \"" + text + "\"");
  }
}

}  // namespace

int submit_operation(const Common& c, const std::string& plural, json::object cr, bool wait) {
  // velero's messages (pkg/cmd/cli/backup/create.go, restore/create.go).
  const std::string kind = plural == "backups" ? "Backup" : "Restore";
  const std::string noun = plural == "backups" ? "backup" : "restore";
  const std::string name(json::metadata_string(cr, "name"));
  kube::KubeClient client(kube::load_rest_config(c.connect()));
  server::submit(client, c.velero_namespace, plural, std::move(cr));
  std::cout << kind << " request \"" << name << "\" submitted successfully.\n";
  if (!wait) {
    std::cout << "Run `vbackup " << noun << " describe " << name << "` or `vbackup " << noun << " logs " << name
              << "` for more details.\n";
    return 0;
  }
  std::cout << "Waiting for " << noun << " to complete. You may safely press ctrl-c to stop waiting - your " << noun
            << " will continue in the background.\n" << std::flush;
  Interrupt interrupt(false);
  std::stop_source stop;
  std::jthread watcher([&stop](std::stop_token st) {
    while (!st.stop_requested() && !Interrupt::requested()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (Interrupt::requested()) stop.request_stop();
  });
  json::object done;
  try {
    done = server::wait_for_completion(client, c.velero_namespace, plural, name, stop.get_token(),
                                       std::chrono::milliseconds(500));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::cancelled) throw;
    std::cout << "\n";
    return Interrupt::exit_status();
  }
  watcher.request_stop();
  const json::object* st = json::find_object(done, "status");
  std::string phase(st ? json::get_string(*st, "phase") : "");
  std::cout << "\n" << kind << " completed with status: " << phase << ". You may check for more information using the "
            << "commands `vbackup " << noun << " describe " << name << "` and `vbackup " << noun << " logs " << name
            << "`.\n";
  return phase == "Completed" ? 0 : phase == "PartiallyFailed" ? 2 : 1;
}

void add_server_command(CLI::App& app, const Common& common, int& rc) {
  struct Flags {
    std::string metrics_address = ":8085";
    bool leader_elect = true;
    std::string lease_duration = "15s", renew_deadline = "10s", retry_period = "2s", watch_timeout = "10s";
    std::string identity;
    // velero server's flags for the other controllers (and those `vbackup install` passes).
    std::string backup_sync_period = "1m", store_validation_frequency = "1m", gc_frequency = "1h";
    bool schedule_skip_immediately = false, restore_only = false, disable_informer_cache = false;
    std::string features;
    std::string identity_file;  // issue 16
    int concurrent_backups = 1;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("server", "Run Velero's controllers (Backup, Restore, Schedule, backup sync and location "
                                           "validation, GC and DeleteBackupRequest, DownloadRequest, ServerStatusRequest) over the "
                                           "velero.io CRs of the Velero namespace, as velero server does");
  cmd->fallthrough();
  cmd->add_option("--metrics-address", flags->metrics_address,
                  "Where /metrics, /healthz and /readyz are served (host:port; \"\" for none)")
      ->capture_default_str();
  cmd->add_option("--leader-elect", flags->leader_elect,
                  "Only the holder of the Lease vbackup-server in the Velero namespace acts")
      ->capture_default_str();
  cmd->add_option("--leader-elect-lease-duration", flags->lease_duration, "How long a Lease not renewed stays held")
      ->capture_default_str();
  cmd->add_option("--leader-elect-renew-deadline", flags->renew_deadline, "How long the leader retries renewing")
      ->capture_default_str();
  cmd->add_option("--leader-elect-retry-period", flags->retry_period, "Between two attempts")->capture_default_str();
  cmd->add_option("--leader-elect-identity", flags->identity, "The holder identity (default: <hostname>_<random>)");
  cmd->add_option("--watch-timeout", flags->watch_timeout, "How long one WATCH lasts (bounds how long a stop waits)")
      ->capture_default_str();
  cmd->add_option("--backup-sync-period", flags->backup_sync_period,
                  "How often backups in the storage locations are synced into the cluster (0 disables)")
      ->capture_default_str();
  cmd->add_option("--store-validation-frequency", flags->store_validation_frequency,
                  "How often a BackupStorageLocation is validated, unless its spec.validationFrequency says")
      ->capture_default_str();
  cmd->add_option("--garbage-collection-frequency", flags->gc_frequency, "How often expired backups are collected")
      ->capture_default_str();
  cmd->add_option("--schedule-skip-immediately", flags->schedule_skip_immediately,
                  "A new or unpaused Schedule waits for its next run unless its spec.skipImmediately says")
      ->capture_default_str();
  cmd->add_flag("--restore-only", flags->restore_only,
                "Run only restores (velero's deprecated flag): no backups, schedules, GC or deletion");
  cmd->add_option("--features", flags->features, "Velero feature flags (accepted; none changes this server)");
  cmd->add_option("--disable-informer-cache", flags->disable_informer_cache,
                  "Accepted for velero install's Deployment: restores always read the live object");
  cmd->add_option("--concurrent-backups", flags->concurrent_backups,
                  "Accepted for velero install's Deployment: backups run one at a time");
  cmd->add_option("--identity-file", flags->identity_file,
                  "age identity file that opens encrypted backups (restores, logs); sets VBACKUP_IDENTITY_FILE, "
                  "which every reader of the library falls back to. Backups are encrypted to the recipients of "
                  "the annotation vbackup.io/encrypt-to of the Backup (copied from its Schedule)");
  cmd->callback([&common, &rc, flags] {
    if (!flags->identity_file.empty()) {
      crypto::read_age_identity_file(flags->identity_file);  // a bad file fails now, naming it
      ::setenv("VBACKUP_IDENTITY_FILE", flags->identity_file.c_str(), 1);
    }
    server::ServerOptions o;
    o.connect = common.connect();
    o.namespace_ = common.velero_namespace;
    o.metrics_address = flags->metrics_address;
    o.leader_elect = flags->leader_elect;
    o.leader_election.identity = flags->identity;
    o.leader_election.lease_duration = duration_flag(flags->lease_duration, "--leader-elect-lease-duration");
    o.leader_election.renew_deadline = duration_flag(flags->renew_deadline, "--leader-elect-renew-deadline");
    o.leader_election.retry_period = duration_flag(flags->retry_period, "--leader-elect-retry-period");
    o.watch_timeout = std::chrono::duration_cast<std::chrono::seconds>(duration_flag(flags->watch_timeout, "--watch-timeout"));
    if (o.watch_timeout.count() == 0) o.watch_timeout = std::chrono::seconds(1);
    auto period = [](const std::string& text, const char* flag) {
      try {
        auto d = parse_duration(text);
        if (d.count() < 0) throw invalid_input("negative");
        return std::chrono::duration_cast<std::chrono::nanoseconds>(d);
      } catch (const Error&) {
        throw invalid_input(std::string(flag) + ": expected a Go duration (\"1m\", \"0\" disables), not \"" + text + "\"");
      }
    };
    server::VeleroControllerOptions vo;
    vo.backup_sync_period = period(flags->backup_sync_period, "--backup-sync-period");
    vo.validation_frequency = period(flags->store_validation_frequency, "--store-validation-frequency");
    vo.garbage_collection_frequency = period(flags->gc_frequency, "--garbage-collection-frequency");
    vo.schedule_skip_immediately = flags->schedule_skip_immediately;
    if (flags->restore_only) {
      o.backup_controller = false;
      vo.schedules = vo.garbage_collection = false;
    }
    server::add_velero_controllers(o, vo);
    auto mutex = std::make_shared<std::mutex>();
    // logrus's text format, as velero server logs.
    o.log = [mutex](std::string_view level, std::string_view line) {
      std::lock_guard lock(*mutex);
      std::string msg;
      for (char c : line) msg += c == '"' ? std::string("\\\"") : std::string(1, c);
      std::cerr << "time=\"" << format_rfc3339(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()))
                << "\" level=" << level << " msg=\"" << msg << "\"" << std::endl;
    };
    o.on_listening = [mutex](int port) {
      std::lock_guard lock(*mutex);
      std::cerr << "vbackup server: metrics on port " << port << std::endl;
    };
    Interrupt interrupt(false);
    std::stop_source stop;
    std::jthread watcher([&stop](std::stop_token st) {
      while (!st.stop_requested() && !Interrupt::requested()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      stop.request_stop();
    });
    server::run_server(o, stop.get_token());
    watcher.request_stop();
    rc = 0;
  });
}

}  // namespace vbackup::cli
