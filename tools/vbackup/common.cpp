#include "common.hpp"

#include "vbackup/error.hpp"

#include <CLI/CLI.hpp>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace vbackup::cli {

kube::ConnectOptions Common::connect() const {
  kube::ConnectOptions o;
  o.kubeconfig = kubeconfig;
  o.context = kubecontext;
  return o;
}

bool Common::cluster_named() const {
  const char* env = std::getenv("KUBECONFIG");
  return !kubeconfig.empty() || !kubecontext.empty() || (env && *env);
}

void add_global_flags(CLI::App& app, Common& common) {
  app.add_option("--storage-location", common.storage_location,
                 "Where backups live: file://DIR, s3://BUCKET[/PREFIX]?…, azure://CONTAINER[/PREFIX]?…, or a "
                 "BackupStorageLocation file (default: $VBACKUP_STORAGE_LOCATION)");
  app.add_option("-n,--namespace", common.velero_namespace,
                 "The Velero namespace: recorded in backups and restores, where their custom resources and the "
                 "ConfigMaps a restore names are")
      ->capture_default_str();
  app.add_option("--kubeconfig", common.kubeconfig,
                 "Path to the kubeconfig file to use to talk to the Kubernetes apiserver (default: $KUBECONFIG, "
                 "~/.kube/config, or the in-cluster service account)");
  app.add_option("--kubecontext", common.kubecontext, "The context to use to talk to the Kubernetes apiserver");
}

void add_record_flag(CLI::App& command, std::string& value, const char* kind) {
  command
      .add_option("--record-in-cluster", value,
                  std::string("Keep the ") + kind + " CR in the cluster's Velero namespace, as Velero does: auto (when "
                  "the velero.io CRDs are installed; said on stderr), true (fail when it cannot be recorded), false")
      ->capture_default_str();
}

namespace {
template <class Options>
void set_record(const std::string& value, Options& options) {
  options.record_in_cluster = parse_record_in_cluster(value, "--record-in-cluster");
  options.on_recording = [](const std::string& announcement) {
    std::cerr << "vbackup: " << announcement << "; --record-in-cluster=false to stop\n";
  };
}
}  // namespace

void record_in_cluster(const std::string& value, OperationCallbacks<BackupProgress, velero::Backup>& options) {
  set_record(value, options);
}
void record_in_cluster(const std::string& value, OperationCallbacks<RestoreProgress, velero::Restore>& options) {
  set_record(value, options);
}

OpenedLocation open_store(const Common& c) {
  std::string loc = c.storage_location;
  if (loc.empty()) {
    if (const char* env = std::getenv("VBACKUP_STORAGE_LOCATION")) loc = env;
  }
  if (loc.empty()) {
    throw invalid_input("no storage location: pass --storage-location file://DIR (or s3://…, azure://…, a "
                        "BackupStorageLocation file) or set VBACKUP_STORAGE_LOCATION");
  }
  return open_location(loc);
}

std::unique_ptr<Cluster> open_cluster(const Common& c, ClusterOptions options) {
  options.connect = c.connect();
  return Cluster::open(options);
}

Timestamp now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

std::optional<bool> parse_optional_bool(const std::string& flag, const std::string& v) {
  if (v.empty()) return std::nullopt;
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  throw invalid_input(flag + ": expected true or false, not \"" + v + "\"");
}

velero::StringMap parse_map(const std::string& flag, const std::vector<std::string>& pairs, char separator) {
  velero::StringMap m;
  for (const auto& p : pairs) {
    auto at = p.find(separator);
    if (at == std::string::npos || at == 0) {
      throw invalid_input(flag + ": \"" + p + "\" is not " + (separator == ':' ? "src:dst" : "key=value"));
    }
    m[p.substr(0, at)] = p.substr(at + 1);
  }
  return m;
}

void check_output(const std::string& o, bool allow_table) {
  if (o == "json" || o == "yaml" || (allow_table && o == "table")) return;
  throw invalid_input("--output: expected " + std::string(allow_table ? "table, " : "") + "json or yaml, not \"" + o + "\"");
}

std::chrono::nanoseconds parse_duration_flag(const std::string& flag, const std::string& v) {
  try {
    return parse_duration(v);
  } catch (const Error& e) {
    throw invalid_input(flag + ": " + e.what());
  }
}

std::string read_flag_file(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::not_found, flag + ": cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool confirmed(const std::string& what, bool confirm) {
  if (confirm) return true;
  if (!::isatty(STDIN_FILENO)) throw invalid_input(what + ": pass --confirm to delete without a prompt");
  std::cout << "Are you sure you want to continue (Y/N)? " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer == "Y" || answer == "y") return true;
  std::cout << "Cancelled.\n";
  return false;
}

namespace {

// Columns of the terminal on stderr ($COLUMNS, else the tty's, else 80).
std::size_t terminal_width() {
  if (const char* c = std::getenv("COLUMNS"); c && std::atoi(c) > 20) return static_cast<std::size_t>(std::atoi(c));
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
  return 80;
}

}  // namespace

ProgressBar::ProgressBar(bool quiet)
    : enabled_((::isatty(STDERR_FILENO) || std::getenv("VBACKUP_PROGRESS")) && !quiet),
      started_(std::chrono::steady_clock::now()),
      last_draw_(started_ - std::chrono::seconds(1)) {}

void ProgressBar::update(const Render& render) {
  if (!enabled_) return;
  auto t = std::chrono::steady_clock::now();
  if (t - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = t;
  draw(render);
}

void ProgressBar::finish(const Render& render) {
  if (!enabled_ || !drawn_) return;
  draw(render);
  std::cerr << "\n";
}

void ProgressBar::draw(const Render& render) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::string line = render(seconds, terminal_width());
  std::cerr << "\r" << line << std::string(drawn_ > line.size() ? drawn_ - line.size() : 0, ' ') << std::flush;
  drawn_ = line.size();
}

}  // namespace vbackup::cli
