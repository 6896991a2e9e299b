// The item operations and volume info side files (velero_volumes.hpp; csi §1.4, §1.7): Velero's Go
// structs in field order, with their omitempty rules and untagged (capitalised) keys.
#include "vbackup/velero_volumes.hpp"

#include "format/fields.hpp"
#include "vbackup/error.hpp"
#include "vbackup/velero_side_files.hpp"

namespace vbackup::velero {

using detail::Reader;

json::object ResourceIdentifier::to_json() const {
  // schema.GroupResource is embedded without tags, Namespace and Name carry none: Go's field names.
  return json::object{{"Group", group}, {"Resource", resource}, {"Namespace", namespace_}, {"Name", name}};
}

ResourceIdentifier ResourceIdentifier::from_json(const json::object& o, std::string_view what) {
  Reader r(o, what, "");
  ResourceIdentifier id{r.string("Group"), r.string("Resource"), r.string("Namespace"), r.string("Name")};
  return id;
}

json::object BackupOperation::to_json() const {
  json::object spec{{"backupName", backup_name},
                    {"backupUID", backup_uid},
                    {"backupItemAction", backup_item_action},
                    {"resourceIdentifier", resource_identifier.to_json()},
                    {"operationID", operation_id}};
  if (post_operation_items.empty()) {
    spec["postOperationItems"] = nullptr;  // a nil slice
  } else {
    json::array items;
    for (const auto& i : post_operation_items) items.push_back(i.to_json());
    spec["postOperationItems"] = std::move(items);
  }
  json::object st;
  detail::put_string(st, "phase", status.phase);
  detail::put_string(st, "error", status.error);
  detail::put_int(st, "nCompleted", status.n_completed);
  detail::put_int(st, "nTotal", status.n_total);
  detail::put_string(st, "operationUnits", status.operation_units);
  detail::put_string(st, "description", status.description);
  detail::put_time(st, "created", status.created);
  detail::put_time(st, "started", status.started);
  detail::put_time(st, "updated", status.updated);
  return json::object{{"spec", std::move(spec)}, {"status", std::move(st)}};
}

BackupOperation BackupOperation::from_json(const json::object& o, std::string_view what) {
  Reader top(o, what, "");
  BackupOperation op;
  if (const json::object* spec = top.object("spec")) {
    Reader s(*spec, what, "spec");
    op.backup_name = s.string("backupName");
    op.backup_uid = s.string("backupUID");
    op.backup_item_action = s.string("backupItemAction");
    if (const json::object* id = s.object("resourceIdentifier")) {
      op.resource_identifier = ResourceIdentifier::from_json(*id, what);
    }
    op.operation_id = s.string("operationID");
    for (const auto& v : s.array("postOperationItems")) {
      op.post_operation_items.push_back(
          ResourceIdentifier::from_json(detail::expect_object(v, what, "spec.postOperationItems[]"), what));
    }
  }
  if (const json::object* status = top.object("status")) {
    Reader s(*status, what, "status");
    op.status.phase = s.string("phase");
    op.status.error = s.string("error");
    op.status.n_completed = s.integer("nCompleted");
    op.status.n_total = s.integer("nTotal");
    op.status.operation_units = s.string("operationUnits");
    op.status.description = s.string("description");
    op.status.created = s.time("created");
    op.status.started = s.time("started");
    op.status.updated = s.time("updated");
  }
  return op;
}

json::object BackupVolumeInfo::to_json() const {
  json::object o;
  detail::put_string(o, "pvcName", pvc_name);
  detail::put_string(o, "pvcNamespace", pvc_namespace);
  detail::put_string(o, "pvName", pv_name);
  detail::put_string(o, "backupMethod", backup_method);
  o["snapshotDataMoved"] = snapshot_data_moved;
  o["preserveLocalSnapshot"] = preserve_local_snapshot;
  o["skipped"] = skipped;
  detail::put_string(o, "skippedReason", skipped_reason);
  detail::put_time(o, "startTimestamp", start_timestamp);
  detail::put_time(o, "completionTimestamp", completion_timestamp);
  detail::put_string(o, "result", result);
  if (csi_snapshot_info) {
    const auto& c = *csi_snapshot_info;
    json::object ci{{"snapshotHandle", c.snapshot_handle}, {"size", c.size}, {"driver", c.driver}, {"vscName", c.vsc_name}};
    detail::put_string(ci, "operationID", c.operation_id);
    ci["ReadyToUse"] = c.ready_to_use ? json::value(*c.ready_to_use) : json::value(nullptr);  // no json tag in Go
    o["csiSnapshotInfo"] = std::move(ci);
  }
  // snapshotDataMovementInfo, nativeSnapshotInfo, pvbInfo sit between csiSnapshotInfo and pvInfo.
  for (const char* key : {"snapshotDataMovementInfo", "nativeSnapshotInfo", "pvbInfo"}) {
    if (auto it = extra.find(key); it != extra.end()) o[key] = it->value();
  }
  if (pv_info) {
    json::object pi{{"reclaimPolicy", pv_info->reclaim_policy}};
    if (pv_info->labels) {
      json::object l;
      for (const auto& [k, v] : *pv_info->labels) l[k] = v;
      pi["labels"] = std::move(l);
    } else {
      pi["labels"] = nullptr;
    }
    o["pvInfo"] = std::move(pi);
  }
  detail::put_extra(o, extra);
  return o;
}

BackupVolumeInfo BackupVolumeInfo::from_json(const json::object& o, std::string_view what) {
  Reader r(o, what, "");
  BackupVolumeInfo v;
  v.pvc_name = r.string("pvcName");
  v.pvc_namespace = r.string("pvcNamespace");
  v.pv_name = r.string("pvName");
  v.backup_method = r.string("backupMethod");
  v.snapshot_data_moved = r.boolean("snapshotDataMoved");
  v.preserve_local_snapshot = r.boolean("preserveLocalSnapshot");
  v.skipped = r.boolean("skipped");
  v.skipped_reason = r.string("skippedReason");
  v.start_timestamp = r.time("startTimestamp");
  v.completion_timestamp = r.time("completionTimestamp");
  v.result = r.string("result");
  if (const json::object* c = r.object("csiSnapshotInfo")) {
    Reader cr(*c, what, "csiSnapshotInfo");
    CsiSnapshotInfo ci;
    ci.snapshot_handle = cr.string("snapshotHandle");
    ci.size = cr.integer("size");
    ci.driver = cr.string("driver");
    ci.vsc_name = cr.string("vscName");
    ci.operation_id = cr.string("operationID");
    ci.ready_to_use = cr.optional_bool("ReadyToUse");
    v.csi_snapshot_info = std::move(ci);
  }
  if (const json::object* p = r.object("pvInfo")) {
    Reader pr(*p, what, "pvInfo");
    PvInfo pi;
    pi.reclaim_policy = pr.string("reclaimPolicy");
    if (const json::object* l = pr.object("labels")) {
      pi.labels.emplace();
      for (const auto& kv : *l) {
        if (!kv.value().is_string()) throw invalid_input(std::string(what) + ": pvInfo.labels: expected strings");
        (*pi.labels)[std::string(kv.key())] = std::string(kv.value().get_string());
      }
    }
    v.pv_info = std::move(pi);
  }
  v.extra = r.rest();
  return v;
}

namespace {
std::string lenient_string(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return {};
  if (it->value().is_string()) return std::string(it->value().get_string());
  if (it->value().is_int64()) return std::to_string(it->value().get_int64());  // an old iops as a number
  return {};
}
std::int64_t lenient_int(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64()) return static_cast<std::int64_t>(it->value().get_uint64());
  return 0;
}
}  // namespace

std::optional<NativeSnapshotInfo> BackupVolumeInfo::native_snapshot_info() const {
  const json::object* n = json::find_object(extra, "nativeSnapshotInfo");
  if (!n) return std::nullopt;
  return NativeSnapshotInfo{lenient_string(*n, "snapshotHandle"), lenient_string(*n, "volumeType"),
                            lenient_string(*n, "volumeAZ"), lenient_string(*n, "iops")};
}

std::optional<SnapshotDataMovementInfo> BackupVolumeInfo::snapshot_data_movement_info() const {
  const json::object* d = json::find_object(extra, "snapshotDataMovementInfo");
  if (!d) return std::nullopt;
  SnapshotDataMovementInfo m;
  m.data_mover = lenient_string(*d, "dataMover");
  m.uploader_type = lenient_string(*d, "uploaderType");
  m.snapshot_handle = lenient_string(*d, "snapshotHandle");
  m.operation_id = lenient_string(*d, "operationID");
  m.phase = lenient_string(*d, "phase");
  if (m.phase.empty()) m.phase = lenient_string(*d, "Phase");  // csi §6 lists the field untagged
  auto r = d->find("retainedSnapshot");
  m.retained_snapshot = r != d->end() && r->value().is_bool() && r->value().get_bool();
  m.size = lenient_int(*d, "size");
  m.incremental_size = lenient_int(*d, "incrementalSize");
  return m;
}

namespace {
template <class T, class Encode>
std::string encode_list(const std::vector<T>& list, Encode encode) {
  json::array a;
  for (const auto& e : list) a.push_back(encode(e));
  return encode_json_gz(a);
}
template <class T>
std::vector<T> decode_list(std::string_view gzipped, std::string_view what) {
  std::vector<T> out;
  std::size_t i = 0;
  for (const auto& v : decode_json_list_gz(gzipped, what)) {
    const std::string where = std::string(what) + "[" + std::to_string(i++) + "]";
    out.push_back(T::from_json(detail::expect_object(v, where, ""), where));
  }
  return out;
}
}  // namespace

std::string encode_item_operations(const std::vector<BackupOperation>& operations) {
  return encode_list(operations, [](const BackupOperation& o) { return o.to_json(); });
}
std::vector<BackupOperation> decode_item_operations(std::string_view gzipped, std::string_view what) {
  return decode_list<BackupOperation>(gzipped, what);
}
std::string encode_volume_infos(const std::vector<BackupVolumeInfo>& infos) {
  return encode_list(infos, [](const BackupVolumeInfo& v) { return v.to_json(); });
}
std::vector<BackupVolumeInfo> decode_volume_infos(std::string_view gzipped, std::string_view what) {
  return decode_list<BackupVolumeInfo>(gzipped, what);
}
std::vector<BackupVolumeInfo> volume_infos_from_json(const json::array& entries, std::string_view what) {
  std::vector<BackupVolumeInfo> out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string where = std::string(what) + "[" + std::to_string(i) + "]";
    out.push_back(BackupVolumeInfo::from_json(detail::expect_object(entries[i], where, ""), where));
  }
  return out;
}

}  // namespace vbackup::velero
