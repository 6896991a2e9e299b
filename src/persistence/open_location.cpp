#include "vbackup/location.hpp"

#include "storage/azure/azure.hpp"
#include "storage/s3/s3.hpp"

#include "vbackup/error.hpp"
#include "vbackup/layout.hpp"
#include "vbackup/manifests.hpp"

#include <algorithm>
#include <filesystem>

namespace vbackup {

storage::Location location_from_bsl(const velero::BackupStorageLocation& bsl) { return location_from_bsl(bsl, {}); }

storage::Location location_from_bsl(const velero::BackupStorageLocation& bsl, const LocationOptions& options) {
  std::string what = "BackupStorageLocation \"" + bsl.metadata.name + "\"";
  storage::Location loc;
  std::string provider = bsl.spec.provider;
  if (provider.starts_with("velero.io/")) provider = provider.substr(10);
  if (provider != "aws" && provider != "azure" && provider != "file") {
    throw Error(ErrorCode::unsupported, what + ": spec.provider \"" + bsl.spec.provider +
                                            "\" is not supported (aws, azure or file)");
  }
  if (!bsl.spec.object_storage) throw invalid_input(what + ": spec.objectStorage is required");
  loc.provider = provider;
  loc.bucket = provider == "file" ? bsl.spec.object_storage->bucket : storage::normalize_bucket(bsl.spec.object_storage->bucket);
  loc.prefix = storage::normalize_prefix(bsl.spec.object_storage->prefix);
  loc.config = bsl.spec.config;
  if (auto it = bsl.metadata.annotations.find("vbackup.io/encrypt-to"); it != bsl.metadata.annotations.end()) {
    loc.encrypt_to = it->second;  // sealing::encrypt_to_annotation; parsed by run_backup
  }
  if (!bsl.spec.object_storage->ca_cert.empty()) loc.config["caCert"] = bsl.spec.object_storage->ca_cert;  // PEM
  if (bsl.spec.object_storage->ca_cert_ref) {
    throw Error(ErrorCode::unsupported, what + ": spec.objectStorage.caCertRef refers to a Secret in the cluster; put "
                                               "the PEM in spec.objectStorage.caCert instead");
  }
  // Velero materialises spec.credential (a Secret key) into a file for the plugin and sets
  // credentialsFile to it (persistence/object_store.go); we keep the bytes in memory instead.
  // Outside a cluster the file must be named directly.
  if (bsl.spec.credential && options.secret_key) {
    if (bsl.spec.credential->name.empty() || bsl.spec.credential->key.empty()) {
      throw invalid_input(what + ": spec.credential needs both name and key");
    }
    loc.credentials = options.secret_key(*bsl.spec.credential);
    loc.credentials_source = "Secret \"" + bsl.spec.credential->name + "\" key \"" + bsl.spec.credential->key +
                             "\" (spec.credential of " + what + ")";
    loc.config.erase("credentialsFile");
  } else if (bsl.spec.credential && !loc.config.count("credentialsFile")) {
    throw Error(ErrorCode::unsupported, what + ": spec.credential refers to Secret \"" + bsl.spec.credential->name +
                                            "\" (key \"" + bsl.spec.credential->key +
                                            "\") in the cluster; name the credentials file in spec.config.credentialsFile");
  }
  if (!bsl.metadata.name.empty()) loc.name = bsl.metadata.name;
  if (!bsl.spec.access_mode.empty() && bsl.spec.access_mode != velero::access_mode::ReadOnly &&
      bsl.spec.access_mode != velero::access_mode::ReadWrite) {
    throw invalid_input(what + ": spec.accessMode must be ReadOnly or ReadWrite, not \"" + bsl.spec.access_mode + "\"");
  }
  loc.read_only = bsl.spec.access_mode == velero::access_mode::ReadOnly;
  return loc;
}

void check_writable(const velero::BackupStorageLocation& bsl, std::string_view operation) {
  if (bsl.spec.access_mode != velero::access_mode::ReadOnly) return;
  throw invalid_input("backup storage location \"" + bsl.metadata.name +
                      "\" is in read-only mode (spec.accessMode: ReadOnly): cannot " + std::string(operation));
}

void check_writable(const storage::Location& location, std::string_view operation) {
  if (!location.read_only) return;
  throw invalid_input("backup storage location \"" + location.name +
                      "\" is in read-only mode (spec.accessMode: ReadOnly): cannot " + std::string(operation));
}

namespace {

// Could `text` be a location's name (a Kubernetes object name) rather than a URL or a file?
bool looks_like_name(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(text.front()) || !alnum(text.back())) return false;
  return std::all_of(text.begin(), text.end(), [&](char c) { return alnum(c) || c == '-' || c == '.'; });
}

// A named location (`name` empty: the default one), from the locations file, then the cluster's
// BackupStorageLocation CRs, as velero looks up --storage-location (and its default).
storage::Location named_location(const std::string& name, const LocationOptions& options) {
  LocationsFile file = LocationsFile::load(options.locations_file.empty() ? default_locations_file()
                                                                           : options.locations_file);
  const velero::BackupStorageLocation* found = name.empty() ? file.default_location() : file.find(name);
  if (found) return location_from_bsl(*found, options);
  std::vector<velero::BackupStorageLocation> in_cluster;
  if (options.cluster_locations) in_cluster = options.cluster_locations();
  for (const auto& l : in_cluster) {
    if (name.empty() ? l.spec.default_ : l.metadata.name == name) return location_from_bsl(l, options);
  }
  std::string where = file.path().string() + (options.cluster_locations ? " nor among the cluster's BackupStorageLocations" : "");
  if (name.empty()) {
    throw invalid_input("no storage location: pass --storage-location (a name, file://DIR, s3://…, azure://…, or a "
                        "BackupStorageLocation file), set VBACKUP_STORAGE_LOCATION, or make a location the default "
                        "(vbackup backup-location create NAME … --default); no default location in " + where);
  }
  throw not_found("storage location \"" + name + "\": no location of that name in " + where +
                  " (vbackup backup-location get lists them; a URL needs its scheme, e.g. file://" + name + ")");
}

}  // namespace

storage::Location load_location(std::string_view location, const LocationOptions& options) {
  if (location.empty()) return named_location("", options);
  if (location.find("://") != std::string_view::npos && location.find('\n') == std::string_view::npos &&
      location.front() != '{') {
    return storage::parse_location_url(location);
  }
  // BSL text or a file of it: read through the manifest reader (YAML or JSON, one object).
  std::vector<manifests::ManifestObject> objects;
  auto collect = [&](manifests::ManifestObject&& m) { objects.push_back(std::move(m)); };
  auto ignore = [](const std::string&) {};
  std::error_code ec;
  bool is_file = location.size() < 4096 && std::filesystem::is_regular_file(std::filesystem::path(location), ec);
  if (is_file) {
    manifests::read_manifest_file(std::filesystem::path(location), collect, ignore);
  } else if (location.find('\n') != std::string_view::npos || location.front() == '{') {
    manifests::read_manifests(location, "storage location", collect, ignore);
  } else if (looks_like_name(location)) {
    return named_location(std::string(location), options);
  } else {
    return storage::parse_location_url(location);  // gives the URL error message
  }
  std::string what = is_file ? std::string(location) : "storage location";
  if (objects.size() != 1) {
    throw invalid_input(what + ": expected one BackupStorageLocation, found " + std::to_string(objects.size()) + " objects");
  }
  return location_from_bsl(velero::BackupStorageLocation::from_json(objects.front().object, what), options);
}

std::unique_ptr<storage::ObjectStore> open_location_store(const storage::Location& location,
                                                          const LocationOptions& options) {
  if (location.provider == "file") return storage::open_file_store(location.bucket);
  if (location.provider == "aws") {
    s3::Config config = s3::config_from_location(location);
    if (options.request_timeout) config.request_timeout = *options.request_timeout;
    config.notice = options.notice;
    return s3::open_s3_store(config);
  }
  if (location.provider == "azure") {
    storage::Location l = location;
    // The caller's timeout wins over the location's requestTimeout (a CLI flag over the config).
    if (options.request_timeout) l.config["requestTimeout"] = std::to_string(options.request_timeout->count()) + "ms";
    storage::AzureStoreOptions azure;
    azure.notice = options.notice;
    return storage::open_azure_store(l, azure);
  }
  throw Error(ErrorCode::unsupported, "storage location: provider \"" + location.provider +
                                          "\" is not supported (file, aws or azure)");
}

OpenedLocation open_location(std::string_view text, const LocationOptions& options) {
  OpenedLocation o;
  o.location = load_location(text, options);
  o.objects = open_location_store(o.location, options);
  o.backups = std::make_unique<storage::BackupStore>(o.objects, o.location.prefix);
  return o;
}

velero::BackupStorageLocationStatus check_location(storage::BackupStore& store, Timestamp now) {
  velero::BackupStorageLocationStatus status;
  status.last_validation_time = now;
  try {
    std::string problem = store.validation_error();
    status.phase = problem.empty() ? velero::location_phase::Available : velero::location_phase::Unavailable;
    status.message = problem;
  } catch (const Error& e) {
    status.phase = velero::location_phase::Unavailable;
    status.message = e.what();
  }
  return status;
}

}  // namespace vbackup
