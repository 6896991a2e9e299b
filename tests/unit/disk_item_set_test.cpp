// restore §2.3 step 4 ("already restored", keyed apiVersion/Kind|namespace|name) on disk: core's
// DiskItemSet (src/core/disk_item_set.hpp) against std::set, with forced hash collisions, growth
// past the expected count, erase (the backup's spec §5.8 check 6 forgets failed items), and its files
// in the given directory, gone with it (issue 17).
#include "core/disk_item_set.hpp"
#include "test_helpers.hpp"

#include "vbackup/error.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <set>
#include <string>

#include <unistd.h>

using RestoredSet = vbackup::detail::DiskItemSet;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test (tests/support), so the checks see only this test's files.
struct Dir : vbackup::testing::TempDir {
  Dir() : TempDir("restored-set-test") {}
  bool empty() const { return std::filesystem::is_empty(path); }
};

std::uint64_t constant_hash(std::string_view) { return 42; }
std::uint64_t zero_hash(std::string_view) { return 0; }
std::uint64_t few_hashes(std::string_view key) { return key.size() % 3; }  // everything collides in three chains

std::string random_key(std::mt19937_64& rng) {
  static const char* kinds[] = {"v1/Pod", "v1/ConfigMap", "apps/v1/Deployment", "v1/Secret"};
  std::string key = kinds[rng() % 4];
  key += "|ns-" + std::to_string(rng() % 7) + "|item-" + std::to_string(rng() % 3000);
  return key;
}

// Inserts and looks up random keys in both, comparing every answer.
void compare_with_std_set(RestoredSet& set, std::uint64_t seed, int operations) {
  std::mt19937_64 rng(seed);
  std::set<std::string> reference;
  for (int i = 0; i < operations; ++i) {
    std::string key = random_key(rng);
    if (rng() % 4 == 0) {
      REQUIRE(set.contains(key) == (reference.count(key) == 1));
    } else {
      REQUIRE(set.insert(key) == reference.insert(key).second);
    }
  }
  CHECK(set.size() == reference.size());
  for (const auto& key : reference) REQUIRE(set.contains(key));
}

}  // namespace

TEST_CASE("restore §2.3 step 4: an item is restored once per apiVersion/Kind, namespace and name") {
  Dir dir;
  RestoredSet set(dir.path, 10);
  CHECK(set.insert("v1/Pod|ns-1|pod-1"));
  CHECK_FALSE(set.insert("v1/Pod|ns-1|pod-1"));  // "Skipping … because it's already been restored."
  CHECK(set.insert("v1/Pod|ns-2|pod-1"));        // another namespace
  CHECK(set.insert("v1/ConfigMap|ns-1|pod-1"));  // another kind
  CHECK(set.insert("v1beta1/Pod|ns-1|pod-1"));   // another apiVersion: restored again, as in Velero
  CHECK(set.insert(""));                         // odd keys are keys too
  CHECK(set.insert(std::string("a\0b", 3)));
  CHECK_FALSE(set.insert(std::string("a\0b", 3)));
  CHECK_FALSE(set.contains(std::string("a\0c", 3)));
  CHECK(set.size() == 6);
}

TEST_CASE("restore §2.3 step 4: randomized against std::set") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    Dir dir;
    RestoredSet set(dir.path, 20000);
    compare_with_std_set(set, seed, 20000);
  }
}

TEST_CASE("restore §2.3 step 4: more items than the backup said grow the table, answers unchanged") {
  Dir dir;
  RestoredSet set(dir.path, 0);  // the smallest table: 1024 slots
  auto first = set.capacity();
  compare_with_std_set(set, 7, 30000);
  CHECK(set.capacity() > first);
  CHECK(set.size() * 2 <= set.capacity());
}

TEST_CASE("restore §2.3 step 4: keys whose 64-bit hashes collide are still told apart (test hook)") {
  for (auto hash : {&constant_hash, &zero_hash, &few_hashes}) {
    Dir dir;
    RestoredSet set(dir.path, 0);
    set.set_hash_for_testing(hash);
    // Every key shares a chain with the others; only the key comparison separates them, across a
    // growth of the table (1024 slots) and keys both on disk and in the write buffer.
    std::set<std::string> reference;
    for (int i = 0; i < 700; ++i) {
      std::string key = "v1/Secret|ns|" + std::string(static_cast<std::size_t>(i % 200), 'x') + std::to_string(i);
      REQUIRE(set.insert(key) == reference.insert(key).second);
      REQUIRE_FALSE(set.insert(key));
    }
    CHECK_FALSE(set.contains("v1/Secret|ns|not-there"));
    for (const auto& key : reference) REQUIRE(set.contains(key));
    CHECK(set.size() == reference.size());
  }
}

TEST_CASE("restore §2.3 step 4: long keys across the key file's buffer and the disk") {
  Dir dir;
  RestoredSet set(dir.path, 100);
  std::set<std::string> reference;
  for (int i = 0; i < 200; ++i) {  // about 2 MiB of keys: most flushed, the last ones buffered
    std::string key = "v1/ConfigMap|ns|" + std::to_string(i) + std::string(10000, static_cast<char>('a' + i % 26));
    REQUIRE(set.insert(key));
    reference.insert(key);
  }
  for (const auto& key : reference) {
    REQUIRE_FALSE(set.insert(key));
    std::string other = key;
    other.back() = '#';  // same length, same hash chain unlikely but the same size: compared byte by byte
    REQUIRE_FALSE(set.contains(other));
  }
}

TEST_CASE("issue 17: the set's files are in the given directory, unlinked, and closed with it") {
  Dir dir;
  {
    RestoredSet set(dir.path, 1000);
    for (int i = 0; i < 5000; ++i) set.insert("v1/Pod|ns|pod-" + std::to_string(i));  // grows once
    // The table and the keys, both in `dir`.
    CHECK(vbackup::testing::open_files((dir.path / "vbackup-restored-").string()) == 2);
    CHECK(dir.empty());  // unlinked at once: nothing a crash could leave behind
  }
  CHECK(vbackup::testing::open_files((dir.path / "vbackup-restored-").string()) == 0);
  CHECK(dir.empty());
}

TEST_CASE("issue 17: a directory that cannot hold the files is an io error naming it") {
  auto missing = fs::temp_directory_path() / "vbk-restored-set-test-missing" / "no-such-dir";
  try {
    RestoredSet set(missing, 10);
    FAIL("no error");
  } catch (const vbackup::Error& e) {
    CHECK(e.code() == vbackup::ErrorCode::io);
    CHECK(std::string(e.what()).find(missing.string()) != std::string::npos);
  }
}

// Random inserts, lookups and erases against std::set, erases making tombstones that later probes
// walk past and growths drop.
void compare_with_erases(RestoredSet& set, std::uint64_t seed, int operations) {
  std::mt19937_64 rng(seed);
  std::set<std::string> reference;
  for (int i = 0; i < operations; ++i) {
    std::string key = random_key(rng);
    switch (rng() % 6) {
      case 0: REQUIRE(set.contains(key) == (reference.count(key) == 1)); break;
      case 1:
      case 2:
        set.erase(key);
        reference.erase(key);
        REQUIRE_FALSE(set.contains(key));
        break;
      default: REQUIRE(set.insert(key) == reference.insert(key).second);
    }
    REQUIRE(set.size() == reference.size());
  }
  for (const auto& key : reference) REQUIRE(set.contains(key));
}

TEST_CASE("spec §5.8 check 6: an erased item can be backed up again; the others stay") {
  Dir dir;
  RestoredSet set(dir.path, 10, "vbackup-backed-up-", "backed-up-items set");
  set.set_hash_for_testing(&constant_hash);  // one chain: the erased slot sits between the others
  CHECK(set.insert("v1/Pod|ns|a"));
  CHECK(set.insert("v1/Pod|ns|b"));
  CHECK(set.insert("v1/Pod|ns|c"));
  set.erase("v1/Pod|ns|b");
  set.erase("v1/Pod|ns|not-there");  // nothing to erase: no change
  CHECK(set.size() == 2);
  CHECK_FALSE(set.contains("v1/Pod|ns|b"));
  CHECK(set.contains("v1/Pod|ns|c"));  // found past the tombstone
  CHECK(set.insert("v1/Pod|ns|b"));
  CHECK_FALSE(set.insert("v1/Pod|ns|b"));
  CHECK(set.size() == 3);
}

TEST_CASE("spec §5.8 check 6: randomized inserts and erases against std::set, across growths") {
  for (std::uint64_t seed : {11u, 12u}) {
    CAPTURE(seed);
    Dir dir;
    RestoredSet set(dir.path, 0);
    compare_with_erases(set, seed, 40000);
  }
  Dir dir;
  RestoredSet set(dir.path, 0);
  set.set_hash_for_testing(&few_hashes);
  compare_with_erases(set, 13, 3000);
}

TEST_CASE("issue 17: erasing and inserting the same key forever keeps the table its size") {
  Dir dir;
  RestoredSet set(dir.path, 0);
  for (int i = 0; i < 100; ++i) set.insert("v1/Pod|ns|keep-" + std::to_string(i));
  auto capacity = set.capacity();
  for (int i = 0; i < 20000; ++i) {
    REQUIRE(set.insert("v1/Pod|ns|churn"));
    set.erase("v1/Pod|ns|churn");
  }
  CHECK(set.capacity() == capacity);  // rebuilt in place when tombstones fill it
  CHECK(set.size() == 100);
  for (int i = 0; i < 100; ++i) REQUIRE(set.contains("v1/Pod|ns|keep-" + std::to_string(i)));
}
