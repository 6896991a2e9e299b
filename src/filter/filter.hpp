// Velero's resource and namespace filters (spec §5): gobwas-style globs, IncludesExcludes, the
// namespace filter with wildcard expansion, and the two resource-filter models (the old
// includeClusterResources one, §5.6, and the scoped one, §5.7), with their validation (§5.2).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::filter {

// A gobwas/glob pattern compiled without separators (spec §5.1): `*` and `**` match any run of
// characters, `?` one character, `[abc]` `[!abc]` `[a-z]` a set, `{a,b}` alternatives (nestable),
// `\` escapes. Matching is on Unicode code points and linear in the input length.
class Glob {
 public:
  // Throws Error(invalid) naming the pattern and the position of the problem.
  static Glob compile(std::string_view pattern);
  // glob.Compile(pattern, separators...): `*` and `?` do not match a separator, `**` matches
  // anything (Velero's resource modifiers compile groupResource with '.').
  static Glob compile(std::string_view pattern, std::u32string_view separators);
  bool match(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

  struct State;

 private:
  std::string pattern_;
  std::shared_ptr<const std::vector<State>> states_;
  std::u32string separators_;
  int start_ = 0;
};

// A sorted set of patterns, as Velero's globStringSet over sets.String.
class GlobSet {
 public:
  void insert(std::string pattern);
  bool has(std::string_view literal) const;  // the literal entry, not a match
  // Velero's match(): patterns tried in sorted order; a pattern that fails to compile ends the
  // search with false (spec §5.1 quirk, deterministic because the order is sorted).
  bool match(std::string_view text) const;
  std::size_t size() const { return patterns_.size(); }
  bool empty() const { return patterns_.empty(); }
  const std::vector<std::string>& list() const { return patterns_; }

 private:
  std::vector<std::string> patterns_;       // sorted, unique
  std::vector<std::optional<Glob>> globs_;  // nullopt: did not compile
};

// spec §5.1.
class IncludesExcludes {
 public:
  IncludesExcludes() = default;
  IncludesExcludes(const std::vector<std::string>& includes, const std::vector<std::string>& excludes);
  bool should_include(std::string_view s) const;
  bool include_everything() const;
  const GlobSet& includes() const { return includes_; }
  const GlobSet& excludes() const { return excludes_; }
  GlobSet& includes() { return includes_; }
  GlobSet& excludes() { return excludes_; }
  std::string includes_string() const;  // "*" when empty
  std::string excludes_string() const;  // "<none>" when empty

 private:
  GlobSet includes_, excludes_;
};

// spec §5.2. Each returns the error messages (empty = valid), worded as Velero words them.
std::vector<std::string> validate_includes_excludes(const std::vector<std::string>& includes,
                                                    const std::vector<std::string>& excludes);
std::vector<std::string> validate_namespace_includes_excludes(const std::vector<std::string>& includes,
                                                              const std::vector<std::string>& excludes);
std::vector<std::string> validate_scoped_includes_excludes(const std::vector<std::string>& includes,
                                                           const std::vector<std::string>& excludes);

// spec §5.5: expand namespace wildcards against the namespaces that exist (cluster or archive).
bool should_expand_wildcards(const std::vector<std::string>& includes, const std::vector<std::string>& excludes);
struct ExpandedNamespaces {
  std::vector<std::string> includes, excludes;
  bool includes_nothing = false;  // includes expanded to the empty set: the filter includes nothing
};
ExpandedNamespaces expand_wildcards(const std::vector<std::string>& existing_namespaces,
                                    const std::vector<std::string>& includes,
                                    const std::vector<std::string>& excludes);

// The namespace filter of a backup or restore, after expansion.
class NamespaceFilter {
 public:
  NamespaceFilter() = default;  // everything
  NamespaceFilter(IncludesExcludes filter, bool includes_nothing = false)
      : filter_(std::move(filter)), includes_nothing_(includes_nothing) {}
  bool should_include(std::string_view ns) const {
    return !includes_nothing_ && filter_.should_include(ns);
  }
  bool include_everything() const { return !includes_nothing_ && filter_.include_everything(); }
  // spec §5.5: list cluster-wide once when the filter includes the literal "*", else per namespace.
  bool list_cluster_wide() const { return should_include("*"); }
  const IncludesExcludes& includes_excludes() const { return filter_; }

 private:
  IncludesExcludes filter_;
  bool includes_nothing_ = false;
};

// What filters need to know of a resource type: its GroupResource string and scope, or nullopt
// when discovery does not know it (spec §5.3).
struct ResolvedResource {
  std::string group_resource;
  bool namespaced = true;
};
using ResourceResolver = std::function<std::optional<ResolvedResource>(std::string_view)>;

// The resource-filter fields of a BackupSpec (spec §4.1), decoupled from the full type.
struct ResourceFilterSpec {
  std::vector<std::string> included_resources, excluded_resources;
  std::optional<bool> include_cluster_resources;
  std::vector<std::string> included_cluster_scoped_resources, excluded_cluster_scoped_resources;
  std::vector<std::string> included_namespace_scoped_resources, excluded_namespace_scoped_resources;
};

// spec §5.4: true iff includeClusterResources is set or includedResources/excludedResources is
// non-empty. A spec with no resource filters at all uses the scoped model.
bool use_old_resource_filters(const ResourceFilterSpec& spec);

// Both models behind one interface: typeName is a GroupResource string ("deployments.apps").
class ResourceFilter {
 public:
  virtual ~ResourceFilter() = default;
  virtual bool should_include(std::string_view group_resource) const = 0;
  virtual bool should_exclude(std::string_view group_resource) const = 0;
  virtual std::string describe() const = 0;  // for the backup log: the resolved lists
};

// Builds the model the spec selects, resolving every list entry through `resolve` (§5.3: `*` kept,
// unresolvable entries kept verbatim so globs survive, scoped lists drop other-scope entries).
// `full_backup_hint` tells the scoped model that the user's own lists ask for everything (no old
// filters, no cluster-scoped lists, namespace-scoped lists empty or ["*"]) before Velero's
// auto-excludes were added: see the note on the §9.1 pitfall in includes_excludes.cpp.
std::unique_ptr<ResourceFilter> make_resource_filter(const ResourceFilterSpec& spec, const ResourceResolver& resolve,
                                                     const NamespaceFilter& namespaces,
                                                     bool full_backup_hint = false);

}  // namespace vbackup::filter
