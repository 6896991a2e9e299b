// The schedule controller's decisions carried out against the in-process test API server with
// Velero's CRDs (tests/data/velero), as `vbackup server` will carry them out (spec §4.4): a Schedule
// with `@every 1s` makes Backups named <schedule>-<yyyyMMddHHmmss>, labelled velero.io/schedule-name,
// one at a time (a run waits while the last one is New), lastBackup recorded; an invalid expression
// ends FailedValidation with Velero's message.
#include "kube_server/kube_server.hpp"
#include "test_helpers.hpp"
#include "vbackup/cluster.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/schedule.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
namespace fs = std::filesystem;

namespace {

struct Controller {
  kubetest::KubeServer server;
  testing::TempDir dir{"schedule-cluster"};
  std::unique_ptr<Cluster> cluster;
  const ApiResource* schedules = nullptr;
  const ApiResource* backups = nullptr;

  Controller() : server(options()) {
    server.write_kubeconfig(dir.path / "kubeconfig");
    ClusterOptions c;
    c.connect.kubeconfig = (dir.path / "kubeconfig").string();
    cluster = Cluster::open(c);
    schedules = cluster->client()->discovery().find("velero.io", "schedules");
    backups = cluster->client()->discovery().find("velero.io", "backups");
    REQUIRE(schedules);
    REQUIRE(backups);
  }
  static kubetest::KubeServerOptions options() {
    kubetest::KubeServerOptions o;
    o.seed = {testing::source_root() / "tests" / "data" / "velero"};
    o.api.crd_establish_delay = std::chrono::milliseconds(0);
    return o;
  }
  kube::KubeClient& client() { return *cluster->client(); }

  velero::Schedule get(const std::string& name) {
    return velero::Schedule::from_json(client().get(*schedules, "velero", name), name);
  }
  std::vector<velero::Backup> list_backups(const std::string& schedule) {
    std::vector<velero::Backup> out;
    ListOptions o;
    o.namespace_ = "velero";
    o.label_selector = std::string(velero::label::schedule_name) + "=" + schedule;
    client().list(*backups, o, [&](json::object&& b) { out.push_back(velero::Backup::from_json(b, "backup")); });
    return out;
  }
  // One reconcile, as the server will run it: list, decide, patch, create, patch.
  schedule::ScheduleDecision reconcile(const std::string& name, Timestamp now) {
    auto s = get(name);
    auto d = schedule::decide(s, now, {}, schedule::backup_running(s, list_backups(name)));
    if (!d.patch.empty()) client().patch(*schedules, "velero", name, kube::PatchType::merge, json::marshal(d.patch));
    if (d.backup) {
      client().create(*backups, d.backup->to_json(), "velero");
      client().patch(*schedules, "velero", name, kube::PatchType::merge, json::marshal(d.backup_patch));
    }
    return d;
  }
  void complete(const std::string& backup) {
    client().patch(*backups, "velero", backup, kube::PatchType::merge, R"({"status":{"phase":"Completed"}})");
  }
};

velero::Schedule every_second(const std::string& name) {
  velero::Schedule s;
  s.metadata.namespace_ = "velero";
  s.metadata.name = name;
  s.spec.schedule = "@every 1s";
  s.spec.template_.included_namespaces = {"demo"};
  s.spec.use_owner_references_in_backup = true;
  return s;
}

}  // namespace

TEST_CASE("spec §4.4 @every 1s in a cluster: backups named and labelled, one at a time, lastBackup") {
  Controller c;
  c.client().create(*c.schedules, every_second("often").to_json(), "velero");
  auto created = c.get("often");
  REQUIRE(created.metadata.creation_timestamp);
  const Timestamp t0 = *created.metadata.creation_timestamp;

  auto d = c.reconcile("often", t0 + std::chrono::seconds(2));
  REQUIRE(d.backup);
  CHECK(d.backup->metadata.name == schedule::timestamped_name("often", t0 + std::chrono::seconds(2)));
  auto s = c.get("often");
  CHECK(s.status.phase == "Enabled");
  CHECK(s.spec.skip_immediately == false);
  CHECK(s.status.last_backup == t0 + std::chrono::seconds(2));

  // The first backup is still New (no phase): the next run waits.
  d = c.reconcile("often", t0 + std::chrono::seconds(4));
  CHECK_FALSE(d.backup);
  CHECK(c.list_backups("often").size() == 1);

  // Completed, the schedule runs again, with a later name.
  c.complete(schedule::timestamped_name("often", t0 + std::chrono::seconds(2)));
  d = c.reconcile("often", t0 + std::chrono::seconds(5));
  REQUIRE(d.backup);
  auto listed = c.list_backups("often");
  REQUIRE(listed.size() == 2);
  for (const auto& b : listed) {
    CHECK(b.metadata.labels.at("velero.io/schedule-name") == "often");
    CHECK(b.spec.included_namespaces == std::vector<std::string>{"demo"});
    REQUIRE(b.metadata.owner_references.size() == 1);
    CHECK(b.metadata.owner_references[0].kind == "Schedule");
    CHECK(b.metadata.owner_references[0].uid == created.metadata.uid);
  }
  CHECK(c.get("often").status.last_backup == t0 + std::chrono::seconds(5));
  // Not due again within the same second.
  CHECK_FALSE(c.reconcile("often", t0 + std::chrono::seconds(5)).backup);
}

TEST_CASE("spec §4.4 an invalid expression in a cluster: FailedValidation with Velero's message, no backup") {
  Controller c;
  auto bad = every_second("bad");
  bad.spec.schedule = "*/0 * * * *";
  c.client().create(*c.schedules, bad.to_json(), "velero");
  auto d = c.reconcile("bad", std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  CHECK_FALSE(d.backup);
  auto s = c.get("bad");
  CHECK(s.status.phase == "FailedValidation");
  CHECK(s.status.validation_errors ==
        std::vector<std::string>{"invalid schedule: step of range should be a positive number: */0"});
  CHECK(c.list_backups("bad").empty());

  // A paused schedule is left alone entirely.
  auto paused = every_second("paused");
  paused.spec.paused = true;
  c.client().create(*c.schedules, paused.to_json(), "velero");
  d = c.reconcile("paused", std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) + std::chrono::hours(1));
  CHECK_FALSE(d.backup);
  CHECK(c.get("paused").status.phase.empty());
}
