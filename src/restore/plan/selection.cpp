#include "restore/plan/selection.hpp"

#include "vbackup/error.hpp"
#include "filter/filter.hpp"
#include "vbackup/labels.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace vbackup::restore {

const std::vector<std::string>& non_restorable_resources() {
  static const std::vector<std::string> list = {
      "nodes", "events", "events.events.k8s.io", "backups.velero.io", "restores.velero.io",
      "resticrepositories.velero.io", "csinodes.storage.k8s.io", "volumeattachments.storage.k8s.io",
      "backuprepositories.velero.io",
  };
  return list;
}

const std::vector<std::string>& must_have_resources() {
  static const std::vector<std::string> list = {"datauploads.velero.io"};
  return list;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool equal_fold(std::string_view a, std::string_view b) { return a.size() == b.size() && lower(a) == lower(b); }

bool contains(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// One resolved policy resource filter (Velero's resolvedResourceFilter).
struct PolicyFilter {
  std::optional<labels::Selector> selector;
  std::vector<labels::Selector> or_selectors;  // the present ones only
  std::optional<filter::IncludesExcludes> names;
  std::vector<std::string> kinds;  // lower-cased, as written
};
using FilterPtr = std::shared_ptr<const PolicyFilter>;

struct NamespacePolicy {
  std::map<std::string, FilterPtr, std::less<>> by_resource;  // resolved group resource (or kind as written)
  FilterPtr catch_all;
  bool has_unresolved_kinds = false;
};
using NamespacePolicyPtr = std::shared_ptr<const NamespacePolicy>;

struct NamePattern {
  enum class Scope { any, namespaced, cluster } scope = Scope::any;
  std::optional<filter::Glob> ns;
  std::optional<filter::Glob> name;
};

}  // namespace

struct RestoreSelection::Impl {
  filter::IncludesExcludes resources;
  std::set<std::string, std::less<>> must_have;
  filter::NamespaceFilter namespaces;
  std::optional<bool> include_cluster_resources;
  labels::Selector selector;  // everything when the spec has none
  std::vector<labels::Selector> or_selectors;
  std::vector<std::string> errors;

  bool has_policy = false;
  std::map<std::string, NamespacePolicyPtr, std::less<>> policy_exact;
  std::vector<std::pair<filter::Glob, NamespacePolicyPtr>> policy_globs;  // definition order
  std::optional<std::map<std::string, FilterPtr, std::less<>>> cluster_policy;

  std::vector<NamePattern> names;

  std::string resolve(const Discovery& d, const std::string& item) const {
    auto r = d.resolve(item);
    return r ? r->group_resource() : item;
  }

  void build_resources(const velero::RestoreSpec& spec, const Discovery& d) {
    // validateAndComplete: the non-restorable resources join the excludes.
    std::vector<std::string> excludes = spec.excluded_resources;
    for (const std::string& r : non_restorable_resources()) {
      if (!contains(excludes, r)) excludes.push_back(r);
    }
    for (const std::string& r : non_restorable_resources()) {
      if (contains(spec.included_resources, r)) errors.push_back(r + " are non-restorable resources");
    }
    for (const std::string& e : filter::validate_includes_excludes(spec.included_resources, excludes)) {
      errors.push_back("Invalid included/excluded resource lists: " + e);
    }
    // GetResourceIncludesExcludes: "*" kept in includes, dropped from excludes, the rest resolved.
    for (const std::string& item : spec.included_resources) resources.includes().insert(item == "*" ? item : resolve(d, item));
    for (const std::string& item : excludes) {
      if (item != "*") resources.excludes().insert(resolve(d, item));
    }
    must_have.insert(must_have_resources().begin(), must_have_resources().end());
  }

  void build_namespaces(const velero::RestoreSpec& spec, const std::vector<std::string>& archived) {
    const auto& inc = spec.included_namespaces;
    const auto& exc = spec.excluded_namespaces;
    for (const std::string& e : filter::validate_includes_excludes(inc, exc)) {
      errors.push_back("Invalid included/excluded namespace lists: " + e);
    }
    namespaces = filter::NamespaceFilter(filter::IncludesExcludes(inc, exc));
    if (!filter::should_expand_wildcards(inc, exc)) return;
    // expandNamespaceWildcards (restore.go): errors there end the restore.
    if (contains(exc, "*")) {
      errors.push_back("wildcard '*' is not allowed in restore excludes");
      return;
    }
    for (const auto* list : {&inc, &exc}) {
      for (const std::string& p : *list) {
        if (auto e = namespace_pattern_error(p)) {
          errors.push_back("error expanding wildcard patterns in namespace includes/excludes: " + *e);
          return;
        }
      }
    }
    try {
      filter::ExpandedNamespaces x = filter::expand_wildcards(archived, inc, exc);
      // Deliberate (selection.hpp): an expansion to nothing includes nothing.
      namespaces = filter::NamespaceFilter(filter::IncludesExcludes(x.includes, x.excludes), x.includes_nothing);
    } catch (const Error& e) {
      errors.push_back(std::string("error expanding wildcard patterns in namespace includes/excludes: ") + e.what());
    }
  }

  void build_selectors(const velero::RestoreSpec& spec) {
    bool has_or = !spec.or_label_selectors.empty();
    bool has_label = spec.label_selector && !spec.label_selector->is_null();
    if (has_or && has_label) {
      errors.push_back("encountered labelSelector as well as orLabelSelectors in restore spec, only one can be specified");
    }
    try {
      if (has_label) selector = labels::from_label_selector(*spec.label_selector);
    } catch (const Error& e) {
      errors.push_back(std::string("labelSelector: ") + e.what());
      selector = labels::Selector::nothing();
    }
    for (std::size_t i = 0; i < spec.or_label_selectors.size(); ++i) {
      try {
        or_selectors.push_back(labels::from_label_selector(spec.or_label_selectors[i]));
      } catch (const Error& e) {
        errors.push_back("orLabelSelectors[" + std::to_string(i) + "]: " + e.what());
        or_selectors.push_back(labels::Selector::nothing());
      }
    }
  }

  static FilterPtr resolve_filter(const PolicyResourceFilter& rf) {
    auto f = std::make_shared<PolicyFilter>();
    // Validated when the policy was parsed; a selector that still fails matches nothing.
    auto convert = [](const json::object& s) {
      try {
        return labels::from_label_selector(json::value(s));
      } catch (const Error&) {
        return labels::Selector::nothing();
      }
    };
    if (rf.label_selector) f->selector = convert(*rf.label_selector);
    for (const auto& s : rf.or_label_selectors) {
      if (s) f->or_selectors.push_back(convert(*s));
    }
    if (!rf.names.empty() || !rf.excluded_names.empty()) f->names.emplace(rf.names, rf.excluded_names);
    for (const std::string& k : rf.kinds) f->kinds.push_back(lower(k));
    return f;
  }

  // resolveRestore{ClusterScoped,Namespaced}FilterPolicy: kinds resolved through discovery, or kept
  // as written (lower-cased) when they do not resolve.
  bool add_kinds(const Discovery& d, const FilterPtr& f, std::map<std::string, FilterPtr, std::less<>>& into) {
    bool unresolved = false;
    for (const std::string& kind : f->kinds) {
      std::string key = kind;
      if (auto r = d.resolve(kind)) {
        key = r->group_resource();
      } else {
        unresolved = true;
      }
      if (!into.emplace(key, f).second) errors.push_back("ambiguous policy: duplicate kind \"" + key + "\" detected");
    }
    return unresolved;
  }

  void build_policy(const RestoreResourcePolicy& p, const Discovery& d) {
    has_policy = true;
    if (p.cluster_scoped_filter_policy) {
      cluster_policy.emplace();
      for (const auto& rf : *p.cluster_scoped_filter_policy) add_kinds(d, resolve_filter(rf), *cluster_policy);
    }
    for (const auto& nfp : p.namespaced_filter_policies) {
      auto ns = std::make_shared<NamespacePolicy>();
      for (const auto& rf : nfp.resource_filters) {
        FilterPtr f = resolve_filter(rf);
        if (rf.catch_all()) {
          ns->catch_all = f;
          continue;
        }
        ns->has_unresolved_kinds = add_kinds(d, f, ns->by_resource) || ns->has_unresolved_kinds;
      }
      for (const std::string& pattern : nfp.namespaces) {
        policy_exact[pattern] = ns;
        if (pattern.find_first_of("*?[") == std::string::npos) continue;
        try {
          policy_globs.emplace_back(filter::Glob::compile(pattern), ns);
        } catch (const Error&) {
          // Velero: "falling back to exact match".
        }
      }
    }
  }

  void build_names(const std::vector<std::string>& patterns) {
    for (const std::string& p : patterns) {
      auto bad = [&](const std::string& why) { errors.push_back("--include-names \"" + p + "\": " + why); };
      if (p.empty()) {
        bad("empty pattern");
        continue;
      }
      std::size_t slash = p.find('/');
      if (slash != std::string::npos && p.find('/', slash + 1) != std::string::npos) {
        bad("more than one '/': expected [namespace/]name");
        continue;
      }
      NamePattern np;
      try {
        if (slash == std::string::npos) {
          np.name = filter::Glob::compile(p);
        } else {
          std::string ns = p.substr(0, slash), name = p.substr(slash + 1);
          if (name.empty()) {
            bad("no name after '/'");
            continue;
          }
          np.scope = ns.empty() ? NamePattern::Scope::cluster : NamePattern::Scope::namespaced;
          if (!ns.empty()) np.ns = filter::Glob::compile(ns);
          np.name = filter::Glob::compile(name);
        }
      } catch (const Error& e) {
        bad(e.what());
        continue;
      }
      names.push_back(std::move(np));
    }
  }

  // getNamespaceFilter: the exact entry wins, then the globs in definition order.
  const NamespacePolicy* namespace_policy(std::string_view ns) const {
    if (auto it = policy_exact.find(ns); it != policy_exact.end()) return it->second.get();
    for (const auto& [glob, policy] : policy_globs) {
      if (glob.match(ns)) return policy.get();
    }
    return nullptr;
  }

  // Peek-and-map: a filter one of whose kinds equals the item's kind, ignoring case.
  static const PolicyFilter* by_kind(const std::map<std::string, FilterPtr, std::less<>>& filters, std::string_view kind) {
    if (kind.empty()) return nullptr;
    for (const auto& [key, f] : filters) {
      for (const std::string& k : f->kinds) {
        if (equal_fold(k, kind)) return f.get();
      }
    }
    return nullptr;
  }

  static std::string apply(const PolicyFilter& f, std::string_view name, const json::object* item_labels) {
    if (f.selector && !f.selector->matches(item_labels)) {
      return "the resource policy's label selector \"" + f.selector->to_string() + "\" does not match";
    }
    if (!f.or_selectors.empty() &&
        std::none_of(f.or_selectors.begin(), f.or_selectors.end(),
                     [&](const labels::Selector& s) { return s.matches(item_labels); })) {
      return "no orLabelSelector of the resource policy matches";
    }
    if (f.names && !f.names->should_include(name)) return "the name does not match the resource policy's names";
    return {};
  }

  bool name_matches(bool namespaced, std::string_view ns, std::string_view name) const {
    if (names.empty()) return true;
    for (const NamePattern& p : names) {
      if (p.scope == NamePattern::Scope::namespaced && (!namespaced || !p.ns->match(ns))) continue;
      if (p.scope == NamePattern::Scope::cluster && namespaced) continue;
      if (p.name->match(name)) return true;
    }
    return false;
  }
};

RestoreSelection::RestoreSelection(const velero::RestoreSpec& spec, const Discovery& target,
                                   const std::vector<std::string>& archive_namespaces, SelectionOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->build_resources(spec, target);
  impl_->build_namespaces(spec, archive_namespaces);
  impl_->build_selectors(spec);
  impl_->include_cluster_resources = spec.include_cluster_resources;
  if (options.policy) impl_->build_policy(*options.policy, target);
  impl_->build_names(options.include_names);
}

RestoreSelection::~RestoreSelection() = default;
RestoreSelection::RestoreSelection(RestoreSelection&&) noexcept = default;
RestoreSelection& RestoreSelection::operator=(RestoreSelection&&) noexcept = default;

std::vector<std::string> RestoreSelection::validate() const { return impl_->errors; }

bool RestoreSelection::includes_resource(std::string_view gr) const {
  return impl_->must_have.count(gr) || impl_->resources.should_include(gr);
}

bool RestoreSelection::includes_namespace(std::string_view ns) const { return impl_->namespaces.should_include(ns); }

bool RestoreSelection::includes_additional_item(std::string_view gr, bool namespaced, std::string_view ns) const {
  const Impl& s = *impl_;
  bool must_have = s.must_have.count(gr) > 0;
  if (!must_have && !s.resources.should_include(gr)) return false;
  if (namespaced) return must_have || s.namespaces.should_include(ns);
  return s.include_cluster_resources != false;
}

bool RestoreSelection::includes_item(std::string_view gr, bool namespaced, std::string_view ns, std::string_view name,
                                     const json::object* item_labels, std::string_view kind) const {
  return why_not(gr, namespaced, ns, name, item_labels, kind).empty();
}

std::string RestoreSelection::why_not(std::string_view gr, bool namespaced, std::string_view ns, std::string_view name,
                                      const json::object* item_labels, std::string_view kind) const {
  const Impl& s = *impl_;
  std::string resource(gr);
  bool must_have = s.must_have.count(gr) > 0;
  if (!must_have && !s.resources.should_include(gr)) return "resource " + resource + " is excluded";
  if (namespaced) {
    if (!must_have && !s.namespaces.should_include(ns)) return "namespace " + std::string(ns) + " is excluded";
  } else {
    if (s.include_cluster_resources == false) return "cluster-scoped, and includeClusterResources is false";
    if (!s.include_cluster_resources && !s.namespaces.include_everything()) {
      return "cluster-scoped, and only specific namespaces are included in the restore";
    }
    if (gr == "namespaces" && !s.namespaces.should_include(name)) {
      return "namespace " + std::string(name) + " is excluded";  // deliberate (selection.hpp)
    }
  }
  if (must_have) return {};

  const PolicyFilter* rf = nullptr;
  bool use_policy = false;
  if (namespaced) {
    if (const NamespacePolicy* p = s.has_policy ? s.namespace_policy(ns) : nullptr) {
      use_policy = true;
      if (auto it = p->by_resource.find(gr); it != p->by_resource.end()) rf = it->second.get();
      if (!rf && p->has_unresolved_kinds) rf = Impl::by_kind(p->by_resource, kind);
      if (!rf) rf = p->catch_all.get();
      if (!rf) return "resource " + resource + " is not in the resource policy's resourceFilters for namespace " + std::string(ns);
    }
  } else if (s.cluster_policy) {
    if (auto it = s.cluster_policy->find(gr); it != s.cluster_policy->end()) {
      rf = it->second.get();
    } else {
      rf = Impl::by_kind(*s.cluster_policy, kind);
    }
    use_policy = rf != nullptr;
  }
  if (use_policy) {
    if (std::string why = Impl::apply(*rf, name, item_labels); !why.empty()) return why;
  } else {
    if (!s.selector.matches(item_labels)) return "the label selector \"" + s.selector.to_string() + "\" does not match";
    if (!s.or_selectors.empty() && std::none_of(s.or_selectors.begin(), s.or_selectors.end(),
                                                [&](const labels::Selector& x) { return x.matches(item_labels); })) {
      return "no orLabelSelector matches";
    }
  }
  if (!s.name_matches(namespaced, ns, name)) return "the name matches no --include-names pattern";
  return {};
}

}  // namespace vbackup::restore
