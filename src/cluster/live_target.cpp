// A live cluster as the write port (cluster.hpp): every call is one request of the Kubernetes
// client, whose errors (kube::KubeError) carry the API server's reason and causes.
#include "vbackup/cluster.hpp"
#include "vbackup/error.hpp"

namespace vbackup {
namespace {

class LiveTarget final : public ClusterTarget {
 public:
  explicit LiveTarget(kube::KubeClient& client) : client_(client) {}

  std::string describe() const override { return client_.config().server; }
  const Discovery& discovery() override { return client_.discovery(); }
  const Discovery& refresh_discovery() override { return client_.refresh_discovery(); }
  std::optional<ServerVersion> server_version() override { return client_.version(); }
  std::optional<json::object> get(const ApiResource& r, const std::string& ns, const std::string& name) override {
    return client_.try_get(r, ns, name);
  }
  void list(const ApiResource& r, const ListOptions& options, const std::function<void(json::object&&)>& on_item) override {
    client_.list(r, options, on_item);
  }
  json::object create(const ApiResource& r, const json::object& object) override { return client_.create(r, object); }
  std::string create_returning_name(const ApiResource& r, const json::object& object) override {
    std::string name(json::metadata_string(object, "name"));
    if (name.empty()) return ClusterTarget::create_returning_name(r, object);  // generateName: the server names it
    // As KubeClient::create, without parsing the answer: the whole object, sent back for every
    // restored item, parsed and dropped (issue 17).
    client_.request("POST", kube::KubeClient::path(r, json::metadata_string(object, "namespace")), json::marshal(object),
                    "application/json");
    return name;
  }
  json::object patch(const ApiResource& r, const std::string& ns, const std::string& name, kube::PatchType type,
                     std::string_view patch) override {
    return client_.patch(r, ns, name, type, patch);
  }
  void patch_without_answer(const ApiResource& r, const std::string& ns, const std::string& name, kube::PatchType type,
                            std::string_view patch) override {
    // As KubeClient::patch, without parsing the answer: a 4 KB object a managedFields patch of every
    // restored item sent back, parsed and dropped (issue 17).
    client_.request("PATCH", kube::KubeClient::path(r, ns, name), std::string(patch), kube::content_type(type));
  }
  json::object update_status(const ApiResource& r, const json::object& object) override {
    std::string ns(json::metadata_string(object, "namespace"));
    std::string name(json::metadata_string(object, "name"));
    std::string path = kube::KubeClient::path(r, ns, name) + "/status";
    auto answer = client_.request("PUT", path, json::marshal(object), "application/json");
    auto v = json::parse(answer.body, "PUT " + path);
    if (!v.is_object()) throw Error(ErrorCode::kube, "PUT " + path + ": the answer is not an object");
    return std::move(v.get_object());
  }
  void remove(const ApiResource& r, const std::string& ns, const std::string& name) override {
    client_.remove(r, ns, name);
  }
  // Velero's crdAvailable (restore.go) with IsCRDReady, and its message when the time runs out.
  void wait_for_crd(const std::string& name, std::chrono::milliseconds timeout) override {
    if (!client_.discovery().find("apiextensions.k8s.io", "customresourcedefinitions")) {
      throw Error(ErrorCode::kube, client_.config().server + " serves no CustomResourceDefinitions");
    }
    if (!kube::wait_for_crd(client_, name, timeout).empty()) {
      throw Error(ErrorCode::kube, "the CRD " + name + " is not available to use for custom resources");
    }
  }

 private:
  kube::KubeClient& client_;
};

}  // namespace

std::unique_ptr<ClusterTarget> open_cluster_target(kube::KubeClient& client) {
  return std::make_unique<LiveTarget>(client);
}

}  // namespace vbackup
