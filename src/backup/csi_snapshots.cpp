// The volume decision and the CSI snapshot of a PVC (csi_snapshots.hpp; csi §1.1–§1.4):
// item_backupper.go executeActions/takePVSnapshot, internal/volumehelper ShouldPerformSnapshot,
// pkg/backup/actions/csi/pvc_action.go and volumesnapshot_action.go Execute, and
// pkg/util/csi/volume_snapshot.go (GetVolumeSnapshotClass, WaitUntilVSCHandleIsReady).
#include "backup/csi_snapshots.hpp"

#include "backup/csi_util.hpp"
#include "policies/volume_policies.hpp"
#include "vbackup/error.hpp"

#include <algorithm>
#include <thread>

namespace vbackup::detail {
namespace {

namespace pa = policies::volume_action;

// item_backupper.go / pv_skip_tracker.go approaches and reasons.
constexpr std::string_view kVolumeSnapshotApproach = "volumeSnapshot", kCsiSnapshotApproach = "csiSnapshot";
constexpr std::string_view kNotSatisfy = "not satisfy the criteria for VolumePolicy or the legacy snapshot way";

bool equal_fold(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

bool has_key(const json::object* m, std::string_view key) { return m && m->find(key) != m->end(); }

}  // namespace

std::string binary_si(std::int64_t bytes) {
  static constexpr const char* kSuffix[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  int i = 0;
  std::int64_t v = bytes;
  while (v != 0 && v % 1024 == 0 && i < 6) {
    v /= 1024;
    ++i;
  }
  return std::to_string(v) + kSuffix[i];
}

CsiSnapshots::CsiSnapshots(CsiContext context) : c_(std::move(context)), kube_(c_.source.kube()) {}

const ApiResource& CsiSnapshots::resource(std::string_view group, std::string_view name, std::string_view kind_list) {
  if (const ApiResource* r = c_.source.discovery().find(std::string(group), std::string(name))) return *r;
  // controller-runtime's words when the CRD is not installed (csi §4 e, #7823).
  throw Error(ErrorCode::not_found, "no matches for kind \"" + std::string(kind_list) + "\" in version \"" +
                                        std::string(group) + "/v1\"");
}

void CsiSnapshots::track(const std::string& pv, std::string approach, std::string reason) {
  if (pv.empty() || reason.empty() || included_pvs_.count(pv)) return;
  skipped_[pv][approach.empty() ? std::string("any") : approach] = std::move(reason);
}

void CsiSnapshots::untrack(const std::string& pv) {
  included_pvs_.insert(pv);
  skipped_.erase(pv);
}

std::optional<json::object> CsiSnapshots::get_pv(const std::string& name) {
  return c_.source.get(resource("", "persistentvolumes", "PersistentVolume"), "", name);
}

// kubeutil.GetPVForPVC.
json::object CsiSnapshots::get_pv_for_pvc(const json::object& pvc) {
  const std::string id = std::string(json::metadata_string(pvc, "namespace")) + "/" + std::string(json::metadata_string(pvc, "name"));
  const std::string volume = csi_util::str(pvc, {"spec", "volumeName"});
  if (volume.empty()) throw invalid_input("PVC " + id + " has no volume backing this claim");
  const std::string phase = csi_util::str(pvc, {"status", "phase"});
  if (phase != "Bound") throw invalid_input("PVC " + id + " is in phase " + phase + " and is not bound to a volume");
  auto pv = get_pv(volume);
  if (!pv) {
    throw Error(ErrorCode::not_found, "failed to get PV " + volume + " for PVC " + id + ": persistentvolumes \"" + volume +
                                          "\" not found");
  }
  return std::move(*pv);
}

// The first "pod/volume" of the namespace mounting `claim` that is chosen for fs-backup
// (shouldPerformFSBackupLegacy, as ShouldPerformSnapshot asks it), or "". The namespace's pods are
// streamed once; only the chosen claims are kept (Velero's PVC-to-pod cache holds the pods).
std::string CsiSnapshots::fs_backup_pod_volume(const std::string& ns, const std::string& claim) {
  auto it = fs_backup_claims_.find(ns);
  if (it == fs_backup_claims_.end()) {
    std::map<std::string, std::string> chosen;
    const bool opt_out = c_.backup.spec.default_volumes_to_fs_backup.value_or(false);
    if (const ApiResource* r = c_.source.discovery().find("", "pods")) {
      ListOptions o;
      o.namespace_ = ns;
      c_.source.list(*r, o, [&](json::object&& pod) {
        const json::object* spec = json::find_object(pod, "spec");
        const json::array* volumes = spec ? json::find_array(*spec, "volumes") : nullptr;
        if (!volumes) return;
        for (const auto& v : *volumes) {
          if (!v.is_object()) continue;
          const json::object& vol = v.get_object();
          std::string claim_name = csi_util::str(vol, {"persistentVolumeClaim", "claimName"});
          if (claim_name.empty()) continue;
          const std::string name(json::get_string(vol, "name"));
          if (opt_out ? !csi_util::annotation_lists(pod, velero::annotation::backup_volumes_excludes, name)
                      : csi_util::annotation_lists(pod, velero::annotation::backup_volumes, name)) {
            chosen.emplace(std::move(claim_name), std::string(json::metadata_string(pod, "name")) + "/" + name);
          }
        }
      });
    }
    it = fs_backup_claims_.emplace(ns, std::move(chosen)).first;
  }
  auto found = it->second.find(claim);
  return found == it->second.end() ? std::string() : found->second;
}

// volumeHelperImpl.ShouldPerformSnapshot for a PVC (pv: its PV, or nullptr when GetPVForPVC failed)
// or a PV (pvc nullptr).
bool CsiSnapshots::should_perform_snapshot(const json::object* pvc, const json::object* pv) {
  if (c_.policies) {
    json::object empty_pvc;  // Velero passes new(PersistentVolumeClaim) for a PV
    policies::VolumeFilterData data{pv, nullptr, pvc ? pvc : &empty_pvc};
    if (const policies::VolumeAction* a = c_.policies->match_volume(data)) return a->type == pa::snapshot;
  }
  if (pv) {
    const std::string ns = csi_util::str(*pv, {"spec", "claimRef", "namespace"});
    const std::string claim = csi_util::str(*pv, {"spec", "claimRef", "name"});
    if (!claim.empty()) {
      if (std::string sel = fs_backup_pod_volume(ns, claim); !sel.empty()) {
        // Backed up with a PodVolumeBackup (the pod's item fails without a node agent: back_up_pod).
        c_.log.info("Skipping snapshot of pv " + std::string(json::metadata_string(*pv, "name")) +
                    " because it is backed up with PodVolumeBackup (" + ns + "/" + sel + ").");
        return false;
      }
    }
  }
  return c_.backup.spec.snapshot_volumes != false;
}

void CsiSnapshots::back_up_pv(const json::object& pv) {
  const std::string name(json::metadata_string(pv, "name"));
  PvRecord rec{csi_util::str(pv, {"spec", "claimRef", "name"}), csi_util::str(pv, {"spec", "claimRef", "namespace"}),
               csi_util::str(pv, {"spec", "persistentVolumeReclaimPolicy"}), std::nullopt};
  if (const json::object* l = json::metadata_map(pv, "labels")) rec.labels = csi_util::string_map(*l);
  pvs_[name] = std::move(rec);
  // takePVSnapshot: the PV's own decision; a CSI PV is left to the PVC's CSI action; any other has
  // no Velero-native snapshotter here (out of scope).
  if (!should_perform_snapshot(nullptr, &pv)) {
    track(name, std::string(kVolumeSnapshotApproach), std::string(kNotSatisfy));
    return;
  }
  const json::object* spec = json::find_object(pv, "spec");
  if (spec && json::find_object(*spec, "csi")) return;
  track(name, std::string(kVolumeSnapshotApproach), "no applicable volumesnapshotter found");
}

void CsiSnapshots::back_up_pvc(BackupItem& item) {
  if (kube_) return snapshot_pvc(item);
  // Ours: a folder of manifests is no cluster. The decision only records skips; what would fail the
  // item on a cluster (an unbound claim, a missing PV) is said in the log.
  try {
    snapshot_pvc(item);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::cancelled) throw;
    c_.log.info(std::string("No volume snapshot from manifests: ") + e.what());
  }
}

void CsiSnapshots::snapshot_pvc(BackupItem& item) {
  json::object& pvc = item.object;
  const std::string ns(json::metadata_string(pvc, "namespace")), name(json::metadata_string(pvc, "name"));
  const std::string pv_name = csi_util::str(pvc, {"spec", "volumeName"});
  const auto& backup = c_.backup;

  // executeActions → getMatchAction: a volume policy `skip` keeps the CSI action from running (csi §1.1 step 1).
  if (c_.policies) {
    std::optional<json::object> pv;
    if (!pv_name.empty()) {
      pv = get_pv(pv_name);
      // getMatchAction's error is returned as the item's, not wrapped as the action's.
      if (!pv) throw UnwrappedItemError(Error(ErrorCode::not_found, "persistentvolumes \"" + pv_name + "\" not found"));
    }
    const policies::VolumeAction* a = c_.policies->match_volume({pv ? &*pv : nullptr, nullptr, &pvc});
    if (a && a->type == pa::skip) {
      c_.log.info("Skip executing Backup Item Action: " + std::string(csi_pvc_action) + " of resource persistentvolumeclaims: " +
                  ns + "/" + name + " for the matched resource policies");
      track(pv_name, "", "skipped due to resource policy ");
      return;
    }
  }
  // Velero runs its CSI actions only with the EnableCSI feature flag (ShouldSkipAction, checked after
  // the policy above); ours is on when the cluster serves the snapshot API. Without it no volume can
  // be snapshotted, and the PVC is backed up as an object, as Velero does with the flag off.
  if (!c_.source.discovery().find("snapshot.storage.k8s.io", "volumesnapshots")) return;
  // csi §1.1 step 2: the volume helper; a Pending PVC no policy covers is the item's error.
  {
    std::optional<json::object> pv;
    std::optional<Error> pv_error;
    try {
      pv = get_pv_for_pvc(pvc);
    } catch (const Error& e) {
      pv_error = e;
    }
    bool matched_policy = false;
    if (c_.policies) {
      policies::VolumeFilterData data{pv ? &*pv : nullptr, nullptr, &pvc};
      matched_policy = c_.policies->match_volume(data) != nullptr;
    }
    if (!pv && pv_error && !matched_policy) throw UnwrappedItemError(*pv_error);
    if (!should_perform_snapshot(&pvc, pv ? &*pv : nullptr)) {
      track(pv_name, std::string(kVolumeSnapshotApproach), std::string(kNotSatisfy));
      return;
    }
  }
  // pvc_action.go validatePVCAndPV (csi §1.1 step 4).
  const json::object* spec = json::find_object(pvc, "spec");
  const json::value* sc_value = spec ? spec->if_contains("storageClassName") : nullptr;
  if (!sc_value || !sc_value->is_string()) {
    throw invalid_input("Cannot snapshot PVC " + ns + "/" + name + ", PVC has no storage class.");
  }
  const std::string storage_class(sc_value->get_string());
  json::object pv = get_pv_for_pvc(pvc);
  if (!json::find_object(pv.at("spec").as_object(), "csi")) {
    c_.log.info("skip CSI snapshot for PVC " + ns + "/" + name + " as it's not a CSI compatible volume");
    track(pv_name, std::string(kCsiSnapshotApproach), "skipped b/c it's not a CSI volume");
    return;
  }
  // csi §6: the built-in data mover runs in the node agent, which this library does not have.
  if (backup.spec.snapshot_move_data == true && (backup.spec.datamover.empty() || backup.spec.datamover == "velero")) {
    throw Error(ErrorCode::unsupported, "CSI PVC BIA cannot proceed: node-agent is not ready for snapshot data movement: "
                                        "node-agent is not ready: no ready pods found");
  }
  std::string policy_class;
  if (c_.policies) {
    if (const policies::VolumeAction* a = c_.policies->match_volume({&pv, nullptr, &pvc}); a && a->type == pa::snapshot) {
      try {
        policy_class = a->snapshot_class();
      } catch (const Error& e) {
        c_.log.warning(std::string("failed to get snapshotClass from volume policy, proceeding without it: ") + e.what());
      }
    }
  }
  if (!kube_) {
    // Ours: a folder of manifests is no cluster; nothing can be snapshotted.
    track(pv_name, std::string(kCsiSnapshotApproach), "skipped b/c the backup reads manifests: there is no cluster to snapshot");
    return;
  }

  // createVolumeSnapshot (csi §1.2, §1.3).
  auto sc = c_.source.get(resource("storage.k8s.io", "storageclasses", "StorageClass"), "", storage_class);
  if (!sc) throw Error(ErrorCode::not_found, "error getting storage class: storageclasses.storage.k8s.io \"" + storage_class + "\" not found");
  const std::string provisioner(json::get_string(*sc, "provisioner"));
  json::object vs_class = choose_class(pvc, provisioner, policy_class, storage_class);
  const std::string class_name(json::metadata_string(vs_class, "name"));
  json::object labels;
  if (const json::object* l = json::metadata_map(pvc, "labels")) labels = *l;
  labels[velero::label::backup_name] = velero::get_valid_name(backup.metadata.name);
  json::object vs_spec{{"source", json::object{{"persistentVolumeClaimName", name}}}, {"volumeSnapshotClassName", class_name}};
  json::object vs{{"apiVersion", "snapshot.storage.k8s.io/v1"},
                  {"kind", "VolumeSnapshot"},
                  {"metadata", json::object{{"generateName", "velero-" + name + "-"}, {"namespace", ns}, {"labels", labels}}},
                  {"spec", std::move(vs_spec)}};
  const ApiResource& vsr = resource("snapshot.storage.k8s.io", "volumesnapshots", "VolumeSnapshot");
  json::object created;
  try {
    created = kube_->create(vsr, vs, ns);
  } catch (const Error& e) {
    throw Error(e.code(), std::string("error creating volume snapshot: ") + e.what()).with_http(e.http_status(), e.http_reason());
  }
  const std::string vs_name(json::metadata_string(created, "name"));
  made_.push_back(ns + "/" + vs_name);
  c_.log.info("Created VolumeSnapshot " + ns + "/" + vs_name);

  json::object vsc;
  try {
    vsc = wait_for_handle(created);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::cancelled) throw;
    c_.log.error("Failed to wait for VolumeSnapshot " + ns + "/" + vs_name + " to become ReadyToUse within timeout " +
                 format_duration(backup.spec.csi_snapshot_timeout) + ": " + e.what());
    cleanup_volume_snapshot(ns, vs_name);
    throw;
  }
  untrack(pv_name);  // "Untrack the PVC, because it's backed up by CSI BIA"

  // setPVCRequestSizeToVSRestoreSize (csi §1.4): the backed-up PVC asks at least the restore size.
  const json::object& vsc_status = vsc.at("status").as_object();
  if (auto rs = vsc_status.find("restoreSize"); rs != vsc_status.end() && rs->value().is_int64()) {
    std::int64_t restore = rs->value().get_int64();
    std::string request = csi_util::str(pvc, {"spec", "resources", "requests", "storage"});
    long double requested = 0;
    try {
      requested = request.empty() ? 0 : policies::parse_quantity(request, "PVC request");
    } catch (const Error&) {
    }
    if (static_cast<long double>(restore) > requested) {
      json::object& sp = pvc["spec"].as_object();
      if (!sp["resources"].is_object()) sp["resources"] = json::object();
      json::object& res = sp["resources"].as_object();
      if (!res["requests"].is_object()) res["requests"] = json::object();
      res["requests"].as_object()["storage"] = binary_si(restore);
    }
  }
  // The PVC's labels and annotations (the must-include annotation is stripped before writing).
  csi_util::set_map_entry(pvc, "labels", "velero.io/volume-snapshot-name", vs_name);
  csi_util::set_map_entry(pvc, "labels", velero::label::backup_name, backup.metadata.name);
  csi_util::set_map_entry(pvc, "annotations", "velero.io/volume-snapshot-name", vs_name);

  // The csi-volumesnapshot-backupper's main-pass work (csi §1.4), its VolumeSnapshot kept for finalize.
  item.additional.push_back({"volumesnapshotclasses.snapshot.storage.k8s.io", "", class_name});
  if (const json::object* ann = json::metadata_map(vs_class, "annotations")) {
    std::string sn(json::get_string(*ann, "csi.storage.k8s.io/snapshotter-list-secret-name"));
    std::string sns(json::get_string(*ann, "csi.storage.k8s.io/snapshotter-list-secret-namespace"));
    if (!sn.empty() && !sns.empty()) item.additional.push_back({"secrets", sns, sn});
  }
  const std::string vsc_name(json::metadata_string(vsc, "name"));
  const json::object& vsc_spec = vsc.at("spec").as_object();
  json::object annotations{{"velero.io/csi-vsc-deletion-policy", json::get_string(vsc_spec, "deletionPolicy")},
                           {"velero.io/csi-volumesnapshot-handle", json::get_string(vsc_status, "snapshotHandle")},
                           {"velero.io/csi-driver-name", json::get_string(vsc_spec, "driver")}};
  if (auto rs = vsc_status.find("restoreSize"); rs != vsc_status.end() && rs->value().is_int64()) {
    annotations["velero.io/csi-volumesnapshot-restore-size"] = binary_si(rs->value().get_int64());
  }
  const ApiResource& vscr = resource("snapshot.storage.k8s.io", "volumesnapshotcontents", "VolumeSnapshotContent");
  try {
    kube_->patch(vsr, ns, vs_name, kube::PatchType::merge,
                 json::marshal(json::object{{"metadata", json::object{{"annotations", annotations}}}}));
    kube_->patch(vscr, "", vsc_name, kube::PatchType::merge,
                 json::marshal(json::object{{"metadata", json::object{{"labels", json::object{{velero::label::backup_name,
                                                                                              velero::get_valid_name(backup.metadata.name)}}}}}}));
  } catch (const Error&) {
    cleanup_volume_snapshot(ns, vs_name);
    throw;
  }
  if (const json::object* ann = json::metadata_map(vsc, "annotations")) {
    std::string sn(json::get_string(*ann, "csi.storage.k8s.io/snapshotter-secret-name"));
    std::string sns(json::get_string(*ann, "csi.storage.k8s.io/snapshotter-secret-namespace"));
    if (!sn.empty() && !sns.empty()) item.additional.push_back({"secrets", sns, sn});
  }
  // The operation (item_backupper.go): ID "<ns>/<vs>/<RFC3339 now>", post-operation items VS then VSC.
  const Timestamp now = c_.now();
  velero::BackupOperation op;
  op.backup_name = backup.metadata.name;
  op.backup_uid = backup.metadata.uid;
  op.backup_item_action = std::string(csi_vs_action);
  op.resource_identifier = {"snapshot.storage.k8s.io", "volumesnapshots", ns, vs_name};
  op.operation_id = ns + "/" + vs_name + "/" + format_rfc3339(now);
  op.post_operation_items = {op.resource_identifier, {"snapshot.storage.k8s.io", "volumesnapshotcontents", "", vsc_name}};
  op.status.phase = std::string(velero::operation_phase::New);
  op.status.created = now;
  operations_.push_back(std::move(op));
  created_at_.push_back(std::chrono::steady_clock::now());
  snapshots_.push_back({ns, vs_name, vsc_name, name, {}, {}});
}

// GetVolumeSnapshotClass (csi §1.2).
json::object CsiSnapshots::choose_class(const json::object& pvc, const std::string& provisioner,
                                        const std::string& policy_class, const std::string& storage_class) {
  std::vector<json::object> classes;
  try {
    c_.source.list(resource("snapshot.storage.k8s.io", "volumesnapshotclasses", "VolumeSnapshotClassList"), {},
                   [&](json::object&& o) { classes.push_back(std::move(o)); });
  } catch (const Error& e) {
    if (e.code() == ErrorCode::cancelled) throw;
    throw Error(e.code(), "failed to get VolumeSnapshotClass for StorageClass " + storage_class +
                              ": error listing VolumeSnapshotClass: " + e.what())
        .with_http(e.http_status(), e.http_reason());
  }
  auto by_name = [&](const std::string& wanted, const char* where) -> const json::object* {
    for (const auto& cl : classes) {
      if (!equal_fold(wanted, json::metadata_string(cl, "name"))) continue;
      if (!equal_fold(json::get_string(cl, "driver"), provisioner)) {
        c_.log.info(std::string("Didn't find VolumeSnapshotClass from ") + where + ": VolumeSnapshotClass " + wanted +
                    " is not for driver " + provisioner);
        return nullptr;
      }
      return &cl;
    }
    c_.log.info(std::string("Didn't find VolumeSnapshotClass from ") + where + ": no class named " + wanted);
    return nullptr;
  };
  const json::object* ann = json::metadata_map(pvc, "annotations");
  if (has_key(ann, "velero.io/csi-volumesnapshot-class")) {
    if (auto* cl = by_name(std::string(json::get_string(*ann, "velero.io/csi-volumesnapshot-class")), "PVC annotations")) return *cl;
  }
  if (!policy_class.empty()) {
    if (auto* cl = by_name(policy_class, "volume policy")) return *cl;
  }
  const auto& bann = c_.backup.metadata.annotations;
  if (auto it = bann.find("velero.io/csi-volumesnapshot-class_" + lower(provisioner)); it != bann.end()) {
    if (auto* cl = by_name(it->second, "Backup annotations")) return *cl;
  }
  // GetVolumeSnapshotClassForStorageClass: the labelled class (value not checked), the default, the only one.
  int n = 0;
  const json::object* only = nullptr;
  for (const auto& cl : classes) {
    if (json::get_string(cl, "driver") != provisioner) continue;
    ++n;
    only = &cl;
    if (has_key(json::metadata_map(cl, "labels"), "velero.io/csi-volumesnapshot-class")) return cl;
  }
  for (const auto& cl : classes) {
    if (json::get_string(cl, "driver") == provisioner &&
        has_key(json::metadata_map(cl, "annotations"), "snapshot.storage.kubernetes.io/is-default-class")) {
      return cl;
    }
  }
  if (n == 1) return *only;
  throw Error(ErrorCode::not_found,
              "failed to get VolumeSnapshotClass for StorageClass " + storage_class +
                  ": error getting VolumeSnapshotClass: failed to get VolumeSnapshotClass for provisioner " + provisioner +
                  ": ensure that the desired VolumeSnapshotClass has the velero.io/csi-volumesnapshot-class label or "
                  "snapshot.storage.kubernetes.io/is-default-class annotation, and that its driver matches the StorageClass "
                  "provisioner");
}

// WaitUntilVSCHandleIsReady (csi §1.4): the bound content's snapshotHandle within csiSnapshotTimeout;
// readyToUse is not waited for; a content error is only logged until the timeout.
json::object CsiSnapshots::wait_for_handle(const json::object& vs) {
  const std::string ns(json::metadata_string(vs, "namespace")), name(json::metadata_string(vs, "name"));
  const ApiResource& vsr = resource("snapshot.storage.k8s.io", "volumesnapshots", "VolumeSnapshot");
  const ApiResource& vscr = resource("snapshot.storage.k8s.io", "volumesnapshotcontents", "VolumeSnapshotContent");
  const auto deadline = std::chrono::steady_clock::now() + c_.backup.spec.csi_snapshot_timeout;
  std::optional<json::object> vsc;
  for (;;) {
    auto cur = kube_->try_get(vsr, ns, name);
    if (!cur) throw Error(ErrorCode::not_found, "volumesnapshots.snapshot.storage.k8s.io \"" + name + "\" not found");
    std::string bound = csi_util::str(*cur, {"status", "boundVolumeSnapshotContentName"});
    if (bound.empty()) {
      c_.log.info("Waiting for CSI driver to reconcile volumesnapshot " + ns + "/" + name);
    } else {
      vsc = kube_->try_get(vscr, "", bound);
      if (vsc && !csi_util::str(*vsc, {"status", "snapshotHandle"}).empty()) return std::move(*vsc);
      if (vsc) {
        c_.log.info("Waiting for VolumeSnapshotContents " + bound + " to have snapshot handle");
        if (std::string m = csi_util::str(*vsc, {"status", "error", "message"}); !m.empty() ||
            csi_util::has(*vsc, {"status", "error"})) {
          c_.log.warning("VolumeSnapshotContent " + bound + " has error: " + m);
        }
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    if (c_.tick) c_.tick();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        c_.poll_interval, std::max<std::chrono::steady_clock::duration>(deadline - std::chrono::steady_clock::now(),
                                                                        std::chrono::milliseconds(1))));
  }
  if (vsc && csi_util::has(*vsc, {"status", "error"})) {
    std::string m = csi_util::str(*vsc, {"status", "error", "message"});
    c_.log.error("Timed out awaiting reconciliation of VolumeSnapshot, VolumeSnapshotContent " +
                 std::string(json::metadata_string(*vsc, "name")) + " has error: " + m);
    throw Error(ErrorCode::generic, "CSI got timed out with error: " + m);
  }
  c_.log.error("Timed out awaiting reconciliation of volumesnapshot " + ns + "/" + name);
  throw Error(ErrorCode::generic, "context deadline exceeded");
}

}  // namespace vbackup::detail
