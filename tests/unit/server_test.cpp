// `vbackup server` in process (brief i13-server): watch and the informer against the test API
// server (bookmarks, a watch ended, 410 → relist), Backup and Restore CRs created with the real
// kubectl and carried out by run_server, FailedValidation, the start-up sweep of InProgress CRs,
// a stop in the middle of a backup, leader election on a Lease, and the metrics endpoint parsed.
#include "kube_server/kube_server.hpp"
#include "kube_server/kubectl_runner.hpp"
#include "test_helpers.hpp"
#include "vbackup/location.hpp"
#include "vbackup/server.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <regex>
#include <thread>

using namespace vbackup;
namespace fs = std::filesystem;
using kubetest::testing::Kubectl;

namespace {

const fs::path kDemo = testing::source_root() / "examples" / "manifests";
const fs::path kVeleroCrds = testing::source_root() / "tests" / "data" / "velero";

template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return true;
}

// A test API server with the demo application and Velero's CRDs, a file bucket as its default
// BackupStorageLocation (created with kubectl), and a client.
struct Env {
  kubetest::KubeServer server;
  testing::TempDir dir{"server-test"};
  kube::ConnectOptions connect;
  std::unique_ptr<kube::KubeClient> client;
  Kubectl kubectl;
  fs::path bucket = dir.path / "bucket";

  explicit Env(std::vector<fs::path> seed = {kDemo, kVeleroCrds}) : server(options(std::move(seed))), kubectl(server) {
    server.write_kubeconfig(dir.path / "kubeconfig");
    connect.kubeconfig = (dir.path / "kubeconfig").string();
    connect.allow_in_cluster = false;
    client = std::make_unique<kube::KubeClient>(kube::load_rest_config(connect));
  }
  static kubetest::KubeServerOptions options(std::vector<fs::path> seed) {
    kubetest::KubeServerOptions o;
    o.seed = std::move(seed);
    o.api.crd_establish_delay = std::chrono::milliseconds(20);
    return o;
  }
  void apply(const std::string& name, const std::string& yaml) {
    kubectl.write(name, yaml);
    auto r = kubectl("create -f " + name);
    REQUIRE(r.code == 0);
  }
  void default_location() {
    apply("bsl.yaml", "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: velero}\n"
                      "spec: {provider: file, default: true, objectStorage: {bucket: '" + bucket.string() + "'}}\n");
  }
  const ApiResource& resource(std::string_view group, std::string_view plural) {
    const ApiResource* r = client->discovery().find(group, plural);
    REQUIRE(r);
    return *r;
  }
  std::optional<json::object> cr(std::string_view plural, const std::string& name) {
    return client->try_get(resource("velero.io", plural), "velero", name);
  }
  std::string phase(std::string_view plural, const std::string& name) {
    auto o = cr(plural, name);
    if (!o) return "<absent>";
    const json::object* st = json::find_object(*o, "status");
    return st ? std::string(json::get_string(*st, "phase")) : "";
  }
  std::string status_field(std::string_view plural, const std::string& name, std::string_view field) {
    auto o = cr(plural, name);
    const json::object* st = o ? json::find_object(*o, "status") : nullptr;
    if (!st || !st->contains(field)) return "";
    return json::marshal((*st).at(field));
  }
};

// run_server on its own thread, stopped (and joined) on destruction.
struct RunningServer {
  std::stop_source stop;
  std::atomic<int> port{0};
  std::atomic<bool> leading{false};
  std::exception_ptr error;
  std::mutex log_mutex;
  std::vector<std::string> log;
  std::jthread thread;
  RunningServer(Env& env, std::string identity = {}, std::chrono::milliseconds lease = std::chrono::milliseconds(1500)) {
    server::ServerOptions o;
    o.connect = env.connect;
    o.metrics_address = "127.0.0.1:0";
    o.watch_timeout = std::chrono::seconds(1);
    o.leader_election.identity = identity;
    o.leader_election.lease_duration = lease;
    o.leader_election.renew_deadline = lease * 2 / 3;
    o.leader_election.retry_period = std::chrono::milliseconds(200);
    o.log = [this](std::string_view level, std::string_view line) {
      std::lock_guard lock(log_mutex);
      log.push_back(std::string(level) + ": " + std::string(line));
    };
    o.on_listening = [this](int p) { port = p; };
    o.on_leading = [this] { leading = true; };
    thread = std::jthread([this, o] {
      try {
        server::run_server(o, stop.get_token());
      } catch (...) {
        error = std::current_exception();
      }
    });
  }
  ~RunningServer() { halt(); }
  void halt() {
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

// GET on 127.0.0.1:port with a plain socket: status line and body.
std::pair<int, std::string> http_get(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) resp.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  int status = std::stoi(resp.substr(9, 3));
  auto body = resp.find("\r\n\r\n");
  return {status, body == std::string::npos ? "" : resp.substr(body + 4)};
}

}  // namespace

TEST_CASE("watch: ADDED, MODIFIED, DELETED and BOOKMARK events, a 410 thrown for a compacted history") {
  Env env;
  const ApiResource& cms = env.resource("", "configmaps");
  json::object cm{{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                  {"metadata", json::object{{"name", "w1"}, {"namespace", "default"}}}, {"data", json::object{{"a", "1"}}}};
  json::object created = env.client->create(cms, cm);
  const std::string rv0(json::metadata_string(created, "resourceVersion"));
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    env.client->patch(cms, "default", "w1", kube::PatchType::merge, R"({"data":{"a":"2"}})");
    env.server.api().control(json::object{{"bookmark", true}});
    env.client->remove(cms, "default", "w1");
  });
  std::vector<std::string> types;
  kube::WatchOptions wo;
  wo.namespace_ = "default";
  wo.resource_version = rv0;
  wo.timeout = std::chrono::seconds(5);
  bool ended = env.client->watch(cms, wo, [&](kube::WatchEvent&& e) {
    types.push_back(e.type);
    if (e.type != "BOOKMARK") CHECK(json::metadata_string(e.object, "name") == "w1");
    CHECK(json::get_string(e.object, "kind") == "ConfigMap");
    return e.type != "DELETED";
  });
  writer.join();
  CHECK_FALSE(ended);  // on_event returned false
  CHECK(types == std::vector<std::string>{"MODIFIED", "BOOKMARK", "DELETED"});

  // etcd compacted: resuming from an old resourceVersion is 410 Expired, thrown.
  env.client->create(cms, json::object{{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                                       {"metadata", json::object{{"name", "w2"}, {"namespace", "default"}}}});
  env.server.api().control(json::object{{"compactWatchHistory", true}});
  try {
    env.client->watch(cms, wo, [](kube::WatchEvent&&) { return true; });
    FAIL("no 410");
  } catch (const kube::KubeError& e) {
    CHECK(e.http_status() == 410);
    CHECK(std::string(e.what()).find("too old resource version") != std::string::npos);
  }
}

TEST_CASE("informer: list then watch, resumes when the watch ends, relists on 410 Expired") {
  Env env;
  const ApiResource& cms = env.resource("", "configmaps");
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
  server::Informer informer(*env.client, cms, io, [&](std::string_view type, const json::object& o) {
    std::lock_guard lock(m);
    events.push_back(std::string(type) + " " + std::string(json::metadata_string(o, "name")));
  });
  std::jthread t([&](std::stop_token stop) { informer.run(stop); });
  auto seen = [&](const std::string& e) {
    return wait_for([&] {
      std::lock_guard lock(m);
      return std::find(events.begin(), events.end(), e) != events.end();
    }, std::chrono::seconds(10));
  };
  CHECK(seen("ADDED before"));
  CHECK(informer.synced());
  make("during");
  CHECK(seen("ADDED during"));
  // The API server ends every watch: the informer resumes from its resourceVersion, no relist.
  REQUIRE(wait_for([&] { return env.server.api().control_state().at("watchers").to_number<std::int64_t>() > 0; }));
  env.server.api().control(json::object{{"endWatches", true}});
  make("after-end");
  CHECK(seen("ADDED after-end"));
  CHECK(informer.lists() == 1);
  // Now a change while no watch runs, and the history compacted: the resume gets 410 and the
  // informer lists again, delivering what it missed (a deletion included).
  REQUIRE(wait_for([&] { return env.server.api().control_state().at("watchers").to_number<std::int64_t>() > 0; }));
  env.server.api().control(json::object{{"fail", json::object{{"count", 3}, {"code", 403}, {"verb", "watch"}, {"resource", "configmaps"}}}});
  env.server.api().control(json::object{{"endWatches", true}});
  env.client->remove(cms, "default", "before");
  make("missed");
  env.server.api().control(json::object{{"compactWatchHistory", true}});
  CHECK(seen("ADDED missed"));
  CHECK(seen("DELETED before"));
  CHECK(informer.lists() >= 2);
}

TEST_CASE("server: a Backup and a Restore created with kubectl are carried out (Completed, files in the bucket)") {
  Env env;
  env.default_location();
  RunningServer srv(env);
  REQUIRE(wait_for([&] { return srv.leading.load(); }));
  env.apply("backup.yaml", "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b1, namespace: velero}\n"
                           "spec: {includedNamespaces: [demo]}\n");
  bool done = wait_for([&] { return env.phase("backups", "b1") == "Completed"; });
  INFO(srv.logs());
  REQUIRE(done);
  CHECK(fs::exists(env.bucket / "backups" / "b1" / "velero-backup.json"));
  CHECK(fs::exists(env.bucket / "backups" / "b1" / "b1.tar.gz"));
  CHECK(env.status_field("backups", "b1", "completionTimestamp") != "");

  env.apply("restore.yaml", "apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: r1, namespace: velero}\n"
                            "spec: {backupName: b1, namespaceMapping: {demo: demo-r1}}\n");
  done = wait_for([&] { return env.phase("restores", "r1") == "Completed"; });
  INFO(srv.logs() << env.status_field("restores", "r1", "failureReason"));
  REQUIRE(done);
  CHECK(env.kubectl("get namespace demo-r1").code == 0);
  CHECK(fs::exists(env.bucket / "restores" / "r1"));

  // Metrics: Velero's names, the schedule label (empty for an on-demand backup).
  auto [status, body] = http_get(srv.port, "/metrics");
  CHECK(status == 200);
  CHECK(body.find("velero_backup_attempt_total{schedule=\"\"} 1\n") != std::string::npos);
  CHECK(body.find("velero_backup_success_total{schedule=\"\"} 1\n") != std::string::npos);
  CHECK(body.find("velero_backup_duration_seconds_count{schedule=\"\"} 1\n") != std::string::npos);
  CHECK(body.find("velero_restore_success_total{schedule=\"\"} 1\n") != std::string::npos);
  CHECK(http_get(srv.port, "/healthz").first == 200);
  CHECK(http_get(srv.port, "/readyz").first == 200);
  CHECK(http_get(srv.port, "/nothing").first == 404);
}

TEST_CASE("backup_controller.go: an invalid Backup and one naming no existing location end FailedValidation with the reasons") {
  Env env;
  env.default_location();
  RunningServer srv(env);
  env.apply("bad.yaml", "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: bad, namespace: velero}\n"
                        "spec: {includedNamespaces: [demo], labelSelector: {matchLabels: {a: b}}, "
                        "orLabelSelectors: [{matchLabels: {c: d}}]}\n");
  env.apply("noloc.yaml", "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: noloc, namespace: velero}\n"
                          "spec: {storageLocation: elsewhere}\n");
  env.apply("r.yaml", "apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: r-none, namespace: velero}\n"
                      "spec: {backupName: missing}\n");
  bool done = wait_for([&] {
    return env.phase("backups", "bad") == "FailedValidation" && env.phase("backups", "noloc") == "FailedValidation" &&
           env.phase("restores", "r-none") == "FailedValidation";
  });
  INFO(srv.logs());
  REQUIRE(done);
  CHECK(env.status_field("backups", "bad", "validationErrors").find("encountered labelSelector as well as orLabelSelectors") !=
        std::string::npos);
  CHECK(env.status_field("backups", "noloc", "validationErrors") ==
        R"(["error getting backup storage location: backupstoragelocations.velero.io \"elsewhere\" not found"])");
  CHECK(env.status_field("restores", "r-none", "validationErrors") ==
        R"(["Error retrieving backup: backups.velero.io \"missing\" not found"])");
  CHECK_FALSE(fs::exists(env.bucket / "backups" / "bad"));
  auto [status, body] = http_get(srv.port, "/metrics");
  CHECK(body.find("velero_backup_validation_failure_total{schedule=\"\"} 2\n") != std::string::npos);
  CHECK(body.find("velero_restore_validation_failed_total{schedule=\"\"} 1\n") != std::string::npos);
}

TEST_CASE("server.go markInProgressCRsFailed: Backups and Restores left InProgress become Failed at start") {
  Env env;
  env.apply("stale.yaml",
            "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: stale, namespace: velero}\nspec: {}\n"
            "status: {phase: InProgress}\n---\n"
            "apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: stale-r, namespace: velero}\n"
            "spec: {backupName: stale}\nstatus: {phase: InProgress}\n---\n"
            "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: done, namespace: velero}\nspec: {}\n"
            "status: {phase: Completed}\n");
  auto changed = server::mark_in_progress_failed(*env.client, "velero");
  CHECK(changed == std::vector<std::string>{"backups/stale", "restores/stale-r"});
  CHECK(env.phase("backups", "stale") == "Failed");
  CHECK(env.status_field("backups", "stale", "failureReason") ==
        R"("found a backup with status \"InProgress\" during the server starting, mark it as \"Failed\"")");
  CHECK(env.status_field("restores", "stale-r", "failureReason") ==
        R"("found a restore with status \"InProgress\" during the server starting, mark it as \"Failed\"")");
  CHECK(env.phase("backups", "done") == "Completed");
}

TEST_CASE("graceful shutdown: a stop in the middle of a large backup leaves it Failed and nothing visible") {
  Env env;
  env.server.api().fill_configmaps("big", 3000, 4096);
  env.default_location();
  auto srv = std::make_unique<RunningServer>(env);
  REQUIRE(wait_for([&] { return srv->leading.load(); }));
  // Every answer held back a little, so the backup is surely running when the stop comes.
  env.server.api().control(json::object{{"delay", json::object{{"milliseconds", 20}, {"count", -1}}}});
  env.apply("big.yaml", "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: big, namespace: velero}\n"
                        "spec: {includedNamespaces: [big]}\n");
  REQUIRE(wait_for([&] { return env.phase("backups", "big") == "InProgress"; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  srv->halt();
  env.server.api().control(json::object{{"delay", nullptr}});
  INFO(srv->logs());
  CHECK(env.phase("backups", "big") == "Failed");
  CHECK_FALSE(fs::exists(env.bucket / "backups" / "big" / "velero-backup.json"));
  // The Lease was released: its holder is empty.
  auto lease = env.client->get(env.resource("coordination.k8s.io", "leases"), "velero", "vbackup-server");
  CHECK(json::get_string(*json::find_object(lease, "spec"), "holderIdentity") == "");
}

TEST_CASE("leaderelection: only the holder of the Lease acts; when it stops, the other takes over") {
  Env env;
  env.default_location();
  auto a = std::make_unique<RunningServer>(env, "server-a");
  REQUIRE(wait_for([&] { return a->leading.load(); }));
  RunningServer b(env, "server-b");
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  CHECK_FALSE(b.leading.load());
  auto lease = env.client->get(env.resource("coordination.k8s.io", "leases"), "velero", "vbackup-server");
  const json::object& spec = *json::find_object(lease, "spec");
  CHECK(json::get_string(spec, "holderIdentity") == "server-a");
  CHECK(spec.at("leaseDurationSeconds").as_int64() == 2);  // 1.5 s rounded up to whole seconds
  CHECK(std::regex_match(std::string(json::get_string(spec, "renewTime")),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")));
  // The standby's metrics server answers, but it is not ready and runs nothing.
  CHECK(http_get(b.port, "/healthz").first == 200);
  CHECK(http_get(b.port, "/readyz").first == 503);
  a.reset();  // stops and releases the Lease
  REQUIRE(wait_for([&] { return b.leading.load(); }, std::chrono::seconds(5)));
  env.apply("b2.yaml", "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b2, namespace: velero}\n"
                       "spec: {includedNamespaces: [demo]}\n");
  INFO(b.logs());
  CHECK(wait_for([&] { return env.phase("backups", "b2") == "Completed"; }));
}

TEST_CASE("leaderelection: an expired Lease of a holder that died is taken over; a live one is not") {
  Env env;
  server::LeaderElectionOptions o;
  o.lease_duration = std::chrono::milliseconds(1000);
  o.identity = "dead";
  server::LeaderElector dead(*env.client, o);
  REQUIRE(dead.try_acquire_or_renew());
  o.identity = "alive";
  server::LeaderElector alive(*env.client, o);
  CHECK_FALSE(alive.try_acquire_or_renew());  // held and not expired
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  CHECK(alive.try_acquire_or_renew());  // the dead holder never renewed: expired
  auto lease = env.client->get(env.resource("coordination.k8s.io", "leases"), "velero", "vbackup-server");
  CHECK(json::get_string(*json::find_object(lease, "spec"), "holderIdentity") == "alive");
  CHECK(json::find_object(lease, "spec")->at("leaseTransitions").as_int64() == 1);
  CHECK_FALSE(dead.try_acquire_or_renew());
}

TEST_CASE("metrics: the exposition parses as the Prometheus text format 0.0.4, with Velero's names") {
  server::Metrics m;
  m.backup_attempt("daily");
  m.backup_success("daily");
  m.backup_duration("daily", 90);
  m.backup_attempt("we\"ird\\");
  m.restore_attempt("");
  const std::string text = m.exposition();
  // The format's grammar: comments (# HELP name text / # TYPE name type) and samples
  // name{label="value",...} value, label values escaping \ " and newline.
  const std::regex help(R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*)");
  const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? ([-+]?[0-9.eE+-]+|\+Inf|-Inf|NaN))");
  std::map<std::string, std::string> types;
  std::map<std::string, double> samples;
  std::istringstream in(text);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    std::smatch mm;
    if (std::regex_match(line, mm, type)) {
      CHECK_FALSE(types.contains(mm[1]));  // one TYPE per family
      types[mm[1]] = mm[2];
    } else if (!std::regex_match(line, help)) {
      INFO(line);
      REQUIRE(std::regex_match(line, mm, sample));
      samples[line.substr(0, line.rfind(' '))] = std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  CHECK(lines > 40);
  CHECK(text.back() == '\n');
  CHECK(types["velero_backup_attempt_total"] == "counter");
  CHECK(types["velero_backup_duration_seconds"] == "histogram");
  CHECK(types["velero_backup_last_successful_timestamp"] == "gauge");
  CHECK(types["velero_restore_failed_total"] == "counter");
  CHECK(samples[R"(velero_backup_attempt_total{schedule="daily"})"] == 1);
  CHECK(samples[R"(velero_backup_attempt_total{schedule="we\"ird\\"})"] == 1);
  CHECK(samples[R"(velero_restore_attempt_total{schedule=""})"] == 1);
  // 90 s falls in the 5 minute bucket and above, not in the 1 minute one.
  CHECK(samples[R"(velero_backup_duration_seconds_bucket{schedule="daily",le="60"})"] == 0);
  CHECK(samples[R"(velero_backup_duration_seconds_bucket{schedule="daily",le="300"})"] == 1);
  CHECK(samples[R"(velero_backup_duration_seconds_bucket{schedule="daily",le="+Inf"})"] == 1);
  CHECK(samples[R"(velero_backup_duration_seconds_sum{schedule="daily"})"] == 90);
}
