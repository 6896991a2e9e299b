// Shared pieces of the velero.io/v1 types: constants of spec §4.7, ObjectMeta and the small Kubernetes
// structs the resources embed, get_valid_name. Conventions of all velero_*.hpp: see velero.hpp.
#pragma once

#include "vbackup/json.hpp"
#include "vbackup/time.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::velero {

using StringMap = std::map<std::string, std::string>;

inline constexpr std::string_view api_version = "velero.io/v1";
// status.formatVersion of the backups this library writes (spec §1, §4.2).
inline constexpr std::string_view backup_format_version = "1.1.0";
// Server default of --default-backup-ttl, applied when spec.ttl is 0 (spec §4.1).
inline constexpr std::chrono::hours default_backup_ttl{720};

// Label keys (spec §4.7, pkg/apis/velero/v1/labels_annotations.go).
namespace label {
inline constexpr std::string_view backup_name = "velero.io/backup-name";
inline constexpr std::string_view backup_uid = "velero.io/backup-uid";
inline constexpr std::string_view restore_name = "velero.io/restore-name";
inline constexpr std::string_view restore_uid = "velero.io/restore-uid";
inline constexpr std::string_view schedule_name = "velero.io/schedule-name";
inline constexpr std::string_view storage_location = "velero.io/storage-location";
inline constexpr std::string_view exclude_from_backup = "velero.io/exclude-from-backup";  // value "true"
inline constexpr std::string_view skip_from_backup = "velero.io/skip-from-backup";        // internal
inline constexpr std::string_view gc_failure = "velero.io/gc-failure";
inline constexpr std::string_view default_volume_group = "velero.io/volume-group";  // default VGS label key
}  // namespace label

// Annotation keys (spec §4.2, §4.7).
namespace annotation {
inline constexpr std::string_view backup_volumes = "backup.velero.io/backup-volumes";
inline constexpr std::string_view backup_volumes_excludes = "backup.velero.io/backup-volumes-excludes";
inline constexpr std::string_view must_include_additional_items = "backup.velero.io/must-include-additional-items";
inline constexpr std::string_view pod_volume_timeout = "velero.io/pod-volume-timeout";
inline constexpr std::string_view source_cluster_k8s_gitversion = "velero.io/source-cluster-k8s-gitversion";
inline constexpr std::string_view source_cluster_k8s_major_version = "velero.io/source-cluster-k8s-major-version";
inline constexpr std::string_view source_cluster_k8s_minor_version = "velero.io/source-cluster-k8s-minor-version";
inline constexpr std::string_view resource_timeout = "velero.io/resource-timeout";
inline constexpr std::string_view restore_status = "velero.io/restore-status";
inline constexpr std::string_view original_pv_name = "velero.io/original-pv-name";
}  // namespace annotation

// pkg/label GetValidName (spec §4.2): a label value derived from a name. Up to 63 bytes it is the name
// itself; longer names become their first 57 bytes + the first 6 hex digits of their SHA-256.
std::string get_valid_name(std::string_view name);

// metav1.OwnerReference.
struct OwnerReference {
  std::string api_version, kind, name, uid;  // always written
  std::optional<bool> controller, block_owner_deletion;
  json::object extra;

  static OwnerReference from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

// metav1.ObjectMeta. creationTimestamp is omitted when unset (apimachinery ≥ 0.33 marks it omitzero;
// older releases wrote `null`, which reads as unset).
struct ObjectMeta {
  std::string name, generate_name, namespace_, self_link, uid, resource_version;
  std::int64_t generation = 0;
  std::optional<Timestamp> creation_timestamp, deletion_timestamp;
  std::optional<std::int64_t> deletion_grace_period_seconds;
  StringMap labels, annotations;
  std::vector<OwnerReference> owner_references;
  std::vector<std::string> finalizers;
  json::array managed_fields;  // []ManagedFieldsEntry kept as JSON; empty = absent
  json::object extra;

  static ObjectMeta from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

// core/v1 TypedLocalObjectReference (spec.resourcePolicy, spec.resourceModifier). apiGroup has no
// omitempty in Kubernetes: it is written as null when unset.
struct TypedLocalObjectReference {
  std::optional<std::string> api_group;
  std::string kind, name;
  json::object extra;

  static TypedLocalObjectReference from_json(const json::object& o, std::string_view what,
                                             std::string_view path = {});
  json::object to_json() const;
};

// core/v1 SecretKeySelector (BSL spec.credential, objectStorage.caCertRef).
struct SecretKeySelector {
  std::string name, key;  // key is always written
  std::optional<bool> optional;
  json::object extra;

  static SecretKeySelector from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

// Velero's HookStatus (backup and restore status).
struct HookStatus {
  std::int64_t hooks_attempted = 0, hooks_failed = 0;
  json::object extra;

  static HookStatus from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

}  // namespace vbackup::velero
