// Issue 17: the spool's index of a backup is on disk (backup_contents.hpp): memory keeps one name in
// 64 of each directory, so a million-item backup costs disk, not RAM. Listing order and lookups are
// Velero's as before (restore §2.11: os.ReadDir order, "a-b.json" before "a.json"; the last of two
// entries with one path wins, as on extraction).
#include "restore/plan/backup_contents.hpp"
#include "restore/plan/spool.hpp"
#include "test_helpers.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/stream.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <random>

#include <sys/resource.h>
#include <unistd.h>

using namespace vbackup;
using namespace vbackup::restore;

namespace {

std::filesystem::path spool_dir() {
  auto d = std::filesystem::temp_directory_path() / ("vbk-spool-index-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d;
}

std::string body(const std::string& name, int version = 0) {
  return R"({"kind":"ConfigMap","metadata":{"name":")" + name + R"("},"v":)" + std::to_string(version) + "}";
}

BackupContents contents_of(int items, bool duplicates) {
  StringOutputStream out;
  {
    archive::ArchiveWriter w(out, archive::Compression::gzip);
    for (int i = 0; i < items; ++i) {
      // Names that sort differently as file names than as strings: "n-7-x" before "n-7".
      std::string name = "n-" + std::to_string(i) + (i % 3 == 0 ? "-x" : "");
      w.add_item("configmaps", "ns", name, "", body(name));
      w.add_item("configmaps", "ns", name, "v1-preferredversion", body(name));
    }
    if (duplicates) w.add_file("resources/configmaps/namespaces/ns/n-5.json", body("n-5", 2));  // later: wins
    w.finish();
  }
  StringInputStream in(out.take());
  return BackupContents(in, "backups/b/b.tar.gz", spool_dir());
}

}  // namespace

TEST_CASE("issue 17: the spool index holds about one name in 256 in memory, not every item") {
  auto small = contents_of(2000, false);
  auto large = contents_of(40000, false);
  CHECK(large.total_items() == 40000);
  double per_item = double(large.index_bytes() - small.index_bytes()) / 38000;
  MESSAGE("index bytes per added item: " << per_item);
  CHECK(per_item < 1);  // one in 64 kept about 2 B; every item, 32 + 2 + the name's length
}

TEST_CASE("restore §2.11 the index on disk keeps os.ReadDir order, finds every item, the last entry wins") {
  auto c = contents_of(5000, true);
  std::vector<std::string> names;
  c.for_each_item("configmaps", "ns", "", [&](std::string_view n) { names.emplace_back(n); });
  REQUIRE(names.size() == 5000);
  auto file_order = [](const std::string& a, const std::string& b) { return a + ".json" < b + ".json"; };
  CHECK(std::is_sorted(names.begin(), names.end(), file_order));
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  CHECK(c.item_count("configmaps", "ns", "v1-preferredversion") == 5000);
  for (const auto& n : names) {
    CAPTURE(n);
    auto bytes = c.read("configmaps", "ns", n);
    REQUIRE(bytes);
    CHECK(*bytes == body(n, n == "n-5" ? 2 : 0));
    CHECK(c.read("configmaps", "ns", n, "v1-preferredversion") == body(n));
    CHECK_FALSE(c.read("configmaps", "ns", n + "0-"));  // between two names
  }
  CHECK_FALSE(c.read("configmaps", "ns", "a"));    // before the first
  CHECK_FALSE(c.read("configmaps", "ns", "zzz"));  // after the last
  CHECK_FALSE(c.read("configmaps", "other", "n-1"));
}

namespace {

// The tarball, counting the index sort's run files in `dir` at every read (the sort runs meanwhile).
struct WatchedInput : InputStream {
  WatchedInput(std::string bytes, std::filesystem::path d) : in(std::move(bytes)), dir(std::move(d)) {}
  std::size_t read(void* buffer, std::size_t size) override {
    most_runs = std::max(most_runs, vbackup::testing::open_files((dir / "vbackup-sort-").string()));
    return in.read(buffer, size);
  }
  StringInputStream in;
  std::filesystem::path dir;
  int most_runs = 0;
};

}  // namespace

TEST_CASE("issue 17: the index's sort spills its runs into the spool directory, and they go") {
  auto dir = spool_dir() / "sort-runs";
  std::filesystem::create_directories(dir);
  StringOutputStream out;
  {
    archive::ArchiveWriter w(out, archive::Compression::gzip);
    for (int i = 0; i < 40000; ++i) w.add_item("configmaps", "ns", "n-" + std::to_string(i), "", body("n"));
    w.finish();
  }
  WatchedInput in(out.take(), dir);
  {
    BackupContents c(in, "backups/b/b.tar.gz", dir);
    CHECK(c.total_items() == 40000);
    CHECK(vbackup::testing::open_files((dir / "vbackup-sort-").string()) == 0);  // merged into the index file, closed
  }
  CHECK(in.most_runs > 0);  // more than one run's megabyte of entries: spilled, into `dir`
  CHECK(std::filesystem::is_empty(dir));
  std::filesystem::remove(dir);
}

TEST_CASE("issue 17: the spool's bytes read back at every place they can be: file, block in flight, buffer") {
  // Blocks are written on a thread of their own while the next fills (spool.hpp); equal() and a
  // truncate() may reach into any of the three places, as the de-duplication of Velero's second
  // copy does when the copy straddles a block.
  detail::Spool spool(spool_dir());
  std::mt19937 rng(17);
  std::string expect;
  std::uniform_int_distribution<int> size_of(1, 300000);
  while (expect.size() < (9u << 20)) {
    std::string chunk(static_cast<std::size_t>(size_of(rng)), '\0');
    for (auto& c : chunk) c = static_cast<char>(rng());
    std::uint64_t at = spool.size();
    spool.append(chunk.data(), chunk.size());
    expect += chunk;
    // The same bytes again (as Velero's second copy), compared with the first and dropped.
    spool.append(chunk.data(), chunk.size());
    CHECK(spool.equal(at, at + chunk.size(), chunk.size()));
    spool.truncate(at + chunk.size());
    // A copy that differs in its last byte is not equal.
    std::string other = chunk;
    other.back() ^= 1;
    spool.append(other.data(), other.size());
    CHECK_FALSE(spool.equal(at, at + chunk.size(), chunk.size()));
    spool.truncate(at + chunk.size());
    REQUIRE(spool.size() == expect.size());
    // Any earlier range still compares with itself at another earlier place only when equal.
    if (expect.size() > 4096) {
      std::uint64_t a = rng() % (expect.size() - 2048), b = rng() % (expect.size() - 2048);
      CHECK(spool.equal(a, b, 2048) == (expect.compare(a, 2048, expect, b, 2048) == 0));
    }
  }
  spool.flush();
  std::string back(expect.size(), '\0');
  spool.read(0, back.data(), back.size());
  CHECK(back == expect);
  // A truncate into the written file, then more bytes.
  spool.truncate(1000);
  spool.append("tail", 4);
  spool.flush();
  std::string end(1004, '\0');
  spool.read(0, end.data(), end.size());
  CHECK(end == expect.substr(0, 1000) + "tail");
}

TEST_CASE("issue 17: a spool write that fails on the writer thread is thrown to the spool's caller, naming it") {
  // A real failing write: RLIMIT_FSIZE (with SIGXFSZ ignored) makes pwrite past 3 MiB fail with
  // EFBIG, as a full disk fails it with ENOSPC.
  struct rlimit old {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 3 << 20;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string msg;
  ErrorCode code = ErrorCode::ok;
  {
    detail::Spool spool(spool_dir());
    std::string block(1 << 20, 'x');
    msg = testing::error_of([&] {
      for (int i = 0; i < 16; ++i) spool.append(block.data(), block.size());
      spool.flush();
    }, &code);
  }  // the destructor waits for nothing more and does not throw
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  CHECK(code == ErrorCode::io);
  CHECK(msg == "restore spool in " + spool_dir().string() + ": cannot write: File too large");
}
