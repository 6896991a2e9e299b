// client-go's ServerPreferredResources as lists per group version; shared by the Discovery queries,
// Velero's name resolution and collection order.
#pragma once

#include "vbackup/discovery.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace vbackup::discovery_detail {

struct PreferredList {
  const ApiGroup* group;
  std::string version;
  std::vector<const ApiResource*> resources;  // into the Discovery; no subresources
};

// One list per group version that has an APIResourceList, groups in server order and versions in
// each group's order. A resource sits in its group's preferred version, or in the first version
// that has it when the preferred one does not (discovery.ServerPreferredResources: "only override
// with preferred version").
std::vector<PreferredList> preferred_lists(const Discovery& discovery);

std::string lower_ascii(std::string_view s);
// GroupVersion string for a group and version: "v1", "apps/v1".
std::string join_group_version(std::string_view group, std::string_view version);

}  // namespace vbackup::discovery_detail
