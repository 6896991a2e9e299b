// Looking into stored backups (inspect.hpp): the spool and index of a restore, its selection and
// order, without a cluster: the API is a stock Kubernetes one plus the backup's own CRDs.
#include "patch/patch.hpp"
#include "restore/plan/backup_contents.hpp"
#include "restore/plan/order.hpp"
#include "restore/plan/selection.hpp"

#include "vbackup/error.hpp"
#include "vbackup/inspect.hpp"
#include "vbackup/persistence.hpp"

#include <filesystem>
#include <memory>

namespace vbackup {
namespace {

constexpr std::string_view kCrds = "customresourcedefinitions.apiextensions.k8s.io";

std::unique_ptr<restore::BackupContents> open_contents(storage::BackupStore& store, const std::string& name) {
  get_backup(store, name);  // Error(not_found) naming the backup when it does not exist
  std::string key = store.backup_contents_key(name);
  auto in = store.objects().get(key);
  return std::make_unique<restore::BackupContents>(*in, key, std::filesystem::temp_directory_path());
}

std::optional<json::object> parse(const std::optional<std::string>& bytes, const std::string& what) {
  if (!bytes) return std::nullopt;
  auto v = json::parse(*bytes, what);
  if (!v.is_object()) throw invalid_input(what + ": expected a JSON object");
  return std::move(v.get_object());
}

// The API a restore of this backup would meet on a stock cluster: built-in Kubernetes plus its CRDs.
Discovery discovery_of(const restore::BackupContents& c) {
  Discovery d = builtin_kubernetes_discovery();
  c.for_each_item(kCrds, "", "", [&](std::string_view name) {
    try {
      if (auto crd = parse(c.read(kCrds, "", name), std::string(name))) d.add_crd(*crd);
    } catch (const Error&) {
      // An archived CRD that does not load leaves its custom resources unresolved, as on a cluster.
    }
  });
  return d;
}

BackupItemEntry entry_of(const std::string& gr, const std::string& ns, std::string_view name, const json::object* obj) {
  BackupItemEntry e;
  e.group_resource = gr;
  e.namespace_ = ns;
  e.name = std::string(name);
  if (obj) e.api_version_kind = std::string(json::get_string(*obj, "apiVersion")) + "/" + std::string(json::get_string(*obj, "kind"));
  return e;
}

// The server's bookkeeping, which changes on every write without the object changing.
json::object without_bookkeeping(json::object o) {
  if (auto* md = o.if_contains("metadata") ? o["metadata"].if_object() : nullptr) {
    for (const char* k : {"resourceVersion", "managedFields", "generation"}) md->erase(k);
  }
  return o;
}

std::string item_what(const std::string& backup, const std::string& gr, const std::string& ns, std::string_view name) {
  return "backup " + backup + ": " + gr + "/" + (ns.empty() ? "" : ns + "/") + std::string(name);
}

}  // namespace

json::object BackupItemEntry::to_json() const {
  return json::object{{"groupResource", group_resource}, {"kind", api_version_kind}, {"namespace", namespace_}, {"name", name}};
}

json::object BackupItemChange::to_json() const {
  json::object o = item.to_json();
  o["change"] = change;
  if (!diff.empty()) o["diff"] = diff;
  return o;
}

void list_backup_items(storage::BackupStore& store, const std::string& name, const InspectOptions& options,
                       const std::function<void(const BackupItemEntry&)>& on_item) {
  auto contents = open_contents(store, name);
  Discovery d = discovery_of(*contents);
  restore::RestoreSelection selection(options.filters, d, contents->all_namespaces(), {options.include_names, {}});
  if (auto problems = selection.validate(); !problems.empty()) {
    std::string msg = "backup " + name + ": the filters are not valid:";
    for (const auto& p : problems) msg += "\n  " + p;
    throw invalid_input(msg);
  }
  for (const auto& gr : restore::restore_order(*contents, d, restore::Priorities::defaults())) {
    if (!selection.includes_resource(gr)) continue;
    for (const auto& ns : contents->namespaces(gr)) {
      contents->for_each_item(gr, ns, "", [&](std::string_view item) {
        auto obj = parse(contents->read(gr, ns, item), item_what(name, gr, ns, item));
        const json::object* labels = obj ? json::metadata_map(*obj, "labels") : nullptr;
        std::string kind(obj ? json::get_string(*obj, "kind") : "");
        if (selection.includes_item(gr, !ns.empty(), ns, item, labels, kind)) on_item(entry_of(gr, ns, item, obj ? &*obj : nullptr));
      });
    }
  }
}

json::object read_backup_item(storage::BackupStore& store, const std::string& name, const std::string& item) {
  auto first = item.find('/');
  if (first == std::string::npos || first == 0 || item.back() == '/') {
    throw invalid_input("item \"" + item + "\": expected <resource>/<namespace>/<name> or <resource>/<name>");
  }
  std::string resource = item.substr(0, first), rest = item.substr(first + 1);
  auto second = rest.find('/');
  std::string ns = second == std::string::npos ? "" : rest.substr(0, second);
  std::string item_name = second == std::string::npos ? rest : rest.substr(second + 1);
  auto contents = open_contents(store, name);
  std::string gr = resource;
  auto present = contents->resources();
  if (std::find(present.begin(), present.end(), gr) == present.end()) {
    if (auto r = discovery_of(*contents).resolve(resource)) gr = r->group_resource();
  }
  auto obj = parse(contents->read(gr, ns, item_name), item_what(name, gr, ns, item_name));
  if (!obj) throw not_found("backup " + name + " holds no " + gr + " " + (ns.empty() ? "" : ns + "/") + item_name);
  return std::move(*obj);
}

void diff_backups(storage::BackupStore& store, const std::string& from, const std::string& to,
                  const std::function<void(const BackupItemChange&)>& on_change) {
  auto a = open_contents(store, from);
  auto b = open_contents(store, to);
  // A merge of two sorted sequences, level by level: resources, namespaces, names.
  auto merge = [](const std::vector<std::string>& x, const std::vector<std::string>& y,
                  const std::function<void(const std::string&, bool, bool)>& each) {
    std::size_t i = 0, j = 0;
    while (i < x.size() || j < y.size()) {
      if (j == y.size() || (i < x.size() && x[i] < y[j])) {
        each(x[i++], true, false);
      } else if (i == x.size() || y[j] < x[i]) {
        each(y[j++], false, true);
      } else {
        each(x[i], true, true);
        ++i, ++j;
      }
    }
  };
  merge(a->resources(), b->resources(), [&](const std::string& gr, bool in_a, bool in_b) {
    merge(in_a ? a->namespaces(gr) : std::vector<std::string>{}, in_b ? b->namespaces(gr) : std::vector<std::string>{},
          [&](const std::string& ns, bool na, bool nb) {
            auto names_a = na ? a->items(gr, ns) : std::vector<std::string>{};
            auto names_b = nb ? b->items(gr, ns) : std::vector<std::string>{};
            std::sort(names_a.begin(), names_a.end());
            std::sort(names_b.begin(), names_b.end());
            merge(names_a, names_b, [&](const std::string& n, bool ia, bool ib) {
              auto oa = ia ? parse(a->read(gr, ns, n), item_what(from, gr, ns, n)) : std::nullopt;
              auto ob = ib ? parse(b->read(gr, ns, n), item_what(to, gr, ns, n)) : std::nullopt;
              BackupItemChange c;
              c.item = entry_of(gr, ns, n, ob ? &*ob : oa ? &*oa : nullptr);
              if (!oa) {
                c.change = "added";
              } else if (!ob) {
                c.change = "removed";
              } else {
                json::object x = without_bookkeeping(*oa), y = without_bookkeeping(*ob);
                if (patch::semantic_equal(x, y)) return;
                c.change = "changed";
                std::string id = gr + "/" + (ns.empty() ? "" : ns + "/") + n;
                c.diff = patch::unified_diff(x, y, from + ": " + id, to + ": " + id);
              }
              on_change(c);
            });
          });
  });
}

}  // namespace vbackup
