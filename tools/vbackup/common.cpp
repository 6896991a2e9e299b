#include "common.hpp"

#include "vbackup/error.hpp"
#include "vbackup/manifests.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/sync.hpp"

#include <CLI/CLI.hpp>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace vbackup::cli {

namespace {

// A line for the user about a long wait, on stderr, as the operation goes on.
void wait_notice(std::string_view line) { std::cerr << "vbackup: " << line << "\n" << std::flush; }

}  // namespace

kube::ConnectOptions Common::connect() const {
  kube::ConnectOptions o;
  o.kubeconfig = kubeconfig;
  o.context = kubecontext;
  if (!request_timeout.empty()) o.request_timeout = kube::parse_request_timeout(request_timeout);
  o.notice = wait_notice;
  return o;
}

LocationOptions Common::location_options() const {
  LocationOptions o;
  if (!request_timeout.empty()) o.request_timeout = kube::parse_request_timeout(request_timeout);
  o.notice = wait_notice;
  o.cluster_locations = [this] { return cluster_locations(*this); };
  // A BSL's spec.credential: the key of its Secret in the Velero namespace of the named cluster
  // (without one, the BSL must name its credentials file, as location_from_bsl says).
  if (cluster_named()) {
    o.secret_key = [this](const velero::SecretKeySelector& s) {
      kube::KubeClient client(kube::load_rest_config(connect()));
      return secret_key_reader(client, velero_namespace)(s);
    };
  }
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
  app.add_option("--request-timeout", common.request_timeout,
                 "The length of time to wait before giving up on a single server request (the Kubernetes API "
                 "server, the object store), its retries included. Non-zero values should contain a corresponding "
                 "time unit (e.g. 1s, 2m, 3h); a plain number is seconds; 0 means no limit (default 1m)");
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
  return open_location(loc, c.location_options());  // "": the default named location
}

std::vector<velero::BackupStorageLocation> cluster_locations(const Common& c) {
  std::optional<kube::RestConfig> config;
  try {
    config = kube::load_rest_config(c.connect());
  } catch (const Error& e) {
    if (e.code() == ErrorCode::not_found) return {};  // no kubeconfig: no cluster to ask
    throw;
  }
  kube::KubeClient client(std::move(*config));
  ApiResource bsl;
  bsl.group = "velero.io";
  bsl.version = "v1";
  bsl.name = "backupstoragelocations";
  bsl.kind = "BackupStorageLocation";
  std::vector<velero::BackupStorageLocation> out;
  ListOptions list;
  list.namespace_ = c.velero_namespace;
  try {
    client.list(bsl, list, [&](json::object&& o) {
      out.push_back(velero::BackupStorageLocation::from_json(o, "BackupStorageLocation in " + client.config().server));
    });
  } catch (const kube::KubeError& e) {
    if (e.http_status() == 404) return {};  // the cluster has no velero.io CRDs
    throw;
  }
  return out;
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
  // velero asks again until the answer is one letter, y or n.
  for (;;) {
    std::cout << "Are you sure you want to continue (Y/N)? " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer)) {
      std::cout << "\nCancelled.\n";
      return false;
    }
    std::string_view a = answer;
    while (!a.empty() && std::isspace(static_cast<unsigned char>(a.front()))) a.remove_prefix(1);
    while (!a.empty() && std::isspace(static_cast<unsigned char>(a.back()))) a.remove_suffix(1);
    if (a == "Y" || a == "y") return true;
    if (a == "N" || a == "n") {
      std::cout << "Cancelled.\n";
      return false;
    }
  }
}

void check_selection(const std::string& type, const std::vector<std::string>& names, bool all,
                     const std::string& selector) {
  int given = !names.empty() + all + !selector.empty();
  if (given != 1) {
    throw invalid_input("you must specify exactly one of: specific " + type +
                        " name(s), the --all flag, or the --selector flag");
  }
}

namespace {

// --flag[=true|false] in --help, rather than CLI11's "--flag{true}", which reads like a default.
struct OptionalBoolFormatter : CLI::Formatter {
  std::string make_option_name(const CLI::Option* opt, bool positional) const override {
    std::string n = CLI::Formatter::make_option_name(opt, positional);
    if (auto at = n.find("{true}"); at != std::string::npos) n.replace(at, 6, "[=true|false]");
    return n;
  }
};

}  // namespace

void add_optional_bool(CLI::App& command, const std::string& name, std::string& target, const std::string& description) {
  command.formatter(std::make_shared<OptionalBoolFormatter>());
  command.add_flag(name + "{true}", target, description + " (default: unset, auto)");
}

json::object read_resource_file(const std::string& flag, const std::string& path, std::string_view kind) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(ErrorCode::not_found, flag + ": cannot read " + path);
  std::vector<json::object> objects;
  manifests::read_manifest_file(path, [&](manifests::ManifestObject&& m) { objects.push_back(std::move(m.object)); },
                                [](const std::string&) {});
  if (objects.size() != 1) {
    throw invalid_input(flag + ": " + path + ": expected one " + std::string(kind) + ", found " +
                        std::to_string(objects.size()) + " objects");
  }
  return std::move(objects.front());
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
