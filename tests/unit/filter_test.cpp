// spec §5: Velero's includes/excludes, validation, namespace wildcards and both resource-filter models.
#include "filter/filter.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace vbackup::filter;
using V = std::vector<std::string>;

// A small discovery stand-in: user input → GroupResource and scope (spec §5.3).
static ResourceResolver test_resolver() {
  static const std::map<std::string, ResolvedResource> table = {
      {"pods", {"pods", true}}, {"pod", {"pods", true}}, {"po", {"pods", true}},
      {"configmaps", {"configmaps", true}}, {"cm", {"configmaps", true}},
      {"deployments", {"deployments.apps", true}}, {"deploy", {"deployments.apps", true}},
      {"deployments.apps", {"deployments.apps", true}},
      {"persistentvolumeclaims", {"persistentvolumeclaims", true}},
      {"persistentvolumes", {"persistentvolumes", false}}, {"pv", {"persistentvolumes", false}},
      {"namespaces", {"namespaces", false}}, {"ns", {"namespaces", false}},
      {"storageclasses.storage.k8s.io", {"storageclasses.storage.k8s.io", false}},
      {"customresourcedefinitions.apiextensions.k8s.io", {"customresourcedefinitions.apiextensions.k8s.io", false}},
      {"volumesnapshots.snapshot.storage.k8s.io", {"volumesnapshots.snapshot.storage.k8s.io", true}},
      {"volumesnapshotcontents.snapshot.storage.k8s.io", {"volumesnapshotcontents.snapshot.storage.k8s.io", false}},
      {"clusterroles.rbac.authorization.k8s.io", {"clusterroles.rbac.authorization.k8s.io", false}},
      {"widgets.example.com", {"widgets.example.com", true}},
  };
  return [](std::string_view s) -> std::optional<ResolvedResource> {
    auto it = table.find(std::string(s));
    if (it == table.end()) return std::nullopt;
    return it->second;
  };
}

TEST_CASE("spec §5.1: ShouldInclude — excludes win, empty or * includes mean everything") {
  IncludesExcludes ie({}, {});
  CHECK(ie.should_include("anything"));
  CHECK(ie.include_everything());

  IncludesExcludes star({"*"}, {"kube-*"});
  CHECK(star.should_include("default"));
  CHECK_FALSE(star.should_include("kube-system"));
  CHECK_FALSE(star.include_everything());

  IncludesExcludes listed({"app-*", "db"}, {"app-test"});
  CHECK(listed.should_include("app-prod"));
  CHECK(listed.should_include("db"));
  CHECK_FALSE(listed.should_include("app-test"));
  CHECK_FALSE(listed.should_include("web"));

  IncludesExcludes star_plus({"*", "x"}, {});
  CHECK(star_plus.should_include("y"));  // an include of * plus names behaves like *
  CHECK_FALSE(star_plus.include_everything());
  CHECK(IncludesExcludes({"*"}, {}).include_everything());
}

TEST_CASE("spec §5.1 quirk: a pattern that does not compile stops the sorted search") {
  // "[" sorts before "b*", so matching stops there: "bar" is not included although "b*" matches it.
  IncludesExcludes ie({"[", "b*"}, {});
  CHECK_FALSE(ie.should_include("bar"));
  // "z[" sorts after "a*": "a*" is tried first.
  CHECK(IncludesExcludes({"a*", "z["}, {}).should_include("abc"));
}

TEST_CASE("spec §5.1: strings for the log") {
  CHECK(IncludesExcludes({}, {}).includes_string() == "*");
  CHECK(IncludesExcludes({}, {}).excludes_string() == "<none>");
  CHECK(IncludesExcludes({"b", "a"}, {"c"}).includes_string() == "a, b");
}

TEST_CASE("spec §5.2: ValidateIncludesExcludes") {
  CHECK(validate_includes_excludes({"*"}, {"kube-system"}).empty());
  CHECK(validate_includes_excludes({"*", "a"}, {}) ==
        V{"includes list must either contain '*' only, or a non-empty list of items"});
  CHECK(validate_includes_excludes({}, {"*"}) == V{"excludes list cannot contain '*'"});
  CHECK(validate_includes_excludes({"a", "b"}, {"b"}) ==
        V{"excludes list cannot contain an item in the includes list: b"});
}

TEST_CASE("spec §5.2: namespace lists — glob syntax limits and DNS-1123 names") {
  CHECK(validate_namespace_includes_excludes({"app-*", "ns-?", "team-[abc]", ""}, {"kube-*"}).empty());
  for (const char* bad : {"a|b", "(a)", "!a", "{a,b}", "a**", "[]", "a[", "a]", "Upper", "-lead", "under_score",
                          "a[b[c]]"}) {
    CAPTURE(bad);
    auto errs = validate_namespace_includes_excludes({bad}, {});
    REQUIRE(errs.size() == 1);
    CHECK(errs[0].find(std::string("invalid namespace \"") + bad + "\"") == 0);
  }
  CHECK(validate_namespace_includes_excludes({std::string(64, 'a')}, {}).size() == 1);
  CHECK(validate_namespace_includes_excludes({std::string(63, 'a')}, {}).empty());
}

TEST_CASE("spec §5.2: scoped lists") {
  CHECK(validate_scoped_includes_excludes({}, {"*"}).empty());
  CHECK(validate_scoped_includes_excludes({"*", "pods"}, {}) ==
        V{"includes list must either contain '*' only, or a non-empty list of items"});
  CHECK(validate_scoped_includes_excludes({}, {"*", "pods"}) ==
        V{"excludes list must either contain '*' only, or a non-empty list of items"});
  CHECK(validate_scoped_includes_excludes({"pods"}, {"*"}) == V{"when exclude is '*', include cannot have value"});
  CHECK(validate_scoped_includes_excludes({"pods"}, {"pods"}) ==
        V{"excludes list cannot contain an item in the includes list: pods"});
}

TEST_CASE("spec §5.5: wildcard expansion against existing namespaces") {
  CHECK_FALSE(should_expand_wildcards({}, {"kube-*"}));  // empty includes: matched at query time
  CHECK_FALSE(should_expand_wildcards({"*"}, {"kube-*"}));
  CHECK_FALSE(should_expand_wildcards({"a", "b"}, {"c"}));
  CHECK(should_expand_wildcards({"app-*"}, {}));
  CHECK(should_expand_wildcards({"a"}, {"b?"}));
  CHECK(should_expand_wildcards({"ns-[12]"}, {}));

  V existing{"app-a", "app-b", "db", "kube-system"};
  auto e = expand_wildcards(existing, {"app-*", "literal"}, {"app-b"});
  CHECK(e.includes == V{"app-a", "app-b", "literal"});
  CHECK(e.excludes == V{"app-b"});
  CHECK_FALSE(e.includes_nothing);

  auto none = expand_wildcards(existing, {"zzz-*"}, {});
  CHECK(none.includes.empty());
  CHECK(none.includes_nothing);  // includes nothing, not everything
  NamespaceFilter nf(IncludesExcludes(none.includes, none.excludes), none.includes_nothing);
  CHECK_FALSE(nf.should_include("app-a"));
  CHECK_FALSE(nf.include_everything());
}

TEST_CASE("spec §5.5: list cluster-wide only when the filter includes the literal *") {
  CHECK(NamespaceFilter().list_cluster_wide());
  CHECK(NamespaceFilter(IncludesExcludes({}, {"kube-system"})).list_cluster_wide());
  CHECK_FALSE(NamespaceFilter(IncludesExcludes({"a", "b"}, {})).list_cluster_wide());
  CHECK_FALSE(NamespaceFilter(IncludesExcludes({}, {"*"})).list_cluster_wide());
}

TEST_CASE("spec §5.4: which model applies") {
  CHECK_FALSE(use_old_resource_filters({}));
  ResourceFilterSpec s;
  s.include_cluster_resources = false;
  CHECK(use_old_resource_filters(s));
  ResourceFilterSpec t;
  t.excluded_resources = {"pods"};
  CHECK(use_old_resource_filters(t));
  ResourceFilterSpec u;
  u.included_cluster_scoped_resources = {"*"};
  CHECK_FALSE(use_old_resource_filters(u));
}

TEST_CASE("spec §5.6: old model, includeClusterResources auto with a namespace filter") {
  ResourceFilterSpec s;
  s.included_resources = {"*"};
  NamespaceFilter only_app(IncludesExcludes({"app"}, {}));
  auto f = make_resource_filter(s, test_resolver(), only_app);
  CHECK(f->should_include("pods"));
  CHECK(f->should_include("namespaces"));            // namespaces are filtered per item later
  CHECK_FALSE(f->should_include("persistentvolumes"));  // no cluster types collected directly
  CHECK_FALSE(f->should_exclude("persistentvolumes"));  // … but a PVC's PV still comes along
  CHECK_FALSE(f->should_include("unknown.example.com"));  // unknown type: not collected
  CHECK(f->should_exclude("unknown.example.com"));
}

TEST_CASE("spec §5.6: an include list without persistentvolumes drops a PVC's PV in auto mode") {
  ResourceFilterSpec s;
  s.included_resources = {"pvc", "persistentvolumeclaims"};
  auto f = make_resource_filter(s, test_resolver(), NamespaceFilter(IncludesExcludes({"app"}, {})));
  CHECK(f->should_exclude("persistentvolumes"));
  CHECK_FALSE(f->should_include("namespaces"));  // Namespace objects follow the resource list too
}

TEST_CASE("spec §5.6: includeClusterResources true and false") {
  ResourceFilterSpec yes;
  yes.include_cluster_resources = true;
  auto f = make_resource_filter(yes, test_resolver(), NamespaceFilter(IncludesExcludes({"app"}, {})));
  CHECK(f->should_include("persistentvolumes"));
  CHECK(f->should_include("storageclasses.storage.k8s.io"));

  ResourceFilterSpec no;
  no.include_cluster_resources = false;
  auto g = make_resource_filter(no, test_resolver(), NamespaceFilter());
  CHECK_FALSE(g->should_include("persistentvolumes"));
  CHECK_FALSE(g->should_include("namespaces"));  // not even Namespace objects
  CHECK(g->should_exclude("persistentvolumes"));
  CHECK(g->should_include("pods"));
}

TEST_CASE("spec §5.3: names resolve through discovery; unresolvable entries stay verbatim as globs") {
  ResourceFilterSpec s;
  s.included_resources = {"deploy", "*.example.com"};
  s.include_cluster_resources = false;
  auto f = make_resource_filter(s, test_resolver(), NamespaceFilter());
  CHECK(f->should_include("deployments.apps"));
  CHECK(f->should_include("widgets.example.com"));
  CHECK_FALSE(f->should_include("pods"));
  // excluded "*" is dropped silently in the old model
  ResourceFilterSpec t;
  t.excluded_resources = {"*", "cm"};
  auto g = make_resource_filter(t, test_resolver(), NamespaceFilter());
  CHECK(g->should_include("pods"));
  CHECK_FALSE(g->should_include("configmaps"));
}

TEST_CASE("spec §5.7: scoped model") {
  ResourceFilterSpec s;
  s.included_namespace_scoped_resources = {"pods", "persistentvolumes"};  // a PV here is the other scope: dropped
  s.included_cluster_scoped_resources = {"storageclasses.storage.k8s.io"};
  auto f = make_resource_filter(s, test_resolver(), NamespaceFilter());
  CHECK(f->should_include("pods"));
  CHECK_FALSE(f->should_include("configmaps"));
  CHECK(f->should_include("storageclasses.storage.k8s.io"));
  CHECK(f->should_include("namespaces"));  // included by default unless excluded
  CHECK_FALSE(f->should_include("persistentvolumes"));
  CHECK_FALSE(f->should_exclude("persistentvolumes"));  // only explicit excludes count

  ResourceFilterSpec ex;
  ex.excluded_namespace_scoped_resources = {"*"};
  ex.excluded_cluster_scoped_resources = {"namespaces"};
  auto g = make_resource_filter(ex, test_resolver(), NamespaceFilter());
  CHECK_FALSE(g->should_include("pods"));
  CHECK_FALSE(g->should_include("namespaces"));
  CHECK(g->should_exclude("namespaces"));
}

TEST_CASE("spec §5.7 full-backup rule, and our decision on the §9.1 auto-exclude pitfall") {
  ResourceFilterSpec auto_excluded;
  auto_excluded.excluded_cluster_scoped_resources = {"volumesnapshotcontents.snapshot.storage.k8s.io"};
  auto_excluded.excluded_namespace_scoped_resources = {"volumesnapshots.snapshot.storage.k8s.io"};
  // As Velero HEAD evaluates it: the auto-excludes disable the full-backup rule.
  auto velero = make_resource_filter(auto_excluded, test_resolver(), NamespaceFilter(), false);
  CHECK_FALSE(velero->should_include("clusterroles.rbac.authorization.k8s.io"));
  // Our decision: a spec without user filters still backs up every cluster-scoped type…
  auto ours = make_resource_filter(auto_excluded, test_resolver(), NamespaceFilter(), true);
  CHECK(ours->should_include("clusterroles.rbac.authorization.k8s.io"));
  CHECK(ours->should_include("persistentvolumes"));
  // …except the auto-excluded ones.
  CHECK_FALSE(ours->should_include("volumesnapshotcontents.snapshot.storage.k8s.io"));
  CHECK_FALSE(ours->should_include("volumesnapshots.snapshot.storage.k8s.io"));
  // A namespace filter still narrows the backup: only Namespace objects among cluster types.
  auto narrowed = make_resource_filter(auto_excluded, test_resolver(), NamespaceFilter(IncludesExcludes({"app"}, {})), true);
  CHECK_FALSE(narrowed->should_include("clusterroles.rbac.authorization.k8s.io"));
  CHECK(narrowed->should_include("namespaces"));
}
