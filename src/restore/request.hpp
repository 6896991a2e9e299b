// Velero's restore request (restore_controller.go validateAndComplete, restore §2.11): what a Restore
// must be before anything is read, and the defaults the controller fills in.
#pragma once

#include "vbackup/restore.hpp"

#include <string>
#include <vector>

namespace vbackup::detail {

// The checks that need neither the backup nor the target, in Velero's order and words: one source
// (backup xor schedule), both selector forms, existingResourcePolicy, init-hook containers; and ours:
// restore exec hooks are refused (they need pod exec, which this library does not do yet).
std::vector<std::string> validate_restore_request(const velero::Restore& restore);

// The backup a restore reads (spec.backupName, or the newest Completed backup of spec.scheduleName):
// appends Velero's validation message when it is missing or not in a phase a restore accepts
// (Completed, PartiallyFailed) and returns nullopt.
std::optional<velero::Backup> backup_for_restore(storage::BackupStore& store, velero::Restore& restore,
                                                 std::vector<std::string>& errors);

}  // namespace vbackup::detail
