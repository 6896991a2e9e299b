#include "filter_flags.hpp"

#include "common.hpp"

#include "vbackup/labels.hpp"

#include <CLI/CLI.hpp>

namespace vbackup::cli {

void FilterFlags::add_to(CLI::App& c) {
  c.add_option("--include-namespaces", include_namespaces, "Namespaces to include (globs; default *)")->delimiter(',');
  c.add_option("--exclude-namespaces", exclude_namespaces, "Namespaces to exclude (globs)")->delimiter(',');
  c.add_option("--include-resources", include_resources, "Resources to include, formatted as resource.group, such as storageclasses.storage.k8s.io")->delimiter(',');
  c.add_option("--exclude-resources", exclude_resources, "Resources to exclude, formatted as resource.group")->delimiter(',');
  c.add_option("--include-names", include_names, "Only objects with these names: [namespace/]name globs, repeatable or comma-separated (namespaces as in the backup)")->delimiter(',');
  c.add_option("-l,--selector", selector, "Only resources matching this label selector");
  c.add_option("--or-selector", or_selector, "Resources matching at least one of the label selectors, separated by ' or '");
  c.add_option("--include-cluster-resources", include_cluster_resources, "Include cluster-scoped resources: true, false, or unset for auto")->expected(0, 1)->default_str("true");
}

void FilterFlags::apply(velero::RestoreSpec& s) const {
  s.included_namespaces = include_namespaces.empty() ? std::vector<std::string>{"*"} : include_namespaces;
  s.excluded_namespaces = exclude_namespaces;
  s.included_resources = include_resources;
  s.excluded_resources = exclude_resources;
  if (!selector.empty()) s.label_selector = json::value(labels::parse_to_label_selector(selector));
  if (!or_selector.empty()) {
    for (auto& ls : labels::parse_or_selectors(or_selector)) s.or_label_selectors.push_back(std::move(ls));
  }
  s.include_cluster_resources = parse_optional_bool("--include-cluster-resources", include_cluster_resources);
}

}  // namespace vbackup::cli
