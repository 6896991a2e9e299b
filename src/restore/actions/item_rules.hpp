// The per-item rules of Velero's restoreItem (pkg/restore/restore.go) that are not RestoreItemActions,
// in the order restore §2.3 applies them. Each is a pure function of the item; bad input throws
// Error(invalid) naming the item (its resource ID, "pods/ns-1/pod-1") and the field.
#pragma once

#include "filter/filter.hpp"
#include "vbackup/json.hpp"
#include "vbackup/velero_restore.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace vbackup::restore {

// §2.3 step 3, isCompleted: a Pod in phase Succeeded or Failed, or a Job with a non-empty
// status.completionTime, is not restored (and not recorded). Other resources never are.
bool is_completed(const json::object& item, std::string_view group_resource);

// §2.3 step 5: a mirror pod (annotation kubernetes.io/config.mirror non-empty) is recorded skipped.
bool is_mirror_pod(const json::object& item, std::string_view group_resource);

// §2.3 step 7, resetMetadataAndStatus: deletes metadata.generateName, selfLink, uid, resourceVersion,
// generation, creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds and ownerReferences
// (labels, annotations, finalizers and managedFields stay), removes `status`, and returns the status it
// removed (nullopt when there was none) for the status restore of step 16. Throws when metadata is
// missing or not an object ("metadata not found").
std::optional<json::value> reset_metadata_and_status(json::object& item);

// §2.3 step 12, addRestoreLabels: velero.io/backup-name and velero.io/restore-name set to
// velero::get_valid_name of the names (≤ 63 bytes as is, else 57 bytes + 6 hex digits of SHA-256).
void add_restore_labels(json::object& item, std::string_view restore_name, std::string_view backup_name);

// resetVolumeBindingInfo, for PVs and PVCs: spec.claimRef.uid and .resourceVersion and the annotations
// pv.kubernetes.io/bind-completed and pv.kubernetes.io/bound-by-controller go, so the PV controller binds
// the pair again. (pv.kubernetes.io/provisioned-by stays at velero-io HEAD; the 1.5.2 MTC build of the
// corpus also removed it.)
void reset_volume_binding_info(json::object& item);

// §2.3 step 9, for a PVC with spec.volumeName: reset_volume_binding_info; spec.volumeName removed when
// that PV is to be provisioned dynamically (PvDecision::provision_dynamically, pv_decision.hpp); set to
// the new name when the PV was renamed (native snapshots under a namespace mapping).
void reset_pvc_binding(json::object& pvc, const std::set<std::string, std::less<>>& pvs_to_provision,
                       const std::map<std::string, std::string, std::less<>>& renamed_pvs = {});

// The annotation restore.velero.io/must-include-additional-items on an action's output item: removed
// whatever its value (it never reaches the cluster); true when it was exactly "true" (§2.5).
bool take_must_include_annotation(json::object& item);

// spec.restoreStatus as Velero resolves it (collections.GetResourceIncludesExcludes): each name through
// `resolve` to its group resource, kept verbatim when it does not resolve; "*" kept in includes and
// dropped from excludes. nullopt when the Restore has no restoreStatus.
std::optional<filter::IncludesExcludes> status_includes_excludes(const velero::RestoreSpec& spec,
                                                                 const filter::ResourceResolver& resolve);

// §2.9 determineRestoreStatus, on the object as it is about to be created (after actions and
// modifiers). Base: `status_filter` non-null and it includes the *original* group resource. The
// annotation velero.io/restore-status, trimmed and case-insensitive, overrides: "true" restores (even
// without spec.restoreStatus), "false" does not; any other value is ignored, and `note` (when given)
// receives Velero's log line for it.
bool should_restore_status(const json::object& item, const filter::IncludesExcludes* status_filter,
                           std::string_view group_resource, std::string* note = nullptr);

}  // namespace vbackup::restore
