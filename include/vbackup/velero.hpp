// The velero.io/v1 custom resources (design.md: "the Velero custom resource is the API"): Backup,
// Restore, Schedule and BackupStorageLocation as value types with to/from JSON, plus the side files of
// a backup. This umbrella header includes them all (velero_meta.hpp holds what they share).
//
// Conventions of every type in velero_*.hpp:
// * `from_json(object, what, path)` reads Velero's JSON keys; a wrong type is Error(invalid) naming the
//   input and the key path ("backups/demo/velero-backup.json: status.phase: expected string"). JSON
//   null reads as absent, as Go leaves the field at its zero value.
// * `to_json()` writes the keys in Velero's Go struct order with Go's omitempty rules, so
//   json::marshal(x.to_json(), {.sort_keys = false, .indent = 2}) gives the bytes Velero writes.
//   Map keys (labels, annotations, config…) come out sorted, as Go sorts map keys.
// * Keys this version does not know are kept in `extra` (input order) and written after the known ones,
//   so a resource written by a newer Velero survives a round trip.
// * Go pointers (`*bool`, `*metav1.Duration`, `*metav1.Time`) are std::optional; nested structs we do
//   not act on (hooks, label selectors, uploader config) stay JSON and round-trip unchanged.
#pragma once

#include "vbackup/velero_backup.hpp"
#include "vbackup/velero_delete_backup_request.hpp"
#include "vbackup/velero_location.hpp"
#include "vbackup/velero_meta.hpp"
#include "vbackup/velero_restore.hpp"
#include "vbackup/velero_schedule.hpp"
#include "vbackup/velero_side_files.hpp"
