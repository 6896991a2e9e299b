// Where a backup reads Kubernetes objects from: a live cluster (the Kubernetes client) or a folder
// of manifests standing in for one. The backup runner implements Velero's collection rules once,
// over this interface.
#pragma once

#include "vbackup/discovery.hpp"
#include "vbackup/json.hpp"

#include <filesystem>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vbackup {

struct ListOptions {
  std::string namespace_;       // "" = all namespaces (or a cluster-scoped resource)
  std::string label_selector;   // Kubernetes selector string, evaluated by the source (server-side)
  std::size_t page_size = 500;  // Velero's --client-page-size
};

struct ServerVersion {
  std::string git_version;  // "v1.33.1"
  std::string major, minor;
};

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
};

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

}  // namespace vbackup
