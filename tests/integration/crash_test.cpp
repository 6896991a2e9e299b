// A crash at every step, proved (issue 16 "Faults, proved", brief "s3-faults"): the CLI is SIGKILLed
// at random points of a backup, a restore, a sync and a deletion against kube-test-server programs
// and a file bucket, several times each. The points are drawn from a seeded generator (the seed is
// printed; VBK_CRASH_SEED=<n> replays a run) as fractions of an uninterrupted run's duration.
// After each kill:
//  - the bucket: no velero-backup.json without its tarball; leftovers only of the kinds
//    `backup-location check` reports, and `--prune --grace 0s` removes them;
//  - the cluster: a restore's objects are each present and equal to the backup's, or absent; the
//    Backup / Restore CR is in a terminal phase, or InProgress until `vbackup server` starts and
//    its start-up sweep marks it Failed (checked once at the end);
//  - a second run finishes the job: backup again with the same name, restore again with
//    --existing-resource-policy update, sync again, delete again.
#include "../support/test_helpers.hpp"
#include "kube_server/loopback_client.hpp"
#include "vbackup/json.hpp"
#include "vbackup/leftovers.hpp"
#include "vbackup/location.hpp"
#include "vbackup/persistence.hpp"

#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

using namespace vbackup;
using namespace vbackup::testing;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr int kPoints = 10;     // random kill points per operation
constexpr int kObjects = 1500;  // ConfigMaps of the namespace "load"

fs::path cli() {
  const char* root = std::getenv("VBK_BUILD_ROOT");
  return fs::path(root ? root : "build") / "tools" / "vbackup" / "vbackup";
}

Timestamp now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

std::mt19937_64& rng() {
  static std::mt19937_64 r = [] {
    const char* env = std::getenv("VBK_CRASH_SEED");
    const std::uint64_t seed = env ? std::stoull(env) : static_cast<std::uint64_t>(std::random_device{}());
    MESSAGE("crash points seeded with VBK_CRASH_SEED=" << seed);
    return std::mt19937_64(seed);
  }();
  return r;
}

// A kube-test-server program seeded with Velero's CRDs (and `extra`), its kubeconfig and a client.
struct Api {
  TempDir dir{"crash-api"};
  fs::path kubeconfig = dir.path / "kubeconfig";
  std::unique_ptr<Process> process;
  unsigned short port = 0;
  Api(const std::string& tag, const std::vector<std::string>& extra) {
    const char* program = std::getenv("KUBE_TEST_SERVER");
    REQUIRE_MESSAGE(program, "KUBE_TEST_SERVER names the kube-test-server program (meson test sets it)");
    const fs::path port_file = dir.path / "port", log = scratch_dir() / ("crash-" + tag + "-api.log");
    std::vector<std::string> argv = {program, "--port", "0", "--crd-delay-ms", "0", "--write-kubeconfig", kubeconfig.string(),
                                     "--port-file", port_file.string(), "--seed", (source_root() / "tests/data/velero").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<Process>(argv, Env{}, log);
    for (int i = 0; i < 600 && read_file(port_file).empty(); ++i) std::this_thread::sleep_for(20ms);
    REQUIRE_FALSE(read_file(port_file).empty());
    port = static_cast<unsigned short>(std::stoi(read_file(port_file)));
    wait_for_port(port, *process, "kube-test-server", log);
  }
  // GET answer body, "" on 404.
  std::string get(const std::string& path) {
    kubetest::LoopbackClient c(port);
    auto r = c.get(path);
    return r.status == 200 ? r.body : std::string();
  }
  std::string phase(const std::string& plural, const std::string& name) {
    std::string body = get("/apis/velero.io/v1/namespaces/velero/" + plural + "/" + name);
    if (body.empty()) return "<absent>";
    auto o = json::parse(body, "cr").as_object();
    const json::object* st = json::find_object(o, "status");
    return st ? std::string(json::get_string(*st, "phase")) : "";
  }
  // ConfigMap name → its data, in a namespace.
  std::map<std::string, std::string> configmaps(const std::string& ns) {
    std::map<std::string, std::string> out;
    std::string body = get("/api/v1/namespaces/" + ns + "/configmaps");
    if (body.empty()) return out;
    json::value list = json::parse(body, "list");
    REQUIRE_MESSAGE(list.is_object(), body.substr(0, 300));
    for (const auto& item : list.as_object().at("items").as_array()) {
      const json::object& o = item.as_object();
      out[std::string(json::metadata_string(o, "name"))] = o.contains("data") ? json::marshal(o.at("data")) : "";
    }
    return out;
  }
};

struct Run {
  int status = 0;
  bool killed = false;
  std::string log;
  std::chrono::milliseconds took{0};
};

// Runs the CLI; with `kill_after`, SIGKILLs it then (if it is still running).
Run cli_run(std::vector<std::string> args, const std::string& tag, std::optional<std::chrono::milliseconds> kill_after = {}) {
  args.insert(args.begin(), cli().string());
  const fs::path log = scratch_dir() / ("crash-" + tag + ".log");
  const auto t0 = std::chrono::steady_clock::now();
  Process p(args, Env{}, log);
  Run r;
  if (kill_after) {
    while (!p.exited() && std::chrono::steady_clock::now() - t0 < *kill_after) std::this_thread::sleep_for(1ms);
    if (!p.exited()) {
      ::kill(p.pid(), SIGKILL);
      r.killed = true;
    }
  }
  r.status = p.wait();
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  r.log = read_file(log);
  return r;
}

std::chrono::milliseconds random_point(std::chrono::milliseconds full) {
  std::uniform_int_distribution<long> d(0, std::max<long>(1, static_cast<long>(full.count())));
  return std::chrono::milliseconds(d(rng()));
}

// The bucket's invariant: every backup listed (velero-backup.json) has its tarball.
void check_bucket(OpenedLocation& loc) {
  for (const auto& b : loc.backups->list_backups())
    CHECK_MESSAGE(loc.objects->exists(loc.backups->backup_contents_key(b)), "backup " << b << " has no tarball");
}

// Leftovers are what check reports; prune removes them.
void prune(OpenedLocation& loc, const std::string& url) {
  auto found = find_leftovers(*loc.backups, now());
  if (found.empty()) return;
  auto check = cli_run({"backup-location", "check", "--storage-location", url}, "check");
  CHECK(check.status == 0);
  CHECK(check.log.find("Leftovers of interrupted work") != std::string::npos);
  auto pruned = cli_run({"backup-location", "check", "--prune", "--grace", "0s", "--storage-location", url}, "prune");
  INFO(pruned.log);
  CHECK(pruned.status == 0);
  CHECK(find_leftovers(*loc.backups, now()).empty());
}

bool terminal(const std::string& phase) {
  return phase == "Completed" || phase == "PartiallyFailed" || phase == "Failed" || phase == "FailedValidation";
}

}  // namespace

TEST_CASE("SIGKILL at random points of backups, restores, syncs and deletions: consistent afterwards, a second run finishes") {
  TempDir bucket_dir("crash-bucket");
  const std::string url = "file://" + (bucket_dir.path / "bucket").string();
  auto loc = open_location(url);
  TempDir bsl_dir("crash-bsl");
  bsl_dir.write("bsl.yaml", "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: shared, namespace: velero}\n"
                            "spec: {provider: file, objectStorage: {bucket: '" + (bucket_dir.path / "bucket").string() + "'}}\n");
  Api a("a", {"--fill", std::to_string(kObjects) + ":512:load", "--seed", bsl_dir.path.string()});
  Api b("b", {"--seed", bsl_dir.path.string()});
  const std::string ka = a.kubeconfig.string(), kb = b.kubeconfig.string();
  auto backup_args = [&](const std::string& name) {
    return std::vector<std::string>{"backup", "create", name, "--include-namespaces", "load", "--storage-location", url,
                                    "--kubeconfig", ka, "--record-in-cluster", "true"};
  };
  std::vector<std::string> in_progress;  // CRs a kill left InProgress: the server's sweep must fail them

  // Backups: an uninterrupted one sets the time scale (and is the restores' source).
  auto full = cli_run(backup_args("source"), "source");
  INFO(full.log);
  REQUIRE(full.status == 0);
  MESSAGE("an uninterrupted backup of " << kObjects << " ConfigMaps takes " << full.took.count() << " ms");
  for (int i = 0; i < kPoints; ++i) {
    const std::string name = "b-" + std::to_string(i);
    const auto at = random_point(full.took);
    CAPTURE(name);
    CAPTURE(at.count());
    auto killed = cli_run(backup_args(name), name, at);
    check_bucket(loc);
    prune(loc, url);
    const bool stored = loc.objects->exists(loc.backups->backup_metadata_key(name));
    if (stored) {
      // The job was done before the kill, or the kill landed between velero-backup.json and the CR's
      // update (Velero's order: bucket first): the backup is whole, and the CR left InProgress is the
      // server's start-up sweep's, as after a Velero server crash.
      const std::string phase = a.phase("backups", name);
      if (phase == "InProgress") {
        in_progress.push_back("backups/" + name);
      } else {
        CHECK(phase == "Completed");
      }
      continue;
    }
    // A kill leaves the Backup CR InProgress: the next run refuses the name ("it may still be
    // running") and names the remedy, `vbackup backup delete NAME`, which removes the CR and
    // whatever files the kill left.
    const std::string left = a.phase("backups", name);
    if (!terminal(left) && left != "<absent>") {
      CHECK(left == "InProgress");
      auto refused = cli_run(backup_args(name), name + "-refused");
      CHECK(refused.status != 0);
      CHECK(refused.log.find("vbackup backup delete " + name) != std::string::npos);
      auto del = cli_run({"backup", "delete", name, "--confirm", "--storage-location", url, "--kubeconfig", ka}, name + "-del");
      INFO(del.log);
      CHECK(del.status == 0);
      CHECK(a.phase("backups", name) == "<absent>");
    }
    auto again = cli_run(backup_args(name), name + "-again");
    INFO(again.log);
    CHECK(again.status == 0);
    CHECK(a.phase("backups", name) == "Completed");
    CHECK(loc.objects->exists(loc.backups->backup_contents_key(name)));
    check_bucket(loc);
  }

  MESSAGE("backups done");
  // Restores into b, each into a namespace of its own.
  const auto source = a.configmaps("load");
  REQUIRE(source.size() == kObjects);
  auto restore_args = [&](const std::string& name, const std::string& ns, bool update) {
    std::vector<std::string> args = {"restore", "create", name, "--from-backup", "source", "--namespace-mappings", "load:" + ns,
                                     "--storage-location", url, "--kubeconfig", kb, "--client-qps", "10000",
                                     "--client-burst", "10000"};
    if (update) args.insert(args.end(), {"--existing-resource-policy", "update"});
    return args;
  };
  auto full_restore = cli_run(restore_args("r-full", "full", false), "r-full");
  INFO(full_restore.log);
  REQUIRE(full_restore.status == 0);
  MESSAGE("an uninterrupted restore takes " << full_restore.took.count() << " ms");
  for (int i = 0; i < kPoints; ++i) {
    const std::string name = "r-" + std::to_string(i), ns = "t-" + std::to_string(i);
    const auto at = random_point(full_restore.took);
    CAPTURE(name);
    CAPTURE(at.count());
    cli_run(restore_args(name, ns, false), name, at);
    for (const auto& entry : b.configmaps(ns)) {
      const std::string& cm = entry.first;  // no structured bindings in doctest's lambdas (clang 14)
      const std::string& data = entry.second;
      auto it = source.find(cm);
      CHECK_MESSAGE((it != source.end() && it->second == data), ns << "/" << cm << " is not the backup's");
    }
    if (!terminal(b.phase("restores", name)) && b.phase("restores", name) != "<absent>") in_progress.push_back("restores/" + name);
    check_bucket(loc);
    prune(loc, url);  // a killed restore's files under restores/<name>/ are leftovers check reports
    auto again = cli_run(restore_args(name + "-again", ns, true), name + "-again");
    INFO(again.log);
    CHECK(again.status == 0);
    CHECK(b.phase("restores", name + "-again") == "Completed");
    CHECK(b.configmaps(ns).size() == kObjects);
  }

  // Syncs of the bucket into a third cluster.
  Api c("c", {"--seed", bsl_dir.path.string()});
  const std::vector<std::string> sync_args = {"backup-location", "sync", "shared", "--kubeconfig", c.kubeconfig.string()};
  const auto stored = loc.backups->list_backups();
  for (int i = 0; i < kPoints; ++i) {
    const auto at = random_point(60ms);
    CAPTURE(at.count());
    cli_run(sync_args, "sync-" + std::to_string(i), at);
    // Whatever a CR the kill left is whole (the API server writes objects atomically) and Completed.
    for (const auto& name : stored) {
      const std::string p = c.phase("backups", name);
      CHECK_MESSAGE((p == "<absent>" || p == "Completed"), name << ": " << p);
    }
  }
  auto synced = cli_run(sync_args, "sync-final");
  INFO(synced.log);
  CHECK(synced.status == 0);
  for (const auto& name : stored) CHECK_MESSAGE(c.phase("backups", name) == "Completed", name);

  // Deletions of the backups b-*, from cluster a (its CRs) and the bucket.
  for (int i = 0; i < kPoints; ++i) {
    const std::string name = "b-" + std::to_string(i);
    const auto at = random_point(120ms);
    CAPTURE(name);
    CAPTURE(at.count());
    auto del_args = std::vector<std::string>{"backup", "delete", name, "--confirm", "--storage-location", url, "--kubeconfig", ka};
    cli_run(del_args, "del-" + name, at);
    check_bucket(loc);
    const bool record = loc.objects->exists(loc.backups->backup_metadata_key(name));
    const bool files = !loc.objects->list_objects(loc.backups->backup_dir(name)).empty();
    const bool cr = a.phase("backups", name) != "<absent>";
    if (record || files || cr) {
      auto again = cli_run(del_args, "del-again-" + name);
      INFO(again.log);
      CHECK(again.status == 0);
    }
    CHECK(loc.objects->list_objects(loc.backups->backup_dir(name)).empty());
    CHECK(a.phase("backups", name) == "<absent>");
  }
  CHECK(find_leftovers(*loc.backups, now()).empty());

  // CRs a kill left InProgress: `vbackup server`'s start-up sweep marks them Failed.
  MESSAGE(in_progress.size() << " CRs left InProgress by a kill");
  for (Api* api : {&a, &b}) {
    bool any = false;
    for (const auto& cr : in_progress) {
      const std::string plural = cr.substr(0, cr.find('/')), name = cr.substr(cr.find('/') + 1);
      any |= api->phase(plural, name) == "InProgress";
    }
    if (!any) continue;
    Process server({cli().string(), "server", "--kubeconfig", api->kubeconfig.string(), "--metrics-address", "127.0.0.1:0"},
                   Env{}, scratch_dir() / "crash-server.log");
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    auto still = [&] {
      for (const auto& cr : in_progress) {
        const std::string plural = cr.substr(0, cr.find('/')), name = cr.substr(cr.find('/') + 1);
        if (api->phase(plural, name) == "InProgress") return true;
      }
      return false;
    };
    while (still() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
    INFO(read_file(scratch_dir() / "crash-server.log"));
    CHECK_FALSE(still());
    ::kill(server.pid(), SIGTERM);
    server.wait();
  }
}
