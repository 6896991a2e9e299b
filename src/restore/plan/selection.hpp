// What a restore takes from the backup (restore §2.3 step 1, §2.4; spec §6.5; pkg/restore/restore.go
// getOrderedResourceCollection, getSelectedRestoreableItems and restoreItem; the controller's
// validateAndComplete).
//
// Velero's rules, reproduced:
//   * Resources: includedResources/excludedResources resolved through the target's discovery
//     (Velero's helper: kinds, singular and short names resolve; what does not resolve is kept
//     verbatim, so globs survive; "*" in excludes is dropped), with the non-restorable resources
//     appended to the excludes. Must-have resources (datauploads.velero.io) bypass the resource,
//     namespace and label filters and the resource policy.
//   * Namespaces: the *source* namespace is tested. Wildcards are expanded against the archive's
//     namespaces when the includes hold a pattern (not "*").
//   * Cluster-scoped items: includeClusterResources false → none; nil → only when the namespace
//     filter includes everything; true → all.
//   * Labels: the archived labels; labelSelector nil matches all; with orLabelSelectors an item is
//     kept when one matches.
//   * Resource policy (resource_policy.hpp): a namespace's policy is its exact entry, else the first
//     glob that matches in definition order; in such a namespace a resource must be listed (or a
//     catch-all be present), and the entry's selectors and names *replace* the global selectors.
//     clusterScopedFilterPolicy refines only the kinds it lists. A kind that discovery cannot
//     resolve matches items whose `kind` equals it case-insensitively (Velero's "peek-and-map").
//
// Beyond Velero, each deliberate:
//   * --include-names: `[namespace/]name` gobwas globs, any one of which must match. A pattern
//     without '/' matches the name of any item, cluster-scoped or namespaced; `ns/name` matches
//     namespaced items whose *source* namespace matches `ns`; `/name` matches cluster-scoped items
//     only. It narrows what the other filters select; must-have items bypass it as they bypass
//     every other filter (a DataUpload is what brings its PVC's data back).
//   * A namespace wildcard that matches no archived namespace includes nothing. Velero passes the
//     empty expansion to IncludesExcludes, where an empty includes list means everything, so
//     `--include-namespaces 'prod-*'` on a backup without such namespaces restores all of them.
//   * Namespace objects (resource "namespaces") are tested against the namespace filter by name.
//     Velero tests only the cluster-scope rule, so with includeClusterResources=true and
//     `--include-namespaces a` it also creates namespace b.
#pragma once

#include "restore/plan/resource_policy.hpp"
#include "vbackup/discovery.hpp"
#include "vbackup/velero_restore.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::restore {

// pkg/controller/restore_controller.go nonRestorableResources.
const std::vector<std::string>& non_restorable_resources();
// pkg/restore/restore.go resourceMustHave.
const std::vector<std::string>& must_have_resources();

struct SelectionOptions {
  std::vector<std::string> include_names;     // --include-names patterns
  std::optional<RestoreResourcePolicy> policy;  // spec.resourcePolicy, already parsed
};

class RestoreSelection {
 public:
  // `archive_namespaces`: BackupContents::all_namespaces(), for wildcard expansion. Never throws for
  // bad input: problems are reported by validate().
  RestoreSelection(const velero::RestoreSpec& spec, const Discovery& target,
                   const std::vector<std::string>& archive_namespaces, SelectionOptions options = {});
  ~RestoreSelection();
  RestoreSelection(RestoreSelection&&) noexcept;
  RestoreSelection& operator=(RestoreSelection&&) noexcept;

  // Velero's validation messages (restore controller validateAndComplete, in its order) and the
  // errors Velero reports when the restore starts (selectors that do not convert, wildcard patterns
  // that do not expand, an ambiguous policy), then ours (include-names). Empty when valid.
  std::vector<std::string> validate() const;

  // Whether any item of this resource can be restored (resource filter or must-have).
  bool includes_resource(std::string_view group_resource) const;
  // The namespace filter on a source namespace.
  bool includes_namespace(std::string_view source_namespace) const;
  // One archived item. `labels` is its metadata.labels (nullptr: none); `kind` its kind, used only
  // for policy kinds discovery cannot resolve.
  bool includes_item(std::string_view group_resource, bool namespaced, std::string_view source_namespace,
                     std::string_view name, const json::object* labels, std::string_view kind = {}) const;
  // restoreItem's own check (restore §2.3 step 1), all an additional item returned by an action has
  // to pass: the resource filter (or must-have), the namespace filter on its source namespace when
  // namespaced, includeClusterResources not false when cluster-scoped. Label selectors, the resource
  // policy and --include-names do not apply to additional items (Velero's rule, and ours for the
  // names: a selected Pod brings its PVC).
  bool includes_additional_item(std::string_view group_resource, bool namespaced,
                                std::string_view source_namespace) const;
  // Why includes_item is false, in words for the restore log and the dry-run plan; "" when included.
  std::string why_not(std::string_view group_resource, bool namespaced, std::string_view source_namespace,
                      std::string_view name, const json::object* labels, std::string_view kind = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vbackup::restore
