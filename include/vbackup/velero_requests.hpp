// velero.io/v1 DownloadRequest and ServerStatusRequest (spec §4; Velero's
// pkg/apis/velero/v1/download_request_types.go and server_status_request_types.go). Conventions:
// velero.hpp.
#pragma once

#include "vbackup/velero_meta.hpp"

namespace vbackup::velero {

// DownloadTargetKind: the CRD's enum, in Velero's order.
namespace download_target_kind {
inline constexpr std::string_view BackupLog = "BackupLog";
inline constexpr std::string_view BackupContents = "BackupContents";
inline constexpr std::string_view BackupVolumeSnapshots = "BackupVolumeSnapshots";
inline constexpr std::string_view BackupItemOperations = "BackupItemOperations";
inline constexpr std::string_view BackupResourceList = "BackupResourceList";
inline constexpr std::string_view BackupResults = "BackupResults";
inline constexpr std::string_view RestoreLog = "RestoreLog";
inline constexpr std::string_view RestoreResults = "RestoreResults";
inline constexpr std::string_view RestoreResourceList = "RestoreResourceList";
inline constexpr std::string_view RestoreItemOperations = "RestoreItemOperations";
inline constexpr std::string_view CSIBackupVolumeSnapshots = "CSIBackupVolumeSnapshots";
inline constexpr std::string_view CSIBackupVolumeSnapshotContents = "CSIBackupVolumeSnapshotContents";
inline constexpr std::string_view BackupVolumeInfos = "BackupVolumeInfos";
inline constexpr std::string_view RestoreVolumeInfo = "RestoreVolumeInfo";
}  // namespace download_target_kind

namespace download_request_phase {
inline constexpr std::string_view New = "New";
inline constexpr std::string_view Processed = "Processed";
inline constexpr std::string_view Failed = "Failed";  // velero#10252 (main): status.message says why
}  // namespace download_request_phase

struct DownloadTarget {
  std::string kind, name;  // always written
  json::object extra;

  static DownloadTarget from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

struct DownloadRequestSpec {
  DownloadTarget target;  // always written
  json::object extra;

  static DownloadRequestSpec from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

struct DownloadRequestStatus {
  std::string phase;
  std::string download_url;          // JSON "downloadURL"
  std::optional<Timestamp> expiration;
  std::string message;
  json::object extra;

  static DownloadRequestStatus from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
  bool empty() const { return phase.empty() && download_url.empty() && !expiration && message.empty(); }
};

struct DownloadRequest {
  ObjectMeta metadata;
  DownloadRequestSpec spec;
  DownloadRequestStatus status;
  json::object extra;

  static DownloadRequest from_json(const json::object& o, std::string_view what);  // kind "DownloadRequest" if present
  json::object to_json() const;
};

namespace server_status_request_phase {
inline constexpr std::string_view New = "New";
inline constexpr std::string_view Processed = "Processed";
}  // namespace server_status_request_phase

// Velero's PluginInfo: name ("velero.io/pod") and kind ("RestoreItemAction"), both always written.
struct PluginInfo {
  std::string name, kind;
  json::object extra;

  static PluginInfo from_json(const json::object& o, std::string_view what, std::string_view path = {});
  bool operator==(const PluginInfo&) const = default;
  json::object to_json() const;
};

// ServerStatusRequestSpec is an empty struct in Velero: "spec": {} is written, unknown keys kept.
struct ServerStatusRequestSpec {
  json::object extra;

  static ServerStatusRequestSpec from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

struct ServerStatusRequestStatus {
  std::string phase;
  std::optional<Timestamp> processed_timestamp;
  std::string server_version;
  std::vector<PluginInfo> plugins;  // omitempty
  json::object extra;

  static ServerStatusRequestStatus from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

struct ServerStatusRequest {
  ObjectMeta metadata;
  ServerStatusRequestSpec spec;
  ServerStatusRequestStatus status;
  json::object extra;

  static ServerStatusRequest from_json(const json::object& o, std::string_view what);  // kind "ServerStatusRequest" if present
  json::object to_json() const;
};

}  // namespace vbackup::velero
