// BackupStorageLocations in a cluster (sync.hpp): listing them, the credentials their Secrets hold,
// validation on validationFrequency (Velero's backup_storage_location_controller.go and
// internal/storage/storagelocation.go) and the single default location.
#include "core/encoding.hpp"
#include "vbackup/operation.hpp"
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/manifests.hpp"
#include "vbackup/sync.hpp"

#include "sync/sync_internal.hpp"

#include <algorithm>
#include <filesystem>

namespace vbackup {

namespace sync_detail {


bool has_status_subresource(kube::KubeClient& client, const ApiResource& r) {
  for (const auto& sub : client.discovery().resources(r.group_version())) {
    if (sub.name == r.name + "/status") return true;
  }
  return false;
}

}  // namespace sync_detail


std::vector<velero::BackupStorageLocation> list_locations(kube::KubeClient& client, const std::string& ns) {
  const ApiResource& r = velero_resource(client, "backupstoragelocations", "BackupStorageLocation");
  std::vector<velero::BackupStorageLocation> out;
  ListOptions list;
  list.namespace_ = ns;
  client.list(r, list, [&](json::object&& o) {
    out.push_back(velero::BackupStorageLocation::from_json(o, "BackupStorageLocation in " + client.config().server));
  });
  return out;
}

std::optional<velero::BackupStorageLocation> get_location(kube::KubeClient& client, const std::string& ns,
                                                          const std::string& name) {
  const ApiResource& r = velero_resource(client, "backupstoragelocations", "BackupStorageLocation");
  auto o = client.try_get(r, ns, name);
  if (!o) return std::nullopt;
  return velero::BackupStorageLocation::from_json(*o, "BackupStorageLocation " + ns + "/" + name);
}

std::function<std::string(const velero::SecretKeySelector&)> secret_key_reader(kube::KubeClient& client, std::string ns) {
  return [&client, ns](const velero::SecretKeySelector& selector) -> std::string {
    const ApiResource* secrets = client.discovery().find("", "secrets");
    if (!secrets) throw Error(ErrorCode::kube, "the cluster " + client.config().server + " serves no Secrets");
    auto secret = client.try_get(*secrets, ns, selector.name);
    // util/kube GetSecretKey's errors, with the namespace said.
    if (!secret) {
      throw not_found("unable to get key for secret: secret \"" + selector.name + "\" not found in namespace " + ns);
    }
    const json::object* data = json::find_object(*secret, "data");
    const json::value* v = data ? data->if_contains(selector.key) : nullptr;
    if (!v || !v->is_string()) {
      throw not_found("unable to get key for secret: \"" + selector.name + "\" secret is missing data for key \"" +
                      selector.key + "\" (namespace " + ns + ")");
    }
    auto bytes = base64_decode(std::string_view(v->get_string()));
    if (!bytes) throw Error(ErrorCode::kube, "secret \"" + selector.name + "\" data." + selector.key + ": invalid base64");
    return std::move(*bytes);
  };
}

namespace {

// A BSL standing for a location given as a URL (no CR behind it).
velero::BackupStorageLocation bsl_from_location(const storage::Location& l) {
  velero::BackupStorageLocation b;
  b.metadata.name = l.name;
  b.spec.provider = l.provider;
  b.spec.config = velero::StringMap(l.config.begin(), l.config.end());
  velero::ObjectStorageLocation os;
  os.bucket = l.bucket;
  os.prefix = l.prefix;
  b.spec.object_storage = os;
  if (l.read_only) b.spec.access_mode = std::string(velero::access_mode::ReadOnly);
  return b;
}

}  // namespace

velero::BackupStorageLocation resolve_location(kube::KubeClient& client, std::string_view location,
                                               const std::string& ns, const LocationOptions& options) {
  const std::string text(location);
  LocationOptions no_secrets = options;  // location_from_bsl's checks only: the Secret is read on open
  no_secrets.secret_key = nullptr;
  no_secrets.cluster_locations = nullptr;
  const bool inline_bsl = !text.empty() && (text.find('\n') != std::string::npos || text.front() == '{');
  const bool url = !inline_bsl && text.find("://") != std::string::npos;
  std::error_code ec;
  const bool file = !inline_bsl && !url && !text.empty() && text.size() < 4096 &&
                    std::filesystem::is_regular_file(std::filesystem::path(text), ec);
  if (inline_bsl || file) {
    // BSL text, or a file of it: the BSL itself (its name, accessMode, credential) is kept.
    std::vector<velero::BackupStorageLocation> found;
    const std::string what = file ? text : "storage location";
    auto collect = [&](manifests::ManifestObject&& m) {
      found.push_back(velero::BackupStorageLocation::from_json(m.object, what));
    };
    auto ignore = [](const std::string&) {};
    if (file) manifests::read_manifest_file(std::filesystem::path(text), collect, ignore);
    else manifests::read_manifests(text, what, collect, ignore);
    if (found.size() != 1) {
      throw invalid_input(what + ": expected one BackupStorageLocation, found " + std::to_string(found.size()) + " objects");
    }
    (void)location_from_bsl(found.front(), no_secrets);  // the same errors as everywhere
    return found.front();
  }
  if (!url) {
    // A name, or "" for the default: the cluster's BSLs first (where Velero's server looks), then
    // the locations file.
    if (client.discovery().find("velero.io", "backupstoragelocations")) {
      for (auto& l : list_locations(client, ns)) {
        if (text.empty() ? l.spec.default_ : l.metadata.name == text) return l;
      }
    }
    LocationsFile f = LocationsFile::load(options.locations_file.empty() ? default_locations_file() : options.locations_file);
    if (const auto* l = text.empty() ? f.default_location() : f.find(text)) return *l;
  }
  return bsl_from_location(load_location(text, no_secrets));  // a URL, or load_location's error for the name
}

OpenedLocation open_bsl(kube::KubeClient& client, const velero::BackupStorageLocation& bsl, const std::string& ns,
                        LocationOptions options) {
  options.secret_key = secret_key_reader(client, ns);
  OpenedLocation o;
  o.location = location_from_bsl(bsl, options);
  o.objects = open_location_store(o.location, options);
  o.backups = std::make_unique<storage::BackupStore>(o.objects, o.location.prefix);
  return o;
}

bool validation_due(const velero::BackupStorageLocation& bsl, Timestamp now, std::chrono::nanoseconds server_frequency) {
  auto frequency = bsl.spec.validation_frequency.value_or(server_frequency);
  if (frequency.count() < 0) frequency = server_frequency;
  if (!bsl.status.last_validation_time) return true;  // never validated: always, even with 0
  if (frequency.count() == 0) return false;
  return now >= *bsl.status.last_validation_time + std::chrono::duration_cast<std::chrono::seconds>(frequency);
}

velero::BackupStorageLocationStatus validate_location(const velero::BackupStorageLocation& bsl, kube::KubeClient* client,
                                                      const std::string& ns, Timestamp now,
                                                      const LocationOptions& options) {
  velero::BackupStorageLocationStatus status;
  status.last_validation_time = now;
  std::string problem;
  try {
    // BackupStorageLocation.Validate()
    if (bsl.spec.object_storage && !bsl.spec.object_storage->ca_cert.empty() && bsl.spec.object_storage->ca_cert_ref) {
      throw invalid_input("cannot specify both caCert and caCertRef in objectStorage");
    }
    OpenedLocation opened;
    if (client) {
      opened = open_bsl(*client, bsl, ns, options);
    } else {
      opened.location = location_from_bsl(bsl, options);
      opened.objects = open_location_store(opened.location, options);
      opened.backups = std::make_unique<storage::BackupStore>(opened.objects, opened.location.prefix);
    }
    // backupStore.IsValid(): the top-level directories (listing them reaches the bucket).
    problem = opened.backups->validation_error();
  } catch (const Error& e) {
    problem = e.what();
  }
  if (problem.empty()) {
    status.phase = velero::location_phase::Available;
  } else {
    status.phase = velero::location_phase::Unavailable;
    status.message = "BackupStorageLocation \"" + bsl.metadata.name + "\" is unavailable: " + problem;
  }
  return status;
}

json::object location_status_patch(const velero::BackupStorageLocationStatus& status) {
  json::object st;
  if (!status.phase.empty()) st["phase"] = status.phase;
  if (status.message.empty()) st["message"] = nullptr;  // omitempty: a merge patch removes it
  else st["message"] = status.message;
  if (status.last_validation_time) st["lastValidationTime"] = format_rfc3339(*status.last_validation_time);
  if (status.last_synced_time) st["lastSyncedTime"] = format_rfc3339(*status.last_synced_time);
  return json::object{{"status", std::move(st)}};
}

void patch_location_status(kube::KubeClient& client, const std::string& ns, const std::string& name,
                           const json::object& status_fields) {
  const ApiResource& r = velero_resource(client, "backupstoragelocations", "BackupStorageLocation");
  const std::string body = json::marshal(status_fields);
  if (sync_detail::has_status_subresource(client, r)) {
    client.request("PATCH", kube::KubeClient::path(r, ns, name) + "/status", body, kube::content_type(kube::PatchType::merge));
  } else {
    client.patch(r, ns, name, kube::PatchType::merge, body);
  }
}

std::vector<std::string> ensure_single_default(kube::KubeClient& client, const std::string& ns) {
  std::vector<velero::BackupStorageLocation> defaults;
  for (auto& l : list_locations(client, ns)) {
    if (l.spec.default_) defaults.push_back(std::move(l));
  }
  std::vector<std::string> unset;
  if (defaults.size() < 2) return unset;
  // The most recently created one stays (Velero: "good enough" for the most recently updated).
  auto keep = defaults.begin();
  for (auto it = defaults.begin() + 1; it != defaults.end(); ++it) {
    if (keep->metadata.creation_timestamp < it->metadata.creation_timestamp) keep = it;
  }
  const ApiResource& r = velero_resource(client, "backupstoragelocations", "BackupStorageLocation");
  for (const auto& l : defaults) {
    if (l.metadata.name == keep->metadata.name) continue;
    client.patch(r, ns, l.metadata.name, kube::PatchType::merge, R"({"spec":{"default":false}})");
    unset.push_back(l.metadata.name);
  }
  return unset;
}

bool set_default_location(kube::KubeClient& client, const std::string& ns, const std::string& name) {
  auto l = get_location(client, ns, name);
  if (!l) throw not_found("backup storage location \"" + name + "\" not found in namespace " + ns);
  if (l->spec.default_) return false;
  const ApiResource& r = velero_resource(client, "backupstoragelocations", "BackupStorageLocation");
  client.patch(r, ns, name, kube::PatchType::merge, R"({"spec":{"default":true}})");
  return true;
}

}  // namespace vbackup
