// velero.io/v1 DeleteBackupRequest (spec §3.3; pkg/apis/velero/v1/delete_backup_request_types.go).
// Conventions: velero.hpp.
#pragma once

#include "vbackup/velero_meta.hpp"

namespace vbackup::velero {

namespace delete_backup_request_phase {
inline constexpr std::string_view New = "New";  // also what "" means
inline constexpr std::string_view InProgress = "InProgress";
inline constexpr std::string_view Processed = "Processed";
}  // namespace delete_backup_request_phase

struct DeleteBackupRequestSpec {
  std::string backup_name;  // always written
  json::object extra;

  static DeleteBackupRequestSpec from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

struct DeleteBackupRequestStatus {
  std::string phase;                // omitempty
  std::vector<std::string> errors;  // omitempty
  json::object extra;

  static DeleteBackupRequestStatus from_json(const json::object& o, std::string_view what,
                                             std::string_view path = {});
  json::object to_json() const;
};

struct DeleteBackupRequest {
  ObjectMeta metadata;
  DeleteBackupRequestSpec spec;
  DeleteBackupRequestStatus status;
  json::object extra;

  // kind "DeleteBackupRequest" if present
  static DeleteBackupRequest from_json(const json::object& o, std::string_view what);
  json::object to_json() const;
};

}  // namespace vbackup::velero
