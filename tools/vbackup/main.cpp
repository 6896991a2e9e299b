// vbackup: a velero-style CLI over libvbackup. Flags keep velero's names; --storage-location takes a
// location URL or BackupStorageLocation file instead of a BSL name, and --from-manifests reads a
// folder of manifests instead of a cluster.
//
// Exit status: 0 success; 1 failure (bad input, failed or refused backup, storage error);
// 2 the backup completed PartiallyFailed (see `vbackup backup describe NAME --details`).
#include "output.hpp"

#include "vbackup/backup.hpp"
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/labels.hpp"
#include "vbackup/location.hpp"
#include "vbackup/velero.hpp"
#include "vbackup/version.hpp"

#include <CLI/CLI.hpp>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace vb = vbackup;

namespace {

struct Common {
  std::string storage_location;
  std::string velero_namespace = "velero";
  std::string kubeconfig, kubecontext;

  vb::kube::ConnectOptions connect() const {
    vb::kube::ConnectOptions o;
    o.kubeconfig = kubeconfig;
    o.context = kubecontext;
    return o;
  }
};

// --storage-location, else $VBACKUP_STORAGE_LOCATION: a URL or a BackupStorageLocation file.
vb::OpenedLocation open_store(const Common& c) {
  std::string loc = c.storage_location;
  if (loc.empty()) {
    if (const char* env = std::getenv("VBACKUP_STORAGE_LOCATION")) loc = env;
  }
  if (loc.empty()) {
    throw vb::invalid_input("no storage location: pass --storage-location file://DIR (or s3://…, azure://…, a "
                            "BackupStorageLocation file) or set VBACKUP_STORAGE_LOCATION");
  }
  return vb::open_location(loc);
}

vb::Timestamp now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

std::optional<bool> parse_optional_bool(const std::string& flag, const std::string& v) {
  if (v.empty()) return std::nullopt;
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  throw vb::invalid_input(flag + ": expected true or false, not \"" + v + "\"");
}

vb::velero::StringMap parse_map(const std::string& flag, const std::vector<std::string>& pairs) {
  vb::velero::StringMap m;
  for (const auto& p : pairs) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) throw vb::invalid_input(flag + ": \"" + p + "\" is not key=value");
    m[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return m;
}

void check_output(const std::string& o, bool allow_table) {
  if (o == "json" || o == "yaml" || (allow_table && o == "table")) return;
  throw vb::invalid_input("--output: expected " + std::string(allow_table ? "table, " : "") + "json or yaml, not \"" + o + "\"");
}

struct CreateFlags {
  std::string name;
  std::vector<std::string> from_manifests;
  std::string default_namespace = "default";
  std::vector<std::string> include_namespaces, exclude_namespaces, include_resources, exclude_resources;
  std::vector<std::string> include_cluster_scoped, exclude_cluster_scoped, include_namespace_scoped,
      exclude_namespace_scoped;
  std::string include_cluster_resources;
  std::string selector, or_selector;
  std::string ttl;
  std::string compression = "gzip";
  std::vector<std::string> labels, annotations;
  std::vector<std::string> ordered_resources;
  std::string snapshot_volumes, default_volumes_to_fs_backup;
  std::string output;
  bool quiet = false;
};

// Columns of the terminal on stderr ($COLUMNS, else the tty's, else 80).
std::size_t terminal_width() {
  if (const char* c = std::getenv("COLUMNS"); c && std::atoi(c) > 20) return static_cast<std::size_t>(std::atoi(c));
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
  return 80;
}

int backup_create(const Common& c, const CreateFlags& f) {
  vb::velero::Backup b;
  b.metadata.name = f.name;
  b.metadata.labels = parse_map("--labels", f.labels);
  b.metadata.annotations = parse_map("--annotations", f.annotations);
  auto& s = b.spec;
  s.included_namespaces = f.include_namespaces;
  s.excluded_namespaces = f.exclude_namespaces;
  s.included_resources = f.include_resources;
  s.excluded_resources = f.exclude_resources;
  s.included_cluster_scoped_resources = f.include_cluster_scoped;
  s.excluded_cluster_scoped_resources = f.exclude_cluster_scoped;
  s.included_namespace_scoped_resources = f.include_namespace_scoped;
  s.excluded_namespace_scoped_resources = f.exclude_namespace_scoped;
  s.include_cluster_resources = parse_optional_bool("--include-cluster-resources", f.include_cluster_resources);
  s.snapshot_volumes = parse_optional_bool("--snapshot-volumes", f.snapshot_volumes);
  s.default_volumes_to_fs_backup = parse_optional_bool("--default-volumes-to-fs-backup", f.default_volumes_to_fs_backup);
  if (!f.selector.empty()) s.label_selector = vb::json::value(vb::labels::parse_to_label_selector(f.selector));
  if (!f.or_selector.empty()) {
    for (auto& ls : vb::labels::parse_or_selectors(f.or_selector)) s.or_label_selectors.push_back(std::move(ls));
  }
  if (!f.ttl.empty()) s.ttl = vb::parse_duration(f.ttl);
  s.ordered_resources = parse_map("--ordered-resources", f.ordered_resources);
  vb::BackupOptions options;
  options.velero_namespace = c.velero_namespace;
  options.compression = vb::parse_compression(f.compression, "--compression");
  if (!f.output.empty()) {
    // velero: "For create commands, display the object but do not send it to the server."
    check_output(f.output, false);
    b.metadata.namespace_ = c.velero_namespace;
    vb::cli::print_object(std::cout, b.to_json(), f.output);
    return 0;
  }
  auto store = open_store(c);
  // The source: a folder of manifests, or the cluster of the kubeconfig (--kubeconfig, --kubecontext).
  vb::ClusterOptions cluster_options;
  cluster_options.manifests.assign(f.from_manifests.begin(), f.from_manifests.end());
  cluster_options.default_namespace = f.default_namespace;
  cluster_options.connect = c.connect();
  auto cluster = vb::Cluster::open(cluster_options);
  // A progress bar on a terminal (stderr), redrawn at most ten times a second; VBACKUP_PROGRESS=1
  // forces it where stderr is not a terminal (tests).
  bool tty = (::isatty(STDERR_FILENO) || std::getenv("VBACKUP_PROGRESS")) && !f.quiet;
  const auto started = std::chrono::steady_clock::now();
  auto last_draw = started - std::chrono::seconds(1);
  std::size_t drawn = 0;
  vb::BackupProgress last;
  auto draw = [&](const vb::BackupProgress& p) {
    auto now = std::chrono::steady_clock::now();
    std::string line = vb::cli::progress_line(p, std::chrono::duration<double>(now - started).count(), terminal_width());
    std::cerr << "\r" << line << std::string(drawn > line.size() ? drawn - line.size() : 0, ' ') << std::flush;
    drawn = line.size();
  };
  if (tty) {
    options.on_progress = [&](const vb::BackupProgress& p) {
      last = p;
      auto now = std::chrono::steady_clock::now();
      if (now - last_draw >= std::chrono::milliseconds(100)) {
        last_draw = now;
        draw(p);
      }
      return true;
    };
  }
  auto run = vb::create_backup(*cluster, store, std::move(b), options);
  const auto& result = run.result.backup;
  if (tty && drawn) {  // the final figures stay on screen
    draw(last);
    std::cerr << "\n";
  }
  if (!run.note.empty()) std::cerr << "Note: " << run.note << "\n";
  const auto& st = result.status;
  namespace phase = vb::velero::backup_phase;
  if (st.phase == phase::FailedValidation) {
    std::cerr << "An error occurred: backup " << f.name << " failed validation:\n";
    for (const auto& e : st.validation_errors) std::cerr << "  " << e << "\n";
    return 1;
  }
  if (st.phase == phase::Failed) {
    std::cerr << "An error occurred: backup " << f.name << " failed: " << st.failure_reason << "\n";
    return 1;
  }
  std::int64_t items = st.progress ? st.progress->items_backed_up : 0;
  std::cout << "Backup \"" << f.name << "\" " << st.phase << ": " << items << " items, " << st.errors
            << " errors, " << st.warnings << " warnings, in " << store.location.url() << ".\n";
  std::cout << "Run `vbackup backup describe " << f.name << " --details` for more details.\n";
  return st.phase == phase::PartiallyFailed ? 2 : 0;
}

int backup_get(const Common& c, const std::vector<std::string>& names, const std::string& output, const std::string& selector) {
  check_output(output, true);
  auto store = open_store(c);
  std::vector<vb::velero::Backup> backups;
  if (names.empty()) {
    backups = vb::list_backups(*store.backups);
  } else {
    for (const auto& n : names) backups.push_back(vb::get_backup(*store.backups, n));
  }
  if (!selector.empty()) {
    auto sel = vb::labels::Selector::parse(selector);
    std::erase_if(backups, [&](const vb::velero::Backup& b) {
      vb::labels::LabelMap l(b.metadata.labels.begin(), b.metadata.labels.end());
      return !sel.matches(l);
    });
  }
  if (output == "table") {
    vb::cli::print_backup_table(std::cout, backups, now());
    return 0;
  }
  vb::json::value v;
  if (backups.size() == 1 && !names.empty()) {
    v = backups.front().to_json();
  } else {
    vb::json::array items;
    for (const auto& b : backups) items.push_back(b.to_json());
    v = vb::json::object{{"apiVersion", "velero.io/v1"}, {"kind", "BackupList"}, {"items", std::move(items)}};
  }
  vb::cli::print_object(std::cout, v, output);
  return 0;
}

int backup_describe(const Common& c, const std::vector<std::string>& names, bool details, const std::string& output) {
  if (!output.empty()) check_output(output, false);
  auto store = open_store(c);
  std::vector<std::string> list = names.empty() ? store.backups->list_backups() : names;
  bool first = true;
  for (const auto& n : list) {
    auto d = vb::describe_backup(*store.backups, n, details);
    if (!output.empty()) {
      vb::cli::print_object(std::cout, d.backup.to_json(), output);
      continue;
    }
    if (!first) std::cout << "\n\n";
    vb::cli::print_backup_description(std::cout, d, details);
    first = false;
  }
  return 0;
}

int backup_download(const Common& c, const std::string& name, std::string output, bool force) {
  auto store = open_store(c);
  if (output.empty()) output = name + "-data.tar.gz";  // velero's default file name
  if (std::filesystem::exists(output) && !force) {
    throw vb::Error(vb::ErrorCode::already_exists, "file " + output + " already exists, remove it or use --force");
  }
  vb::download_backup(*store.backups, name, output);
  std::cout << "Backup " << name << " has been successfully downloaded to " << std::filesystem::absolute(output).string()
            << "\n";
  return 0;
}

int backup_delete(const Common& c, const std::vector<std::string>& names, bool all, bool confirm) {
  auto store = open_store(c);
  std::vector<std::string> list = names;
  if (all) list = store.backups->list_backups();
  if (list.empty()) throw vb::invalid_input("backup delete: name the backups to delete, or pass --all");
  if (!confirm) {
    if (!::isatty(STDIN_FILENO)) {
      throw vb::invalid_input("backup delete: pass --confirm to delete without a prompt");
    }
    std::cout << "Are you sure you want to continue (Y/N)? " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "Y" && answer != "y") {
      std::cout << "Cancelled.\n";
      return 0;
    }
  }
  for (const auto& n : list) {
    auto keys = vb::delete_backup(*store.backups, n);
    std::cout << "Backup \"" << n << "\" deleted (" << keys.size() << " objects).\n";
  }
  return 0;
}

int location_check(const Common& c, const std::string& output) {
  if (!output.empty()) check_output(output, false);
  auto store = open_store(c);
  auto status = vb::check_location(*store.backups, now());
  if (!output.empty()) {
    vb::cli::print_object(std::cout, status.to_json(), output);
  } else if (status.phase == vb::velero::location_phase::Available) {
    std::cout << store.location.url() << ": Available\n";
  } else {
    std::cout << store.location.url() << ": Unavailable: " << status.message << "\n";
  }
  return status.phase == vb::velero::location_phase::Available ? 0 : 1;
}

int backup_logs(const Common& c, const std::string& name) {
  auto store = open_store(c);
  std::cout << vb::backup_logs(*store.backups, name);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vbackup: back up Kubernetes resources in Velero's format"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("vbackup ") + vb::version());
  Common common;
  // Global flags, as velero's: accepted before or after the subcommand (fallthrough).
  app.add_option("--storage-location", common.storage_location,
                 "Where backups live: file://DIR, s3://BUCKET[/PREFIX]?…, azure://CONTAINER[/PREFIX]?…, or a "
                 "BackupStorageLocation file (default: $VBACKUP_STORAGE_LOCATION)");
  app.add_option("-n,--namespace", common.velero_namespace, "The Velero namespace recorded in backups")
      ->capture_default_str();
  app.add_option("--kubeconfig", common.kubeconfig,
                 "Path to the kubeconfig file to use to talk to the Kubernetes apiserver (default: $KUBECONFIG, "
                 "~/.kube/config, or the in-cluster service account)");
  app.add_option("--kubecontext", common.kubecontext, "The context to use to talk to the Kubernetes apiserver");
  app.fallthrough();
  auto add_common = [](CLI::App* cmd) { cmd->fallthrough(); };
  int rc = 0;

  auto* backup = app.add_subcommand("backup", "Work with backups");
  backup->require_subcommand(1);
  add_common(backup);

  CreateFlags cf;
  auto* create = backup->add_subcommand("create", "Create a backup");
  add_common(create);
  create->add_option("name", cf.name, "Backup name")->required();
  create->add_option("--from-manifests", cf.from_manifests,
                     "Back up a directory or file of YAML/JSON manifests instead of the cluster")
      ->delimiter(',');
  create->add_option("--default-namespace", cf.default_namespace,
                     "Namespace of namespaced manifests that name none (as kubectl -n)")->capture_default_str();
  create->add_option("--include-namespaces", cf.include_namespaces, "Namespaces to include (globs; default *)")->delimiter(',');
  create->add_option("--exclude-namespaces", cf.exclude_namespaces, "Namespaces to exclude (globs)")->delimiter(',');
  create->add_option("--include-resources", cf.include_resources, "Resources to include (old filter model)")->delimiter(',');
  create->add_option("--exclude-resources", cf.exclude_resources, "Resources to exclude (old filter model)")->delimiter(',');
  create->add_option("--include-cluster-resources", cf.include_cluster_resources,
                     "Include cluster-scoped resources: true, false, or unset for auto")
      ->expected(0, 1)->default_str("true");
  create->add_option("--include-cluster-scoped-resources", cf.include_cluster_scoped, "Cluster-scoped resources to include")->delimiter(',');
  create->add_option("--exclude-cluster-scoped-resources", cf.exclude_cluster_scoped, "Cluster-scoped resources to exclude")->delimiter(',');
  create->add_option("--include-namespace-scoped-resources", cf.include_namespace_scoped, "Namespace-scoped resources to include")->delimiter(',');
  create->add_option("--exclude-namespace-scoped-resources", cf.exclude_namespace_scoped, "Namespace-scoped resources to exclude")->delimiter(',');
  create->add_option("-l,--selector", cf.selector, "Only back up resources matching this label selector");
  create->add_option("--or-selector", cf.or_selector, "Back up resources matching at least one selector, separated by ' or '");
  create->add_option("--ttl", cf.ttl, "How long before the backup can be garbage collected (default 720h0m0s)");
  create->add_option("--compression", cf.compression, "Tarball compression: gzip (Velero-compatible) or zstd")->capture_default_str();
  create->add_option("--labels", cf.labels, "Labels to apply to the backup (key=value)")->delimiter(',');
  create->add_option("--annotations", cf.annotations, "Annotations to apply to the backup (key=value)")->delimiter(',');
  create->add_option("--ordered-resources", cf.ordered_resources, "Backup order of items: resource=ns/name,… (repeat per resource)");
  create->add_option("--snapshot-volumes", cf.snapshot_volumes, "Recorded in the spec; volume data is not backed up")->expected(0, 1)->default_str("true");
  create->add_option("--default-volumes-to-fs-backup", cf.default_volumes_to_fs_backup, "Recorded in the spec; volume data is not backed up")->expected(0, 1)->default_str("true");
  create->add_option("-o,--output", cf.output, "Print the Backup (json|yaml) instead of running it");
  create->add_flag("-q,--quiet", cf.quiet, "No progress output");
  create->callback([&] { rc = backup_create(common, cf); });

  std::vector<std::string> names;
  std::string output = "table", selector;
  auto* get = backup->add_subcommand("get", "Get backups");
  add_common(get);
  get->add_option("names", names, "Backup names (default: all)");
  get->add_option("-o,--output", output, "table, json or yaml")->capture_default_str();
  get->add_option("-l,--selector", selector, "Only show backups whose labels match this selector");
  get->callback([&] { rc = backup_get(common, names, output, selector); });

  bool details = false;
  std::string describe_output;
  auto* describe = backup->add_subcommand("describe", "Describe backups");
  add_common(describe);
  describe->add_option("names", names, "Backup names (default: all)");
  describe->add_flag("--details", details, "Show the resource list and the errors and warnings of each backup");
  describe->add_option("-o,--output", describe_output, "json or yaml instead of text");
  describe->callback([&] { rc = backup_describe(common, names, details, describe_output); });

  std::string name, file;
  bool force = false;
  auto* download = backup->add_subcommand("download", "Download a backup's tarball");
  add_common(download);
  download->add_option("name", name, "Backup name")->required();
  download->add_option("-o,--output", file, "File to write (default NAME-data.tar.gz)");
  download->add_flag("--force", force, "Overwrite the file if it exists");
  download->callback([&] { rc = backup_download(common, name, file, force); });

  bool all = false, confirm = false;
  auto* del = backup->add_subcommand("delete", "Delete backups from the storage location");
  add_common(del);
  del->add_option("names", names, "Backup names");
  del->add_flag("--all", all, "Delete every backup in the location");
  del->add_flag("--confirm", confirm, "Do not ask for confirmation");
  del->callback([&] { rc = backup_delete(common, names, all, confirm); });

  auto* logs = backup->add_subcommand("logs", "Show a backup's log");
  add_common(logs);
  logs->add_option("name", name, "Backup name")->required();
  logs->callback([&] { rc = backup_logs(common, name); });

  auto* bsl = app.add_subcommand("backup-location", "Work with backup storage locations");
  bsl->require_subcommand(1);
  add_common(bsl);
  std::string check_out;
  auto* check = bsl->add_subcommand("check", "Run Velero's validity check of a location (Available / Unavailable)");
  add_common(check);
  check->add_option("-o,--output", check_out, "Print the BackupStorageLocation status as json or yaml");
  check->callback([&] { rc = location_check(common, check_out); });

  bool client_only = false;
  auto* version = app.add_subcommand("version", "Print the client's version and the Kubernetes API server's");
  add_common(version);
  version->add_flag("--client-only", client_only, "Only the client's version");
  version->callback([&] {
    std::cout << "Client:\n\tVersion: " << vb::version() << "\n";
    if (client_only) return;
    vb::kube::KubeClient client(vb::kube::load_rest_config(common.connect()));
    auto v = client.version();
    std::cout << "Kubernetes server:\n\tVersion: " << v.git_version << "\n\tServer: " << client.config().server << "\n";
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const vb::Error& e) {
    std::cerr << "An error occurred: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "An error occurred: " << e.what() << "\n";
    return 1;
  }
  return rc;
}
