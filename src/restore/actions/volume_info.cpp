#include "restore/actions/volume_info.hpp"

#include "restore/actions/object_access.hpp"

namespace vbackup::restore {

using namespace detail;

std::vector<RestoreVolumeInfo> parse_volume_infos(const json::array& entries, std::string_view what) {
  std::vector<RestoreVolumeInfo> out;
  const std::string list(what);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string at = index("", i);  // "[3]"
    const json::object& e = object_element(entries[i], list, at);
    RestoreVolumeInfo v;
    v.pvc_name = std::string(string_field(e, "pvcName", list, at).value_or(""));
    v.pvc_namespace = std::string(string_field(e, "pvcNamespace", list, at).value_or(""));
    v.pv_name = std::string(string_field(e, "pvName", list, at).value_or(""));
    v.backup_method = std::string(string_field(e, "backupMethod", list, at).value_or(""));
    v.snapshot_data_moved = bool_field(e, "snapshotDataMoved", list, at).value_or(false);
    v.skipped = bool_field(e, "skipped", list, at).value_or(false);
    if (const json::object* csi = object_field(e, "csiSnapshotInfo", list, at)) {
      const std::string path = join(at, "csiSnapshotInfo");
      RestoreVolumeInfo::CsiSnapshotInfo c;
      c.snapshot_handle = std::string(string_field(*csi, "snapshotHandle", list, path).value_or(""));
      c.driver = std::string(string_field(*csi, "driver", list, path).value_or(""));
      c.vsc_name = std::string(string_field(*csi, "vscName", list, path).value_or(""));
      c.operation_id = std::string(string_field(*csi, "operationID", list, path).value_or(""));
      c.size = int_field(*csi, "size", list, path).value_or(0);
      v.csi_snapshot_info = std::move(c);
    }
    if (const json::object* pv = object_field(e, "pvInfo", list, at)) {
      const std::string path = join(at, "pvInfo");
      RestoreVolumeInfo::PvInfo p;
      p.reclaim_policy = std::string(string_field(*pv, "reclaimPolicy", list, path).value_or(""));
      if (const json::object* labels = object_field(*pv, "labels", list, path)) {
        for (const auto& kv : *labels) {
          const std::string key(kv.key());
          if (!kv.value().is_string()) fail(list, join(join(path, "labels"), key), "expected a string");
          p.labels[key] = std::string(kv.value().get_string());
        }
      }
      v.pv_info = std::move(p);
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace vbackup::restore
