// The test API server meets a restore as a real kube-apiserver does (issue 11): Service clusterIP and
// nodePort allocation with the real errors and their order (velero-1.5.2 corpus, Surprise 3), Job
// selectors generated from the uid (Surprise 5), the status a create starts from, the status
// subresource, custom resources served in every version (conversion None, Surprise 10), Velero's CRDs,
// and what Velero's r-all restore left on the v1.26 server (tests/data/velero-1.5.2).
#include "kube_server/kube_server.hpp"
#include "kube_server/kubectl_runner.hpp"
#include "kube_server/loopback_client.hpp"
#include "vbackup/json.hpp"
#include "vbackup/manifests.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>

using namespace vbackup;
using namespace vbackup::kubetest;
using namespace vbackup::kubetest::testing;

namespace {

json::object parse(const std::string& text) { return json::parse(text, "answer").as_object(); }
std::string str(const json::value& v) { return std::string(v.as_string()); }
const json::object& spec_of(const json::object& o) { return o.at("spec").as_object(); }

struct Answer {
  int status;
  json::object body;
};

Answer send(LoopbackClient& c, std::string_view method, const std::string& path, const std::string& body,
            const char* type = "application/json") {
  HttpResult r = c.request(method, path, body, {{"Content-Type", type}});
  INFO(method << " " << path << " → " << r.status << " " << r.body);
  return {r.status, r.body.empty() ? json::object{} : parse(r.body)};
}

std::string service(const std::string& name, const std::string& spec) {
  return R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")" + name + R"("},"spec":)" + spec + "}";
}

std::string ns_body(const std::string& name) {
  return R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + name + R"("}})";
}

std::int64_t node_port(const json::object& svc, std::size_t i = 0) {
  return spec_of(svc).at("ports").as_array()[i].as_object().at("nodePort").as_int64();
}

// The offset of an address in 10.96.0.0/16 (10.96.0.1 is 1).
std::uint32_t offset_in_range(const std::string& ip) {
  REQUIRE(ip.starts_with("10.96."));
  const auto dot = ip.find('.', 6);
  return static_cast<std::uint32_t>(std::stoul(ip.substr(6, dot - 6)) * 256 + std::stoul(ip.substr(dot + 1)));
}

json::object read_json(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, path.string());
  std::stringstream s;
  s << in.rdbuf();
  return parse(s.str());
}

fs::path golden() { return source_root() / "tests" / "data" / "velero-1.5.2"; }

// What the API server assigns on every write: removed before objects are compared.
void drop_server_fields(json::object& o) {
  json::object& md = o["metadata"].as_object();
  for (const char* k : {"uid", "resourceVersion", "creationTimestamp", "managedFields"}) md.erase(k);
}

}  // namespace

TEST_CASE("Services: clusterIP from 10.96.0.0/16, nodePorts from 30000-32767 and the v1 defaults, as a v1.26+ server stores them") {
  KubeServer server(quick());
  LoopbackClient c(server.port());
  const std::string base = "/api/v1/namespaces/default/services";
  auto np = send(c, "POST", base, service("np", R"({"type":"NodePort","selector":{"app":"web"},"ports":[{"name":"http","port":80}]})"));
  REQUIRE(np.status == 201);
  const json::object& spec = spec_of(np.body);
  const std::string ip = str(spec.at("clusterIP"));
  CHECK(spec.at("clusterIPs") == json::array{json::value(json::string(ip))});
  CHECK(offset_in_range(ip) > 256);  // ServiceIPStaticSubrange: dynamic IPs come from above the first 256
  CHECK(spec.at("ipFamilies") == json::array{"IPv4"});
  CHECK(spec.at("ipFamilyPolicy") == "SingleStack");
  CHECK(spec.at("internalTrafficPolicy") == "Cluster");
  CHECK(spec.at("externalTrafficPolicy") == "Cluster");
  CHECK(spec.at("sessionAffinity") == "None");
  const json::object& port = spec.at("ports").as_array()[0].as_object();
  CHECK(port.at("protocol") == "TCP");
  CHECK(port.at("targetPort") == 80);  // defaulted to the port
  CHECK(node_port(np.body) >= 30086);  // ServiceNodePortStaticSubrange: dynamic ports above the first 86
  CHECK(node_port(np.body) <= 32767);
  CHECK(np.body.at("status") == json::object{{"loadBalancer", json::object{}}});

  SUBCASE("headless: None kept, one family; headless without a selector asks for both (RequireDualStack)") {
    auto headless = send(c, "POST", base, service("h", R"({"clusterIP":"None","selector":{"a":"b"},"ports":[{"port":5432}]})"));
    REQUIRE(headless.status == 201);
    CHECK(spec_of(headless.body).at("clusterIPs") == json::array{"None"});
    CHECK(spec_of(headless.body).at("ipFamilies") == json::array{"IPv4"});
    CHECK(spec_of(headless.body).at("ipFamilyPolicy") == "SingleStack");
    auto bare = send(c, "POST", base, service("h2", R"({"clusterIP":"None"})"));
    REQUIRE(bare.status == 201);
    CHECK(spec_of(bare.body).at("ipFamilyPolicy") == "RequireDualStack");
    CHECK(spec_of(bare.body).at("ipFamilies") == json::array{"IPv4", "IPv6"});
  }
  SUBCASE("ExternalName gets no clusterIP, families or traffic policies") {
    auto ext = send(c, "POST", base, service("ext", R"({"type":"ExternalName","externalName":"example.com"})"));
    REQUIRE(ext.status == 201);
    for (const char* k : {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"})
      CHECK_MESSAGE(!spec_of(ext.body).contains(k), k);
  }
  SUBCASE("LoadBalancer: allocateLoadBalancerNodePorts, healthCheckNodePort with Local, shared nodePort per port number") {
    auto lb = send(c, "POST", base, service("lb", R"({"type":"LoadBalancer","externalTrafficPolicy":"Local","ports":[
      {"name":"dns","port":53,"protocol":"UDP"},{"name":"dns-tcp","port":53,"protocol":"TCP"}]})"));
    REQUIRE(lb.status == 201);
    CHECK(spec_of(lb.body).at("allocateLoadBalancerNodePorts") == true);
    const std::int64_t hc = spec_of(lb.body).at("healthCheckNodePort").as_int64();
    CHECK((hc >= 30000 && hc <= 32767));
    CHECK(node_port(lb.body, 0) == node_port(lb.body, 1));  // initNodePorts: same port number, same nodePort
    CHECK(node_port(lb.body, 0) != hc);
    auto none = send(c, "POST", base, service("lb2", R"({"type":"LoadBalancer","allocateLoadBalancerNodePorts":false,"ports":[{"port":80}]})"));
    REQUIRE(none.status == 201);
    CHECK(!spec_of(none.body).at("ports").as_array()[0].as_object().contains("nodePort"));
    CHECK(!spec_of(none.body).contains("healthCheckNodePort"));
  }
  SUBCASE("sessionAffinity ClientIP gets its 10800 s timeout") {
    auto sticky = send(c, "POST", base, service("sticky", R"({"sessionAffinity":"ClientIP","ports":[{"port":80}]})"));
    REQUIRE(sticky.status == 201);
    CHECK(spec_of(sticky.body).at("sessionAffinityConfig") ==
          json::object{{"clientIP", json::object{{"timeoutSeconds", 10800}}}});
  }
}

TEST_CASE("Services: a taken nodePort or clusterIP is 422 Invalid with the real causes, checked before the name (corpus Surprise 3)") {
  KubeServer server(quick());
  LoopbackClient c(server.port());
  for (const char* ns : {"data", "data-copy", "other"}) REQUIRE(send(c, "POST", "/api/v1/namespaces", ns_body(ns)).status == 201);
  const std::string np_explicit =
      service("np-explicit", R"({"type":"NodePort","selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":30080}]})");
  REQUIRE(send(c, "POST", "/api/v1/namespaces/data/services", np_explicit).status == 201);

  // r-mapped: the same Service into another namespace. Velero's isAlreadyExistsError looks for
  // "provided port is already allocated" in every cause (restore §2.6).
  auto mapped = send(c, "POST", "/api/v1/namespaces/data-copy/services", np_explicit);
  CHECK(mapped.status == 422);
  CHECK(mapped.body["message"] ==
        "Service \"np-explicit\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated");
  CHECK(mapped.body["reason"] == "Invalid");
  CHECK(mapped.body["details"] ==
        json::object{{"name", "np-explicit"}, {"kind", "Service"},
                     {"causes", json::array{json::object{{"reason", "FieldValueInvalid"},
                                                         {"message", "Invalid value: 30080: provided port is already allocated"},
                                                         {"field", "spec.ports[0].nodePort"}}}}});
  // r-again: into the namespace where it exists, the port is still checked first: 422, not 409.
  CHECK(send(c, "POST", "/api/v1/namespaces/data/services", np_explicit).status == 422);
  // Without an explicit port the allocation succeeds, and then the name exists.
  auto again = send(c, "POST", "/api/v1/namespaces/data/services", service("np-explicit", R"({"type":"NodePort","ports":[{"port":80}]})"));
  CHECK(again.status == 409);
  CHECK(again.body["message"] == "services \"np-explicit\" already exists");

  SUBCASE("clusterIP: taken, the kubernetes Service's, out of range, clusterIPs without clusterIP") {
    REQUIRE(send(c, "POST", "/api/v1/namespaces/data/services", service("fixed", R"({"clusterIP":"10.96.0.123","ports":[{"port":5433}]})")).status == 201);
    auto taken = send(c, "POST", "/api/v1/namespaces/other/services", service("fixed", R"({"clusterIP":"10.96.0.123","ports":[{"port":5433}]})"));
    CHECK(taken.status == 422);
    CHECK(taken.body["message"] == "Service \"fixed\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.123\"}: "
                                   "failed to allocate IP 10.96.0.123: provided IP is already allocated");
    CHECK(send(c, "POST", "/api/v1/namespaces/other/services", service("k", R"({"clusterIP":"10.96.0.1","ports":[{"port":443}]})")).status == 422);
    auto outside = send(c, "POST", "/api/v1/namespaces/other/services", service("o", R"({"clusterIP":"10.0.0.5","ports":[{"port":80}]})"));
    CHECK(outside.body["message"] == "Service \"o\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.0.0.5\"}: failed to "
                                     "allocate IP 10.0.0.5: provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/16");
    // A restore that clears clusterIP but keeps a stale clusterIPs is refused.
    auto stale = send(c, "POST", "/api/v1/namespaces/other/services", service("s", R"({"clusterIPs":["10.96.0.77"],"ports":[{"port":80}]})"));
    CHECK(stale.body["message"] ==
          "Service \"s\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.77\"}: must be empty when `clusterIP` is not specified");
  }
  SUBCASE("nodePort out of range; nodePort on a ClusterIP Service") {
    auto low = send(c, "POST", "/api/v1/namespaces/other/services", service("low", R"({"type":"NodePort","ports":[{"port":80,"nodePort":8080}]})"));
    CHECK(low.body["message"] == "Service \"low\" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in "
                                 "the valid range. The range of valid ports is 30000-32767");
    auto cip = send(c, "POST", "/api/v1/namespaces/other/services", service("cip", R"({"ports":[{"port":80,"nodePort":30999}]})"));
    CHECK(cip.status == 422);
    CHECK(cip.body["message"] == "Service \"cip\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
  }
  SUBCASE("a dry run and a failed create hold nothing; delete and namespace deletion release") {
    const std::string p31000 = service("p", R"({"type":"NodePort","ports":[{"port":80,"nodePort":31000}]})");
    CHECK(send(c, "POST", "/api/v1/namespaces/other/services?dryRun=All", p31000).status == 201);
    // Fails on its second port after the first was taken: the first is not held either.
    CHECK(send(c, "POST", "/api/v1/namespaces/other/services",
               service("two", R"({"type":"NodePort","ports":[{"name":"a","port":81,"nodePort":31001},{"name":"b","port":82,"nodePort":30080}]})"))
              .status == 422);
    CHECK(send(c, "POST", "/api/v1/namespaces/other/services", p31000).status == 201);
    CHECK(send(c, "POST", "/api/v1/namespaces/other/services", service("q", R"({"type":"NodePort","ports":[{"port":80,"nodePort":31001}]})")).status == 201);
    REQUIRE(c.request("DELETE", "/api/v1/namespaces/data/services/np-explicit").status == 200);
    CHECK(send(c, "POST", "/api/v1/namespaces/data-copy/services", np_explicit).status == 201);
    REQUIRE(c.request("DELETE", "/api/v1/namespaces/data-copy").status == 200);
    CHECK(send(c, "POST", "/api/v1/namespaces/other/services", np_explicit).status == 201);
  }
}

TEST_CASE("Services: updates keep what was allocated (patchAllocatedValues); the clusterIP may not change") {
  KubeServer server(quick());
  LoopbackClient c(server.port());
  const std::string path = "/api/v1/namespaces/default/services/np";
  auto created = send(c, "POST", "/api/v1/namespaces/default/services",
                      service("np", R"({"type":"NodePort","ports":[{"name":"http","port":80}]})"));
  REQUIRE(created.status == 201);
  const json::value ip = spec_of(created.body).at("clusterIP");
  const std::int64_t port = node_port(created.body);

  // A resubmitted manifest (no clusterIP, no nodePort) changes nothing.
  auto put = send(c, "PUT", path, service("np", R"({"type":"NodePort","ports":[{"name":"http","port":80}]})"));
  REQUIRE(put.status == 200);
  CHECK(spec_of(put.body).at("clusterIP") == ip);
  CHECK(node_port(put.body) == port);
  CHECK(put.body["metadata"].as_object().at("resourceVersion") == created.body["metadata"].as_object().at("resourceVersion"));
  // Velero's existingResourcePolicy=update sends a merge patch that nulls what the restore cleared.
  auto merged = send(c, "PATCH", path, R"({"metadata":{"labels":{"velero.io/restore-name":"r"}},"spec":{"clusterIP":null,"clusterIPs":null,
    "ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":80}]}})", "application/merge-patch+json");
  REQUIRE(merged.status == 200);
  CHECK(spec_of(merged.body).at("clusterIP") == ip);
  CHECK(node_port(merged.body) == port);

  auto moved = send(c, "PATCH", path, R"({"spec":{"clusterIP":"10.96.3.3"}})", "application/merge-patch+json");
  CHECK(moved.status == 422);
  CHECK(moved.body["message"] == "Service \"np\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.96.3.3\"}: may not change once set");

  // A new explicit nodePort held by another Service is refused as on create.
  REQUIRE(send(c, "POST", "/api/v1/namespaces/default/services", service("other", R"({"type":"NodePort","ports":[{"port":80,"nodePort":30500}]})")).status == 201);
  auto clash = send(c, "PATCH", path, R"({"spec":{"ports":[{"name":"http","port":80,"nodePort":30500}]}})", "application/merge-patch+json");
  CHECK(clash.status == 422);
  CHECK(clash.body["message"] == "Service \"np\" is invalid: spec.ports[0].nodePort: Invalid value: 30500: provided port is already allocated");

  // NodePort → ClusterIP drops the unchanged nodePorts and releases them.
  auto to_cluster_ip = send(c, "PATCH", path, R"({"spec":{"type":"ClusterIP"}})", "application/merge-patch+json");
  REQUIRE(to_cluster_ip.status == 200);
  CHECK(!spec_of(to_cluster_ip.body).at("ports").as_array()[0].as_object().contains("nodePort"));
  CHECK(!spec_of(to_cluster_ip.body).contains("externalTrafficPolicy"));
  CHECK(spec_of(to_cluster_ip.body).at("clusterIP") == ip);
  CHECK(send(c, "POST", "/api/v1/namespaces/default/services",
             service("reuse", R"({"type":"NodePort","ports":[{"port":80,"nodePort":)" + std::to_string(port) + "}]}"))
            .status == 201);
}

TEST_CASE("Services: --service-cluster-ip-range and --service-node-port-range; a full range is 500") {
  KubeServerOptions o = quick();
  o.api.service_cluster_ip_range = "10.0.0.0/29";  // 6 addresses, the first the kubernetes Service's
  o.api.service_node_port_range = "30000-30001";
  KubeServer server(o);
  LoopbackClient c(server.port());
  std::set<std::string> ips;
  for (int i = 0; i < 5; ++i) {
    auto r = send(c, "POST", "/api/v1/namespaces/default/services", service("s" + std::to_string(i), R"({"ports":[{"port":80}]})"));
    REQUIRE(r.status == 201);
    ips.insert(str(spec_of(r.body).at("clusterIP")));
  }
  CHECK(ips == std::set<std::string>{"10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"});
  auto full = send(c, "POST", "/api/v1/namespaces/default/services", service("s5", R"({"ports":[{"port":80}]})"));
  CHECK(full.status == 500);
  CHECK(full.body["message"] == "Internal error occurred: failed to allocate a serviceIP: range is full");
  REQUIRE(c.request("DELETE", "/api/v1/namespaces/default/services/s0").status == 200);
  auto np = send(c, "POST", "/api/v1/namespaces/default/services", service("np", R"({"type":"NodePort","ports":[{"port":80},{"port":81}]})"));
  REQUIRE(np.status == 201);
  CHECK(std::set<std::int64_t>{node_port(np.body, 0), node_port(np.body, 1)} == std::set<std::int64_t>{30000, 30001});

  KubeServerOptions bad = quick();
  bad.api.service_cluster_ip_range = "10.0.0.0/8";  // kube-apiserver refuses more than /12
  CHECK_THROWS_WITH(KubeServer{bad}, doctest::Contains("service cluster IP range \"10.0.0.0/8\""));
}

TEST_CASE("Jobs: selector and template labels generated from the new uid (restore §2.5 velero.io/job, corpus Surprise 5)") {
  const std::string job = R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"batch-job","labels":{"app":"batch"}},
    "spec":{"backoffLimit":2,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"main","image":"busybox:1.36"}]}}}})";
  SUBCASE("v1.26: controller-uid and job-name, the job-tracking annotation, the defaults the corpus shows") {
    KubeServerOptions o = quick();
    o.api.git_version = "v1.26.0";
    KubeServer server(o);
    LoopbackClient c(server.port());
    auto r = send(c, "POST", "/apis/batch/v1/namespaces/default/jobs", job);
    REQUIRE(r.status == 201);
    const std::string uid = str(r.body["metadata"].as_object().at("uid"));
    const json::object& spec = spec_of(r.body);
    CHECK(spec.at("selector") == json::object{{"matchLabels", json::object{{"controller-uid", uid}}}});
    CHECK(spec.at("template").as_object().at("metadata").as_object().at("labels") ==
          json::object{{"controller-uid", uid}, {"job-name", "batch-job"}});
    CHECK(r.body["metadata"].as_object().at("annotations") == json::object{{"batch.kubernetes.io/job-tracking", ""}});
    for (auto [k, v] : {std::pair<const char*, json::value>{"completionMode", "NonIndexed"}, {"completions", 1}, {"parallelism", 1},
                        {"suspend", false}, {"backoffLimit", 2}})
      CHECK_MESSAGE(spec.at(k) == v, k);
    CHECK(r.body["status"].as_object().empty());

    // A Job restored without the velero.io/job action keeps its old controller-uid: refused.
    json::object old = r.body;
    drop_server_fields(old);
    old["metadata"].as_object()["name"] = "batch-job-2";
    old["spec"].as_object()["template"].as_object()["metadata"].as_object()["labels"].as_object()["job-name"] = "batch-job-2";
    auto stale = send(c, "POST", "/apis/batch/v1/namespaces/default/jobs", json::marshal(old));
    CHECK(stale.status == 422);
    const std::string message = str(stale.body["message"]);
    CHECK(message.starts_with("Job.batch \"batch-job-2\" is invalid: [spec.template.metadata.labels[controller-uid]: Invalid value: "
                              "map[string]string{\"controller-uid\":\"" + uid + "\", \"job-name\":\"batch-job-2\"}: must be '"));
    CHECK(message.find("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"controller-uid\":\"" + uid +
                       "\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated]") != std::string::npos);
    // The update policy cannot change a Job's selector or template.
    auto patched = send(c, "PATCH", "/apis/batch/v1/namespaces/default/jobs/batch-job", R"({"spec":{"selector":{"matchLabels":{"controller-uid":null}}}})",
                        "application/merge-patch+json");
    CHECK(patched.status == 422);
    CHECK(str(patched.body["message"]).find("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, "
                                            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable") != std::string::npos);
  }
  SUBCASE("v1.33: the batch.kubernetes.io/ labels too, selected by batch.kubernetes.io/controller-uid; no annotation") {
    KubeServer server(quick());
    LoopbackClient c(server.port());
    auto r = send(c, "POST", "/apis/batch/v1/namespaces/default/jobs", job);
    REQUIRE(r.status == 201);
    const std::string uid = str(r.body["metadata"].as_object().at("uid"));
    CHECK(spec_of(r.body).at("selector") == json::object{{"matchLabels", json::object{{"batch.kubernetes.io/controller-uid", uid}}}});
    CHECK(spec_of(r.body).at("template").as_object().at("metadata").as_object().at("labels") ==
          json::object{{"batch.kubernetes.io/controller-uid", uid}, {"batch.kubernetes.io/job-name", "batch-job"},
                       {"controller-uid", uid}, {"job-name", "batch-job"}});
    CHECK(!r.body["metadata"].as_object().contains("annotations"));
    CHECK(spec_of(r.body).at("podReplacementPolicy") == "TerminatingOrFailed");
  }
}

TEST_CASE("status: a create starts from the kind's initial status; PUT .../status with resourceVersion conflicts; kubectl reads it") {
  KubeServerOptions o = quick();
  o.seed = {source_root() / "tests" / "data" / "velero"};
  KubeServer server(o);
  LoopbackClient c(server.port());
  const std::string pvc = R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"c"},
    "spec":{"accessModes":["ReadWriteOnce"],"volumeName":"v","resources":{"requests":{"storage":"1Gi"}}},"status":{"phase":"Bound"}})";
  auto claim = send(c, "POST", "/api/v1/namespaces/default/persistentvolumeclaims", pvc);
  REQUIRE(claim.status == 201);
  CHECK(claim.body["status"] == json::object{{"phase", "Pending"}});  // nothing binds it, volumeName or not
  CHECK(claim.body["metadata"].as_object().at("finalizers") == json::array{"kubernetes.io/pvc-protection"});
  CHECK(spec_of(claim.body).at("volumeMode") == "Filesystem");
  auto pod = send(c, "POST", "/api/v1/namespaces/default/pods", R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
    "spec":{"containers":[{"name":"a","image":"x","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]},"status":{"phase":"Running"}})");
  REQUIRE(pod.status == 201);
  CHECK(pod.body["status"] == json::object{{"phase", "Pending"}, {"qosClass", "Guaranteed"}});
  // A PVC goes at once on delete: the protection controller drops its finalizer (no pod uses it).
  CHECK(c.request("DELETE", "/api/v1/namespaces/default/persistentvolumeclaims/c").status == 200);
  CHECK(c.get("/api/v1/namespaces/default/persistentvolumeclaims/c").status == 404);

  // Velero's CRDs have no status subresource: status is kept on create and /status is not served.
  auto restore = send(c, "POST", "/apis/velero.io/v1/namespaces/velero/restores",
                      R"({"apiVersion":"velero.io/v1","kind":"Restore","metadata":{"name":"r1"},"spec":{"backupName":"b"},"status":{"phase":"New"}})");
  REQUIRE(restore.status == 201);
  CHECK(restore.body["status"] == json::object{{"phase", "New"}});
  CHECK(c.request("PUT", "/apis/velero.io/v1/namespaces/velero/restores/r1/status", json::marshal(restore.body)).status == 404);

  // A custom resource with a status subresource: status dropped on create, written through /status.
  const std::string crd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"gadgets.example.com"},
    "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"gadgets","kind":"Gadget"},
    "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}}}]}})";
  REQUIRE(send(c, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status == 201);
  eventually([&] { return c.get("/apis/example.com/v1").status == 200; });
  const std::string gadgets = "/apis/example.com/v1/namespaces/default/gadgets";
  auto g = send(c, "POST", gadgets, R"({"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g"},"spec":{"a":1},"status":{"x":1}})");
  REQUIRE(g.status == 201);
  CHECK(!g.body.contains("status"));
  json::object st = g.body;
  st["status"] = json::object{{"x", 2}};
  st["spec"] = json::object{{"a", 9}};
  auto put = send(c, "PUT", gadgets + "/g/status", json::marshal(st));
  REQUIRE(put.status == 200);
  CHECK(put.body["status"] == json::object{{"x", 2}});
  CHECK(put.body["spec"] == json::object{{"a", 1}});  // the status subresource writes status only
  auto stale = send(c, "PUT", gadgets + "/g/status", json::marshal(st));  // the old resourceVersion
  CHECK(stale.status == 409);
  CHECK(stale.body["message"] == "Operation cannot be fulfilled on gadgets.example.com \"g\": the object has been modified; please "
                                 "apply your changes to the latest version and try again");
  st["metadata"].as_object().erase("resourceVersion");
  auto unconditional = send(c, "PUT", gadgets + "/g/status", json::marshal(st));
  CHECK(unconditional.status == 422);  // custom resources refuse unconditional updates
  CHECK(unconditional.body["message"] == "Gadget.example.com \"g\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update");

  Kubectl kubectl(server);
  auto read = kubectl("get gadget g --subresource=status -o jsonpath={.status.x}");
  CHECK(read.code == 0);
  CHECK(read.out == "2");
  auto restores = kubectl("get restores.velero.io -n velero -o name");
  CHECK(restores.code == 0);
  CHECK(restores.out == "restore.velero.io/r1\n");
  CHECK(kubectl("get rst r1 -n velero -o jsonpath={.status.phase}").out == "New");  // Velero's short name
  auto kinds = kubectl("api-resources --api-group=velero.io -o name");
  CHECK(kinds.out == "backups.velero.io\nbackupstoragelocations.velero.io\ndeletebackuprequests.velero.io\n"
                     "downloadrequests.velero.io\nrestores.velero.io\nschedules.velero.io\nserverstatusrequests.velero.io\n");
}

TEST_CASE("custom resources in several versions: stored once, served in each with only apiVersion changed (corpus rockbands)") {
  KubeServer server(quick());
  LoopbackClient c(server.port());
  json::object crd = read_json(golden() / "source" / "customresourcedefinitions.apiextensions.k8s.io" / "_cluster" / "rockbands.music.example.io.json");
  crd.erase("status");
  drop_server_fields(crd);
  crd["metadata"].as_object().erase("generation");
  REQUIRE(send(c, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json::marshal(crd)).status == 201);
  eventually([&] { return c.get("/apis/music.example.io/v2beta2").status == 200; });
  CHECK(parse(c.get("/apis/music.example.io").body)["preferredVersion"].as_object().at("version") == "v1");
  REQUIRE(send(c, "POST", "/api/v1/namespaces", ns_body("music")).status == 201);

  // Each band written through its own version (inputs/music.yaml), as kubectl apply sent it.
  manifests::read_manifest_file(golden() / "inputs" / "music.yaml", [&](manifests::ManifestObject&& m) {
    const std::string version = str(m.object.at("apiVersion"));
    auto r = send(c, "POST", "/apis/" + version + "/namespaces/music/rockbands", json::marshal(m.object));
    CHECK(r.status == 201);
    CHECK(str(r.body["apiVersion"]) == version);
  }, [](const std::string& w) { FAIL(w); });
  // beatles' status through v1, the version with the status subresource.
  json::object beatles = parse(c.get("/apis/music.example.io/v1/namespaces/music/rockbands/beatles").body);
  beatles["status"] = json::object{{"lastPlayed", "1969-01-30"}};
  REQUIRE(send(c, "PUT", "/apis/music.example.io/v1/namespaces/music/rockbands/beatles/status", json::marshal(beatles)).status == 200);

  for (const char* version : {"v1", "v2beta1", "v2beta2"}) {
    auto list = parse(c.get(std::string("/apis/music.example.io/") + version + "/namespaces/music/rockbands").body);
    CHECK(str(list["apiVersion"]) == std::string("music.example.io/") + version);
    CHECK(list["items"].as_array().size() == 3);
    for (const json::value& item : list["items"].as_array()) CHECK(item.as_object().at("apiVersion") == list["apiVersion"]);
    for (const char* name : {"beatles", "queen", "ledzeppelin"}) {
      CAPTURE(version);
      CAPTURE(name);
      json::object ours = parse(c.get(std::string("/apis/music.example.io/") + version + "/namespaces/music/rockbands/" + name).body);
      json::object real = read_json(golden() / "source" / "_rockbands-by-served-version" / version / (std::string(name) + ".json"));
      drop_server_fields(ours);
      drop_server_fields(real);
      real["metadata"].as_object()["annotations"].as_object().erase("kubectl.kubernetes.io/last-applied-configuration");
      // Not emulated: the v1 structural schema prunes the fields only v2beta1/v2beta2 declare.
      for (const char* pruned : {"leadGuitar", "drummer"}) ours["spec"].as_object().erase(pruned);
      CHECK(json::marshal(ours) == json::marshal(real));
    }
  }
}

TEST_CASE("corpus velero-1.5.2 r-all: what Velero sent comes back as the v1.26 server stored it") {
  KubeServerOptions o = quick();
  o.api.git_version = "v1.26.0";
  o.api.service_cluster_ip_range = "10.96.0.0/24";  // as the corpus clusters
  KubeServer server(o);
  LoopbackClient c(server.port());
  for (const char* ns : {"shop", "music"}) REQUIRE(send(c, "POST", "/api/v1/namespaces", ns_body(ns)).status == 201);
  json::object crd = read_json(golden() / "source" / "customresourcedefinitions.apiextensions.k8s.io" / "_cluster" / "rockbands.music.example.io.json");
  crd.erase("status");
  drop_server_fields(crd);
  REQUIRE(send(c, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json::marshal(crd)).status == 201);
  eventually([&] { return c.get("/apis/music.example.io/v1").status == 200; });
  const fs::path restored = golden() / "restored" / "r-all";

  // Each stored object, reduced to what Velero v1.5.2 sent (Surprises 3-5): server fields, status,
  // finalizers added by admission, clusterIP(s) and the fields its k8s.io/api v0.18.4 Service type
  // lacks, auto-assigned nodePorts, the Job's controller-uid and annotation. The server must put
  // each back; values it picks itself are checked for shape, then compared as equal.
  struct Item {
    std::string file, path;
  };
  const std::vector<Item> items = {
      {"namespaces/_cluster/data.json", "/api/v1/namespaces"},
      {"services/data/np-auto.json", "/api/v1/namespaces/data/services"},
      {"services/data/np-explicit.json", "/api/v1/namespaces/data/services"},
      {"services/data/svc-clusterip.json", "/api/v1/namespaces/data/services"},
      {"services/data/svc-fixed-ip.json", "/api/v1/namespaces/data/services"},
      {"services/data/svc-headless.json", "/api/v1/namespaces/data/services"},
      {"services/shop/frontend-external.json", "/api/v1/namespaces/shop/services"},
      {"jobs.batch/data/batch-job.json", "/apis/batch/v1/namespaces/data/jobs"},
      {"persistentvolumeclaims/data/pvc-retain.json", "/api/v1/namespaces/data/persistentvolumeclaims"},
      {"persistentvolumeclaims/data/pvc-delete.json", "/api/v1/namespaces/data/persistentvolumeclaims"},
      {"persistentvolumes/_cluster/pv-retain.json", "/api/v1/persistentvolumes"},
      {"rockbands.music.example.io/music/beatles.json", "/apis/music.example.io/v1/namespaces/music/rockbands"},
      {"rockbands.music.example.io/music/queen.json", "/apis/music.example.io/v1/namespaces/music/rockbands"},
  };
  for (const Item& item : items) {
    CAPTURE(item.file);
    json::object real = read_json(restored / item.file);
    drop_server_fields(real);
    json::object sent = real;
    sent.erase("status");
    json::object& md = sent["metadata"].as_object();
    md.erase("finalizers");
    md.erase("generation");
    const std::string kind = str(sent.at("kind"));
    const bool explicit_port = item.file.find("np-explicit") != std::string::npos;
    if (kind == "Service") {
      json::object& spec = sent["spec"].as_object();
      if (str(spec.at("clusterIP")) != "None") spec.erase("clusterIP");
      spec.erase("clusterIPs");
      for (const char* k : {"ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy", "allocateLoadBalancerNodePorts"}) spec.erase(k);
      if (!explicit_port && spec.contains("ports"))
        for (json::value& p : spec["ports"].as_array()) p.as_object().erase("nodePort");
    } else if (kind == "RockBand") {
      sent["status"] = json::object{{"lastPlayed", "1969-01-30"}};  // dropped: v1 has a status subresource
    } else if (kind == "Job") {
      md["annotations"].as_object().erase("batch.kubernetes.io/job-tracking");
      json::object& spec = sent["spec"].as_object();
      spec["selector"].as_object()["matchLabels"].as_object().erase("controller-uid");
      spec["template"].as_object()["metadata"].as_object()["labels"].as_object().erase("controller-uid");
    }
    auto r = send(c, "POST", item.path, json::marshal(sent));
    REQUIRE(r.status == 201);
    json::object ours = r.body;
    const std::string uid = str(ours["metadata"].as_object().at("uid"));
    drop_server_fields(ours);
    if (kind == "Service" && str(spec_of(ours).at("clusterIP")) != "None") {
      // Server-assigned: a clusterIP from 10.96.0.0/24, nodePorts from the range; then as the corpus.
      for (json::object* o : {&ours, &real}) {
        json::object& spec = (*o)["spec"].as_object();
        CHECK(str(spec.at("clusterIP")).starts_with("10.96.0."));
        CHECK(spec.at("clusterIPs") == json::array{spec.at("clusterIP")});
        spec["clusterIP"] = spec["clusterIPs"].as_array()[0] = "<allocated>";
        if (!explicit_port && str(spec.at("type")) != "ClusterIP")
          for (json::value& p : spec["ports"].as_array()) {
            CHECK((p.as_object().at("nodePort").as_int64() >= 30000 && p.as_object().at("nodePort").as_int64() <= 32767));
            p.as_object()["nodePort"] = 0;
          }
      }
    } else if (kind == "Job") {
      CHECK(str(spec_of(ours).at("selector").as_object().at("matchLabels").as_object().at("controller-uid")) == uid);
      for (json::object* o : {&ours, &real}) {
        json::object& spec = (*o)["spec"].as_object();
        spec["selector"].as_object()["matchLabels"].as_object()["controller-uid"] = "<uid>";
        spec["template"].as_object()["metadata"].as_object()["labels"].as_object()["controller-uid"] = "<uid>";
      }
    }
    CHECK(json::marshal(ours) == json::marshal(real));
  }
}
