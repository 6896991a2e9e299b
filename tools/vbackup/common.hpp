// What every vbackup subcommand shares: the global flags (velero's), opening the storage location
// and the cluster, flag-value parsing with errors that name the flag, the confirmation prompt, and
// the progress bar on stderr.
#pragma once

#include "vbackup/backup.hpp"
#include "vbackup/cluster.hpp"
#include "vbackup/location.hpp"
#include "vbackup/restore.hpp"
#include "vbackup/time.hpp"
#include "vbackup/velero.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace vbackup::cli {

// The global flags, accepted before or after the subcommand (velero's are global too).
struct Common {
  std::string storage_location;
  std::string velero_namespace = "velero";
  std::string kubeconfig, kubecontext;

  kube::ConnectOptions connect() const;
  // True when the user named a cluster: --kubeconfig, --kubecontext or $KUBECONFIG. A dry run uses a
  // cluster only then (otherwise it plans against an empty one).
  bool cluster_named() const;
};

// --record-in-cluster on backup create and restore create (Velero keeps these CRs; we do when its
// CRDs are installed), and the announcement on stderr the first time an operation records its CR.
void add_record_flag(CLI::App& command, std::string& value, const char* kind);
void record_in_cluster(const std::string& value, OperationCallbacks<BackupProgress, velero::Backup>& options);
void record_in_cluster(const std::string& value, OperationCallbacks<RestoreProgress, velero::Restore>& options);

// Registers the global flags on `app`.
void add_global_flags(CLI::App& app, Common& common);

// --storage-location, else $VBACKUP_STORAGE_LOCATION: a URL or a BackupStorageLocation file.
OpenedLocation open_store(const Common& c);

// The cluster of the kubeconfig (--kubeconfig, --kubecontext), or `manifests` standing in for one.
std::unique_ptr<Cluster> open_cluster(const Common& c, ClusterOptions options = {});

Timestamp now();

// --flag=true|false, "" = unset (velero's flag.OptionalBool).
std::optional<bool> parse_optional_bool(const std::string& flag, const std::string& v);
// key=value pairs (velero's flag.Map); `separator` ':' for --namespace-mappings.
velero::StringMap parse_map(const std::string& flag, const std::vector<std::string>& pairs, char separator = '=');
// -o: json or yaml, and table where `allow_table`.
void check_output(const std::string& o, bool allow_table);
// A Go duration ("4h", "90s"), Error(invalid) naming the flag.
std::chrono::nanoseconds parse_duration_flag(const std::string& flag, const std::string& v);
// The whole content of a file a flag names, Error naming the flag and the file.
std::string read_flag_file(const std::string& flag, const std::string& path);

// velero's confirm.GetConfirmation: true with --confirm; else asks on a terminal, and refuses
// (Error naming --confirm) without one.
bool confirmed(const std::string& what, bool confirm);

// A progress bar on stderr, redrawn at most ten times a second, when stderr is a terminal (or
// VBACKUP_PROGRESS is set: tests) and not quiet. The final figures stay on screen after finish().
class ProgressBar {
 public:
  // line(seconds since start, terminal width) renders the current state.
  using Render = std::function<std::string(double seconds, std::size_t width)>;
  explicit ProgressBar(bool quiet);
  bool enabled() const { return enabled_; }
  void update(const Render& render);
  void finish(const Render& render);

 private:
  void draw(const Render& render);
  bool enabled_;
  std::chrono::steady_clock::time_point started_, last_draw_;
  std::size_t drawn_ = 0;
};

}  // namespace vbackup::cli
