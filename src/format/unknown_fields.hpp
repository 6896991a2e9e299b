// Keys of a Backup or Restore that Velero does not know, in a resource a user hands in (C, Python, a
// file): a typo such as spec.includedNamespace would otherwise land in `extra`, be ignored, and run a
// whole-cluster backup. Records read back from storage keep their unknown keys silently (velero.hpp),
// so only the operations call this, on the resource they were given.
#pragma once

#include "vbackup/velero_backup.hpp"
#include "vbackup/velero_restore.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace vbackup::velero {

// One message per key that Velero's CRD (config/crd/v1/bases, velero-io/velero d2241ad) does not
// define, at the top level, in metadata, in spec and in the spec's typed sub-objects (spec.metadata,
// spec.restoreStatus), naming the closest known key when one is close:
// "spec.includedNamespace is not a Backup field; did you mean includedNamespaces?". Fields Velero
// defines that this library does not act on (spec.backupType) are known, not reported here.
std::vector<std::string> unknown_fields(const Backup& backup);
std::vector<std::string> unknown_fields(const Restore& restore);

// The candidate closest to `name` by edit distance, ignoring case; "" when none is close: more than
// max(2, a third of the name's length) edits apart and neither containing the other.
std::string closest_name(std::string_view name, const std::vector<std::string_view>& candidates);

}  // namespace vbackup::velero
