// Request handling: authentication, routing, fault switches, discovery, and the control endpoint.
#include "kube_server/api.hpp"

#include "kube_server/util.hpp"
#include "vbackup/error.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>

namespace vbackup::kubetest {

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (!part.empty()) parts.push_back(percent_decode(part, false));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool is_public_path(const std::string& path) {
  return path == "/version" || path == "/healthz" || path == "/livez" || path == "/readyz";
}

ApiResponse json_response(std::string body, int status = 200) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ApiResponse status_response(const StatusError& e) {
  ApiResponse r;
  r.status = e.code();
  r.body = e.body();
  r.headers = e.headers();
  return r;
}

int int_setting(const json::value& v, const char* key) {
  if (!v.is_int64() || v.get_int64() < 0) throw invalid_input(std::string("control: ") + key + ": expected a non-negative integer");
  return static_cast<int>(v.get_int64());
}

}  // namespace

Api::Api(ApiOptions options, Scheduler scheduler)
    : options_(std::move(options)),
      scheduler_(std::move(scheduler)),
      store_(options_.watch_history),
      services_(options_.service_cluster_ip_range, options_.service_node_port_range),
      discovery_(builtin_kubernetes_discovery()),
      crd_delay_(options_.crd_establish_delay),
      namespace_delay_(options_.namespace_delete_delay),
      token_(options_.token) {
  // "v1.33.1" → 33: the rules that changed between releases follow the version served.
  if (const auto dot = options_.git_version.find('.'); dot != std::string::npos) {
    const std::string minor = options_.git_version.substr(dot + 1, options_.git_version.find('.', dot + 1) - dot - 1);
    if (!minor.empty() && std::all_of(minor.begin(), minor.end(), [](char c) { return c >= '0' && c <= '9'; }))
      kube_minor_ = std::stoi(minor);
  }
  // The Service allocations follow the services table, whoever writes it (deletes, namespace and
  // seed replacement included).
  for (const std::string& d : options_.csi_drivers) csi_.drivers.insert(d);
  store_.set_observer([this](const std::string& table, const StoredObject* before, const StoredObject* now) {
    csi_observe(table, before, now);
    if (table != "/services") return;
    const StoredObject* o = now ? now : before;
    if (!o) return;
    if (!now) return services_.observe(object_key(o->ns, o->name), nullptr);
    const json::object service = to_object(*now, "v1", "Service");
    services_.observe(object_key(o->ns, o->name), &service);
  });
  // The namespaces every cluster starts with.
  for (const char* ns : {"default", "kube-node-lease", "kube-public", "kube-system"})
    put_object(json::object{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", json::object{{"name", ns}}}});
  if (options_.snapshot_crds) install_snapshot_crds();
}

Api::~Api() { *alive_ = false; }

void Api::set_server_address(std::string host_port) {
  std::lock_guard lock(settings_mutex_);
  server_address_ = std::move(host_port);
}

std::uint64_t Api::resource_version() const {
  std::shared_lock lock(store_.mutex);
  return store_.current_rv();
}

ApiResponse Api::handle(const ApiRequest& request) {
  ApiResponse response;
  const auto qpos = request.target.find('?');
  const std::string path = request.target.substr(0, qpos);
  const Query query = qpos == std::string::npos ? Query{} : parse_query(std::string_view(request.target).substr(qpos + 1));
  try {
    if (request.body.size() > options_.max_body) throw request_entity_too_large(options_.max_body);
    try {
      response = route(request, path, query);
    } catch (const StatusError&) {
      throw;
    } catch (const Error& e) {
      // Library errors here come from bad input the handlers did not classify.
      throw bad_request(e.what());
    }
  } catch (const StatusError& e) {
    auto delay = response.delay;
    auto reset = response.reset;
    response = status_response(e);
    response.delay = delay;
    response.reset = reset;
  } catch (const std::exception& e) {
    response = status_response(internal_error(e.what()));
  }
  if (options_.request_log && !path.starts_with("/__control")) {
    std::lock_guard lock(log_mutex_);
    log_.push_back({request.method, request.target, request.user_agent, response.status});
    while (log_.size() > options_.request_log) log_.pop_front();
  }
  return response;
}

void Api::authenticate(const ApiRequest& request, const std::string& path) const {
  std::string token;
  {
    std::lock_guard lock(settings_mutex_);
    token = token_;
  }
  if (token.empty() && options_.basic_auth.empty()) return;  // any credentials, or none
  if (!request.client_cert_subject.empty()) return;          // verified during the TLS handshake
  const std::string& auth = request.authorization;
  if (auth.starts_with("Bearer ")) {
    if (!token.empty() && auth.substr(7) == token) return;
    throw unauthorized();
  }
  if (auth.starts_with("Basic ")) {
    std::string decoded;
    if (!options_.basic_auth.empty() && base64_decode(auth.substr(6), decoded) && decoded == options_.basic_auth) return;
    throw unauthorized();
  }
  if (!auth.empty()) throw unauthorized();
  // No credentials: the anonymous user, who may only read the public paths (system:public-info-viewer).
  if (is_public_path(path)) return;
  throw forbidden("forbidden: User \"system:anonymous\" cannot get path \"" + path + "\"");
}

ApiResponse Api::route(const ApiRequest& request, const std::string& path, const Query& query) {
  // The control endpoint: no credentials, never faulted.
  if (path == "/__control") {
    if (request.method == "GET") return json_response(json::marshal(control_state()));
    if (request.method != "POST") throw method_not_allowed();
    json::value v;
    try {
      v = json::parse(request.body, "control request");
    } catch (const Error& e) {
      throw bad_request(e.what());
    }
    if (!v.is_object()) throw bad_request("control request: expected a JSON object");
    try {
      return json_response(json::marshal(control(v.get_object())));
    } catch (const Error& e) {
      throw bad_request(e.what());
    }
  }
  if (path == "/__control/snapshots") {
    if (request.method != "GET") throw method_not_allowed();
    return json_response(json::marshal(csi_snapshots()));
  }
  if (path == "/__control/requests") {
    auto it = query.find("clear");
    json::array out;
    for (const RequestRecord& r : requests(it != query.end() && (it->second == "true" || it->second == "1")))
      out.push_back(json::object{{"method", r.method}, {"target", r.target}, {"userAgent", r.user_agent}, {"status", r.status}});
    return json_response(json::marshal(out));
  }

  authenticate(request, path);
  const std::vector<std::string> parts = split_path(path);
  if (parts.size() == 1 && (parts[0] == "healthz" || parts[0] == "livez" || parts[0] == "readyz")) {
    ApiResponse r = json_response("ok");
    r.content_type = "text/plain; charset=utf-8";
    return r;
  }
  if (auto r = discovery_route(request, parts, query)) return std::move(*r);

  std::string group, version;
  std::size_t rest = 0;
  if (parts.size() >= 3 && parts[0] == "api" && parts[1] == "v1") {
    version = "v1";
    rest = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    group = parts[1];
    version = parts[2];
    rest = 3;
  } else {
    throw path_not_found();
  }
  Target t;
  {
    std::shared_lock lock(store_.mutex);
    t = resolve(parts, rest, group, version);
  }
  const std::string verb = verb_of(request.method, t, query);
  if (!t.resource.has_verb(verb) && !(verb == "watch" && t.resource.has_verb("list")))
    throw method_not_allowed();

  const bool has_continue = query.contains("continue") && !query.at("continue").empty();
  FaultDecision fault = faults_.check(FaultTarget{verb, t.rname(), has_continue});
  if (fault.error) {
    if (fault.error->reason() == "Expired" && has_continue) {
      // The server hands back a token that continues without the consistency guarantee.
      fault.error->list_meta()["continue"] = query.at("continue");
    }
    StatusError e = *fault.error;
    if (fault.delay.count() == 0) throw e;
    ApiResponse r = status_response(e);
    r.delay = fault.delay;
    return r;
  }
  ApiResponse r;
  try {
    if (verb == "get") r = get(t);
    else if (verb == "list") r = list(t, query);
    else if (verb == "watch") r = watch(request, t, query);
    else if (verb == "create") r = create(t, request, query);
    else if (verb == "update") r = update(t, request, query);
    else if (verb == "patch") r = patch(t, request, query);
    else if (verb == "delete") r = remove(t, request, query);
    else if (verb == "deletecollection") r = remove_collection(t, request, query);
    else throw method_not_allowed();
  } catch (const StatusError& e) {
    r = status_response(e);
  }
  r.delay = fault.delay;
  r.reset = fault.reset;
  return r;
}

std::optional<ApiResponse> Api::discovery_route(const ApiRequest& request, const std::vector<std::string>& parts,
                                                const Query& query) {
  (void)query;
  if (parts.empty()) throw path_not_found();
  const bool discovery_path = (parts.size() == 1 && parts[0] == "version") || parts[0] == "openapi" ||
                              (parts[0] == "api" && parts.size() <= 2) || (parts[0] == "apis" && parts.size() <= 3);
  if (!discovery_path) return std::nullopt;
  if (request.method != "GET") throw method_not_allowed();
  FaultDecision fault;
  if (parts[0] != "version") fault = faults_.check(FaultTarget{});
  ApiResponse r;
  if (fault.error) {
    r = status_response(*fault.error);
    r.delay = fault.delay;
    return r;
  }
  const bool aggregated = options_.aggregated_discovery &&
                          request.accept.find("g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList") != std::string::npos;
  constexpr const char* aggregated_type = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
  {
    std::shared_lock lock(store_.mutex);
    if (parts[0] == "version") {
      r.body = version_doc();
    } else if (parts[0] == "api" && parts.size() == 1) {
      r.body = aggregated ? aggregated_doc(true) : api_versions_doc();
      if (aggregated) r.content_type = aggregated_type;
    } else if (parts[0] == "api") {
      if (parts[1] != "v1") throw path_not_found();
      r.body = resource_list_doc("v1");
    } else if (parts[0] == "apis" && parts.size() == 1) {
      r.body = aggregated ? aggregated_doc(false) : group_list_doc();
      if (aggregated) r.content_type = aggregated_type;
    } else if (parts[0] == "apis") {
      const ApiGroup* g = discovery_.group(parts[1]);
      if (!g || g->name.empty()) throw path_not_found();
      if (parts.size() == 2) {
        r.body = group_doc(*g);
      } else {
        if (std::find(g->versions.begin(), g->versions.end(), parts[2]) == g->versions.end()) throw path_not_found();
        r.body = resource_list_doc(parts[1] + "/" + parts[2]);
      }
    } else {  // openapi
      if (parts.size() < 2 || parts[1] != "v3") throw path_not_found();  // no /openapi/v2: clients use v3
      if (parts.size() == 2) {
        r.body = openapi_root_doc();
      } else if (parts.size() == 4 && parts[2] == "api" && parts[3] == "v1") {
        r.body = openapi_gv_doc("v1");
      } else if (parts.size() == 5 && parts[2] == "apis") {
        const ApiGroup* g = discovery_.group(parts[3]);
        if (!g || std::find(g->versions.begin(), g->versions.end(), parts[4]) == g->versions.end()) throw path_not_found();
        r.body = openapi_gv_doc(parts[3] + "/" + parts[4]);
      } else {
        throw path_not_found();
      }
    }
  }
  r.delay = fault.delay;
  r.reset = fault.reset;
  return r;
}

Api::Target Api::resolve(const std::vector<std::string>& parts, std::size_t rest, const std::string& group,
                         const std::string& version) const {
  const std::string gv = group.empty() ? version : group + "/" + version;
  const ApiGroup* g = discovery_.group(group);
  if (!g || std::find(g->versions.begin(), g->versions.end(), version) == g->versions.end()) throw path_not_found();
  std::string ns;
  // apiserver RequestInfo: /namespaces/<ns>/<resource>... unless the third part is a namespace
  // subresource (/api/v1/namespaces/<name>/status is the Namespace's status).
  if (parts[rest] == "namespaces" && parts.size() > rest + 2 && parts[rest + 2] != "status" && parts[rest + 2] != "finalize") {
    ns = parts[rest + 1];
    rest += 2;
  }
  if (parts.size() > rest + 3) throw path_not_found();
  const std::string plural = parts[rest];
  const std::string name = parts.size() > rest + 1 ? parts[rest + 1] : std::string();
  const std::string sub = parts.size() > rest + 2 ? parts[rest + 2] : std::string();
  const ApiResource* r = find_resource(gv, plural);
  if (!r) throw path_not_found();
  if (!ns.empty() && !r->namespaced) throw path_not_found();
  if (r->namespaced && ns.empty() && !name.empty()) throw path_not_found();
  Target t = target_for(*r, ns, name);
  if (!sub.empty()) {
    const ApiResource* s = find_resource(gv, plural + "/" + sub);
    if (!s) throw path_not_found();
    if (sub != "status") throw method_not_allowed();  // scale, log, exec, ... are not emulated
    t.subresource = sub;
    t.resource.verbs = s->verbs;
  }
  return t;
}

const ApiResource* Api::find_resource(const std::string& group_version, const std::string& plural) const {
  for (const ApiResource& r : discovery_.resources(group_version))
    if (r.name == plural) return &r;
  return nullptr;
}

Api::Target Api::target_for(const ApiResource& r, const std::string& ns, const std::string& name) const {
  Target t;
  t.resource = r;
  t.ns = ns;
  t.name = name;
  t.table = r.group + "/" + r.name;
  t.custom = crd_tables_.contains(t.table);
  t.has_status = find_resource(r.group_version(), r.name + "/status") != nullptr;
  static const std::set<std::string, std::less<>> generation_tables = {
      "apps/deployments", "apps/statefulsets", "apps/daemonsets", "apps/replicasets", "batch/jobs",
      "batch/cronjobs", "networking.k8s.io/ingresses", "networking.k8s.io/networkpolicies",
      "policy/poddisruptionbudgets", "apiextensions.k8s.io/customresourcedefinitions",
      "autoscaling/horizontalpodautoscalers"};
  t.tracks_generation = t.custom || generation_tables.contains(t.table);
  return t;
}

std::string Api::verb_of(const std::string& method, const Target& t, const Query& query) const {
  const bool named = !t.name.empty();
  if (method == "GET") {
    if (named) return "get";
    auto it = query.find("watch");
    return it != query.end() && (it->second == "true" || it->second == "1") ? "watch" : "list";
  }
  if (method == "POST" && !named && t.subresource.empty()) {
    if (t.resource.namespaced && t.ns.empty()) throw method_not_allowed();
    return "create";
  }
  if (method == "PUT" && named) return "update";
  if (method == "PATCH" && named) return "patch";
  if (method == "DELETE" && named && t.subresource.empty()) return "delete";
  if (method == "DELETE" && !named) return "deletecollection";
  throw method_not_allowed();
}

json::object Api::control(const json::object& request) {
  static const std::set<std::string, std::less<>> known = {
      "reset", "throttle", "fail", "delay", "expireContinue", "unreadable",
      "crdEstablishDelayMilliseconds", "namespaceDeleteDelayMilliseconds", "token",
      "endWatches", "compactWatchHistory", "bookmark", "csi", "connectionReset", "expireWatches",
      "crdNeverEstablished"};
  for (const auto& [k, v] : request)
    if (!known.contains(k)) throw invalid_input("control: unknown key \"" + std::string(k) + "\"");
  if (auto it = request.find("csi"); it != request.end()) {
    if (!it->value().is_object()) throw invalid_input("control: csi: expected an object");
    csi_control(it->value().get_object());
  }
  json::object without_csi = request;
  without_csi.erase("csi");
  faults_.configure(without_csi);
  auto flag = [&](std::string_view key) {
    auto it = request.find(key);
    return it != request.end() && it->value().is_bool() && it->value().get_bool();
  };
  // expireWatches: true (every watch) or a group-resource ("configmaps", "deployments.apps").
  std::optional<std::string> expire_table;
  if (auto it = request.find("expireWatches"); it != request.end()) {
    if (it->value().is_bool()) {
      if (it->value().get_bool()) expire_table = "";
    } else if (it->value().is_string()) {
      const std::string gr(it->value().get_string());
      const auto dot = gr.find('.');
      expire_table = dot == std::string::npos ? "/" + gr : gr.substr(dot + 1) + "/" + gr.substr(0, dot);
    } else if (!it->value().is_null()) {
      throw invalid_input("control: expireWatches: expected a boolean or a group-resource");
    }
  }
  if (flag("compactWatchHistory") || flag("bookmark") || flag("endWatches") || expire_table) {
    std::unique_lock lock(store_.mutex);
    if (flag("compactWatchHistory")) store_.compact_history();
    if (flag("bookmark")) store_.send_bookmarks();
    if (expire_table) store_.expire_watchers(*expire_table);
    if (flag("endWatches")) store_.remove_all_watchers();
  }
  // crdNeverEstablished: true holds new CRDs at NamesAccepted without Established; clearing it
  // (false, null or reset) establishes the CRDs it held, as a recovered API server would.
  bool release_crds = false;
  if (auto it = request.find("crdNeverEstablished"); it != request.end()) {
    if (!it->value().is_bool() && !it->value().is_null())
      throw invalid_input("control: crdNeverEstablished: expected a boolean or null");
    const bool on = it->value().is_bool() && it->value().get_bool();
    std::lock_guard lock(settings_mutex_);
    release_crds = crd_hold_ && !on;
    crd_hold_ = on;
  }
  if (flag("reset")) {
    std::lock_guard lock(settings_mutex_);
    release_crds |= crd_hold_;
    crd_hold_ = false;
  }
  if (release_crds) establish_held_crds();
  std::lock_guard lock(settings_mutex_);
  if (auto it = request.find("reset"); it != request.end() && it->value().is_bool() && it->value().get_bool()) {
    crd_delay_ = options_.crd_establish_delay;
    namespace_delay_ = options_.namespace_delete_delay;
    token_ = options_.token;
  }
  if (auto it = request.find("crdEstablishDelayMilliseconds"); it != request.end())
    crd_delay_ = std::chrono::milliseconds(int_setting(it->value(), "crdEstablishDelayMilliseconds"));
  if (auto it = request.find("namespaceDeleteDelayMilliseconds"); it != request.end())
    namespace_delay_ = std::chrono::milliseconds(int_setting(it->value(), "namespaceDeleteDelayMilliseconds"));
  if (auto it = request.find("token"); it != request.end()) {
    if (it->value().is_null()) token_.clear();
    else if (it->value().is_string()) token_ = std::string(it->value().get_string());
    else throw invalid_input("control: token: expected string or null");
  }
  json::object state = faults_.state();
  state["crdEstablishDelayMilliseconds"] = crd_delay_.count();
  state["namespaceDeleteDelayMilliseconds"] = namespace_delay_.count();
  state["tokenRequired"] = !token_.empty();
  state["crdNeverEstablished"] = crd_hold_;
  return state;
}

json::object Api::control_state() const {
  json::object state = faults_.state();
  {
    std::lock_guard lock(settings_mutex_);
    state["crdEstablishDelayMilliseconds"] = crd_delay_.count();
    state["namespaceDeleteDelayMilliseconds"] = namespace_delay_.count();
    state["tokenRequired"] = !token_.empty();
    state["crdNeverEstablished"] = crd_hold_;
  }
  std::shared_lock lock(store_.mutex);
  state["resourceVersion"] = std::to_string(store_.current_rv());
  state["watchers"] = store_.watcher_count();
  json::object counts;
  for (const std::string& table : store_.table_names())
    if (const Table* t = store_.find_table(table); t && !t->objects.empty()) counts[table] = t->objects.size();
  state["objects"] = std::move(counts);
  return state;
}

std::vector<RequestRecord> Api::requests(bool clear) {
  std::lock_guard lock(log_mutex_);
  std::vector<RequestRecord> out(log_.begin(), log_.end());
  if (clear) log_.clear();
  return out;
}

void Api::end_all_watches() {
  std::unique_lock lock(store_.mutex);
  store_.remove_all_watchers();
}

void Api::end_watch(std::uint64_t id) {
  std::unique_lock lock(store_.mutex);
  store_.remove_watcher(id);
}

}  // namespace vbackup::kubetest
