// The order in which a restore walks the archive's resources (restore §2.1, §2.2; spec §6.2, §6.3;
// pkg/restore/restore.go getOrderedResources and getOrderedResourceCollection, pkg/types/priority.go).
//
// Velero's walk, reproduced:
//   * Pass 1 restores only `customresourcedefinitions` (so the CRDs exist, and discovery is refreshed,
//     before any custom resource); pass 2 walks the high list, then every archive resource that is
//     *textually* in neither list, sorted, then the low list.
//   * Each entry is resolved through discovery (the RESTMapper, which also takes singular names:
//     `volumesnapshotclass.snapshot.storage.k8s.io` is the plural once the CRD is installed); an
//     unresolvable entry is used as written. A resource already walked is skipped, and so is an
//     entry the archive does not hold.
// Singular → plural without the CRD installed (Velero cannot, and then restores VolumeSnapshotClasses
// in the sorted middle): discovery is first extended with the CRDs the archive itself holds, as
// Velero's refreshed discovery would be after pass 1; failing that, an entry that names no archive
// resource is matched to the archive resource of the same group whose plural is the entry's name
// pluralised as Kubernetes guesses plurals (UnsafeGuessKindToResource: "…endpoints" stays, y → ies,
// s → ses, else + s).
// One more safety net: an archive resource whose own name resolves to a resource the archive does
// not hold (a group-prefix match, say) is walked under its own name, so no archive resource is left
// out of the walk.
//
// Beyond Velero (velero#5068, #2443: an Ingress or a CR fails because the admission webhook it calls
// has no Service or Pod behind it yet, and an APIService without its backend makes discovery fail):
// mutatingwebhookconfigurations and validatingwebhookconfigurations (admissionregistration.k8s.io)
// and apiservices (apiregistration.k8s.io) move to just after the last of services, pods and the
// workload controllers (deployments, statefulsets, daemonsets, replicasets in apps) in the walk,
// unless the user's priorities name them: then they stay where the user put them.
#pragma once

#include "restore/plan/backup_contents.hpp"
#include "vbackup/discovery.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace vbackup::restore {

struct Priorities {
  std::vector<std::string> high, low;

  // Velero's defaultRestorePriorities (pkg/cmd/server/config/config.go).
  static Priorities defaults();
  // --restore-resource-priorities, applied as Velero's flag applies it (Priorities.Set) to the
  // defaults: comma-separated, a lone "-" separates high from low. Quirks kept: "" changes nothing;
  // a list without "-" replaces the high list only (the default low list stays); "-,a" replaces the
  // low list only; "a,-" the high list only; elements are not trimmed. Throws Error(invalid)
  // `multiple priority separator "-" found` for more than one "-".
  static Priorities parse(std::string_view text);
  // Priorities.String(): high, then "-" and low when low is not empty.
  std::string to_string() const;
};

// The group resources of the archive (as written there) in restore order, CRDs first; every
// archive resource appears once. Filtering is the caller's (RestoreSelection): Velero skips an
// excluded resource where it stands, which does not change the order of the others.
std::vector<std::string> restore_order(const BackupContents& contents, const Discovery& target,
                                       const Priorities& priorities);

// The walk on its own (getOrderedResources' unit tests): `archive_resources` stands for the
// archive's resource keys; `target` is used as given.
std::vector<std::string> restore_order(const std::vector<std::string>& archive_resources, const Discovery& target,
                                       const Priorities& priorities);

// UnsafeGuessKindToResource's plural of a singular, lower-cased ("volumesnapshotclass" →
// "volumesnapshotclasses", "policy" → "policies", "endpoints" → "endpoints").
std::string guess_plural(std::string_view singular);

}  // namespace vbackup::restore
