// The per-item pipeline of Velero's restoreItem (restore §2.3), steps 1–14; the apply step (15–19)
// is apply.cpp. Each item ends recorded once: created, updated, unchanged (Velero's "skipped" for an
// equal object), skipped or failed; filtered and completed items are not recorded, as in Velero.
#include "core/tree_storage.hpp"
#include "restore/actions/item_rules.hpp"
#include "restore/restorer.hpp"

#include "vbackup/error.hpp"

namespace vbackup::detail {
namespace {

std::string item_path(const std::string& gr, const std::string& ns, const std::string& name, const std::string& vdir) {
  std::string p = "resources/" + gr + (vdir.empty() ? "" : "/" + vdir);
  return p + (ns.empty() ? "/cluster/" : "/namespaces/" + ns + "/") + name + ".json";
}

std::string resource_id(const std::string& gr, const std::string& ns, const std::string& name) {
  return gr + "/" + (ns.empty() ? "" : ns + "/") + name;
}

}  // namespace

// The answer stays valid for the restorer's life: entries are never erased (std::map nodes do not move).
const ApiResource* Restorer::resolve(std::string_view api_version, std::string_view kind) {
  std::string key = std::string(api_version) + "/" + std::string(kind);
  std::lock_guard lock(mu_);
  auto it = resolved_.find(key);
  if (it == resolved_.end()) {
    std::optional<ApiResource> r;
    if (const ApiResource* found = target_.discovery().find_kind(api_version, kind)) r = *found;
    it = resolved_.emplace(std::move(key), std::move(r)).first;
  }
  return it->second ? &*it->second : nullptr;
}

void Restorer::restore_item(Item item) {
  check_cancelled();
  const std::string path = item_path(item.group_resource, item.source_namespace, item.name, item.version_dir);
  auto bytes = item.at ? std::optional<std::string>(contents_.read(*item.at))
                       : contents_.read(item.group_resource, item.source_namespace, item.name, item.version_dir);
  if (!bytes) {
    // An additional item the backup does not hold (restore §2.3 step 8: a warning).
    add_warning(item.source_namespace, "additional item " + resource_id(item.group_resource, item.source_namespace, item.name) +
                                           " is not in the backup");
    return;
  }
  // Move-constructed, never move-assigned: boost::json copies an object assigned across storages,
  // which would copy every item out of its bump allocator into malloc'd nodes (issue 17).
  std::optional<json::object> obj;
  try {
    // One bump allocator per item, shared by the copies and edits below and freed with the item:
    // node-by-node malloc/free was the largest share of the restore's own CPU (issue 17).
    // Its first block also holds the copy the actions read (Velero's ItemFromBackup) and the edits,
    // and comes from a pool (core/tree_storage.hpp: malloc'd and freed per item by 8 workers, these
    // blocks grew the restore's RSS with the item count).
    auto v = json::parse(*bytes, path, detail::tree_storage(*bytes, 2));
    if (!v.is_object()) throw invalid_input(path + ": expected a JSON object");
    obj.emplace(std::move(v.get_object()));
  } catch (const Error& e) {
    // TestInvalidTarballContents: "error decoding", the rest of the restore goes on.
    add_error(item.target_namespace, "error decoding \"" + path + "\": " + e.what());
    std::string avk = item.group_resource;
    record(item, avk, item.name, ItemOutcome::failed, "error decoding");
    return;
  }
  try {
    restore_item_body(item, std::move(*obj));
  } catch (const Error& e) {
    if (e.code() == ErrorCode::cancelled) throw;
    add_error(item.target_namespace, "error restoring " + resource_id(item.group_resource, item.target_namespace, item.name) +
                                         ": " + e.what());
  } catch (const std::exception& e) {
    // Not an Error: a bug or an exhausted resource; the item fails, the restore goes on.
    add_error(item.target_namespace, "error restoring " + resource_id(item.group_resource, item.target_namespace, item.name) +
                                         ": internal error: " + e.what());
  }
}

// Returns false when the item was left out without a record.
bool Restorer::restore_item_body(Item& item, json::object obj) {
  const std::string gr = item.group_resource;
  const std::string api_version(json::get_string(obj, "apiVersion"));
  const std::string kind(json::get_string(obj, "kind"));
  const std::string avk = api_version + "/" + kind;
  const std::string id = resource_id(gr, item.source_namespace, item.name);
  LogFields where{{"resource", gr}, {"namespace", item.target_namespace}, {"name", item.name}};
  const json::object* labels = json::metadata_map(obj, "labels");

  // Step 1: filters (the source namespace is tested; restore §2.7).
  if (!item.must_include) {
    bool included = item.additional
                        ? selection_->includes_additional_item(gr, item.namespaced, item.source_namespace)
                        : selection_->includes_item(gr, item.namespaced, item.source_namespace, item.name, labels, kind);
    if (!included) {
      std::string why = item.additional ? "additional item excluded by the restore's filters"
                                        : selection_->why_not(gr, item.namespaced, item.source_namespace, item.name, labels, kind);
      log_.info("Not restoring item: " + why, where);
      plan_only(item, avk, writes() ? "skipped" : "skip", why);
      return false;
    }
  } else {
    log_.info("Skipping the resource/namespace exclusion checks because the item is marked as must-include", where);
  }
  auto resource = resolve(api_version, kind);
  // Step 2: the target namespace.
  if (item.namespaced) ensure_namespace(item.target_namespace, item.source_namespace);
  // Step 3: completed pods and jobs are not restored, nor recorded.
  if (restore::is_completed(obj, gr)) {
    log_.info(item.source_namespace + "/" + item.name + " is complete - skipping", where);
    plan_only(item, avk, writes() ? "skipped" : "skip", "completed (pod Succeeded/Failed, job with completionTime)");
    return false;
  }
  // Step 4: once per apiVersion/Kind, namespace and name.
  {
    std::lock_guard lock(restored_mu_);
    if (!restored_->insert(avk + "|" + item.target_namespace + "|" + item.name)) {
      log_.info("Skipping " + id + " because it's already been restored.", where);
      return false;
    }
  }
  if (!resource) {
    add_error(item.target_namespace, "error restoring " + id + ": the target does not serve " + api_version + ", Kind=" + kind,
              where);
    record(item, avk, item.name, ItemOutcome::failed, "the target does not serve " + api_version + ", Kind=" + kind);
    return true;
  }
  // From here on Velero's deferred function records the outcome (restore §2.3 step 4): an error on
  // the way (an item of the wrong shape meeting the PV decision or an action) is the item's own,
  // recorded failed as well as named in the results.
  std::optional<json::value> status;
  auto transform = [&]() -> bool {  // true: the item was decided (and recorded) before the apply step
    // Step 5: mirror pods.
    if (restore::is_mirror_pod(obj, gr)) {
      log_.info("Not restoring pod because it's a mirror pod", where);
      record(item, avk, item.name, ItemOutcome::skipped, "mirror pod");
      return true;
    }
    const json::object from_backup(obj, obj.storage());
    // Step 6: the PV decision (restore §2.8).
    if (gr == "persistentvolumes") {
      auto d = restore::decide_persistent_volume(*action_context_, obj, volume_records_);
      log_.info(d.reason, where);
      switch (d.action) {
        case restore::PvAction::provision_dynamically: {
          std::lock_guard lock(mu_);
          pvs_to_provision_.insert(item.name);
        }
          record(item, avk, item.name, ItemOutcome::skipped, d.reason);
          return true;
        case restore::PvAction::restore_from_snapshot:
        case restore::PvAction::wait:
          add_error(item.target_namespace, "error restoring " + id + ": the volume has a native snapshot; restoring volume "
                                           "snapshots is not supported by libvbackup yet", where);
          record(item, avk, item.name, ItemOutcome::failed, "native volume snapshots are not supported yet");
          return true;
        case restore::PvAction::create:
          obj = std::move(d.pv);
          break;
      }
    }
    // Step 7: metadata reset, status kept aside.
    status = restore::reset_metadata_and_status(obj);
    // Step 8: the built-in RestoreItemActions.
    std::optional<restore::ActionRun> ran;  // constructed, not assigned (see restore_item)
    try {
      ran.emplace(restore::run_restore_item_actions(actions_, *action_context_,
                                                    {gr, item.source_namespace, item.target_namespace, std::move(obj), from_backup}));
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled) throw;
      add_error(item.target_namespace, "error preparing " + id + ": " + e.what(), where);
      record(item, avk, item.name, ItemOutcome::failed, std::string("error preparing: ") + e.what());
      return true;
    }
    restore::ActionRun& run = *ran;
    for (const auto& w : run.warnings) add_warning(item.target_namespace, w, where);
    for (const auto& e : run.errors) add_error(item.target_namespace, e, where);
    if (run.skip_restore) {
      log_.info("Skipping restore because a registered plugin discarded it", where);
      record(item, avk, item.name, ItemOutcome::skipped, "skipped by " + run.skipped_by);
      return true;
    }
    for (const auto& group : run.additional) {
      for (const auto& ref : group.items) {
        Item extra{ref.group_resource, ref.namespace_, map_namespace(ref.namespace_), ref.name, "", !ref.namespace_.empty(),
                   true, group.must_include};
        restore_item(std::move(extra));
      }
    }
    obj = std::move(run.item);
    // The last pod action in Velero's alphabetical order (after init-restore-hook), so last here too.
    // Step 9: a PVC follows its PV's fate.
    if (gr == "persistentvolumeclaims") {
      std::lock_guard lock(mu_);
      restore::reset_pvc_binding(obj, pvs_to_provision_);
    }
    // Step 10: resource modifiers, on the source namespace.
    if (modifiers_) {
      for (const auto& e : modifiers_->apply(obj, gr, item.source_namespace)) add_error(item.target_namespace, e, where);
    }
    // Steps 11–12: the target namespace and the restore labels.
    if (item.namespaced) {
      if (!obj["metadata"].is_object()) obj["metadata"] = json::object{};
      obj["metadata"].get_object()["namespace"] = item.target_namespace;
    }
    restore::add_restore_labels(obj, restore_.metadata.name, backup_name_);
    // The caller's RestoreItemAction (ours), last, before the object meets the cluster.
    if (options_.on_item) {
      RestoreItem ri{gr, *resource, item.source_namespace, item.target_namespace, std::move(obj), false, {}};
      {
        std::lock_guard lock(callback_mu_);
        options_.on_item(ri);
      }
      obj = std::move(ri.object);
      if (ri.skip) {
        log_.info("Skipping item because the item hook asked to", where);
        record(item, avk, item.name, ItemOutcome::skipped, "skipped by the item hook");
        return true;
      }
      for (const auto& ref : ri.additional) {
        restore_item(Item{ref.group_resource, ref.namespace_, map_namespace(ref.namespace_), ref.name, "",
                          !ref.namespace_.empty(), true, false});
      }
    }
    // Step 13: a kind changed by an action or the hook is restored as what it became.
    std::string new_avk = std::string(json::get_string(obj, "apiVersion")) + "/" + std::string(json::get_string(obj, "kind"));
    if (new_avk != avk) {
      log_.info("Resource kind changed from " + avk + " to " + new_avk, where);
      resource = resolve(json::get_string(obj, "apiVersion"), json::get_string(obj, "kind"));
      if (!resource) {
        add_error(item.target_namespace, "error getting GVR for " + new_avk, where);
        record(item, new_avk, item.name, ItemOutcome::failed, "the target does not serve " + new_avk);
        return true;
      }
    }
    return false;
  };
  try {
    if (transform()) return true;
  } catch (const Error& e) {
    if (e.code() == ErrorCode::cancelled) throw;
    add_error(item.target_namespace, "error restoring " + id + ": " + e.what(), where);
    record(item, avk, item.name, ItemOutcome::failed, e.what());
    return true;
  }
  apply(item, *resource, std::move(obj), status);
  return true;
}

}  // namespace vbackup::detail
