// Volume policies (Velero's internal/resourcepolicies volume_resources.go, volume_resources_validator.go,
// volume_types_conditions.go, volume_filter_data.go; csi §1.1.3): each policy's conditions, all of which
// must match a volume, and the action taken for the first policy that matches. The backup builds a
// VolumeFilterData for a PV (with its PVC) or a pod volume and asks ResourcePolicies::match_volume.
#pragma once

#include "core/quantity.hpp"

#include "vbackup/json.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::policies {

// VolumeActionType values.
namespace volume_action {
inline constexpr std::string_view skip = "skip", fs_backup = "fs-backup", snapshot = "snapshot", custom = "custom";
}
inline constexpr std::string_view data_mover_parameter = "dataMover";       // DataMoverParameter
inline constexpr std::string_view snapshot_class_parameter = "snapshotClass";  // SnapshotClassParameter

struct VolumeAction {
  std::string type;
  // Action.Parameters (map[string]any): YAML scalars typed as go-yaml types them (a quoted or plain
  // string is a JSON string, 1 a number, true a bool, ~ null).
  json::object parameters;

  // GetDataMover: "velero-fs" (GetDefaultBuiltInDataMover) for none, "" or "velero"; else the parameter. Throws Error(invalid) when the
  // action is not snapshot or the parameter is not a valid data mover.
  std::string data_mover() const;
  // GetSnapshotClass: the snapshotClass parameter, "" when absent. Throws as data_mover does.
  std::string snapshot_class() const;
};

struct NfsVolumeSource {
  std::string server, path;
};
struct CsiVolumeSource {
  std::string driver;
  std::map<std::string, std::string> volume_attributes;
};

// volumeConditions, decoded strictly (an unknown condition key is an error).
struct VolumeConditions {
  std::string capacity;  // "lower,upper" quantities; an empty side is 0 (no bound)
  std::vector<std::string> storage_class;
  std::optional<NfsVolumeSource> nfs;
  std::optional<CsiVolumeSource> csi;
  std::vector<std::string> volume_types;  // SupportedVolume names: csi, nfs, hostPath, emptyDir…
  std::map<std::string, std::string> pvc_labels;
  std::vector<std::string> pvc_phase;
  std::string pvc_volume_mode;
  std::vector<std::string> pvc_access_modes;
};

struct VolumePolicy {
  VolumeConditions conditions;
  VolumeAction action;
  // parseCapacity of conditions.capacity, in bytes (0: unbounded on that side).
  long double capacity_lower = 0, capacity_upper = 0;
};

// VolumeFilterData: a PV (with its PVC when bound), a pod volume (with its PVC for a claim), or a PVC
// alone. Objects as the API returns them; pod_volume is one entry of a pod's spec.volumes.
struct VolumeFilterData {
  const json::object* persistent_volume = nullptr;
  const json::object* pod_volume = nullptr;
  const json::object* pvc = nullptr;
};

// The condition values Velero compares (structuredVolume), read from a VolumeFilterData.
struct StructuredVolume {
  long double capacity = 0;  // PV spec.capacity.storage, bytes
  std::string storage_class;
  std::optional<NfsVolumeSource> nfs;
  std::optional<CsiVolumeSource> csi;
  std::string volume_type;
  std::optional<std::map<std::string, std::string>> pvc_labels;  // nullopt: the PVC has no labels
  std::string pvc_phase, pvc_volume_mode;
  std::vector<std::string> pvc_access_modes;

  // GetMatchAction's switch: PV first, else pod volume, else PVC; throws Error(invalid) when all absent.
  static StructuredVolume from(const VolumeFilterData& data);
};

// Every condition of the policy matches (volPolicy.match over its conditions).
bool matches(const VolumePolicy& policy, const StructuredVolume& volume);

// resource.ParseQuantity's value in base units (bytes), for comparisons. Throws Error(invalid) with
// apimachinery's message ("quantities must match the regular expression …" / "unable to parse
// quantity's suffix") prefixed by `what`.
using vbackup::parse_quantity;  // core/quantity.hpp

// parseCapacity: {lower, upper}; throws `wrong format of Capacity <text>` (no comma, or more than one)
// or `wrong format of Capacity <side> with err <quantity error>`.
std::pair<long double, long double> parse_capacity(std::string_view text);

// The validation Policies.Validate makes per volume policy (action, then capacity and csi), in
// Velero's words; nullopt when valid.
std::optional<std::string> volume_policy_error(const VolumePolicy& policy);

// getVolumeTypeFromPV / getVolumeTypeFromVolume: the first volume source set, in Velero's order; "".
std::string volume_type_of_pv(const json::object& pv);
std::string volume_type_of_pod_volume(const json::object& volume);

}  // namespace vbackup::policies
