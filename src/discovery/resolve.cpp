// spec §5.3: resolving a user-written resource name the way Velero's discovery helper does
// (pkg/discovery/helper.go ResourceFor): Velero's shortcut expander
// (third_party/kubernetes/pkg/kubectl/cmd/util/shortcut_expander.go) in front of client-go's
// DiscoveryRESTMapper (restmapper/discovery.go: a PriorityRESTMapper over one DefaultRESTMapper per
// group version), and the answer looked up among the backupable preferred resources.
#include "vbackup/discovery.hpp"

#include "discovery/preferred.hpp"

#include <algorithm>

namespace vbackup {

using discovery_detail::lower_ascii;

namespace {

// What schema.ParseGroupResource makes of "resource.group": split at the first '.'.
struct PartialResource {
  std::string resource, group;
};

PartialResource parse_group_resource(std::string_view input) {
  auto dot = input.find('.');
  if (dot == std::string_view::npos) return {std::string(input), {}};
  return {std::string(input.substr(0, dot)), std::string(input.substr(dot + 1))};
}

// Velero's Resources(): the preferred resources that pass filterByVerbs, with the "extensions"
// group moved last (sortResources). The resolver's short names and final lookup use this set.
std::vector<const ApiResource*> velero_resources(const Discovery& d) {
  std::vector<const ApiResource*> out, extensions;
  for (const auto& list : discovery_detail::preferred_lists(d))
    for (const ApiResource* r : list.resources) {
      if (!r->backupable()) continue;
      (r->group == "extensions" ? extensions : out).push_back(r);
    }
  out.insert(out.end(), extensions.begin(), extensions.end());
  return out;
}

std::vector<const ApiResource*> all_preferred(const Discovery& d) {
  std::vector<const ApiResource*> out;
  for (const auto& list : discovery_detail::preferred_lists(d))
    out.insert(out.end(), list.resources.begin(), list.resources.end());
  return out;
}

// expandResourceShortcut: the first short name equal to the resource (case-sensitive; a group given
// must equal the short name's group) replaces the resource with the long name; failing that, with
// a group given, the first short name whose group starts with it. The group is left as typed.
void expand_short_name(PartialResource& in, const std::vector<const ApiResource*>& candidates) {
  for (const ApiResource* r : candidates) {
    if (!in.group.empty() && in.group != r->group) continue;
    for (const std::string& sn : r->short_names)
      if (in.resource == sn) {
        in.resource = r->name;
        return;
      }
  }
  if (in.group.empty()) return;
  for (const ApiResource* r : candidates) {
    if (!r->group.starts_with(in.group)) continue;
    for (const std::string& sn : r->short_names)
      if (in.resource == sn) {
        in.resource = r->name;
        return;
      }
  }
}

// The singular the RESTMapper registers: the advertised one, or meta.UnsafeGuessKindToResource's
// guess (the lower-cased kind) for servers that do not advertise it.
std::string singular_of(const ApiResource& r) {
  return r.singular.empty() ? lower_ascii(r.kind) : r.singular;
}

bool names_match(const ApiResource& r, const std::string& resource) {
  return r.name == resource || singular_of(r) == resource;
}

}  // namespace

std::optional<ApiResource> Discovery::resolve(std::string_view user_input) const {
  return resolve_impl(user_input, true);
}

std::optional<ApiResource> Discovery::resource_for(std::string_view user_input) const {
  return resolve_impl(user_input, false);
}

std::optional<ApiResource> Discovery::resolve_impl(std::string_view user_input, bool velero_only) const {
  PartialResource in = parse_group_resource(user_input);
  if (in.resource.empty()) return std::nullopt;  // "a resource must be present"

  const std::vector<const ApiResource*> candidates = velero_only ? velero_resources(*this) : all_preferred(*this);
  expand_short_name(in, candidates);
  const std::string resource = lower_ascii(in.resource);  // coerceResourceForMatching; the group is not folded

  // MultiRESTMapper.ResourcesFor over every group version (groups in server order, each group's
  // versions in its order), duplicates dropped; subresources are never mapped.
  std::vector<const ApiResource*> matches;
  auto collect = [&](auto&& accept) {
    for (const ApiGroup& g : groups_)
      for (const std::string& v : g.versions)
        for (const ApiResource& r : resources(discovery_detail::join_group_version(g.name, v)))
          if (!r.is_subresource() && accept(r) && names_match(r, resource) &&
              std::find(matches.begin(), matches.end(), &r) == matches.end())
            matches.push_back(&r);
  };
  if (in.group.empty()) {
    collect([](const ApiResource&) { return true; });
  } else {
    // An exact group first; without one, a group prefix ("storageclasses.storage").
    collect([&](const ApiResource& r) { return r.group == in.group; });
    if (matches.empty()) collect([&](const ApiResource& r) { return r.group.starts_with(in.group); });
  }
  if (matches.empty()) return std::nullopt;

  // PriorityRESTMapper.ResourceFor: one match wins; otherwise narrow by the priority patterns in
  // order (core v1; per group its preferred version, then its other versions; then each group in
  // any version) until exactly one is left.
  const ApiResource* picked = nullptr;
  if (matches.size() == 1) {
    picked = matches.front();
  } else {
    struct Pattern {
      std::string_view group, version;  // empty version = any
    };
    std::vector<Pattern> patterns{{"", "v1"}};
    for (const ApiGroup& g : groups_) {
      auto has_list = [&](const std::string& v) {
        return !resources(discovery_detail::join_group_version(g.name, v)).empty();
      };
      if (has_list(g.preferred_version)) patterns.push_back({g.name, g.preferred_version});
      for (const std::string& v : g.versions)
        if (v != g.preferred_version && has_list(v)) patterns.push_back({g.name, v});
    }
    for (const ApiGroup& g : groups_) patterns.push_back({g.name, {}});

    std::vector<const ApiResource*> remaining = matches;
    for (const Pattern& p : patterns) {
      std::vector<const ApiResource*> hit;
      for (const ApiResource* r : remaining)
        if (r->group == p.group && (p.version.empty() || r->version == p.version)) hit.push_back(r);
      if (hit.size() == 1) {
        picked = hit.front();
        break;
      }
      if (hit.size() > 1) remaining = std::move(hit);
    }
    if (!picked) return std::nullopt;  // AmbiguousResourceError
  }

  if (!velero_only) return *picked;
  // Velero then requires the answer in its resourcesMap: a backupable resource in the version
  // ServerPreferredResources chose for it.
  for (const ApiResource* r : candidates)
    if (r == picked) return *picked;
  return std::nullopt;
}

}  // namespace vbackup
