// The restore's walk (restorer.hpp): Velero's execute() and restoreResource(), in restore order, with
// the items of one resource restored by a bounded pool of workers (the resource is the priority
// group: its end is a barrier, so what a later resource needs exists before it starts).
#include "restore/restorer.hpp"

#include "restore/actions/item_rules.hpp"
#include "restore/plan/order.hpp"
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <thread>

namespace vbackup::detail {
namespace {

constexpr std::string_view kCrds = "customresourcedefinitions.apiextensions.k8s.io";

// A fixed set of workers over a bounded queue: submit() blocks while the queue is full, so a
// resource of a million items holds a few of them in memory, not the list. wait() is the barrier.
class Pool {
 public:
  Pool(int workers, std::function<void(std::function<void()>&)> run) : run_(std::move(run)) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void submit(std::function<void()> task) {
    std::unique_lock lock(mu_);
    space_.wait(lock, [&] { return queue_.size() < capacity(); });
    queue_.push_back(std::move(task));
    ++pending_;
    cv_.notify_one();
  }
  void wait() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [&] { return pending_ == 0; });
  }

 private:
  void loop() {
    while (true) {
      std::function<void()> task;
      bool wake = false;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        task = std::move(queue_.front());
        queue_.pop_front();
        // The walker is woken when half the queue is free, not after every item: one wake-up (a
        // futex call and a context switch on each side) per item was measurable (issue 17).
        wake = queue_.size() == capacity() / 2;
      }
      if (wake) space_.notify_one();
      run_(task);
      std::lock_guard lock(mu_);
      if (--pending_ == 0) idle_.notify_all();
    }
  }
  std::size_t capacity() const { return 16 * threads_.size(); }  // items queued: a few KB each at most
  std::function<void(std::function<void()>&)> run_;
  std::mutex mu_;
  std::condition_variable cv_, space_, idle_;
  std::deque<std::function<void()>> queue_;
  std::size_t pending_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

std::string group_of(std::string_view group_resource) {
  auto dot = group_resource.find('.');
  return dot == std::string_view::npos ? "" : std::string(group_resource.substr(dot + 1));
}

std::string resource_of(std::string_view group_resource) {
  return std::string(group_resource.substr(0, group_resource.find('.')));
}

}  // namespace

// ---- the actions' view of the target ----------------------------------------------------------

const ApiResource* PortLookup::resolve(std::string_view group_resource) {
  return target_.discovery().find(group_of(group_resource), resource_of(group_resource));
}

std::optional<json::object> PortLookup::get(std::string_view group_resource, std::string_view ns, std::string_view name) {
  const ApiResource* r = resolve(group_resource);
  if (!r) return std::nullopt;
  return target_.get(*r, std::string(ns), std::string(name));
}

void PortLookup::planned(std::string_view group_resource, json::object object) {
  std::lock_guard lock(mu_);
  planned_[std::string(group_resource)].push_back(std::move(object));
}

std::vector<json::object> PortLookup::list(std::string_view group_resource, std::string_view ns,
                                           std::string_view selector) {
  std::string key = std::string(group_resource) + "|" + std::string(ns) + "|" + std::string(selector);
  {
    std::lock_guard lock(mu_);
    if (auto it = lists_.find(key); it != lists_.end()) return it->second;
  }
  std::vector<json::object> out;
  if (const ApiResource* r = resolve(group_resource)) {
    ListOptions o;
    o.namespace_ = std::string(ns);
    o.label_selector = std::string(selector);
    target_.list(*r, o, [&](json::object&& obj) { out.push_back(std::move(obj)); });
  }
  if (selector.empty()) {
    std::lock_guard lock(mu_);
    if (auto it = planned_.find(group_resource); it != planned_.end()) {
      for (const auto& o : it->second) {
        if (ns.empty() || json::metadata_string(o, "namespace") == ns) out.push_back(o);
      }
    }
  }
  // Only the plugin ConfigMaps are listed by selector, once per restore; other lists stay fresh.
  if (!selector.empty()) {
    std::lock_guard lock(mu_);
    lists_.emplace(key, out);
  }
  return out;
}

// ---- the restore ------------------------------------------------------------------------------

Restorer::Restorer(velero::Restore& restore, const RestoreOptions& options, ClusterTarget& target,
                   restore::BackupContents& contents, OperationLog& log)
    : restore_(restore), options_(options), target_(target), contents_(contents), log_(log), lookup_(target),
      restored_(std::make_unique<vbackup::detail::DiskItemSet>(
          options.spool_dir.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(options.spool_dir),
          contents.total_items())) {}

Restorer::~Restorer() = default;

velero::Result Restorer::errors() const {
  std::lock_guard lock(mu_);
  return errors_;
}

velero::Result Restorer::warnings() const {
  std::lock_guard lock(mu_);
  return warnings_;
}

void Restorer::add_error(const std::string& ns, const std::string& message, LogFields fields) {
  log_.error(message, std::move(fields));
  std::lock_guard lock(mu_);
  errors_.add(ns, message);
}

void Restorer::add_warning(const std::string& ns, const std::string& message, LogFields fields) {
  log_.warning(message, std::move(fields));
  std::lock_guard lock(mu_);
  warnings_.add(ns, message);
}

std::string Restorer::map_namespace(const std::string& ns) const {
  if (ns.empty()) return ns;
  auto it = restore_.spec.namespace_mapping.find(ns);
  return it == restore_.spec.namespace_mapping.end() ? ns : it->second;
}

void Restorer::check_cancelled() {
  if (cancelled_.load()) throw Error(ErrorCode::cancelled, "restore " + restore_.metadata.name + ": cancelled");
}

// Progress as Velero reports it: items recorded so far against the archive's item count (it grows
// when actions add items, never below what is recorded). The CR is patched at most once a second.
void Restorer::progress(const std::string& resource) {
  std::lock_guard lock(callback_mu_);
  RestoreProgress p;
  p.items_restored = recorded_.load();
  p.total_items = std::max<std::int64_t>(static_cast<std::int64_t>(contents_.total_items()), p.items_restored);
  p.resource = resource;
  if (options_.on_record) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_record_ >= std::chrono::seconds(1)) {
      last_record_ = now;
      restore_.status.progress = velero::RestoreProgress{p.total_items, p.items_restored, {}};
      try {
        options_.on_record(restore_);
      } catch (const Error&) {
      }
    }
  }
  if (options_.on_progress && !options_.on_progress(p)) cancelled_ = true;
}

void Restorer::record(const Item& item, std::string_view api_version_kind, std::string_view name, ItemOutcome outcome,
                      std::string reason, std::string diff) {
  static constexpr const char* applied[] = {"created", "updated", "unchanged", "skipped", "failed"};
  static constexpr const char* planned[] = {"create", "update", "unchanged", "skip", "fail"};
  const auto i = static_cast<std::size_t>(outcome);
  if (writes()) {
    // The resource list keeps Velero's four words: an unchanged object is "skipped" there, as Velero
    // records an equal one (restore §2.6); the plan and the log say "unchanged".
    std::string entry = item.target_namespace.empty() ? std::string(name) : item.target_namespace + "/" + std::string(name);
    entry += "(" + std::string(outcome == ItemOutcome::unchanged ? "skipped" : applied[i]) + ")";
    std::lock_guard lock(mu_);
    resource_list_.add(api_version_kind, entry);
    if (outcome == ItemOutcome::created && api_version_kind == "v1/PersistentVolumeClaim") {
      created_pvcs_.insert(item.target_namespace + "/" + std::string(name));
    }
  }
  ++recorded_;
  if (options_.on_plan) {
    RestorePlanItem p;
    p.group_resource = item.group_resource;
    p.api_version_kind = std::string(api_version_kind);
    p.namespace_ = item.target_namespace;
    p.name = std::string(name);
    p.action = writes() ? applied[i] : planned[i];
    p.reason = std::move(reason);
    p.diff = std::move(diff);
    std::lock_guard lock(callback_mu_);
    options_.on_plan(p);
  }
  progress(item.group_resource);
}

// Items a restore leaves alone without recording them (filtered out, completed): in the plan only.
void Restorer::plan_only(const Item& item, std::string_view api_version_kind, std::string_view action,
                         std::string reason) {
  if (!options_.on_plan) return;
  RestorePlanItem p;
  p.group_resource = item.group_resource;
  p.api_version_kind = std::string(api_version_kind);
  p.namespace_ = item.target_namespace;
  p.name = item.name;
  p.action = std::string(action);
  p.reason = std::move(reason);
  std::lock_guard lock(callback_mu_);
  options_.on_plan(p);
}

// EnsureNamespaceExistsAndIsReady (restore §2.3 step 2): the target namespace is created from the
// archived Namespace (labels, annotations, spec; no restore labels) or bare, once; an existing one
// is never patched; a terminating one is waited for.
void Restorer::ensure_namespace(const std::string& target_ns, const std::string& source_ns) {
  if (target_ns.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (namespaces_ensured_.count(target_ns)) return;
  }
  std::lock_guard creating(namespace_mu_);
  {
    std::lock_guard lock(mu_);
    if (namespaces_ensured_.count(target_ns)) return;
  }
  const ApiResource* nsr = target_.discovery().find("", "namespaces");
  if (!nsr) throw Error(ErrorCode::kube, target_.describe() + " serves no namespaces");
  Item item{"namespaces", "", "", target_ns, "", false};
  auto deadline = std::chrono::steady_clock::now() + options_.resource_timeout;
  while (true) {
    auto existing = target_.get(*nsr, "", target_ns);
    if (!existing) break;
    const json::object* status = json::find_object(*existing, "status");
    if (!status || json::get_string(*status, "phase") != "Terminating" || !writes()) {
      std::lock_guard lock(mu_);
      namespaces_ensured_.insert(target_ns);
      return;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw Error(ErrorCode::kube, "timed out waiting for terminating namespace " + target_ns + " to disappear before restoring");
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  json::object md{{"name", target_ns}};
  json::object ns{{"apiVersion", "v1"}, {"kind", "Namespace"}};
  if (auto bytes = contents_.read("namespaces", "", source_ns)) {
    try {
      auto v = json::parse(*bytes, "resources/namespaces/cluster/" + source_ns + ".json");
      if (v.is_object()) {
        if (const json::object* labels = json::metadata_map(v.get_object(), "labels")) md["labels"] = *labels;
        if (const json::object* ann = json::metadata_map(v.get_object(), "annotations")) md["annotations"] = *ann;
        if (const json::object* spec = json::find_object(v.get_object(), "spec")) ns["spec"] = *spec;
      }
    } catch (const Error&) {
      log_.warning("Error unmarshaling namespace from backup, creating new one.", {{"namespace", source_ns}});
    }
  }
  ns["metadata"] = std::move(md);
  if (read_only_live()) {
    record(item, "v1/Namespace", target_ns, ItemOutcome::created, "namespace of restored items");
  } else {
    try {
      target_.create(*nsr, ns);
      record(item, "v1/Namespace", target_ns, ItemOutcome::created, "namespace of restored items");
    } catch (const kube::KubeError& e) {
      if (e.reason() != kube::Reason::already_exists) throw;
    }
  }
  std::lock_guard lock(mu_);
  namespaces_ensured_.insert(target_ns);
}

// Namespace objects are not restored as items: each included one makes sure its (mapped) namespace
// exists, created from the archived object (Velero's restoreResource, corpus Surprise 7).
void Restorer::restore_namespace_objects(const std::string& version_dir) {
  for (const auto& name : contents_.items("namespaces", "", version_dir)) {
    check_cancelled();
    Item item{"namespaces", "", "", name, version_dir, false};
    if (!selection_->includes_namespace(name)) {
      plan_only(item, "v1/Namespace", writes() ? "skipped" : "skip", "namespace " + name + " is excluded");
      continue;
    }
    try {
      ensure_namespace(map_namespace(name), name);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled) throw;
      add_error("", e.what(), {{"namespace", map_namespace(name)}});
    }
  }
}

void Restorer::walk_resource(const std::string& gr) {
  check_cancelled();
  if (!selection_->includes_resource(gr)) {
    log_.info("Skipping restore of resource because the restore spec excludes it", {{"resource", gr}});
    if (options_.on_plan) {
      for (const auto& ns : contents_.namespaces(gr)) {
        contents_.for_each_item(gr, ns, "", [&](std::string_view name) {
          Item item{gr, ns, map_namespace(ns), std::string(name), "", !ns.empty()};
          plan_only(item, gr, "skip", "resource " + gr + " is excluded");
        });
      }
    }
    return;
  }
  auto choice = restore::choose_version(contents_, gr, target_.discovery());
  log_.info(choice.reason, {{"resource", gr}});
  if (gr == "namespaces") {
    restore_namespace_objects(choice.version_dir);
    return;
  }
  const int workers = options_.mode == RestoreOptions::Mode::apply ? std::max(1, options_.parallel) : 1;
  auto task_of = [&](Item item) { return [this, item = std::move(item)]() mutable { restore_item(std::move(item)); }; };
  std::optional<Pool> pool;
  if (workers > 1) {
    pool.emplace(workers, [this](std::function<void()>& task) {
      if (cancelled_.load()) return;
      try {
        task();
      } catch (const Error& e) {
        if (e.code() == ErrorCode::cancelled) {
          cancelled_ = true;
        } else {
          add_error("", e.what());
        }
      } catch (const std::exception& e) {
        add_error("", std::string("internal error: ") + e.what());
      } catch (...) {
        // A caller's callback threw something that is not an exception: stop, as a cancel does.
        cancelled_ = true;
      }
    });
  }
  for (const auto& ns : contents_.namespaces(gr, choice.version_dir)) {
    if (ns.empty()) {
      log_.info("Restoring cluster level resource '" + gr + "'");
    } else {
      log_.info("Restoring resource '" + gr + "' into namespace '" + map_namespace(ns) + "'");
    }
    contents_.for_each_entry(gr, ns, choice.version_dir, [&](std::string_view name, restore::BackupContents::EntryRef at) {
      check_cancelled();
      Item item{gr, ns, map_namespace(ns), std::string(name), choice.version_dir, !ns.empty()};
      item.at = at;
      if (pool) {
        pool->submit(task_of(std::move(item)));
      } else {
        restore_item(std::move(item));
      }
    });
  }
  if (pool) pool->wait();
  check_cancelled();
}

void Restorer::walk(const std::vector<std::string>& order, bool crds_only) {
  for (const auto& gr : order) {
    if ((gr == kCrds) != crds_only) continue;
    walk_resource(gr);
  }
}

void Restorer::run() {
  log_.info("Starting restore of backup " + options_.velero_namespace + "/" + backup_name_);
  // Velero adds the archive's problems ("zero items to be restored: ...") as Velero-level warnings
  // (restore.go execute(): warnings.AddVeleroError), not cluster ones (TestInvalidTarballContents).
  for (const auto& w : contents_.warnings()) {
    log_.warning(w);
    std::lock_guard lock(mu_);
    warnings_.add_velero(w);
  }
  for (const auto& n : contents_.notes()) log_.info(n);
  auto priorities = restore::Priorities::parse(options_.restore_resource_priorities);
  auto order = restore::restore_order(contents_, target_.discovery(), priorities);
  // restore §2.2: CRDs first; discovery refreshed after them, as Velero's processSelectedResource
  // does whenever the backup's CRDs were processed (restore.go: "refresh discovery after restoring
  // CRDs"), not only when one was created: a CRD that already existed may have become Established
  // since this client last read discovery (a long-lived server's client).
  walk(order, true);
  const bool crds_walked = std::find(order.begin(), order.end(), kCrds) != order.end() &&
                           selection_->includes_resource(std::string(kCrds));
  if (crds_changed_ || crds_walked) {
    try {
      target_.refresh_discovery();
    } catch (const Error& e) {
      add_warning("", std::string("refresh discovery after restoring CRDs: ") + e.what());
    }
    order = restore::restore_order(contents_, target_.discovery(), priorities);
  }
  walk(order, false);
}

}  // namespace vbackup::detail
