// The file ObjectStore (the embedded default) and location URLs.
#include "test_helpers.hpp"
#include "vbackup/error.hpp"
#include "vbackup/storage.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

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
