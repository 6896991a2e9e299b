// spec §5.8 check 6 ("already backed up", Velero's backedUpItems keyed apiVersion/Kind|namespace|name)
// in flat memory (issue 17): core's SpillingItemSet keeps its first keys in memory and the rest on
// disk; answers as std::set would, at and past the bound, with erases in both parts.
#include "core/spilling_item_set.hpp"
#include "test_helpers.hpp"

#include "vbackup/error.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <set>
#include <string>

#include <unistd.h>

using vbackup::detail::SpillingItemSet;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test (tests/support), so the checks see only this test's files.
struct Dir : vbackup::testing::TempDir {
  Dir() : TempDir("spilling-set-test") {}
  bool empty() const { return std::filesystem::is_empty(path); }
};

std::string key(int i) { return "v1/ConfigMap|ns-" + std::to_string(i % 13) + "|cm-" + std::to_string(i); }

int backed_up_files(const Dir& dir) { return vbackup::testing::open_files((dir.path / "vbackup-backed-up-").string()); }

}  // namespace

TEST_CASE("spec §5.8 check 6: up to the bound the set is in memory, no file made") {
  Dir dir;
  SpillingItemSet set(100, dir.path);
  for (int i = 0; i < 100; ++i) REQUIRE(set.insert(key(i)));
  for (int i = 0; i < 100; ++i) REQUIRE_FALSE(set.insert(key(i)));  // "already backed up"
  CHECK_FALSE(set.spilled());
  CHECK(set.size() == 100);
  CHECK(backed_up_files(dir) == 0);
}

TEST_CASE("issue 17: the 101st key of a 100-key bound goes to disk; memory stops growing") {
  Dir dir;
  {
    SpillingItemSet set(100, dir.path);
    for (int i = 0; i < 100; ++i) REQUIRE(set.insert(key(i)));
    REQUIRE(set.insert(key(100)));
    CHECK(set.spilled());
    CHECK(set.memory_size() == 100);
    CHECK(set.disk()->size() == 1);
    for (int i = 101; i < 5000; ++i) REQUIRE(set.insert(key(i)));
    CHECK(set.memory_size() == 100);
    CHECK(set.disk()->size() == 4900);
    CHECK(set.size() == 5000);
    // Keys of both parts are "already backed up", from either part.
    for (int i = 0; i < 5000; i += 7) REQUIRE_FALSE(set.insert(key(i)));
    CHECK_FALSE(set.contains(key(5000)));
    // The disk part's two files, in the directory given, unlinked at once (core/temp_file.hpp).
    CHECK(backed_up_files(dir) == 2);
    CHECK(dir.empty());
  }
  CHECK(backed_up_files(dir) == 0);
}

TEST_CASE("spec §5.8 check 6: an item erased after a failed action is backed up again, from either part") {
  Dir dir;
  SpillingItemSet set(10, dir.path);
  for (int i = 0; i < 20; ++i) REQUIRE(set.insert(key(i)));
  set.erase(key(3));   // in memory
  set.erase(key(15));  // on disk
  CHECK(set.size() == 18);
  CHECK_FALSE(set.contains(key(3)));
  CHECK_FALSE(set.contains(key(15)));
  CHECK(set.insert(key(3)));  // spilled: goes to disk though memory has room again
  CHECK(set.memory_size() == 9);
  CHECK(set.insert(key(15)));
  CHECK_FALSE(set.insert(key(3)));
  CHECK_FALSE(set.insert(key(15)));
  CHECK(set.size() == 20);
}

TEST_CASE("spec §5.8 check 6: randomized against std::set across the bound") {
  for (std::size_t bound : {std::size_t{0}, std::size_t{1}, std::size_t{500}, std::size_t{100000}}) {
    CAPTURE(bound);
    Dir dir;
    SpillingItemSet set(bound, dir.path);
    set.expect(3000);
    std::mt19937_64 rng(bound + 1);
    std::set<std::string> reference;
    for (int i = 0; i < 20000; ++i) {
      std::string k = key(static_cast<int>(rng() % 4000));
      switch (rng() % 5) {
        case 0: REQUIRE(set.contains(k) == (reference.count(k) == 1)); break;
        case 1:
          set.erase(k);
          reference.erase(k);
          break;
        default: REQUIRE(set.insert(k) == reference.insert(k).second);
      }
      REQUIRE(set.size() == reference.size());
    }
    CHECK(set.spilled() == (bound < 4000));
    for (const auto& k : reference) REQUIRE(set.contains(k));
  }
}

TEST_CASE("issue 17: a directory that cannot hold the disk part is an io error naming it, at the spill") {
  auto missing = fs::temp_directory_path() / "vbk-spilling-set-test-missing" / "no-such-dir";
  SpillingItemSet set(2, missing);
  CHECK(set.insert(key(0)));
  CHECK(set.insert(key(1)));  // memory: the directory is not needed yet
  try {
    set.insert(key(2));
    FAIL("no error");
  } catch (const vbackup::Error& e) {
    CHECK(e.code() == vbackup::ErrorCode::io);
    CHECK(std::string(e.what()).find(missing.string()) != std::string::npos);
    CHECK(std::string(e.what()).find("backed-up-items set") != std::string::npos);
  }
}
