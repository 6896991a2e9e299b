// Velero's backup, in one pass: collection (item_collector.go), per-item checks, actions and writing
// (item_backupper.go), the CRD rule (backup.go) and the upload (persistBackup, with
// velero-backup.json last). The request (defaults, validation) is request.cpp, the built-in actions
// actions.cpp. Items stream from the source into the tarball and on into the object store; memory
// holds the keys of written items, not the items.
#include "backup/runner.hpp"
#include "policies/backup_policies.hpp"
#include "backup/actions.hpp"
#include "backup/request.hpp"
#include "core/item_set.hpp"
#include "format/unknown_fields.hpp"
#include "operations/operation_log.hpp"

#include "vbackup/backup.hpp"
#include "vbackup/error.hpp"
#include "filter/filter.hpp"
#include "vbackup/labels.hpp"
#include "vbackup/location.hpp"
#include "vbackup/velero.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <unordered_map>

namespace vbackup {
namespace {

namespace phase = velero::backup_phase;

constexpr std::string_view kCrds = "customresourcedefinitions.apiextensions.k8s.io";

void append_unique(std::vector<std::string>& v, std::string_view s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.emplace_back(s);
}

std::string version_of(std::string_view api_version) {
  auto slash = api_version.rfind('/');
  return std::string(slash == std::string_view::npos ? api_version : api_version.substr(slash + 1));
}

bool label_is(const json::object& obj, std::string_view key, std::string_view value) {
  const json::object* labels = json::metadata_map(obj, "labels");
  return labels && json::get_string(*labels, key) == value && labels->find(key) != labels->end();
}

// One backup in progress.
}  // namespace

namespace detail {

void Runner::record_error(const std::string& ns, const std::string& message, detail::LogFields fields) {
  log_.error(message, std::move(fields));
  errors_.add(ns, message);
}

void Runner::record_warning(const std::string& ns, const std::string& message, detail::LogFields fields) {
  log_.warning(message, std::move(fields));
  warnings_.add(ns, message);
}

void Runner::progress() {
  progress_.items_backed_up = static_cast<std::int64_t>(backed_up_.size());
  progress_.total_items = std::max(estimated_total_, progress_.items_backed_up);
  if (archive_) progress_.bytes_written = archive_->bytes_out();
  if (options_.on_record) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_record_ >= std::chrono::seconds(1)) {
      last_record_ = now;
      b_.status.progress = velero::BackupProgress{progress_.total_items, progress_.items_backed_up, {}};
      options_.on_record(b_);
    }
  }
  if (options_.on_progress && !options_.on_progress(progress_)) {
    throw Error(ErrorCode::cancelled, "backup " + b_.metadata.name + ": cancelled");
  }
}

std::optional<ApiResource> Runner::resource_by_gr(const std::string& gr) {
  auto dot = gr.find('.');
  std::string resource = gr.substr(0, dot);
  std::string group = dot == std::string::npos ? "" : gr.substr(dot + 1);
  if (const ApiResource* r = source_.discovery().find(group, resource)) return *r;
  return std::nullopt;
}

// Ours (Velero is silent): a name in the resource lists that the cluster does not serve, or an
// included namespace it does not have, matches nothing; most likely a typo. Patterns are left
// alone. Called before the defaults append Velero's auto-excludes, which need not exist.
static bool is_pattern(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

void Runner::warn_unknown_resources() {
  const auto& s = b_.spec;
  const Discovery& d = source_.discovery();
  std::vector<std::string> names;
  std::vector<std::string_view> candidates;
  auto check = [&](const char* field, const std::vector<std::string>& list) {
    for (const auto& name : list) {
      if (is_pattern(name) || d.resource_for(name)) continue;
      if (candidates.empty()) {
        for (const auto& r : d.preferred_resources()) {
          names.push_back(r.name);
          names.push_back(r.group_resource());
          names.insert(names.end(), r.short_names.begin(), r.short_names.end());
        }
        candidates.assign(names.begin(), names.end());
      }
      std::string best = velero::closest_name(name, candidates);
      record_warning("", std::string("spec.") + field + ": \"" + name + "\" is not a resource of the cluster" +
                             (best.empty() ? "" : "; did you mean " + best + "?"));
    }
  };
  check("includedResources", s.included_resources);
  check("excludedResources", s.excluded_resources);
  check("includedClusterScopedResources", s.included_cluster_scoped_resources);
  check("excludedClusterScopedResources", s.excluded_cluster_scoped_resources);
  check("includedNamespaceScopedResources", s.included_namespace_scoped_resources);
  check("excludedNamespaceScopedResources", s.excluded_namespace_scoped_resources);
}

void Runner::warn_missing_namespaces() {
  std::vector<std::string_view> existing;
  for (const auto& ns : cluster_namespaces_) existing.push_back(ns.name);
  for (const auto& name : b_.spec.included_namespaces) {
    if (is_pattern(name) || std::find(existing.begin(), existing.end(), name) != existing.end()) continue;
    std::string best = velero::closest_name(name, existing);
    record_warning("", "spec.includedNamespaces: namespace \"" + name + "\" does not exist in the cluster" +
                           (best.empty() ? "" : "; did you mean " + best + "?"));
  }
}

void Runner::prepare_filters() {
  const auto& s = b_.spec;
  const Discovery& d = source_.discovery();
  // Namespaces of the cluster: for wildcard expansion, the exclude label, and Namespace objects.
  if (const ApiResource* nsr = d.find("", "namespaces")) {
    source_.list(*nsr, {}, [&](json::object&& o) {
      std::string name(json::metadata_string(o, "name"));
      cluster_namespaces_.push_back({name, std::move(o)});
    });
  }
  warn_missing_namespaces();
  std::vector<std::string> includes = s.included_namespaces, excludes = s.excluded_namespaces;
  // spec §5.5: namespaces labelled velero.io/exclude-from-backup=true join the excludes.
  for (const auto& ns : cluster_namespaces_) {
    if (label_is(ns.object, velero::label::exclude_from_backup, "true")) append_unique(excludes, ns.name);
  }
  bool nothing = false;
  if (filter::should_expand_wildcards(includes, excludes)) {
    std::vector<std::string> names;
    for (const auto& ns : cluster_namespaces_) names.push_back(ns.name);
    auto e = filter::expand_wildcards(names, includes, excludes);
    includes = e.includes;
    excludes = e.excludes;
    nothing = e.includes_nothing;
    log_.info("Expanded namespace wildcards", {{"includes", filter::IncludesExcludes(includes, {}).includes_string()},
                                               {"excludes", filter::IncludesExcludes({}, excludes).excludes_string()}});
  }
  namespaces_ = filter::NamespaceFilter(filter::IncludesExcludes(includes, excludes), nothing);
  log_.info("Including namespaces: " + namespaces_.includes_excludes().includes_string());
  log_.info("Excluding namespaces: " + namespaces_.includes_excludes().excludes_string());

  // The filters resolve a name for every item; discovery does not change during a backup, so each
  // distinct name is resolved once (this was a fifth of a 100k-object backup's CPU).
  using Memo = std::unordered_map<std::string, std::optional<filter::ResolvedResource>>;
  filter::ResourceResolver resolve = [&d, memo = std::make_shared<Memo>()](
                                         std::string_view name) -> std::optional<filter::ResolvedResource> {
    if (auto it = memo->find(std::string(name)); it != memo->end()) return it->second;
    auto r = d.resolve(name);
    std::optional<filter::ResolvedResource> out;
    if (r) out = filter::ResolvedResource{r->group_resource(), r->namespaced};
    return memo->emplace(std::string(name), std::move(out)).first->second;
  };
  filter::ResourceFilterSpec spec = detail::filter_spec(s);
  // csi §1.1.3: the resource policy's includeExcludePolicy joins the scoped filters (CombineWithPolicy).
  if (policies_ && policies_->include_exclude_policy) {
    policies::combine_with_policy(spec, *policies_->include_exclude_policy, resolve);
  }
  resources_ = filter::make_resource_filter(spec, resolve, namespaces_, full_backup_hint_);
  log_.info(resources_->describe());

  // spec §5.10: the selector goes to every list call; or-selectors make one call each.
  if (!s.or_label_selectors.empty()) {
    selector_set_ = true;
    for (const auto& ls : s.or_label_selectors) {
      auto sel = labels::from_label_selector(ls);
      selectors_.push_back(sel.to_string());
      namespace_selectors_.push_back(sel);
    }
  } else if (s.label_selector && !s.label_selector->is_null()) {
    selector_set_ = true;
    auto sel = labels::from_label_selector(*s.label_selector);
    selectors_.push_back(sel.to_string());
    namespace_selectors_.push_back(sel);
  } else {
    selectors_.push_back("");
  }
}

void Runner::collect() {
  const Discovery& d = source_.discovery();
  auto order = velero_collection_order(d, [&](const ApiResource& r) { return resources_->should_include(r.group_resource()); });
  estimate_total(order);
  backed_up_.expect(static_cast<std::uint64_t>(std::max<std::int64_t>(estimated_total_, 0)));  // sizes its disk part once
  for (const ApiResource& r : order) {
    // Namespace objects are decided once every item is in (spec §5.10), see back_up_namespaces().
    if (r.group.empty() && r.name == "namespaces") continue;
    collect_resource(r);
  }
}

// Velero lists everything before writing, so its totalItems is known early; streaming, the backup
// asks the source how many objects each list will return (one LIST with limit=1 on a cluster) and
// takes the sum as its total. Without counts (label selectors: an API server leaves them out) or
// past a budget of requests, the total stays the running count.
void Runner::estimate_total(const std::vector<ApiResource>& order) {
  if (selectors_.size() != 1 || !selectors_.front().empty()) return;
  constexpr int kBudget = 200;  // count requests, at most
  int calls = 0;
  std::int64_t total = 0;
  auto add = [&](const ApiResource& r, const std::string& ns) {
    if (++calls > kBudget) return false;
    ListOptions opt;
    opt.namespace_ = ns;
    std::optional<std::int64_t> n;
    try {
      n = source_.count(r, opt);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled) throw;
      return true;  // an unreadable resource: the list will record the error; it adds nothing here
    }
    if (!n) return false;
    total += *n;
    return true;
  };
  for (const ApiResource& r : order) {
    if (r.group.empty() && r.name == "namespaces") continue;  // decided at the end, a handful
    if (!for_each_list(r, [&](const std::string& ns) { return add(r, ns); })) return;
  }
  estimated_total_ = total;
  log_.info("Estimated the items to back up", {{"items", std::to_string(total)}, {"countRequests", std::to_string(calls)}});
}

void Runner::collect_resource(const ApiResource& r) {
  progress_.resource = r.group_resource();
  log_.info("Listing items", {{"groupResource", r.group_resource()}});
  back_up_ordered(r);
  for_each_list(r, [&](const std::string& ns) {
    list_into(r, ns);
    return true;
  });
}

// spec §5.5: a resource is listed once cluster-wide, or once per included namespace that passes
// the filter. Stops, returning false, when `each` does.
bool Runner::for_each_list(const ApiResource& r, const std::function<bool(const std::string& ns)>& each) {
  if (!r.namespaced || namespaces_.list_cluster_wide()) return each("");
  for (const auto& ns : namespaces_.includes_excludes().includes().list()) {
    if (ns != "*" && namespaces_.should_include(ns) && !each(ns)) return false;
  }
  return true;
}

// spec §5.11 orderedResources: the listed items go first, in the given order; the listing then skips
// them (already backed up). Keyed by the plain resource name ("pods", "deployments"); entries are
// "ns/name" for namespaced resources and "name" for cluster-scoped ones. An entry must still match
// the backup's selector, as Velero only reorders what it listed.
void Runner::back_up_ordered(const ApiResource& r) {
  auto it = b_.spec.ordered_resources.find(r.name);
  if (it == b_.spec.ordered_resources.end()) return;
  std::string_view list = it->second;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string entry(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!entry.empty() && entry.front() == ' ') entry.erase(entry.begin());
    while (!entry.empty() && entry.back() == ' ') entry.pop_back();
    if (entry.empty()) continue;
    auto slash = entry.find('/');
    std::string ns = slash == std::string::npos ? "" : entry.substr(0, slash);
    std::string name = slash == std::string::npos ? entry : entry.substr(slash + 1);
    std::optional<json::object> obj;
    if ((slash == std::string::npos) != r.namespaced) obj = source_.get(r, ns, name);
    bool selected = false;
    if (obj) {
      const json::object* lbl = json::metadata_map(*obj, "labels");
      selected = namespace_selectors_.empty() ||
                 std::any_of(namespace_selectors_.begin(), namespace_selectors_.end(),
                             [&](const labels::Selector& sel) { return sel.matches(lbl); });
    }
    if (!selected) {
      log_.info("Item in orderedResources was not found, or does not match the backup's selector",
                {{"groupResource", r.group_resource()}, {"item", entry}});
      continue;
    }
    back_up(r, std::move(*obj), false);
  }
}

void Runner::list_into(const ApiResource& r, const std::string& ns) {
  for (const auto& selector : selectors_) {
    ListOptions opt;
    opt.namespace_ = ns;
    opt.label_selector = selector;
    try {
      source_.list(r, opt, [&](json::object&& obj) { back_up(r, std::move(obj), false); });
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled) throw;
      // An unreadable resource is one error of the backup, not the end of it.
      record_error(ns, "Error listing items: " + std::string(e.what()),
                   {{"groupResource", r.group_resource()}, {"namespace", ns}});
    }
  }
}

// item_backupper.go backupItem: the per-item checks of spec §5.8, hooks and actions, then the write.
bool Runner::back_up(const ApiResource& r, json::object obj, bool must_include) {
  std::string gr = r.group_resource();
  std::string ns(json::metadata_string(obj, "namespace"));
  std::string name(json::metadata_string(obj, "name"));
  detail::LogFields where{{"name", name}, {"namespace", ns}, {"resource", gr}};
  if (!must_include) {
    if (label_is(obj, velero::label::exclude_from_backup, "true")) {
      log_.info("Excluding item because it has label velero.io/exclude-from-backup=true", where);
      return false;
    }
    if (!ns.empty() && !namespaces_.should_include(ns)) {
      log_.info("Excluding item because namespace is excluded", where);
      return false;
    }
    if (ns.empty() && gr != "namespaces" && resources_->should_exclude(gr)) {
      log_.info("Excluding item because resource is cluster-scoped and is excluded by cluster filter.", where);
      return false;
    }
    if (!ns.empty() && !resources_->should_include(gr)) {
      log_.info("Excluding item because resource is excluded", where);
      return false;
    }
  }
  if (const json::object* md = json::find_object(obj, "metadata"); md && md->contains("deletionTimestamp") &&
                                                                     !md->at("deletionTimestamp").is_null()) {
    log_.info("Skipping item because it's being deleted.", where);
    return false;
  }
  std::string api_version(json::get_string(obj, "apiVersion"));
  std::string kind(json::get_string(obj, "kind"));
  std::string key = api_version + "/" + kind + "|" + ns + "|" + name;
  if (!backed_up_.insert(key)) return true;  // already in the backup
  // The version directory is the object's version before any action runs (spec §1.2).
  std::string version = version_of(api_version);

  BackupItem item{r, std::move(obj), false, {}};
  // executeActions: the built-in actions, then the caller's hook. An action's error is the item's.
  for (const auto& action : actions_) {
    if (!action->applies_to(r)) continue;
    try {
      action->execute(item);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled) throw;
      backed_up_.erase(key);
      if (dynamic_cast<const UnwrappedItemError*>(&e)) {
        record_error(ns, "Error backing up item: " + std::string(e.what()), where);
        return false;
      }
      record_error(ns, "error executing custom action (groupResource=" + gr + ", namespace=" + ns + ", name=" + name +
                           "): " + e.what(), where);
      return false;
    }
    if (item.skip) {
      backed_up_.erase(key);
      log_.info("Skipping item because an item action asked to", where);
      return false;
    }
  }
  // takePVSnapshot (csi §1.1): a PV's volume decision and its record for the volume info.
  if (r.group.empty() && r.name == "persistentvolumes") {
    try {
      csi_.back_up_pv(item.object);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled) throw;
      record_error(ns, "Error backing up item: " + std::string(e.what()), where);
    }
  }
  // Additional items are written before the item that brought them (executeActions first).
  for (const auto& ref : item.additional) {
    auto ar = resource_by_gr(ref.group_resource);
    if (!ar) {
      record_warning(ns, "Additional item " + ref.name + " has an unknown resource type \"" + ref.group_resource + "\"", where);
      continue;
    }
    auto extra = source_.get(*ar, ref.namespace_, ref.name);
    if (!extra) {
      log_.warning("Additional item was not found in Kubernetes API, can't back it up",
                   {{"groupResource", ref.group_resource}, {"namespace", ref.namespace_}, {"name", ref.name}});
      continue;
    }
    back_up(*ar, std::move(*extra), false);
  }

  // A pod's volumes chosen for fs-backup fail the pod (after its additional items, as Velero's pod
  // volume backup comes after the actions), csi §6.
  if (r.group.empty() && r.name == "pods") {
    try {
      csi_.back_up_pod(item.object);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled) throw;
      backed_up_.erase(key);
      record_error(ns, "Error backing up item: " + std::string(e.what()), where);
      return false;
    }
  }
  std::string& bytes = item_bytes_;  // its capacity is reused from item to item
  try {
    bytes.clear();
    json::marshal_to(item.object, bytes);
    const ApiGroup* g = source_.discovery().group(r.group);
    bool preferred = g && g->preferred_version == version;
    if (preferred) {
      archive_->add_item(gr, ns, name, "", bytes);
      archive_->add_item(gr, ns, name, version + std::string(archive::kPreferredVersionSuffix), bytes);
    } else {
      // Velero writes a non-preferred version only under <ver>/ (item_backupper.go). A folder of
      // manifests cannot convert objects as a cluster would, so its objects also get the plain
      // copy a default restore reads.
      if (source_.serves_objects_as_written()) archive_->add_item(gr, ns, name, "", bytes);
      archive_->add_item(gr, ns, name, version, bytes);
      if (non_preferred_.emplace(gr, version).second) {
        record_warning(ns, gr + ": objects in " + api_version + ", not the preferred version " +
                               (g ? (r.group.empty() ? g->preferred_version : r.group + "/" + g->preferred_version) : "?") +
                               (source_.serves_objects_as_written() ? "; stored as written (a cluster would convert them)"
                                                                    : "; stored under " + version + "/ only, as Velero does"),
                       where);
      }
    }
  } catch (const Error& e) {
    // An item that cannot be written (a NaN, a name that is no path) is the item's error; the
    // tarball's output failing (ENOSPC, a refused upload) ends the backup with that cause.
    if (e.code() != ErrorCode::invalid) throw;
    backed_up_.erase(key);
    record_error(ns, "Error backing up item: " + std::string(e.what()), where);
    return false;
  }
  log_.info("Backed up item", where);
  resource_list_.add(api_version + "/" + kind, ns.empty() ? name : ns + "/" + name);
  resources_with_items_.insert(gr);
  if (!ns.empty()) namespaces_with_items_.insert(ns);
  progress();
  return true;
}

// spec §5.10 nsTracker: a Namespace object is backed up when its namespace holds backed-up items,
// or — if Active — its labels match a selector, or its name passes the namespace filter (unless the
// filter is include-everything while a selector is set). Velero also tracks namespaces whose items
// were listed but excluded (upstream #9180); we track the namespaces of items actually written.
void Runner::back_up_namespaces() {
  if (!resources_->should_include("namespaces")) return;
  const ApiResource* nsr = source_.discovery().find("", "namespaces");
  if (!nsr) return;
  bool by_name = !(namespaces_.include_everything() && selector_set_);
  for (auto& ns : cluster_namespaces_) {
    bool tracked = namespaces_with_items_.count(ns.name) > 0;
    const json::object* status = json::find_object(ns.object, "status");
    std::string_view phase_value = status ? json::get_string(*status, "phase") : "";
    bool active = phase_value.empty() || phase_value == "Active";  // a manifest without status is a new, Active namespace
    if (!tracked && active) {
      const json::object* lbl = json::metadata_map(ns.object, "labels");
      for (const auto& sel : namespace_selectors_) tracked = tracked || sel.matches(lbl);
      if (!tracked && by_name) tracked = namespaces_.should_include(ns.name);
    }
    if (tracked) back_up(*nsr, std::move(ns.object), false);
  }
  cluster_namespaces_.clear();
}

// backup.go: the CRD of every custom resource type with a backed-up item, unless CRDs are excluded
// (spec §5.9) or were collected in full. Velero ≥ 1.17 adds them whenever a selector chose the
// items (its VolumeSnapshotContent auto-exclude keeps ShouldInclude(CRDs) false); our full-backup
// rule (§9.1) makes ShouldInclude true, so "collected in full" also needs "no selector": a CRD
// without the selector's labels was not listed, and its custom resources could not be restored
// into a fresh cluster without it.
void Runner::back_up_crds() {
  if (resources_->should_exclude(std::string(kCrds))) return;
  if (resources_->should_include(std::string(kCrds)) && !selector_set_) return;
  const ApiResource* crd = source_.discovery().find("apiextensions.k8s.io", "customresourcedefinitions");
  if (!crd) return;
  for (const auto& gr : std::vector<std::string>(resources_with_items_.begin(), resources_with_items_.end())) {
    if (gr.find('.') == std::string::npos) continue;  // core types have no CRD
    try {
      if (auto obj = source_.get(*crd, "", gr)) back_up(*crd, std::move(*obj), false);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled) throw;
      record_error("", "Error getting the CustomResourceDefinition of " + gr + ": " + e.what());
    }
  }
}

}  // namespace detail
}  // namespace vbackup
