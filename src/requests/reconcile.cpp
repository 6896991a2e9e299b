// The request controllers against a cluster: the CR lookups and one reconcile (GET, process, then
// a status patch or a DELETE, as Velero's controllers write through controller-runtime).
#include "vbackup/operation.hpp"
#include "vbackup/requests.hpp"

#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"

namespace vbackup::requests {

namespace {

const ApiResource* velero_resource(kube::KubeClient& client, std::string_view plural) {
  return client.discovery().find("velero.io", plural);
}

template <class T>
std::optional<T> get_cr(kube::KubeClient& client, std::string_view plural, const std::string& ns, const std::string& name) {
  if (name.empty()) return std::nullopt;  // a backup without spec.storageLocation names no BSL
  const ApiResource* r = velero_resource(client, plural);
  if (!r) return std::nullopt;  // no such CRD: nothing of that name
  std::optional<json::object> o = client.try_get(*r, ns, name);
  if (!o) return std::nullopt;
  return T::from_json(*o, std::string(plural) + " " + ns + "/" + name);
}

bool has_status_subresource(kube::KubeClient& client, const ApiResource& r) {
  for (const auto& sub : client.discovery().resources(r.group_version())) {
    if (sub.name == r.name + "/status") return true;
  }
  return false;
}

// What controller-runtime's Patch(MergeFrom(original)) sends for a changed status: the status
// as a whole (a merge patch replaces what it names; an emptied field is null).
void write_status(kube::KubeClient& client, const ApiResource& r, const std::string& ns, const std::string& name,
                  json::object status, const json::object& before) {
  for (const auto& kv : before) {
    if (!status.contains(kv.key())) status[kv.key()] = nullptr;
  }
  std::string body = json::marshal(json::object{{"status", std::move(status)}});
  if (has_status_subresource(client, r)) {
    client.request("PATCH", kube::KubeClient::path(r, ns, name) + "/status", body, kube::content_type(kube::PatchType::merge));
  } else {
    client.patch(r, ns, name, kube::PatchType::merge, body);
  }
}

void remove_request(kube::KubeClient& client, const ApiResource& r, const std::string& ns, const std::string& name) {
  try {
    client.remove(r, ns, name);
  } catch (const kube::KubeError& e) {
    if (e.reason() != kube::Reason::not_found) throw;  // already gone: what was asked
  }
}

const ApiResource& require_resource(kube::KubeClient& client, std::string_view plural, std::string_view kind) {
  return vbackup::velero_resource(client, plural, kind);
}

json::object status_of(const json::object& o) {
  const json::object* s = json::find_object(o, "status");
  return s ? *s : json::object{};
}

}  // namespace

DownloadRequestLookups cluster_lookups(kube::KubeClient& client, LocationOptions options) {
  DownloadRequestLookups l;
  l.restore = [&client](const std::string& ns, const std::string& name) {
    return get_cr<velero::Restore>(client, "restores", ns, name);
  };
  l.backup = [&client](const std::string& ns, const std::string& name) {
    return get_cr<velero::Backup>(client, "backups", ns, name);
  };
  l.location = [&client](const std::string& ns, const std::string& name) {
    return get_cr<velero::BackupStorageLocation>(client, "backupstoragelocations", ns, name);
  };
  l.open_store = [options = std::move(options)](const velero::BackupStorageLocation& bsl) {
    storage::Location location = location_from_bsl(bsl);
    std::shared_ptr<storage::ObjectStore> objects = open_location_store(location, options);
    return std::make_shared<storage::BackupStore>(std::move(objects), location.prefix);
  };
  return l;
}

DownloadRequestOutcome reconcile_download_request(kube::KubeClient& client, const std::string& ns,
                                                  const std::string& name, Timestamp now, const LocationOptions& options) {
  const ApiResource& r = require_resource(client, "downloadrequests", "DownloadRequest");
  std::optional<json::object> o = client.try_get(r, ns, name);
  if (!o) return {};
  auto request = velero::DownloadRequest::from_json(*o, "downloadrequest " + ns + "/" + name);
  if (request.metadata.namespace_.empty()) request.metadata.namespace_ = ns;
  DownloadRequestOutcome out = process_download_request(request, cluster_lookups(client, options), now);
  if (out.action == RequestAction::update_status) {
    write_status(client, r, ns, name, out.status.to_json(), status_of(*o));
  } else if (out.action == RequestAction::remove) {
    remove_request(client, r, ns, name);
  }
  return out;
}

ServerStatusRequestOutcome reconcile_server_status_request(kube::KubeClient& client, const std::string& ns,
                                                           const std::string& name, Timestamp now) {
  const ApiResource& r = require_resource(client, "serverstatusrequests", "ServerStatusRequest");
  std::optional<json::object> o = client.try_get(r, ns, name);
  if (!o) return {};
  auto request = velero::ServerStatusRequest::from_json(*o, "serverstatusrequest " + ns + "/" + name);
  ServerStatusRequestOutcome out = process_server_status_request(request, now);
  if (out.action == RequestAction::update_status) {
    write_status(client, r, ns, name, out.status.to_json(), status_of(*o));
  } else if (out.action == RequestAction::remove) {
    remove_request(client, r, ns, name);
  }
  return out;
}

}  // namespace vbackup::requests
