// The object meets the target (restore §2.3 steps 14–19, §2.6): create it, or apply Velero's rules
// for an object that exists — with one deliberate improvement (velero#1948): "equal" means the
// cluster already holds everything the backup asks for (restore/actions/compare.hpp), so an
// unchanged object is reported unchanged, without a warning. In a dry run or a diff nothing is
// written: the same decisions are reported, with a unified diff of what would change.
#include "patch/patch.hpp"
#include "restore/actions/compare.hpp"
#include "restore/actions/item_rules.hpp"
#include "restore/restorer.hpp"

#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/velero.hpp"

#include <algorithm>

namespace vbackup::detail {
namespace {

std::string resource_id(const std::string& gr, const std::string& ns, const std::string& name) {
  return gr + "/" + (ns.empty() ? "" : ns + "/") + name;
}

// isAlreadyExistsError's Service case: every cause says the port is taken.
bool port_allocated(const kube::KubeError& e) {
  if (e.reason() != kube::Reason::invalid && e.reason() != kube::Reason::internal_error) return false;
  if (e.causes().empty()) return false;
  for (const auto& c : e.causes()) {
    if (c.message.find("provided port is already allocated") == std::string::npos) return false;
  }
  return true;
}

// A merge patch that sets every field the backup sets and removes nothing: the deletions
// CreateMergePatch would add are the fields the server or another writer added (defaults, a
// clusterIP, a controller's annotation); patching them away is what makes Velero's update fail or be
// reverted at once. (Ours: Velero's patch also deletes them.)
void drop_deletions(json::value& patch) {
  if (!patch.is_object()) return;
  auto& o = patch.get_object();
  for (auto it = o.begin(); it != o.end();) {
    if (it->value().is_null()) {
      it = o.erase(it);
    } else {
      drop_deletions(it->value());
      if (it->value().is_object() && it->value().get_object().empty()) {
        it = o.erase(it);
      } else {
        ++it;
      }
    }
  }
}

// The restore labels alone, as updateBackupRestoreLabels patches them.
std::string labels_patch(const json::object& desired) {
  json::object labels;
  if (const json::object* l = json::metadata_map(desired, "labels")) {
    for (auto key : {velero::label::backup_name, velero::label::restore_name}) {
      if (auto* v = l->if_contains(key)) labels[key] = *v;
    }
  }
  return json::marshal(json::object{{"metadata", json::object{{"labels", std::move(labels)}}}});
}

json::object strip_for_diff(json::object o) {
  if (auto* md = o.if_contains("metadata") ? o["metadata"].if_object() : nullptr) md->erase("managedFields");
  return o;
}

}  // namespace

void Restorer::apply(const Item& item, const ApiResource& r, json::object obj, const std::optional<json::value>& status) {
  const std::string name(json::metadata_string(obj, "name"));
  const std::string kind(json::get_string(obj, "kind"));
  const std::string avk = std::string(json::get_string(obj, "apiVersion")) + "/" + kind;
  const std::string& ns = item.target_namespace;
  const std::string id = resource_id(item.group_resource, ns, name.empty() ? item.name : name);
  LogFields where{{"resource", item.group_resource}, {"namespace", ns}, {"name", item.name}};
  log_.info("Attempting to restore " + kind + ": " + item.name + ".", where);

  // Step 14: get, then create. Velero gets from its informer cache, filled by one LIST of the
  // resource in the namespace; a GET request per item (a 404 for most items of a restore into a new
  // cluster) cost a third of the requests (issue 17). So a live restore that writes lists the names
  // once per resource and namespace, and GETs only an object the LIST saw (then §2.6 as before); an
  // object created since fails the create with AlreadyExists and is got then, as in Velero. Dry runs
  // and offline targets GET each item, as before.
  std::optional<json::object> existing;
  if (!name.empty() && (!writes() || target_.offline() || may_exist(r, ns, name))) existing = target_.get(r, ns, name);
  if (existing) {
    handle_existing(item, r, obj, *existing);
    return;
  }
  // What a later action reads of the target must include what this restore would have created.
  if (!writes() && item.group_resource == "volumesnapshotclasses.snapshot.storage.k8s.io") {
    lookup_.planned(item.group_resource, obj);
  }
  if (read_only_live()) {
    // Under the name it would be created with (an action may rename it: csi §2), as the apply records it.
    record(item, avk, name.empty() ? item.name : name, ItemOutcome::created, "",
           options_.mode == RestoreOptions::Mode::diff
               ? patch::unified_diff(json::value(nullptr), strip_for_diff(obj), "/dev/null", id)
               : std::string());
    return;
  }
  // Step 16 needs the created object (its resourceVersion); otherwise only its name is read, and a
  // live target does not parse the answer (issue 17).
  std::string note;
  const bool with_status = status && !target_.offline() &&
                           restore::should_restore_status(obj, status_filter_ ? &*status_filter_ : nullptr,
                                                          item.group_resource, &note);
  std::optional<json::object> answer;  // constructed from the answer, in its storage (see item.cpp)
  std::string created_name;
  try {
    if (with_status) {
      answer.emplace(target_.create(r, obj));
      created_name = json::metadata_string(*answer, "name");
    } else {
      created_name = target_.create_returning_name(r, obj);
    }
  } catch (const kube::KubeError& e) {
    bool exists = e.reason() == kube::Reason::already_exists;
    if (!exists && item.group_resource == "services" && port_allocated(e)) {
      // isAlreadyExistsError: only when the Service itself is there.
      if (auto again = target_.get(r, ns, name)) {
        log_.info("Service " + ns + "/" + name + " exists, ignore the provided port is already allocated error", where);
        handle_existing(item, r, obj, *again);
        return;
      }
    }
    if (exists) {
      if (auto again = target_.get(r, ns, name)) {
        handle_existing(item, r, obj, *again);
        return;
      }
      add_warning(ns, e.status_message(), where);
      record(item, avk, item.name, ItemOutcome::failed, e.status_message());
      return;
    }
    add_error(ns, "error restoring " + id + ": " + e.status_message(), where);
    record(item, avk, item.name, ItemOutcome::failed, e.status_message());
    return;
  }
  if (created_name.empty()) created_name = item.name;
  record(item, avk, created_name, ItemOutcome::created);
  if (target_.offline()) {
    if (item.group_resource == "customresourcedefinitions.apiextensions.k8s.io") {
      std::lock_guard lock(mu_);
      crds_changed_ = true;
    }
    return;
  }
  // Step 16: status, when asked for (restore §2.9); a failure is a warning.
  if (with_status) restore_status(item, r, obj, std::move(*answer), *status);
  if (!note.empty()) log_.info(note, where);
  // Step 17: managedFields as backed up.
  if (const json::object* md = json::find_object(obj, "metadata")) {
    if (const auto* mf = md->if_contains("managedFields"); mf && mf->is_array() && !mf->get_array().empty()) {
      try {
        // {"metadata":{"managedFields":…}}, without copying the entries into a new object first.
        std::string body = "{\"metadata\":{\"managedFields\":";
        json::marshal_to(*mf, body);
        body += "}}";
        target_.patch_without_answer(r, ns, created_name, kube::PatchType::merge, body);
      } catch (const kube::KubeError& e) {
        if (e.reason() == kube::Reason::not_found) {
          add_warning(ns, e.status_message(), where);
        } else {
          add_error(ns, "error patch for managed fields " + ns + "/" + created_name + ": " + e.status_message(), where);
        }
      }
    }
  }
  // Step 19: a created CRD must be ready before its custom resources (restore §2.2).
  if (item.group_resource == "customresourcedefinitions.apiextensions.k8s.io") {
    {
      std::lock_guard lock(mu_);
      crds_changed_ = true;
    }
    try {
      target_.wait_for_crd(created_name, options_.resource_timeout);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled) throw;
      add_error(ns, "the CRD " + created_name + " is not available to use for custom resources", where);
    }
  }
}

bool Restorer::may_exist(const ApiResource& r, const std::string& ns, const std::string& name) {
  if (std::find(r.verbs.begin(), r.verbs.end(), "list") == r.verbs.end()) return true;
  std::string scope = r.group_resource() + "|" + (r.namespaced ? ns : "");
  std::lock_guard lock(existing_mu_);
  auto [it, first] = existing_listed_.try_emplace(scope, false);
  if (first) {
    ListOptions options;
    options.namespace_ = r.namespaced ? ns : "";
    try {
      target_.list(r, options, [&](json::object&& o) {
        existing_.insert(scope + "|" + std::string(json::metadata_string(o, "name")));
      });
      it->second = true;
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled) throw;
      // A failed LIST (RBAC, …) leaves a GET per item, as before; names it added are harmless.
    }
  }
  return !it->second || existing_.contains(scope + "|" + name);
}

void Restorer::restore_status(const Item& item, const ApiResource& r, const json::object& obj, json::object created,
                              const json::value& status) {
  const std::string& ns = item.target_namespace;
  std::string name(json::metadata_string(created, "name"));
  for (int attempt = 0; attempt < 3; ++attempt) {  // RetryOnConflict
    created["status"] = status;
    try {
      target_.update_status(r, created);
      return;
    } catch (const kube::KubeError& e) {
      if (e.reason() == kube::Reason::conflict && attempt < 2) {
        if (auto fresh = target_.get(r, ns, name)) {
          created = std::move(*fresh);
          continue;
        }
      }
      log_.info("status field update failed " + ns + "/" + name + ": " + e.status_message());
      add_warning(ns, e.status_message());
      return;
    }
  }
  (void)obj;
}

// restore §2.6.
void Restorer::handle_existing(const Item& item, const ApiResource& r, const json::object& obj, const json::object& existing) {
  const std::string name(json::metadata_string(obj, "name"));
  const std::string kind(json::get_string(obj, "kind"));
  const std::string avk = std::string(json::get_string(obj, "apiVersion")) + "/" + kind;
  const std::string& ns = item.target_namespace;
  const std::string& policy = restore_.spec.existing_resource_policy;
  const bool diff = options_.mode == RestoreOptions::Mode::diff;
  LogFields where{{"resource", item.group_resource}, {"namespace", ns}, {"name", name}};
  json::object from = restore::prepare_for_compare(existing, json::metadata_map(obj, "labels"));
  auto show = [&](const json::object& to) {
    return diff ? patch::unified_diff(strip_for_diff(from), strip_for_diff(to), "cluster: " + item.group_resource + "/" + name,
                                      "backup: " + item.group_resource + "/" + name)
                : std::string();
  };

  if (restore::content_equal(obj, from)) {
    if (policy == velero::existing_resource_policy::update && writes()) {
      try {
        target_.patch(r, ns, name, kube::PatchType::merge, labels_patch(obj));
      } catch (const kube::KubeError& e) {
        add_warning(ns, e.status_message(), where);
      }
    }
    log_.info("Restore of " + name + " skipped: it already exists in the cluster and is the same as the backed up version", where);
    record(item, avk, name, ItemOutcome::unchanged, "already in the cluster as backed up");
    return;
  }
  auto differs = restore::content_differences(obj, from);
  std::string what = "differs at " + (differs.empty() ? std::string("?") : differs.front()) +
                     (differs.size() > 1 ? " and " + std::to_string(differs.size() - 1) + " more" : "");

  if (item.group_resource == "serviceaccounts") {
    // mergeServiceAccounts, whatever the policy.
    json::object desired = restore::merge_service_accounts(from, obj);
    json::value p = patch::create_merge_patch(from, desired);
    if (p.is_object() && p.get_object().empty()) {
      record(item, avk, name, ItemOutcome::unchanged, "secrets and pull secrets already merged");
      return;
    }
    if (!writes()) {
      record(item, avk, name, ItemOutcome::updated, "ServiceAccount secrets merged", show(desired));
      return;
    }
    try {
      target_.patch(r, ns, name, kube::PatchType::merge, json::marshal(p));
      log_.info("ServiceAccount " + ns + "/" + name + " successfully updated", where);
      record(item, avk, name, ItemOutcome::updated, "ServiceAccount secrets merged");
    } catch (const kube::KubeError& e) {
      add_warning(ns, e.status_message(), where);
      if (policy == velero::existing_resource_policy::update) {
        try {
          target_.patch(r, ns, name, kube::PatchType::merge, labels_patch(obj));
        } catch (const kube::KubeError& e2) {
          add_warning(ns, e2.status_message(), where);
        }
      }
      record(item, avk, name, ItemOutcome::failed, e.status_message());
    }
    return;
  }
  if (policy == velero::existing_resource_policy::update) {
    // processUpdateResourcePolicy: the restore labels blanked on the cluster side, then a merge patch.
    json::object base = from;
    if (auto* md = base.if_contains("metadata") ? base["metadata"].if_object() : nullptr) {
      if (auto* l = md->if_contains("labels") ? (*md)["labels"].if_object() : nullptr) {
        for (auto key : {velero::label::backup_name, velero::label::restore_name}) l->erase(key);
      }
    }
    json::value p = patch::create_merge_patch(base, obj);
    drop_deletions(p);
    if (!writes()) {
      record(item, avk, name, ItemOutcome::updated, what, show(obj));
      return;
    }
    try {
      target_.patch(r, ns, name, kube::PatchType::merge, json::marshal(p));
      log_.info(kind + " " + ns + "/" + name + " successfully updated", where);
      record(item, avk, name, ItemOutcome::updated, what);
    } catch (const kube::KubeError& e) {
      log_.warning("patch attempt failed for " + avk + " " + ns + "/" + name + ": " + e.status_message(), where);
      add_warning(ns, e.status_message(), where);
      try {
        target_.patch(r, ns, name, kube::PatchType::merge, labels_patch(obj));
      } catch (const kube::KubeError& e2) {
        add_warning(ns, e2.status_message(), where);
      }
      record(item, avk, name, ItemOutcome::failed, e.status_message());
    }
    return;
  }
  // Unset or none: a warning, recorded skipped (PR #10243).
  std::string warning = policy == velero::existing_resource_policy::none
                            ? "could not restore, " + kind + " \"" + name + "\" already exists. Warning: the in-cluster "
                              "version is different than the backed-up version"
                            : "could not restore, " + kind + ":" + name + " already exists. Warning: the in-cluster "
                              "version is different than the backed-up version";
  if (writes()) add_warning(ns, warning, where);
  record(item, avk, name, ItemOutcome::skipped, "exists and " + what + " (existingResourcePolicy " +
                                                     (policy.empty() ? std::string("unset") : policy) + ")",
         show(obj));
}

}  // namespace vbackup::detail
