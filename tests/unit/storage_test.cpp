// The file ObjectStore (the embedded default) and location URLs.
#include "test_helpers.hpp"
#include "vbackup/error.hpp"
#include "vbackup/storage.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <thread>
#include <vector>

using namespace vbackup;
using namespace vbackup::storage;
namespace fs = std::filesystem;

using testing::TempDir;

TEST_CASE("file store: put, get, exists, ranged get") {
  TempDir d;
  auto s = open_file_store(d.path);
  s->put("backups/b1/velero-backup.json", "{}");
  s->put("backups/b1/b1.tar.gz", "0123456789");
  CHECK(s->exists("backups/b1/velero-backup.json"));
  CHECK_FALSE(s->exists("backups/b1/missing"));
  CHECK(s->get_all("backups/b1/b1.tar.gz", 100) == "0123456789");
  auto in = s->get("backups/b1/b1.tar.gz", {3, 4});
  CHECK(read_all(*in, 100, "t") == "3456");
  auto tail = s->get("backups/b1/b1.tar.gz", {8, std::nullopt});
  CHECK(read_all(*tail, 100, "t") == "89");
  CHECK_THROWS_AS(s->get_all("nope", 10), Error);
  try {
    s->get("backups/b1/nope");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::not_found);
  }
}

TEST_CASE("file store: nothing is visible until commit; an abandoned upload leaves no trace") {
  TempDir d;
  auto s = open_file_store(d.path);
  {
    auto w = s->open_write("backups/b/b.tar.gz");
    w->write("partial");
    CHECK_FALSE(s->exists("backups/b/b.tar.gz"));
    CHECK(s->list_objects("").empty());  // the temporary file is not an object
  }  // destroyed without commit
  CHECK_FALSE(s->exists("backups/b/b.tar.gz"));
  std::size_t files = 0;
  for (auto& e : fs::recursive_directory_iterator(d.path)) files += e.is_regular_file();
  CHECK(files == 0);

  auto w = s->open_write("backups/b/b.tar.gz");
  w->write("complete");
  CHECK(w->bytes_written() == 8);
  w->commit();
  CHECK(s->get_all("backups/b/b.tar.gz", 100) == "complete");
}

TEST_CASE("file store: replacing an object is atomic") {
  TempDir d;
  auto s = open_file_store(d.path);
  s->put("a/x", "old");
  auto w = s->open_write("a/x");
  w->write("new-content");
  CHECK(s->get_all("a/x", 100) == "old");
  w->commit();
  CHECK(s->get_all("a/x", 100) == "new-content");
}

TEST_CASE("spec §2.9: ListCommonPrefixes returns full prefixes that hold objects at any depth") {
  TempDir d;
  auto s = open_file_store(d.path);
  s->put("backups/b1/velero-backup.json", "1");
  s->put("backups/b2/x", "2");
  s->put("backups/b3/deep/x/y.txt", "3");  // only deeper objects: still a prefix (s3rver gets this wrong)
  s->put("top.txt", "t");
  fs::create_directories(d.path / "backups" / "empty");  // an empty directory is not a prefix
  CHECK(s->list_common_prefixes("backups/", "/") == std::vector<std::string>{"backups/b1/", "backups/b2/", "backups/b3/"});
  CHECK(s->list_common_prefixes("", "/") == std::vector<std::string>{"backups/"});
  CHECK(s->list_common_prefixes("back", "/") == std::vector<std::string>{"backups/"});
  CHECK(s->list_common_prefixes("backups/b", "/") == std::vector<std::string>{"backups/b1/", "backups/b2/", "backups/b3/"});
  CHECK(s->list_common_prefixes("nothing/", "/").empty());
}

TEST_CASE("spec §2.9: ListObjects returns every key under the prefix, sorted") {
  TempDir d;
  auto s = open_file_store(d.path);
  s->put("backups/b1/z", "");
  s->put("backups/b1/a", "");
  s->put("backups/b10/a", "");
  s->put("restores/r/a", "");
  CHECK(s->list_objects("backups/b1/") == std::vector<std::string>{"backups/b1/a", "backups/b1/z"});
  CHECK(s->list_objects("backups/b1") == std::vector<std::string>{"backups/b1/a", "backups/b1/z", "backups/b10/a"});
  CHECK(s->list_objects("").size() == 4);
}

TEST_CASE("file store: removing prunes empty directories so prefixes disappear, missing keys are fine") {
  TempDir d;
  auto s = open_file_store(d.path);
  s->put("backups/b1/x", "");
  s->remove("backups/b1/x");
  CHECK(s->list_common_prefixes("", "/").empty());
  CHECK_FALSE(fs::exists(d.path / "backups"));
  CHECK(fs::exists(d.path));  // the root stays
  s->remove("backups/b1/x");  // again: not an error
}

TEST_CASE("file store: keys that would escape the directory are refused") {
  TempDir d;
  auto s = open_file_store(d.path);
  for (const char* bad : {"../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "", "a/", ".vbk-tmp-x"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(s->put(bad, "x"), Error);
  }
}

// ---- the ObjectStore contract, for every local store ------------------------------------------

namespace {

// Runs `check` once per store that promises the contract: the file store and the memory store.
template <class F>
void for_each_store(F&& check) {
  SUBCASE("file store") {
    TempDir d("storage");
    auto s = open_file_store(d.path);
    check(*s);
  }
  SUBCASE("memory store") {
    auto s = open_memory_store("unit");
    check(*s);
  }
}

}  // namespace

TEST_CASE("spec §2.9 contract: put, exists, whole and ranged get; a missing key is not_found") {
  for_each_store([](ObjectStore& s) {
    s.put("backups/b1/velero-backup.json", "{}");
    s.put("backups/b1/b1.tar.gz", "0123456789");
    CHECK(s.exists("backups/b1/velero-backup.json"));
    CHECK_FALSE(s.exists("backups/b1/missing"));
    CHECK(s.get_all("backups/b1/b1.tar.gz", 100) == "0123456789");
    CHECK(read_all(*s.get("backups/b1/b1.tar.gz", {3, 4}), 100, "t") == "3456");
    CHECK(read_all(*s.get("backups/b1/b1.tar.gz", {8, std::nullopt}), 100, "t") == "89");
    CHECK(read_all(*s.get("backups/b1/b1.tar.gz", {8, 100}), 100, "t") == "89");  // a range past the end stops there
    CHECK(read_all(*s.get("backups/b1/b1.tar.gz", {10, std::nullopt}), 100, "t").empty());
    CHECK(read_all(*s.get("backups/b1/b1.tar.gz", {0, 0}), 100, "t").empty());
    s.put("empty", "");
    CHECK(s.exists("empty"));
    CHECK(s.get_all("empty", 10).empty());
    ErrorCode code{};
    CHECK(testing::error_of([&] { s.get("backups/b1/nope"); }, &code).find("backups/b1/nope: no such object") !=
          std::string::npos);
    CHECK(code == ErrorCode::not_found);
    CHECK_THROWS_AS(s.get_all("backups/b1/b1.tar.gz", 5), Error);  // over the caller's limit
  });
}

TEST_CASE("spec §2.9 contract: nothing is visible until commit; an abandoned upload leaves nothing") {
  for_each_store([](ObjectStore& s) {
    {
      auto w = s.open_write("backups/b/b.tar.gz");
      w->write("partial");
      CHECK(w->bytes_written() == 7);
      CHECK_FALSE(s.exists("backups/b/b.tar.gz"));
      CHECK(s.list_objects("").empty());
      CHECK(s.list_common_prefixes("", "/").empty());
    }  // destroyed without commit
    CHECK_FALSE(s.exists("backups/b/b.tar.gz"));
    CHECK(s.list_objects("").empty());

    auto w = s.open_write("backups/b/b.tar.gz");
    w->write("comp");
    w->write(std::string_view("lete"));
    CHECK(w->bytes_written() == 8);
    w->commit();
    w->commit();  // a second commit does nothing
    CHECK(s.get_all("backups/b/b.tar.gz", 100) == "complete");
    CHECK_THROWS_AS(w->write("more"), Error);
    CHECK(s.get_all("backups/b/b.tar.gz", 100) == "complete");
  });
}

TEST_CASE("spec §2.9 contract: replacing an object is atomic; an open reader keeps what it started with") {
  for_each_store([](ObjectStore& s) {
    s.put("a/x", "old");
    auto reader = s.get("a/x");
    auto w = s.open_write("a/x");
    w->write("new-content");
    CHECK(s.get_all("a/x", 100) == "old");
    w->commit();
    CHECK(s.get_all("a/x", 100) == "new-content");
    CHECK(read_all(*reader, 100, "a/x") == "old");
  });
}

TEST_CASE("spec §2.9 contract: ListCommonPrefixes gives full, sorted prefixes that hold objects at any depth") {
  for_each_store([](ObjectStore& s) {
    s.put("backups/b2/x", "2");
    s.put("backups/b1/velero-backup.json", "1");
    s.put("backups/b1/b1.tar.gz", "1");
    s.put("backups/b3/deep/x/y.txt", "3");
    s.put("top.txt", "t");
    CHECK(s.list_common_prefixes("backups/", "/") == std::vector<std::string>{"backups/b1/", "backups/b2/", "backups/b3/"});
    CHECK(s.list_common_prefixes("", "/") == std::vector<std::string>{"backups/"});
    CHECK(s.list_common_prefixes("back", "/") == std::vector<std::string>{"backups/"});
    CHECK(s.list_common_prefixes("backups/b", "/") == std::vector<std::string>{"backups/b1/", "backups/b2/", "backups/b3/"});
    CHECK(s.list_common_prefixes("backups/b3/", "/") == std::vector<std::string>{"backups/b3/deep/"});
    CHECK(s.list_common_prefixes("backups/b1/", "/").empty());  // only objects below
    CHECK(s.list_common_prefixes("nothing/", "/").empty());
  });
}

TEST_CASE("spec §2.9 contract: ListObjects gives every key under the prefix, sorted by bytes") {
  for_each_store([](ObjectStore& s) {
    s.put("backups/b1/z", "");
    s.put("backups/b1/a", "");
    s.put("backups/b10/a", "");
    s.put("backups/b1/B", "");
    s.put("restores/r/a", "");
    CHECK(s.list_objects("backups/b1/") == std::vector<std::string>{"backups/b1/B", "backups/b1/a", "backups/b1/z"});
    CHECK(s.list_objects("backups/b1") ==
          std::vector<std::string>{"backups/b1/B", "backups/b1/a", "backups/b1/z", "backups/b10/a"});
    CHECK(s.list_objects("").size() == 5);
    CHECK(s.list_objects("nothing").empty());
  });
}

TEST_CASE("spec §2.9 contract: removing a key, and removing a missing one, is fine; its prefix goes with it") {
  for_each_store([](ObjectStore& s) {
    s.put("backups/b1/x", "");
    s.put("backups/b2/x", "");
    s.remove("backups/b1/x");
    CHECK_FALSE(s.exists("backups/b1/x"));
    CHECK(s.list_common_prefixes("backups/", "/") == std::vector<std::string>{"backups/b2/"});
    s.remove("backups/b1/x");  // again: not an error (S3 semantics)
    s.remove("never/there");
    CHECK(s.list_objects("") == std::vector<std::string>{"backups/b2/x"});
  });
}

TEST_CASE("spec §2.9 contract: keys that are not relative '/'-separated paths are refused, naming the store") {
  for_each_store([](ObjectStore& s) {
    for (const char* bad : {"../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "", "a/"}) {
      CAPTURE(bad);
      ErrorCode code{};
      std::string msg = testing::error_of([&] { s.put(bad, "x"); }, &code);
      CHECK(code == ErrorCode::invalid);
      CHECK(msg.starts_with(s.describe() + ": invalid object key"));
      CHECK_THROWS_AS(s.exists(bad), Error);
      CHECK_THROWS_AS(s.get(bad), Error);
      CHECK_THROWS_AS(s.remove(bad), Error);
    }
    CHECK(s.list_objects("").empty());
  });
}

TEST_CASE("memory store: names itself memory://<name>; signed URLs are memory://<name>/<key>") {
  auto s = open_memory_store("demo");
  CHECK(s->describe() == "memory://demo");
  CHECK(s->signed_url("backups/b1/b1-logs.gz", std::chrono::minutes(10)) == "memory://demo/backups/b1/b1-logs.gz");
  CHECK(open_memory_store()->describe() == "memory://memory");
  CHECK_THROWS_AS(s->signed_url("../x", std::chrono::minutes(1)), Error);
  // Two stores never share objects.
  s->put("k", "v");
  CHECK_FALSE(open_memory_store("demo")->exists("k"));
}

TEST_CASE("memory store: writers on several threads; every committed object is listed once, whole") {
  auto s = open_memory_store("threads");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&s, t] {
      for (int i = 0; i < 50; ++i) {
        std::string key = "t" + std::to_string(t) + "/o" + std::to_string(i);
        auto w = s->open_write(key);
        w->write(std::string(1000, static_cast<char>('a' + t)));
        w->commit();
        s->list_common_prefixes("", "/");
        if (i % 2) s->remove(key);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<std::string> keys = s->list_objects("");
  CHECK(keys.size() == 8 * 25);
  CHECK(std::is_sorted(keys.begin(), keys.end()));
  CHECK(s->list_common_prefixes("", "/").size() == 8);
  CHECK(s->get_all("t3/o0", 2000) == std::string(1000, 'd'));
}

TEST_CASE("location URLs: url() keeps '/' and ':' in query values, encodes the rest") {
  auto s3 = parse_location_url("s3://velero/cluster-a/?region=us-east-1&s3ForcePathStyle=true&s3Url=http%3A%2F%2F127.0.0.1%3A9000");
  CHECK(s3.url() == "s3://velero/cluster-a?region=us-east-1&s3ForcePathStyle=true&s3Url=http://127.0.0.1:9000");
  auto odd = parse_location_url("s3://b?tagging=a%3Db%26c%3Dd&profile=x%20y");
  CHECK(odd.url() == "s3://b?profile=x%20y&tagging=a%3Db%26c%3Dd");
  CHECK(parse_location_url(odd.url()).config == odd.config);
}

TEST_CASE("location URLs") {
  auto f = parse_location_url("file:///var/backups?prefix=/team-a/");
  CHECK(f.provider == "file");
  CHECK(f.bucket == "/var/backups");
  CHECK(f.prefix == "team-a");
  CHECK(f.url() == "file:///var/backups?prefix=team-a");

  auto rel = parse_location_url("file://demo-backups");
  CHECK(rel.bucket == "demo-backups");

  auto s3 = parse_location_url("s3://velero/cluster-a/?region=us-east-1&s3ForcePathStyle=true&s3Url=http%3A%2F%2F127.0.0.1%3A9000");
  CHECK(s3.provider == "aws");
  CHECK(s3.bucket == "velero");
  CHECK(s3.prefix == "cluster-a");
  CHECK(s3.config.at("region") == "us-east-1");
  CHECK(s3.config.at("s3Url") == "http://127.0.0.1:9000");

  auto az = parse_location_url("azure://backups?storageAccount=dev&storageAccountKey=SECRET&name=primary&accessMode=ReadOnly");
  CHECK(az.provider == "azure");
  CHECK(az.name == "primary");
  CHECK(az.read_only);
  CHECK(az.url().find("SECRET") == std::string::npos);  // credentials never echoed

  for (const char* bad : {"/plain/path", "ftp://x", "s3://", "file://", "s3://b?novalue", "s3://b?k=%zz"}) {
    CAPTURE(bad);
    try {
      parse_location_url(bad);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::invalid);
      CHECK(std::string(e.what()).find(bad) != std::string::npos);  // names the input
    }
  }
}
