// Which API version of a resource to restore when the backup holds several (spec §1.5, §6.3;
// pkg/restore/prioritize_group_version.go, Velero's EnableAPIGroupVersions).
//
// We do this BY DEFAULT. Velero keeps it behind the EnableAPIGroupVersions feature flag and, with
// the flag off, always reads the un-versioned copy (the source cluster's preferred version), so an
// item whose version the target no longer serves fails. With the version directories in every
// format 1.1.0 archive, choosing is always possible and never worse.
//
// Velero's priorities, in order:
//   0. the first version of the user's list (the `enableapigroupversions` ConfigMap's
//      `restoreResourcesVersionPriority`, lines `rockbands.music.example.io=v2beta1,v2beta2`) that
//      both the backup and the target have;
//   1. the target's preferred version, if the backup has it;
//   2. the backup's preferred version, if the target serves it;
//   3. the highest common version in Kubernetes version order (v2 > v1 > v1beta2 > v1alpha1);
//   else the backup's preferred version (the item will then fail on a target that lacks it), which
//   is also the choice when the target does not serve the resource at all (its CRD not yet created).
// The directory read is `<v>-preferredversion` when <v> is the backup's preferred version, else `<v>`.
//
// Deliberate differences, both only where Velero's choice would be worse:
//   * The target side is the versions that serve *this resource*, not every version of its group
//     (Velero's findAPIGroup): a group version that lacks the resource is no candidate.
//   * Priority 3 considers every common version. Velero drops the first (highest) version of both
//     sorted lists, assuming it is the preferred one; when a group's preferred version is not its
//     highest, that skips a common version Velero could have used.
#pragma once

#include "restore/plan/backup_contents.hpp"
#include "vbackup/discovery.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::restore {

// The versions one side has of one resource.
struct ApiVersions {
  std::vector<std::string> versions;  // any order
  std::string preferred;              // "" when unknown
};

struct VersionChoice {
  std::string version;      // "v2beta2"; "" for an archive without version directories
  std::string version_dir;  // directory to read: "v1-preferredversion", "v2beta2", or "" (un-versioned)
  int priority = -1;        // 0–3 as above; -1: the fallback (backup's preferred or un-versioned)
  bool target_serves = false;
  std::string reason;       // one line for the restore log and the dry-run plan
};

// resource → versions, highest priority first ("rockbands.music.example.io" → {"v2beta1", "v2beta2"}).
using UserVersionPriorities = std::map<std::string, std::vector<std::string>, std::less<>>;

// Velero's parseUserPriorities: lines `<group resource>=<v>,<v>…`; spaces removed; lines without
// exactly one '=' or with an empty side are skipped (Velero logs and ignores them).
UserVersionPriorities parse_user_version_priorities(std::string_view text);

// The choice from the two sides' versions (the pure rule, tested with Velero's rockbands cases).
VersionChoice choose_version(const ApiVersions& backup, const ApiVersions& target,
                             const std::vector<std::string>& user_priority = {});

// The backup's side of `resource` from its version directories (ParseGroupVersions: every
// directory; the one ending "-preferredversion" names the preferred version).
ApiVersions archived_versions(const BackupContents& contents, std::string_view resource);
// The target's side: the versions of the resource's group (text after the first '.') that serve
// the resource, and the one preferred_resources() would use.
ApiVersions served_versions(const Discovery& target, std::string_view resource);

// For one resource of the archive. Without version directories (format 1), or for a format
// version below "1.1.0" (Velero's string comparison), the un-versioned path.
VersionChoice choose_version(const BackupContents& contents, std::string_view resource, const Discovery& target,
                             const UserVersionPriorities& user = {});

}  // namespace vbackup::restore
