// The test API server's fault switches of brief "s3-faults" (issue 16 "Faults, proved"):
// connectionReset, expireWatches, delay on watches and paged lists, crdNeverEstablished. Each is
// checked with the server's own loopback client, and with the real kubectl where it reads the result.
#include "kube_server/kube_server.hpp"
#include "kube_server/kubectl_runner.hpp"
#include "kube_server/loopback_client.hpp"
#include "test_helpers.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <string>
#include <thread>

using namespace vbackup;
using namespace vbackup::kubetest;
using namespace vbackup::kubetest::testing;

namespace {

json::object parse(const std::string& text) { return json::parse(text, "answer").as_object(); }

void control(LoopbackClient& c, const std::string& body) {
  auto r = c.request("POST", "/__control", body);
  REQUIRE_MESSAGE(r.status == 200, r.body);
}

// One raw request; everything the server sent until it closed (or reset) the connection, and
// whether the read ended with ECONNRESET.
struct Raw {
  std::string bytes;
  bool reset = false;
};
Raw raw_get(std::uint16_t port, const std::string& target) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n";
  REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
  Raw out;
  char buf[65536];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.bytes.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    out.reset = n < 0 && errno == ECONNRESET;
    break;
  }
  ::close(fd);
  return out;
}

std::size_t content_length(const std::string& head) {
  auto p = head.find("Content-Length: ");
  REQUIRE(p != std::string::npos);
  return std::stoul(head.substr(p + 16));
}

const std::string kCrd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
  "metadata":{"name":"gadgets.example.com"},"spec":{"group":"example.com","scope":"Namespaced",
  "names":{"plural":"gadgets","kind":"Gadget"},
  "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})";

}  // namespace

TEST_CASE("connectionReset after the headers: a promised body never comes, the connection is reset; the next request is served") {
  KubeServer server(quick());
  server.api().fill_configmaps("bench", 20, 200);
  LoopbackClient c(server.port());
  control(c, R"({"connectionReset":{"count":1,"after":"headers","resource":"configmaps","verb":"list"}})");
  CHECK(parse(c.get("/__control").body)["connectionReset"].as_object().at("after") == "headers");
  Raw r = raw_get(server.port(), "/api/v1/namespaces/bench/configmaps");
  const auto head_end = r.bytes.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  CHECK(r.bytes.starts_with("HTTP/1.1 200"));
  CHECK(content_length(r.bytes) > 0);
  CHECK(r.bytes.size() == head_end + 4);  // nothing of the body
  CHECK(r.reset);
  // Spent: the switch is off and the same list answers whole.
  CHECK(parse(c.get("/__control").body)["connectionReset"].is_null());
  auto again = c.get("/api/v1/namespaces/bench/configmaps");
  CHECK(again.status == 200);
  CHECK(parse(again.body)["items"].as_array().size() == 20);
}

TEST_CASE("connectionReset mid-body of a LIST page: half the page, then a reset; the loopback client sees a broken answer") {
  KubeServer server(quick());
  server.api().fill_configmaps("bench", 20, 200);
  LoopbackClient c(server.port());
  control(c, R"({"connectionReset":{"count":1,"after":"body","resource":"configmaps"}})");
  Raw r = raw_get(server.port(), "/api/v1/namespaces/bench/configmaps?limit=10");
  const auto head_end = r.bytes.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  const std::size_t promised = content_length(r.bytes), got = r.bytes.size() - head_end - 4;
  CHECK(got == promised / 2);
  CHECK(r.reset);
  // Another client in the same state: the answer cannot be read.
  control(c, R"({"connectionReset":{"count":1,"after":"body","resource":"configmaps"}})");
  LoopbackClient other(server.port());
  CHECK_THROWS_AS(other.get("/api/v1/namespaces/bench/configmaps?limit=10"), vbackup::Error);
  // Other resources were never hit; bad values are refused with the key named.
  CHECK(c.get("/api/v1/namespaces/bench/secrets").status == 200);
  auto bad = c.request("POST", "/__control", R"({"connectionReset":{"after":"trailer"}})");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("connectionReset.after") != std::string::npos);
}

TEST_CASE("kubectl get through a reset answer fails, and works once the switch is spent") {
  KubeServer server(quick());
  server.api().fill_configmaps("bench", 3, 10);
  LoopbackClient c(server.port());
  Kubectl kubectl(server);
  REQUIRE(kubectl("get configmaps -n bench -o name").code == 0);  // discovery cached
  control(c, R"({"connectionReset":{"count":-1,"after":"body","resource":"configmaps","verb":"list"}})");
  auto failed = kubectl("get configmaps -n bench -o name");
  CHECK(failed.code != 0);
  control(c, R"({"connectionReset":null})");
  auto ok = kubectl("get configmaps -n bench -o name");
  CHECK(ok.code == 0);
  CHECK(ok.out.find("configmap/cm-2") != std::string::npos);
}

TEST_CASE("expireWatches: an open watch gets an ERROR event with Status 410 Expired \"too old resource version\", then the stream ends") {
  KubeServer server(quick());
  LoopbackClient c(server.port());
  REQUIRE(c.request("POST", "/api/v1/namespaces/default/configmaps",
                    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}})").status == 201);
  const std::string rv = std::to_string(server.api().resource_version());
  std::vector<json::object> events;
  std::thread watcher([&] {
    LoopbackClient w(server.port());
    w.stream("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + rv, [&](std::string_view line) {
      events.push_back(parse(std::string(line)));
      return true;  // until the server ends the stream
    });
  });
  eventually([&] { return parse(c.get("/__control").body)["watchers"].as_int64() == 1; });
  REQUIRE(c.request("POST", "/api/v1/namespaces/default/configmaps",
                    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}})").status == 201);
  // Another resource's watches are left alone.
  control(c, R"({"expireWatches":"secrets"})");
  CHECK(parse(c.get("/__control").body)["watchers"].as_int64() == 1);
  control(c, R"({"expireWatches":"configmaps"})");
  watcher.join();
  REQUIRE(events.size() == 2);
  CHECK(events[0]["type"] == "ADDED");
  CHECK(events[1]["type"] == "ERROR");
  const json::object& status = events[1]["object"].as_object();
  CHECK(status.at("kind") == "Status");
  CHECK(status.at("status") == "Failure");
  CHECK(status.at("code").as_int64() == 410);
  CHECK(status.at("reason") == "Expired");
  CHECK(std::string(status.at("message").as_string()).starts_with("too old resource version: "));
  // Resuming from the first resourceVersion is refused as well: the client must list again.
  LoopbackClient w(server.port());
  std::string type;
  w.stream("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + rv, [&](std::string_view line) {
    type = std::string(parse(std::string(line))["type"].as_string());
    return false;
  });
  CHECK(type == "ERROR");
}

TEST_CASE("delay holds a watch's first bytes and every page of a paged LIST") {
  KubeServer server(quick());
  server.api().fill_configmaps("bench", 30, 100);
  LoopbackClient c(server.port());
  control(c, R"({"delay":{"milliseconds":300,"resource":"configmaps"}})");
  // A paged list: three pages, each held back.
  auto t0 = std::chrono::steady_clock::now();
  std::string cont;
  int pages = 0;
  std::size_t items = 0;
  do {
    auto r = c.get("/api/v1/namespaces/bench/configmaps?limit=10" + (cont.empty() ? "" : "&continue=" + cont));
    REQUIRE(r.status == 200);
    auto page = parse(r.body);
    items += page["items"].as_array().size();
    const json::object& md = page["metadata"].as_object();
    auto it = md.find("continue");
    cont = it != md.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
    ++pages;
  } while (!cont.empty());
  CHECK(pages == 3);
  CHECK(items == 30);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(900));
  // A watch: its ADDED events arrive only after the delay.
  t0 = std::chrono::steady_clock::now();
  LoopbackClient w(server.port());
  std::chrono::steady_clock::duration first{};
  int added = 0;
  w.stream("/api/v1/namespaces/bench/configmaps?watch=true", [&](std::string_view line) {
    if (added++ == 0) first = std::chrono::steady_clock::now() - t0;
    CHECK(parse(std::string(line))["type"] == "ADDED");
    return added < 30;
  });
  CHECK(added == 30);
  CHECK(first >= std::chrono::milliseconds(300));
}

TEST_CASE("crdNeverEstablished: NamesAccepted True, Established False (Installing), not served; kubectl wait times out; clearing establishes") {
  KubeServer server(quick());
  LoopbackClient c(server.port());
  Kubectl kubectl(server);
  control(c, R"({"crdNeverEstablished":true})");
  CHECK(parse(c.get("/__control").body)["crdNeverEstablished"] == true);
  REQUIRE(c.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", kCrd).status == 201);
  auto conditions = [&] {
    auto crd = parse(c.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com").body);
    std::map<std::string, std::string> out;
    for (const auto& cond : crd["status"].as_object().at("conditions").as_array())
      out[std::string(cond.as_object().at("type").as_string())] =
          std::string(cond.as_object().at("status").as_string()) + "/" +
          std::string(cond.as_object().at("reason").as_string());
    return out;
  };
  eventually([&] { return conditions().size() == 2; });
  CHECK(conditions()["NamesAccepted"] == "True/NoConflicts");
  CHECK(conditions()["Established"] == "False/Installing");
  CHECK(c.get("/apis/example.com/v1/namespaces/default/gadgets").status == 404);
  auto wait = kubectl("wait --for=condition=Established crd/gadgets.example.com --timeout=1s");
  CHECK(wait.code != 0);
  CHECK(kubectl("wait --for=condition=NamesAccepted crd/gadgets.example.com --timeout=5s").code == 0);
  control(c, R"({"crdNeverEstablished":null})");
  CHECK(conditions()["Established"] == "True/InitialNamesAccepted");
  CHECK(kubectl("wait --for=condition=Established crd/gadgets.example.com --timeout=5s").code == 0);
  CHECK(c.get("/apis/example.com/v1/namespaces/default/gadgets").status == 200);
}
