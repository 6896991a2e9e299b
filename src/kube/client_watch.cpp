// KubeClient::watch: one watch request, events streamed until the server ends it or the caller stops.
#include "kube/client_impl.hpp"

namespace vbackup::kube {

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

}  // namespace vbackup::kube
