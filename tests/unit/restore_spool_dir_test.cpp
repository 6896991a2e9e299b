// Issue 17: a restore's temporary files (the tarball's spool, the spool's index, the "already
// restored" set of restore §2.3 step 4) go to RestoreOptions::spool_dir (the CLI's --spool-dir), are
// unlinked at once, and nothing is left there after a restore, a failed one or a cancelled one.
#include "restore_support.hpp"

#include <atomic>

using namespace vbackup;
using namespace vbackup::testing;
namespace fs = std::filesystem;

namespace {

std::string pods_backup(int n) {
  Tarball t;
  for (int i = 0; i < n; ++i) t.item("pods", pod_json("ns-" + std::to_string(i % 3), "pod-" + std::to_string(i)));
  return t.gzip();
}

// A test API server, a file location holding backup-1, and restore options whose spool is a fresh
// temporary directory.
struct SpoolRestore {
  explicit SpoolRestore(const std::string& backup_gz) : s({}) {
    put_backup(loc, "backup-1", backup_gz);
    options.spool_dir = spool.path;
  }
  auto run() { return create_restore(s.cluster.get(), loc.location, restore_of("restore-1", "backup-1"), options); }

  RestoreServer s;
  RestoreLocation loc;
  TempDir spool{"restore-spool"};
  PlanLog plan;
  RestoreOptions options = plan_options(plan);
};

}  // namespace

TEST_CASE("issue 17: the spool, its index and the restored set (restore §2.3 step 4) live in --spool-dir, and go") {
  SpoolRestore t(pods_backup(20));
  auto& s = t.s;
  auto& spool = t.spool;
  auto& plan = t.plan;
  auto& options = t.options;
  std::atomic<int> during_spool{-1}, during_restored{-1}, during_index{-1};
  options.on_plan = [&](const RestorePlanItem& p) {
    plan.add(p);
    during_spool = open_files((spool.path / "vbackup-spool-").string());
    during_index = open_files((spool.path / "vbackup-index-").string());
    during_restored = open_files((spool.path / "vbackup-restored-").string());
  };
  auto r = t.run().result;
  INFO(plan.dump());
  REQUIRE(r.outcome.ok());
  CHECK(r.restore.status.phase == "Completed");
  CHECK(names_in(s, "pods").size() == 20);
  CHECK(during_spool == 1);
  CHECK(during_index == 1);
  CHECK(during_restored == 2);  // the slot table and the key file
  CHECK(open_files(spool.path.string()) == 0);
  CHECK(fs::is_empty(spool.path));
}

TEST_CASE("issue 17: nothing stays in --spool-dir after a failed restore (restore §2.11: a truncated tarball)") {
  auto gz = pods_backup(20);
  SpoolRestore t(gz.substr(0, gz.size() / 2));
  auto& spool = t.spool;
  auto r = t.run().result;
  CHECK(r.restore.status.phase != "Completed");
  CHECK(open_files(spool.path.string()) == 0);
  CHECK(fs::is_empty(spool.path));
}

TEST_CASE("issue 17: nothing stays in --spool-dir after a restore cancelled in the middle of the walk") {
  SpoolRestore t(pods_backup(20));
  auto& spool = t.spool;
  auto& plan = t.plan;
  auto& options = t.options;
  options.parallel = 1;
  std::atomic<int> items{0}, restored_files{-1};
  options.on_plan = [&](const RestorePlanItem& p) {
    plan.add(p);
    ++items;
    restored_files = open_files((spool.path / "vbackup-restored-").string());
  };
  options.on_progress = [&](const RestoreProgress&) { return items < 5; };
  CHECK_THROWS_AS(t.run(),
                  vbackup::Error);
  CHECK(items >= 5);
  CHECK(items < 20);
  CHECK(restored_files == 2);
  CHECK(open_files(spool.path.string()) == 0);
  CHECK(fs::is_empty(spool.path));
}

TEST_CASE("issue 17: a --spool-dir that does not exist fails the restore with a message naming it") {
  SpoolRestore t(pods_backup(2));
  t.options.spool_dir = t.spool.path / "missing";
  auto r = t.run().result;
  CHECK_FALSE(r.outcome.ok());
  CHECK(r.outcome.message.find((t.spool.path / "missing").string()) != std::string::npos);
  CHECK(names_in(t.s, "pods").empty());
}
