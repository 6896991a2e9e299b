// Unknown keys of a Backup or Restore handed in by a user (unknown_fields.hpp).
#include "format/unknown_fields.hpp"

#include <algorithm>
#include <cctype>

namespace vbackup::velero {
namespace {

using Names = std::vector<std::string_view>;

// The properties of Velero's CRDs (config/crd/v1/bases/velero.io_{backups,restores}.yaml at
// d2241ad); tests/unit/unknown_fields_test.cpp checks them against the CRDs in tests/data/velero.
const Names kResource{"apiVersion", "kind", "metadata", "spec", "status"};
// metav1.ObjectMeta's JSON keys.
const Names kObjectMeta{"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
                        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
                        "annotations", "ownerReferences", "finalizers", "managedFields"};
const Names kBackupSpec{"metadata", "includedNamespaces", "excludedNamespaces", "includedResources",
                        "excludedResources", "includedClusterScopedResources", "excludedClusterScopedResources",
                        "includedNamespaceScopedResources", "excludedNamespaceScopedResources", "labelSelector",
                        "orLabelSelectors", "snapshotVolumes", "ttl", "volumeGroupSnapshotLabelKey",
                        "includeClusterResources", "hooks", "storageLocation", "volumeSnapshotLocations",
                        "defaultVolumesToRestic", "defaultVolumesToFsBackup", "orderedResources",
                        "csiSnapshotTimeout", "itemOperationTimeout", "resourcePolicy", "snapshotMoveData",
                        "datamover", "uploaderConfig", "backupType"};
const Names kBackupSpecMetadata{"labels", "annotations"};
const Names kRestoreSpec{"backupName", "scheduleName", "includedNamespaces", "excludedNamespaces",
                         "includedResources", "excludedResources", "namespaceMapping", "labelSelector",
                         "orLabelSelectors", "restorePVs", "restoreStatus", "preserveNodePorts",
                         "includeClusterResources", "hooks", "existingResourcePolicy", "itemOperationTimeout",
                         "resourceModifier", "uploaderConfig", "resourcePolicy", "skipDefaultResourceModifier"};
const Names kRestoreStatusSpec{"includedResources", "excludedResources"};

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Levenshtein, one row at a time.
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool contains_ignoring_case(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                     [](char x, char y) { return lower(x) == lower(y); }) != hay.end();
}

// `path` is where the keys were ("spec", "" for the top level); `nested` are more candidates,
// suggested with `nested_prefix` (a spec key given at the top level: "spec.includedNamespaces").
void report(const json::object& extra, std::string_view path, const Names& known, std::string_view kind,
            std::vector<std::string>& out, const Names& nested = {}, std::string_view nested_prefix = {}) {
  for (const auto& kv : extra) {
    std::string_view key = kv.key();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string message = (path.empty() ? "" : std::string(path) + ".") + std::string(key) + " is not a " +
                          std::string(kind) + " field";
    std::string best = closest_name(key, known);
    if (!nested.empty()) {
      std::string inner = closest_name(key, nested);
      if (!inner.empty() && (best.empty() || edit_distance(key, inner) < edit_distance(key, best))) {
        best = std::string(nested_prefix) + inner;
      }
    }
    if (!best.empty()) message += "; did you mean " + best + "?";
    out.push_back(std::move(message));
  }
}

void report_meta(const ObjectMeta& m, std::string_view kind, std::vector<std::string>& out) {
  report(m.extra, "metadata", kObjectMeta, kind, out);
}

}  // namespace

std::string closest_name(std::string_view name, const std::vector<std::string_view>& candidates) {
  const std::size_t limit = std::max<std::size_t>(2, name.size() / 3);
  std::string_view best;
  std::size_t best_distance = 0;
  for (auto c : candidates) {
    std::size_t d = edit_distance(name, c);
    bool close = d <= limit || (name.size() >= 4 && (contains_ignoring_case(c, name) || contains_ignoring_case(name, c)));
    if (close && (best.empty() || d < best_distance)) {
      best = c;
      best_distance = d;
    }
  }
  return std::string(best);
}

std::vector<std::string> unknown_fields(const Backup& b) {
  std::vector<std::string> out;
  report(b.extra, "", kResource, "Backup", out, kBackupSpec, "spec.");
  report_meta(b.metadata, "Backup", out);
  report(b.spec.extra, "spec", kBackupSpec, "Backup", out);
  report(b.spec.metadata.extra, "spec.metadata", kBackupSpecMetadata, "Backup", out);
  return out;
}

std::vector<std::string> unknown_fields(const Restore& r) {
  std::vector<std::string> out;
  report(r.extra, "", kResource, "Restore", out, kRestoreSpec, "spec.");
  report_meta(r.metadata, "Restore", out);
  report(r.spec.extra, "spec", kRestoreSpec, "Restore", out);
  if (r.spec.restore_status) report(r.spec.restore_status->extra, "spec.restoreStatus", kRestoreStatusSpec, "Restore", out);
  return out;
}

}  // namespace vbackup::velero
