// restore §2.6: comparing an object to restore with the one already in the cluster, and the
// ServiceAccount merge.
//
// Velero strips the in-cluster object with resetMetadataAndStatus, gives it the desired restore labels,
// and compares it with equality.Semantic.DeepEqual against the object it wanted to create. Every field
// the API server filled in (managedFields, clusterIP, defaulted container fields, a Job's generated
// selector...) then counts as a difference, so an unchanged object is reported "different" with a
// warning on nearly every restore into the same cluster (velero#1948). content_equal asks the question
// the user means: does the cluster already hold what the backup asks for?
//
// The rule, precisely (content_differences(desired, in_cluster)):
// 1. Only the desired object is walked. A key of an in-cluster object that the desired object does not
//    have is ignored: it is a server default, a server-assigned value, or something another writer
//    added (an annotation of a controller, a label of an admission hook).
// 2. metadata.managedFields is ignored on both sides (it records who wrote what, not content).
// 3. Absent, null, {} and [] are the same (Go's omitempty writes none of them): a desired value that is
//    one of them asks for nothing, like an absent key; a desired value that is not meets a cluster value
//    that is one of them as a difference. "", 0 and false are values like any other.
// 4. Objects compare key by key with these rules, recursively.
// 5. Lists compare whole: the same length, element i against element i with these rules (so defaults
//    inside an element are tolerated, but an element added, removed or moved is a difference).
// 6. Scalars compare by value; numbers numerically (1 equals 1.0); a string is never equal to a number.
// Compare the desired object as it would be created (after actions, modifiers, namespace and restore
// labels) with prepare_for_compare(in_cluster, ...), as Velero compares.
#pragma once

#include "vbackup/json.hpp"

#include <string>
#include <vector>

namespace vbackup::restore {

// The in-cluster object as Velero prepares it for the comparison: reset_metadata_and_status, then the
// labels velero.io/restore-name and velero.io/backup-name set to the values in desired_labels (the
// desired object's metadata.labels; "" when absent, as Velero reads a missing label).
json::object prepare_for_compare(json::object in_cluster, const json::object* desired_labels);

// The paths where the cluster differs from what desired asks for ("spec.ports[0].nodePort",
// "metadata.labels.app"), in desired's key order; empty when content_equal.
std::vector<std::string> content_differences(const json::object& desired, const json::object& in_cluster);
bool content_equal(const json::object& desired, const json::object& in_cluster);

// mergeServiceAccounts (merge_service_account.go), for a ServiceAccount that exists: the in-cluster
// object with the backup's secrets[] and imagePullSecrets[] entries appended when no entry of that name
// exists, and the backup's labels and annotations added where the key is missing (existing values win).
// Velero then patches the difference (a JSON merge patch) and records the item `updated`. Velero merges
// into prepare_for_compare's result, which already carries the new restore labels, so the patch never
// sets them (restore §3 item 27, a quirk kept here: pass the same prepared object).
json::object merge_service_accounts(json::object in_cluster, const json::object& from_backup);

}  // namespace vbackup::restore
