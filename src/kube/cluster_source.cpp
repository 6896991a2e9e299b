// A live cluster as the backup runner's ClusterSource (source.hpp): discovery and LIST through the
// Kubernetes client, objects at their preferred version, page by page.
#include "vbackup/kube.hpp"

namespace vbackup::kube {
namespace {

class KubeClusterSource final : public ClusterSource {
 public:
  explicit KubeClusterSource(KubeClient& client) : client_(client) {}
  explicit KubeClusterSource(std::unique_ptr<KubeClient> owned) : owned_(std::move(owned)), client_(*owned_) {}

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
  // Group versions discovery could not read (an aggregated API that is down): Velero logs and
  // skips them; the backup records them as warnings.
  std::vector<std::string> warnings() override {
    client_.discovery();
    return client_.discovery_warnings();
  }

 private:
  std::unique_ptr<KubeClient> owned_;  // when the source made its own client
  KubeClient& client_;
  std::optional<ServerVersion> version_;
};

}  // namespace

std::unique_ptr<ClusterSource> open_cluster_source(KubeClient& client) {
  return std::make_unique<KubeClusterSource>(client);
}

std::unique_ptr<ClusterSource> open_cluster_source(RestConfig config) {
  return std::make_unique<KubeClusterSource>(std::make_unique<KubeClient>(std::move(config)));
}

}  // namespace vbackup::kube
