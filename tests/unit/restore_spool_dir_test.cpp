// Issue 17: a restore's temporary files (the tarball's spool, the spool's index, the "already
// restored" set of restore §2.3 step 4) go to RestoreOptions::spool_dir (the CLI's --spool), are
// unlinked at once, and nothing is left there after a restore, a failed one or a cancelled one.
#include "restore_support.hpp"

#include <atomic>

using namespace vbackup;
using namespace vbackup::testing;
namespace fs = std::filesystem;

namespace {

// This process's descriptors on files whose path starts with `prefix` (deleted ones included).
int open_files(const std::string& prefix) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = fs::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

std::string pods_backup(int n) {
  Tarball t;
  for (int i = 0; i < n; ++i) t.item("pods", pod_json("ns-" + std::to_string(i % 3), "pod-" + std::to_string(i)));
  return t.gzip();
}

}  // namespace

TEST_CASE("issue 17: the spool, its index and the restored set (restore §2.3 step 4) live in --spool, and go") {
  RestoreServer s({});
  RestoreLocation loc;
  put_backup(loc, "backup-1", pods_backup(20));
  TempDir spool("restore-spool");
  PlanLog plan;
  auto options = plan_options(plan);
  options.spool_dir = spool.path;
  std::atomic<int> during_spool{-1}, during_restored{-1}, during_index{-1};
  options.on_plan = [&](const RestorePlanItem& p) {
    plan.add(p);
    during_spool = open_files((spool.path / "vbackup-spool-").string());
    during_index = open_files((spool.path / "vbackup-index-").string());
    during_restored = open_files((spool.path / "vbackup-restored-").string());
  };
  auto r = create_restore(s.cluster.get(), loc.location, restore_of("restore-1", "backup-1"), options).result;
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

TEST_CASE("issue 17: nothing stays in --spool after a failed restore (restore §2.11: a truncated tarball)") {
  RestoreServer s({});
  RestoreLocation loc;
  auto gz = pods_backup(20);
  put_backup(loc, "backup-1", gz.substr(0, gz.size() / 2));
  TempDir spool("restore-spool");
  PlanLog plan;
  auto options = plan_options(plan);
  options.spool_dir = spool.path;
  auto r = create_restore(s.cluster.get(), loc.location, restore_of("restore-1", "backup-1"), options).result;
  CHECK(r.restore.status.phase != "Completed");
  CHECK(open_files(spool.path.string()) == 0);
  CHECK(fs::is_empty(spool.path));
}

TEST_CASE("issue 17: nothing stays in --spool after a restore cancelled in the middle of the walk") {
  RestoreServer s({});
  RestoreLocation loc;
  put_backup(loc, "backup-1", pods_backup(20));
  TempDir spool("restore-spool");
  PlanLog plan;
  auto options = plan_options(plan);
  options.spool_dir = spool.path;
  options.parallel = 1;
  std::atomic<int> items{0}, restored_files{-1};
  options.on_plan = [&](const RestorePlanItem& p) {
    plan.add(p);
    ++items;
    restored_files = open_files((spool.path / "vbackup-restored-").string());
  };
  options.on_progress = [&](const RestoreProgress&) { return items < 5; };
  CHECK_THROWS_AS(create_restore(s.cluster.get(), loc.location, restore_of("restore-1", "backup-1"), options),
                  vbackup::Error);
  CHECK(items >= 5);
  CHECK(items < 20);
  CHECK(restored_files == 2);
  CHECK(open_files(spool.path.string()) == 0);
  CHECK(fs::is_empty(spool.path));
}

TEST_CASE("issue 17: a --spool that does not exist fails the restore with a message naming it") {
  RestoreServer s({});
  RestoreLocation loc;
  put_backup(loc, "backup-1", pods_backup(2));
  TempDir base("restore-spool");
  PlanLog plan;
  auto options = plan_options(plan);
  options.spool_dir = base.path / "missing";
  auto r = create_restore(s.cluster.get(), loc.location, restore_of("restore-1", "backup-1"), options).result;
  CHECK_FALSE(r.outcome.ok());
  CHECK(r.outcome.message.find((base.path / "missing").string()) != std::string::npos);
  CHECK(names_in(s, "pods").empty());
}
