// Applying the install resources as Velero's pkg/install/install.go Install does: CRDs first, a
// wait until they are Established, then the rest in order; an object that exists is left alone
// ("already exists, proceeding"). And install.DeploymentIsReady for --wait.
#include "vbackup/error.hpp"
#include "vbackup/install.hpp"
#include "vbackup/time.hpp"

#include <thread>

namespace vbackup {
namespace {

using steady = std::chrono::steady_clock;

std::string id(const json::object& r) {
  const json::object* meta = json::find_object(r, "metadata");
  return std::string(json::get_string(r, "kind")) + "/" + std::string(meta ? json::get_string(*meta, "name") : "");
}

// The API resource serving the object's kind (discovery refreshed once when the kind is unknown, as
// a freshly Established CRD may not be listed yet).
ApiResource resource_of(kube::KubeClient& client, const json::object& r) {
  std::string api_version(json::get_string(r, "apiVersion")), kind(json::get_string(r, "kind"));
  if (const ApiResource* a = client.discovery().find_kind(api_version, kind)) return *a;
  if (const ApiResource* a = client.refresh_discovery().find_kind(api_version, kind)) return *a;
  throw Error(ErrorCode::kube, "Error creating resource " + id(r) + ": the server " + client.config().server +
                                   " serves no " + kind + " in " + api_version);
}

// createOrApplyResource.
InstalledObject create(kube::KubeClient& client, const json::object& r, const InstallApplyOptions& options) {
  const std::string what = id(r);
  auto log = [&](std::string_view line) {
    if (options.log) options.log(what + ": " + std::string(line));
  };
  InstalledObject out;
  out.kind = std::string(json::get_string(r, "kind"));
  out.name = std::string(json::metadata_string(r, "name"));
  out.namespace_ = std::string(json::metadata_string(r, "namespace"));
  ApiResource resource = resource_of(client, r);
  if (options.apply) {
    // velero: c.Apply(name, r, ApplyOptions{FieldManager: "velero-cli", Force: true}).
    log("attempting to apply resource");
    try {
      client.request("PATCH", kube::KubeClient::path(resource, out.namespace_, out.name) + "?fieldManager=velero-cli&force=true",
                     json::marshal(r), "application/apply-patch+yaml");  // JSON is YAML
    } catch (const Error& e) {
      throw Error(e.code(), "Error applying resource " + what + ": " + e.what()).with_http(e.http_status(), e.http_reason());
    }
    out.action = InstalledObject::Action::applied;
    log("applied");
    return out;
  }
  log("attempting to create resource");
  try {
    client.create(resource, r, out.namespace_);
    log("created");
  } catch (const kube::KubeError& e) {
    if (e.reason() != kube::Reason::already_exists) {
      throw Error(e.code(), "Error creating resource " + what + ": " + e.what()).with_http(e.http_status(), e.http_reason());
    }
    out.action = InstalledObject::Action::already_exists;
    log("already exists, proceeding");
  }
  return out;
}

bool condition_available(const json::value& c, Timestamp now) {
  if (!c.is_object()) return false;
  const auto& o = c.get_object();
  if (json::get_string(o, "type") != "Available" || json::get_string(o, "status") != "True") return false;
  // isAvailable: Available for at least 10 seconds (a pod may show Ready just before crash-looping).
  auto since = json::get_string(o, "lastTransitionTime");
  if (since.empty()) return false;
  try {
    return parse_rfc3339(since) + std::chrono::seconds(10) < now;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

InstallResult install(kube::KubeClient& client, const std::vector<json::object>& resources,
                      const InstallApplyOptions& options) {
  InstallResult result;
  std::vector<const json::object*> crds, others;
  for (const auto& r : resources) {
    (json::get_string(r, "kind") == "CustomResourceDefinition" ? crds : others).push_back(&r);
  }
  for (const auto* r : crds) result.objects.push_back(create(client, *r, options));
  if (options.log) options.log("Waiting for resources to be ready in cluster...");
  const auto deadline = steady::now() + options.crd_timeout;
  for (const auto* r : crds) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    try {
      kube::wait_for_crd_established(client, json::metadata_string(*r, "name"), std::max(left, std::chrono::milliseconds(0)));
    } catch (const Error& e) {
      throw Error(ErrorCode::kube, std::string("timeout reached, CRDs not ready: ") + e.what());
    }
  }
  for (const auto* r : others) result.objects.push_back(create(client, *r, options));

  if (options.wait_for_deployment) {
    std::string ns;
    for (const auto* r : others) {
      if (json::get_string(*r, "kind") == "Deployment") ns = std::string(json::metadata_string(*r, "namespace"));
    }
    if (!ns.empty()) {
      if (options.log) options.log("Waiting for Velero deployment to be ready.");
      result.deployment_ready = wait_for_deployment(client, ns, options.deployment_timeout);
    }
  }
  return result;
}

bool wait_for_deployment(kube::KubeClient& client, std::string_view ns, std::chrono::milliseconds timeout) {
  const ApiResource* deployments = client.discovery().find("apps", "deployments");
  if (!deployments) throw Error(ErrorCode::kube, "the server " + client.config().server + " serves no apps/v1 Deployment");
  const auto deadline = steady::now() + timeout;
  int observations = 0;
  std::string state = "not found";
  // DeploymentIsReady: poll every second; ready after more than 4 observations of Available.
  while (true) {
    if (auto d = client.try_get(*deployments, ns, "velero")) {
      state = "not Available for 10s";
      auto now = now_timestamp();
      if (const json::object* status = json::find_object(*d, "status")) {
        if (const json::array* conds = json::find_array(*status, "conditions")) {
          for (const auto& c : *conds) {
            if (condition_available(c, now)) ++observations;
          }
        }
      }
      if (observations > 4) return true;
    }
    if (steady::now() >= deadline) {
      throw Error(ErrorCode::kube, "Deployment " + std::string(ns) + "/velero is not ready after " +
                                       format_duration(timeout) + " (" + state + "): use `kubectl logs deploy/velero -n " +
                                       std::string(ns) + "` to check the deploy logs");
    }
    std::this_thread::sleep_for(std::min<steady::duration>(std::chrono::seconds(1), deadline - steady::now()));
  }
}

json::object InstalledObject::to_json() const {
  json::object o{{"kind", kind}};
  if (!namespace_.empty()) o["namespace"] = namespace_;
  o["name"] = name;
  o["action"] = action == Action::created ? "created" : action == Action::applied ? "applied" : "already exists";
  return o;
}

json::object InstallResult::to_json() const {
  json::array a;
  for (const auto& o : objects) a.push_back(o.to_json());
  return json::object{{"objects", std::move(a)}, {"deploymentReady", deployment_ready}};
}

}  // namespace vbackup
