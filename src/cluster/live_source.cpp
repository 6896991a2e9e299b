// A live cluster as the read port (cluster.hpp): discovery and LIST through the Kubernetes client,
// objects at their preferred version, page by page.
#include "vbackup/cluster.hpp"

namespace vbackup {
namespace {

class LiveSource final : public ClusterSource {
 public:
  explicit LiveSource(kube::KubeClient& client) : client_(client) {}
  explicit LiveSource(std::unique_ptr<kube::KubeClient> owned) : owned_(std::move(owned)), client_(*owned_) {}

  std::string describe() const override { return client_.config().server; }
  const Discovery& discovery() override { return client_.discovery(); }
  std::optional<ServerVersion> server_version() override {
    if (!version_) version_ = client_.version();
    return version_;
  }
  void list(const ApiResource& resource, const ListOptions& options,
            const std::function<void(json::object&&)>& on_item) override {
    client_.list(resource, options, on_item);
  }
  std::optional<std::int64_t> count(const ApiResource& resource, const ListOptions& options) override {
    return client_.count(resource, options);
  }
  std::optional<json::object> get(const ApiResource& resource, const std::string& ns, const std::string& name) override {
    return client_.try_get(resource, ns, name);
  }
  kube::KubeClient* kube() override { return &client_; }
  // Group versions discovery could not read (an aggregated API that is down): Velero logs and
  // skips them; the backup records them as warnings.
  std::vector<std::string> warnings() override {
    client_.discovery();
    return client_.discovery_warnings();
  }

 private:
  std::unique_ptr<kube::KubeClient> owned_;  // when the source made its own client
  kube::KubeClient& client_;
  std::optional<ServerVersion> version_;
};

}  // namespace

std::unique_ptr<ClusterSource> open_cluster_source(kube::KubeClient& client) {
  return std::make_unique<LiveSource>(client);
}

std::unique_ptr<ClusterSource> open_cluster_source(kube::RestConfig config) {
  return std::make_unique<LiveSource>(std::make_unique<kube::KubeClient>(std::move(config)));
}

}  // namespace vbackup
