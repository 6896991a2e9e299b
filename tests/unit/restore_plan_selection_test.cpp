// What a restore selects (restore §2.4): Velero's TestRestoreResourceFiltering and
// restore_policies_test.go restated over RestoreSelection, the controller's validation messages,
// namespace wildcards, must-have resources and --include-names.
#include "restore/plan/selection.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace vbackup;
using namespace vbackup::restore;

namespace {

struct Item {
  std::string resource;
  bool namespaced;
  std::string ns, name;
  json::object labels;
  std::string kind;
};

json::object labels(std::initializer_list<std::pair<const char*, const char*>> kv) {
  json::object o;
  for (const auto& [k, v] : kv) o[k] = v;
  return o;
}

// The items of TestRestoreResourceFiltering's tarball: two pods, two deployments, two PVs.
std::vector<Item> velero_items() {
  return {{"pods", true, "ns-1", "pod-1", {}, "Pod"},
          {"pods", true, "ns-2", "pod-2", {}, "Pod"},
          {"deployments.apps", true, "ns-1", "deploy-1", {}, "Deployment"},
          {"deployments.apps", true, "ns-2", "deploy-2", {}, "Deployment"},
          {"persistentvolumes", false, "", "pv-1", {}, "PersistentVolume"},
          {"persistentvolumes", false, "", "pv-2", {}, "PersistentVolume"}};
}

std::set<std::string> selected(const RestoreSelection& s, const std::vector<Item>& items) {
  std::set<std::string> out;
  for (const Item& i : items) {
    bool in = s.includes_item(i.resource, i.namespaced, i.ns, i.name, i.labels.empty() ? nullptr : &i.labels, i.kind);
    CHECK(in == s.why_not(i.resource, i.namespaced, i.ns, i.name, i.labels.empty() ? nullptr : &i.labels, i.kind).empty());
    if (in) out.insert(i.resource + ":" + i.ns + "/" + i.name);
  }
  return out;
}

const std::set<std::string> kPods = {"pods:ns-1/pod-1", "pods:ns-2/pod-2"};
const std::set<std::string> kDeploys = {"deployments.apps:ns-1/deploy-1", "deployments.apps:ns-2/deploy-2"};
const std::set<std::string> kPvs = {"persistentvolumes:/pv-1", "persistentvolumes:/pv-2"};

std::set<std::string> join(std::initializer_list<std::set<std::string>> sets) {
  std::set<std::string> out;
  for (const auto& s : sets) out.insert(s.begin(), s.end());
  return out;
}

const Discovery& discovery() {
  static const Discovery d = builtin_kubernetes_discovery();
  return d;
}

RestoreSelection make(const velero::RestoreSpec& spec, SelectionOptions options = {},
                      std::vector<std::string> archive_namespaces = {"ns-1", "ns-2"}) {
  return RestoreSelection(spec, discovery(), archive_namespaces, std::move(options));
}

json::value selector(const char* k, const char* v) {
  json::object ml;
  ml[k] = v;
  json::object s;
  s["matchLabels"] = std::move(ml);
  return s;
}

}  // namespace

// ---- TestRestoreResourceFiltering, case by case ---------------------------------------------------

TEST_CASE("TestRestoreResourceFiltering: no filters restores everything") {
  auto s = make({});
  CHECK(s.validate().empty());
  CHECK(selected(s, velero_items()) == join({kPods, kDeploys, kPvs}));
}

TEST_CASE("TestRestoreResourceFiltering: included resources filter only restores resources of those types") {
  velero::RestoreSpec spec;
  spec.included_resources = {"pods"};
  CHECK(selected(make(spec), velero_items()) == kPods);
  spec.included_resources = {"po"};  // short names and kinds resolve through discovery
  CHECK(selected(make(spec), velero_items()) == kPods);
  spec.included_resources = {"Pod"};
  CHECK(selected(make(spec), velero_items()) == kPods);
}

TEST_CASE("TestRestoreResourceFiltering: excluded resources; \"pvs\" does not resolve, \"pv\" does") {
  // Velero's case excludes "pvs" and asserts only the pods: "pvs" is neither a plural, a singular
  // nor a short name, so it stays verbatim and excludes nothing.
  velero::RestoreSpec spec;
  spec.excluded_resources = {"pvs"};
  CHECK(selected(make(spec), velero_items()) == join({kPods, kDeploys, kPvs}));
  spec.excluded_resources = {"pv"};
  CHECK(selected(make(spec), velero_items()) == join({kPods, kDeploys}));
}

TEST_CASE("TestRestoreResourceFiltering: included namespaces; cluster-scoped resources only for all namespaces") {
  velero::RestoreSpec spec;
  spec.included_namespaces = {"ns-1"};
  auto s = make(spec);
  CHECK(selected(s, velero_items()) == std::set<std::string>{"pods:ns-1/pod-1", "deployments.apps:ns-1/deploy-1"});
  CHECK(s.why_not("pods", true, "ns-2", "pod-2", nullptr) == "namespace ns-2 is excluded");
  CHECK(s.why_not("persistentvolumes", false, "", "pv-1", nullptr) ==
        "cluster-scoped, and only specific namespaces are included in the restore");
  CHECK(s.includes_namespace("ns-1"));
  CHECK_FALSE(s.includes_namespace("ns-2"));
}

TEST_CASE("TestRestoreResourceFiltering: excluded namespaces") {
  velero::RestoreSpec spec;
  spec.excluded_namespaces = {"ns-2"};
  CHECK(selected(make(spec), velero_items()) == std::set<std::string>{"pods:ns-1/pod-1", "deployments.apps:ns-1/deploy-1"});
}

TEST_CASE("TestRestoreResourceFiltering: includeClusterResources false / nil / true, all or some namespaces") {
  velero::RestoreSpec spec;
  spec.include_cluster_resources = false;
  auto s = make(spec);
  CHECK(selected(s, velero_items()) == join({kPods, kDeploys}));
  CHECK(s.why_not("persistentvolumes", false, "", "pv-1", nullptr) == "cluster-scoped, and includeClusterResources is false");

  spec.include_cluster_resources = true;
  CHECK(selected(make(spec), velero_items()) == join({kPods, kDeploys, kPvs}));

  spec.included_namespaces = {"ns-1"};
  std::set<std::string> ns1 = {"pods:ns-1/pod-1", "deployments.apps:ns-1/deploy-1"};
  CHECK(selected(make(spec), velero_items()) == join({ns1, kPvs}));
  spec.include_cluster_resources = false;
  CHECK(selected(make(spec), velero_items()) == ns1);
  spec.include_cluster_resources.reset();
  CHECK(selected(make(spec), velero_items()) == ns1);
}

TEST_CASE("TestRestoreResourceFiltering: label selector only restores matching resources (archived labels)") {
  auto items = velero_items();
  items[0].labels = labels({{"a", "b"}});
  items[3].labels = labels({{"a", "b"}});
  items[4].labels = labels({{"a", "b"}});
  items[5].labels = labels({{"a", "c"}});
  velero::RestoreSpec spec;
  spec.label_selector = selector("a", "b");
  auto s = make(spec);
  CHECK(selected(s, items) ==
        std::set<std::string>{"pods:ns-1/pod-1", "deployments.apps:ns-2/deploy-2", "persistentvolumes:/pv-1"});
  CHECK(s.why_not("pods", true, "ns-2", "pod-2", nullptr) == "the label selector \"a=b\" does not match");
}

TEST_CASE("TestRestoreResourceFiltering: OrLabelSelectors only restores matching resources") {
  auto items = velero_items();
  items[0].labels = labels({{"a1", "b1"}});
  items[3].labels = labels({{"a3", "b3"}});
  items[4].labels = labels({{"a5", "b5"}});
  items[5].labels = labels({{"a4", "b4"}});
  velero::RestoreSpec spec;
  for (auto [k, v] : {std::pair{"a1", "b1"}, {"a2", "b2"}, {"a3", "b3"}, {"a4", "b4"}}) spec.or_label_selectors.push_back(selector(k, v));
  auto s = make(spec);
  CHECK(s.validate().empty());
  CHECK(selected(s, items) ==
        std::set<std::string>{"pods:ns-1/pod-1", "deployments.apps:ns-2/deploy-2", "persistentvolumes:/pv-2"});
  CHECK(s.why_not("pods", true, "ns-2", "pod-2", nullptr) == "no orLabelSelector matches");
}

TEST_CASE("TestRestoreResourceFiltering: a wildcard and a specific resource included: the wildcard wins") {
  velero::RestoreSpec spec;
  spec.included_resources = {"*", "pods"};
  auto s = make(spec);
  CHECK(selected(s, velero_items()) == join({kPods, kDeploys, kPvs}));
  // The controller would refuse this spec before the restorer sees it.
  CHECK(s.validate() == std::vector<std::string>{
                            "Invalid included/excluded resource lists: includes list must either contain '*' only, or a "
                            "non-empty list of items"});
}

TEST_CASE("TestRestoreResourceFiltering: wildcard excludes are ignored (and fail the controller's validation)") {
  velero::RestoreSpec spec;
  spec.excluded_resources = {"*"};
  auto s = make(spec);
  CHECK(selected(s, velero_items()) == join({kPods, kDeploys, kPvs}));
  CHECK(s.validate() == std::vector<std::string>{"Invalid included/excluded resource lists: excludes list cannot contain '*'"});
}

TEST_CASE("TestRestoreResourceFiltering: unresolvable included and excluded resources are kept verbatim") {
  velero::RestoreSpec spec;
  spec.included_resources = {"pods", "unresolvable"};
  CHECK(selected(make(spec), velero_items()) == kPods);
  velero::RestoreSpec ex;
  ex.excluded_resources = {"deployments", "unresolvable"};
  CHECK(selected(make(ex), velero_items()) == join({kPods, kPvs}));
  // Kept verbatim, a glob still matches.
  velero::RestoreSpec glob;
  glob.included_resources = {"*.apps"};
  CHECK(selected(make(glob), velero_items()) == kDeploys);
}

TEST_CASE("TestRestoreResourceFiltering: service accounts are restored; VSCs are not force-included (#9957)") {
  CHECK(make({}).includes_item("serviceaccounts", true, "ns-1", "sa-1", nullptr));
  velero::RestoreSpec spec;
  spec.included_resources = {"storageclasses"};
  spec.include_cluster_resources = true;
  auto s = make(spec);
  CHECK(s.includes_item("storageclasses.storage.k8s.io", false, "", "sc-1", nullptr));
  CHECK_FALSE(s.includes_item("volumesnapshotcontents.snapshot.storage.k8s.io", false, "", "vsc-1", nullptr));
  CHECK_FALSE(s.includes_resource("volumesnapshotcontents.snapshot.storage.k8s.io"));
}

// ---- validation and fixed lists -----------------------------------------------------------------

TEST_CASE("restore §2.4 non-restorable resources are excluded; naming one in includes fails validation") {
  auto s = make({});
  for (const std::string& r : non_restorable_resources()) CHECK_MESSAGE(!s.includes_resource(r), r);
  CHECK(s.includes_resource("pods"));
  velero::RestoreSpec spec;
  spec.included_resources = {"nodes", "pods", "events.events.k8s.io"};
  CHECK(make(spec).validate() ==
        std::vector<std::string>{"nodes are non-restorable resources", "events.events.k8s.io are non-restorable resources",
                                 "Invalid included/excluded resource lists: excludes list cannot contain an item in the "
                                 "includes list: events.events.k8s.io",
                                 "Invalid included/excluded resource lists: excludes list cannot contain an item in the "
                                 "includes list: nodes"});
}

TEST_CASE("restore §2.4 labelSelector and orLabelSelectors together fail validation; bad selectors are named") {
  velero::RestoreSpec spec;
  spec.label_selector = selector("a", "b");
  spec.or_label_selectors.push_back(selector("c", "d"));
  CHECK(make(spec).validate() == std::vector<std::string>{
                                     "encountered labelSelector as well as orLabelSelectors in restore spec, only one can "
                                     "be specified"});
  velero::RestoreSpec bad;
  bad.label_selector = selector("a b", "c");
  auto s = make(bad);
  REQUIRE(s.validate().size() == 1);
  CHECK(s.validate()[0].starts_with("labelSelector: "));
  CHECK(selected(s, velero_items()).empty());  // never "everything" by accident
}

TEST_CASE("restore §2.4 must-have datauploads.velero.io bypass resource, namespace, label and name filters") {
  velero::RestoreSpec spec;
  spec.included_resources = {"pods"};
  spec.included_namespaces = {"ns-1"};
  spec.label_selector = selector("a", "b");
  auto s = make(spec, {{"nothing-matches"}, std::nullopt});
  CHECK(s.includes_resource("datauploads.velero.io"));
  CHECK(s.includes_item("datauploads.velero.io", true, "velero", "du-1", nullptr));
  CHECK_FALSE(s.includes_item("pods", true, "ns-1", "pod-1", nullptr));
}

// ---- namespace wildcards ------------------------------------------------------------------------

TEST_CASE("restore §2.4 namespace wildcards expand against the archive's namespaces") {
  std::vector<std::string> archived = {"ns-1", "prod-a", "prod-b", "staging"};
  velero::RestoreSpec spec;
  spec.included_namespaces = {"prod-*", "ns-1"};
  spec.excluded_namespaces = {"*-b"};
  auto s = make(spec, {}, archived);
  CHECK(s.validate().empty());
  CHECK(s.includes_namespace("prod-a"));
  CHECK(s.includes_namespace("ns-1"));
  CHECK_FALSE(s.includes_namespace("prod-b"));
  CHECK_FALSE(s.includes_namespace("staging"));
  CHECK_FALSE(s.includes_namespace("prod-c"));  // not in the archive, so not in the expansion

  velero::RestoreSpec q;
  q.included_namespaces = {"prod-?"};
  CHECK(make(q, {}, archived).includes_namespace("prod-b"));
}

TEST_CASE("selection.hpp deliberate: a namespace wildcard matching nothing restores nothing (Velero: everything)") {
  velero::RestoreSpec spec;
  spec.included_namespaces = {"nomatch-*"};
  auto s = make(spec, {}, {"ns-1", "ns-2"});
  CHECK(s.validate().empty());
  CHECK(selected(s, velero_items()).empty());
}

TEST_CASE("restore §2.4 '*' in excluded namespaces and bad patterns are errors") {
  velero::RestoreSpec spec;
  spec.included_namespaces = {"prod-*"};
  spec.excluded_namespaces = {"*"};
  CHECK(make(spec).validate() == std::vector<std::string>{
                                     "Invalid included/excluded namespace lists: excludes list cannot contain '*'",
                                     "wildcard '*' is not allowed in restore excludes"});
  velero::RestoreSpec bad;
  bad.included_namespaces = {"prod-{a,b}*"};
  CHECK(make(bad).validate() == std::vector<std::string>{
                                    "error expanding wildcard patterns in namespace includes/excludes: wildcard pattern "
                                    "contains unsupported characters: |, (, ), !, {, }, ,"});
  bad.included_namespaces = {"prod-[]"};
  CHECK(make(bad).validate()[0].ends_with("wildcard pattern contains empty bracket pattern '[]'"));
  // Without * ? [ there is no expansion: the pattern is a glob as it stands, alternatives included.
  velero::RestoreSpec alt;
  alt.included_namespaces = {"ns-{1,3}"};
  auto s = make(alt);
  CHECK(s.validate().empty());
  CHECK(s.includes_namespace("ns-1"));
  CHECK_FALSE(s.includes_namespace("ns-2"));
}

TEST_CASE("selection.hpp deliberate: Namespace objects follow the namespace filter by name") {
  velero::RestoreSpec spec;
  spec.included_namespaces = {"ns-1"};
  spec.include_cluster_resources = true;
  auto s = make(spec);
  CHECK(s.includes_item("namespaces", false, "", "ns-1", nullptr));
  CHECK(s.why_not("namespaces", false, "", "ns-2", nullptr) == "namespace ns-2 is excluded");
  CHECK(s.includes_item("persistentvolumes", false, "", "pv-1", nullptr));
}

// ---- --include-names ------------------------------------------------------------------------------

TEST_CASE("selection.hpp --include-names: [namespace/]name globs") {
  std::vector<Item> items = velero_items();
  items.push_back({"services", true, "ns-1", "pod-1", {}, "Service"});

  auto s = make({}, {{"pod-1"}, std::nullopt});
  CHECK(s.validate().empty());
  CHECK(selected(s, items) == std::set<std::string>{"pods:ns-1/pod-1", "services:ns-1/pod-1"});
  CHECK(s.why_not("pods", true, "ns-2", "pod-2", nullptr) == "the name matches no --include-names pattern");

  // ns/name: namespaced items of matching source namespaces only.
  CHECK(selected(make({}, {{"ns-*/deploy-*"}, std::nullopt}), items) == kDeploys);
  CHECK(selected(make({}, {{"ns-2/*"}, std::nullopt}), items) ==
        std::set<std::string>{"pods:ns-2/pod-2", "deployments.apps:ns-2/deploy-2"});
  // /name: cluster-scoped items only; a bare name matches both scopes.
  CHECK(selected(make({}, {{"/pv-1"}, std::nullopt}), items) == std::set<std::string>{"persistentvolumes:/pv-1"});
  CHECK(selected(make({}, {{"*-2"}, std::nullopt}), items) ==
        std::set<std::string>{"pods:ns-2/pod-2", "deployments.apps:ns-2/deploy-2", "persistentvolumes:/pv-2"});
  // Several patterns: any one.
  CHECK(selected(make({}, {{"/pv-1", "ns-1/pod-1"}, std::nullopt}), items) ==
        std::set<std::string>{"pods:ns-1/pod-1", "services:ns-1/pod-1", "persistentvolumes:/pv-1"});

  // It narrows the other filters, it does not widen them.
  velero::RestoreSpec spec;
  spec.included_resources = {"pods"};
  CHECK(selected(make(spec, {{"pod-1"}, std::nullopt}), items) == std::set<std::string>{"pods:ns-1/pod-1"});
}

TEST_CASE("selection.hpp --include-names: bad patterns are named") {
  auto s = make({}, {{"", "a/b/c", "ns/", "[x"}, std::nullopt});
  auto errors = s.validate();
  REQUIRE(errors.size() == 4);
  CHECK(errors[0] == "--include-names \"\": empty pattern");
  CHECK(errors[1] == "--include-names \"a/b/c\": more than one '/': expected [namespace/]name");
  CHECK(errors[2] == "--include-names \"ns/\": no name after '/'");
  CHECK(errors[3].starts_with("--include-names \"[x\": "));
}

// ---- restore resource policies (restore_policies_test.go) ---------------------------------------

namespace {
SelectionOptions policy(std::string_view yaml) { return {{}, RestoreResourcePolicy::parse(yaml, "policy.yaml")}; }
}  // namespace

TEST_CASE("restore_policies_test: namespaced filter policy with exact namespace match") {
  auto s = make({}, policy(R"(version: v1
namespacedFilterPolicies:
  - namespaces: [ns-1]
    resourceFilters:
      - kinds: [pods]
        names: [pod-1]
)"));
  std::vector<Item> pods = {{"pods", true, "ns-1", "pod-1"}, {"pods", true, "ns-1", "pod-2"}, {"pods", true, "ns-2", "pod-1"}};
  CHECK(selected(s, pods) == std::set<std::string>{"pods:ns-1/pod-1", "pods:ns-2/pod-1"});
  CHECK(s.why_not("pods", true, "ns-1", "pod-2", nullptr) == "the name does not match the resource policy's names");
  // In a namespace with a policy, an unlisted kind is skipped.
  CHECK(s.why_not("deployments.apps", true, "ns-1", "d", nullptr) ==
        "resource deployments.apps is not in the resource policy's resourceFilters for namespace ns-1");
}

TEST_CASE("restore_policies_test: an exact namespace beats a glob, whichever is listed first") {
  std::vector<Item> pods = {{"pods", true, "ns-1", "pod-1"}, {"pods", true, "ns-1", "pod-2"},
                            {"pods", true, "ns-2", "pod-1"}, {"pods", true, "ns-2", "pod-2"}};
  std::set<std::string> want = {"pods:ns-1/pod-2", "pods:ns-2/pod-1"};
  CHECK(selected(make({}, policy(R"(version: v1
namespacedFilterPolicies:
  - namespaces: [ns-*]
    resourceFilters: [{kinds: [pods], names: [pod-1]}]
  - namespaces: [ns-1]
    resourceFilters: [{kinds: [pods], names: [pod-2]}]
)")), pods) == want);
  CHECK(selected(make({}, policy(R"(version: v1
namespacedFilterPolicies:
  - namespaces: [ns-1]
    resourceFilters: [{kinds: [pods], names: [pod-2]}]
  - namespaces: [ns-*]
    resourceFilters: [{kinds: [pods], names: [pod-1]}]
)")), pods) == want);
}

TEST_CASE("restore_policies_test: cluster scoped filter policy refines only the kinds it lists") {
  auto s = make({}, policy(R"(version: v1
clusterScopedFilterPolicy:
  resourceFilters:
    - kinds: [persistentvolumes]
      names: [pv-1]
)"));
  CHECK(selected(s, velero_items()) == join({kPods, kDeploys, {"persistentvolumes:/pv-1"}}));
  CHECK(s.includes_item("storageclasses.storage.k8s.io", false, "", "sc-1", nullptr));  // not listed: global rules
}

TEST_CASE("restore_policies_test: catch-all filter with a label selector") {
  auto items = velero_items();
  items[0].labels = labels({{"app", "test"}});
  items[2].labels = labels({{"app", "test"}});
  auto s = make({}, policy(R"(version: v1
namespacedFilterPolicies:
  - namespaces: [ns-1]
    resourceFilters:
      - kinds: ['*']
        labelSelector:
          matchLabels:
            app: test
)"));
  CHECK(selected(s, items) == join({{"pods:ns-1/pod-1", "deployments.apps:ns-1/deploy-1", "pods:ns-2/pod-2",
                                     "deployments.apps:ns-2/deploy-2"},
                                    kPvs}));
}

TEST_CASE("restore_policies_test: unresolved kinds match by the item's kind (peek-and-map)") {
  auto ns = make({}, policy(R"(version: v1
namespacedFilterPolicies:
  - namespaces: ["ns-1"]
    resourceFilters:
      - kinds: ["MyCustomKind"]
)"));
  CHECK(ns.includes_item("mycustomkinds.mygroup.io", true, "ns-1", "my-cr", nullptr, "MyCustomKind"));
  CHECK_FALSE(ns.includes_item("mycustomkinds.mygroup.io", true, "ns-1", "my-cr", nullptr, ""));
  CHECK_FALSE(ns.includes_item("pods", true, "ns-1", "pod-1", nullptr, "Pod"));
  auto cluster = make({}, policy(R"(version: v1
clusterScopedFilterPolicy:
  resourceFilters:
    - kinds: ["MyClusterCustomKind"]
      names: [my-cluster-cr]
)"));
  CHECK(cluster.includes_item("myclustercustomkinds.mygroup.io", false, "", "my-cluster-cr", nullptr, "MyClusterCustomKind"));
  CHECK_FALSE(cluster.includes_item("myclustercustomkinds.mygroup.io", false, "", "other", nullptr, "MyClusterCustomKind"));
}

TEST_CASE("restore §2.4 a policy's selectors replace the global label selector where it applies") {
  velero::RestoreSpec spec;
  spec.label_selector = selector("app", "x");
  auto s = make(spec, policy(R"(version: v1
namespacedFilterPolicies:
  - namespaces: [ns-1]
    resourceFilters:
      - kinds: [pods]
        orLabelSelectors: [{matchLabels: {tier: web}}, {matchLabels: {tier: db}}]
        excludedNames: [pod-9]
)"));
  json::object web = labels({{"tier", "web"}}), x = labels({{"app", "x"}});
  CHECK(s.includes_item("pods", true, "ns-1", "pod-1", &web));
  CHECK_FALSE(s.includes_item("pods", true, "ns-1", "pod-9", &web));
  CHECK(s.why_not("pods", true, "ns-1", "pod-1", &x) == "no orLabelSelector of the resource policy matches");
  CHECK(s.includes_item("pods", true, "ns-2", "pod-2", &x));
  CHECK_FALSE(s.includes_item("pods", true, "ns-2", "pod-2", &web));
}

TEST_CASE("restore_policies_test: kinds that resolve to the same resource are an ambiguous policy") {
  auto s = make({}, policy(R"(version: v1
namespacedFilterPolicies:
  - namespaces: [ns-1]
    resourceFilters:
      - kinds: [ConfigMap, configmaps]
)"));
  CHECK(s.validate() == std::vector<std::string>{"ambiguous policy: duplicate kind \"configmaps\" detected"});
  auto c = make({}, policy(R"(version: v1
clusterScopedFilterPolicy:
  resourceFilters:
    - kinds: [MyKind, mykind]
)"));
  CHECK(c.validate() == std::vector<std::string>{"ambiguous policy: duplicate kind \"mykind\" detected"});
}

TEST_CASE("restore §2.3 step 1 additional items pass only the resource, namespace and cluster-scope checks") {
  velero::RestoreSpec spec;
  spec.included_namespaces = {"ns-1"};
  spec.excluded_resources = {"secrets"};
  spec.label_selector = selector("app", "web");
  auto s = make(spec, {{"web-*"}, std::nullopt});
  // The PV a PVC action returns: cluster-scoped, so only includeClusterResources=false stops it,
  // although includes_item() would skip it (only some namespaces are included).
  CHECK(s.includes_additional_item("persistentvolumes", false, ""));
  CHECK_FALSE(s.includes_item("persistentvolumes", false, "", "pv-1", nullptr));
  CHECK(s.includes_additional_item("persistentvolumeclaims", true, "ns-1"));  // no labels, name not "web-*"
  CHECK_FALSE(s.includes_additional_item("persistentvolumeclaims", true, "ns-2"));
  CHECK_FALSE(s.includes_additional_item("secrets", true, "ns-1"));
  CHECK(s.includes_additional_item("datauploads.velero.io", true, "velero"));
  spec.include_cluster_resources = false;
  CHECK_FALSE(make(spec).includes_additional_item("persistentvolumes", false, ""));
}
