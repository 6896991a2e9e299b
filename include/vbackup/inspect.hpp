// Looking into a stored backup without restoring it: the items it holds (with the restore's
// filters), one item as stored, and what changed between two backups ("what changed since last
// night?"). Each reads the tarball once, streamed into a spool as a restore does.
#pragma once

#include "vbackup/layout.hpp"
#include "vbackup/velero_restore.hpp"

#include <functional>
#include <string>
#include <vector>

namespace vbackup {

// One item of a backup as a restore would see it.
struct BackupItemEntry {
  std::string group_resource;    // as in the archive: "deployments.apps"
  std::string api_version_kind;  // "apps/v1/Deployment"
  std::string namespace_;        // "" for cluster-scoped items
  std::string name;
  json::object to_json() const;  // {"groupResource", "kind", "namespace", "name"}
};

struct InspectOptions {
  // The restore filters (spec.includedNamespaces, includedResources, labelSelector, …) applied as a
  // restore would apply them to the archived items, against a stock Kubernetes API plus the backup's
  // own CRDs; an empty spec lists everything.
  velero::RestoreSpec filters;
  std::vector<std::string> include_names;  // `[namespace/]name` globs, as a restore's --include-names
};

// The items of backup `name`, in restore order (CRDs, then Velero's priorities), each once (the
// un-versioned copy). Error(not_found) for a backup that does not exist; Error(invalid) for filters
// that do not validate (Velero's messages).
void list_backup_items(storage::BackupStore& store, const std::string& name, const InspectOptions& options,
                       const std::function<void(const BackupItemEntry&)>& on_item);

// One archived item: `item` is "<group resource>/<namespace>/<name>" or "<group resource>/<name>"
// for a cluster-scoped one ("deployments.apps/demo/web", "persistentvolumes/pv-1"); the resource part
// also takes what a restore's --include-resources takes ("deployments", "deploy"). Error(not_found)
// naming the item when the backup does not hold it.
json::object read_backup_item(storage::BackupStore& store, const std::string& name, const std::string& item);

// One difference between two backups.
struct BackupItemChange {
  std::string change;  // "added", "removed", "changed"
  BackupItemEntry item;
  std::string diff;    // "changed": a unified diff (YAML) of the object, without metadata the API
                       // server rewrites on every write (resourceVersion, managedFields, generation…)
  json::object to_json() const;  // {"change", "groupResource", "kind", "namespace", "name", "diff"}
};

// Items added, removed and changed from backup `from` to backup `to`, sorted by group resource,
// namespace and name. An item whose only differences are the server's bookkeeping is unchanged.
void diff_backups(storage::BackupStore& store, const std::string& from, const std::string& to,
                  const std::function<void(const BackupItemChange&)>& on_change);

}  // namespace vbackup
