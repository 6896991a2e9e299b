// A backup storage location from whatever a user hands over: a URL, a BackupStorageLocation
// (velero.io/v1) as JSON or YAML text, or the path of a file holding one.
#pragma once

#include "vbackup/layout.hpp"
#include "vbackup/storage.hpp"
#include "vbackup/velero_location.hpp"

#include <memory>
#include <string_view>

namespace vbackup {

// spec §2.1, §4.5: provider, bucket, prefix and config of a BSL. Velero's provider names are
// accepted with and without the "velero.io/" prefix ("aws", "velero.io/azure"); "file" is ours.
storage::Location location_from_bsl(const velero::BackupStorageLocation& bsl);

// A URL ("file://…", "s3://…", "azure://…"), BSL JSON/YAML text, or a path to a BSL file.
storage::Location load_location(std::string_view location);

// The object store a location names: the file store, S3 (and S3-compatible), or Azure Blob.
std::unique_ptr<storage::ObjectStore> open_location_store(const storage::Location& location);

// A location ready for use: what load_location() read, its store, and Velero's layout over it.
struct OpenedLocation {
  storage::Location location;
  std::shared_ptr<storage::ObjectStore> objects;
  std::unique_ptr<storage::BackupStore> backups;
};
OpenedLocation open_location(std::string_view location);

// spec §2.2, the BSL controller's validation: phase Available, or Unavailable with the reason (an
// invalid top-level directory, or the store's error, e.g. a missing bucket or denied access);
// lastValidationTime = now. Never throws for a store problem: that is what Unavailable reports.
velero::BackupStorageLocationStatus check_location(storage::BackupStore& store, Timestamp now);

// `backup-location check`, which changes nothing: Unavailable when the folder (file), bucket or
// container does not exist or fails the validation above; else Available, with status.accessMode
// "ReadOnly" and message "read-only: <why>" when a backup could not be written (a folder that is
// not writable, a store that refuses a probe object — written and removed at once — or a BSL whose
// accessMode is ReadOnly).
velero::BackupStorageLocationStatus check_location(OpenedLocation& location, Timestamp now);

// Why a backup could not be written to the location ("backup storage location <url>: …"), "" when
// it could. With `create_folder`, a file location's folder is created first (as a backup's first
// write would); an object store gets the probe object.
std::string location_write_problem(const storage::Location& location, storage::BackupStore& store, bool create_folder);

}  // namespace vbackup
