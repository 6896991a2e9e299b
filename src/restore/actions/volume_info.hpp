// <backup>-volumeinfo.json.gz as a restore reads it (csi §1.7; internal/volume/volumes_information.go
// BackupVolumeInfo): the fields the PV decision and the restore finalizer use. The backup side writes
// its own full type in src/format; this one stays small (brief i14-restore) until the two are merged.
#pragma once

#include "vbackup/json.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::restore {

struct RestoreVolumeInfo {
  std::string pvc_name, pvc_namespace, pv_name;
  std::string backup_method;  // "CSISnapshot", "NativeSnapshot", "PodVolumeBackup"; "" when skipped
  bool snapshot_data_moved = false;
  bool skipped = false;
  struct CsiSnapshotInfo {
    std::string snapshot_handle, driver, vsc_name, operation_id;
    std::int64_t size = 0;
  };
  std::optional<CsiSnapshotInfo> csi_snapshot_info;
  struct PvInfo {  // the PV as it was: what the finalizer puts back on a re-provisioned one
    std::string reclaim_policy;
    std::map<std::string, std::string> labels;
  };
  std::optional<PvInfo> pv_info;
};

// The entries of the decoded file (a JSON list). Unknown keys are ignored as Go's decoder ignores
// them; a known key of the wrong type is Error(invalid) "<what>[i].<key>: expected <type>".
std::vector<RestoreVolumeInfo> parse_volume_infos(const json::array& entries, std::string_view what);

}  // namespace vbackup::restore
