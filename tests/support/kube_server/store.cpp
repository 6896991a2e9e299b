#include "kube_server/store.hpp"

#include "kube_server/status.hpp"

#include <algorithm>

namespace vbackup::kubetest {

namespace {

std::string scalar_text(const json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::string: return std::string(v.get_string());
    case boost::json::kind::bool_: return v.get_bool() ? "true" : "false";
    case boost::json::kind::int64: return std::to_string(v.get_int64());
    case boost::json::kind::uint64: return std::to_string(v.get_uint64());
    default: return {};
  }
}

const json::value* lookup(const json::object& o, std::string_view path) {
  const json::object* at = &o;
  while (true) {
    auto dot = path.find('.');
    auto it = at->find(path.substr(0, dot));
    if (it == at->end()) return nullptr;
    if (dot == std::string_view::npos) return &it->value();
    if (!it->value().is_object()) return nullptr;
    at = &it->value().get_object();
    path.remove_prefix(dot + 1);
  }
}

const char* event_name(EventType t) {
  switch (t) {
    case EventType::added: return "ADDED";
    case EventType::modified: return "MODIFIED";
    case EventType::deleted: return "DELETED";
  }
  return "";
}

}  // namespace

ObjectPtr make_stored(const json::object& object, const std::vector<std::string>& field_paths) {
  auto s = std::make_shared<StoredObject>();
  json::object copy = object;
  copy.erase("apiVersion");
  copy.erase("kind");
  std::string text = json::marshal(copy);
  s->members = text.substr(1, text.size() - 2);
  s->ns = std::string(json::metadata_string(object, "namespace"));
  s->name = std::string(json::metadata_string(object, "name"));
  s->uid = std::string(json::metadata_string(object, "uid"));
  const std::string rv(json::metadata_string(object, "resourceVersion"));
  s->rv = rv.empty() ? 0 : std::stoull(rv);
  if (const json::object* labels = json::metadata_map(object, "labels")) {
    for (const auto& [k, v] : *labels)
      if (v.is_string()) s->labels.emplace(std::string(k), std::string(v.get_string()));
  }
  if (const json::object* md = json::find_object(object, "metadata")) {
    if (const json::array* f = json::find_array(*md, "finalizers")) s->has_finalizers = !f->empty();
    if (auto it = md->find("deletionTimestamp"); it != md->end() && !it->value().is_null()) s->terminating = true;
  }
  for (const std::string& path : field_paths)
    if (const json::value* v = lookup(object, path)) s->fields.emplace(path, scalar_text(*v));
  return s;
}

void append_json(std::string& out, const StoredObject& stored, std::string_view api_version, std::string_view kind) {
  out += '{';
  if (!kind.empty()) {
    out += "\"apiVersion\":\"";
    out += api_version;
    out += "\",\"kind\":\"";
    out += kind;
    out += '"';
    if (!stored.members.empty()) out += ',';
  }
  out += stored.members;
  out += '}';
}

json::object to_object(const StoredObject& stored, std::string_view api_version, std::string_view kind) {
  std::string text;
  append_json(text, stored, api_version, kind);
  return std::move(json::parse(text, "stored object").get_object());
}

bool FieldSelector::matches(const StoredObject& o) const {
  for (const Term& t : terms) {
    std::string_view actual;
    if (t.path == "metadata.name") {
      actual = o.name;
    } else if (t.path == "metadata.namespace") {
      actual = o.ns;
    } else if (auto it = o.fields.find(t.path); it != o.fields.end()) {
      actual = it->second;
    }
    if ((actual == t.value) != t.equal) return false;
  }
  return true;
}

const Table* Store::find_table(const std::string& key) const {
  auto it = tables_.find(key);
  return it == tables_.end() ? nullptr : &it->second;
}

std::string object_key(std::string_view ns, std::string_view name) {
  std::string key;
  key.reserve(ns.size() + name.size() + 1);
  if (!ns.empty()) {
    key += ns;
    key += '/';
  }
  key += name;
  return key;
}

ObjectPtr Store::find(const std::string& table, const std::string& ns, const std::string& name) const {
  const Table* t = find_table(table);
  if (!t) return nullptr;
  auto it = t->objects.find(object_key(ns, name));
  return it == t->objects.end() ? nullptr : it->second;
}

void Store::drop_table(const std::string& key) { tables_.erase(key); }

std::vector<std::string> Store::table_names() const {
  std::vector<std::string> out;
  for (const auto& [k, t] : tables_) out.push_back(k);
  return out;
}

void Store::put(const std::string& table, ObjectPtr now, ObjectPtr before) {
  Table& t = tables_[table];
  auto& slot = t.objects[object_key(now->ns, now->name)];
  if (!slot) {
    ++t.mutations;
    ++t.per_namespace[now->ns];
  }
  slot = now;
  if (observer_) observer_(table, before.get(), now.get());
  record(Change{table, before ? EventType::modified : EventType::added, std::move(now), std::move(before)});
}

void Store::remove(const std::string& table, ObjectPtr final_state, ObjectPtr before) {
  Table& t = tables_[table];
  if (t.objects.erase(object_key(final_state->ns, final_state->name))) {
    ++t.mutations;
    if (--t.per_namespace[final_state->ns] == 0) t.per_namespace.erase(final_state->ns);
  }
  if (observer_) observer_(table, before ? before.get() : final_state.get(), nullptr);
  record(Change{table, EventType::deleted, std::move(final_state), std::move(before)});
}

void Store::record(Change change) {
  for (const auto& [id, w] : watchers_)
    if (w.table == change.table) deliver(w, change);
  if (history_limit_ == 0) return;
  history_.push_back(std::move(change));
  while (history_.size() > history_limit_) history_.pop_front();
}

bool Store::visible(const WatchSpec& w, const StoredObject* o) {
  if (!o) return false;
  if (!w.ns.empty() && o->ns != w.ns) return false;
  if (!w.labels.empty() && !w.labels.matches(o->labels)) return false;
  return w.fields.matches(*o);
}

void Store::deliver(const WatchSpec& w, const Change& c) {
  EventType type = c.type;
  if (type == EventType::deleted) {
    if (!visible(w, c.before ? c.before.get() : c.object.get())) return;
  } else {
    bool was = visible(w, c.before.get()), is = visible(w, c.object.get());
    if (!was && !is) return;
    if (!was) type = EventType::added;
    else if (!is) type = EventType::deleted;
  }
  std::string chunk = "{\"type\":\"";
  chunk += event_name(type);
  chunk += "\",\"object\":";
  append_json(chunk, *c.object, w.api_version, w.kind);
  chunk += "}\n";
  w.sink->push(std::move(chunk));
}

std::uint64_t Store::add_watcher(WatchSpec spec, std::optional<std::uint64_t> from_rv) {
  if (from_rv && *from_rv != 0) {
    // Changes after from_rv must all still be in the history (its oldest entry is at most from_rv+1).
    std::uint64_t oldest = history_.empty() ? rv_ + 1 : history_.front().object->rv;
    if (*from_rv + 1 < oldest && *from_rv < rv_) throw expired_watch(*from_rv, oldest - 1);
    for (const Change& c : history_)
      if (c.object->rv > *from_rv && c.table == spec.table) deliver(spec, c);
  } else if (const Table* t = find_table(spec.table)) {
    for (const auto& [key, o] : t->objects)
      if (visible(spec, o.get())) deliver(spec, Change{spec.table, EventType::added, o, nullptr});
  }
  const std::uint64_t id = next_watcher_++;
  watchers_.emplace(id, std::move(spec));
  return id;
}

void Store::send_bookmarks() {
  for (const auto& [id, w] : watchers_) {
    if (!w.bookmarks) continue;
    w.sink->push("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"" + w.kind + "\",\"apiVersion\":\"" + w.api_version +
                 "\",\"metadata\":{\"resourceVersion\":\"" + std::to_string(rv_) + "\"}}}\n");
  }
}

std::size_t Store::expire_watchers(const std::string& table) {
  std::vector<std::uint64_t> ids;
  for (const auto& [id, w] : watchers_)
    if (table.empty() || w.table == table) ids.push_back(id);
  // The cacher's message names the watcher's resourceVersion and the oldest one it still holds.
  const std::string status = expired_watch(rv_ > 1 ? rv_ - 1 : rv_, rv_).body();
  for (std::uint64_t id : ids) {
    watchers_.at(id).sink->push("{\"type\":\"ERROR\",\"object\":" + status + "}\n");
    remove_watcher(id);
  }
  history_.clear();
  return ids.size();
}

void Store::remove_all_watchers() {
  while (!watchers_.empty()) remove_watcher(watchers_.begin()->first);
}

void Store::remove_watcher(std::uint64_t id) {
  auto it = watchers_.find(id);
  if (it == watchers_.end()) return;
  auto sink = it->second.sink;
  watchers_.erase(it);
  sink->end();
}

}  // namespace vbackup::kubetest
