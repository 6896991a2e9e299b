// The CSI RestoreItemActions (csi §2; pkg/restore/actions/csi/{pvc,volumesnapshot,
// volumesnapshotcontent,volumesnapshotclass}_action.go at velero-io HEAD d2241adb). With Velero's
// restore priorities (VolumeSnapshotClasses, then contents, then snapshots, before PVs and PVCs) the
// content and the snapshot are restored in their own passes; the additional items the actions return
// (VS from the PVC, VSC from the VS) only matter when a filter left those resources out, which is why
// they are must-include. And velero.io/dataupload, the data mover's other restore action.
#include "restore/actions/builtin.hpp"
#include "restore/actions/csi.hpp"
#include "restore/actions/object_access.hpp"

#include "vbackup/error.hpp"

#include <openssl/evp.h>

namespace vbackup::restore {

std::string csi_restore_name(std::string_view restore_uid, std::string_view volume_snapshot_name) {
  const std::string input = std::string(restore_uid) + "/" + std::string(volume_snapshot_name);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorCode::generic, "csi_restore_name: SHA-256 failed");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

namespace detail {
namespace {

// The object under key, created empty when absent (Go's zero-valued struct, set on the way).
json::object& child(json::object& o, std::string_view key, std::string_view what, std::string_view path) {
  if (json::object* c = object_field(o, key, what, path)) return *c;
  o[key] = json::object{};
  return o[key].get_object();
}

// restorePVs as boolptr.IsSetToFalse reads it.
bool restore_pvs_false(const ActionContext& context) { return context.restore.spec.restore_pvs == false; }

// A secret an annotation pair names, when both keys are there (IsVolumeSnapshotContentHasDeleteSecret,
// IsVolumeSnapshotClassHasListerSecret: presence, whatever the values).
void secret_from_annotations(const json::object& item, std::string_view name_key, std::string_view ns_key,
                             std::string_view what, ActionOutput& out) {
  const json::object* annotations = metadata_map(item, "annotations", what);
  if (!annotations || !annotations->contains(name_key) || !annotations->contains(ns_key)) return;
  out.additional_items.push_back({"secrets", std::string(map_string(annotations, ns_key)),
                                  std::string(map_string(annotations, name_key))});
}

// The PVC restored without data: no volume, no data source (what restorePVs=false asks for).
void empty_claim(json::object& pvc, std::string_view what) {
  if (json::object* spec = object_field(pvc, "spec", what, "")) {
    spec->stable_erase("volumeName");
    spec->stable_erase("dataSource");
    spec->stable_erase("dataSourceRef");
  }
}

// velero.io/csi-pvc-restorer (pvc_action.go Execute).
class CsiPvcAction final : public ResourceAction {
 public:
  CsiPvcAction() : ResourceAction("velero.io/csi-pvc-restorer", {"persistentvolumeclaims"}) {}
  ActionOutput execute(const ActionContext& context, ActionInput input) const override {
    const std::string what = item_name(input);
    json::object& pvc = input.item;
    // The backed-up claim names its VolumeSnapshot; without the annotation it was not CSI-snapshotted.
    const json::object* archived_annotations = metadata_map(input.item_from_backup, "annotations", what);
    if (!archived_annotations || !archived_annotations->contains(kVolumeSnapshotAnnotation)) return output(std::move(pvc));
    const std::string vs_name(map_string(archived_annotations, kVolumeSnapshotAnnotation));
    // isResourceExist: a claim of that name in the target namespace is left to the existing-object rules.
    const std::string_view name = json::metadata_string(pvc, "name");
    if (context.target.get("persistentvolumeclaims", input.target_namespace, name)) return output(std::move(pvc));

    ActionOutput out = output_like(input);
    if (restore_pvs_false(context)) {
      empty_claim(pvc, what);  // "Restore did not request for PVs to be restored from snapshot"
    } else if (context.backup && context.backup->spec.snapshot_move_data == true) {
      // The data-mover path: Velero creates a DataDownload that its node agent serves. libvbackup has
      // no node agent, so it creates none (csi §6): the claim is restored empty and the restore says
      // so as an error (PartiallyFailed). A claim without the data-upload annotation is left as it is,
      // as Velero leaves it (its volume was not moved).
      if (!archived_annotations->contains(kDataUploadNameAnnotation)) return output(std::move(pvc));
      empty_claim(pvc, what);
      out.errors.push_back(what + ": backup " + context.backup->metadata.name +
                           " moved this volume's snapshot data (snapshotMoveData, DataUpload " +
                           std::string(map_string(archived_annotations, kDataUploadNameAnnotation)) +
                           "); restoring it needs Velero's node agent, which libvbackup does not have: the "
                           "claim is restored empty, without a dataSource");
    } else {
      // resetPVCSourceToVolumeSnapshot: the claim is provisioned from the restored VolumeSnapshot.
      json::object& spec = child(pvc, "spec", what, "");
      spec.stable_erase("volumeName");
      spec["dataSource"] = json::object{{"apiGroup", "snapshot.storage.k8s.io"},
                                        {"kind", "VolumeSnapshot"},
                                        {"name", csi_restore_name(context.restore.metadata.uid, vs_name)}};
      spec.stable_erase("dataSourceRef");
      out.additional_items.push_back({std::string(kVolumeSnapshots), input.source_namespace, vs_name});
      out.must_include_additional_items = true;
    }
    out.item = std::move(pvc);
    return out;
  }
};

// velero.io/csi-volumesnapshot-restorer (volumesnapshot_action.go Execute).
class CsiVolumeSnapshotAction final : public ResourceAction {
 public:
  CsiVolumeSnapshotAction() : ResourceAction("velero.io/csi-volumesnapshot-restorer", {std::string_view(kVolumeSnapshots)}) {}
  ActionOutput execute(const ActionContext& context, ActionInput input) const override {
    if (restore_pvs_false(context)) return skip(std::move(input.item));
    const std::string what = item_name(input);
    json::object& vs = input.item;
    const std::string backup_name(json::metadata_string(input.item_from_backup, "name"));
    const std::string name = csi_restore_name(context.restore.metadata.uid, backup_name);
    // resetVolumeSnapshotSpecForRestore: from the (static) content of the same name, not the claim.
    json::object& spec = child(vs, "spec", what, "");
    json::object& source = child(spec, "source", what, "spec");
    source.stable_erase("persistentVolumeClaimName");
    source["volumeSnapshotContentName"] = name;
    metadata(vs, what)["name"] = name;
    json::object& md = metadata(vs, what);
    if (!metadata_map(vs, "annotations", what)) md["annotations"] = json::object{};
    md["annotations"].get_object()[kVscDeletionPolicyAnnotation] = "Retain";
    spec.stable_erase("volumeSnapshotClassName");  // the restore does not depend on the class
    // The content it was bound to, from the archived status (reset_metadata_and_status took it off the item).
    std::optional<std::string_view> bound;
    if (const json::object* status = object_field(input.item_from_backup, "status", what, "")) {
      bound = string_field(*status, "boundVolumeSnapshotContentName", what, "status");
    }
    if (!bound) throw Error(ErrorCode::invalid, "VS " + backup_name + " doesn't have bound VSC");
    ActionOutput out = output_like(input);
    out.additional_items.push_back({std::string(kVolumeSnapshotContents), "", std::string(*bound)});
    out.must_include_additional_items = true;
    out.item = std::move(vs);
    return out;
  }
};

// velero.io/csi-volumesnapshotcontent-restorer (volumesnapshotcontent_action.go Execute): the dynamic
// content comes back static (pre-provisioned) with the storage's snapshot handle and Retain, so
// deleting the restored objects never deletes the storage snapshot.
class CsiVolumeSnapshotContentAction final : public ResourceAction {
 public:
  CsiVolumeSnapshotContentAction()
      : ResourceAction("velero.io/csi-volumesnapshotcontent-restorer", {std::string_view(kVolumeSnapshotContents)}) {}
  ActionOutput execute(const ActionContext& context, ActionInput input) const override {
    if (restore_pvs_false(context)) return skip(std::move(input.item));
    const std::string what = item_name(input);
    json::object& vsc = input.item;
    json::object& spec = child(vsc, "spec", what, "");
    json::object& ref = child(spec, "volumeSnapshotRef", what, "spec");
    // Cross-namespace restore: the VolumeSnapshot it binds to is in the mapped namespace.
    const auto& mapping = context.restore.spec.namespace_mapping;
    if (auto it = mapping.find(std::string(string_field(ref, "namespace", what, "spec.volumeSnapshotRef").value_or("")));
        it != mapping.end()) {
      ref["namespace"] = it->second;
    }
    std::string_view backup_ref_name;
    if (const json::object* bspec = object_field(input.item_from_backup, "spec", what, "")) {
      if (const json::object* bref = object_field(*bspec, "volumeSnapshotRef", what, "spec")) {
        backup_ref_name = string_field(*bref, "name", what, "spec.volumeSnapshotRef").value_or("");
      }
    }
    const std::string name = csi_restore_name(context.restore.metadata.uid, backup_ref_name);
    metadata(vsc, what)["name"] = name;
    ref["name"] = name;
    ref.stable_erase("resourceVersion");
    ref.stable_erase("uid");
    spec["deletionPolicy"] = "Retain";
    std::optional<std::string_view> handle;
    if (const json::object* status = object_field(input.item_from_backup, "status", what, "")) {
      handle = string_field(*status, "snapshotHandle", what, "status");
    }
    if (!handle) throw Error(ErrorCode::invalid, "fail to get snapshot handle from VSC " + name + " status");
    spec["source"] = json::object{{"snapshotHandle", *handle}};  // volumeHandle goes
    // The first VolumeSnapshotClass of the target with the content's driver (for drivers that need
    // the class's credentials), else none: the archived class may not exist there.
    spec.stable_erase("volumeSnapshotClassName");
    const std::string_view driver = string_field(spec, "driver", what, "spec").value_or("");
    std::vector<json::object> classes;
    try {
      classes = context.target.list(kVolumeSnapshotClasses, "");
    } catch (const Error&) {
      // Velero logs "Failed to list VolumeSnapshotClasses" and goes on without a class.
    }
    for (const auto& c : classes) {
      if (json::get_string(c, "driver") == driver) {
        spec["volumeSnapshotClassName"] = json::metadata_string(c, "name");
        break;
      }
    }
    ActionOutput out = output_like(input);
    secret_from_annotations(vsc, "csi.storage.k8s.io/snapshotter-secret-name", "csi.storage.k8s.io/snapshotter-secret-namespace",
                            what, out);
    out.item = std::move(vsc);
    return out;
  }
};

// velero.io/csi-volumesnapshotclass-restorer (volumesnapshotclass_action.go Execute).
class CsiVolumeSnapshotClassAction final : public ResourceAction {
 public:
  CsiVolumeSnapshotClassAction()
      : ResourceAction("velero.io/csi-volumesnapshotclass-restorer", {std::string_view(kVolumeSnapshotClasses)}) {}
  ActionOutput execute(const ActionContext& context, ActionInput input) const override {
    if (restore_pvs_false(context)) return skip(std::move(input.item));
    const std::string what = item_name(input);
    ActionOutput out = output_like(input);
    secret_from_annotations(input.item, "csi.storage.k8s.io/snapshotter-list-secret-name",
                            "csi.storage.k8s.io/snapshotter-list-secret-namespace", what, out);
    out.item = std::move(input.item);
    return out;
  }
};

// velero.io/dataupload (dataupload_retrieve_action.go): a DataUpload of the backup is never restored
// (SkipRestore). Velero first turns it into a DataUploadResult ConfigMap for the DataDownload that
// csi-pvc-restorer creates; without a node agent there is no DataDownload (csi §6), so the ConfigMap,
// which Velero deletes at the end of the restore anyway, is not made either.
class DataUploadAction final : public ResourceAction {
 public:
  DataUploadAction() : ResourceAction("velero.io/dataupload", {"datauploads.velero.io"}) {}
  ActionOutput execute(const ActionContext&, ActionInput input) const override { return skip(std::move(input.item)); }
};

}  // namespace

std::vector<std::unique_ptr<RestoreItemAction>> make_csi_actions() {
  std::vector<std::unique_ptr<RestoreItemAction>> out;
  out.push_back(std::make_unique<CsiPvcAction>());
  out.push_back(std::make_unique<CsiVolumeSnapshotAction>());
  out.push_back(std::make_unique<CsiVolumeSnapshotContentAction>());
  out.push_back(std::make_unique<CsiVolumeSnapshotClassAction>());
  out.push_back(std::make_unique<DataUploadAction>());
  return out;
}

}  // namespace detail
}  // namespace vbackup::restore
