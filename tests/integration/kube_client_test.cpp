// The Kubernetes client against the real test API server (tests/support/kube-test-server, started
// as a process per test case on a free loopback port): discovery, CRUD with typed errors, paging,
// the fault switches (429 with Retry-After, 500, expired continue tokens), a CRD and its custom
// resources after Established, token, exec-plugin, TLS and client-certificate authentication.
#include "../support/test_helpers.hpp"
#include "vbackup/cluster.hpp"
#include "vbackup/kube.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using namespace vbackup;
using namespace vbackup::kube;
using namespace std::chrono_literals;

namespace {

using testing::read_file;

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

// One kube-test-server process with its own folder (port file, kubeconfig, certificates).
class Server {
 private:
  testing::TempDir tmp_{"kube-it"};
  std::unique_ptr<testing::Process> process_;

 public:
  explicit Server(std::vector<std::string> args) {
    const char* build = std::getenv("VBK_BUILD_ROOT");
    REQUIRE_MESSAGE(build, "VBK_BUILD_ROOT is not set (run through meson test)");
    fs::path exe = fs::path(build) / "tests" / "support" / "kube-test-server";
    REQUIRE_MESSAGE(fs::exists(exe), "kube-test-server was not built: " << exe);
    for (auto& a : args) {
      if (a == "{dir}") a = dir.string();
    }
    args.insert(args.begin(), exe.string());
    args.insert(args.end(), {"--port-file", (dir / "port").string(), "--write-kubeconfig", (dir / "kubeconfig").string()});
    process_ = std::make_unique<testing::Process>(args, testing::Env{}, dir / "server.log");
    for (int i = 0; i < 1000; ++i) {  // up to 20 s on a loaded machine
      if (!read_file(dir / "port").empty() && !read_file(dir / "kubeconfig").empty()) break;
      if (process_->exited()) FAIL("kube-test-server exited: " << read_file(dir / "server.log"));
      std::this_thread::sleep_for(20ms);
    }
    std::string port = read_file(dir / "port");
    REQUIRE_MESSAGE(!port.empty(), "kube-test-server did not start: " << read_file(dir / "server.log"));
    while (!port.empty() && (port.back() == '\n' || port.back() == ' ')) port.pop_back();
    this->port = port;
  }
  RestConfig config() const {
    ConnectOptions o;
    o.kubeconfig = (dir / "kubeconfig").string();
    return load_rest_config(o);
  }
  fs::path write(const std::string& name, const std::string& text, bool executable = false) const {
    return tmp_.write(name, text, executable);
  }
  // POST /__control: the fault switches.
  static void faults(KubeClient& c, const std::string& body) { c.request("POST", "/__control", body, "application/json"); }

  const fs::path dir = tmp_.path;
  std::string port;
};

ApiResource resource(KubeClient& c, std::string_view group, std::string_view plural) {
  const ApiResource* r = c.discovery().find(group, plural);
  REQUIRE_MESSAGE(r, "discovery has no " << plural << "." << group);
  return *r;
}

json::object configmap(const std::string& ns, const std::string& name, const std::string& value) {
  return json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name + R"(","namespace":")" + ns +
                         R"(","labels":{"app":"web"}},"data":{"k":")" + value + R"("}})",
                     "configmap")
      .get_object();
}

template <typename F>
KubeError kube_error(F&& f) {
  try {
    f();
  } catch (const KubeError& e) {
    return e;
  }
  FAIL("expected a KubeError");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("version, discovery, and name resolution against the server") {
  Server server({});
  KubeClient c(server.config());
  ServerVersion v = c.version();
  CHECK(v.major == "1");
  CHECK(v.minor == "33");
  CHECK(v.git_version == "v1.33.1");
  const Discovery& d = c.discovery();
  REQUIRE(d.group(""));
  REQUIRE(d.group("apps"));
  REQUIRE(d.resolve("deploy"));
  CHECK(d.resolve("deploy")->group_resource() == "deployments.apps");
  CHECK(d.resolve("cm")->group_resource() == "configmaps");
  CHECK(d.find("", "namespaces")->namespaced == false);
  CHECK(c.discovery_warnings().empty());
  // The collection order Velero would back up in (spec §1.4) starts with pods, PVCs, PVs.
  auto order = velero_collection_order(d);
  REQUIRE(order.size() > 3);
  CHECK(order[0].name == "pods");
  CHECK(c.config().namespace_ == "default");
}

TEST_CASE("aggregated discovery (apidiscovery.k8s.io/v2) gives the same Discovery as the legacy documents") {
  const char* build = std::getenv("VBK_SOURCE_ROOT");
  REQUIRE(build);
  std::string seed = (fs::path(build) / "examples" / "manifests").string();  // brings a CRD
  Server aggregated({"--seed", seed});
  Server legacy({"--seed", seed, "--no-aggregated-discovery"});
  std::vector<std::string> log_a, log_l;
  RestConfig ca = aggregated.config(), cl = legacy.config();
  ca.log = [&](std::string_view line) { log_a.emplace_back(line); };
  cl.log = [&](std::string_view line) { log_l.emplace_back(line); };
  KubeClient a(ca), l(cl);
  const Discovery& da = a.discovery();
  const Discovery& dl = l.discovery();
  CHECK(a.discovery_warnings().empty());
  REQUIRE(log_a.size() == 1);
  CHECK(contains(log_a[0], ": aggregated (apidiscovery.k8s.io/v2)"));  // two requests, not one per group version
  REQUIRE(log_l.size() == 1);
  CHECK(contains(log_l[0], ": legacy, "));
  REQUIRE(da.groups().size() == dl.groups().size());
  REQUIRE(dl.group("demo.example.com"));
  for (std::size_t i = 0; i < dl.groups().size(); ++i) {
    const ApiGroup& ga = da.groups()[i];
    const ApiGroup& gl = dl.groups()[i];
    CHECK(ga.name == gl.name);
    CHECK(ga.versions == gl.versions);
    CHECK(ga.preferred_version == gl.preferred_version);
    for (const auto& v : gl.versions) {
      std::string gv = gl.name.empty() ? v : gl.name + "/" + v;
      const auto& ra = da.resources(gv);
      const auto& rl = dl.resources(gv);
      REQUIRE_MESSAGE(ra.size() == rl.size(), gv);
      for (std::size_t k = 0; k < rl.size(); ++k) {
        INFO(gv << " " << rl[k].name);
        CHECK(ra[k].name == rl[k].name);
        CHECK(ra[k].singular == rl[k].singular);
        CHECK(ra[k].kind == rl[k].kind);
        CHECK(ra[k].namespaced == rl[k].namespaced);
        CHECK(ra[k].verbs == rl[k].verbs);
        CHECK(ra[k].short_names == rl[k].short_names);
        CHECK(ra[k].categories == rl[k].categories);
      }
    }
  }
  std::vector<std::string> oa, ol;
  for (const auto& r : velero_collection_order(da)) oa.push_back(r.group_resource());
  for (const auto& r : velero_collection_order(dl)) ol.push_back(r.group_resource());
  CHECK(oa == ol);
}

TEST_CASE("create, get, list, merge and JSON patch, update and delete, with typed errors") {
  Server server({});
  KubeClient c(server.config());
  ApiResource cms = resource(c, "", "configmaps");
  ApiResource nss = resource(c, "", "namespaces");
  c.create(nss, json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"web"}})", "ns").get_object());

  json::object created = c.create(cms, configmap("web", "one", "1"));
  CHECK(json::metadata_string(created, "uid").size() > 0);
  CHECK(json::metadata_string(created, "resourceVersion").size() > 0);
  CHECK(json::get_string(*json::find_object(c.get(cms, "web", "one"), "data"), "k") == "1");

  // AlreadyExists → ErrorCode::already_exists
  KubeError exists = kube_error([&] { c.create(cms, configmap("web", "one", "again")); });
  CHECK(exists.code() == ErrorCode::already_exists);
  CHECK(exists.reason() == Reason::already_exists);
  CHECK(exists.http_status() == 409);

  // NotFound → ErrorCode::not_found, and try_get gives nothing.
  KubeError missing = kube_error([&] { c.get(cms, "web", "nope"); });
  CHECK(missing.code() == ErrorCode::not_found);
  CHECK(contains(missing.what(), "GET " + c.config().server + "/api/v1/namespaces/web/configmaps/nope: 404 NotFound"));
  CHECK_FALSE(c.try_get(cms, "web", "nope"));

  // Invalid, with causes.
  KubeError invalid = kube_error([&] { c.create(cms, configmap("web", "Not_Valid", "x")); });
  CHECK(invalid.reason() == Reason::invalid);
  CHECK(invalid.http_status() == 422);
  REQUIRE_FALSE(invalid.causes().empty());
  CHECK(invalid.causes()[0].field == "metadata.name");

  // Merge patch and JSON patch.
  c.patch(cms, "web", "one", PatchType::merge, R"({"data":{"k":"merged","extra":"e"}})");
  json::object patched = c.patch(cms, "web", "one", PatchType::json, R"([{"op":"remove","path":"/data/extra"}])");
  CHECK(json::get_string(*json::find_object(patched, "data"), "k") == "merged");
  CHECK_FALSE(json::find_object(patched, "data")->contains("extra"));

  // Update with the current resourceVersion, then a stale one → Conflict.
  json::object current = c.get(cms, "web", "one");
  json::object stale = current;
  (*current["data"].if_object())["k"] = "updated";
  json::object updated = c.update(cms, current);
  CHECK(json::get_string(*json::find_object(updated, "data"), "k") == "updated");
  KubeError conflict = kube_error([&] { c.update(cms, stale); });
  CHECK(conflict.reason() == Reason::conflict);
  CHECK(conflict.code() == ErrorCode::kube);

  // List with a label selector passed to the server; items carry apiVersion and kind.
  c.create(cms, json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"two","namespace":"web","labels":{"app":"db"}}})", "cm").get_object());
  std::vector<std::string> names;
  ListOptions lo;
  lo.namespace_ = "web";
  lo.label_selector = "app=web";
  c.list(cms, lo, [&](json::object&& o) {
    CHECK(json::get_string(o, "apiVersion") == "v1");
    CHECK(json::get_string(o, "kind") == "ConfigMap");
    names.emplace_back(json::metadata_string(o, "name"));
  });
  CHECK(names == std::vector<std::string>{"one"});

  c.remove(cms, "web", "one");
  CHECK_FALSE(c.try_get(cms, "web", "one"));
  CHECK(kube_error([&] { c.remove(cms, "web", "one"); }).code() == ErrorCode::not_found);
}

TEST_CASE("paged LIST follows continue tokens; an expired token restarts the list without duplicates") {
  Server server({"--fill", "1234:64:bench"});
  KubeClient c(server.config());
  ApiResource cms = resource(c, "", "configmaps");
  ListOptions lo;
  lo.namespace_ = "bench";
  lo.page_size = 100;
  std::vector<std::string> names;
  c.list(cms, lo, [&](json::object&& o) { names.emplace_back(json::metadata_string(o, "name")); });
  CHECK(names.size() == 1234);
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == 1234);

  // Server-side label selector over every page: shard = n % 10.
  lo.label_selector = "shard=3";
  std::size_t shard3 = 0;
  c.list(cms, lo, [&](json::object&&) { ++shard3; });
  CHECK(shard3 == 124);  // 3, 13, …, 1233

  // Two expired continue tokens: the list restarts twice and still yields every object once.
  lo.label_selector.clear();
  Server::faults(c, R"({"expireContinue":{"count":2,"resource":"configmaps"}})");
  std::vector<std::string> again;
  c.list(cms, lo, [&](json::object&& o) { again.emplace_back(json::metadata_string(o, "name")); });
  CHECK(again.size() == 1234);
  CHECK(std::set<std::string>(again.begin(), again.end()).size() == 1234);
  CHECK(again == names);

  // Expiring for ever: after 3 restarts the 410 reaches the caller, typed.
  Server::faults(c, R"({"expireContinue":{"count":-1,"resource":"configmaps"}})");
  KubeError gone = kube_error([&] { c.list(cms, lo, [](json::object&&) {}); });
  CHECK(gone.http_status() == 410);
  CHECK(gone.reason() == Reason::expired);
}

TEST_CASE("429 with Retry-After is retried after the delay the server asks; 500 is retried; exhausted retries are typed") {
  Server server({"--fill", "10:16:bench"});
  std::mutex m;
  std::vector<std::string> log;
  RestConfig rc = server.config();
  rc.log = [&](std::string_view line) {
    std::lock_guard lock(m);
    if (line.rfind("http: ", 0) == 0) log.emplace_back(line);  // the HTTP layer's retries only
  };
  KubeClient c(rc);
  ApiResource cms = resource(c, "", "configmaps");
  ListOptions lo;
  lo.namespace_ = "bench";

  Server::faults(c, R"({"throttle":{"count":2,"retryAfterSeconds":1,"resource":"configmaps","verb":"list"}})");
  std::size_t n = 0;
  c.list(cms, lo, [&](json::object&&) { ++n; });
  CHECK(n == 10);
  {
    std::lock_guard lock(m);
    // Only the throttled LIST's retries: on a loaded machine another request may log a retry too.
    std::vector<std::string> throttled;
    for (const auto& line : log) {
      if (contains(line, "configmaps?limit=")) throttled.push_back(line);
    }
    REQUIRE(throttled.size() == 2);
    for (const auto& line : throttled) {
      CHECK(contains(line, "429"));
      CHECK(contains(line, "Retry-After 1"));
      CHECK(contains(line, "in 1000 ms"));  // the server's delay, not a shorter backoff
    }
    log.clear();
  }

  // 429 on a create (not idempotent) is retried too: the server did not act on it.
  Server::faults(c, R"({"throttle":{"count":1,"retryAfterSeconds":0,"resource":"configmaps","verb":"create"}})");
  c.create(cms, configmap("bench", "after-429", "x"));
  CHECK(c.try_get(cms, "bench", "after-429"));

  Server::faults(c, R"({"fail":{"count":2,"code":500,"resource":"configmaps","verb":"get"}})");
  CHECK(json::metadata_string(c.get(cms, "bench", "cm-1"), "name") == "cm-1");
  {
    std::lock_guard lock(m);
    std::size_t ours = 0;
    for (const auto& line : log) ours += contains(line, "/namespaces/bench/configmaps");
    CHECK(ours == 3);  // the create's 429, then two 500s
  }

  Server::faults(c, R"({"throttle":{"count":-1,"retryAfterSeconds":0,"resource":"configmaps"}})");
  KubeError tmr = kube_error([&] { c.get(cms, "bench", "cm-1"); });
  CHECK(tmr.reason() == Reason::too_many_requests);
  CHECK(tmr.http_status() == 429);
  REQUIRE(tmr.retry_after());
  CHECK(tmr.retry_after()->count() == 0);
  Server::faults(c, R"({"reset":true})");

  // A server slower than the client's timeout: retried, then an error naming the URL.
  RestConfig impatient = server.config();
  impatient.timeout = 200ms;
  KubeClient quick(impatient);
  Server::faults(c, R"({"delay":{"milliseconds":3000,"count":-1,"resource":"configmaps","verb":"get"}})");
  KubeError slow = kube_error([&] { quick.get(cms, "bench", "cm-1"); });
  CHECK(slow.http_status() == 0);
  CHECK(contains(slow.what(), "cannot reach the Kubernetes API server " + c.config().server));
  CHECK(contains(slow.what(), "/api/v1/namespaces/bench/configmaps/cm-1"));
  Server::faults(c, R"({"reset":true})");

  Server::faults(c, R"({"unreadable":[{"resource":"secrets","code":403}]})");
  KubeError forbidden = kube_error([&] { c.list(resource(c, "", "secrets"), lo, [](json::object&&) {}); });
  CHECK(forbidden.reason() == Reason::forbidden);
}

TEST_CASE("a CRD, then its custom resources once it is Established") {
  Server server({"--crd-delay-ms", "300"});
  KubeClient c(server.config());
  ApiResource crds = resource(c, "apiextensions.k8s.io", "customresourcedefinitions");
  c.create(crds, json::parse(R"({
    "apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"widgets.example.com"},
    "spec":{"group":"example.com","scope":"Namespaced",
      "names":{"plural":"widgets","singular":"widget","kind":"Widget","shortNames":["wd"]},
      "versions":[{"name":"v1","served":true,"storage":true,
        "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})", "crd").get_object());
  wait_for_crd_established(c, "widgets.example.com", 30s);
  // Discovery was refreshed: the short name resolves.
  REQUIRE(c.discovery().resolve("wd"));
  ApiResource widgets = *c.discovery().resolve("wd");
  CHECK(widgets.group_resource() == "widgets.example.com");
  for (int i = 0; i < 3; ++i) {
    c.create(widgets, json::parse(R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w)" + std::to_string(i) +
                                      R"(","namespace":"default"},"spec":{"size":)" + std::to_string(i) + "}}", "cr").get_object());
  }
  std::vector<std::string> names;
  c.list(widgets, {}, [&](json::object&& o) {
    CHECK(json::get_string(o, "kind") == "Widget");
    names.emplace_back(json::metadata_string(o, "name"));
  });
  CHECK(names == std::vector<std::string>{"w0", "w1", "w2"});
  c.patch(widgets, "default", "w1", PatchType::merge, R"({"spec":{"size":42}})");
  CHECK(json::find_object(c.get(widgets, "default", "w1"), "spec")->at("size").as_int64() == 42);
  c.remove(widgets, "default", "w2");
  CHECK_FALSE(c.try_get(widgets, "default", "w2"));
  // A CRD that never appears: a clear error naming it.
  std::string msg;
  try {
    wait_for_crd_established(c, "gadgets.example.com", 300ms);
  } catch (const Error& e) {
    msg = e.what();
  }
  CHECK(contains(msg, "CustomResourceDefinition \"gadgets.example.com\""));
  CHECK(contains(msg, "not found"));
}

TEST_CASE("the ClusterSource of a live cluster lists and gets through the client") {
  // Every answer gzip-encoded (the client sends Accept-Encoding: gzip, as client-go does).
  Server server({"--fill", "30:16:bench", "--gzip-threshold", "1"});
  KubeClient c(server.config());
  auto source = open_cluster_source(c);
  CHECK(source->describe() == c.config().server);
  CHECK(source->server_version()->git_version == "v1.33.1");
  const ApiResource* cms = source->discovery().find("", "configmaps");
  REQUIRE(cms);
  ListOptions lo;
  lo.namespace_ = "bench";
  lo.page_size = 7;
  std::size_t n = 0;
  source->list(*cms, lo, [&](json::object&&) { ++n; });
  CHECK(n == 30);
  CHECK(source->get(*cms, "bench", "cm-3"));
  CHECK_FALSE(source->get(*cms, "bench", "cm-300"));
  CHECK(source->warnings().empty());

  // A source that owns its client, made from the connection options alone.
  auto owning = open_cluster_source(server.config());
  std::size_t m = 0;
  owning->list(*owning->discovery().find("", "configmaps"), lo, [&](json::object&&) { ++m; });
  CHECK(m == 30);
}

TEST_CASE("bearer token authentication: right, wrong and missing tokens") {
  Server server({"--token", "s3cret-token"});
  KubeClient good(server.config());
  CHECK(good.version().major == "1");
  ApiResource cms = resource(good, "", "configmaps");
  good.list(cms, {}, [](json::object&&) {});

  RestConfig wrong = server.config();
  wrong.bearer_token = "not-the-token";
  KubeClient bad(wrong);
  KubeError e = kube_error([&] { bad.get(cms, "default", "x"); });
  CHECK(e.reason() == Reason::unauthorized);
  CHECK(e.http_status() == 401);
  CHECK_FALSE(contains(e.what(), "not-the-token"));

  RestConfig none = server.config();
  none.bearer_token.clear();
  KubeClient anonymous(none);
  CHECK(kube_error([&] { anonymous.get(cms, "default", "x"); }).reason() == Reason::forbidden);
}

TEST_CASE("a rotated token file is read again after a 401; basic auth") {
  Server server({"--token", "rotated-token", "--basic-auth", "alice:wonderland"});
  fs::path token = server.write("token", "old-token\n");
  std::string url = "http://127.0.0.1:" + server.port;
  fs::path kc = server.write("tf-kubeconfig", "clusters:\n- name: c\n  cluster: {server: '" + url +
                                                  "'}\nusers:\n- name: u\n  user: {tokenFile: token}\n- name: b\n  user: {username: alice, password: wonderland}\n"
                                                  "contexts:\n- name: c\n  context: {cluster: c, user: u}\n- name: b\n  context: {cluster: c, user: b}\ncurrent-context: c\n");
  ConnectOptions o;
  o.kubeconfig = kc.string();
  KubeClient c(load_rest_config(o));  // holds "old-token"
  server.write("token", "rotated-token\n");  // the kubelet rotates the projected token
  CHECK(c.version().major == "1");           // 401, file read again, request repeated
  o.context = "b";
  KubeClient basic(load_rest_config(o));
  CHECK(basic.version().major == "1");
}

TEST_CASE("exec credential plugin: cached until it expires, run again once on a 401") {
  Server server({"--token", "fresh-token"});
  // The plugin's first answer is a stale token (the server refuses it); later answers are good.
  fs::path plugin = server.write("plugin.sh", R"(#!/bin/sh
d=$(dirname "$0")
n=$(cat "$d/runs" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$d/runs"
if [ "$n" = 1 ]; then t=stale-token; else t=fresh-token; fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2099-01-01T00:00:00Z"}}' "$t"
)", true);
  std::string url = "http://127.0.0.1:" + server.port;
  fs::path kubeconfig = server.write("exec-kubeconfig", "clusters:\n- name: c\n  cluster: {server: '" + url +
                                                            "'}\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                                            "      command: ./plugin.sh\n      interactiveMode: Never\n"
                                                            "contexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n");
  ConnectOptions o;
  o.kubeconfig = kubeconfig.string();
  KubeClient c(load_rest_config(o));
  CHECK(c.version().git_version == "v1.33.1");  // 401 with the stale token → plugin again → 200
  CHECK(c.exec_runs() == 2);
  ApiResource cms = resource(c, "", "configmaps");
  for (int i = 0; i < 5; ++i) c.try_get(cms, "default", "x");
  CHECK(c.exec_runs() == 2);  // cached: the credential has not expired
  CHECK(read_file(server.dir / "runs") == "2\n");

  // A plugin whose every token is refused: one more run, then the 401 reaches the caller.
  server.write("plugin.sh", R"(#!/bin/sh
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"always-wrong"}}'
)", true);
  KubeClient refused(load_rest_config(o));
  KubeError e = kube_error([&] { refused.version(); });
  CHECK(e.reason() == Reason::unauthorized);
  CHECK(refused.exec_runs() == 2);

  // A credential past its expirationTimestamp is not used again: the plugin runs before each request.
  server.write("plugin.sh", R"(#!/bin/sh
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"fresh-token","expirationTimestamp":"2020-01-01T00:00:00Z"}}'
)", true);
  KubeClient expiring(load_rest_config(o));
  for (int i = 0; i < 3; ++i) expiring.version();
  CHECK(expiring.exec_runs() == 3);
}

TEST_CASE("TLS: the server CA from the kubeconfig; a failed verification names the CA used") {
  Server server({"--tls", "--cert-dir", "{dir}"});
  KubeClient c(server.config());  // the kubeconfig the server wrote embeds its CA as data
  CHECK(c.config().server.rfind("https://", 0) == 0);
  CHECK(c.version().major == "1");
  const std::string url = c.config().server;

  auto kubeconfig_with = [&](const std::string& name, const std::string& cluster_extra) {
    fs::path p = server.write(name, "clusters:\n- name: c\n  cluster:\n    server: " + url + "\n" + cluster_extra +
                                        "contexts:\n- name: c\n  context: {cluster: c}\ncurrent-context: c\n");
    ConnectOptions o;
    o.kubeconfig = p.string();
    return load_rest_config(o);
  };
  // certificate-authority as a file, relative to the kubeconfig.
  KubeClient from_file(kubeconfig_with("ca-file", "    certificate-authority: ca.crt\n"));
  CHECK(from_file.version().major == "1");
  KubeClient insecure(kubeconfig_with("insecure", "    insecure-skip-tls-verify: true\n"));
  CHECK(insecure.version().major == "1");

  // The system store does not know the test CA.
  KubeClient system(kubeconfig_with("system", ""));
  KubeError e = kube_error([&] { system.version(); });
  CHECK(e.code() == ErrorCode::kube);
  CHECK(contains(e.what(), url));
  CHECK(contains(e.what(), "checked against the system trust store"));
  // A CA file that did not sign the server's certificate: the message names the file.
  KubeClient wrong(kubeconfig_with("wrong-ca", "    certificate-authority: client.crt\n"));
  KubeError w = kube_error([&] { wrong.version(); });
  CHECK(contains(w.what(), "checked against certificate-authority file " + (server.dir / "client.crt").string()));
}

TEST_CASE("client certificate authentication over TLS") {
  Server server({"--tls", "--require-client-cert", "--cert-dir", "{dir}"});
  RestConfig rc = server.config();  // client-certificate-data and client-key-data
  REQUIRE_FALSE(rc.client_cert_pem.empty());
  KubeClient c(rc);
  ApiResource cms = resource(c, "", "configmaps");
  c.create(cms, configmap("default", "tls-made", "x"));
  CHECK(c.try_get(cms, "default", "tls-made"));
  // From files, as kubeconfigs written by kubeadm have them.
  fs::path p = server.write("files", "clusters:\n- name: c\n  cluster: {server: '" + rc.server +
                                         "', certificate-authority: ca.crt}\nusers:\n- name: u\n  user: {client-certificate: client.crt, "
                                         "client-key: client.key}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n");
  ConnectOptions o;
  o.kubeconfig = p.string();
  KubeClient files(load_rest_config(o));
  CHECK(files.version().major == "1");
  // Without a certificate the handshake fails, and the error says where the server is.
  rc.client_cert_pem.clear();
  rc.client_key_pem.clear();
  KubeClient without(rc);
  KubeError e = kube_error([&] { without.version(); });
  CHECK(e.http_status() == 0);
  CHECK(contains(e.what(), rc.server));
}
