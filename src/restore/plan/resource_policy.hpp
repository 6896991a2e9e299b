// The restore's view of Velero's resource policies: the parser and validation live in the policies
// room (policies/resource_policies.hpp), shared with the backup; `parse` and `from_config_map`
// default to ValidateForRestore.
#pragma once

#include "policies/resource_policies.hpp"

namespace vbackup::restore {

using policies::NamespacedFilterPolicy;
using policies::PolicyResourceFilter;
using RestoreResourcePolicy = policies::ResourcePolicies;
using policies::namespace_pattern_error;

}  // namespace vbackup::restore
