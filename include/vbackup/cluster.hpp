// The cluster ports: where a backup reads Kubernetes objects from (ClusterSource) and where a restore
// writes them (ClusterTarget), with their adapters side by side — a live cluster through the
// Kubernetes client, a folder of manifests standing in for one, and, for the write side, an offline
// target that records what a restore would do (a dry-run plan) or writes each object into a folder
// (the mirror of --from-manifests). The backup and restore runners implement Velero's rules once,
// over these interfaces.
#pragma once

#include "vbackup/discovery.hpp"
#include "vbackup/json.hpp"
#include "vbackup/kube.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vbackup {

// The read port.
class ClusterSource {
 public:
  virtual ~ClusterSource() = default;
  // Names the source in messages and logs ("manifests examples/manifests", "https://10.0.0.1:6443").
  virtual std::string describe() const = 0;
  virtual const Discovery& discovery() = 0;
  virtual std::optional<ServerVersion> server_version() { return std::nullopt; }
  // The objects of one resource at its preferred version, streamed (page by page for a cluster).
  // Throws Error for a resource that cannot be listed; the runner records it and goes on.
  virtual void list(const ApiResource& resource, const ListOptions& options,
                    const std::function<void(json::object&&)>& on_item) = 0;
  virtual std::optional<json::object> get(const ApiResource& resource, const std::string& ns,
                                          const std::string& name) = 0;
  // How many objects list() would return, when the source can tell cheaply (for progress totals);
  // nullopt when it cannot.
  virtual std::optional<std::int64_t> count(const ApiResource&, const ListOptions&) { return std::nullopt; }
  // Problems found while opening the source that are not fatal (a duplicate object, an unknown
  // kind guessed): the runner copies them into the backup's warnings.
  virtual std::vector<std::string> warnings() { return {}; }
  // Per-object problems (an unreadable file, an object without a name): the runner records them as
  // errors, and the backup ends PartiallyFailed.
  virtual std::vector<std::string> errors() { return {}; }
  // True when objects come as written by people rather than as a server serves them (manifests):
  // an object in a non-preferred version cannot be converted, so the backup also keeps the plain
  // copy a default restore reads (spec §1.2 writes such objects only under <ver>/).
  virtual bool serves_objects_as_written() const { return false; }
  // The client of a live cluster, for what a backup writes there (CSI VolumeSnapshots, csi §1.3);
  // nullptr for manifests, which nothing can be written to.
  virtual kube::KubeClient* kube() { return nullptr; }
};

// The write port: what a restore does to a cluster. Errors are kube::KubeError (a vbackup::Error
// with the API server's reason and causes: AlreadyExists, Invalid "provided port is already
// allocated", …), so the restore can apply Velero's rules to them whatever the target.
class ClusterTarget {
 public:
  virtual ~ClusterTarget() = default;
  virtual std::string describe() const = 0;
  virtual const Discovery& discovery() = 0;
  // What the target serves now (after CRDs were created: restore §2.2 refreshes discovery).
  virtual const Discovery& refresh_discovery() = 0;
  virtual std::optional<ServerVersion> server_version() { return std::nullopt; }
  virtual std::optional<json::object> get(const ApiResource& resource, const std::string& ns,
                                          const std::string& name) = 0;
  virtual void list(const ApiResource& resource, const ListOptions& options,
                    const std::function<void(json::object&&)>& on_item) = 0;
  // Creates the object in its metadata.namespace; returns it as stored.
  virtual json::object create(const ApiResource& resource, const json::object& object) = 0;
  // create() for a caller that reads only the created object's name (a restore that does not restore
  // the item's status): a live target skips parsing the object the server sends back when the object
  // has a name, since the API server stores it under that name. Errors as create().
  virtual std::string create_returning_name(const ApiResource& resource, const json::object& object) {
    return std::string(json::metadata_string(this->create(resource, object), "name"));
  }
  virtual json::object patch(const ApiResource& resource, const std::string& ns, const std::string& name,
                             kube::PatchType type, std::string_view patch) = 0;
  // patch() for a caller that does not read the answer (the restore's managedFields patch, restore
  // §2.3 step 17): a live target skips parsing the object the server sends back. Errors as patch().
  virtual void patch_without_answer(const ApiResource& resource, const std::string& ns, const std::string& name,
                                    kube::PatchType type, std::string_view patch) {
    this->patch(resource, ns, name, type, patch);
  }
  // PUT of the status subresource (restore §2.3 step 16), with the object's resourceVersion.
  virtual json::object update_status(const ApiResource& resource, const json::object& object) = 0;
  virtual void remove(const ApiResource& resource, const std::string& ns, const std::string& name) = 0;
  // restore §2.2: waits until the CustomResourceDefinition `name` has Established=True and
  // NamesAccepted=True, then refreshes discovery. Error(kube) naming the CRD after `timeout`.
  virtual void wait_for_crd(const std::string& name, std::chrono::milliseconds timeout) = 0;
  // True when nothing reaches a cluster (a dry-run plan, a folder of manifests).
  virtual bool offline() const { return false; }
};

// ---- adapters ----------------------------------------------------------------------------------

struct ManifestSourceOptions {
  std::string default_namespace = "default";  // for namespaced objects without metadata.namespace, as kubectl -n
  // A cluster has the Namespace object of every namespace holding objects; manifests often leave it
  // out. When true, a bare Namespace stands in for each one missing.
  bool implied_namespaces = true;
};

// A directory (or file) of YAML/JSON manifests as a cluster: the built-in Kubernetes discovery
// plus the CRDs found among the manifests. Objects are read once into a temporary spill file and
// listed from there, so memory holds an index, not the objects.
std::unique_ptr<ClusterSource> open_manifest_source(const std::vector<std::filesystem::path>& paths,
                                                    const ManifestSourceOptions& options = {});

// A live cluster over a client the caller keeps alive, or over a client of its own made from `config`.
std::unique_ptr<ClusterSource> open_cluster_source(kube::KubeClient& client);
std::unique_ptr<ClusterSource> open_cluster_source(kube::RestConfig config);
std::unique_ptr<ClusterTarget> open_cluster_target(kube::KubeClient& client);

// A target that reaches no cluster: discovery starts as `base` (the built-in Kubernetes table when
// nullopt) and learns every CRD created through it; get() sees what was created through it, so a
// restore plans as it would run on an empty cluster. With `output_dir`, every created object is also
// written there as YAML, one file each, named in creation order ("0001-namespace-demo.yaml",
// "0002-configmap-demo-settings.yaml"), so that `kubectl apply -f DIR` replays the restore. The folder
// must be empty or absent.
struct OfflineTargetOptions {
  std::optional<Discovery> base;
  std::filesystem::path output_dir;
};
std::unique_ptr<ClusterTarget> open_offline_target(const OfflineTargetOptions& options = {});

// ---- opening a cluster from what a user gives --------------------------------------------------

// What the CLI flags, the C API's options JSON and Python's keyword arguments say about the cluster:
// a folder of manifests, or a live cluster from a kubeconfig.
struct ClusterOptions {
  std::vector<std::filesystem::path> manifests;  // non-empty: manifests stand in for the cluster
  std::string default_namespace = "default";     // for manifests
  kube::ConnectOptions connect;                  // kubeconfig, context (live clusters)
  double qps = 0;                                // client QPS, 0 = the client's default (Velero's 100)
  int burst = 0;                                 // client burst, 0 = the client's default
};

// One cluster, owning what it is made of: the client (live), its source and its target. Connecting
// is lazy: an unreachable server's error comes from the first call that uses it, naming the URL.
class Cluster {
 public:
  static std::unique_ptr<Cluster> open(const ClusterOptions& options);
  ~Cluster();

  bool live() const { return client_ != nullptr; }
  kube::KubeClient* client() { return client_.get(); }  // nullptr for manifests
  ClusterSource& source() { return *source_; }
  // A live cluster's write port; Error(unsupported) for manifests, which are read only (a restore
  // into a folder is a dry-run with an output folder).
  ClusterTarget& target();
  std::string describe() const { return source_->describe(); }

 private:
  Cluster() = default;
  std::unique_ptr<kube::KubeClient> client_;
  std::unique_ptr<ClusterSource> source_;
  std::unique_ptr<ClusterTarget> target_;
};

namespace kube {
using vbackup::open_cluster_source;  // kube::open_cluster_source(client), as before the ports had a room of their own
}

}  // namespace vbackup
