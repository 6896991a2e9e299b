// The parts of the Kubernetes client that need no API server: Status bodies as typed errors, the
// client-side token bucket and in-flight bound, legacy discovery documents, resource paths, and an
// unreachable server named in the error.
#include "kube/internal.hpp"
#include "vbackup/kube.hpp"

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

using namespace vbackup;
using namespace vbackup::kube;
using namespace std::chrono_literals;

namespace {
bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("Status bodies become typed errors with the server's reason, message and causes") {
  KubeError nf = error_from_response(
      "GET https://h/api/v1/namespaces/ns/configmaps/x", 404,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"configmaps"},"code":404})",
      "");
  CHECK(nf.code() == ErrorCode::not_found);
  CHECK(nf.reason() == Reason::not_found);
  CHECK(nf.http_status() == 404);
  CHECK(std::string(nf.what()) == "GET https://h/api/v1/namespaces/ns/configmaps/x: 404 NotFound: configmaps \"x\" not found");

  KubeError ae = error_from_response("POST u", 409, R"({"kind":"Status","reason":"AlreadyExists","message":"exists","code":409})", "");
  CHECK(ae.code() == ErrorCode::already_exists);
  CHECK(ae.reason() == Reason::already_exists);
  KubeError conflict = error_from_response("PUT u", 409, R"({"kind":"Status","reason":"Conflict","message":"the object has been modified"})", "");
  CHECK(conflict.code() == ErrorCode::kube);
  CHECK(conflict.reason() == Reason::conflict);
  CHECK(error_from_response("GET u", 403, R"({"kind":"Status","reason":"Forbidden","message":"no"})", "").reason() == Reason::forbidden);
  CHECK(error_from_response("GET u", 401, R"({"kind":"Status","reason":"Unauthorized","message":"Unauthorized"})", "").reason() == Reason::unauthorized);

  KubeError inv = error_from_response(
      "POST u", 422,
      R"({"kind":"Status","reason":"Invalid","message":"ConfigMap \"Bad\" is invalid: metadata.name: Invalid value: \"Bad\": a lowercase RFC 1123 subdomain","details":{"name":"Bad","kind":"ConfigMap","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"Bad\": a lowercase RFC 1123 subdomain","field":"metadata.name"}]},"code":422})",
      "");
  CHECK(inv.reason() == Reason::invalid);
  REQUIRE(inv.causes().size() == 1);
  CHECK(inv.causes()[0].type == "FieldValueInvalid");
  CHECK(inv.causes()[0].field == "metadata.name");

  KubeError expired = error_from_response(
      "GET u", 410, R"({"kind":"Status","reason":"Expired","message":"The provided continue parameter is too old"})", "");
  CHECK(expired.reason() == Reason::expired);
  CHECK(expired.http_status() == 410);

  // TooManyRequests: the Retry-After header, or details.retryAfterSeconds.
  KubeError tmr = error_from_response("GET u", 429, R"({"kind":"Status","reason":"TooManyRequests","message":"slow down"})", "7");
  CHECK(tmr.reason() == Reason::too_many_requests);
  REQUIRE(tmr.retry_after());
  CHECK(tmr.retry_after()->count() == 7);
  CHECK(contains(tmr.what(), "retry after 7 s"));
  KubeError tmr2 = error_from_response("GET u", 429, R"({"kind":"Status","reason":"TooManyRequests","details":{"retryAfterSeconds":3}})", "");
  CHECK(tmr2.retry_after()->count() == 3);
}

TEST_CASE("Answers without a Status take the reason their HTTP code implies (errors.NewGenericServerResponse)") {
  KubeError e = error_from_response("GET u", 404, "404 page not found\n", "");
  CHECK(e.reason() == Reason::not_found);
  CHECK(e.code() == ErrorCode::not_found);
  CHECK(std::string(e.what()) == "GET u: 404 NotFound: the server could not find the requested resource (404 page not found)");
  CHECK(error_from_response("GET u", 503, "", "").reason() == Reason::service_unavailable);
  CHECK(error_from_response("GET u", 500, "<html>oops</html>", "").reason() == Reason::internal_error);
  // A Status whose reason is unknown falls back on the code, as errors.IsNotFound does.
  CHECK(error_from_response("GET u", 404, R"({"kind":"Status","reason":"Weird","message":"m"})", "").reason() == Reason::not_found);
  CHECK(error_from_response("GET u", 418, "teapot", "").reason() == Reason::unknown);
  CHECK(to_string(Reason::already_exists) == "AlreadyExists");
}

TEST_CASE("The token bucket starts with burst tokens and refills at qps (client-go flowcontrol)") {
  using clock = TokenBucket::clock;
  const auto t0 = clock::time_point(std::chrono::seconds(1000));
  TokenBucket b(10, 3, t0);  // 10 per second, burst 3
  CHECK(b.reserve(t0) == clock::duration::zero());
  CHECK(b.reserve(t0) == clock::duration::zero());
  CHECK(b.reserve(t0) == clock::duration::zero());
  // The fourth waits one token time, the fifth two: waiters queue in order.
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(b.reserve(t0)).count() == 100);
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(b.reserve(t0)).count() == 200);
  // After a long pause the bucket is full again, never fuller than burst.
  const auto t1 = t0 + std::chrono::seconds(60);
  for (int i = 0; i < 3; ++i) CHECK(b.reserve(t1) == clock::duration::zero());
  CHECK(b.reserve(t1) > clock::duration::zero());
  // Velero's defaults: 100 requests at once, then 100 per second.
  TokenBucket velero(100, 100, t0);
  for (int i = 0; i < 100; ++i) REQUIRE(velero.reserve(t0) == clock::duration::zero());
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(velero.reserve(t0)).count() == 10);
  // qps <= 0: no limit.
  TokenBucket none(0, 1, t0);
  for (int i = 0; i < 1000; ++i) REQUIRE(none.reserve(t0) == clock::duration::zero());
}

TEST_CASE("At most max_in_flight requests run at once") {
  InFlightLimit limit(3);
  std::atomic<int> inside{0}, worst{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      InFlightLimit::Slot slot(limit);
      int now = ++inside;
      int w = worst.load();
      while (now > w && !worst.compare_exchange_weak(w, now)) {
      }
      std::this_thread::sleep_for(5ms);
      --inside;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(worst.load() <= 3);
  CHECK(limit.peak() <= 3);
  CHECK(limit.in_flight() == 0);
}

TEST_CASE("Legacy discovery documents fill a Discovery") {
  json::value api = json::parse(R"({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]})", "/api");
  CHECK(parse_api_versions(api, "/api") == std::vector<std::string>{"v1"});
  json::value apis = json::parse(R"({"kind":"APIGroupList","apiVersion":"v1","groups":[
    {"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}},
    {"name":"example.com","versions":[{"groupVersion":"example.com/v2","version":"v2"},{"groupVersion":"example.com/v1","version":"v1"}],"preferredVersion":{"groupVersion":"example.com/v1","version":"v1"}},
    {"name":"empty.io","versions":[]}]})", "/apis");
  auto groups = parse_api_group_list(apis, "/apis");
  REQUIRE(groups.size() == 2);  // a group serving nothing is left out
  CHECK(groups[1].name == "example.com");
  CHECK(groups[1].versions == std::vector<std::string>{"v2", "v1"});
  CHECK(groups[1].preferred_version == "v1");
  json::value list = json::parse(R"({"kind":"APIResourceList","groupVersion":"v1","resources":[
    {"name":"configmaps","singularName":"configmap","namespaced":true,"kind":"ConfigMap","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["cm"]},
    {"name":"pods/log","singularName":"","namespaced":true,"kind":"Pod","verbs":["get"]},
    {"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["create","delete","get","list"],"shortNames":["ns"]}]})", "/api/v1");
  auto resources = parse_api_resource_list(list, "/api/v1");
  REQUIRE(resources.size() == 3);
  CHECK(resources[0].short_names == std::vector<std::string>{"cm"});
  CHECK(resources[1].is_subresource());
  CHECK_FALSE(resources[2].namespaced);

  Discovery d;
  d.add_group({"", {"v1"}, "v1", 0});
  d.add_resources("v1", resources);
  for (auto& g : groups) d.add_group(g);
  REQUIRE(d.resolve("cm"));
  CHECK(d.resolve("cm")->group_resource() == "configmaps");
  CHECK(d.resolve("ns")->namespaced == false);

  try {
    parse_api_resource_list(json::parse(R"({"resources":[{"name":"x","verbs":"get"}]})", "d"), "discovery https://h/apis/x/v1");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "discovery https://h/apis/x/v1: resources[0].verbs: expected a list of strings");
    CHECK(e.code() == ErrorCode::kube);
  }
}

TEST_CASE("Aggregated discovery: preferred first version, subresources after their resource, stale versions left out") {
  json::value doc = json::parse(R"({"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","items":[
    {"metadata":{"name":"apps"},"versions":[
      {"version":"v1","resources":[
        {"resource":"deployments","responseKind":{"group":"apps","version":"v1","kind":"Deployment"},"scope":"Namespaced",
         "singularResource":"deployment","verbs":["create","delete","get","list"],"shortNames":["deploy"],"categories":["all"],
         "subresources":[{"subresource":"scale","responseKind":{"group":"autoscaling","version":"v1","kind":"Scale"},"verbs":["get","update"]},
                         {"subresource":"status"}]},
        {"resource":"nokind","scope":"Cluster","verbs":["get"]}],"freshness":"Current"},
      {"version":"v1beta1","resources":[],"freshness":"Stale"}]},
    {"metadata":{"name":"metrics.k8s.io"},"versions":[{"version":"v1beta1","freshness":"Stale"}]}]})", "apis");
  std::vector<std::string> warnings;
  auto groups = parse_aggregated_discovery(doc, "discovery https://h/apis", warnings);
  REQUIRE(groups.size() == 1);  // metrics.k8s.io has no fresh version
  CHECK(groups[0].group.name == "apps");
  CHECK(groups[0].group.versions == std::vector<std::string>{"v1"});
  CHECK(groups[0].group.preferred_version == "v1");
  const auto& rs = groups[0].versions[0].second;
  REQUIRE(rs.size() == 2);  // the resource without responseKind and the subresource without one are skipped
  CHECK(rs[0].name == "deployments");
  CHECK(rs[0].kind == "Deployment");
  CHECK(rs[0].short_names == std::vector<std::string>{"deploy"});
  CHECK(rs[1].name == "deployments/scale");
  CHECK(rs[1].kind == "Scale");
  CHECK(rs[1].namespaced);
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0].find("apps/v1beta1") != std::string::npos);
  CHECK(warnings[1].find("metrics.k8s.io/v1beta1") != std::string::npos);
}

TEST_CASE("Resource paths: core and group, namespaced and cluster-scoped, subresources") {
  ApiResource cm{"", "v1", "configmaps", "configmap", "ConfigMap", true, {}, {}, {}};
  ApiResource deploy{"apps", "v1", "deployments", "deployment", "Deployment", true, {}, {}, {}};
  ApiResource ns{"", "v1", "namespaces", "namespace", "Namespace", false, {}, {}, {}};
  ApiResource status{"apps", "v1", "deployments/status", "", "Deployment", true, {}, {}, {}};
  CHECK(KubeClient::path(cm, "default") == "/api/v1/namespaces/default/configmaps");
  CHECK(KubeClient::path(cm, "") == "/api/v1/configmaps");  // all namespaces
  CHECK(KubeClient::path(deploy, "web", "front") == "/apis/apps/v1/namespaces/web/deployments/front");
  CHECK(KubeClient::path(ns, "ignored", "velero") == "/api/v1/namespaces/velero");
  CHECK(KubeClient::path(status, "web", "front") == "/apis/apps/v1/namespaces/web/deployments/front/status");
  CHECK(KubeClient::path(cm, "default", "a b") == "/api/v1/namespaces/default/configmaps/a%20b");
}

TEST_CASE("An unreachable server is an error naming its URL and where the configuration came from") {
  // A loopback port nobody listens on: bind, read the port, close.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(s);

  RestConfig rc;
  rc.server = "http://127.0.0.1:" + std::to_string(port);
  rc.source = "kubeconfig /tmp/k, context \"gone\"";
  rc.bearer_token = "do-not-print-me";
  KubeClient client(rc);
  try {
    client.version();
    FAIL("expected an error");
  } catch (const KubeError& e) {
    std::string m = e.what();
    CHECK(e.code() == ErrorCode::kube);
    CHECK(e.http_status() == 0);
    CHECK(contains(m, "cannot reach the Kubernetes API server http://127.0.0.1:" + std::to_string(port)));
    CHECK(contains(m, "context \"gone\""));
    CHECK_FALSE(contains(m, "do-not-print-me"));
  }
}

TEST_CASE("A server that is not a URL is refused when the client is made") {
  RestConfig rc;
  rc.server = "https://";
  rc.source = "kubeconfig /k, context \"c\"";
  CHECK_THROWS_AS(KubeClient{rc}, Error);
}
