#include "vbackup/location.hpp"

#include "storage/azure/azure.hpp"
#include "storage/s3/s3.hpp"

#include "vbackup/error.hpp"
#include "vbackup/layout.hpp"
#include "vbackup/manifests.hpp"

#include <filesystem>

namespace vbackup {

storage::Location location_from_bsl(const velero::BackupStorageLocation& bsl) {
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
  if (!bsl.spec.object_storage->ca_cert.empty()) loc.config["caCert"] = bsl.spec.object_storage->ca_cert;  // PEM
  if (bsl.spec.object_storage->ca_cert_ref) {
    throw Error(ErrorCode::unsupported, what + ": spec.objectStorage.caCertRef refers to a Secret in the cluster; put "
                                               "the PEM in spec.objectStorage.caCert instead");
  }
  // Velero materialises spec.credential (a Secret key) into a file for the plugin; outside a
  // cluster the file must be named directly.
  if (bsl.spec.credential && !loc.config.count("credentialsFile")) {
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

storage::Location load_location(std::string_view location) {
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
  } else {
    return storage::parse_location_url(location);  // gives the URL error message
  }
  std::string what = is_file ? std::string(location) : "storage location";
  if (objects.size() != 1) {
    throw invalid_input(what + ": expected one BackupStorageLocation, found " + std::to_string(objects.size()) + " objects");
  }
  return location_from_bsl(velero::BackupStorageLocation::from_json(objects.front().object, what));
}

std::unique_ptr<storage::ObjectStore> open_location_store(const storage::Location& location) {
  if (location.provider == "file") return storage::open_file_store(location.bucket);
  if (location.provider == "aws") return s3::open_s3_store(location);
  if (location.provider == "azure") return storage::open_azure_store(location);
  throw Error(ErrorCode::unsupported, "storage location: provider \"" + location.provider +
                                          "\" is not supported (file, aws or azure)");
}

OpenedLocation open_location(std::string_view text) {
  OpenedLocation o;
  o.location = load_location(text);
  o.objects = open_location_store(o.location);
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
