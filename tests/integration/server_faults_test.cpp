// API faults under `vbackup server`'s watches (issue 16 "Faults, proved", brief "s3-faults"): the
// informer and the running server against the test API server's switches: a watch ended by an
// ERROR event with 410 Expired in its middle, watches held back (slow answers), LISTs reset
// mid-page, throttled and failing. The informer must deliver every change once the faults stop
// (never a silent gap), and Backup/Restore CRs created meanwhile must still be carried out.
#include "kube_server/kube_server.hpp"
#include "kube_server/kubectl_runner.hpp"
#include "test_helpers.hpp"
#include "vbackup/server.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <thread>

using namespace vbackup;
namespace fs = std::filesystem;
using kubetest::testing::Kubectl;

namespace {

const fs::path kDemo = testing::source_root() / "examples" / "manifests";
const fs::path kVeleroCrds = testing::source_root() / "tests" / "data" / "velero";

template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return true;
}

struct Env {
  kubetest::KubeServer server;
  testing::TempDir dir{"server-faults"};
  kube::ConnectOptions connect;
  std::unique_ptr<kube::KubeClient> client;
  Kubectl kubectl;
  fs::path bucket = dir.path / "bucket";

  Env() : server(options()), kubectl(server) {
    server.write_kubeconfig(dir.path / "kubeconfig");
    connect.kubeconfig = (dir.path / "kubeconfig").string();
    connect.allow_in_cluster = false;
    client = std::make_unique<kube::KubeClient>(kube::load_rest_config(connect));
  }
  static kubetest::KubeServerOptions options() {
    kubetest::KubeServerOptions o;
    o.seed = {kDemo, kVeleroCrds};
    o.api.crd_establish_delay = std::chrono::milliseconds(20);
    return o;
  }
  void control(const std::string& body) { server.api().control(json::parse(body, "control").as_object()); }
  std::int64_t watchers() { return server.api().control_state().at("watchers").to_number<std::int64_t>(); }
  void apply(const std::string& name, const std::string& yaml) {
    kubectl.write(name, yaml);
    REQUIRE(kubectl("create -f " + name).code == 0);
  }
  std::string phase(std::string_view plural, const std::string& name) {
    auto o = client->try_get(*client->discovery().find("velero.io", plural), "velero", name);
    if (!o) return "<absent>";
    const json::object* st = json::find_object(*o, "status");
    return st ? std::string(json::get_string(*st, "phase")) : "";
  }
};

// run_server on its own thread, stopped on destruction.
struct RunningServer {
  std::stop_source stop;
  std::atomic<bool> leading{false};
  std::mutex log_mutex;
  std::vector<std::string> log;
  std::jthread thread;
  explicit RunningServer(Env& env) {
    server::ServerOptions o;
    o.connect = env.connect;
    o.metrics_address = "127.0.0.1:0";
    o.watch_timeout = std::chrono::seconds(2);
    o.leader_election.lease_duration = std::chrono::milliseconds(1500);
    o.leader_election.renew_deadline = std::chrono::milliseconds(1000);
    o.leader_election.retry_period = std::chrono::milliseconds(200);
    o.log = [this](std::string_view level, std::string_view line) {
      std::lock_guard lock(log_mutex);
      log.push_back(std::string(level) + ": " + std::string(line));
    };
    o.on_leading = [this] { leading = true; };
    thread = std::jthread([this, o] {
      try {
        server::run_server(o, stop.get_token());
      } catch (const std::exception& e) {
        std::lock_guard lock(log_mutex);
        log.push_back(std::string("run_server threw: ") + e.what());
      }
    });
  }
  ~RunningServer() {
    stop.request_stop();
    if (thread.joinable()) thread.join();
  }
  std::string logs() {
    std::lock_guard lock(log_mutex);
    std::string out;
    for (const auto& l : log) out += l + "\n";
    return out;
  }
};

}  // namespace

TEST_CASE("informer: a 410 ERROR event in the middle of a watch, slow watches and reset LISTs: every change delivered, none twice") {
  Env env;
  const ApiResource& cms = *env.client->discovery().find("", "configmaps");
  auto make = [&](const std::string& name) {
    env.client->create(cms, json::object{{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                                         {"metadata", json::object{{"name", name}, {"namespace", "default"}}}});
  };
  make("before");
  std::mutex m;
  std::vector<std::string> events;
  server::InformerOptions io;
  io.namespace_ = "default";
  io.watch_timeout = std::chrono::seconds(2);
  io.backoff_initial = std::chrono::milliseconds(50);
  io.backoff_max = std::chrono::milliseconds(400);
  server::Informer informer(*env.client, cms, io, [&](std::string_view type, const json::object& o) {
    std::lock_guard lock(m);
    events.push_back(std::string(type) + " " + std::string(json::metadata_string(o, "name")));
  });
  std::jthread t([&](std::stop_token stop) { informer.run(stop); });
  auto seen = [&](const std::string& e) {
    return wait_for([&] {
      std::lock_guard lock(m);
      return std::find(events.begin(), events.end(), e) != events.end();
    });
  };
  REQUIRE(seen("ADDED before"));

  // 410 mid-watch: the change made before the expiry and the ones after arrive; the informer
  // lists again (its resume point is too old), and a relist brings nothing twice.
  REQUIRE(wait_for([&] { return env.watchers() > 0; }));
  make("a1");
  REQUIRE(seen("ADDED a1"));
  // The next LISTs are reset mid-page and throttled: the relist after the 410 gets through anyway.
  env.control(R"({"connectionReset":{"count":2,"after":"body","resource":"configmaps","verb":"list"},
                  "throttle":{"count":1,"retryAfterSeconds":0,"resource":"configmaps","verb":"list"}})");
  env.control(R"({"expireWatches":"configmaps"})");
  env.client->remove(cms, "default", "before");
  make("a2");
  CHECK(seen("DELETED before"));
  CHECK(seen("ADDED a2"));
  CHECK(wait_for([&] { return informer.lists() >= 2; }));

  // Slow watches: each watch's first bytes held back 300 ms; changes still arrive.
  env.control(R"({"delay":{"milliseconds":300,"resource":"configmaps","verb":"watch"}})");
  env.control(R"({"endWatches":true})");
  make("slow");
  CHECK(seen("ADDED slow"));
  env.control(R"({"reset":true})");

  std::lock_guard lock(m);
  std::set<std::string> unique(events.begin(), events.end());
  INFO("events: " << [&] { std::string s; for (auto& e : events) s += e + ", "; return s; }());
  CHECK(unique.size() == events.size());
}

TEST_CASE("server: Backups and Restores created while the API server expires watches, throttles, resets and slows answers are carried out") {
  Env env;
  env.apply("bsl.yaml", "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: velero}\n"
                        "spec: {provider: file, default: true, objectStorage: {bucket: '" + env.bucket.string() + "'}}\n");
  RunningServer srv(env);
  REQUIRE(wait_for([&] { return srv.leading.load(); }));
  REQUIRE(wait_for([&] { return env.watchers() > 0; }));
  // Every watch of the server ends with 410 in its middle; its next LISTs of Backups are throttled
  // and reset; its watches come slowly; the backup's own LISTs fail once with 500.
  env.control(R"({"expireWatches":true})");
  env.control(R"({"throttle":{"count":2,"retryAfterSeconds":1,"resource":"backups.velero.io","verb":"list"},
                  "connectionReset":{"count":2,"after":"headers","resource":"backups.velero.io","verb":"list"},
                  "delay":{"milliseconds":200,"count":6,"verb":"watch"},
                  "fail":{"count":1,"code":500,"resource":"deployments.apps","verb":"list"}})");
  env.apply("backup.yaml", "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b1, namespace: velero}\n"
                           "spec: {includedNamespaces: [demo]}\n");
  bool done = wait_for([&] { return env.phase("backups", "b1") == "Completed"; }, std::chrono::seconds(60));
  INFO(srv.logs());
  REQUIRE(done);
  CHECK(fs::exists(env.bucket / "backups" / "b1" / "b1.tar.gz"));
  // The faults did reach the server's requests (every switch spent).
  auto state = env.server.api().control_state();
  CHECK(state.at("throttle").is_null());
  CHECK(state.at("connectionReset").is_null());
  CHECK(state.at("fail").is_null());
  // A second 410 while the Restore is created.
  env.control(R"({"expireWatches":"restores.velero.io"})");
  env.apply("restore.yaml", "apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: r1, namespace: velero}\n"
                            "spec: {backupName: b1, namespaceMapping: {demo: demo-r1}}\n");
  done = wait_for([&] { return env.phase("restores", "r1") == "Completed"; }, std::chrono::seconds(60));
  INFO(srv.logs());
  REQUIRE(done);
  CHECK(env.kubectl("get namespace demo-r1").code == 0);
}
