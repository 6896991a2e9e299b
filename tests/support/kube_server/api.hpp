// The test API server's request handling, independent of the transport: a request goes in as
// method, target, a few headers and a body, and a response comes out (or a watch starts). The HTTP
// layer (http_server.cpp) and in-process callers share it.
#pragma once

#include "kube_server/csi.hpp"
#include "kube_server/faults.hpp"
#include "kube_server/services.hpp"
#include "kube_server/status.hpp"
#include "kube_server/store.hpp"
#include "vbackup/discovery.hpp"
#include "vbackup/json.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vbackup::kubetest {

struct ApiOptions {
  std::string git_version = "v1.33.1";  // /version; the kubectl dispatcher picks its kubectl by the minor
  std::chrono::milliseconds crd_establish_delay{200};   // CRD created → served and Established
  std::chrono::milliseconds namespace_delete_delay{0};  // 0 = a deleted namespace goes at once
  bool snapshot_crds = true;          // snapshot.storage.k8s.io CRDs installed, as with the CSI snapshotter
  // The CSI drivers of the fake CSI world (csi.hpp): PVCs of a StorageClass whose provisioner is one
  // of them are provisioned; more can be added with POST /__control {"csi": {"drivers": [...]}}.
  std::vector<std::string> csi_drivers = {"hostpath.csi.k8s.io"};
  bool aggregated_discovery = true;   // answer apidiscovery.k8s.io/v2 when the client asks for it
  std::size_t watch_history = 10000;  // changes kept for watches that resume from a resourceVersion
  std::size_t max_body = 3 * 1024 * 1024;  // the API server's request size limit
  std::string token;                  // bearer token required ("" = any or none accepted)
  std::string basic_auth;             // "user:password" also accepted when set
  std::size_t request_log = 2000;     // requests kept for GET /__control/requests
  // Services (services.hpp), kube-apiserver's --service-cluster-ip-range and --service-node-port-range.
  std::string service_cluster_ip_range = "10.96.0.0/16";
  std::string service_node_port_range = "30000-32767";
};

// Runs `fn` once after `delay` on a server thread (never inline).
using Scheduler = std::function<void(std::chrono::milliseconds, std::function<void()>)>;

struct ApiRequest {
  std::string method;  // "GET"
  std::string target;  // "/api/v1/namespaces/default/configmaps?limit=500"
  std::string content_type, accept, accept_encoding, authorization, user_agent;
  std::string body;
  std::string client_cert_subject;  // CN of a verified TLS client certificate, "" if none
  // For watch requests: makes the sink events go to. Called at most once, before handle() returns.
  std::function<std::shared_ptr<WatchSink>()> make_watch_sink;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};  // answer after this long (fault switch)
  ResetPoint reset = ResetPoint::none;  // cut the connection part-way through the answer (fault switch)
  std::uint64_t watch_id = 0;          // non-zero: a watch stream started; its events go to the sink
  std::chrono::seconds watch_timeout{0};  // 0 = until the client goes
};

struct RequestRecord {
  std::string method, target, user_agent;
  int status = 0;
};

class Api {
 public:
  Api(ApiOptions options, Scheduler scheduler);
  ~Api();

  ApiResponse handle(const ApiRequest& request);
  void end_watch(std::uint64_t id);  // the client went or the watch timed out
  // Ends every watch; the transport calls it before it stops (sinks must go before its executors).
  void end_all_watches();

  // The control endpoint (POST /__control): fault switches (faults.hpp) plus
  // {"crdEstablishDelayMilliseconds": n, "namespaceDeleteDelayMilliseconds": n, "token": "x"|null}.
  // Returns the state after the change. Throws Error(invalid) for a malformed request.
  json::object control(const json::object& request);
  json::object control_state() const;
  std::vector<RequestRecord> requests(bool clear);
  // The fake CSI world (csi.hpp): POST /__control {"csi": {...}} applies `request` (CsiWorld::configure);
  // GET /__control/snapshots answers csi_snapshots(): drivers, snapshot handles, volumes, switches.
  json::object csi_control(const json::object& request);
  json::object csi_snapshots() const;

  // Objects written directly (no HTTP, auth or faults): a manifests directory, as its objects would
  // be after `kubectl apply`; status is kept and CRDs are Established at once. Returns one message
  // per object that could not be stored.
  std::vector<std::string> seed(const std::vector<std::filesystem::path>& paths);
  // Creates (or replaces) one object as the seed does. Throws StatusError.
  json::object put_object(json::object object);
  // `count` ConfigMaps "<prefix>-<n>" with `size` bytes of data in namespace `ns` (created if needed).
  void fill_configmaps(const std::string& ns, std::size_t count, std::size_t size, const std::string& prefix = "cm");

  void set_server_address(std::string host_port);
  std::uint64_t resource_version() const;

 private:
  // What a resource request addresses.
  struct Target {
    ApiResource resource;          // group, version, plural, kind, scope, verbs
    std::string ns;                // the route's namespace ("" on cluster routes)
    std::string name, subresource;
    std::string table;             // "group/plural": where the objects are stored
    bool custom = false;           // served for an Established CRD
    bool has_status = false;       // a status subresource exists: writes to the main resource keep status
    bool tracks_generation = false;
    ResourceName rname() const { return {resource.group, resource.name}; }
    std::string api_version() const { return resource.group_version(); }
  };
  using Query = std::map<std::string, std::string, std::less<>>;

  ApiResponse route(const ApiRequest& request, const std::string& path, const Query& query);
  void authenticate(const ApiRequest& request, const std::string& path) const;
  std::optional<ApiResponse> discovery_route(const ApiRequest& request, const std::vector<std::string>& parts,
                                             const Query& query);
  Target resolve(const std::vector<std::string>& parts, std::size_t rest, const std::string& group,
                 const std::string& version) const;
  std::string verb_of(const std::string& method, const Target& t, const Query& query) const;

  // Verbs (resources.cpp).
  ApiResponse get(const Target& t);
  ApiResponse list(const Target& t, const Query& query);
  ApiResponse watch(const ApiRequest& request, const Target& t, const Query& query);
  ApiResponse create(const Target& t, const ApiRequest& request, const Query& query);
  ApiResponse update(const Target& t, const ApiRequest& request, const Query& query);
  ApiResponse patch(const Target& t, const ApiRequest& request, const Query& query);
  ApiResponse remove(const Target& t, const ApiRequest& request, const Query& query);
  ApiResponse remove_collection(const Target& t, const ApiRequest& request, const Query& query);

  // Object writes; the caller holds the store's lock exclusively. Each returns the object as stored
  // (or as it would be, for a dry run).
  ObjectPtr do_create(const Target& t, json::object obj, bool dry_run, bool seeding);
  ObjectPtr do_update(const Target& t, json::object obj, ObjectPtr old, bool dry_run, bool status_only,
                      bool require_rv);
  // Removes the object, or marks it deleted while finalizers (or, when graceful, the namespace
  // deletion delay) hold it; returns its final state and whether it is gone.
  std::pair<ObjectPtr, bool> do_delete(const Target& t, ObjectPtr old, bool dry_run, bool graceful = true);
  ObjectPtr commit(const Target& t, json::object& obj, ObjectPtr before);
  void finish_namespace(const std::string& name);
  // 400 BadRequest unless the body's apiVersion and kind are the ones the URL serves.
  void check_type(const Target& t, const json::object& obj) const;

  // CRDs (crds.cpp).
  void prepare_crd(json::object& crd, bool seeding);  // validates (422) and fills defaults and status
  void crd_created(const json::object& crd, bool seeding);
  void establish_locked(const std::string& name, const std::string& uid);
  void hold_locked(const std::string& name, const std::string& uid);  // crdNeverEstablished: NamesAccepted only
  void establish_held_crds();
  void crd_updated(const json::object& crd);
  void crd_deleted(const json::object& crd);
  void rebuild_discovery();
  void install_snapshot_crds();

  // Discovery and OpenAPI documents (discovery_docs.cpp); the caller holds the lock shared.
  std::string version_doc() const;
  std::string api_versions_doc() const;
  std::string group_list_doc() const;
  std::string group_doc(const ApiGroup& g) const;
  std::string resource_list_doc(const std::string& group_version) const;
  std::string aggregated_doc(bool core) const;
  std::string openapi_root_doc() const;
  std::string openapi_gv_doc(const std::string& group_version) const;

  // The fake CSI world (csi.cpp, csi_provisioner.cpp); the caller holds the store's lock exclusively.
  void csi_observe(const std::string& table, const StoredObject* before, const StoredObject* now);
  void csi_schedule_locked(std::chrono::milliseconds delay);
  void csi_reconcile_locked();
  void csi_provision_locked();
  std::vector<json::object> csi_list(const std::string& table, const char* api_version, const char* kind) const;
  std::optional<json::object> csi_get(const std::string& table, const char* api_version, const char* kind,
                                      const std::string& ns, const std::string& name) const;
  void csi_put(const char* api_version, const char* plural, json::object obj);
  void csi_release_locked(const char* plural, json::object obj);
  std::int64_t csi_volume_size(const std::string& volume_handle) const;
  json::object csi_new_content(const json::object& vs, const std::string& content, std::string& error,
                               std::string& default_class) const;
  std::string csi_snapshot_source(const std::string& ns, const std::string& name, const std::string& driver,
                                  const std::string& sc_name, std::int64_t request, std::string& handle) const;

  Target target_for(const ApiResource& r, const std::string& ns, const std::string& name) const;
  const ApiResource* find_resource(const std::string& group_version, const std::string& plural) const;
  bool namespace_usable(const std::string& ns, bool for_create) const;

  ApiOptions options_;
  int kube_minor_ = 33;  // the minor of options_.git_version: version-dependent rules (strategies.hpp)
  Scheduler scheduler_;
  Store store_;
  Faults faults_;
  CsiWorld csi_;              // guarded by store_.mutex
  ServiceNetwork services_;  // guarded by store_.mutex; follows the services table (Store observer)

  // Guarded by store_.mutex.
  Discovery discovery_;
  std::map<std::string, std::string, std::less<>> crd_tables_;  // "group/plural" → CRD name, Established CRDs
  std::uint64_t discovery_generation_ = 1;

  mutable std::mutex settings_mutex_;  // guards the settings below
  std::chrono::milliseconds crd_delay_, namespace_delay_;
  bool crd_hold_ = false;  // crdNeverEstablished switch
  std::string token_;
  std::string server_address_ = "127.0.0.1:0";  // /api serverAddressByClientCIDRs

  std::mutex log_mutex_;
  std::deque<RequestRecord> log_;

  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace vbackup::kubetest
