// The REST client over the project's HTTP client: authentication per request (static token, token
// file re-read every minute, exec plugin credentials cached until they expire, basic auth,
// impersonation), pacing (token bucket, requests in flight), Status errors, paged LIST, CRUD and
// discovery.
#include "core/percent.hpp"
#include "core/strings.hpp"
#include "http/client.hpp"
#include "kube/internal.hpp"
#include "core/encoding.hpp"
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup_version.h"

#include <boost/json/monotonic_resource.hpp>

#include <atomic>
#include <cctype>
#include <future>
#include <mutex>
#include <thread>

namespace vbackup::kube {
namespace {

using steady = std::chrono::steady_clock;

bool looks_like_tls(std::string_view message) {
  std::string lower;
  for (char c : message) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (std::string_view w : {"tls", "ssl", "certificate", "handshake", "x509"}) {
    if (lower.find(w) != std::string::npos) return true;
  }
  return false;
}

std::string enc(std::string_view s) { return percent_encode(s); }

// The storage key order of an object (etcd keys are <prefix>/<namespace>/<name>), which LIST follows.
std::string item_key(const json::object& item) {
  std::string_view ns = json::metadata_string(item, "namespace");
  std::string_view name = json::metadata_string(item, "name");
  return ns.empty() ? std::string(name) : std::string(ns) + "/" + std::string(name);
}

}  // namespace

struct KubeClient::Impl {
  RestConfig config;
  TokenBucket bucket;
  InFlightLimit in_flight;

  std::mutex http_mutex;
  std::shared_ptr<http::Client> http;
  std::string http_cert;  // the client certificate the current http client presents

  std::mutex auth_mutex;
  std::shared_ptr<const ExecCredential> exec_cred;
  std::atomic<int> exec_runs{0};
  std::string file_token;
  steady::time_point file_token_read{};

  std::mutex discovery_mutex;
  std::vector<std::unique_ptr<Discovery>> discoveries;  // older ones kept: references stay valid
  std::vector<std::string> discovery_warnings;

  explicit Impl(RestConfig c)
      : config(std::move(c)), bucket(config.qps, config.burst), in_flight(config.max_in_flight) {
    if (config.server.empty()) throw invalid_input(config.source + ": no server");
    try {
      http::Url::parse(config.server + "/");
    } catch (const Error& e) {
      throw invalid_input(config.source + ": server " + config.server + ": not a valid URL");
    }
    while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
    if (config.user_agent.empty()) config.user_agent = std::string("libvbackup/") + VBACKUP_VERSION;
    file_token = config.bearer_token;
    file_token_read = steady::now();
    http = make_http(config.client_cert_pem, config.client_key_pem);
    http_cert = config.client_cert_pem;
  }

  std::shared_ptr<http::Client> make_http(const std::string& cert, const std::string& key) const {
    http::ClientOptions o;
    o.tls.verify = !config.insecure_skip_tls_verify;
    o.tls.ca_pem = config.ca_pem;
    // A cluster's certificate-authority is the only trusted root, as in client-go.
    o.tls.trust_system_store = config.ca_pem.empty();
    o.tls.client_cert_pem = cert;
    o.tls.client_key_pem = key;
    o.tls.server_name = config.tls_server_name;
    // The request timeout bounds a request and its retries (client-go: one context for both);
    // io_timeout bounds each wait for a byte, at most a minute.
    o.request_timeout = config.timeout;
    o.io_timeout = config.timeout.count() > 0 ? std::min(config.timeout, std::chrono::milliseconds(60000))
                                              : std::chrono::milliseconds(60000);
    if (config.notice) {
      o.on_wait = [notice = config.notice, server = "the Kubernetes API server " + config.server](
                      const http::WaitNotice& w) { notice(http::wait_line(server, w)); };
    }
    o.max_connections_per_origin = std::max<std::size_t>(1, config.max_in_flight);
    o.user_agent = config.user_agent;
    o.accept_gzip = !config.disable_compression;
    o.log = config.log;
    // client-go retries 429, and 5xx answers that carry Retry-After, whatever the verb: the server
    // did not act on them. (The HTTP layer already retries 429 and 5xx for idempotent requests.)
    o.retry.retry_response = [](const http::Response& r) {
      return r.status == 429 || (r.status >= 500 && r.headers.get("Retry-After").has_value());
    };
    return std::make_shared<http::Client>(std::move(o));
  }

  // The exec credential to use now: the cached one while it is valid, else a fresh run.
  std::shared_ptr<const ExecCredential> exec_credential() {
    std::lock_guard lock(auth_mutex);
    if (exec_cred && exec_cred->valid_at(std::chrono::system_clock::now())) return exec_cred;
    auto cred = std::make_shared<ExecCredential>(run_exec_plugin(*config.exec, config, std::chrono::seconds(60)));
    ++exec_runs;
    exec_cred = cred;
    return cred;
  }

  // After a 401: forget the credential that was refused, unless another thread already replaced it.
  void drop_exec_credential(const std::shared_ptr<const ExecCredential>& used) {
    std::lock_guard lock(auth_mutex);
    if (exec_cred == used) exec_cred.reset();
  }

  // client-go's cachingTokenSource over a token file: re-read when older than a minute.
  std::string token_from_file() {
    std::lock_guard lock(auth_mutex);
    if (steady::now() - file_token_read > std::chrono::minutes(1)) {
      try {
        file_token = trim_space(read_small_file(config.bearer_token_file, config.source + ": token file", 1 << 20));
      } catch (const Error&) {
        // Keep the last good token, as client-go does when a re-read fails.
      }
      file_token_read = steady::now();
    }
    return file_token;
  }

  // After a 401: read the token file now; true when it holds another token than the one in use.
  bool reread_token_file() {
    std::lock_guard lock(auth_mutex);
    std::string before = file_token;
    try {
      file_token = trim_space(read_small_file(config.bearer_token_file, config.source + ": token file", 1 << 20));
    } catch (const Error&) {
      return false;
    }
    file_token_read = steady::now();
    return file_token != before;
  }

  std::shared_ptr<http::Client> http_for(const ExecCredential* cred) {
    std::lock_guard lock(http_mutex);
    if (cred && !cred->client_cert_pem.empty() && cred->client_cert_pem != http_cert) {
      http = make_http(cred->client_cert_pem, cred->client_key_pem);
      http_cert = cred->client_cert_pem;
    }
    return http;
  }

  struct Sent {
    http::Response response;
    std::string url;
  };

  // stream: when set, the body is not read but handed over as a stream (a watch).
  Sent send(std::string_view method, std::string_view path_and_query, const std::string& body,
            std::string_view content_type, std::size_t limit, std::string_view accept = "application/json",
            std::unique_ptr<http::ResponseStream>* stream = nullptr) {
    const std::string url = config.server + std::string(path_and_query);
    bool retried_unauthorized = false;
    while (true) {
      bucket.acquire();
      InFlightLimit::Slot slot(in_flight);
      std::shared_ptr<const ExecCredential> cred;
      http::Request req;
      req.method = std::string(method);
      req.url = url;
      req.idempotent = method == "GET" || method == "PUT" || method == "DELETE" || method == "HEAD";
      req.headers.set("Accept", std::string(accept));
      if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        req.body = body;
        req.headers.set("Content-Type", content_type.empty() ? std::string("application/json") : std::string(content_type));
      }
      if (config.exec) {
        cred = exec_credential();
        if (!cred->token.empty()) req.headers.set("Authorization", "Bearer " + cred->token);
      } else if (!config.bearer_token_file.empty()) {
        req.headers.set("Authorization", "Bearer " + token_from_file());
      } else if (!config.bearer_token.empty()) {
        req.headers.set("Authorization", "Bearer " + config.bearer_token);
      } else if (!config.username.empty() || !config.password.empty()) {
        req.headers.set("Authorization", "Basic " + base64_encode(config.username + ":" + config.password));
      }
      if (!config.impersonate.empty()) {
        req.headers.set("Impersonate-User", config.impersonate);
        if (!config.impersonate_uid.empty()) req.headers.set("Impersonate-Uid", config.impersonate_uid);
        for (const auto& g : config.impersonate_groups) req.headers.add("Impersonate-Group", g);
        for (const auto& [k, vs] : config.impersonate_extra) {
          for (const auto& v : vs) req.headers.add("Impersonate-Extra-" + enc(k), v);
        }
      }
      auto client = http_for(cred.get());
      http::Response resp;
      try {
        if (stream) {
          *stream = client->open(std::move(req));
          resp = (*stream)->response();
        } else {
          resp = client->send(std::move(req), limit);
        }
      } catch (const Error& e) {
        std::string msg = "cannot reach the Kubernetes API server " + config.server + " (" + config.source + "): " + e.what();
        if (looks_like_tls(e.what())) {
          msg += "; the server certificate was checked against " +
                 (config.insecure_skip_tls_verify ? std::string("nothing (insecure-skip-tls-verify)") : config.ca_origin);
          if (!config.tls_server_name.empty()) msg += " for the name " + config.tls_server_name;
        }
        throw KubeError(ErrorCode::kube, msg, 0, Reason::unknown, "");
      }
      if (resp.status == 401 && !retried_unauthorized) {
        // An expired or rotated credential: run the plugin again (or re-read the token file) once.
        if (config.exec) {
          drop_exec_credential(cred);
          retried_unauthorized = true;
          continue;
        }
        if (!config.bearer_token_file.empty() && reread_token_file()) {
          retried_unauthorized = true;
          continue;
        }
      }
      return {std::move(resp), url};
    }
  }

  http::Response call(std::string_view method, std::string_view path_and_query, const std::string& body = {},
                      std::string_view content_type = {}, std::size_t limit = 256u << 20,
                      std::string_view accept = "application/json") {
    Sent s = send(method, path_and_query, body, content_type, limit, accept);
    if (s.response.status < 200 || s.response.status > 299) {
      throw error_from_response(std::string(method) + " " + s.url, s.response.status, s.response.body,
                                s.response.headers.get("Retry-After").value_or(""));
    }
    return std::move(s.response);
  }

  json::value call_json(std::string_view method, std::string_view path_and_query, const std::string& body = {},
                        std::string_view content_type = {}, std::string_view accept = "application/json",
                        boost::json::storage_ptr storage = {}) {
    http::Response r = call(method, path_and_query, body, content_type, 256u << 20, accept);
    try {
      return json::parse(r.body, std::string(method) + " " + config.server + std::string(path_and_query),
                         std::move(storage));
    } catch (const Error& e) {
      throw Error(ErrorCode::kube, e.what());
    }
  }

  json::object call_object(std::string_view method, std::string_view path_and_query, const std::string& body = {},
                           std::string_view content_type = {}) {
    json::value v = call_json(method, path_and_query, body, content_type);
    if (!v.is_object()) {
      throw Error(ErrorCode::kube, std::string(method) + " " + config.server + std::string(path_and_query) +
                                       ": the answer is not a JSON object");
    }
    return std::move(v.get_object());
  }

  std::unique_ptr<Discovery> fetch_discovery(std::vector<std::string>& warnings);
  std::unique_ptr<Discovery> fetch_aggregated(const json::value& api, std::vector<std::string>& warnings);
};

// ---------------------------------------------------------------------------------------------

KubeClient::KubeClient(RestConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
KubeClient::~KubeClient() = default;

const RestConfig& KubeClient::config() const { return impl_->config; }
int KubeClient::exec_runs() const { return impl_->exec_runs.load(); }

ServerVersion KubeClient::version() {
  json::object o = impl_->call_object("GET", "/version");
  ServerVersion v;
  v.git_version = std::string(json::get_string(o, "gitVersion"));
  v.major = std::string(json::get_string(o, "major"));
  v.minor = std::string(json::get_string(o, "minor"));
  return v;
}

std::string KubeClient::path(const ApiResource& resource, std::string_view ns, std::string_view name) {
  std::string p = resource.group.empty() ? "/api/" + resource.version
                                         : "/apis/" + resource.group + "/" + resource.version;
  if (resource.namespaced && !ns.empty()) p += "/namespaces/" + enc(ns);
  std::string_view plural = resource.name, sub;
  if (auto slash = plural.find('/'); slash != std::string_view::npos) {
    sub = plural.substr(slash + 1);
    plural = plural.substr(0, slash);
  }
  p += "/" + std::string(plural);
  if (!name.empty()) p += "/" + enc(name);
  if (!sub.empty()) p += "/" + std::string(sub);
  return p;
}

std::string KubeClient::list(const ApiResource& resource, const ListOptions& options,
                             const std::function<void(json::object&&)>& on_item) {
  const std::string base = path(resource, options.namespace_);
  auto fetch = [this, &base, &options](std::string cont) {
    std::string q;
    auto add = [&](std::string_view k, std::string_view v) { q += (q.empty() ? "?" : "&") + std::string(k) + "=" + enc(v); };
    if (options.page_size > 0) add("limit", std::to_string(options.page_size));
    if (!options.label_selector.empty()) add("labelSelector", options.label_selector);
    if (!cont.empty()) add("continue", cont);
    // A page lives in one monotonic arena: parsing is bump allocation, and the arena goes in one
    // free when the page's last object is gone.
    return impl_->call_json("GET", base + q, {}, {}, "application/json",
                            boost::json::make_shared_resource<boost::json::monotonic_resource>());
  };
  std::string cont, resource_version;
  std::optional<std::string> last_key;  // of the last item delivered
  std::optional<std::string> skip_upto;  // after a restart: items up to here were delivered
  bool ordered = true;
  int restarts = 0;
  // The next page is fetched on another thread while the items of this one are handed over, so the
  // network and the caller's work overlap; at most two pages are held at once.
  std::future<json::value> next = std::async(std::launch::async, fetch, std::string());
  while (true) {
    json::value page;
    try {
      page = next.get();
    } catch (const KubeError& e) {
      bool expired = e.http_status() == 410 && !cont.empty();
      if (!expired || !ordered || restarts >= 3) throw;
      // The continue token expired: start over, skipping what the caller already has.
      ++restarts;
      cont.clear();
      skip_upto = last_key;
      next = std::async(std::launch::async, fetch, std::string());
      continue;
    }
    if (!page.is_object()) throw Error(ErrorCode::kube, "GET " + impl_->config.server + base + ": the answer is not a list");
    json::object& list = page.get_object();
    std::string list_kind(json::get_string(list, "kind"));
    std::string api_version(json::get_string(list, "apiVersion"));
    std::string kind = list_kind.size() > 4 && list_kind.ends_with("List") ? list_kind.substr(0, list_kind.size() - 4)
                                                                            : resource.kind;
    if (api_version.empty()) api_version = resource.group_version();
    if (const json::object* meta = json::find_object(list, "metadata")) {
      cont = std::string(json::get_string(*meta, "continue"));
      resource_version = std::string(json::get_string(*meta, "resourceVersion"));
    } else {
      cont.clear();
    }
    if (!cont.empty()) next = std::async(std::launch::async, fetch, cont);
    if (auto it = list.find("items"); it != list.end() && it->value().is_array()) {
      for (auto& item : it->value().get_array()) {
        if (!item.is_object()) continue;
        json::object& obj = item.get_object();
        std::string key = item_key(obj);
        if (skip_upto && key <= *skip_upto) continue;
        if (last_key && key <= *last_key) ordered = false;
        last_key = key;
        // client-go's unstructured list decoding: typed lists leave apiVersion and kind out of items.
        if (!obj.contains("kind")) obj["kind"] = kind;
        if (!obj.contains("apiVersion")) obj["apiVersion"] = api_version;
        on_item(std::move(obj));
      }
    }
    if (cont.empty()) return resource_version;
  }
}

std::optional<std::int64_t> KubeClient::count(const ApiResource& resource, const ListOptions& options) {
  std::string q = "?limit=1";
  if (!options.label_selector.empty()) q += "&labelSelector=" + enc(options.label_selector);
  json::value page = impl_->call_json("GET", path(resource, options.namespace_) + q);
  const json::object* list = page.if_object();
  if (!list) return std::nullopt;
  const json::array* items = json::find_array(*list, "items");
  auto n = static_cast<std::int64_t>(items ? items->size() : 0);
  const json::object* meta = json::find_object(*list, "metadata");
  if (!meta || json::get_string(*meta, "continue").empty()) return n;  // everything came in this page
  auto it = meta->find("remainingItemCount");
  if (it == meta->end() || !it->value().is_int64()) return std::nullopt;
  return n + it->value().get_int64();
}

json::object KubeClient::get(const ApiResource& resource, std::string_view ns, std::string_view name) {
  return impl_->call_object("GET", path(resource, ns, name));
}

std::optional<json::object> KubeClient::try_get(const ApiResource& resource, std::string_view ns, std::string_view name) {
  try {
    return get(resource, ns, name);
  } catch (const KubeError& e) {
    if (e.reason() == Reason::not_found) return std::nullopt;
    throw;
  }
}

json::object KubeClient::create(const ApiResource& resource, const json::object& object, std::string_view ns) {
  std::string_view target_ns = ns.empty() ? json::metadata_string(object, "namespace") : ns;
  return impl_->call_object("POST", path(resource, target_ns), json::marshal(object), "application/json");
}

json::object KubeClient::update(const ApiResource& resource, const json::object& object, std::string_view ns) {
  std::string_view name = json::metadata_string(object, "name");
  if (name.empty()) throw invalid_input("update " + resource.group_resource() + ": the object has no metadata.name");
  std::string_view target_ns = ns.empty() ? json::metadata_string(object, "namespace") : ns;
  return impl_->call_object("PUT", path(resource, target_ns, name), json::marshal(object), "application/json");
}

json::object KubeClient::patch(const ApiResource& resource, std::string_view ns, std::string_view name, PatchType type,
                               std::string_view patch) {
  std::string_view ct = type == PatchType::merge ? "application/merge-patch+json" : "application/json-patch+json";
  return impl_->call_object("PATCH", path(resource, ns, name), std::string(patch), ct);
}

json::object KubeClient::remove(const ApiResource& resource, std::string_view ns, std::string_view name,
                                const DeleteOptions& options) {
  std::string body;
  if (!options.propagation_policy.empty() || options.grace_period_seconds) {
    json::object o;
    o["kind"] = "DeleteOptions";
    o["apiVersion"] = "v1";
    if (options.grace_period_seconds) o["gracePeriodSeconds"] = *options.grace_period_seconds;
    if (!options.propagation_policy.empty()) o["propagationPolicy"] = options.propagation_policy;
    body = json::marshal(o, {.sort_keys = false});
  }
  return impl_->call_object("DELETE", path(resource, ns, name), body, body.empty() ? "" : "application/json");
}

RawResponse KubeClient::request(std::string_view method, std::string_view path_and_query, std::string body,
                                std::string_view content_type, bool return_errors) {
  RawResponse out;
  if (return_errors) {
    auto sent = impl_->send(method, path_and_query, body, content_type, 256u << 20);
    out.status = sent.response.status;
    out.body = std::move(sent.response.body);
    out.content_type = sent.response.headers.get("Content-Type").value_or("");
    return out;
  }
  http::Response r = impl_->call(method, path_and_query, body, content_type);
  out.status = r.status;
  out.body = std::move(r.body);
  out.content_type = r.headers.get("Content-Type").value_or("");
  return out;
}

bool KubeClient::watch(const ApiResource& resource, const WatchOptions& options,
                       const std::function<bool(WatchEvent&&)>& on_event) {
  std::string q = "?watch=1";
  auto add = [&](std::string_view k, std::string_view v) { q += "&" + std::string(k) + "=" + enc(v); };
  if (!options.resource_version.empty()) add("resourceVersion", options.resource_version);
  if (options.allow_watch_bookmarks) add("allowWatchBookmarks", "true");
  if (!options.label_selector.empty()) add("labelSelector", options.label_selector);
  if (options.timeout.count() > 0) add("timeoutSeconds", std::to_string(options.timeout.count()));
  const std::string target = path(resource, options.namespace_) + q;
  const std::string what = "WATCH " + impl_->config.server + target;
  std::unique_ptr<http::ResponseStream> stream;
  auto sent = impl_->send("GET", target, {}, {}, 0, "application/json", &stream);
  if (sent.response.status < 200 || sent.response.status > 299) {
    throw error_from_response("GET " + sent.url, sent.response.status, sent.response.body,
                              sent.response.headers.get("Retry-After").value_or(""));
  }
  // One JSON object per line (the API server's streaming JSON framing); a line is one object, so
  // memory is bounded by the largest object.
  constexpr std::size_t kMaxLine = 256u << 20;
  std::string buffer;
  char chunk[64 * 1024];
  auto deliver = [&](std::string_view line) -> bool {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return true;
    json::value v;
    try {
      v = json::parse(line, what);
    } catch (const Error& e) {
      throw Error(ErrorCode::kube, e.what());
    }
    json::object* event = v.if_object();
    json::object* object = event && event->contains("object") ? (*event)["object"].if_object() : nullptr;
    if (!object) throw Error(ErrorCode::kube, what + ": an event without an object");
    std::string type(json::get_string(*event, "type"));
    if (type == "ERROR") {
      std::int64_t code = 500;
      if (auto c = object->find("code"); c != object->end() && c->value().is_int64()) code = c->value().get_int64();
      throw error_from_response(what, static_cast<int>(code), json::marshal(*object), "");
    }
    if (!object->contains("kind")) (*object)["kind"] = resource.kind;
    if (!object->contains("apiVersion")) (*object)["apiVersion"] = resource.group_version();
    return on_event(WatchEvent{std::move(type), std::move(*object)});
  };
  while (true) {
    std::size_t n = 0;
    try {
      n = stream->read(chunk, sizeof chunk);
    } catch (const Error&) {
      return true;  // the connection dropped or went quiet: the watch is over, the caller resumes
    }
    if (n == 0) return buffer.empty() || deliver(buffer);
    std::size_t start = buffer.size();
    buffer.append(chunk, n);
    std::size_t from = 0;
    for (std::size_t nl = buffer.find('\n', start); nl != std::string::npos; nl = buffer.find('\n', from)) {
      if (!deliver(std::string_view(buffer).substr(from, nl - from))) return false;
      from = nl + 1;
    }
    buffer.erase(0, from);
    if (buffer.size() > kMaxLine) throw Error(ErrorCode::kube, what + ": an event larger than 256 MiB");
  }
}

// ---------------------------------------------------------------------------------------------
// Discovery

// What client-go asks for: aggregated discovery when the server has it, else the legacy documents.
constexpr std::string_view kDiscoveryAccept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

static bool is_aggregated(const json::value& doc) {
  return doc.is_object() && json::get_string(doc.get_object(), "kind") == "APIGroupDiscoveryList";
}

std::unique_ptr<Discovery> KubeClient::Impl::fetch_aggregated(const json::value& api, std::vector<std::string>& warnings) {
  const std::string server = config.server;
  json::value apis = call_json("GET", "/apis", {}, {}, kDiscoveryAccept);
  if (!is_aggregated(apis)) return nullptr;  // /api and /apis disagree: use the legacy documents
  auto d = std::make_unique<Discovery>();
  for (const json::value* doc : std::initializer_list<const json::value*>{&api, &apis}) {
    const std::string what = "discovery " + server + (doc == &api ? "/api" : "/apis");
    for (auto& ag : parse_aggregated_discovery(*doc, what, warnings)) {
      const std::string group = ag.group.name;
      d->add_group(std::move(ag.group));
      for (auto& [version, resources] : ag.versions) {
        d->add_resources(group.empty() ? version : group + "/" + version, std::move(resources));
      }
    }
  }
  return d;
}

std::unique_ptr<Discovery> KubeClient::Impl::fetch_discovery(std::vector<std::string>& warnings) {
  const std::string server = config.server;
  auto what = [&](const std::string& p) { return "discovery " + server + p; };
  json::value api = call_json("GET", "/api", {}, {}, kDiscoveryAccept);
  if (is_aggregated(api)) {
    if (auto d = fetch_aggregated(api, warnings)) {
      if (config.log) config.log("kube: discovery " + server + ": aggregated (apidiscovery.k8s.io/v2), " +
                                 std::to_string(d->groups().size()) + " groups");
      return d;
    }
    api = call_json("GET", "/api");
  }
  auto d = std::make_unique<Discovery>();
  std::vector<std::string> core = parse_api_versions(api, what("/api"));
  struct Pending {
    std::string group_version, path;
    std::vector<ApiResource> resources;
    std::string error;
  };
  std::vector<Pending> pending;
  if (!core.empty()) {
    d->add_group({"", core, core.front(), 0});
    for (const auto& v : core) pending.push_back({v, "/api/" + v, {}, {}});
  }
  for (auto& g : parse_api_group_list(call_json("GET", "/apis"), what("/apis"))) {
    for (const auto& v : g.versions) pending.push_back({g.name + "/" + v, "/apis/" + g.name + "/" + v, {}, {}});
    d->add_group(std::move(g));
  }
  // Group versions are fetched in parallel (client-go does too); failures become warnings.
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < pending.size(); i = next++) {
      Pending& p = pending[i];
      try {
        p.resources = parse_api_resource_list(call_json("GET", p.path), what(p.path));
      } catch (const Error& e) {
        p.error = e.what();
      }
    }
  };
  std::size_t threads = std::min<std::size_t>({pending.size(), std::max<std::size_t>(1, config.max_in_flight), 8});
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (auto& p : pending) {
    if (!p.error.empty()) {
      warnings.push_back("failed to discover group " + p.group_version + ": " + p.error);
      continue;
    }
    d->add_resources(p.group_version, std::move(p.resources));
  }
  if (config.log) config.log("kube: discovery " + server + ": legacy, " + std::to_string(d->groups().size()) + " groups, " +
                             std::to_string(pending.size()) + " group versions");
  return d;
}

const Discovery& KubeClient::discovery() {
  std::lock_guard lock(impl_->discovery_mutex);
  if (impl_->discoveries.empty()) {
    std::vector<std::string> warnings;
    impl_->discoveries.push_back(impl_->fetch_discovery(warnings));
    impl_->discovery_warnings = std::move(warnings);
  }
  return *impl_->discoveries.back();
}

const Discovery& KubeClient::refresh_discovery() {
  std::lock_guard lock(impl_->discovery_mutex);
  std::vector<std::string> warnings;
  impl_->discoveries.push_back(impl_->fetch_discovery(warnings));
  impl_->discovery_warnings = std::move(warnings);
  return *impl_->discoveries.back();
}

std::vector<std::string> KubeClient::discovery_warnings() {
  std::lock_guard lock(impl_->discovery_mutex);
  return impl_->discovery_warnings;
}

// ---------------------------------------------------------------------------------------------

void wait_for_crd_established(KubeClient& client, std::string_view name, std::chrono::milliseconds timeout) {
  ApiResource crds;
  crds.group = "apiextensions.k8s.io";
  crds.version = "v1";
  crds.name = "customresourcedefinitions";
  crds.kind = "CustomResourceDefinition";
  crds.namespaced = false;
  const auto deadline = steady::now() + timeout;
  std::string last_state = "not found";
  while (true) {
    if (auto crd = client.try_get(crds, "", name)) {
      last_state = "not Established";
      bool established = false;
      if (const json::object* status = json::find_object(*crd, "status")) {
        if (const json::array* conds = json::find_array(*status, "conditions")) {
          for (const auto& c : *conds) {
            if (c.is_object() && json::get_string(c.get_object(), "type") == "Established" &&
                json::get_string(c.get_object(), "status") == "True") {
              established = true;
            }
          }
        }
      }
      if (established) {
        // Established means served; discovery may still lag a moment behind.
        const json::object* spec = json::find_object(*crd, "spec");
        std::string group(spec ? json::get_string(*spec, "group") : "");
        std::string plural;
        if (spec) {
          if (const json::object* names = json::find_object(*spec, "names")) plural = std::string(json::get_string(*names, "plural"));
        }
        last_state = "Established but not yet in discovery";
        if (client.refresh_discovery().find(group, plural)) return;
      }
    }
    if (steady::now() >= deadline) {
      throw Error(ErrorCode::kube, "CustomResourceDefinition \"" + std::string(name) + "\" on " + client.config().server +
                                       ": " + last_state + " after " + std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace vbackup::kube
