#include "restore/actions/pv_decision.hpp"

#include "restore/actions/item_rules.hpp"
#include "restore/actions/object_access.hpp"
#include "vbackup/velero_meta.hpp"

namespace vbackup::restore {

using namespace detail;

namespace {

struct ClaimRef {
  std::string namespace_, name;
};

std::optional<ClaimRef> claim_ref(const json::object& pv, std::string_view what) {
  const json::object* spec = object_field(pv, "spec", what, "");
  const json::object* ref = spec ? object_field(*spec, "claimRef", what, "spec") : nullptr;
  if (!ref) return std::nullopt;
  return ClaimRef{std::string(string_field(*ref, "namespace", what, "spec.claimRef").value_or("")),
                  std::string(string_field(*ref, "name", what, "spec.claimRef").value_or(""))};
}

// A string at a dotted path of an object ("" when any step is missing or not of the right type).
std::string_view string_at(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::object* cur = &o;
  std::string_view last;
  std::size_t i = 0;
  for (std::string_view key : path) {
    if (++i == path.size()) {
      last = key;
      break;
    }
    cur = json::find_object(*cur, key);
    if (!cur) return {};
  }
  return json::get_string(*cur, last);
}

bool has_native_snapshot(std::string_view pv_name, const json::array* snapshots) {
  for (std::size_t i = 0; snapshots && i < snapshots->size(); ++i) {
    if ((*snapshots)[i].is_object() && string_at((*snapshots)[i].get_object(), {"spec", "persistentVolumeName"}) == pv_name) {
      return true;
    }
  }
  return false;
}

// hasPodVolumeBackup: only a Completed PVB with a snapshot ID counts (restore §3.0 item 7).
bool has_pod_volume_backup(const std::optional<ClaimRef>& claim, const json::array* pvbs) {
  if (!claim || !pvbs) return false;
  for (const auto& v : *pvbs) {
    if (!v.is_object()) continue;
    const json::object& pvb = v.get_object();
    if (string_at(pvb, {"status", "phase"}) != "Completed" || string_at(pvb, {"status", "snapshotID"}).empty()) continue;
    const json::object* annotations = json::metadata_map(pvb, "annotations");
    if (string_at(pvb, {"spec", "pod", "namespace"}) == claim->namespace_ &&
        (annotations ? json::get_string(*annotations, "velero.io/pvc-name") : "") == claim->name) {
      return true;
    }
  }
  return false;
}

bool has_csi_volume_snapshot(const std::optional<ClaimRef>& claim, const json::array* snapshots) {
  if (!claim || !snapshots) return false;
  for (const auto& v : *snapshots) {
    if (!v.is_object()) continue;
    const json::object& vs = v.get_object();
    const json::object* spec = json::find_object(vs, "spec");
    const json::object* source = spec ? json::find_object(*spec, "source") : nullptr;
    const json::value* pvc = source ? source->if_contains("persistentVolumeClaimName") : nullptr;
    if (!pvc || !pvc->is_string()) continue;  // a snapshot without a source PVC is skipped
    if (pvc->get_string() == claim->name && json::metadata_string(vs, "namespace") == claim->namespace_) return true;
  }
  return false;
}

bool has_data_upload_result(const ActionContext& context, const std::optional<ClaimRef>& claim) {
  if (!claim) return false;
  // labels.SelectorFromSet: keys in sorted order.
  std::string selector = "velero.io/pvc-namespace-name=" + velero::get_valid_name(claim->namespace_ + "." + claim->name) +
                         ",velero.io/resource-usage=DataUploadResult,velero.io/restore-uid=" +
                         velero::get_valid_name(context.restore.metadata.uid);
  return context.target.list("configmaps", context.velero_namespace, selector).size() == 1;
}

// remapClaimRefNS: the claim's namespace through the namespace mapping.
void remap_claim_ref(const ActionContext& context, json::object& pv, std::string_view what) {
  const auto& mapping = context.restore.spec.namespace_mapping;
  if (mapping.empty()) return;
  json::object* spec = object_field(pv, "spec", what, "");
  json::object* ref = spec ? object_field(*spec, "claimRef", what, "spec") : nullptr;
  if (!ref) return;
  auto it = mapping.find(std::string(string_field(*ref, "namespace", what, "spec.claimRef").value_or("")));
  if (it != mapping.end()) (*ref)["namespace"] = it->second;
}

// metadata.deletionTimestamp set.
bool deleting(const json::object& o) {
  const json::object* md = json::find_object(o, "metadata");
  const json::value* ts = md ? md->if_contains("deletionTimestamp") : nullptr;
  return ts && !ts->is_null();
}

// shouldRestore, one poll: nullopt = keep waiting (reason set); true = no PV of that name in the
// cluster; false = one exists and stays.
std::optional<bool> should_restore(const ActionContext& context, std::string_view name, std::string& reason) {
  std::optional<json::object> existing = context.target.get("persistentvolumes", "", name);
  if (!existing) return true;
  const std::string what = resource_id("persistentvolumes", "", name);
  if (string_at(*existing, {"status", "phase"}) == "Released" || deleting(*existing)) {
    reason = "PV found, but marked for deletion, waiting";
    return std::nullopt;
  }
  auto claim = claim_ref(*existing, what);
  if (!claim) {
    reason = "PV is not marked for deletion and is not claimed by a PVC";
    return false;
  }
  std::optional<json::object> pvc = context.target.get("persistentvolumeclaims", claim->namespace_, claim->name);
  if (!pvc) {
    reason = "PVC " + claim->name + " for PV not found, waiting";
    return std::nullopt;
  }
  if (deleting(*pvc)) {
    reason = "PVC for PV marked for deletion, waiting";
    return std::nullopt;
  }
  std::optional<json::object> ns = context.target.get("namespaces", "", claim->namespace_);
  if (!ns) {
    reason = "namespace " + claim->namespace_ + " for PV not found, waiting";
    return std::nullopt;
  }
  if (deleting(*ns) || string_at(*ns, {"status", "phase"}) == "Terminating") {
    reason = "namespace " + claim->namespace_ + " associated with PV is deleting, waiting";
    return std::nullopt;
  }
  reason = "PV, associated PVC and namespace are not marked for deletion";
  return false;
}

PvDecision decision(PvAction action, std::string reason, json::object pv) {
  PvDecision d;
  d.action = action;
  d.reason = std::move(reason);
  d.pv = std::move(pv);
  return d;
}

PvDecision provision(json::object pv, std::string reason) {
  return decision(PvAction::provision_dynamically, std::move(reason), std::move(pv));
}

// handlePVHasNativeSnapshot.
PvDecision native_snapshot(const ActionContext& context, json::object pv, std::string_view what) {
  PvDecision d;
  const std::string name(json::metadata_string(pv, "name"));
  auto claim = claim_ref(pv, what);
  const auto& mapping = context.restore.spec.namespace_mapping;
  // shouldRenamePV: the claim's namespace is mapped and the PV's name is taken in the cluster.
  d.rename = !mapping.empty() && claim && mapping.contains(claim->namespace_) &&
             context.target.get("persistentvolumes", "", name).has_value();
  remap_claim_ref(context, pv, what);
  bool restore_snapshot = true;
  if (!d.rename) {
    std::string reason;
    std::optional<bool> decided = should_restore(context, name, reason);
    if (!decided) return decision(PvAction::wait, reason, std::move(pv));
    restore_snapshot = *decided;
    if (!restore_snapshot) {
      d.action = PvAction::create;
      d.reason = reason + ": the snapshot is not restored";
      d.pv = std::move(pv);
      return d;
    }
  }
  reset_volume_binding_info(pv);
  if (context.restore.spec.restore_pvs == false) {
    // pvRestorer.executePVAction returns the PV untouched when restorePVs is false.
    d.action = PvAction::create;
    d.reason = "spec.restorePVs is false: the persistent volume is created without restoring its snapshot.";
    d.pv = std::move(pv);
    return d;
  }
  d.action = PvAction::restore_from_snapshot;
  d.reason = "Restoring persistent volume from snapshot.";
  d.pv = std::move(pv);
  return d;
}

}  // namespace

PvDecision decide_persistent_volume(const ActionContext& context, json::object pv, const BackupVolumeRecords& records) {
  const std::string name(json::metadata_string(pv, "name"));
  const std::string what = resource_id("persistentvolumes", "", name);
  const json::object* spec = object_field(pv, "spec", what, "");
  const bool reclaim_delete =
      spec && string_field(*spec, "persistentVolumeReclaimPolicy", what, "spec").value_or("") == "Delete";
  const std::string pvb_reason =
      "Dynamically re-provisioning persistent volume because it has a pod volume backup to be restored.";
  const std::string csi_reason =
      "Dynamically re-provisioning persistent volume because it has a CSI VolumeSnapshot or a related snapshot DataUpload.";
  const std::string delete_reason =
      "Dynamically re-provisioning persistent volume because it doesn't have a snapshot and its reclaim policy is Delete.";
  auto as_is = [&](json::object pv) {
    remap_claim_ref(context, pv, what);
    reset_volume_binding_info(pv);
    return decision(PvAction::create,
                    "Restoring persistent volume as-is because it doesn't have a snapshot and its reclaim policy is "
                    "not Delete.",
                    std::move(pv));
  };

  const json::object* info = nullptr;  // the last entry for this PV wins, as in Velero's map
  for (std::size_t i = 0; records.volume_infos && i < records.volume_infos->size(); ++i) {
    const json::value& v = (*records.volume_infos)[i];
    if (v.is_object() && json::get_string(v.get_object(), "pvName") == name) info = &v.get_object();
  }
  if (info) {
    std::string_view method = json::get_string(*info, "backupMethod");
    if (method == "NativeSnapshot") return native_snapshot(context, std::move(pv), what);
    if (method == "PodVolumeBackup") return provision(std::move(pv), pvb_reason);
    if (method == "CSISnapshot") return provision(std::move(pv), csi_reason);
    // Skipped volumes have no method and fall to the reclaim policy.
    return reclaim_delete ? provision(std::move(pv), delete_reason) : as_is(std::move(pv));
  }

  // Legacy path (backups without volume info).
  auto claim = claim_ref(pv, what);
  if (has_native_snapshot(name, records.volume_snapshots)) return native_snapshot(context, std::move(pv), what);
  if (has_pod_volume_backup(claim, records.pod_volume_backups)) return provision(std::move(pv), pvb_reason);
  if (has_csi_volume_snapshot(claim, records.csi_volume_snapshots) || has_data_upload_result(context, claim)) {
    return provision(std::move(pv), csi_reason);
  }
  return reclaim_delete ? provision(std::move(pv), delete_reason) : as_is(std::move(pv));
}

}  // namespace vbackup::restore
