// The Backup and Restore CRs in the cluster (issue 12, brief i12-record): create_backup and
// create_restore against the in-process test API server, with Velero's CRDs (no status
// subresource, tests/data/velero), a variant that has one (tests/data/velero-status-subresource),
// or none; --record-in-cluster auto/true/false, a terminal phase on every exit, delete with the CR,
// and a name taken only by a stale CR.
#include "kube_server/kube_server.hpp"
#include "test_helpers.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/restore.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <utility>

using namespace vbackup;
namespace fs = std::filesystem;

namespace {

const fs::path kDemo = testing::source_root() / "examples" / "manifests";
const fs::path kVeleroCrds = testing::source_root() / "tests" / "data" / "velero";
const fs::path kStatusCrds = testing::source_root() / "tests" / "data" / "velero-status-subresource";

// The demo application in a test API server, with the velero.io CRDs of `crds` (none when empty).
struct Server {
  kubetest::KubeServer server;
  testing::TempDir dir{"cr-record"};
  std::unique_ptr<Cluster> cluster;
  explicit Server(const fs::path& crds) : server(options(crds)) {
    server.write_kubeconfig(dir.path / "kubeconfig");
    ClusterOptions c;
    c.connect.kubeconfig = (dir.path / "kubeconfig").string();
    cluster = Cluster::open(c);
  }
  static kubetest::KubeServerOptions options(const fs::path& crds) {
    kubetest::KubeServerOptions o;
    o.seed = {kDemo};
    if (!crds.empty()) o.seed.push_back(crds);
    o.api.crd_establish_delay = std::chrono::milliseconds(20);
    return o;
  }
  std::optional<json::object> cr(std::string_view resource, const std::string& name) {
    const ApiResource* r = cluster->client()->discovery().find("velero.io", resource);
    REQUIRE(r);
    return cluster->client()->try_get(*r, "velero", name);
  }
  std::string phase(std::string_view resource, const std::string& name) {
    auto o = cr(resource, name);
    if (!o) return "<absent>";
    const json::object* st = json::find_object(*o, "status");
    return st ? std::string(json::get_string(*st, "phase")) : "";
  }
  std::string failure_reason(std::string_view resource, const std::string& name) {
    auto o = cr(resource, name);
    const json::object* st = o ? json::find_object(*o, "status") : nullptr;
    return st ? std::string(json::get_string(*st, "failureReason")) : "";
  }
  // The API server answers the next `count` requests of `verb` on velero.io `resource` with `code`
  // (one the HTTP layer does not retry).
  void fail(std::string_view resource, std::string_view verb, int count = 1, int code = 403) {
    server.api().control(json::object{
        {"fail", json::object{{"count", count}, {"code", code}, {"resource", std::string(resource) + ".velero.io"},
                              {"verb", verb}}}});
  }
};

std::unique_ptr<Cluster> open_demo_manifests() {
  ClusterOptions o;
  o.manifests = {kDemo};
  return Cluster::open(o);
}

struct Location {
  testing::TempDir dir{"cr-record-bucket"};
  OpenedLocation location = open_location("file://" + (dir.path / "bucket").string());
};

velero::Backup demo_backup(const std::string& name) {
  velero::Backup b;
  b.metadata.name = name;
  b.spec.included_namespaces = {"demo"};
  return b;
}

velero::Restore restore_of(const std::string& name, const std::string& backup) {
  velero::Restore r;
  r.metadata.name = name;
  r.spec.backup_name = backup;
  r.spec.namespace_mapping["demo"] = "demo-" + name;
  return r;
}

// The Velero CRD variants every recording test runs with.
struct Variant {
  std::string name;
  fs::path crds;
};
const Variant kVariants[] = {{"Velero's CRDs (no status subresource)", kVeleroCrds},
                             {"CRDs with the status subresource", kStatusCrds}};

}  // namespace

TEST_CASE("record in cluster auto: the Backup CR is born InProgress, ends Completed, and is announced once") {
  for (const auto& v : kVariants) {
    CAPTURE(v.name);
    Server s(v.crds);
    Location l;
    BackupOptions o;
    std::vector<std::string> announced, seen;
    o.on_recording = [&](const std::string& m) { announced.push_back(m); };
    // What the cluster holds each time the CR was written: never a phase-less Backup (a running
    // Velero server's queue takes "" as New and runs it).
    o.on_record = [&](const velero::Backup&) { seen.push_back(s.phase("backups", "b1")); };
    auto run = create_backup(*s.cluster, l.location, demo_backup("b1"), o);
    INFO(run.result.outcome.message << " / " << run.note);
    REQUIRE(run.result.outcome.ok());
    CHECK(run.note.empty());
    REQUIRE(seen.size() >= 2);
    CHECK(seen.front() == "InProgress");
    CHECK(seen.back() == "Completed");
    // The status landed: with the status subresource only PUT .../status writes it.
    CHECK(s.phase("backups", "b1") == "Completed");
    auto cr = s.cr("backups", "b1");
    const json::object* st = json::find_object(*cr, "status");
    REQUIRE(st);
    REQUIRE(json::find_object(*st, "progress"));
    CHECK(json::find_object(*st, "progress")->at("itemsBackedUp").as_int64() ==
          run.result.backup.status.progress->items_backed_up);
    CHECK(announced == std::vector<std::string>{"recording Backup velero/b1 in the cluster (velero.io CRDs are installed)"});
  }
}

TEST_CASE("record in cluster auto/true/false for a backup") {
  Location l;
  SUBCASE("auto without Velero's CRDs: the backup runs, a note says no CR is kept") {
    Server s({});
    auto run = create_backup(*s.cluster, l.location, demo_backup("b"), {});
    CHECK(run.result.outcome.ok());
    CHECK(run.note.find("no velero.io/v1 Backup resource (backups.velero.io: Velero's CRDs are not installed; `vbackup install --crds-only` installs them)") != std::string::npos);
  }
  SUBCASE("true without Velero's CRDs: the backup fails, says why, and leaves nothing in the location") {
    Server s({});
    BackupOptions o;
    o.record_in_cluster = RecordInCluster::always;
    auto run = create_backup(*s.cluster, l.location, demo_backup("b"), o);
    CHECK(run.result.outcome.code == ErrorCode::unsupported);
    CHECK(run.result.backup.status.phase == "Failed");
    CHECK(run.result.outcome.message.find("cannot be recorded in the cluster") != std::string::npos);
    CHECK(run.result.outcome.message.find("Velero's CRDs are not installed") != std::string::npos);
    CHECK(list_backups(*l.location.backups).empty());
  }
  SUBCASE("true with a folder of manifests: refused, there is no cluster to record in") {
    auto manifests = open_demo_manifests();
    BackupOptions o;
    o.record_in_cluster = RecordInCluster::always;
    CHECK_THROWS_WITH_AS(create_backup(*manifests, l.location, demo_backup("b"), o),
                         doctest::Contains("is not a cluster"), Error);
  }
  SUBCASE("true with Velero's CRDs: recorded") {
    Server s(kVeleroCrds);
    BackupOptions o;
    o.record_in_cluster = RecordInCluster::always;
    CHECK(create_backup(*s.cluster, l.location, demo_backup("b"), o).result.outcome.ok());
    CHECK(s.phase("backups", "b") == "Completed");
  }
  SUBCASE("false with Velero's CRDs: no CR, no note, no announcement") {
    Server s(kVeleroCrds);
    BackupOptions o;
    o.record_in_cluster = RecordInCluster::never;
    bool announced = false;
    o.on_recording = [&](const std::string&) { announced = true; };
    auto run = create_backup(*s.cluster, l.location, demo_backup("b"), o);
    CHECK(run.result.outcome.ok());
    CHECK(run.note.empty());
    CHECK_FALSE(announced);
    CHECK_FALSE(s.cr("backups", "b"));
  }
  SUBCASE("parse_record_in_cluster: auto, true, false, and an error naming the flag") {
    CHECK(parse_record_in_cluster("auto", "--record-in-cluster") == RecordInCluster::automatic);
    CHECK(parse_record_in_cluster("true", "--record-in-cluster") == RecordInCluster::always);
    CHECK(parse_record_in_cluster("false", "--record-in-cluster") == RecordInCluster::never);
    CHECK_THROWS_WITH_AS(parse_record_in_cluster("yes", "--record-in-cluster"),
                         "--record-in-cluster: expected auto, true or false, not \"yes\"", Error);
  }
}

TEST_CASE("a recorded Backup CR always ends in a terminal phase") {
  for (const auto& v : kVariants) {
    CAPTURE(v.name);
    Server s(v.crds);
    Location l;
    SUBCASE("cancelled from the progress callback: Failed, failureReason cancelled") {
      BackupOptions o;
      o.on_progress = [](const BackupProgress&) { return false; };
      CHECK_THROWS_AS(create_backup(*s.cluster, l.location, demo_backup("b"), o), Error);
      CHECK(s.phase("backups", "b") == "Failed");
      CHECK(s.failure_reason("backups", "b") == "cancelled");
    }
    SUBCASE("an exception that is not a vbackup::Error (an item hook's): Failed, naming it") {
      BackupOptions o;
      o.on_item = [](BackupItem&) { throw std::runtime_error("hook exploded"); };
      CHECK_THROWS_AS(create_backup(*s.cluster, l.location, demo_backup("b"), o), std::runtime_error);
      CHECK(s.phase("backups", "b") == "Failed");
      CHECK(s.failure_reason("backups", "b") == "internal error: hook exploded");
    }
    SUBCASE("a failed backup (the bucket cannot be written): Failed, with the reason") {
      // A file where the backup's folder goes: the tarball cannot be written.
      testing::TempDir dir{"cr-record-fail"};
      dir.write("bucket/backups/b", "not a folder");
      auto broken = open_location("file://" + (dir.path / "bucket").string());
      auto run = create_backup(*s.cluster, broken, demo_backup("b"), {});
      CHECK(run.result.backup.status.phase == "Failed");
      CHECK(s.phase("backups", "b") == "Failed");
      CHECK(s.failure_reason("backups", "b") == run.result.backup.status.failure_reason);
    }
    SUBCASE("failed validation: the CR is created FailedValidation") {
      auto b = demo_backup("b");
      b.spec.included_namespaces = {"demo"};
      b.spec.included_resources = {"pods"};
      b.spec.included_cluster_scoped_resources = {"nodes"};  // old and new filters together
      auto run = create_backup(*s.cluster, l.location, b, {});
      CHECK(run.result.backup.status.phase == "FailedValidation");
      CHECK(s.phase("backups", "b") == "FailedValidation");
    }
    SUBCASE("the final write fails once (a recorder error): written again, Completed, no note") {
      // Once the CR is created, its next write (PUT .../status, or the merge patch) is refused.
      BackupOptions o;
      bool armed = false;
      o.on_record = [&](const velero::Backup&) {
        if (!std::exchange(armed, true)) s.fail("backups", v.crds == kStatusCrds ? "update" : "patch");
      };
      auto run = create_backup(*s.cluster, l.location, demo_backup("b"), o);
      CHECK(run.result.outcome.ok());
      CHECK(s.phase("backups", "b") == "Completed");
      CHECK(run.note.empty());
    }
    SUBCASE("every write after the first fails: the note says how to remove the CR") {
      s.fail("backups", v.crds == kStatusCrds ? "update" : "patch", -1);
      std::string first;
      BackupOptions o;
      o.on_record = [&](const velero::Backup&) {
        if (first.empty()) first = s.phase("backups", "b");
      };
      auto run = create_backup(*s.cluster, l.location, demo_backup("b"), o);
      s.server.api().control(json::object{{"fail", nullptr}});
      CHECK(run.result.outcome.ok());
      if (v.crds == kStatusCrds) {
        // The first status could not be written: the CR went again rather than stay phase-less.
        CHECK_FALSE(s.cr("backups", "b"));
        CHECK(run.note.find("(the CR was deleted again)") != std::string::npos);
      } else {
        CHECK(first == "InProgress");
        CHECK(s.phase("backups", "b") == "InProgress");
        CHECK(run.note.find("kubectl delete backup b -n velero") != std::string::npos);
      }
    }
  }
}

TEST_CASE("backup delete with a cluster removes the Backup CR too; a stale CR's name says how to remove it") {
  Server s(kVeleroCrds);
  Location l;
  REQUIRE(create_backup(*s.cluster, l.location, demo_backup("x"), {}).result.outcome.ok());
  REQUIRE(s.cr("backups", "x"));

  SUBCASE("delete with the cluster: the files and the CR") {
    auto d = delete_backup(*l.location.backups, "x", s.cluster.get());
    CHECK_FALSE(d.objects.empty());
    CHECK(d.cr_deleted);
    CHECK_FALSE(s.cr("backups", "x"));
    CHECK(list_backups(*l.location.backups).empty());
    // Neither has it any more.
    CHECK_THROWS_WITH_AS(delete_backup(*l.location.backups, "x", s.cluster.get()),
                         doctest::Contains("not in the location, and no Backup of that name"), Error);
  }
  SUBCASE("a cluster that cannot be reached: the files go, a note says the CR may be left") {
    testing::TempDir dir{"cr-record-unreachable"};
    dir.write("kubeconfig", "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
                            "clusters: [{name: gone, cluster: {server: 'http://127.0.0.1:9'}}]\n"
                            "users: [{name: u, user: {}}]\n"
                            "contexts: [{name: gone, context: {cluster: gone, user: u}}]\n");
    ClusterOptions c;
    c.connect.kubeconfig = (dir.path / "kubeconfig").string();
    auto gone = Cluster::open(c);
    auto d = delete_backup(*l.location.backups, "x", gone.get());
    CHECK_FALSE(d.objects.empty());
    CHECK_FALSE(d.cr_deleted);
    CHECK(d.note.find("the Backup CR was not deleted") != std::string::npos);
    CHECK(d.note.find("127.0.0.1:9") != std::string::npos);
    CHECK(list_backups(*l.location.backups).empty());
    // Nothing left in the location: the unreachable cluster is the error now.
    CHECK_THROWS_AS(delete_backup(*l.location.backups, "x", gone.get()), Error);
  }
  SUBCASE("a name the location already holds is not recorded again (nor as Failed)") {
    const ApiResource* r = s.cluster->client()->discovery().find("velero.io", "backups");
    s.cluster->client()->remove(*r, "velero", "x");
    auto run = create_backup(*s.cluster, l.location, demo_backup("x"), {});
    CHECK(run.result.outcome.code == ErrorCode::already_exists);
    CHECK_FALSE(s.cr("backups", "x"));
  }
  SUBCASE("only the CR is left: the message names both ways to remove it, and delete removes it") {
    delete_backup(*l.location.backups, "x");  // the files only (no cluster)
    auto run = create_backup(*s.cluster, l.location, demo_backup("x"), {});
    CHECK(run.result.outcome.code == ErrorCode::already_exists);
    const auto& m = run.result.outcome.message;
    CHECK(m.find("a Backup named \"x\" already exists in namespace \"velero\"") != std::string::npos);
    CHECK(m.find("(phase Completed) but not in this storage location") != std::string::npos);
    CHECK(m.find("`kubectl delete backup x -n velero`") != std::string::npos);
    CHECK(m.find("`vbackup backup delete x`") != std::string::npos);
    CHECK(list_backups(*l.location.backups).empty());
    CHECK(s.phase("backups", "x") == "Completed");  // the old CR is left as it was

    auto d = delete_backup(*l.location.backups, "x", s.cluster.get());
    CHECK(d.objects.empty());
    CHECK(d.cr_deleted);
    CHECK(create_backup(*s.cluster, l.location, demo_backup("x"), {}).result.outcome.ok());
  }
}

// ---- restores --------------------------------------------------------------------------------

namespace {

// A location holding backup "demo" of the demo application (from manifests, no cluster).
struct Backed : Location {
  Backed() {
    auto manifests = open_demo_manifests();
    velero::Backup b;
    b.metadata.name = "demo";
    b.spec.included_namespaces = {"demo"};
    REQUIRE(create_backup(*manifests, location, b, {}).result.outcome.ok());
  }
};

RestoreOptions apply_options() {
  RestoreOptions o;
  o.mode = RestoreOptions::Mode::apply;
  o.parallel = 1;
  return o;
}

}  // namespace

TEST_CASE("record in cluster auto: the Restore CR is born InProgress, ends Completed, and is announced once") {
  for (const auto& v : kVariants) {
    CAPTURE(v.name);
    Server s(v.crds);
    Backed l;
    auto o = apply_options();
    std::vector<std::string> announced, seen;
    o.on_recording = [&](const std::string& m) { announced.push_back(m); };
    o.on_record = [&](const velero::Restore&) { seen.push_back(s.phase("restores", "r1")); };
    auto run = create_restore(s.cluster.get(), l.location, restore_of("r1", "demo"), o);
    INFO(run.result.outcome.message << " / " << run.note);
    REQUIRE(run.result.outcome.ok());
    CHECK(run.note.empty());
    REQUIRE(seen.size() >= 2);
    CHECK(seen.front() == "InProgress");
    CHECK(s.phase("restores", "r1") == "Completed");
    CHECK(announced == std::vector<std::string>{"recording Restore velero/r1 in the cluster (velero.io CRDs are installed)"});
  }
}

TEST_CASE("record in cluster auto/true/false for a restore, and no record for a dry run") {
  Backed l;
  SUBCASE("auto without Velero's CRDs: restored, a note says no CR is kept") {
    Server s({});
    auto run = create_restore(s.cluster.get(), l.location, restore_of("r", "demo"), apply_options());
    CHECK(run.result.outcome.ok());
    CHECK(run.note.find("no velero.io/v1 Restore resource") != std::string::npos);
  }
  SUBCASE("true without Velero's CRDs: the restore fails before it touches the cluster") {
    Server s({});
    auto o = apply_options();
    o.record_in_cluster = RecordInCluster::always;
    auto run = create_restore(s.cluster.get(), l.location, restore_of("r", "demo"), o);
    CHECK(run.result.restore.status.phase == "Failed");
    CHECK(run.result.outcome.message.find("Velero's CRDs are not installed") != std::string::npos);
    const ApiResource* nss = s.cluster->client()->discovery().find("", "namespaces");
    CHECK_FALSE(s.cluster->client()->try_get(*nss, "", "demo-r"));
  }
  SUBCASE("false: no CR") {
    Server s(kVeleroCrds);
    auto o = apply_options();
    o.record_in_cluster = RecordInCluster::never;
    CHECK(create_restore(s.cluster.get(), l.location, restore_of("r", "demo"), o).result.outcome.ok());
    CHECK_FALSE(s.cr("restores", "r"));
  }
  SUBCASE("a dry run records nothing, whatever the option says") {
    Server s(kVeleroCrds);
    auto o = apply_options();
    o.mode = RestoreOptions::Mode::dry_run;
    o.record_in_cluster = RecordInCluster::always;
    CHECK(create_restore(s.cluster.get(), l.location, restore_of("r", "demo"), o).result.outcome.ok());
    CHECK_FALSE(s.cr("restores", "r"));
  }
}

TEST_CASE("a recorded Restore CR always ends in a terminal phase") {
  for (const auto& v : kVariants) {
    CAPTURE(v.name);
    Server s(v.crds);
    Backed l;
    SUBCASE("cancelled from the progress callback: Failed, failureReason cancelled") {
      auto o = apply_options();
      o.on_progress = [](const RestoreProgress&) { return false; };
      CHECK_THROWS_AS(create_restore(s.cluster.get(), l.location, restore_of("r", "demo"), o), Error);
      CHECK(s.phase("restores", "r") == "Failed");
      CHECK(s.failure_reason("restores", "r") == "cancelled");
    }
    SUBCASE("an exception that is not a vbackup::Error (the record callback's): Failed, naming it") {
      auto o = apply_options();
      o.on_record = [](const velero::Restore& r) {
        if (r.status.phase == "InProgress") throw std::runtime_error("caller exploded");
      };
      CHECK_THROWS_AS(create_restore(s.cluster.get(), l.location, restore_of("r", "demo"), o), std::runtime_error);
      CHECK(s.phase("restores", "r") == "Failed");
      CHECK(s.failure_reason("restores", "r") == "internal error: caller exploded");
    }
    SUBCASE("a failed restore (the tarball is gone): Failed, with the reason") {
      l.location.objects->remove(l.location.backups->backup_contents_key("demo"));
      auto run = create_restore(s.cluster.get(), l.location, restore_of("r", "demo"), apply_options());
      CHECK(run.result.restore.status.phase == "Failed");
      CHECK(s.phase("restores", "r") == "Failed");
      CHECK(s.failure_reason("restores", "r") == run.result.restore.status.failure_reason);
    }
    SUBCASE("the final write fails once: written again, Completed") {
      auto o = apply_options();
      bool armed = false;
      o.on_record = [&](const velero::Restore&) {
        if (!std::exchange(armed, true)) s.fail("restores", v.crds == kStatusCrds ? "update" : "patch");
      };
      auto run = create_restore(s.cluster.get(), l.location, restore_of("r", "demo"), o);
      CHECK(run.result.outcome.ok());
      CHECK(s.phase("restores", "r") == "Completed");
    }
  }
}

TEST_CASE("restore delete with a cluster removes the Restore CR too; a stale CR's name says how to remove it") {
  Server s(kVeleroCrds);
  Backed l;
  REQUIRE(create_restore(s.cluster.get(), l.location, restore_of("r", "demo"), apply_options()).result.outcome.ok());
  REQUIRE(s.cr("restores", "r"));
  SUBCASE("delete with the cluster: the files and the CR") {
    auto d = delete_restore(*l.location.backups, "r", s.cluster.get());
    CHECK_FALSE(d.objects.empty());
    CHECK(d.cr_deleted);
    CHECK_FALSE(s.cr("restores", "r"));
  }
  SUBCASE("only the CR is left: the message names both ways to remove it") {
    delete_restore(*l.location.backups, "r");
    auto run = create_restore(s.cluster.get(), l.location, restore_of("r", "demo"), apply_options());
    CHECK(run.result.outcome.code == ErrorCode::already_exists);
    CHECK(run.result.outcome.message.find("`kubectl delete restore r -n velero`") != std::string::npos);
    CHECK(run.result.outcome.message.find("`vbackup restore delete r`") != std::string::npos);
    auto d = delete_restore(*l.location.backups, "r", s.cluster.get());
    CHECK(d.objects.empty());
    CHECK(d.cr_deleted);
    CHECK_FALSE(s.cr("restores", "r"));
  }
}
