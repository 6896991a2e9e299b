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
  add_optional_bool(c, "--include-cluster-resources", include_cluster_resources,
                    "Include cluster-scoped resources; auto: only when every namespace is included");
}

void FilterFlags::apply(velero::RestoreSpec& s) const {
  // Flags given replace what the spec holds (a --from-file Restore); the rest stays.
  if (!include_namespaces.empty()) s.included_namespaces = include_namespaces;
  if (s.included_namespaces.empty()) s.included_namespaces = {"*"};
  if (!exclude_namespaces.empty()) s.excluded_namespaces = exclude_namespaces;
  if (!include_resources.empty()) s.included_resources = include_resources;
  if (!exclude_resources.empty()) s.excluded_resources = exclude_resources;
  if (!selector.empty()) s.label_selector = json::value(labels::parse_to_label_selector(selector));
  if (!or_selector.empty()) {
    s.or_label_selectors.clear();
    for (auto& ls : labels::parse_or_selectors(or_selector)) s.or_label_selectors.push_back(std::move(ls));
  }
  if (auto v = parse_optional_bool("--include-cluster-resources", include_cluster_resources)) s.include_cluster_resources = v;
}

}  // namespace vbackup::cli
