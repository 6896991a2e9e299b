// velero.io/v1 BackupStorageLocation (spec §2.1, §2.2, §4.5). Conventions: velero.hpp.
#pragma once

#include "vbackup/velero_meta.hpp"

namespace vbackup::velero {

namespace location_phase {
inline constexpr std::string_view Available = "Available";
inline constexpr std::string_view Unavailable = "Unavailable";
}  // namespace location_phase

namespace access_mode {
inline constexpr std::string_view ReadOnly = "ReadOnly";
inline constexpr std::string_view ReadWrite = "ReadWrite";  // also what "" means
}  // namespace access_mode

struct ObjectStorageLocation {
  std::string bucket;  // always written
  std::string prefix;
  std::string ca_cert;  // raw bytes (PEM); base64 in JSON; deprecated in favour of ca_cert_ref
  std::optional<SecretKeySelector> ca_cert_ref;
  json::object extra;
};

struct BackupStorageLocationSpec {
  std::string provider;  // always written
  StringMap config;
  std::optional<SecretKeySelector> credential;
  std::optional<ObjectStorageLocation> object_storage;  // always written (null when unset)
  bool default_ = false;                                // JSON "default"
  std::string access_mode;
  std::optional<std::chrono::nanoseconds> backup_sync_period;    // 0 disables sync
  std::optional<std::chrono::nanoseconds> validation_frequency;  // 0 disables periodic validation
  json::object extra;

  static BackupStorageLocationSpec from_json(const json::object& o, std::string_view what,
                                             std::string_view path = {});
  json::object to_json() const;
};

struct BackupStorageLocationStatus {
  std::string phase;
  std::optional<Timestamp> last_synced_time, last_validation_time;
  std::string message;
  std::string last_synced_revision;  // deprecated
  std::string access_mode;           // deprecated
  json::object extra;

  static BackupStorageLocationStatus from_json(const json::object& o, std::string_view what,
                                               std::string_view path = {});
  json::object to_json() const;
};

struct BackupStorageLocation {
  ObjectMeta metadata;
  BackupStorageLocationSpec spec;
  BackupStorageLocationStatus status;
  json::object extra;

  // kind "BackupStorageLocation" if present
  static BackupStorageLocation from_json(const json::object& o, std::string_view what);
  json::object to_json() const;
};

}  // namespace vbackup::velero
