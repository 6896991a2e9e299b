// Volume policy matching and validation (Velero's volume_resources.go, volume_resources_validator.go,
// volume_types_conditions.go; csi §1.1.3). Conditions are checked in BuildPolicy's order; a policy
// matches when every one of its conditions does (Policies.match).
#include "policies/resource_policies.hpp"

#include "vbackup/error.hpp"

#include <algorithm>
#include <set>

namespace vbackup::policies {

namespace {

// getVolumeTypeFromPV's order (PersistentVolumeSpec fields).
constexpr std::string_view kPvTypes[] = {
    "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flocker", "flexVolume",
    "gcePersistentDisk", "glusterfs", "hostPath", "iscsi", "local", "nfs", "photonPersistentDisk",
    "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume"};
// getVolumeTypeFromVolume's order (Volume fields). A persistentVolumeClaim volume has no type here.
constexpr std::string_view kPodVolumeTypes[] = {
    "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flocker", "flexVolume",
    "gcePersistentDisk", "gitRepo", "glusterfs", "iscsi", "nfs", "secret", "rbd", "downwardAPI", "configMap",
    "projected", "ephemeral", "photonPersistentDisk", "portworxVolume", "quobyte", "scaleIO", "storageos",
    "vsphereVolume", "hostPath", "emptyDir", "image"};

// The SupportedVolume name of a JSON field (StorageOS is spelt storageos in the API, storageOS in Velero).
std::string supported_name(std::string_view field) { return field == "storageos" ? "storageOS" : std::string(field); }

bool set(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && !it->value().is_null();
}

std::optional<NfsVolumeSource> nfs_of(const json::object& source) {
  const json::object* nfs = json::find_object(source, "nfs");
  if (!nfs) return std::nullopt;
  return NfsVolumeSource{std::string(json::get_string(*nfs, "server")), std::string(json::get_string(*nfs, "path"))};
}

std::optional<CsiVolumeSource> csi_of(const json::object& source) {
  const json::object* csi = json::find_object(source, "csi");
  if (!csi) return std::nullopt;
  CsiVolumeSource out{std::string(json::get_string(*csi, "driver")), {}};
  if (const json::object* attrs = json::find_object(*csi, "volumeAttributes")) {
    for (const auto& kv : *attrs) {
      if (kv.value().is_string()) out.volume_attributes[std::string(kv.key())] = std::string(kv.value().as_string());
    }
  }
  return out;
}

void parse_pvc(StructuredVolume& v, const json::object& pvc) {
  if (const json::object* labels = json::metadata_map(pvc, "labels"); labels && !labels->empty()) {
    auto& out = v.pvc_labels.emplace();
    for (const auto& kv : *labels) {
      if (kv.value().is_string()) out[std::string(kv.key())] = std::string(kv.value().as_string());
    }
  }
  if (const json::object* status = json::find_object(pvc, "status")) v.pvc_phase = json::get_string(*status, "phase");
  if (const json::object* spec = json::find_object(pvc, "spec")) {
    v.pvc_volume_mode = json::get_string(*spec, "volumeMode");
    if (const json::array* modes = json::find_array(*spec, "accessModes")) {
      for (const auto& m : *modes) {
        if (m.is_string()) v.pvc_access_modes.emplace_back(m.as_string());
      }
    }
  }
}

// capacity.isInRange: [0, a], [b, 0] (0 means unbounded) or [a, b].
bool in_range(long double lower, long double upper, long double y) {
  if (lower == 0 && upper >= y) return true;
  if (upper == 0 && lower <= y) return true;
  if (lower != 0 && upper != 0) return lower <= y && upper >= y;
  return false;
}

bool storage_class_matches(const std::vector<std::string>& classes, const std::string& sc) {
  if (classes.empty()) return true;
  if (sc.empty()) return false;
  return std::find(classes.begin(), classes.end(), sc) != classes.end();
}

bool nfs_matches(const std::optional<NfsVolumeSource>& c, const std::optional<NfsVolumeSource>& v) {
  if (!c) return true;
  if (!v) return false;
  // nfs: {} matches any NFS volume; each of server and path constrains only when set.
  if (!c->path.empty() && c->path != v->path) return false;
  if (!c->server.empty() && c->server != v->server) return false;
  return true;
}

bool csi_matches(const std::optional<CsiVolumeSource>& c, const std::optional<CsiVolumeSource>& v) {
  if (!c) return true;
  if (c->driver.empty()) return v.has_value();  // csi: {}
  if (!v || c->driver != v->driver) return false;
  if (c->volume_attributes.empty()) return true;
  for (const auto& [key, value] : c->volume_attributes) {
    auto it = v->volume_attributes.find(key);
    if (value != (it == v->volume_attributes.end() ? std::string() : it->second)) return false;
  }
  return true;
}

}  // namespace

std::string volume_type_of_pv(const json::object& pv) {
  const json::object* spec = json::find_object(pv, "spec");
  if (!spec) return {};
  for (std::string_view t : kPvTypes) {
    if (set(*spec, t)) return supported_name(t);
  }
  return {};
}

std::string volume_type_of_pod_volume(const json::object& volume) {
  for (std::string_view t : kPodVolumeTypes) {
    if (set(volume, t)) return supported_name(t);
  }
  return {};
}

StructuredVolume StructuredVolume::from(const VolumeFilterData& data) {
  StructuredVolume v;
  if (data.persistent_volume) {
    // parsePV: Capacity.Storage() is 0 when absent.
    if (const json::object* spec = json::find_object(*data.persistent_volume, "spec")) {
      if (const json::object* cap = json::find_object(*spec, "capacity")) {
        std::string_view storage = json::get_string(*cap, "storage");
        if (!storage.empty()) v.capacity = parse_quantity(storage, "persistentvolume spec.capacity.storage: ");
      }
      v.storage_class = json::get_string(*spec, "storageClassName");
      v.nfs = nfs_of(*spec);
      v.csi = csi_of(*spec);
    }
    v.volume_type = volume_type_of_pv(*data.persistent_volume);
  } else if (data.pod_volume) {
    v.nfs = nfs_of(*data.pod_volume);
    v.csi = csi_of(*data.pod_volume);
    v.volume_type = volume_type_of_pod_volume(*data.pod_volume);
  } else if (!data.pvc) {
    throw invalid_input("volume filter data: failed to convert object");
  }
  if (data.pvc) parse_pvc(v, *data.pvc);
  return v;
}

bool matches(const VolumePolicy& p, const StructuredVolume& v) {
  const VolumeConditions& c = p.conditions;
  if (!in_range(p.capacity_lower, p.capacity_upper, v.capacity)) return false;
  if (!storage_class_matches(c.storage_class, v.storage_class)) return false;
  if (!nfs_matches(c.nfs, v.nfs)) return false;
  if (!csi_matches(c.csi, v.csi)) return false;
  if (!c.volume_types.empty() &&
      std::find(c.volume_types.begin(), c.volume_types.end(), v.volume_type) == c.volume_types.end()) {
    return false;
  }
  if (!c.pvc_labels.empty()) {  // pvcLabelsCondition: every pair present
    if (!v.pvc_labels) return false;
    for (const auto& [key, value] : c.pvc_labels) {
      auto it = v.pvc_labels->find(key);
      if (it == v.pvc_labels->end() || it->second != value) return false;
    }
  }
  if (!c.pvc_phase.empty() &&
      (v.pvc_phase.empty() || std::find(c.pvc_phase.begin(), c.pvc_phase.end(), v.pvc_phase) == c.pvc_phase.end())) {
    return false;
  }
  if (!c.pvc_volume_mode.empty() && v.pvc_volume_mode != c.pvc_volume_mode) return false;
  if (!c.pvc_access_modes.empty()) {  // exactly the same set of modes
    if (v.pvc_access_modes.size() != c.pvc_access_modes.size()) return false;
    std::set<std::string> want(c.pvc_access_modes.begin(), c.pvc_access_modes.end());
    std::set<std::string> have(v.pvc_access_modes.begin(), v.pvc_access_modes.end());
    if (want != have) return false;
  }
  return true;
}

const VolumeAction* ResourcePolicies::match_volume(const VolumeFilterData& data) const {
  if (volume_policies.empty()) return nullptr;
  StructuredVolume v = StructuredVolume::from(data);
  for (const VolumePolicy& p : volume_policies) {
    if (matches(p, v)) return &p.action;
  }
  return nullptr;
}

namespace {

const char* go_type(const json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::bool_: return "bool";
    case boost::json::kind::int64:
    case boost::json::kind::uint64: return "int";
    case boost::json::kind::double_: return "float64";
    case boost::json::kind::string: return "string";
    case boost::json::kind::array: return "[]interface {}";
    case boost::json::kind::object: return "map[string]interface {}";
    default: return "<nil>";
  }
}

bool valid_data_mover(std::string_view m) { return m.empty() || m == "velero" || m == "velero-fs" || m == "velero-block"; }

}  // namespace

std::optional<std::string> volume_policy_error(const VolumePolicy& p) {
  const VolumeAction& a = p.action;
  // Action.validate
  if (a.type != volume_action::skip && a.type != volume_action::snapshot && a.type != volume_action::fs_backup &&
      a.type != volume_action::custom) {
    return "invalid action type " + a.type;
  }
  for (std::string_view param : {data_mover_parameter, snapshot_class_parameter}) {
    auto it = a.parameters.find(param);
    if (it == a.parameters.end()) continue;
    std::string name(param);
    if (a.type != volume_action::snapshot) {
      return "parameter \"" + name + "\" is only supported for the \"snapshot\" action, but the action type is \"" +
             a.type + "\"";
    }
    if (!it->value().is_string()) return "parameter \"" + name + "\" must be a string, got " + go_type(it->value());
    std::string value(it->value().as_string());
    if (param == data_mover_parameter && !valid_data_mover(value)) {
      return "invalid \"dataMover\" value \"" + value + "\", valid values are \"velero\", \"velero-fs\", \"velero-block\"";
    }
    if (param == snapshot_class_parameter && value.empty()) return "parameter \"snapshotClass\" must not be empty";
  }
  // capacityCondition.validate: lower <= upper, or an open upper bound.
  if (!(p.capacity_upper >= p.capacity_lower || (p.capacity_lower != 0 && p.capacity_upper == 0))) {
    return "illegal values for capacity " + p.conditions.capacity;
  }
  if (p.conditions.csi && p.conditions.csi->driver.empty() && !p.conditions.csi->volume_attributes.empty()) {
    return "csi driver should not be empty when filtering by volume attributes";
  }
  return std::nullopt;
}

std::string VolumeAction::data_mover() const {
  if (type != volume_action::snapshot) {
    throw invalid_input("the \"dataMover\" parameter is only supported for the \"snapshot\" action");
  }
  auto it = parameters.find(data_mover_parameter);
  // GetDefaultBuiltInDataMover: the file-system data mover, for no parameter, "" and "velero" alike.
  if (it == parameters.end()) return "velero-fs";
  if (!it->value().is_string()) {
    throw invalid_input(std::string("parameter \"dataMover\" must be a string, got ") + go_type(it->value()));
  }
  std::string m(it->value().as_string());
  if (!valid_data_mover(m)) {
    throw invalid_input("invalid \"dataMover\" value \"" + m +
                        "\", valid values are \"\", \"velero\", \"velero-fs\", \"velero-block\"");
  }
  return m.empty() || m == "velero" ? "velero-fs" : m;
}

std::string VolumeAction::snapshot_class() const {
  if (type != volume_action::snapshot) {
    throw invalid_input("the \"snapshotClass\" parameter is only supported for the \"snapshot\" action");
  }
  auto it = parameters.find(snapshot_class_parameter);
  if (it == parameters.end()) return {};
  if (!it->value().is_string()) {
    throw invalid_input(std::string("parameter \"snapshotClass\" must be a string, got ") + go_type(it->value()));
  }
  return std::string(it->value().as_string());
}

}  // namespace vbackup::policies
