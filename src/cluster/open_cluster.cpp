// ClusterOptions → Cluster: the one place a surface's "kubeconfig, context or manifests" becomes
// the ports a backup reads from and a restore writes to.
#include "vbackup/cluster.hpp"
#include "vbackup/error.hpp"

namespace vbackup {

std::unique_ptr<Cluster> Cluster::open(const ClusterOptions& options) {
  std::unique_ptr<Cluster> c(new Cluster());
  if (!options.manifests.empty()) {
    ManifestSourceOptions so;
    so.default_namespace = options.default_namespace;
    c->source_ = open_manifest_source(options.manifests, so);
    return c;
  }
  kube::RestConfig config = kube::load_rest_config(options.connect);
  if (options.qps > 0) config.qps = options.qps;
  if (options.burst > 0) config.burst = options.burst;
  c->client_ = std::make_unique<kube::KubeClient>(std::move(config));
  c->source_ = open_cluster_source(*c->client_);
  c->target_ = open_cluster_target(*c->client_);
  return c;
}

Cluster::~Cluster() = default;

ClusterTarget& Cluster::target() {
  if (!target_) {
    throw Error(ErrorCode::unsupported, describe() + ": a folder of manifests is read only; to see or write what a "
                                                     "restore would create, run it as a dry-run (with an output folder)");
  }
  return *target_;
}

}  // namespace vbackup
