// The test API server's in-memory store: one table per group-resource, objects kept as their JSON
// text (so GET and LIST copy bytes rather than re-encode), a global resourceVersion counter, a
// bounded history of changes and the watchers that follow them.
//
// Locking: one shared_mutex (`mutex`) guards the tables, the history, the watchers and the Api's
// discovery state. Readers take it shared; every write takes it exclusively and calls commit().
#pragma once

#include "vbackup/json.hpp"
#include "vbackup/labels.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

namespace vbackup::kubetest {

struct StoredObject {
  std::string ns, name, uid;
  std::uint64_t rv = 0;
  // The object's JSON members with keys sorted, without the braces and without apiVersion and kind:
  // the server stores an object once for all the versions it serves it in and adds those two per
  // request (`{"apiVersion":"v1","kind":"ConfigMap",` + members + `}`).
  std::string members;
  labels::LabelMap labels;
  std::map<std::string, std::string, std::less<>> fields;  // field-selector values ("spec.nodeName")
  bool has_finalizers = false, terminating = false;
};
using ObjectPtr = std::shared_ptr<const StoredObject>;

// `object` (apiVersion and kind are dropped) as stored; field_paths lists the dotted paths the
// resource supports in field selectors besides metadata.name and metadata.namespace.
ObjectPtr make_stored(const json::object& object, const std::vector<std::string>& field_paths);
// The stored object with apiVersion and kind put back (as a parsed object).
json::object to_object(const StoredObject& stored, std::string_view api_version, std::string_view kind);
// The stored object as JSON text; with kind empty the apiVersion and kind are left out, as in the
// items of a built-in type's List.
void append_json(std::string& out, const StoredObject& stored, std::string_view api_version, std::string_view kind);

// A field selector of the forms the API server accepts: terms `path=value`, `path==value`,
// `path!=value`, comma-separated (all must hold).
struct FieldSelector {
  struct Term {
    std::string path, value;
    bool equal = true;
  };
  std::vector<Term> terms;
  bool matches(const StoredObject& o) const;
};

// The object's etcd key below the resource prefix: "<namespace>/<name>", or "<name>" when
// cluster-scoped. Lists come in the byte order of these keys, as from etcd.
std::string object_key(std::string_view ns, std::string_view name);

struct Table {
  std::map<std::string, ObjectPtr, std::less<>> objects;  // by object_key
  std::map<std::string, std::size_t, std::less<>> per_namespace;  // object counts
  std::uint64_t mutations = 0;  // bumped by every insert or removal (positions shift)
};

enum class EventType { added, modified, deleted };

// Receives the chunks of one watch response. push() and end() are called with the store's lock
// held and must not block or call back into the store.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  virtual void push(std::string chunk) = 0;
  virtual void end() = 0;
};

struct WatchSpec {
  std::string table;            // "apps/deployments"
  std::string ns;               // "" = all namespaces
  labels::Selector labels;
  FieldSelector fields;
  std::string api_version, kind;  // how objects are written in events
  bool bookmarks = false;         // allowWatchBookmarks
  std::shared_ptr<WatchSink> sink;
};

class Store {
 public:
  explicit Store(std::size_t history_limit) : history_limit_(history_limit) {}

  mutable std::shared_mutex mutex;

  Table& table(const std::string& key) { return tables_[key]; }
  const Table* find_table(const std::string& key) const;
  ObjectPtr find(const std::string& table, const std::string& ns, const std::string& name) const;
  void drop_table(const std::string& key);  // removes every object (a deleted CRD's resources)
  std::vector<std::string> table_names() const;

  std::uint64_t current_rv() const { return rv_; }
  std::uint64_t next_rv() { return ++rv_; }

  // Writes `now` (rv already assigned by the caller from next_rv()) and tells watchers. For a
  // removal, `now` is the object's final state, with the removal's resourceVersion.
  void put(const std::string& table, ObjectPtr now, ObjectPtr before);
  void remove(const std::string& table, ObjectPtr final_state, ObjectPtr before);

  // Registers a watcher. Events after `from_rv` still in the history are sent first; with no
  // from_rv (or 0), ADDED events for every current object are. Throws StatusError 410 when
  // from_rv is older than the history holds.
  // Told of every write (before: the previous state or null; now: the new state, null when removed),
  // with the lock held, before watchers are.
  using Observer = std::function<void(const std::string& table, const StoredObject* before, const StoredObject* now)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

  std::uint64_t add_watcher(WatchSpec spec, std::optional<std::uint64_t> from_rv);
  void remove_watcher(std::uint64_t id);
  void remove_all_watchers();
  std::size_t watcher_count() const { return watchers_.size(); }
  // A BOOKMARK event (the current resourceVersion) to every watcher that allows bookmarks, as the
  // API server sends them now and then.
  void send_bookmarks();
  // Forgets the history of changes, as etcd's compaction does: a watch resuming from an older
  // resourceVersion gets 410 Expired.
  void compact_history() { history_.clear(); }
  // Ends the watches of `table` ("" = all) with an ERROR event carrying 410 Expired "too old
  // resource version", as the API server's watch cache does when a watcher falls out of its window,
  // and forgets the history (a resume from an older resourceVersion gets 410 too). Returns how many.
  std::size_t expire_watchers(const std::string& table);

 private:
  struct Change {
    std::string table;
    EventType type;
    ObjectPtr object, before;  // object: the state the event carries; before: the previous state
  };
  void record(Change change);
  // The event `w` sees for `c` (ADDED/DELETED when a change moves an object across its selectors).
  static void deliver(const WatchSpec& w, const Change& c);
  static bool visible(const WatchSpec& w, const StoredObject* o);

  std::map<std::string, Table> tables_;
  std::uint64_t rv_ = 1;
  std::size_t history_limit_;
  std::deque<Change> history_;
  std::map<std::uint64_t, WatchSpec> watchers_;
  Observer observer_;
  std::uint64_t next_watcher_ = 1;
};

}  // namespace vbackup::kubetest
