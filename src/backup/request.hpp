// Velero's backup request (pkg/backup/request.go, backup_controller.go prepareBackupRequest): the
// server's defaults, labels and annotations, and the validation of spec §4.2.
#pragma once

#include "vbackup/backup.hpp"
#include "filter/filter.hpp"

#include <string>
#include <vector>

namespace vbackup::detail {

// An RFC 4122 version 4 uid, as the API server assigns.
std::string random_uid();

filter::ResourceFilterSpec filter_spec(const velero::BackupSpec& s);

// Whether the user's own resource lists ask for a full backup (spec §5.7, §9.1), decided before the
// defaults add Velero's auto-excludes.
bool full_backup_requested(const velero::BackupSpec& s);

// spec §4.2 validation, messages worded as Velero words them; empty = valid.
std::vector<std::string> validate_backup(const velero::Backup& b, const storage::Location& location);

// prepareBackupRequest: the spec defaults (namespaces, TTL, timeouts, the VolumeSnapshot
// auto-excludes), the storage-location label, the resource-timeout and source-cluster annotations.
void apply_backup_defaults(velero::Backup& b, const std::optional<ServerVersion>& source_version);

}  // namespace vbackup::detail
