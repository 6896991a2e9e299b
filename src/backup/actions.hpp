// Velero's built-in BackupItemActions (pkg/backup/actions), run through the same interface as a
// caller's hook (backup.hpp BackupItemAction), in Velero's order: velero.io/pv (PVC → its PV),
// velero.io/pod (its PVCs and PriorityClass), velero.io/service-account (the ClusterRoleBindings
// naming it and their ClusterRoles).
#pragma once

#include "vbackup/backup.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vbackup::detail {

struct BackupActionContext {
  std::string backup_name;
  ClusterSource& source;
  // A problem of the backup rather than of the item (a list the action needs failed).
  std::function<void(const std::string& message)> record_error;
};

std::vector<std::unique_ptr<BackupItemAction>> builtin_backup_item_actions(BackupActionContext& context);

// A caller's BackupOptions::on_item as the last action, applying to every item.
std::unique_ptr<BackupItemAction> hook_action(std::function<void(BackupItem&)> hook);

}  // namespace vbackup::detail
