// The read verbs on resources: get, list (paged with limit/continue, label and field selectors) and
// watch.
#include "kube_server/api.hpp"
#include "kube_server/handlers.hpp"
#include "kube_server/objects.hpp"
#include "kube_server/util.hpp"

#include <charconv>
#include <mutex>
#include <shared_mutex>

namespace vbackup::kubetest {

namespace {

std::uint64_t parse_uint(std::string_view text, const char* what) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size())
    throw bad_request(std::string(what) + ": invalid value \"" + std::string(text) + "\"");
  return v;
}

struct ContinueToken {
  std::uint64_t rv = 0;
  std::string start;  // the last key returned; the next page starts after it
  std::uint64_t position = 0, mutations = 0;
};

// Shaped like the API server's token (base64url of {"v":"meta.k8s.io/v1","rv":N,"start":"key\u0000"});
// "pos" and "m" let the next page count remainingItemCount without walking the table.
std::string encode_continue(const ContinueToken& t) {
  json::object o{{"v", "meta.k8s.io/v1"}, {"rv", t.rv}, {"start", t.start + std::string(1, '\0')},
                 {"pos", t.position}, {"m", t.mutations}};
  return base64_encode(json::marshal(o, {.sort_keys = false}), true);
}

ContinueToken decode_continue(const std::string& text) {
  std::string raw;
  if (!base64_decode(text, raw, true)) throw bad_request("continue key is not valid: illegal base64 data");
  ContinueToken t;
  try {
    json::value v = json::parse(raw, "continue key");
    const json::object& o = v.as_object();
    if (json::get_string(o, "v") != "meta.k8s.io/v1") throw bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
    t.rv = o.at("rv").to_number<std::uint64_t>();
    std::string start(json::get_string(o, "start"));
    if (start.empty() || start.back() != '\0') throw bad_request("continue key is not valid: malformed start key");
    start.pop_back();
    t.start = std::move(start);
    if (auto it = o.find("pos"); it != o.end()) t.position = it->value().to_number<std::uint64_t>();
    if (auto it = o.find("m"); it != o.end()) t.mutations = it->value().to_number<std::uint64_t>();
  } catch (const StatusError&) {
    throw;
  } catch (const std::exception& e) {
    throw bad_request(std::string("continue key is not valid: ") + e.what());
  }
  return t;
}

}  // namespace

ApiResponse Api::get(const Target& t) {
  ObjectPtr o;
  {
    std::shared_lock lock(store_.mutex);
    o = store_.find(t.table, t.ns, t.name);
  }
  if (!o) throw not_found(t.rname(), t.name);
  return object_response(o, t.api_version(), t.resource.kind, 200);
}

ApiResponse Api::list(const Target& t, const Query& query) {
  const labels::Selector selector = label_selector(query);
  const FieldSelector fields =
      parse_field_selector(query.contains("fieldSelector") ? query.at("fieldSelector") : std::string(), t.table);
  const bool filtered = !selector.empty() || !fields.terms.empty();
  std::uint64_t limit = 0;
  if (auto it = query.find("limit"); it != query.end() && !it->second.empty()) limit = parse_uint(it->second, "limit");
  std::optional<ContinueToken> token;
  if (auto it = query.find("continue"); it != query.end() && !it->second.empty()) token = decode_continue(it->second);

  std::vector<ObjectPtr> page;
  std::optional<ContinueToken> next;
  std::optional<std::uint64_t> remaining;
  std::uint64_t rv = 0;
  {
    std::shared_lock lock(store_.mutex);
    rv = token ? token->rv : store_.current_rv();
    if (const Table* table = store_.find_table(t.table)) {
      const std::string prefix = t.ns.empty() ? std::string() : t.ns + "/";
      auto it = token ? table->objects.upper_bound(token->start) : table->objects.lower_bound(prefix);
      if (token && !prefix.empty() && it != table->objects.end() && it->first < prefix) it = table->objects.lower_bound(prefix);
      const auto first = it;
      std::uint64_t scanned = 0;
      bool more = false;
      std::string last;
      for (; it != table->objects.end() && (prefix.empty() || std::string_view(it->first).starts_with(prefix)); ++it) {
        if (limit && page.size() == limit) {
          more = true;
          break;
        }
        ++scanned;
        const StoredObject& o = *it->second;
        if (filtered && !((selector.empty() || selector.matches(o.labels)) && fields.matches(o))) continue;
        page.push_back(it->second);
        last = it->first;
      }
      if (more) {
        std::uint64_t before = 0;
        if (token && token->mutations == table->mutations) {
          before = token->position;
        } else if (token) {
          auto from = prefix.empty() ? table->objects.begin() : table->objects.lower_bound(prefix);
          before = static_cast<std::uint64_t>(std::distance(from, first));
        }
        next = ContinueToken{rv, last, before + scanned, table->mutations};
        if (!filtered) {
          std::uint64_t total = table->objects.size();
          if (!prefix.empty()) {
            auto c = table->per_namespace.find(t.ns);
            total = c == table->per_namespace.end() ? 0 : c->second;
          }
          remaining = total - std::min(total, before + scanned);
        }
      }
    }
  }

  ApiResponse r;
  std::size_t size = 128;
  for (const ObjectPtr& o : page) size += o->members.size() + 2;
  if (t.custom) size += page.size() * (t.api_version().size() + t.resource.kind.size() + 32);
  r.body.reserve(size);
  r.body += "{\"kind\":\"";
  r.body += t.resource.kind;
  r.body += "List\",\"apiVersion\":\"";
  r.body += t.api_version();
  r.body += "\",\"metadata\":{\"resourceVersion\":\"";
  r.body += std::to_string(rv);
  r.body += '"';
  if (next) {
    r.body += ",\"continue\":\"";
    r.body += encode_continue(*next);
    r.body += '"';
    if (remaining) {
      r.body += ",\"remainingItemCount\":";
      r.body += std::to_string(*remaining);
    }
  }
  r.body += "},\"items\":[";
  // Items of a built-in type's list carry no apiVersion and kind (typed lists); custom resources
  // are unstructured and keep theirs.
  const std::string item_kind = t.custom ? t.resource.kind : std::string();
  for (std::size_t i = 0; i < page.size(); ++i) {
    if (i) r.body += ',';
    append_json(r.body, *page[i], t.api_version(), item_kind);
  }
  r.body += "]}";
  return r;
}

ApiResponse Api::watch(const ApiRequest& request, const Target& t, const Query& query) {
  if (!request.make_watch_sink) throw bad_request("watch is not available on this connection");
  WatchSpec spec;
  spec.table = t.table;
  spec.ns = t.ns;
  spec.labels = label_selector(query);
  spec.fields = parse_field_selector(query.contains("fieldSelector") ? query.at("fieldSelector") : std::string(), t.table);
  spec.api_version = t.api_version();
  spec.kind = t.resource.kind;
  if (auto it = query.find("allowWatchBookmarks"); it != query.end()) spec.bookmarks = it->second == "true";
  std::optional<std::uint64_t> from;
  if (auto it = query.find("resourceVersion"); it != query.end() && !it->second.empty() && it->second != "0")
    from = parse_uint(it->second, "resourceVersion");
  ApiResponse r;
  if (auto it = query.find("timeoutSeconds"); it != query.end() && !it->second.empty())
    r.watch_timeout = std::chrono::seconds(parse_uint(it->second, "timeoutSeconds"));
  spec.sink = request.make_watch_sink();
  try {
    std::unique_lock lock(store_.mutex);
    r.watch_id = store_.add_watcher(std::move(spec), from);
  } catch (const StatusError& e) {
    // A watch that cannot start still answers 200, with one ERROR event carrying the Status.
    r.watch_id = 0;
    r.body = "{\"type\":\"ERROR\",\"object\":" + e.body() + "}\n";
  }
  return r;
}

}  // namespace vbackup::kubetest
