// Submitting a Backup or Restore to a running server, as the velero CLI does (pkg/cmd/cli/backup/
// create.go: the CR is created, and --wait watches its phase).
#include "server/internal.hpp"
#include "vbackup/server.hpp"

namespace vbackup::server {

namespace {

const ApiResource& crd(kube::KubeClient& client, const std::string& plural) {
  const ApiResource* r = client.discovery().find("velero.io", plural);
  if (!r) throw Error(ErrorCode::unsupported, "the cluster " + client.config().server + " has no velero.io/v1 " + plural +
                                                  ": Velero's CRDs are not installed (vbackup install), no server to submit to");
  return *r;
}

}  // namespace

json::object submit(kube::KubeClient& client, const std::string& ns, const std::string& plural, json::object cr) {
  const ApiResource& r = crd(client, plural);
  cr.erase("status");  // a request: the server takes a CR without a phase as New
  if (auto* md = cr.if_contains("metadata") ? cr["metadata"].if_object() : nullptr) (*md)["namespace"] = ns;
  try {
    return client.create(r, cr, ns);
  } catch (const kube::KubeError& e) {
    if (e.reason() == kube::Reason::already_exists)
      throw Error(ErrorCode::already_exists, r.kind + " \"" + std::string(json::metadata_string(cr, "name")) +
                                                 "\" already exists in namespace \"" + ns + "\"");
    throw;
  }
}

json::object wait_for_completion(kube::KubeClient& client, const std::string& ns, const std::string& plural,
                                 const std::string& name, std::stop_token stop, std::chrono::milliseconds poll) {
  const ApiResource& r = crd(client, plural);
  while (true) {
    auto o = client.try_get(r, ns, name);
    if (!o) throw not_found(r.kind + " " + ns + "/" + name + " was deleted while waiting for it");
    const json::object* st = json::find_object(*o, "status");
    std::string_view phase = st ? json::get_string(*st, "phase") : std::string_view();
    if (phase == "Completed" || phase == "PartiallyFailed" || phase == "Failed" || phase == "FailedValidation") return *o;
    if (!interruptible_sleep(stop, poll)) throw Error(ErrorCode::cancelled, "stopped waiting for " + r.kind + " " + name);
  }
}

std::vector<json::object> list_crs(kube::KubeClient& client, const std::string& ns, const std::string& plural,
                                   const std::vector<std::string>& names, const std::string& selector) {
  const ApiResource& r = crd(client, plural);
  std::vector<json::object> out;
  if (!names.empty()) {
    for (const auto& n : names) {
      auto o = client.try_get(r, ns, n);
      if (!o) throw not_found(r.group_resource() + " \"" + n + "\" not found in namespace \"" + ns + "\"");
      out.push_back(std::move(*o));
    }
    return out;
  }
  ListOptions lo;
  lo.namespace_ = ns;
  lo.label_selector = selector;
  client.list(r, lo, [&](json::object&& o) { out.push_back(std::move(o)); });
  return out;
}

}  // namespace vbackup::server
