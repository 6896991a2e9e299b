// The in-memory Kubernetes API server of the tests (tests/support/kube_server): its API rules over
// HTTP, its fault switches and auth, and the real /usr/bin/kubectl against it (infra §5).
#include "kube_server/kube_server.hpp"
#include "kube_server/kubectl_runner.hpp"
#include "kube_server/loopback_client.hpp"
#include "kube_server/util.hpp"
#include "test_helpers.hpp"
#include "vbackup/json.hpp"

#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

using namespace vbackup;
using namespace vbackup::kubetest;
using namespace vbackup::kubetest::testing;
namespace fs = std::filesystem;

namespace {

json::object parse(const std::string& text) { return json::parse(text, "answer").as_object(); }

const json::object& obj(const json::value& v) { return v.as_object(); }
std::string str(const json::value& v) { return std::string(v.as_string()); }

std::string configmap(const std::string& name, const std::string& labels = "{}", const std::string& extra = "") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name + R"(","labels":)" + labels +
         R"(},"data":{"k":"v"})" + extra + "}";
}

}  // namespace

TEST_CASE("discovery: /version, /api, /apis and resource lists as kubectl reads them") {
  KubeServer server(quick());
  LoopbackClient c(server.port());
  auto version = parse(c.get("/version?timeout=5s").body);
  CHECK(str(version["minor"]) == "33");  // the kubectl dispatcher picks its bundled 1.33
  auto api = parse(c.get("/api").body);
  CHECK(str(api["kind"]) == "APIVersions");
  auto groups = parse(c.get("/apis").body);
  std::set<std::string> names;
  for (const auto& g : groups["groups"].as_array()) names.insert(str(obj(g).at("name")));
  for (const char* g : {"apps", "batch", "rbac.authorization.k8s.io", "networking.k8s.io", "policy", "storage.k8s.io",
                        "apiextensions.k8s.io", "snapshot.storage.k8s.io"})
    CHECK_MESSAGE(names.count(g), g);
  auto core = parse(c.get("/api/v1").body);
  bool found = false;
  for (const auto& r : core["resources"].as_array()) {
    if (obj(r).at("name") != "configmaps") continue;
    found = true;
    CHECK(obj(r).at("namespaced") == true);
    CHECK(obj(r).at("kind") == "ConfigMap");
    CHECK(obj(r).at("shortNames").as_array().front() == "cm");
  }
  CHECK(found);
  auto snap = parse(c.get("/apis/snapshot.storage.k8s.io/v1").body);
  std::set<std::string> kinds;
  for (const auto& r : snap["resources"].as_array()) kinds.insert(str(obj(r).at("kind")));
  CHECK(kinds == std::set<std::string>{"VolumeSnapshot", "VolumeSnapshotContent", "VolumeSnapshotClass"});
  CHECK(c.get("/apis/nope.example.com/v1").status == 404);

  SUBCASE("aggregated discovery only when the Accept header asks for apidiscovery.k8s.io/v2") {
    auto r = c.get("/apis", {{"Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"}});
    CHECK(r.header("content-type") == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    auto list = parse(r.body);
    CHECK(str(list["kind"]) == "APIGroupDiscoveryList");
    bool scale = false;
    for (const auto& g : list["items"].as_array()) {
      if (obj(obj(g).at("metadata")).at("name") != "apps") continue;
      for (const auto& res : obj(obj(g).at("versions").as_array().front()).at("resources").as_array()) {
        if (obj(res).at("resource") != "deployments") continue;
        for (const auto& s : obj(res).at("subresources").as_array())
          if (obj(s).at("subresource") == "scale") scale = obj(obj(s).at("responseKind")).at("group") == "autoscaling";
      }
    }
    CHECK(scale);
  }
  SUBCASE("OpenAPI v3 declares fieldValidation on each resource's PATCH (kubectl's server-side validation check)") {
    auto root = parse(c.get("/openapi/v3").body);
    std::string url = str(obj(root["paths"].as_object().at("api/v1")).at("serverRelativeURL"));
    auto doc = parse(c.get(url).body);
    auto& op = doc["paths"].as_object().at("/api/v1/namespaces/{namespace}/configmaps/{name}").as_object().at("patch").as_object();
    CHECK(obj(op.at("x-kubernetes-group-version-kind")).at("kind") == "ConfigMap");
    bool field_validation = false;
    for (const auto& p : op.at("parameters").as_array()) field_validation |= obj(p).at("name") == "fieldValidation";
    CHECK(field_validation);
    CHECK(c.get("/openapi/v2").status == 404);
  }
}

TEST_CASE("create: server fields, generateName, namespaces and the Status errors of a real API server") {
  KubeServer server(quick());
  LoopbackClient c(server.port());
  auto r = c.request("POST", "/api/v1/namespaces/default/configmaps", configmap("a"));
  REQUIRE(r.status == 201);
  auto a = parse(r.body);
  auto& md = a["metadata"].as_object();
  CHECK(md.at("uid").as_string().size() == 36);
  CHECK(!md.at("resourceVersion").as_string().empty());
  CHECK(md.at("creationTimestamp").as_string().ends_with("Z"));
  CHECK(md.at("namespace") == "default");

  SUBCASE("generateName: prefix plus five characters") {
    auto g = c.request("POST", "/api/v1/namespaces/default/configmaps",
                       R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"gen-"}})");
    REQUIRE(g.status == 201);
    std::string name = str(parse(g.body)["metadata"].as_object().at("name"));
    CHECK(name.size() == 9);
    CHECK(name.starts_with("gen-"));
  }
  SUBCASE("AlreadyExists (409)") {
    auto e = c.request("POST", "/api/v1/namespaces/default/configmaps", configmap("a"));
    CHECK(e.status == 409);
    auto s = parse(e.body);
    CHECK(s["reason"] == "AlreadyExists");
    CHECK(s["message"] == "configmaps \"a\" already exists");
  }
  SUBCASE("a missing namespace is NotFound, as the real server answers") {
    auto e = c.request("POST", "/api/v1/namespaces/nowhere/configmaps", configmap("a"));
    CHECK(e.status == 404);
    CHECK(parse(e.body)["message"] == "namespaces \"nowhere\" not found");
  }
  SUBCASE("Invalid (422) with causes for a bad name and a bad label") {
    auto e = c.request("POST", "/api/v1/namespaces/default/configmaps", configmap("Bad_Name", R"({"x":"no spaces"})"));
    REQUIRE(e.status == 422);
    auto s = parse(e.body);
    CHECK(s["reason"] == "Invalid");
    auto causes = s["details"].as_object().at("causes").as_array();
    REQUIRE(causes.size() == 2);
    CHECK(obj(causes[0]).at("field") == "metadata.name");
    CHECK(obj(causes[1]).at("field") == "metadata.labels");
    CHECK(str(s["message"]).starts_with("ConfigMap \"Bad_Name\" is invalid: [metadata.name: Invalid value: \"Bad_Name\""));
  }
  SUBCASE("neither name nor generateName") {
    auto e = c.request("POST", "/api/v1/namespaces/default/configmaps", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{}})");
    CHECK(e.status == 422);
    CHECK(parse(e.body)["message"] == "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required");
  }
  SUBCASE("a resourceVersion on create is refused") {
    auto e = c.request("POST", "/api/v1/namespaces/default/configmaps",
                       R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","resourceVersion":"5"}})");
    CHECK(e.status == 500);
    CHECK(str(parse(e.body)["message"]).find("resourceVersion should not be set on objects to be created") != std::string::npos);
  }
  SUBCASE("body namespace, apiVersion and kind must match the URL (400)") {
    CHECK(c.request("POST", "/api/v1/namespaces/default/configmaps",
                    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","namespace":"kube-system"}})").status == 400);
    CHECK(c.request("POST", "/api/v1/namespaces/default/configmaps",
                    R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"b"}})").status == 400);
    CHECK(c.request("POST", "/api/v1/namespaces/default/configmaps", "{not json").status == 400);
  }
  SUBCASE("NotFound, and MethodNotAllowed for a verb the resource lacks") {
    auto e = c.get("/apis/apps/v1/namespaces/default/deployments/nope");
    CHECK(e.status == 404);
    CHECK(parse(e.body)["message"] == "deployments.apps \"nope\" not found");
    CHECK(c.get("/apis/apps/v1/namespaces/default/nothings").status == 404);
    CHECK(c.request("PUT", "/api/v1/namespaces/default/configmaps", configmap("x")).status == 405);
    CHECK(parse(c.request("DELETE", "/api/v1/componentstatuses/x").body)["reason"] == "MethodNotAllowed");
  }
  SUBCASE("a Secret's stringData is stored base64-encoded in data") {
    auto s = c.request("POST", "/api/v1/namespaces/default/secrets",
                       R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"stringData":{"user":"admin"}})");
    REQUIRE(s.status == 201);
    auto secret = parse(s.body);
    CHECK(secret["data"].as_object().at("user") == "YWRtaW4=");
    CHECK(!secret.contains("stringData"));
    CHECK(secret["type"] == "Opaque");
  }
}

TEST_CASE("update: resourceVersion conflicts, no-op updates, system fields, status subresource, generation") {
  KubeServer server(quick());
  LoopbackClient c(server.port());
  auto a = parse(c.request("POST", "/api/v1/namespaces/default/configmaps", configmap("a")).body);
  const std::string rv = str(a["metadata"].as_object().at("resourceVersion"));
  a["data"].as_object()["k"] = "w";
  auto r = c.request("PUT", "/api/v1/namespaces/default/configmaps/a", json::marshal(a));
  REQUIRE(r.status == 200);
  auto updated = parse(r.body);
  CHECK(str(updated["metadata"].as_object().at("resourceVersion")) != rv);
  CHECK(updated["metadata"].as_object().at("uid") == a["metadata"].as_object().at("uid"));

  SUBCASE("a stale resourceVersion is a Conflict (409)") {
    auto e = c.request("PUT", "/api/v1/namespaces/default/configmaps/a", json::marshal(a));
    CHECK(e.status == 409);
    auto s = parse(e.body);
    CHECK(s["reason"] == "Conflict");
    CHECK(s["message"] == "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please "
                          "apply your changes to the latest version and try again");
  }
  SUBCASE("an update that changes nothing keeps the resourceVersion") {
    auto same = c.request("PUT", "/api/v1/namespaces/default/configmaps/a", r.body);
    CHECK(parse(same.body)["metadata"].as_object().at("resourceVersion") == updated["metadata"].as_object().at("resourceVersion"));
  }
  SUBCASE("PUT of a missing object is NotFound; the URL name must match") {
    CHECK(c.request("PUT", "/api/v1/namespaces/default/configmaps/zz", configmap("zz")).status == 404);
    CHECK(c.request("PUT", "/api/v1/namespaces/default/configmaps/a", configmap("b")).status == 400);
  }
  SUBCASE("status belongs to the status subresource; generation follows spec changes") {
    const std::string dep =
        R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":1},"status":{"replicas":9}})";
    auto created = parse(c.request("POST", "/apis/apps/v1/namespaces/default/deployments", dep).body);
    CHECK(created["status"].as_object().empty());  // a create starts from an empty status
    CHECK(created["metadata"].as_object().at("generation") == 1);
    auto st = c.request("PATCH", "/apis/apps/v1/namespaces/default/deployments/d/status", R"({"status":{"replicas":1},"spec":{"replicas":5}})",
                        {{"Content-Type", "application/merge-patch+json"}});
    REQUIRE(st.status == 200);
    auto after = parse(st.body);
    CHECK(after["status"].as_object().at("replicas") == 1);
    CHECK(after["spec"].as_object().at("replicas") == 1);  // the status subresource changes status only
    auto main = parse(c.request("PATCH", "/apis/apps/v1/namespaces/default/deployments/d",
                                R"({"spec":{"replicas":3},"status":{"replicas":7}})",
                                {{"Content-Type", "application/merge-patch+json"}}).body);
    CHECK(main["spec"].as_object().at("replicas") == 3);
    CHECK(main["status"].as_object().at("replicas") == 1);  // the main resource keeps status
    CHECK(main["metadata"].as_object().at("generation") == 2);
  }
}

TEST_CASE("patch: merge patch, JSON patch (RFC 6902) and strategic merge patch") {
  KubeServer server(quick());
  LoopbackClient c(server.port());
  REQUIRE(c.request("POST", "/api/v1/namespaces/default/configmaps", configmap("a", R"({"x":"1"})")).status == 201);
  const HeaderList merge{{"Content-Type", "application/merge-patch+json"}};
  const HeaderList jsonpatch{{"Content-Type", "application/json-patch+json"}};
  const HeaderList strategic{{"Content-Type", "application/strategic-merge-patch+json"}};

  auto m = parse(c.request("PATCH", "/api/v1/namespaces/default/configmaps/a", R"({"metadata":{"labels":{"x":null,"y":"2"}}})", merge).body);
  CHECK(m["metadata"].as_object().at("labels").as_object() == json::object{{"y", "2"}});

  auto j = c.request("PATCH", "/api/v1/namespaces/default/configmaps/a",
                     R"([{"op":"add","path":"/data/n","value":"1"},{"op":"replace","path":"/data/k","value":"z"},{"op":"remove","path":"/metadata/labels/y"}])",
                     jsonpatch);
  REQUIRE(j.status == 200);
  CHECK(parse(j.body)["data"].as_object() == json::object{{"k", "z"}, {"n", "1"}});
  auto failed = c.request("PATCH", "/api/v1/namespaces/default/configmaps/a", R"([{"op":"test","path":"/data/k","value":"nope"}])", jsonpatch);
  CHECK(failed.status == 422);
  CHECK(c.request("PATCH", "/api/v1/namespaces/default/configmaps/a", "{}", {{"Content-Type", "text/plain"}}).status == 415);
  CHECK(c.request("PATCH", "/api/v1/namespaces/default/configmaps/nope", "{}", merge).status == 404);

  // Strategic merge: containers merge by name, env by name, ports by containerPort (k8s.io/api tags).
  const std::string dep = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[
      {"name":"a","image":"a:1","env":[{"name":"E","value":"1"},{"name":"F","value":"1"}]},{"name":"b","image":"b:1"}]}}}})";
  REQUIRE(c.request("POST", "/apis/apps/v1/namespaces/default/deployments", dep).status == 201);
  auto s = c.request("PATCH", "/apis/apps/v1/namespaces/default/deployments/d",
                     R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],
                         "containers":[{"name":"a","image":"a:2","env":[{"name":"E","value":"2"},{"$patch":"delete","name":"F"}]}]}}}})",
                     strategic);
  REQUIRE(s.status == 200);
  auto containers = parse(s.body)["spec"].as_object().at("template").as_object().at("spec").as_object().at("containers").as_array();
  REQUIRE(containers.size() == 2);
  CHECK(obj(containers[0]).at("image") == "a:2");
  CHECK(obj(containers[0]).at("env").as_array() == json::array{json::object{{"name", "E"}, {"value", "2"}}});
  CHECK(obj(containers[1]).at("image") == "b:1");

  SUBCASE("server-side apply is emulated: it creates, then merges") {
    const HeaderList apply{{"Content-Type", "application/apply-patch+yaml"}};
    CHECK(c.request("PATCH", "/api/v1/namespaces/default/configmaps/ssa?fieldManager=t",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: b\n", apply).status == 201);
    CHECK(c.request("PATCH", "/api/v1/namespaces/default/configmaps/ssa", "{}", apply).status == 422);  // fieldManager required
  }
}

TEST_CASE("list: limit/continue paging with remainingItemCount, label and field selectors, gzip") {
  KubeServerOptions o = quick();
  o.gzip_threshold = 1000;
  KubeServer server(o);
  server.api().fill_configmaps("bench", 25, 100);
  server.api().fill_configmaps("default", 3, 10, "x");
  LoopbackClient c(server.port());

  std::vector<std::string> seen;
  std::string token;
  std::vector<std::int64_t> remaining;
  std::string list_rv;
  do {
    auto r = c.get("/api/v1/configmaps?limit=10" + (token.empty() ? "" : "&continue=" + token));
    REQUIRE(r.status == 200);
    auto list = parse(r.body);
    auto& meta = list["metadata"].as_object();
    if (list_rv.empty()) list_rv = str(meta.at("resourceVersion"));
    CHECK(meta.at("resourceVersion") == json::value(list_rv));  // every page reports the first page's version
    for (const auto& item : list["items"].as_array()) {
      CHECK(!obj(item).contains("kind"));  // items of a built-in list carry no kind
      auto& md = obj(item).at("metadata").as_object();
      seen.push_back(str(md.at("namespace")) + "/" + str(md.at("name")));
    }
    token = meta.contains("continue") ? str(meta.at("continue")) : "";
    if (meta.contains("remainingItemCount")) remaining.push_back(meta.at("remainingItemCount").as_int64());
  } while (!token.empty());
  CHECK(seen.size() == 28);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 28);  // each object exactly once
  CHECK(std::is_sorted(seen.begin(), seen.end()));                     // etcd key order
  CHECK(remaining == std::vector<std::int64_t>{18, 8});

  SUBCASE("a namespaced list pages within its namespace") {
    auto r = parse(c.get("/api/v1/namespaces/default/configmaps?limit=2").body);
    CHECK(r["items"].as_array().size() == 2);
    CHECK(r["metadata"].as_object().at("remainingItemCount") == 1);
  }
  SUBCASE("label selectors (labels.hpp syntax) fill pages and omit remainingItemCount") {
    auto r = parse(c.get("/api/v1/namespaces/bench/configmaps?labelSelector=shard%20in%20(1,2)&limit=3").body);
    CHECK(r["items"].as_array().size() == 3);
    CHECK(!r["metadata"].as_object().contains("remainingItemCount"));
    CHECK(r["metadata"].as_object().contains("continue"));
    auto all = parse(c.get("/api/v1/namespaces/bench/configmaps?labelSelector=shard%20in%20(1,2)").body);
    CHECK(all["items"].as_array().size() == 6);
    CHECK(c.get("/api/v1/configmaps?labelSelector=a%20in%20(").status == 400);
  }
  SUBCASE("field selectors metadata.name and metadata.namespace; others are refused as upstream does") {
    auto r = parse(c.get("/api/v1/configmaps?fieldSelector=metadata.name%3Dcm-3").body);
    REQUIRE(r["items"].as_array().size() == 1);
    CHECK(parse(c.get("/api/v1/configmaps?fieldSelector=metadata.namespace!%3Dbench").body)["items"].as_array().size() == 3);
    auto bad = c.get("/api/v1/configmaps?fieldSelector=data.k%3Dv");
    CHECK(bad.status == 400);
    CHECK(parse(bad.body)["message"] == "field label not supported: data.k");
  }
  SUBCASE("gzip when the client accepts it and the answer is large enough") {
    auto big = c.get("/api/v1/configmaps", {{"Accept-Encoding", "gzip"}});
    CHECK(big.header("content-encoding") == "gzip");
    CHECK(big.wire_bytes < big.body.size());
    CHECK(parse(big.body)["items"].as_array().size() == 28);
    CHECK(c.get("/api/v1/configmaps").header("content-encoding").empty());
  }
  SUBCASE("a malformed continue token is a BadRequest") { CHECK(c.get("/api/v1/configmaps?continue=%%%").status == 400); }
}

TEST_CASE("delete: Status answers, preconditions, finalizers and namespace deletion") {
  KubeServer server(quick());
  LoopbackClient c(server.port());
  REQUIRE(c.request("POST", "/api/v1/namespaces/default/configmaps", configmap("a")).status == 201);
  auto d = c.request("DELETE", "/api/v1/namespaces/default/configmaps/a");
  REQUIRE(d.status == 200);
  CHECK(parse(d.body)["status"] == "Success");
  CHECK(c.request("DELETE", "/api/v1/namespaces/default/configmaps/a").status == 404);

  SUBCASE("a uid precondition that does not hold is a Conflict") {
    REQUIRE(c.request("POST", "/api/v1/namespaces/default/configmaps", configmap("p")).status == 201);
    auto e = c.request("DELETE", "/api/v1/namespaces/default/configmaps/p", R"({"preconditions":{"uid":"x"}})");
    CHECK(e.status == 409);
  }
  SUBCASE("finalizers hold an object, marked with deletionTimestamp, until they are removed") {
    REQUIRE(c.request("POST", "/api/v1/namespaces/default/configmaps",
                      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"f","finalizers":["example.com/hold"]}})").status == 201);
    auto held = c.request("DELETE", "/api/v1/namespaces/default/configmaps/f");
    CHECK(held.status == 202);
    CHECK(parse(c.get("/api/v1/namespaces/default/configmaps/f").body)["metadata"].as_object().contains("deletionTimestamp"));
    CHECK(c.request("PATCH", "/api/v1/namespaces/default/configmaps/f", R"({"metadata":{"finalizers":null}})",
                    {{"Content-Type", "application/merge-patch+json"}}).status == 200);
    CHECK(c.get("/api/v1/namespaces/default/configmaps/f").status == 404);
  }
  SUBCASE("deleting a namespace deletes what is in it") {
    REQUIRE(c.request("POST", "/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"gone"}})").status == 201);
    REQUIRE(c.request("POST", "/api/v1/namespaces/gone/configmaps", configmap("x")).status == 201);
    CHECK(c.request("DELETE", "/api/v1/namespaces/gone").status == 200);
    CHECK(c.get("/api/v1/namespaces/gone/configmaps/x").status == 404);
    CHECK(c.request("POST", "/api/v1/namespaces/gone/configmaps", configmap("y")).status == 404);
  }
  SUBCASE("with a namespace deletion delay the namespace is Terminating and refuses new content") {
    REQUIRE(c.request("POST", "/__control", R"({"namespaceDeleteDelayMilliseconds":60000})").status == 200);
    REQUIRE(c.request("POST", "/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"slow"}})").status == 201);
    CHECK(c.request("DELETE", "/api/v1/namespaces/slow").status == 202);
    CHECK(parse(c.get("/api/v1/namespaces/slow").body)["status"].as_object().at("phase") == "Terminating");
    auto e = c.request("POST", "/api/v1/namespaces/slow/configmaps", configmap("y"));
    CHECK(e.status == 403);
  }
  SUBCASE("deletecollection with a label selector") {
    server.api().fill_configmaps("bench", 10, 10);
    CHECK(c.request("DELETE", "/api/v1/namespaces/bench/configmaps?labelSelector=shard%3D3").status == 200);
    CHECK(parse(c.get("/api/v1/namespaces/bench/configmaps").body)["items"].as_array().size() == 9);
  }
}

TEST_CASE("CRDs: Established and served only after the delay; custom resources; deletion removes them") {
  KubeServerOptions o = quick();
  o.api.crd_establish_delay = std::chrono::minutes(10);
  KubeServer server(o);
  LoopbackClient c(server.port());
  const std::string crd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"gadgets.example.com"},"spec":{"group":"example.com","scope":"Namespaced",
    "names":{"plural":"gadgets","kind":"Gadget","shortNames":["gd"]},
    "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}}}]}})";
  auto created = c.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
  REQUIRE(created.status == 201);
  auto c0 = parse(created.body);
  CHECK(c0["spec"].as_object().at("names").as_object().at("singular") == "gadget");  // defaulted
  CHECK(c0["status"].as_object().at("conditions").as_array().empty());
  // Not yet established (the delay is ten minutes): not in discovery, not served.
  CHECK(c.get("/apis/example.com/v1").status == 404);
  CHECK(c.get("/apis/example.com/v1/namespaces/default/gadgets").status == 404);

  REQUIRE(c.request("POST", "/__control", R"({"crdEstablishDelayMilliseconds":50})").status == 200);
  const std::string crd2 = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"things.example.org"},"spec":{"group":"example.org","scope":"Cluster",
    "names":{"plural":"things","kind":"Thing"},"versions":[{"name":"v1","served":true,"storage":true}]}})";
  REQUIRE(c.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd2).status == 201);
  eventually([&] { return c.get("/apis/example.org/v1").status == 200; });
  auto est = parse(c.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/things.example.org").body);
  std::map<std::string, std::string> conditions;
  for (const auto& cond : est["status"].as_object().at("conditions").as_array())
    conditions[str(obj(cond).at("type"))] = str(obj(cond).at("status"));
  CHECK(conditions == std::map<std::string, std::string>{{"Established", "True"}, {"NamesAccepted", "True"}});
  CHECK(est["status"].as_object().at("acceptedNames").as_object().at("kind") == "Thing");

  auto t = c.request("POST", "/apis/example.org/v1/things", R"({"apiVersion":"example.org/v1","kind":"Thing","metadata":{"name":"t1"},"spec":{"a":1}})");
  REQUIRE(t.status == 201);
  auto list = parse(c.get("/apis/example.org/v1/things").body);
  CHECK(obj(list["items"].as_array().front()).at("kind") == "Thing");  // custom resource lists keep kind
  // Custom resources need a resourceVersion to update and take no strategic merge patch.
  CHECK(c.request("PUT", "/apis/example.org/v1/things/t1", R"({"apiVersion":"example.org/v1","kind":"Thing","metadata":{"name":"t1"}})").status == 422);
  CHECK(c.request("PATCH", "/apis/example.org/v1/things/t1", "{}", {{"Content-Type", "application/strategic-merge-patch+json"}}).status == 415);
  // An invalid CRD is refused.
  auto bad = c.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                       R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"x.example.org"},"spec":{"group":"example.org"}})");
  CHECK(bad.status == 422);

  CHECK(c.request("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/things.example.org").status == 200);
  CHECK(c.get("/apis/example.org/v1").status == 404);
  CHECK(c.get("/apis/example.org/v1/things/t1").status == 404);
}

TEST_CASE("watch: events for changes, resuming from a resourceVersion, and 410 for one too old") {
  KubeServerOptions o = quick();
  o.api.watch_history = 5;
  KubeServer server(o);
  LoopbackClient c(server.port());
  auto a = parse(c.request("POST", "/api/v1/namespaces/default/configmaps", configmap("a")).body);
  const std::string rv = str(a["metadata"].as_object().at("resourceVersion"));

  std::vector<std::string> events;
  std::thread watcher([&] {
    LoopbackClient w(server.port());
    w.stream("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + rv, [&](std::string_view line) {
      auto e = parse(std::string(line));
      events.push_back(str(e["type"]) + " " + str(e["object"].as_object().at("metadata").as_object().at("name")));
      return events.size() < 3;
    });
  });
  // Until the watch is registered, changes still reach it through the history (it resumes from rv).
  REQUIRE(c.request("POST", "/api/v1/namespaces/default/configmaps", configmap("b")).status == 201);
  REQUIRE(c.request("PATCH", "/api/v1/namespaces/default/configmaps/a", R"({"data":{"k":"2"}})",
                    {{"Content-Type", "application/merge-patch+json"}}).status == 200);
  REQUIRE(c.request("DELETE", "/api/v1/namespaces/default/configmaps/b").status == 200);
  watcher.join();
  CHECK(events == std::vector<std::string>{"ADDED b", "MODIFIED a", "DELETED b"});

  SUBCASE("without a resourceVersion the current objects come first as ADDED") {
    LoopbackClient w(server.port());
    std::vector<std::string> initial;
    w.stream("/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1", [&](std::string_view line) {
      initial.push_back(str(parse(std::string(line))["type"]));
      return true;
    });
    CHECK(initial == std::vector<std::string>{"ADDED"});
  }
  SUBCASE("a resourceVersion older than the history gives an ERROR event with 410 Expired") {
    for (int i = 0; i < 10; ++i)
      c.request("POST", "/api/v1/namespaces/default/configmaps", configmap("n" + std::to_string(i)));
    LoopbackClient w(server.port());
    std::string type, reason;
    w.stream("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + rv, [&](std::string_view line) {
      auto e = parse(std::string(line));
      type = str(e["type"]);
      reason = str(e["object"].as_object().at("reason"));
      return false;
    });
    CHECK(type == "ERROR");
    CHECK(reason == "Expired");
  }
}

TEST_CASE("concurrency: parallel writers get distinct resourceVersions and a watch sees every change in order") {
  KubeServerOptions o = quick();
  o.threads = 4;
  KubeServer server(o);
  constexpr int kWriters = 4, kEach = 50;
  std::vector<std::uint64_t> seen;
  std::atomic<bool> watching{false};
  std::thread watcher([&] {
    LoopbackClient w(server.port());
    const std::string rv = std::to_string(server.api().resource_version());
    watching = true;
    w.stream("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + rv, [&](std::string_view line) {
      auto e = parse(std::string(line));
      seen.push_back(std::stoull(str(e["object"].as_object().at("metadata").as_object().at("resourceVersion"))));
      return seen.size() < kWriters * kEach;
    });
  });
  while (!watching) std::this_thread::yield();
  std::vector<std::thread> writers;
  std::vector<std::vector<std::uint64_t>> versions(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      LoopbackClient c(server.port());
      for (int i = 0; i < kEach; ++i) {
        auto r = c.request("POST", "/api/v1/namespaces/default/configmaps", configmap("w" + std::to_string(w) + "-" + std::to_string(i)));
        if (r.status == 201) versions[w].push_back(std::stoull(str(parse(r.body)["metadata"].as_object().at("resourceVersion"))));
      }
    });
  }
  for (auto& t : writers) t.join();
  watcher.join();
  std::set<std::uint64_t> all;
  for (const auto& v : versions) {
    CHECK(v.size() == kEach);
    CHECK(std::is_sorted(v.begin(), v.end()));
    all.insert(v.begin(), v.end());
  }
  CHECK(all.size() == kWriters * kEach);  // one global counter: no version given twice
  CHECK(seen.size() == kWriters * kEach);
  CHECK(std::is_sorted(seen.begin(), seen.end()));  // events in resourceVersion order
  CHECK(std::set<std::uint64_t>(seen.begin(), seen.end()) == all);
}

TEST_CASE("fault switches: 429 with Retry-After, 500, delays, expired continue tokens, unreadable resources") {
  KubeServer server(quick());
  server.api().fill_configmaps("bench", 5, 10);
  LoopbackClient c(server.port());
  auto control = [&](const std::string& body) { return c.request("POST", "/__control", body); };

  SUBCASE("throttle: the next N requests for a resource get 429 with Retry-After, others pass") {
    REQUIRE(control(R"({"throttle":{"count":2,"retryAfterSeconds":3,"resource":"configmaps"}})").status == 200);
    CHECK(c.get("/api/v1/namespaces/default/secrets").status == 200);
    CHECK(c.get("/api").status == 200);  // discovery is spared unless "discovery": true
    auto t = c.get("/api/v1/namespaces/bench/configmaps");
    CHECK(t.status == 429);
    CHECK(t.header("retry-after") == "3");
    CHECK(parse(t.body)["details"].as_object().at("retryAfterSeconds") == 3);
    CHECK(c.get("/api/v1/namespaces/bench/configmaps").status == 429);
    CHECK(c.get("/api/v1/namespaces/bench/configmaps").status == 200);
  }
  SUBCASE("fail: the next N requests get the code, here for one verb only") {
    REQUIRE(control(R"({"fail":{"count":1,"code":503,"verb":"get"}})").status == 200);
    CHECK(c.get("/api/v1/namespaces/bench/configmaps").status == 200);
    CHECK(c.get("/api/v1/namespaces/bench/configmaps/cm-1").status == 503);
    CHECK(c.get("/api/v1/namespaces/bench/configmaps/cm-1").status == 200);
    REQUIRE(control(R"({"fail":{"count":1}})").status == 200);
    auto e = c.get("/api/v1/namespaces/bench/configmaps/cm-1");
    CHECK(e.status == 500);
    CHECK(parse(e.body)["reason"] == "InternalError");
  }
  SUBCASE("delay: answers are held back") {
    REQUIRE(control(R"({"delay":{"milliseconds":300,"count":1}})").status == 200);
    const auto start = std::chrono::steady_clock::now();
    CHECK(c.get("/api/v1/namespaces/bench/configmaps/cm-1").status == 200);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
  }
  SUBCASE("expireContinue: a LIST with a continue token gets 410 Expired and a token to go on inconsistently") {
    REQUIRE(control(R"({"expireContinue":{"count":1}})").status == 200);
    auto first = parse(c.get("/api/v1/namespaces/bench/configmaps?limit=2").body);
    const std::string token = str(first["metadata"].as_object().at("continue"));
    auto e = c.get("/api/v1/namespaces/bench/configmaps?limit=2&continue=" + token);
    CHECK(e.status == 410);
    auto s = parse(e.body);
    CHECK(s["reason"] == "Expired");
    CHECK(s["metadata"].as_object().contains("continue"));
    CHECK(c.get("/api/v1/namespaces/bench/configmaps?limit=2&continue=" + token).status == 200);
  }
  SUBCASE("unreadable: one resource always answers 403 (or the code given)") {
    REQUIRE(control(R"({"unreadable":[{"resource":"secrets"},{"resource":"deployments.apps","code":500}]})").status == 200);
    auto f = c.get("/api/v1/namespaces/default/secrets");
    CHECK(f.status == 403);
    CHECK(parse(f.body)["reason"] == "Forbidden");
    CHECK(c.get("/apis/apps/v1/deployments").status == 500);
    CHECK(c.get("/api/v1/configmaps").status == 200);
    auto state = parse(c.get("/__control").body);
    CHECK(state["unreadable"].as_array().size() == 2);
    REQUIRE(control(R"({"reset":true})").status == 200);
    CHECK(c.get("/api/v1/namespaces/default/secrets").status == 200);
  }
  SUBCASE("a malformed control request is a 400 naming the problem") {
    auto e = control(R"({"throttle":{"count":"x"}})");
    CHECK(e.status == 400);
    CHECK(str(parse(e.body)["message"]).find("throttle.count") != std::string::npos);
    CHECK(control(R"({"bogus":1})").status == 400);
  }
  SUBCASE("switches given at start") {
    KubeServerOptions o = quick();
    o.faults = parse(R"({"throttle":{"count":1}})");
    KubeServer s2(o);
    LoopbackClient c2(s2.port());
    CHECK(c2.get("/api/v1/configmaps").status == 429);
    CHECK(c2.get("/api/v1/configmaps").status == 200);
  }
}

TEST_CASE("auth: a required bearer token, basic auth, and the request log") {
  KubeServerOptions o = quick();
  o.api.token = "s3cret";
  o.api.basic_auth = "admin:pw";
  KubeServer server(o);
  LoopbackClient c(server.port());
  CHECK(c.get("/version").status == 200);  // public to anonymous users
  CHECK(c.get("/api/v1/configmaps").status == 403);  // anonymous
  auto wrong = c.get("/api/v1/configmaps", {{"Authorization", "Bearer nope"}});
  CHECK(wrong.status == 401);
  CHECK(parse(wrong.body)["reason"] == "Unauthorized");
  CHECK(c.get("/api/v1/configmaps", {{"Authorization", "Bearer s3cret"}}).status == 200);
  CHECK(c.get("/api/v1/configmaps", {{"Authorization", "Basic " + base64_encode("admin:pw")}}).status == 200);
  // The token can be rotated at runtime (exec credential plugins get a new one).
  REQUIRE(c.request("POST", "/__control", R"({"token":"rotated"})").status == 200);
  CHECK(c.get("/api/v1/configmaps", {{"Authorization", "Bearer s3cret"}}).status == 401);
  CHECK(c.get("/api/v1/configmaps", {{"Authorization", "Bearer rotated"}}).status == 200);
  auto log = json::parse(c.get("/__control/requests").body, "log").as_array();
  CHECK(str(obj(log.back()).at("target")) == "/api/v1/configmaps");
  CHECK(obj(log.back()).at("status") == 200);
}

TEST_CASE("seed: examples/manifests is served as the demo application") {
  KubeServerOptions o = quick();
  o.seed = {source_root() / "examples" / "manifests"};
  KubeServer server(o);
  for (const auto& p : server.seed_problems()) MESSAGE(p);
  LoopbackClient c(server.port());
  CHECK(c.get("/api/v1/namespaces/demo").status == 200);
  CHECK(c.get("/apis/apps/v1/namespaces/demo/deployments/web").status == 200);
  CHECK(c.get("/api/v1/namespaces/demo/services/web").status == 200);
  CHECK(c.get("/api/v1/persistentvolumes/pv-demo-web-data").status == 200);
  auto secret = parse(c.get("/api/v1/namespaces/demo/secrets/web-credentials").body);
  CHECK(secret["data"].as_object().at("username") == "YWRtaW4=");  // stringData folded in
  // The PVC keeps the status the manifest gives (seeded objects are the cluster's state).
  auto pvc = parse(c.get("/api/v1/namespaces/demo/persistentvolumeclaims/web-data").body);
  CHECK(pvc["status"].as_object().at("phase") == "Bound");
  // The CRD among the manifests is Established at once and its custom resource is served.
  auto groups = parse(c.get("/apis").body);
  std::string crd_group;
  for (const auto& g : groups["groups"].as_array())
    if (str(obj(g).at("name")).find("example") != std::string::npos) crd_group = str(obj(g).at("name"));
  REQUIRE(!crd_group.empty());
  auto widgets = parse(c.get("/apis/" + crd_group + "/v1/widgets").body);
  CHECK(widgets["items"].as_array().size() >= 1);
}

TEST_CASE("kubectl: get, create, apply, delete, CRDs, label selectors and paging against the server") {
  REQUIRE_MESSAGE(fs::exists("/usr/bin/kubectl"), "the tests drive the real kubectl (test-infrastructure.md §5)");
  KubeServerOptions o = quick();
  o.seed = {source_root() / "examples" / "manifests"};
  KubeServer server(o);
  Kubectl kubectl(server);

  auto version = kubectl("version -o json");
  REQUIRE(version.code == 0);
  CHECK(parse(version.out)["serverVersion"].as_object().at("gitVersion") == "v1.33.1");

  auto get = kubectl("get configmaps -n demo");
  REQUIRE(get.code == 0);
  CHECK(get.out.starts_with("NAME"));
  CHECK(get.out.find("web-config") != std::string::npos);

  auto json_out = kubectl("get deployment web -n demo -o json");
  REQUIRE(json_out.code == 0);
  CHECK(parse(json_out.out)["spec"].as_object().at("replicas") == 2);

  kubectl.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\n  labels: {app: vbk}\ndata:\n  key: value\n");
  auto created = kubectl("create -f cm.yaml");
  CHECK(created.code == 0);
  CHECK(created.out == "configmap/cm1 created\n");
  auto again = kubectl("create -f cm.yaml");
  CHECK(again.code == 1);
  CHECK(again.err.find("Error from server (AlreadyExists)") != std::string::npos);

  kubectl.write("dep.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web2, labels: {app: vbk}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web2}}
  template:
    metadata: {labels: {app: web2}}
    spec:
      containers:
      - {name: nginx, image: "nginx:1.0", env: [{name: A, value: "1"}]}
      - {name: side, image: busybox}
)");
  auto applied = kubectl("apply -f dep.yaml");
  CHECK(applied.code == 0);
  CHECK(applied.out == "deployment.apps/web2 created\n");
  kubectl.write("dep.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web2, labels: {app: vbk}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web2}}
  template:
    metadata: {labels: {app: web2}}
    spec:
      containers:
      - {name: nginx, image: "nginx:2.0", env: [{name: A, value: "2"}]}
      - {name: side, image: busybox}
)");
  auto changed = kubectl("apply -f dep.yaml");
  CHECK(changed.code == 0);
  CHECK(changed.out == "deployment.apps/web2 configured\n");
  auto images = kubectl("get deployment web2 -o 'jsonpath={.spec.replicas}/{.spec.template.spec.containers[*].image}/{.metadata.generation}'");
  CHECK(images.out == "3/nginx:2.0 busybox/2");
  auto unchanged = kubectl("apply -f dep.yaml");
  CHECK(unchanged.out == "deployment.apps/web2 unchanged\n");

  auto selected = kubectl("get configmaps,deployments -A -l app=vbk -o name");
  CHECK(selected.code == 0);
  CHECK(selected.out == "configmap/cm1\ndeployment.apps/web2\n");

  // CRD: create, wait for Established (kubectl wait watches the CRD), then its custom resources.
  kubectl.write("crd.yaml", R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
)");
  kubectl.write("gadget.yaml", "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g1, labels: {tier: a}}\nspec: {size: 3}\n");
  CHECK(kubectl("create -f crd.yaml").code == 0);
  auto waited = kubectl("wait --for condition=established --timeout=30s crd/gadgets.example.com");
  CHECK(waited.code == 0);
  CHECK(waited.out.find("condition met") != std::string::npos);
  auto gadget = kubectl("apply -f gadget.yaml");
  CHECK(gadget.code == 0);
  CHECK(gadget.out == "gadget.example.com/g1 created\n");
  auto gadgets = kubectl("get gd");
  CHECK(gadgets.code == 0);
  CHECK(gadgets.out.find("g1") != std::string::npos);
  kubectl.write("gadget.yaml", "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g1, labels: {tier: a}}\nspec: {size: 4}\n");
  CHECK(kubectl("apply -f gadget.yaml").out == "gadget.example.com/g1 configured\n");
  CHECK(kubectl("get gadgets -l tier=a -o 'jsonpath={.items[0].spec.size}'").out == "4");
  CHECK(kubectl("get gadgets -l tier=b -o name").out.empty());

  // --chunk-size pages the list with limit/continue and still prints every object.
  server.api().fill_configmaps("paged", 7, 10);
  auto chunked = kubectl("get configmaps -n paged --chunk-size=3 -o name -v=6");
  CHECK(chunked.code == 0);
  CHECK(std::count(chunked.out.begin(), chunked.out.end(), '\n') == 7);
  std::size_t pages = 0;
  for (std::size_t at = 0; (at = chunked.err.find("configmaps?", at)) != std::string::npos; ++at) ++pages;
  CHECK(pages == 3);
  CHECK(chunked.err.find("continue=") != std::string::npos);

  auto deleted = kubectl("delete -f dep.yaml");
  CHECK(deleted.code == 0);
  CHECK(deleted.out == "deployment.apps \"web2\" deleted\n");
  CHECK(kubectl("delete gadget g1").code == 0);
  auto missing = kubectl("get deployment web2");
  CHECK(missing.code == 1);
  CHECK(missing.err.find("Error from server (NotFound): deployments.apps \"web2\" not found") != std::string::npos);
}

TEST_CASE("kubectl over TLS: the made CA, bearer token and client certificate kubeconfigs") {
  REQUIRE(fs::exists("/usr/bin/kubectl"));
  SUBCASE("token") {
    KubeServerOptions o = quick();
    o.tls = true;
    o.api.token = "tls-token";
    KubeServer server(o);
    CHECK(server.url().starts_with("https://127.0.0.1:"));
    Kubectl kubectl(server);
    auto r = kubectl("get namespaces -o name");
    CHECK(r.code == 0);
    CHECK(r.out.find("namespace/default") != std::string::npos);
    std::string wrong = server.kubeconfig();
    wrong.replace(wrong.find("token: tls-token"), 16, "token: not-it");
    auto denied = Kubectl(wrong)("get namespaces");
    CHECK(denied.code == 1);
    CHECK(denied.err.find("You must be logged in to the server") != std::string::npos);
  }
  SUBCASE("client certificate required") {
    KubeServerOptions o = quick();
    o.tls = true;
    o.require_client_cert = true;
    vbackup::testing::TempDir certs("kube-server-pki");
    o.cert_dir = certs.path;
    KubeServer server(o);
    for (const char* f : {"ca.crt", "server.crt", "server.key", "client.crt", "client.key"})
      CHECK(fs::exists(o.cert_dir / f));
    Kubectl kubectl(server);  // automatic: the client certificate
    auto r = kubectl("get namespaces -o name");
    CHECK(r.code == 0);
    CHECK(r.out.find("namespace/kube-system") != std::string::npos);
    Kubectl no_cert(server, KubeconfigAuth::none);
    CHECK(no_cert("get namespaces --request-timeout=10s").code != 0);  // the handshake is refused
  }
}

TEST_CASE("kube-test-server program: --seed, --fill, --faults, --write-kubeconfig, --port-file; SIGTERM ends it") {
  const char* program = std::getenv("KUBE_TEST_SERVER");
  REQUIRE_MESSAGE(program, "meson sets KUBE_TEST_SERVER to the built program");
  vbackup::testing::TempDir tmp("kube-server-main");
  const fs::path& dir = tmp.path;
  const std::string manifests = (source_root() / "examples" / "manifests").string();
  const std::string kubeconfig = (dir / "kubeconfig").string(), port_file = (dir / "port").string();
  std::vector<std::string> args = {program, "--seed", manifests, "--fill", "5:100:filled", "--faults",
                                   R"({"unreadable":[{"resource":"secrets"}]})", "--write-kubeconfig", kubeconfig,
                                   "--port-file", port_file};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  REQUIRE(::pipe(out) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  pid_t pid = 0;
  REQUIRE(::posix_spawn(&pid, program, &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);

  // It says where it listens once it accepts connections.
  std::string line;
  char ch;
  pollfd pfd{out[0], POLLIN, 0};
  while (line.find('\n') == std::string::npos && ::poll(&pfd, 1, 10000) > 0 && ::read(out[0], &ch, 1) == 1) line += ch;
  ::close(out[0]);
  REQUIRE(line.starts_with("kube-test-server: listening on http://127.0.0.1:"));
  const int port = std::stoi(line.substr(line.rfind(':') + 1));
  std::ifstream pf(port_file);
  int written = 0;
  pf >> written;
  CHECK(written == port);
  std::ifstream kc(kubeconfig);
  std::stringstream kcs;
  kcs << kc.rdbuf();
  CHECK(kcs.str().find("server: http://127.0.0.1:" + std::to_string(port)) != std::string::npos);

  LoopbackClient c(static_cast<std::uint16_t>(port));
  CHECK(c.get("/apis/apps/v1/namespaces/demo/deployments/web").status == 200);
  CHECK(parse(c.get("/api/v1/namespaces/filled/configmaps").body)["items"].as_array().size() == 5);
  CHECK(c.get("/api/v1/namespaces/demo/secrets").status == 403);

  REQUIRE(::kill(pid, SIGTERM) == 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
