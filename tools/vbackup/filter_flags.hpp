// The restore's selection flags (velero restore create's, plus --include-names), shared by
// `restore create` and `backup ls`, which lists what a restore with these filters would see.
#pragma once

#include "vbackup/velero_restore.hpp"

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace vbackup::cli {

struct FilterFlags {
  std::vector<std::string> include_namespaces, exclude_namespaces, include_resources, exclude_resources;
  std::string selector, or_selector, include_cluster_resources;
  std::vector<std::string> include_names;

  void add_to(CLI::App& command);
  // Sets the filter fields of `spec`; Error(invalid) naming the flag for a bad value. Without
  // --include-namespaces the spec says "*", as velero's flag default does.
  void apply(velero::RestoreSpec& spec) const;
};

}  // namespace vbackup::cli
