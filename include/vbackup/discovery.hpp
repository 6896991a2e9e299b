// What a Kubernetes API server advertises through discovery (groups, versions, resources with kind,
// scope, verbs and short names), the built-in table of a stock cluster, CRDs turned into resources,
// and the Velero rules that read discovery: resource-name resolution (spec §5.3), what is never
// collected (§5.9) and collection order (§1.4).
//
// The model follows client-go: groups in the server's order (core first), each with its versions in
// priority order and a preferred version; per group version an APIResourceList in which subresources
// appear as "<plural>/<sub>" entries.
#pragma once

#include "vbackup/json.hpp"

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup {

// One entry of an APIResourceList (metav1.APIResource), with its group and version filled in.
struct ApiResource {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string name;      // plural ("pods"), or "<plural>/<subresource>" ("pods/log")
  std::string singular;  // "pod"; "" for subresources
  std::string kind;      // "Pod"
  bool namespaced = true;
  std::vector<std::string> verbs, short_names, categories;

  std::string group_resource() const;  // GroupResource.String(): "pods", "deployments.apps"
  std::string group_version() const;   // "v1", "apps/v1"
  bool is_subresource() const;         // name contains '/'
  bool has_verb(std::string_view verb) const;
  // spec §5.9 (Velero's filterByVerbs plus the subresource rule): verbs include list, create, get and
  // delete, and the name has no '/'.
  bool backupable() const;
};

struct ApiGroup {
  std::string name;                   // "" for the core group (/api)
  std::vector<std::string> versions;  // highest priority first, as the server lists them
  std::string preferred_version;      // empty in add_group() means the first version
  // APIService spec.groupPriorityMinimum when known (built-in groups, CRD groups = 1000); 0 = unknown.
  // Only used to place groups created by add_crd() where the aggregator would list them.
  int priority = 0;
};

class Discovery {
 public:
  // Server order is insertion order. Throws Error(invalid) for a group added twice, no versions, or
  // a preferred version that is not one of the versions.
  void add_group(ApiGroup group);
  // Appends to the APIResourceList of a version added with add_group ("v1", "apps/v1"); each
  // resource's group and version are set from group_version. Order is kept as given.
  void add_resources(std::string_view group_version, std::vector<ApiResource> resources);
  // A CustomResourceDefinition object (apiextensions.k8s.io/v1 or v1beta1) as the apiextensions
  // server would serve it: one resource (plus status/scale subresources) in every served version.
  // A new group goes where the aggregator lists it (after the built-in groups, CRD groups by name);
  // its versions are ordered by compare_kube_versions and the highest one is preferred. Adding a CRD
  // of the same name again replaces it. Invalid CRDs throw Error(invalid) naming the CRD, e.g.
  // `CustomResourceDefinition "foos.example.com": spec.versions: no version is served`.
  void add_crd(const json::object& crd);

  const std::vector<ApiGroup>& groups() const { return groups_; }
  const ApiGroup* group(std::string_view name) const;
  // The APIResourceList of one group version ("apps/v1"), empty if unknown.
  const std::vector<ApiResource>& resources(std::string_view group_version) const;
  bool is_preferred(std::string_view group, std::string_view version) const;

  // client-go ServerPreferredResources: every resource of every group once, in the group's preferred
  // version, or, for a resource the preferred version lacks, the first version (in the group's order)
  // that has it. Subresources are left out. Order: groups in server order, a group's versions in its
  // order, resources in list order (client-go leaves the order inside a version unspecified).
  std::vector<ApiResource> preferred_resources() const;

  // The resource with this plural name ("deployments") in the version preferred_resources() picks.
  // The pointer stays valid until the Discovery is modified.
  const ApiResource* find(std::string_view group, std::string_view resource) const;
  // The resource serving this kind in exactly this group version ("apps/v1", "Deployment"); any
  // served version, subresources excluded.
  const ApiResource* find_kind(std::string_view api_version, std::string_view kind) const;

  // spec §5.3, Velero's discovery helper ResourceFor(): `resource[.group]` split at the first '.';
  // the resource part is expanded if it equals a short name (compared case-sensitively, as Velero's
  // shortcut expander does), then lower-cased and matched against plural and singular names ("Deployment"
  // resolves, "DEPLOYMENTS" resolves, "PO" does not); a group given is matched exactly, else as a
  // prefix ("deployments.app"). Ties go by discovery priority (core v1 first, then groups in server
  // order, preferred version first), so "events" is the core resource. Only resources Velero can
  // back up resolve (§5.9); anything else, ambiguous names and globs ("*.example.com") give nullopt,
  // and callers keep the text verbatim.
  std::optional<ApiResource> resolve(std::string_view user_input) const;
  // The same RESTMapper resolution without Velero's restriction: any resource of any served version
  // (subresources excluded), short names taken from all preferred resources.
  std::optional<ApiResource> resource_for(std::string_view user_input) const;

 private:
  std::optional<ApiResource> resolve_impl(std::string_view user_input, bool velero_only) const;
  const ApiResource* find_in(std::string_view group, std::string_view version, std::string_view name) const;
  void insert_crd_group(const std::string& name);

  std::vector<ApiGroup> groups_;
  std::map<std::string, std::vector<ApiResource>, std::less<>> lists_;  // by group version
  struct Crd {
    std::string group, plural;
    std::vector<std::string> served;
  };
  std::map<std::string, Crd, std::less<>> crds_;          // by CRD name
  std::set<std::string, std::less<>> crd_groups_;         // groups created by add_crd()
};

// The Kubernetes release builtin_kubernetes_discovery() describes.
inline constexpr std::string_view builtin_kubernetes_version = "v1.33";

// A stock Kubernetes v1.33 cluster with default API enablement: /api and every built-in /apis group
// in the order aggregated discovery lists them, each with its versions, preferred version and every
// resource and subresource with kind, scope, verbs, short names and categories.
Discovery builtin_kubernetes_discovery();

// k8s.io/apimachinery version.CompareKubeAwareVersionStrings: >0 if a has higher priority than b,
// 0 if equal, <0 if lower. GA > beta > alpha, then major, then minor (v2 > v1 > v1beta2 > v1beta1 >
// v1alpha1); strings that are not kube-like versions rank below all that are, and among themselves in
// reverse byte order ("bar" > "foo", "version1" > "version10").
int compare_kube_versions(std::string_view a, std::string_view b);

// spec §1.4 and §5.9, Velero's collection order (discovery helper Refresh + item collector): the
// preferred resources (see Discovery::preferred_resources) that are backupable, API groups in server
// order with "extensions" moved last, the core group sorted pods, persistentvolumeclaims,
// persistentvolumes first (the rest keep their order). should_include, when given, is the backup's
// resource filter; Velero applies it before the cohabitation rule, so an excluded resource does not
// claim its cohabitant's turn. Cohabiting resources (deployments, daemonsets, replicasets in extensions
// and apps; networkpolicies in extensions and networking.k8s.io; events in core and events.k8s.io) are
// taken from the first of the two groups reached only.
std::vector<ApiResource> velero_collection_order(
    const Discovery& discovery, const std::function<bool(const ApiResource&)>& should_include = {});

}  // namespace vbackup
