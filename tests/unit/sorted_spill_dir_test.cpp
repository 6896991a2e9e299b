// Issue 17: core's SortedSpill puts its run files (and the files it merges runs into) in the
// directory it is given (a restore's spool directory), unlinked at once, so nothing stays there; an
// unusable directory is an Error naming it. Without a directory it keeps the system's temporary one.
#include "core/item_set.hpp"
#include "test_helpers.hpp"

#include "vbackup/error.hpp"

#include <doctest/doctest.h>

#include <random>
#include <set>

using vbackup::detail::SortedSpill;
using vbackup::testing::TempDir;
namespace fs = std::filesystem;

TEST_CASE("issue 17: SortedSpill's run and merged files live in its directory, unlinked, and go") {
  TempDir dir("spill-dir");
  std::set<std::string> want;
  std::mt19937 rng(17);
  int most_open = 0;
  {
    SortedSpill spill(64, dir.path);  // a few lines a run: thousands of runs, merged level after level
    for (int i = 0; i < 20000; ++i) {
      std::string l = "v1/Pod\tns-" + std::to_string(rng() % 7) + "/p-" + std::to_string(rng() % 5000);
      want.insert(l);
      spill.add(l);
      if (i % 500 == 499) {
        most_open = std::max(most_open, vbackup::testing::open_files((dir.path / "vbackup-sort-").string(), true));
        CHECK(vbackup::testing::open_files((dir.path / "vbackup-sort-").string(), true) == static_cast<int>(spill.spilled_runs()));
        CHECK(fs::is_empty(dir.path));  // unlinked at once: no name in the directory
      }
    }
    CHECK(most_open > static_cast<int>(SortedSpill::kFanIn) / 2);
    std::vector<std::string> got;
    spill.for_each_sorted([&](std::string_view l) { got.emplace_back(l); });
    CHECK(got == std::vector<std::string>(want.begin(), want.end()));
  }
  CHECK(vbackup::testing::open_files((dir.path / "vbackup-sort-").string(), true) == 0);
  CHECK(fs::is_empty(dir.path));
}

TEST_CASE("issue 17: a SortedSpill directory that does not exist or is a file is an Error naming it") {
  TempDir dir("spill-dir");
  for (const fs::path& bad : {dir.path / "missing", dir.write("a-file", "x")}) {
    CAPTURE(bad.string());
    SortedSpill spill(64, bad);
    std::string message;
    try {
      for (int i = 0; i < 100; ++i) spill.add("line-" + std::to_string(i));
    } catch (const vbackup::Error& e) {
      message = e.what();
    }
    CHECK(message.find("cannot create a temporary file in " + bad.string()) != std::string::npos);
  }
}

TEST_CASE("SortedSpill without a directory spills to the system's temporary directory, not elsewhere") {
  TempDir dir("spill-dir");
  SortedSpill spill(64);
  for (int i = 0; i < 1000; ++i) spill.add("line-" + std::to_string(i));
  CHECK(spill.spilled_runs() > 0);
  CHECK(vbackup::testing::open_files((dir.path / "vbackup-sort-").string(), true) == 0);
  std::size_t n = 0;
  spill.for_each_sorted([&](std::string_view) { ++n; });
  CHECK(n == 1000);
}
