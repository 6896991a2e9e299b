// The REST client over the project's HTTP client: authentication per request (static token, token
// file re-read every minute, exec plugin credentials cached until they expire, basic auth,
// impersonation), pacing (token bucket, requests in flight), Status errors, paged LIST and CRUD.
// Watch is in client_watch.cpp, discovery in client_discovery.cpp; the state they share in client_impl.hpp.
#include "kube/client_impl.hpp"

#include <boost/json/monotonic_resource.hpp>

namespace vbackup::kube {
namespace {

// The storage key order of an object (etcd keys are <prefix>/<namespace>/<name>), which LIST follows.
std::string item_key(const json::object& item) {
  std::string_view ns = json::metadata_string(item, "namespace");
  std::string_view name = json::metadata_string(item, "name");
  return ns.empty() ? std::string(name) : std::string(ns) + "/" + std::string(name);
}

}  // namespace


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

std::string_view content_type(PatchType type) noexcept {
  return type == PatchType::merge ? "application/merge-patch+json" : "application/json-patch+json";
}

json::object KubeClient::patch(const ApiResource& resource, std::string_view ns, std::string_view name, PatchType type,
                               std::string_view patch) {
  return impl_->call_object("PATCH", path(resource, ns, name), std::string(patch), content_type(type));
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

}  // namespace vbackup::kube
