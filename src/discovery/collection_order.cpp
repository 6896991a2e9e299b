// spec §1.4 / §5.9: the order in which Velero visits resource types when collecting items.
// Sources: pkg/discovery/helper.go (Refresh: ServerPreferredResources filtered by filterByVerbs,
// sortResources moves "extensions" last) and pkg/backup/item_collector.go (getItems walks the lists;
// sortCoreGroup; the ShouldInclude check and then the cohabitatingResources check in
// getResourceItems; the cohabitating table in pkg/backup/backup.go).
#include "vbackup/discovery.hpp"

#include "discovery/preferred.hpp"

#include <algorithm>

namespace vbackup {

namespace {

struct Cohabitant {
  std::string_view resource, group1, group2;
  bool seen = false;
};

// item_collector.go coreGroupResourcePriority: pods, then PVCs, then PVs, then the rest, so a pod's
// pre hook runs before its volumes are snapshotted and its post hook after.
int core_priority(std::string_view name) {
  const std::string n = discovery_detail::lower_ascii(name);
  if (n == "pods") return 0;
  if (n == "persistentvolumeclaims") return 1;
  if (n == "persistentvolumes") return 2;
  return 3;
}

}  // namespace

std::vector<ApiResource> velero_collection_order(const Discovery& discovery,
                                                 const std::function<bool(const ApiResource&)>& should_include) {
  // Helper.Resources(): one list per group version; FilteredBy keeps lists and drops resources.
  std::vector<discovery_detail::PreferredList> lists = discovery_detail::preferred_lists(discovery);
  for (auto& list : lists)
    std::erase_if(list.resources, [](const ApiResource* r) { return !r->backupable(); });
  std::stable_partition(lists.begin(), lists.end(),
                        [](const discovery_detail::PreferredList& l) { return l.group->name != "extensions"; });

  // A fresh table per backup (velero PR #485).
  Cohabitant cohabitants[] = {
      {"deployments", "extensions", "apps"},
      {"daemonsets", "extensions", "apps"},
      {"replicasets", "extensions", "apps"},
      {"networkpolicies", "extensions", "networking.k8s.io"},
      {"events", "", "events.k8s.io"},
  };

  std::vector<ApiResource> out;
  for (auto& list : lists) {
    if (list.group->name.empty())
      std::stable_sort(list.resources.begin(), list.resources.end(), [](const ApiResource* a, const ApiResource* b) {
        return core_priority(a->name) < core_priority(b->name);
      });
    for (const ApiResource* r : list.resources) {
      if (should_include && !should_include(*r)) continue;
      bool skip = false;
      for (Cohabitant& c : cohabitants) {
        if (r->name != c.resource || (r->group != c.group1 && r->group != c.group2)) continue;
        if (c.seen) skip = true;
        c.seen = true;
      }
      if (!skip) out.push_back(*r);
    }
  }
  return out;
}

}  // namespace vbackup
