// vbackup backup-location create|get|set|delete: velero's commands (pkg/cmd/cli/backuplocation) over
// named locations. They live in the locations file (location.hpp LocationsFile) and, when
// --kubeconfig/--kubecontext/$KUBECONFIG names a cluster with the velero.io CRDs, as
// BackupStorageLocation CRs in the Velero namespace too. Reading (get, and --storage-location NAME)
// also sees the CRs of the cluster the kubeconfig configures.
#include "commands.hpp"
#include "output.hpp"

#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/labels.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

namespace vbackup::cli {
namespace {

using velero::BackupStorageLocation;

// The Velero namespace's BackupStorageLocations of the named cluster, for writes: nullopt when no
// cluster is named or it has no velero.io CRD (then only the file changes).
struct ClusterLocations {
  std::unique_ptr<kube::KubeClient> client;
  ApiResource resource;
  std::string ns;

  static std::optional<ClusterLocations> open(const Common& c) {
    if (!c.cluster_named()) return std::nullopt;
    ClusterLocations cl;
    cl.client = std::make_unique<kube::KubeClient>(kube::load_rest_config(c.connect()));
    const ApiResource* r = cl.client->discovery().find("velero.io", "backupstoragelocations");
    if (!r) {
      std::cerr << "vbackup: " << cl.client->config().server
                << " has no BackupStorageLocation CRD (velero.io): only the locations file changes\n";
      return std::nullopt;
    }
    cl.resource = *r;
    cl.ns = c.velero_namespace;
    return cl;
  }
  std::optional<BackupStorageLocation> get(const std::string& name) {
    auto o = client->try_get(resource, ns, name);
    if (!o) return std::nullopt;
    return BackupStorageLocation::from_json(*o, "BackupStorageLocation " + ns + "/" + name);
  }
  std::vector<BackupStorageLocation> list() {
    std::vector<BackupStorageLocation> out;
    ListOptions o;
    o.namespace_ = ns;
    client->list(resource, o, [&](json::object&& obj) {
      out.push_back(BackupStorageLocation::from_json(obj, "BackupStorageLocation in " + ns));
    });
    return out;
  }
  // The object as the API server takes it: no status, in the Velero namespace.
  json::object cr(BackupStorageLocation bsl) const {
    bsl.metadata.namespace_ = ns;
    json::object o = bsl.to_json();
    o.erase("status");
    return o;
  }
};

velero::SecretKeySelector secret_key(const std::string& secret, const std::string& key) {
  velero::SecretKeySelector s;
  s.name = secret;
  s.key = key;
  return s;
}

struct CreateFlags {
  std::string name, provider, bucket, prefix, cacert, access_mode = "ReadWrite", output;
  std::string backup_sync_period, validation_frequency;
  std::vector<std::string> config, labels, credential;
  bool is_default = false;
};

int location_create(const Common& c, const CreateFlags& f) {
  // velero's CreateOptions.Validate.
  if (f.provider.empty()) throw invalid_input("--provider is required");
  if (f.bucket.empty()) throw invalid_input("--bucket is required");
  if (f.access_mode != "ReadWrite" && f.access_mode != "ReadOnly") {
    throw invalid_input("--access-mode: invalid argument \"" + f.access_mode + "\": valid values are ReadWrite,ReadOnly");
  }
  auto credential = parse_map("--credential", f.credential);
  if (credential.size() > 1) throw invalid_input("--credential can only contain 1 key/value pair");
  BackupStorageLocation bsl;
  bsl.metadata.name = f.name;
  bsl.metadata.labels = parse_map("--labels", f.labels);
  bsl.spec.provider = f.provider;
  bsl.spec.config = parse_map("--config", f.config);
  bsl.spec.default_ = f.is_default;
  bsl.spec.access_mode = f.access_mode;
  velero::ObjectStorageLocation storage;
  // A folder is kept absolute: the file is read from wherever vbackup runs next.
  storage.bucket = f.provider == "file" ? std::filesystem::absolute(f.bucket).lexically_normal().string() : f.bucket;
  storage.prefix = f.prefix;
  if (!f.cacert.empty()) storage.ca_cert = read_flag_file("--cacert", f.cacert);
  bsl.spec.object_storage = storage;
  for (const auto& [secret, key] : credential) bsl.spec.credential = secret_key(secret, key);
  if (!f.backup_sync_period.empty()) bsl.spec.backup_sync_period = parse_duration_flag("--backup-sync-period", f.backup_sync_period);
  if (!f.validation_frequency.empty()) {
    bsl.spec.validation_frequency = parse_duration_flag("--validation-frequency", f.validation_frequency);
  }
  if (!f.output.empty()) {  // velero: display the object, create nothing
    check_output(f.output, false);
    print_object(std::cout, bsl.to_json(), f.output);
    return 0;
  }
  if (bsl.spec.credential && !bsl.spec.config.count("credentialsFile")) {
    std::cerr << "vbackup: --credential names a Secret in the cluster, which only a Velero server reads; vbackup "
                 "itself needs --config credentialsFile=FILE to use this location\n";
  } else {
    location_from_bsl(bsl);  // a location vbackup can open: provider, bucket, access mode
  }
  LocationsFile file = LocationsFile::load();
  file.add(bsl);  // the name is free and a default is the only one
  if (auto cluster = ClusterLocations::open(c)) {
    if (cluster->get(f.name)) {
      throw Error(ErrorCode::already_exists, "backuplocations.velero.io \"" + f.name + "\" already exists in namespace " +
                                                 cluster->ns + " of " + cluster->client->config().server);
    }
    if (f.is_default) {
      for (const auto& l : cluster->list()) {
        if (l.spec.default_) {
          throw invalid_input("there is already exist default backup storage location (\"" + l.metadata.name +
                              "\" in the cluster), please unset it first or do not set --default flag");
        }
      }
    }
    cluster->client->create(cluster->resource, cluster->cr(bsl), cluster->ns);
    std::cout << "BackupStorageLocation " << cluster->ns << "/" << f.name << " created in "
              << cluster->client->config().server << ".\n";
  }
  file.save();
  std::cout << "Backup storage location \"" << f.name << "\" configured successfully.\n";
  return 0;
}

struct GetFlags {
  std::vector<std::string> names;
  std::string output = "table", selector;
  bool only_default = false;
};

int location_get(const Common& c, const GetFlags& f) {
  check_output(f.output, true);
  LocationsFile file = LocationsFile::load();
  std::vector<std::pair<BackupStorageLocation, std::string>> all;  // with where each lives
  for (const auto& l : file.locations()) all.emplace_back(l, "file");
  try {
    for (auto& l : cluster_locations(c)) {
      if (!file.find(l.metadata.name)) all.emplace_back(std::move(l), "cluster");  // the file's wins, as in lookups
    }
  } catch (const Error& e) {
    std::cerr << "vbackup: the cluster's BackupStorageLocations are left out: " << e.what() << "\n";
  }
  std::optional<labels::Selector> sel;
  if (!f.selector.empty()) sel = labels::Selector::parse(f.selector);
  for (const auto& n : f.names) {
    bool found = std::any_of(all.begin(), all.end(), [&](const auto& p) { return p.first.metadata.name == n; });
    if (!found) throw not_found("backupstoragelocations.velero.io \"" + n + "\" not found (in " + file.path().string() + ")");
  }
  std::vector<std::pair<BackupStorageLocation, std::string>> shown;
  for (auto& [l, source] : all) {
    if (!f.names.empty() && std::find(f.names.begin(), f.names.end(), l.metadata.name) == f.names.end()) continue;
    if (f.only_default && !l.spec.default_) continue;
    if (sel && !sel->matches(labels::LabelMap(l.metadata.labels.begin(), l.metadata.labels.end()))) continue;
    shown.emplace_back(std::move(l), source);
  }
  if (f.output != "table") {
    json::array items;
    for (const auto& [l, source] : shown) items.push_back(l.to_json());
    print_list(std::cout, std::move(items), "BackupStorageLocationList", f.names.size() == 1, f.output);
    return 0;
  }
  // velero's printer (backup_storage_location_printer.go), and where each location lives.
  std::vector<std::vector<std::string>> rows{
      {"NAME", "PROVIDER", "BUCKET/PREFIX", "PHASE", "LAST VALIDATED", "ACCESS MODE", "DEFAULT", "SOURCE"}};
  for (const auto& [l, source] : shown) {
    std::string bucket = l.spec.object_storage ? l.spec.object_storage->bucket : "";
    if (l.spec.object_storage && !l.spec.object_storage->prefix.empty()) bucket += "/" + l.spec.object_storage->prefix;
    rows.push_back({l.metadata.name, l.spec.provider, bucket, l.status.phase.empty() ? "Unknown" : l.status.phase,
                    l.status.last_validation_time ? format_time(*l.status.last_validation_time) : "Unknown",
                    l.spec.access_mode.empty() ? "ReadWrite" : l.spec.access_mode, l.spec.default_ ? "true" : "",
                    source == "file" ? file.path().string() : source});
  }
  print_table(std::cout, rows);
  return 0;
}

struct SetFlags {
  std::string name, is_default, cacert;
  std::vector<std::string> credential;
};

int location_set(const Common& c, const SetFlags& f) {
  auto credential = parse_map("--credential", f.credential);
  if (credential.size() > 1) throw invalid_input("--credential can only contain 1 key/value pair");
  std::optional<bool> make_default = parse_optional_bool("--default", f.is_default);
  std::string ca = f.cacert.empty() ? std::string() : read_flag_file("--cacert", f.cacert);
  // velero's SetOptions.Run on one location, wherever it lives.
  auto apply = [&](BackupStorageLocation& l, const std::function<std::string()>& current_default) -> bool {
    if (make_default && *make_default && !l.spec.default_) {
      if (std::string other = current_default(); !other.empty()) {
        throw invalid_input("there are already exist default backup storage locations (\"" + other +
                            "\"), please unset them first");
      }
    }
    if (make_default) l.spec.default_ = *make_default;
    if (!f.cacert.empty() && l.spec.object_storage) l.spec.object_storage->ca_cert = ca;
    for (const auto& [secret, key] : credential) l.spec.credential = secret_key(secret, key);
    return true;
  };
  bool found = false, already = false;
  LocationsFile file = LocationsFile::load();
  if (file.find(f.name)) {
    found = true;
    BackupStorageLocation l = *file.find(f.name);
    already = make_default && *make_default && l.spec.default_;
    apply(l, [&] { return file.default_location() ? file.default_location()->metadata.name : std::string(); });
    file.update(l);
  }
  if (auto cluster = ClusterLocations::open(c)) {
    if (auto l = cluster->get(f.name)) {
      found = true;
      already = already || (make_default && *make_default && l->spec.default_);
      apply(*l, [&] {
        for (const auto& x : cluster->list()) {
          if (x.spec.default_) return x.metadata.name + " in the cluster";
        }
        return std::string();
      });
      json::object cr = cluster->cr(*l);
      cluster->client->update(cluster->resource, cr, cluster->ns);
    }
  }
  if (!found) throw not_found("backupstoragelocations.velero.io \"" + f.name + "\" not found (in " + file.path().string() + ")");
  if (file.find(f.name)) file.save();
  if (already && f.cacert.empty() && credential.empty()) {
    std::cout << "Backup storage location \"" << f.name << "\" is already the default backup storage location.\n";
  } else {
    std::cout << "Backup storage location \"" << f.name << "\" configured successfully.\n";
  }
  return 0;
}

struct DeleteFlags {
  std::vector<std::string> names;
  std::string selector;
  bool all = false, confirm = false;
};

int location_delete(const Common& c, const DeleteFlags& f) {
  check_selection("backup-location", f.names, f.all, f.selector);  // velero's SelectOptions
  LocationsFile file = LocationsFile::load();
  auto cluster = ClusterLocations::open(c);
  std::optional<labels::Selector> sel;
  if (!f.selector.empty()) sel = labels::Selector::parse(f.selector);
  auto chosen = [&](const BackupStorageLocation& l) {
    if (!f.names.empty()) return std::find(f.names.begin(), f.names.end(), l.metadata.name) != f.names.end();
    return !sel || sel->matches(labels::LabelMap(l.metadata.labels.begin(), l.metadata.labels.end()));
  };
  std::vector<std::string> in_file, in_cluster;
  for (const auto& l : file.locations()) {
    if (chosen(l)) in_file.push_back(l.metadata.name);
  }
  if (cluster) {
    for (const auto& l : cluster->list()) {
      if (chosen(l)) in_cluster.push_back(l.metadata.name);
    }
  }
  for (const auto& n : f.names) {
    if (std::find(in_file.begin(), in_file.end(), n) == in_file.end() &&
        std::find(in_cluster.begin(), in_cluster.end(), n) == in_cluster.end()) {
      throw not_found("backupstoragelocations.velero.io \"" + n + "\" not found (in " + file.path().string() + ")");
    }
  }
  if (in_file.empty() && in_cluster.empty()) {
    std::cout << "No backup-locations found\n";
    return 0;
  }
  if (!confirmed("backup-location delete", f.confirm)) return 0;
  // Only the location goes: the backups stored in it stay where they are.
  for (const auto& n : in_cluster) {
    cluster->client->remove(cluster->resource, cluster->ns, n);
    std::cout << "BackupStorageLocation " << cluster->ns << "/" << n << " deleted from " << cluster->client->config().server
              << ".\n";
  }
  for (const auto& n : in_file) file.remove(n);
  if (!in_file.empty()) file.save();
  std::vector<std::string> done = in_file;
  for (const auto& n : in_cluster) {
    if (std::find(done.begin(), done.end(), n) == done.end()) done.push_back(n);
  }
  for (const auto& n : done) std::cout << "Backup storage location \"" << n << "\" deleted successfully.\n";
  return 0;
}

}  // namespace

void add_named_location_commands(CLI::App& bsl, const Common& common, int& rc) {
  auto cf = std::make_shared<CreateFlags>();
  auto* create = bsl.add_subcommand("create", "Create a backup storage location (in the locations file; also as a CR "
                                              "when --kubeconfig names a cluster with Velero's CRDs)");
  create->fallthrough();
  create->add_option("name", cf->name, "Location name")->required();
  create->add_option("--provider", cf->provider, "Name of the backup storage provider (aws, azure, or file: a folder)");
  create->add_option("--bucket", cf->bucket, "Name of the object storage bucket where backups should be stored (for file: the folder)");
  create->add_option("--prefix", cf->prefix, "Prefix under which all Velero data should be stored within the bucket. Optional.");
  create->add_option("--config", cf->config, "Configuration key-value pairs (key1=value1,key2=value2)")->delimiter(',');
  create->add_flag("--default", cf->is_default, "Sets this new location to be the new default backup storage location. Optional.");
  create->add_option("--access-mode", cf->access_mode, "Access mode for the backup storage location. Valid values are ReadWrite,ReadOnly")
      ->capture_default_str();
  create->add_option("--cacert", cf->cacert, "File containing a certificate bundle to use when verifying TLS connections to the object store. Optional.");
  create->add_option("--credential", cf->credential, "The credential to be used by this location as a key-value pair (Secret name=key; read by a Velero server only)")->delimiter(',');
  create->add_option("--labels", cf->labels, "Labels to apply to the backup storage location")->delimiter(',');
  create->add_option("--backup-sync-period", cf->backup_sync_period, "Recorded for a Velero server: how often it syncs backups");
  create->add_option("--validation-frequency", cf->validation_frequency, "Recorded for a Velero server: how often it validates the location");
  create->add_option("-o,--output", cf->output, "Print the BackupStorageLocation (json|yaml) instead of creating it");
  create->callback([&common, &rc, cf] { rc = location_create(common, *cf); });

  auto gf = std::make_shared<GetFlags>();
  auto* get = bsl.add_subcommand("get", "Get backup storage locations (the locations file's, and the cluster's CRs)");
  get->fallthrough();
  get->add_option("names", gf->names, "Location names (default: all)");
  get->add_flag("--default", gf->only_default, "Displays the current default backup storage location.");
  get->add_option("-l,--selector", gf->selector, "Only show items matching this label selector.");
  get->add_option("-o,--output", gf->output, "table, json or yaml")->capture_default_str();
  get->callback([&common, &rc, gf] { rc = location_get(common, *gf); });

  auto sf = std::make_shared<SetFlags>();
  auto* set = bsl.add_subcommand("set", "Set specific features for a backup storage location");
  set->fallthrough();
  set->add_option("name", sf->name, "Location name")->required();
  set->add_option("--default", sf->is_default, "Sets this location to be the new default backup storage location (--default=false unsets it)")
      ->expected(0, 1)->default_str("true");
  set->add_option("--cacert", sf->cacert, "File containing a certificate bundle to use when verifying TLS connections to the object store. Optional.");
  set->add_option("--credential", sf->credential, "The credential to be used by this location (Secret name=key; read by a Velero server only)")->delimiter(',');
  set->callback([&common, &rc, sf] { rc = location_set(common, *sf); });

  auto df = std::make_shared<DeleteFlags>();
  auto* del = bsl.add_subcommand("delete", "Delete backup storage locations (never the backups stored in them)");
  del->fallthrough();
  del->add_option("names", df->names, "Location names");
  del->add_flag("--all", df->all, "Delete all backup-locations");
  del->add_option("-l,--selector", df->selector, "Delete all backup-locations matching this label selector.");
  del->add_flag("--confirm", df->confirm, "Confirm deletion (without it, a terminal is asked; anything else refused)");
  del->callback([&common, &rc, df] { rc = location_delete(common, *df); });
}

}  // namespace vbackup::cli
