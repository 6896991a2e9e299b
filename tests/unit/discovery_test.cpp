// The discovery model: the built-in Kubernetes v1.33 table, CRDs, Velero's resource-name resolution
// (spec §5.3), what is never collected (§5.9) and collection order (§1.4).
#include "test_helpers.hpp"
#include "vbackup/discovery.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace vbackup;

namespace {

json::object parse_object(std::string_view text) { return json::parse(text, "test").as_object(); }

std::vector<std::string> group_names(const Discovery& d) {
  std::vector<std::string> out;
  for (const ApiGroup& g : d.groups()) out.push_back(g.name);
  return out;
}

// resolve() as the GR string Velero would store, or "" when it keeps the input verbatim.
std::string gr(const Discovery& d, std::string_view input) {
  auto r = d.resolve(input);
  return r ? r->group_resource() : std::string();
}

std::vector<std::string> grs(const std::vector<ApiResource>& rs) {
  std::vector<std::string> out;
  for (const ApiResource& r : rs) out.push_back(r.group_resource());
  return out;
}

std::size_t index_of(const std::vector<std::string>& v, const std::string& x) {
  return static_cast<std::size_t>(std::find(v.begin(), v.end(), x) - v.begin());
}

std::string error_of(Discovery& d, std::string_view crd) {
  ErrorCode code{};
  std::string msg = testing::error_of([&] { d.add_crd(parse_object(crd)); }, &code);
  if (msg.empty()) return "no error";
  CHECK(code == ErrorCode::invalid);
  return msg;
}

ApiResource resource(std::string name, std::string kind, std::vector<std::string> short_names = {}) {
  ApiResource r;
  r.name = std::move(name);
  r.kind = std::move(kind);
  r.verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
  r.short_names = std::move(short_names);
  return r;
}

const char* widgets_crd = R"({
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "widgets.example.com"},
  "spec": {
    "group": "example.com", "scope": "Cluster",
    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"], "categories": ["all"]},
    "versions": [
      {"name": "v1alpha1", "served": false, "storage": false},
      {"name": "v1beta1", "served": true, "storage": false},
      {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}}}
    ]
  }
})";

}  // namespace

TEST_CASE("discovery: built-in v1.33 groups in the aggregated discovery order, core first") {
  const Discovery d = builtin_kubernetes_discovery();
  CHECK(group_names(d) == std::vector<std::string>{
                              "", "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io",
                              "authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io",
                              "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
                              "admissionregistration.k8s.io", "apiextensions.k8s.io", "scheduling.k8s.io",
                              "coordination.k8s.io", "node.k8s.io", "discovery.k8s.io",
                              "flowcontrol.apiserver.k8s.io"});
  // Not served by default in v1.33: beta/alpha groups and removed versions.
  CHECK(d.group("resource.k8s.io") == nullptr);
  CHECK(d.group("storagemigration.k8s.io") == nullptr);
  CHECK(d.group("internal.apiserver.k8s.io") == nullptr);
  CHECK(d.group("extensions") == nullptr);
  CHECK(d.group("flowcontrol.apiserver.k8s.io")->versions == std::vector<std::string>{"v1"});
}

TEST_CASE("discovery: preferred versions (autoscaling prefers v2 and also serves v1)") {
  const Discovery d = builtin_kubernetes_discovery();
  const ApiGroup* autoscaling = d.group("autoscaling");
  REQUIRE(autoscaling);
  CHECK(autoscaling->versions == std::vector<std::string>{"v2", "v1"});
  CHECK(autoscaling->preferred_version == "v2");
  CHECK(d.is_preferred("autoscaling", "v2"));
  CHECK_FALSE(d.is_preferred("autoscaling", "v1"));
  for (const ApiGroup& g : d.groups())
    if (g.name != "autoscaling") CHECK(g.preferred_version == "v1");
  CHECK(d.find("autoscaling", "horizontalpodautoscalers")->version == "v2");
  CHECK(d.find_kind("autoscaling/v1", "HorizontalPodAutoscaler")->name == "horizontalpodautoscalers");
  // preferred_resources() lists the HPA once, in v2, and never a subresource.
  auto pref = grs(d.preferred_resources());
  CHECK(std::count(pref.begin(), pref.end(), "horizontalpodautoscalers.autoscaling") == 1);
  for (const ApiResource& r : d.preferred_resources()) CHECK_FALSE(r.is_subresource());
}

TEST_CASE("discovery: built-in resources carry kind, scope, verbs, short names and subresources") {
  const Discovery d = builtin_kubernetes_discovery();
  const ApiResource* pods = d.find("", "pods");
  REQUIRE(pods);
  CHECK(pods->kind == "Pod");
  CHECK(pods->singular == "pod");
  CHECK(pods->namespaced);
  CHECK(pods->short_names == std::vector<std::string>{"po"});
  CHECK(pods->categories == std::vector<std::string>{"all"});
  CHECK(pods->group_version() == "v1");
  CHECK(pods->group_resource() == "pods");

  const ApiResource* deployments = d.find_kind("apps/v1", "Deployment");
  REQUIRE(deployments);
  CHECK(deployments->name == "deployments");
  CHECK(deployments->group_resource() == "deployments.apps");
  CHECK(deployments->group_version() == "apps/v1");
  CHECK(d.find_kind("v1", "Pod")->name == "pods");  // not pods/log, whose kind is Pod too
  CHECK(d.find_kind("apps/v2", "Deployment") == nullptr);

  CHECK_FALSE(d.find("", "namespaces")->namespaced);
  CHECK_FALSE(d.find("", "namespaces")->has_verb("deletecollection"));
  CHECK_FALSE(d.find("storage.k8s.io", "storageclasses")->namespaced);
  CHECK(d.find("storage.k8s.io", "csistoragecapacities")->namespaced);
  CHECK(d.find("apiextensions.k8s.io", "customresourcedefinitions")->short_names ==
        std::vector<std::string>{"crd", "crds"});
  CHECK(d.find("networking.k8s.io", "servicecidrs"));
  CHECK(d.find("", "pods/log")->verbs == std::vector<std::string>{"get"});
  CHECK(d.find("", "pods/resize"));
  CHECK(d.find("apps", "deployments/scale")->kind == "Scale");
}

TEST_CASE("spec §5.9: only list+create+get+delete resources without '/' are backupable") {
  const Discovery d = builtin_kubernetes_discovery();
  CHECK(d.find("", "pods")->backupable());
  CHECK(d.find("", "events")->backupable());
  CHECK(d.find("", "nodes")->backupable());
  CHECK(d.find("", "namespaces")->backupable());
  CHECK_FALSE(d.find("", "pods/log")->backupable());
  CHECK_FALSE(d.find("", "pods/status")->backupable());
  CHECK_FALSE(d.find("", "bindings")->backupable());
  CHECK_FALSE(d.find("", "componentstatuses")->backupable());
  CHECK_FALSE(d.find("authorization.k8s.io", "selfsubjectaccessreviews")->backupable());
  CHECK_FALSE(d.find("authentication.k8s.io", "tokenreviews")->backupable());
}

TEST_CASE("spec §5.3: plural, singular, kind and group-qualified names resolve, case-insensitively") {
  const Discovery d = builtin_kubernetes_discovery();
  CHECK(gr(d, "deployments") == "deployments.apps");
  CHECK(gr(d, "deployment") == "deployments.apps");
  CHECK(gr(d, "Deployment") == "deployments.apps");
  CHECK(gr(d, "DEPLOYMENTS") == "deployments.apps");
  CHECK(gr(d, "deployments.apps") == "deployments.apps");
  CHECK(gr(d, "pods") == "pods");
  CHECK(gr(d, "customresourcedefinitions.apiextensions.k8s.io") == "customresourcedefinitions.apiextensions.k8s.io");
  // A group given is matched exactly first, else as a prefix.
  CHECK(gr(d, "deployments.app") == "deployments.apps");
  CHECK(gr(d, "storageclasses.storage") == "storageclasses.storage.k8s.io");
  CHECK(gr(d, "deployments.APPS") == "");  // the group part is not case-folded
  CHECK(d.resolve("hpa")->version == "v2");
}

TEST_CASE("spec §5.3: short names resolve") {
  const Discovery d = builtin_kubernetes_discovery();
  CHECK(gr(d, "deploy") == "deployments.apps");
  CHECK(gr(d, "deploy.apps") == "deployments.apps");
  CHECK(gr(d, "po") == "pods");
  CHECK(gr(d, "pvc") == "persistentvolumeclaims");
  CHECK(gr(d, "pv") == "persistentvolumes");
  CHECK(gr(d, "ns") == "namespaces");
  CHECK(gr(d, "crd") == "customresourcedefinitions.apiextensions.k8s.io");
  CHECK(gr(d, "crds") == "customresourcedefinitions.apiextensions.k8s.io");
  CHECK(gr(d, "hpa") == "horizontalpodautoscalers.autoscaling");
  CHECK(gr(d, "netpol") == "networkpolicies.networking.k8s.io");
  CHECK(gr(d, "sc") == "storageclasses.storage.k8s.io");
  CHECK(gr(d, "pc") == "priorityclasses.scheduling.k8s.io");
  // Velero's shortcut expander compares before lower-casing: short names are case-sensitive.
  CHECK(gr(d, "PO") == "");
  CHECK(gr(d, "Deploy") == "");
}

TEST_CASE("spec §5.3: ambiguous names go by group priority, core first (events)") {
  const Discovery d = builtin_kubernetes_discovery();
  CHECK(gr(d, "events") == "events");
  CHECK(gr(d, "event") == "events");
  CHECK(gr(d, "Event") == "events");
  CHECK(gr(d, "ev") == "events");
  CHECK(gr(d, "events.events.k8s.io") == "events.events.k8s.io");
  CHECK(gr(d, "ev.events.k8s.io") == "events.events.k8s.io");

  // Between two custom groups the one listed first wins.
  Discovery two;
  two.add_group({"b.example.io", {"v1"}, "v1", 0});
  two.add_group({"a.example.io", {"v1"}, "v1", 0});
  two.add_resources("b.example.io/v1", {resource("gadgets", "Gadget")});
  two.add_resources("a.example.io/v1", {resource("gadgets", "Gadget")});
  CHECK(gr(two, "gadgets") == "gadgets.b.example.io");
  CHECK(gr(two, "gadgets.a.example.io") == "gadgets.a.example.io");
}

TEST_CASE("spec §5.3: unknown names, globs and non-backupable resources give nullopt (kept verbatim)") {
  const Discovery d = builtin_kubernetes_discovery();
  CHECK_FALSE(d.resolve("unknown"));
  CHECK_FALSE(d.resolve("foos.example.com"));
  CHECK_FALSE(d.resolve("*.example.com"));
  CHECK_FALSE(d.resolve("*"));
  CHECK_FALSE(d.resolve("deploy*"));
  CHECK_FALSE(d.resolve(""));
  CHECK_FALSE(d.resolve("pods/log"));
  CHECK_FALSE(d.resolve("bindings"));
  CHECK_FALSE(d.resolve("cs"));  // componentstatuses: get and list only
  CHECK_FALSE(d.resolve("tokenreviews"));
  // Without Velero's restriction the RESTMapper knows them.
  CHECK(d.resource_for("cs")->name == "componentstatuses");
  CHECK(d.resource_for("bindings")->name == "bindings");
  CHECK(d.resource_for("tokenreviews")->group == "authentication.k8s.io");
  CHECK_FALSE(d.resource_for("pods/log"));
  CHECK_FALSE(d.resource_for("*.example.com"));
}

TEST_CASE("discovery: a v1 CRD with several versions becomes a group after the built-in ones") {
  Discovery d = builtin_kubernetes_discovery();
  d.add_crd(parse_object(widgets_crd));

  const ApiGroup* g = d.group("example.com");
  REQUIRE(g);
  CHECK(g->versions == std::vector<std::string>{"v1", "v1beta1"});  // v1alpha1 is not served
  CHECK(g->preferred_version == "v1");
  CHECK(g->priority == 1000);
  CHECK(group_names(d).back() == "example.com");

  const ApiResource* w = d.find("example.com", "widgets");
  REQUIRE(w);
  CHECK(w->version == "v1");
  CHECK(w->kind == "Widget");
  CHECK(w->singular == "widget");
  CHECK_FALSE(w->namespaced);
  CHECK(w->short_names == std::vector<std::string>{"wd"});
  CHECK(w->categories == std::vector<std::string>{"all"});
  CHECK(w->verbs == std::vector<std::string>{"delete", "deletecollection", "get", "list", "patch", "create",
                                             "update", "watch"});
  CHECK(w->backupable());

  // Subresources only where the version declares them.
  std::vector<std::string> v1_names, beta_names;
  for (const ApiResource& r : d.resources("example.com/v1")) v1_names.push_back(r.name);
  for (const ApiResource& r : d.resources("example.com/v1beta1")) beta_names.push_back(r.name);
  CHECK(v1_names == std::vector<std::string>{"widgets", "widgets/status", "widgets/scale"});
  CHECK(beta_names == std::vector<std::string>{"widgets"});
  CHECK(d.resources("example.com/v1alpha1").empty());
  CHECK(d.find("example.com", "widgets/scale")->kind == "Scale");
  CHECK(d.find_kind("example.com/v1beta1", "Widget")->version == "v1beta1");

  CHECK(gr(d, "wd") == "widgets.example.com");
  CHECK(gr(d, "Widget") == "widgets.example.com");
  CHECK(d.resolve("widgets")->version == "v1");
}

TEST_CASE("discovery: CRD groups are ordered by name after the built-in groups, versions merged per group") {
  Discovery d = builtin_kubernetes_discovery();
  auto crd = [](std::string group, std::string plural, std::string kind, std::string versions) {
    return parse_object(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "metadata":{"name":")" + plural + "." + group + R"("},
      "spec":{"group":")" + group + R"(","scope":"Namespaced",
        "names":{"plural":")" + plural + R"(","kind":")" + kind + R"("},"versions":)" + versions + "}}");
  };
  d.add_crd(crd("zeta.example.io", "zs", "Z", R"([{"name":"v1","served":true,"storage":true}])"));
  d.add_crd(crd("alpha.example.io", "as", "A", R"([{"name":"v1","served":true,"storage":true}])"));
  d.add_crd(crd("zeta.example.io", "ys", "Y", R"([{"name":"v2beta1","served":true,"storage":true}])"));
  auto names = group_names(d);
  REQUIRE(names.size() == 22);
  CHECK(names[20] == "alpha.example.io");
  CHECK(names[21] == "zeta.example.io");
  CHECK(d.group("zeta.example.io")->versions == std::vector<std::string>{"v1", "v2beta1"});
  CHECK(d.group("zeta.example.io")->preferred_version == "v1");
  CHECK(d.find("zeta.example.io", "ys")->version == "v2beta1");  // only served there
  CHECK(d.find("alpha.example.io", "as")->singular == "a");      // defaulted from the kind
  CHECK(d.find("alpha.example.io", "as")->namespaced);

  // Adding a CRD of the same name again replaces it.
  d.add_crd(crd("zeta.example.io", "ys", "Y", R"([{"name":"v3","served":true,"storage":true}])"));
  CHECK(d.group("zeta.example.io")->versions == std::vector<std::string>{"v3", "v1"});
  CHECK(d.group("zeta.example.io")->preferred_version == "v3");
  CHECK(d.resources("zeta.example.io/v2beta1").empty());
  CHECK(d.find("zeta.example.io", "ys")->version == "v3");
  CHECK(d.find("zeta.example.io", "zs")->version == "v1");
}

TEST_CASE("discovery: apiextensions.k8s.io/v1beta1 CRDs (spec.version, versions list, spec.subresources)") {
  Discovery d = builtin_kubernetes_discovery();
  d.add_crd(parse_object(R"({"apiVersion":"apiextensions.k8s.io/v1beta1","kind":"CustomResourceDefinition",
    "metadata":{"name":"backups.velero.io"},
    "spec":{"group":"velero.io","version":"v1",
            "names":{"plural":"backups","kind":"Backup"},"subresources":{"status":{}}}})"));
  const ApiResource* b = d.find("velero.io", "backups");
  REQUIRE(b);
  CHECK(b->version == "v1");
  CHECK(b->namespaced);  // v1beta1 defaults the scope to Namespaced
  CHECK(b->singular == "backup");
  CHECK(d.find("velero.io", "backups/status"));

  d.add_crd(parse_object(R"({"apiVersion":"apiextensions.k8s.io/v1beta1","kind":"CustomResourceDefinition",
    "metadata":{"name":"rockbands.music.example.io"},
    "spec":{"group":"music.example.io","version":"v2beta1","scope":"Namespaced",
            "names":{"plural":"rockbands","kind":"RockBand","shortNames":["rb"]},
            "versions":[{"name":"v2beta1","served":true,"storage":false},
                        {"name":"v1","served":true,"storage":true},
                        {"name":"v1alpha1","served":true,"storage":false}]}})"));
  CHECK(d.group("music.example.io")->versions == std::vector<std::string>{"v1", "v2beta1", "v1alpha1"});
  CHECK(d.group("music.example.io")->preferred_version == "v1");
  CHECK(gr(d, "rb") == "rockbands.music.example.io");
}

TEST_CASE("discovery: invalid CRDs are rejected with errors naming the CRD and the field") {
  Discovery d;
  CHECK(error_of(d, R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "metadata":{"name":"foos.example.com"},
      "spec":{"names":{"plural":"foos","kind":"Foo"},"scope":"Namespaced",
              "versions":[{"name":"v1","served":true,"storage":true}]}})") ==
        "CustomResourceDefinition \"foos.example.com\": spec.group: required");
  CHECK(error_of(d, R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "metadata":{"name":"foos.example.com"},
      "spec":{"group":"example.com","scope":"Namespaced","versions":[{"name":"v1","served":true,"storage":true}]}})") ==
        "CustomResourceDefinition \"foos.example.com\": spec.names: required");
  CHECK(error_of(d, R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "metadata":{"name":"foos.example.com"},
      "spec":{"group":"example.com","scope":"Namespaced","names":{"kind":"Foo"},
              "versions":[{"name":"v1","served":true,"storage":true}]}})") ==
        "CustomResourceDefinition \"foos.example.com\": spec.names.plural: required");
  CHECK(error_of(d, R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "metadata":{"name":"foos.example.com"},
      "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"foos","kind":"Foo"},
              "versions":[{"name":"v1","served":false,"storage":true}]}})") ==
        "CustomResourceDefinition \"foos.example.com\": spec.versions: no version is served");
  CHECK(error_of(d, R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "metadata":{"name":"foos.example.com"},
      "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"foos","kind":"Foo"},
              "versions":[{"name":"v1","served":true}]}})") ==
        "CustomResourceDefinition \"foos.example.com\": spec.versions: must have exactly one version marked as "
        "storage version");
  CHECK(error_of(d, R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "metadata":{"name":"foos.example.com"},
      "spec":{"group":"example.com","names":{"plural":"foos","kind":"Foo"},
              "versions":[{"name":"v1","served":true,"storage":true}]}})") ==
        "CustomResourceDefinition \"foos.example.com\": spec.scope: required");
  CHECK(error_of(d, R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "metadata":{"name":"bars.example.com"},
      "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"foos","kind":"Foo"},
              "versions":[{"name":"v1","served":true,"storage":true}]}})") ==
        "CustomResourceDefinition \"bars.example.com\": metadata.name: must be spec.names.plural+\".\"+spec.group");
  CHECK(error_of(d, R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "metadata":{"name":"foos.example"},
      "spec":{"group":"example","scope":"Namespaced","names":{"plural":"foos","kind":"Foo"},
              "versions":[{"name":"v1","served":true,"storage":true}]}})") ==
        "CustomResourceDefinition \"foos.example\": spec.group: should be a domain with at least one dot");
  CHECK(error_of(d, R"({"apiVersion":"apiextensions.k8s.io/v1beta1","kind":"CustomResourceDefinition",
      "metadata":{"name":"foos.example.com"},
      "spec":{"group":"example.com","version":"v2","names":{"plural":"foos","kind":"Foo"},
              "versions":[{"name":"v1","served":true,"storage":true}]}})") ==
        "CustomResourceDefinition \"foos.example.com\": spec.version: must match the first version in spec.versions");
  CHECK(error_of(d, R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}})") ==
        "CustomResourceDefinition \"x\": apiVersion: expected apiextensions.k8s.io/v1 or "
        "apiextensions.k8s.io/v1beta1, got \"v1\"");
  CHECK(error_of(d, R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "metadata":{"name":"foos.example.com"},
      "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"foos","kind":"Foo"},
              "versions":"v1"}})") == "CustomResourceDefinition \"foos.example.com\": spec.versions: expected array");
  CHECK(d.groups().empty());  // nothing half-added
}

TEST_CASE("discovery: compare_kube_versions follows apimachinery's CompareKubeAwareVersionStrings") {
  struct Case {
    const char *a, *b;
    bool greater;
  };
  // k8s.io/apimachinery pkg/version/helpers_test.go
  const Case cases[] = {
      {"v1", "v2", false},          {"v2", "v1", true},          {"v10", "v2", true},
      {"v1", "v2alpha1", true},     {"v1", "v2beta1", true},     {"v1alpha2", "v1alpha1", true},
      {"v1beta1", "v2alpha3", true}, {"v1alpha10", "v1alpha2", true}, {"v1beta10", "v1beta2", true},
      {"foo", "v1beta2", false},    {"bar", "foo", true},        {"version1", "version2", true},
      {"version1", "version10", true},
  };
  for (const Case& c : cases) {
    INFO(c.a << " vs " << c.b);
    CHECK((compare_kube_versions(c.a, c.b) > 0) == c.greater);
  }
  CHECK(compare_kube_versions("v1", "v1") == 0);
  // Not kube-like (parseKubeVersion test cases): compared as plain strings.
  CHECK(compare_kube_versions("v1.1", "v1") < 0);
  CHECK(compare_kube_versions("v1alpha1.1", "v1alpha1") < 0);
  CHECK(compare_kube_versions("v99999999999999999999", "v1") < 0);  // Atoi overflow

  // The ordering documented on APIService versionPriority.
  std::vector<std::string> v{"foo10", "v11alpha2", "v1", "v10beta3", "foo1", "v3beta1", "v12alpha1", "v2", "v10",
                             "v11beta2"};
  std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) { return compare_kube_versions(a, b) > 0; });
  CHECK(v == std::vector<std::string>{"v10", "v2", "v1", "v11beta2", "v10beta3", "v3beta1", "v12alpha1", "v11alpha2",
                                      "foo1", "foo10"});
}

TEST_CASE("spec §1.4: collection order starts with pods, PVCs, PVs and keeps server order otherwise") {
  const Discovery d = builtin_kubernetes_discovery();
  const auto order = grs(velero_collection_order(d));
  REQUIRE(order.size() > 3);
  CHECK(order[0] == "pods");
  CHECK(order[1] == "persistentvolumeclaims");
  CHECK(order[2] == "persistentvolumes");
  CHECK(order[3] == "configmaps");  // the rest of core in list order
  CHECK(index_of(order, "services") < index_of(order, "apiservices.apiregistration.k8s.io"));
  CHECK(index_of(order, "apiservices.apiregistration.k8s.io") < index_of(order, "deployments.apps"));
  CHECK(index_of(order, "deployments.apps") < index_of(order, "customresourcedefinitions.apiextensions.k8s.io"));
  CHECK(order.back() == "prioritylevelconfigurations.flowcontrol.apiserver.k8s.io");
  // Once each, in the preferred version.
  CHECK(std::count(order.begin(), order.end(), "horizontalpodautoscalers.autoscaling") == 1);
  for (const ApiResource& r : velero_collection_order(d))
    if (r.name == "horizontalpodautoscalers") CHECK(r.version == "v2");
}

TEST_CASE("spec §5.9: collection skips subresources and resources lacking the backup verbs") {
  const Discovery d = builtin_kubernetes_discovery();
  const auto rs = velero_collection_order(d);
  for (const ApiResource& r : rs) {
    INFO(r.group_resource());
    CHECK(r.backupable());
  }
  const auto order = grs(rs);
  for (const char* never : {"bindings", "componentstatuses", "tokenreviews.authentication.k8s.io",
                            "selfsubjectreviews.authentication.k8s.io",
                            "subjectaccessreviews.authorization.k8s.io", "pods/log"})
    CHECK(index_of(order, never) == order.size());
  for (const char* always : {"events", "nodes", "namespaces", "secrets", "customresourcedefinitions.apiextensions.k8s.io"})
    CHECK(index_of(order, always) < order.size());
}

TEST_CASE("spec §5.9: cohabiting resources come from the first group only, extensions last") {
  // An old server that still serves extensions/v1beta1, listed before apps.
  Discovery d;
  d.add_group({"", {"v1"}, "v1", 18000});
  d.add_group({"extensions", {"v1beta1"}, "v1beta1", 17900});
  d.add_group({"apps", {"v1"}, "v1", 17800});
  d.add_group({"events.k8s.io", {"v1"}, "v1", 17750});
  d.add_group({"networking.k8s.io", {"v1"}, "v1", 17200});
  d.add_resources("v1", {resource("events", "Event", {"ev"}), resource("pods", "Pod", {"po"})});
  d.add_resources("extensions/v1beta1",
                  {resource("daemonsets", "DaemonSet"), resource("deployments", "Deployment"),
                   resource("ingresses", "Ingress"), resource("networkpolicies", "NetworkPolicy"),
                   resource("replicasets", "ReplicaSet")});
  d.add_resources("apps/v1", {resource("daemonsets", "DaemonSet"), resource("deployments", "Deployment"),
                              resource("replicasets", "ReplicaSet")});
  d.add_resources("events.k8s.io/v1", {resource("events", "Event", {"ev"})});
  d.add_resources("networking.k8s.io/v1", {resource("networkpolicies", "NetworkPolicy")});

  CHECK(grs(velero_collection_order(d)) ==
        std::vector<std::string>{"pods", "events", "daemonsets.apps", "deployments.apps", "replicasets.apps",
                                 "networkpolicies.networking.k8s.io", "ingresses.extensions"});

  // Velero checks the resource filter before the cohabitation rule: an excluded apps resource does
  // not stop its extensions twin.
  auto without_apps_deployments = [](const ApiResource& r) { return r.group_resource() != "deployments.apps"; };
  CHECK(grs(velero_collection_order(d, without_apps_deployments)) ==
        std::vector<std::string>{"pods", "events", "daemonsets.apps", "replicasets.apps",
                                 "networkpolicies.networking.k8s.io", "deployments.extensions",
                                 "ingresses.extensions"});

  // Name resolution is another matter: the RESTMapper ranks groups in server order, so on such a
  // server "deployments" resolves to extensions (only short names are looked up extensions-last).
  CHECK(gr(d, "deployments") == "deployments.extensions");
  CHECK(gr(d, "deployments.apps") == "deployments.apps");
  CHECK(gr(d, "ingresses") == "ingresses.extensions");

  // The built-in table: events from core only.
  const auto builtin = grs(velero_collection_order(builtin_kubernetes_discovery()));
  CHECK(index_of(builtin, "events") < builtin.size());
  CHECK(index_of(builtin, "events.events.k8s.io") == builtin.size());
}

TEST_CASE("discovery: a resource missing from the preferred version is served from another one") {
  // client-go ServerPreferredResources: "only override with preferred version".
  Discovery d;
  d.add_group({"example.io", {"v2", "v1"}, "v2", 0});
  d.add_resources("example.io/v2", {resource("widgets", "Widget")});
  d.add_resources("example.io/v1", {resource("widgets", "Widget"), resource("olds", "Old")});
  auto pref = d.preferred_resources();
  REQUIRE(pref.size() == 2);
  CHECK(pref[0].group_version() == "example.io/v2");
  CHECK(pref[0].name == "widgets");
  CHECK(pref[1].group_version() == "example.io/v1");
  CHECK(pref[1].name == "olds");
  CHECK(d.find("example.io", "olds")->version == "v1");
  CHECK(d.resolve("olds")->version == "v1");
  CHECK(d.resolve("widgets")->version == "v2");
  CHECK(grs(velero_collection_order(d)) == std::vector<std::string>{"widgets.example.io", "olds.example.io"});
}

TEST_CASE("discovery: add_group and add_resources reject inconsistent input") {
  Discovery d;
  d.add_group({"example.io", {"v1"}, "", 0});
  CHECK(d.group("example.io")->preferred_version == "v1");  // empty means the first
  CHECK_THROWS_AS(d.add_group({"example.io", {"v1"}, "v1", 0}), Error);
  CHECK_THROWS_AS(d.add_group({"other.io", {}, "", 0}), Error);
  CHECK_THROWS_AS(d.add_group({"other.io", {"v1"}, "v2", 0}), Error);
  CHECK_THROWS_AS(d.add_resources("example.io/v2", {resource("x", "X")}), Error);
  d.add_resources("example.io/v1", {resource("xs", "X")});
  CHECK(d.resources("example.io/v1").front().group == "example.io");
  CHECK(d.resources("example.io/v1").front().version == "v1");
}
