// `vbackup server` with all of Velero's controllers (add_velero_controllers), in process against the
// test API server with Velero's CRDs and a file bucket, every CR created with the real kubectl:
// a Schedule makes its backups (spec §4.4), a ServerStatusRequest is answered, a
// DeleteBackupRequest deletes a backup (spec §3.3), an expired backup is collected (§3.2), and a
// backup whose CR was removed comes back from the bucket at the next sync (§3.1).
#include "kube_server/kube_server.hpp"
#include "kube_server/kubectl_runner.hpp"
#include "test_helpers.hpp"
#include "vbackup/server.hpp"

#include <doctest/doctest.h>

#include <regex>
#include <thread>

using namespace vbackup;
namespace fs = std::filesystem;

namespace {

struct World {
  kubetest::KubeServer api;
  testing::TempDir dir{"server-controllers"};
  kubetest::testing::Kubectl kubectl{api};
  fs::path bucket = dir.path / "bucket";
  std::unique_ptr<kube::KubeClient> client;
  std::stop_source stop;
  std::mutex mutex;
  std::string log;
  std::jthread thread;

  World() : api(seeded()) {
    api.write_kubeconfig(dir.path / "kubeconfig");
    kube::ConnectOptions connect;
    connect.kubeconfig = (dir.path / "kubeconfig").string();
    connect.allow_in_cluster = false;
    client = std::make_unique<kube::KubeClient>(kube::load_rest_config(connect));
    create("bsl.yaml", "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: velero}\n"
                       "spec: {provider: file, default: true, objectStorage: {bucket: '" + bucket.string() + "'}}\n");
    server::ServerOptions o;
    o.connect = connect;
    o.metrics_address = "";
    o.leader_elect = false;
    o.watch_timeout = std::chrono::seconds(1);
    o.log = [this](std::string_view level, std::string_view line) {
      std::lock_guard lock(mutex);
      log += std::string(level) + ": " + std::string(line) + "\n";
    };
    server::VeleroControllerOptions vo;
    vo.backup_sync_period = std::chrono::seconds(1);
    vo.validation_frequency = std::chrono::seconds(1);
    vo.garbage_collection_frequency = std::chrono::seconds(1);
    server::add_velero_controllers(o, vo);
    thread = std::jthread([this, o] { server::run_server(o, stop.get_token()); });
  }
  ~World() {
    stop.request_stop();
  }
  static kubetest::KubeServerOptions seeded() {
    kubetest::KubeServerOptions o;
    o.seed = {testing::source_root() / "examples" / "manifests", testing::source_root() / "tests" / "data" / "velero"};
    o.api.crd_establish_delay = std::chrono::milliseconds(0);
    return o;
  }
  void create(const std::string& file, const std::string& yaml) {
    kubectl.write(file, yaml);
    auto r = kubectl("create -f " + file);
    REQUIRE_MESSAGE(r.code == 0, r.err);
  }
  const ApiResource& velero(std::string_view plural) {
    const ApiResource* r = client->discovery().find("velero.io", plural);
    REQUIRE(r);
    return *r;
  }
  std::optional<json::object> get(std::string_view plural, const std::string& name) {
    return client->try_get(velero(plural), "velero", name);
  }
  std::string phase(std::string_view plural, const std::string& name) {
    auto o = get(plural, name);
    if (!o) return "<absent>";
    const json::object* st = json::find_object(*o, "status");
    return st ? std::string(json::get_string(*st, "phase")) : "";
  }
  std::vector<std::string> names(std::string_view plural, const std::string& selector = {}) {
    std::vector<std::string> out;
    ListOptions lo;
    lo.namespace_ = "velero";
    lo.label_selector = selector;
    client->list(velero(plural), lo, [&](json::object&& o) { out.emplace_back(json::metadata_string(o, "name")); });
    return out;
  }
  std::string logs() {
    std::lock_guard lock(mutex);
    return log;
  }
  template <class Pred>
  bool eventually(Pred pred, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }
};

}  // namespace

TEST_CASE("spec §4.4: a Schedule created with kubectl makes <schedule>-<yyyyMMddHHmmss> backups, carried out") {
  World w;
  w.create("schedule.yaml", "apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: nightly, namespace: velero}\n"
                            "spec: {schedule: '@every 1s', template: {includedNamespaces: [demo]}}\n");
  std::vector<std::string> made;
  bool two = w.eventually([&] {
    made = w.names("backups", "velero.io/schedule-name=nightly");
    return made.size() >= 2 && w.phase("backups", made[0]) == "Completed" && w.phase("backups", made[1]) == "Completed";
  });
  INFO(w.logs());
  REQUIRE(two);
  for (const auto& b : made) {
    CHECK(std::regex_match(b, std::regex("nightly-[0-9]{14}")));
    if (w.phase("backups", b) == "Completed") CHECK(fs::exists(w.bucket / "backups" / b / (b + ".tar.gz")));
  }
  CHECK(w.phase("schedules", "nightly") == "Enabled");
  auto s = w.get("schedules", "nightly");
  REQUIRE(s);
  CHECK(json::find_object(*s, "status")->contains("lastBackup"));

  // An invalid expression: FailedValidation with Velero's reason, no backup.
  w.create("bad.yaml", "apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: bad, namespace: velero}\n"
                       "spec: {schedule: 'every day', template: {}}\n");
  REQUIRE(w.eventually([&] { return w.phase("schedules", "bad") == "FailedValidation"; }));
  CHECK(json::marshal(w.get("schedules", "bad")->at("status")).find("invalid schedule") != std::string::npos);
  CHECK(w.names("backups", "velero.io/schedule-name=bad").empty());
}

TEST_CASE("requests, §3.3, §3.1: a ServerStatusRequest answered, a DeleteBackupRequest carried out, a sync") {
  World w;
  w.create("ssr.yaml", "apiVersion: velero.io/v1\nkind: ServerStatusRequest\nmetadata: {name: s1, namespace: velero}\n");
  REQUIRE(w.eventually([&] { return w.phase("serverstatusrequests", "s1") == "Processed"; }));
  CHECK(json::marshal(w.get("serverstatusrequests", "s1")->at("status")).find("\"serverVersion\":\"v") != std::string::npos);

  // The location is validated (Available), as GC and deletion require.
  REQUIRE(w.eventually([&] { return w.phase("backupstoragelocations", "default") == "Available"; }));

  w.create("b1.yaml", "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b1, namespace: velero}\n"
                      "spec: {includedNamespaces: [demo]}\n");
  w.create("b2.yaml", "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b2, namespace: velero}\n"
                      "spec: {includedNamespaces: [demo]}\n");
  bool done = w.eventually([&] { return w.phase("backups", "b1") == "Completed" && w.phase("backups", "b2") == "Completed"; });
  INFO(w.logs());
  REQUIRE(done);

  // velero backup delete: a DeleteBackupRequest; the files, then the CR, go.
  w.create("dbr.yaml", "apiVersion: velero.io/v1\nkind: DeleteBackupRequest\nmetadata: {name: del-b1, namespace: velero}\n"
                       "spec: {backupName: b1}\n");
  REQUIRE(w.eventually([&] { return w.phase("backups", "b1") == "<absent>"; }));
  CHECK_FALSE(fs::exists(w.bucket / "backups" / "b1"));
  CHECK(fs::exists(w.bucket / "backups" / "b2" / "velero-backup.json"));

  // The bucket is the source of truth: a Backup CR removed by hand comes back at the next sync.
  REQUIRE(w.kubectl("delete backup b2 -n velero").code == 0);
  REQUIRE(w.eventually([&] { return w.phase("backups", "b2") == "Completed"; }));
}

TEST_CASE("spec §3.2: an expired backup is collected (a DeleteBackupRequest, then files and CR gone)") {
  World w;
  REQUIRE(w.eventually([&] { return w.phase("backupstoragelocations", "default") == "Available"; }));
  w.create("short.yaml", "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: short, namespace: velero}\n"
                         "spec: {includedNamespaces: [demo], ttl: 1s}\n");
  bool gone = w.eventually([&] { return w.phase("backups", "short") == "<absent>"; });
  INFO(w.logs());
  REQUIRE(gone);
  CHECK_FALSE(fs::exists(w.bucket / "backups" / "short"));
}
