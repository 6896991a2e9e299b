// The Velero backup tarball (spec §1): paths, Go's tar framing, round trips, hostile input.
#include "archive/tar_header.hpp"
#include "test_helpers.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"
#include "vbackup/stream.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <zstd.h>

using namespace vbackup;
using namespace vbackup::archive;

namespace {

std::string write_archive(Compression c, const std::vector<std::pair<std::string, std::string>>& files,
                          std::string_view format_version = kFormatVersion) {
  StringOutputStream out;
  ArchiveWriter w(out, c, format_version);
  for (const auto& [path, body] : files) w.add_file(path, body);
  w.finish();
  return out.take();
}

struct ReadBack {
  std::vector<Entry> entries;
  std::vector<std::string> bodies;
  std::string format_version;
};

ReadBack read_archive(std::string bytes, std::size_t limit = 1 << 20, bool decode_ahead = false) {
  StringInputStream in(std::move(bytes));
  ArchiveReader r(in, "test.tar.gz", decode_ahead);
  ReadBack rb;
  Entry e;
  while (r.next(e)) {
    rb.entries.push_back(e);
    rb.bodies.push_back(r.read_body(limit));
  }
  rb.format_version = r.format_version();
  return rb;
}

std::string gunzip(const std::string& gz) { return gzip_decompress(gz, 1 << 30, "test"); }

// A raw tar with arbitrary (even hostile) names, framed as Go frames them.
std::string raw_tar(const std::vector<std::pair<std::string, std::string>>& files, bool trailer = true) {
  std::string tar;
  for (const auto& [path, body] : files) {
    tar += detail::go_file_header(path, body.size(), 1700000000);
    tar += body;
    tar.append(detail::block_padding(body.size()), '\0');
  }
  if (trailer) tar.append(1024, '\0');
  return tar;
}

std::string field(const std::string& block, std::size_t offset, std::size_t size) { return block.substr(offset, size); }

std::string error_of(const std::string& bytes, bool decode_ahead = false) {
  ErrorCode code{};
  std::string msg = testing::error_of([&] { read_archive(bytes, 1 << 20, decode_ahead); }, &code);
  if (msg.empty()) return "";
  CHECK(code == ErrorCode::invalid);
  return msg;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Paths

TEST_CASE("spec §1.2: item paths — namespaced, cluster-scoped, core and grouped resources") {
  CHECK(item_path("pods", "nginx", "web-0") == "resources/pods/namespaces/nginx/web-0.json");
  CHECK(item_path("persistentvolumes", "", "pvc-0f3c") == "resources/persistentvolumes/cluster/pvc-0f3c.json");
  CHECK(item_path("namespaces", "", "demo") == "resources/namespaces/cluster/demo.json");
  CHECK(item_path("deployments.apps", "foo", "bar") == "resources/deployments.apps/namespaces/foo/bar.json");
  CHECK(item_path("customresourcedefinitions.apiextensions.k8s.io", "", "backups.velero.io") ==
        "resources/customresourcedefinitions.apiextensions.k8s.io/cluster/backups.velero.io.json");
  CHECK(item_path("clusterroles.rbac.authorization.k8s.io", "", "system:controller:x") ==
        "resources/clusterroles.rbac.authorization.k8s.io/cluster/system:controller:x.json");
}

TEST_CASE("spec §1.2: versioned paths — preferred-version copy and non-preferred versions") {
  // backup_test.go expects resources/deployments.apps/v1-preferredversion/namespaces/foo/bar.json
  CHECK(item_path("deployments.apps", "foo", "bar", "v1-preferredversion") ==
        "resources/deployments.apps/v1-preferredversion/namespaces/foo/bar.json");
  CHECK(item_path("pods", "nginx", "web-0", "v1-preferredversion") ==
        "resources/pods/v1-preferredversion/namespaces/nginx/web-0.json");
  CHECK(item_path("namespaces", "", "demo", "v1-preferredversion") ==
        "resources/namespaces/v1-preferredversion/cluster/demo.json");
  CHECK(item_path("horizontalpodautoscalers.autoscaling", "myexample", "php", "v2beta2") ==
        "resources/horizontalpodautoscalers.autoscaling/v2beta2/namespaces/myexample/php.json");
}

TEST_CASE("spec §1.2: item_path refuses components Kubernetes forbids in names") {
  CHECK_THROWS_AS(item_path("pods", "ns", "a/b"), Error);
  CHECK_THROWS_AS(item_path("pods", "ns", ".."), Error);
  CHECK_THROWS_AS(item_path("pods", "..", "x"), Error);
  CHECK_THROWS_AS(item_path("pods", "ns", ""), Error);
  CHECK_THROWS_AS(item_path("", "ns", "x"), Error);
  CHECK_THROWS_AS(item_path("pods", "ns", "x", "namespaces"), Error);
  try {
    item_path("pods", "ns", "a/b");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid);
    CHECK(std::string(e.what()) == "archive item path: name \"a/b\": must not contain '/'");
  }
}

TEST_CASE("spec §1.5: parse_item_path reads every item path item_path writes") {
  for (std::string version : {"", "v1", "v1-preferredversion", "v2beta2"}) {
    for (std::string ns : {"", "nginx", "cluster", "namespaces"}) {
      for (std::string gr : {"pods", "deployments.apps", "volumesnapshots.snapshot.storage.k8s.io"}) {
        std::string p = item_path(gr, ns, "web-0", version);
        auto item = parse_item_path(p);
        REQUIRE_MESSAGE(item, p);
        CHECK(item->resource == gr);
        CHECK(item->namespace_ == ns);
        CHECK(item->name == "web-0");
        CHECK(item->version_dir == version);
        CHECK(item->cluster_scoped == ns.empty());
      }
    }
  }
  auto p = parse_item_path("resources/pods/v1-preferredversion/namespaces/nginx/web-0.json");
  REQUIRE(p);
  CHECK(p->version() == "v1");
  CHECK(p->preferred());
  auto q = parse_item_path("resources/jobs.batch/v1/cluster/x.json");
  REQUIRE(q);
  CHECK(q->version() == "v1");
  CHECK_FALSE(q->preferred());
  auto plain = parse_item_path("resources/pods/namespaces/nginx/web-0.json");
  REQUIRE(plain);
  CHECK(plain->version() == "");
  CHECK_FALSE(plain->preferred());
}

TEST_CASE("spec §1.5: non-item paths are not items") {
  for (const char* path : {
           "metadata/version",
           "velero-backup.json",
           "resources",
           "resources/pods",                                     // file directly under resources/
           "resources/pods/x.json",                              // file directly under resources/<GR>/
           "resources/pods/namespaces/x.json",                   // file directly under namespaces/
           "resources/pods/cluster/sub/x.json",                  // sub-directory inside a scope dir
           "resources/pods/namespaces/ns/sub/x.json",            // sub-directory inside a namespace dir
           "resources/pods/v1/cluster/sub/x.json",               // the same below a version dir
           "resources/pods/v1/namespaces/ns/sub/x.json",
           "resources/pods/v1/x.json",                           // version dir holding a file
           "resources/pods/v1/other/x.json",                     // version dir without a scope dir
           "resources/pods/cluster/x.yaml",                      // not restorable: restore opens <name>.json
           "resources/pods/cluster/.json",
           "resources//cluster/x.json",
           "other/pods/cluster/x.json",
       }) {
    CHECK_MESSAGE(!parse_item_path(path), path);
  }
}

TEST_CASE("spec §1.5: parser_test.go TestParseGroupVersions tree") {
  std::map<std::string, std::optional<std::pair<std::string, std::string>>> tree = {
      // ver dir, namespace
      {"resources/clusterroles.rbac.authorization.k8s.io/v1-preferredversion/cluster/system/controller/"
       "attachdetach-controller.json",
       std::nullopt},  // a sub-directory in the scope dir: Parse ignores it
      {"resources/clusterroles.rbac.authorization.k8s.io/cluster/system/controller/attachdetach-controller.json",
       std::nullopt},
      {"resources/horizontalpodautoscalers.autoscaling/namespaces/myexample/php-apache-autoscaler.json",
       std::pair{"", "myexample"}},
      {"resources/horizontalpodautoscalers.autoscaling/v1-preferredversion/namespaces/myexample/"
       "php-apache-autoscaler.json",
       std::pair{"v1-preferredversion", "myexample"}},
      {"resources/horizontalpodautoscalers.autoscaling/v2beta1/namespaces/myexample/php-apache-autoscaler.json",
       std::pair{"v2beta1", "myexample"}},
      {"resources/horizontalpodautoscalers.autoscaling/v2beta2/namespaces/myexample/php-apache-autoscaler.json",
       std::pair{"v2beta2", "myexample"}},
      {"resources/pods/namespaces/nginx-example/nginx-deployment-57d5dcb68-wrqsc.json", std::pair{"", "nginx-example"}},
      {"resources/pods/v1-preferredversion/namespaces/nginx-example/nginx-deployment-57d5dcb68-wrqsc.json",
       std::pair{"v1-preferredversion", "nginx-example"}},
  };
  std::map<std::string, std::vector<std::string>> versions;  // GR → versions, preferred marked with *
  for (const auto& entry : tree) {
    // Not a structured binding: clang 14 cannot capture one in doctest's CHECK_MESSAGE lambda.
    const std::string& path = entry.first;
    const auto& want = entry.second;
    auto item = parse_item_path(path);
    CHECK_MESSAGE(item.has_value() == want.has_value(), path);
    if (!item || !want) continue;
    CHECK(item->version_dir == want->first);
    CHECK(item->namespace_ == want->second);
    if (!item->version_dir.empty()) versions[item->resource].push_back(item->version() + (item->preferred() ? "*" : ""));
  }
  for (auto& [gr, v] : versions) std::sort(v.begin(), v.end());
  CHECK(versions["horizontalpodautoscalers.autoscaling"] == std::vector<std::string>{"v1*", "v2beta1", "v2beta2"});
  CHECK(versions["pods"] == std::vector<std::string>{"v1*"});
}

TEST_CASE("spec §1.5: parser_test.go TestParse tree (widgets.foo, dongles.foo, dongles.bar)") {
  std::map<std::string, std::map<std::string, std::vector<std::string>>> got;
  for (const char* p : {"resources/widgets.foo/cluster/item-1.json", "resources/widgets.foo/cluster/item-2.json",
                        "resources/widgets.foo/namespaces/ns-1/item-1.json", "resources/widgets.foo/namespaces/ns-1/item-2.json",
                        "resources/widgets.foo/namespaces/ns-2/item-1.json", "resources/widgets.foo/namespaces/ns-2/item-2.json",
                        "resources/dongles.foo/cluster/item-3.json", "resources/dongles.foo/cluster/item-4.json",
                        "resources/dongles.bar/namespaces/ns-3/item-3.json", "resources/dongles.bar/namespaces/ns-3/item-4.json",
                        "resources/dongles.bar/namespaces/ns-4/item-5.json", "resources/dongles.bar/namespaces/ns-4/item-6.json"}) {
    auto item = parse_item_path(p);
    REQUIRE(item);
    got[item->resource][item->namespace_].push_back(item->name);
  }
  using NS = std::map<std::string, std::vector<std::string>>;
  CHECK(got["widgets.foo"] == NS{{"", {"item-1", "item-2"}}, {"ns-1", {"item-1", "item-2"}}, {"ns-2", {"item-1", "item-2"}}});
  CHECK(got["dongles.foo"] == NS{{"", {"item-3", "item-4"}}});
  CHECK(got["dongles.bar"] == NS{{"ns-3", {"item-3", "item-4"}}, {"ns-4", {"item-5", "item-6"}}});
}

// ---------------------------------------------------------------------------------------------
// Go's tar framing

TEST_CASE("spec §1.1: a USTAR header byte for byte as Go's archive/tar writes it") {
  std::string h = detail::go_file_header("resources/pods/namespaces/nginx/web-0.json", 1234, 1700000000);
  REQUIRE(h.size() == 512);
  CHECK(field(h, 0, 42) == "resources/pods/namespaces/nginx/web-0.json");
  CHECK(field(h, 42, 58) == std::string(58, '\0'));
  CHECK(field(h, 100, 8) == std::string("0000755\0", 8));  // Go: 7 digits + NUL (libarchive: "000755 \0")
  CHECK(field(h, 108, 8) == std::string("0000000\0", 8));
  CHECK(field(h, 116, 8) == std::string("0000000\0", 8));
  CHECK(field(h, 124, 12) == std::string("00000002322\0", 12));
  CHECK(field(h, 136, 12) == std::string("14524770400\0", 12));
  CHECK(h[156] == '0');
  CHECK(field(h, 157, 100) == std::string(100, '\0'));  // no linkname
  CHECK(field(h, 257, 8) == std::string("ustar\0" "00", 8));
  CHECK(field(h, 265, 64) == std::string(64, '\0'));  // no uname / gname
  CHECK(field(h, 329, 16) == std::string("0000000\0" "0000000\0", 16));
  CHECK(field(h, 345, 167) == std::string(167, '\0'));
  // checksum: 6 octal digits, NUL, space; sum of all bytes with the field counted as spaces
  unsigned sum = 0;
  for (std::size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  char expect[9];
  std::snprintf(expect, sizeof expect, "%06o", sum);
  CHECK(field(h, 148, 8) == std::string(expect, 6) + std::string("\0 ", 2));
}

TEST_CASE("spec §1.1: a 150-byte path is split into USTAR prefix/name at the last fitting '/', no PAX") {
  std::string path =
      "resources/" + std::string(50, 'g') + "/namespaces/" + std::string(40, 'n') + "/" + std::string(32, 'x') + ".json";
  REQUIRE(path.size() == 150);
  std::string tar = gunzip(write_archive(Compression::gzip, {{path, "{}"}}));
  std::string h = tar.substr(1024, 512);  // after metadata/version's header and body block
  CHECK(h[156] == '0');
  CHECK(tar.find("PaxHeaders") == std::string::npos);
  // Go takes the LAST '/' within 156 bytes: prefix is everything up to the file name.
  std::string prefix = path.substr(0, path.rfind('/'));
  std::string name = path.substr(path.rfind('/') + 1);
  CHECK(field(h, 0, name.size() + 1) == name + std::string(1, '\0'));
  CHECK(field(h, 345, prefix.size() + 1) == prefix + std::string(1, '\0'));
  CHECK(read_archive(write_archive(Compression::gzip, {{path, "{}"}})).entries.at(1).path == path);
}

TEST_CASE("spec §1.1: a 120-byte final component cannot be split: PAX path record as Go writes it") {
  std::string file = std::string(115, 'a') + ".json";
  std::string path = "resources/pods/namespaces/ns/" + file;
  std::string tar = gunzip(write_archive(Compression::gzip, {{path, "{}"}}));
  std::string x = tar.substr(1024, 512);
  CHECK(x[156] == 'x');
  std::string xname = "resources/pods/namespaces/ns/PaxHeaders.0/" + file;
  CHECK(field(x, 0, 100) == xname.substr(0, 100));  // truncated to the field
  CHECK(field(x, 100, 8) == std::string("0000000\0", 8));
  CHECK(field(x, 136, 12) == std::string("00000000000\0", 12));  // mtime 0
  CHECK(field(x, 329, 16) == std::string(16, '\0'));              // writeRawFile sets no device numbers
  CHECK(field(x, 257, 8) == std::string("ustar\0" "00", 8));
  std::string record = "159 path=" + path + "\n";
  REQUIRE(record.size() == 159);
  CHECK(field(x, 124, 12) == std::string("00000000237\0", 12));  // 159 in octal
  CHECK(tar.substr(1536, record.size()) == record);
  std::string h = tar.substr(2048, 512);
  CHECK(h[156] == '0');
  CHECK(field(h, 0, 100) == path.substr(0, 100));
  CHECK(field(h, 345, 155) == std::string(155, '\0'));
  auto rb = read_archive(write_archive(Compression::gzip, {{path, "{}"}}));
  CHECK(rb.entries.at(1).path == path);
  CHECK(rb.entries.at(1).item->name == std::string(115, 'a'));
}

TEST_CASE("spec §1.1: a non-ASCII path takes a PAX header; the main header keeps its ASCII bytes") {
  std::string path = "resources/configmaps/namespaces/caf\xC3\xA9/r\xC3\xA9glages.json";
  std::string tar = gunzip(write_archive(Compression::gzip, {{path, "{}"}}));
  std::string x = tar.substr(1024, 512);
  CHECK(x[156] == 'x');
  REQUIRE(path.size() == 52);
  std::string xname = "resources/configmaps/namespaces/caf/PaxHeaders.0/rglages.json";
  CHECK(field(x, 0, xname.size() + 1) == xname + std::string(1, '\0'));
  std::string record = "61 path=" + path + "\n";
  REQUIRE(record.size() == 61);
  CHECK(tar.substr(1536, record.size()) == record);
  std::string h = tar.substr(2048, 512);
  std::string ascii = "resources/configmaps/namespaces/caf/rglages.json";
  CHECK(field(h, 0, ascii.size() + 1) == ascii + std::string(1, '\0'));
  CHECK(read_archive(write_archive(Compression::gzip, {{path, "{}"}})).entries.at(1).path == path);
}

TEST_CASE("spec §1.1: PAX record length that grows by a digit (formatPAXRecord's adjustment)") {
  // 4 + 91 + 3 = 98, + 2 digits = 100, which needs 3 digits: Go writes "101 path=…".
  std::string path = "resources/\xC3\xA9" + std::string(91 - 12, 'z');
  REQUIRE(path.size() == 91);
  std::string h = detail::go_file_header(path, 0, 0);
  CHECK(h.substr(512, 4) == "101 ");
  CHECK(h.substr(512, 101).back() == '\n');
}

TEST_CASE("spec §1.1: a body of 8 GiB or more takes a PAX size record; USTAR's size field holds zeros") {
  std::uint64_t size = std::uint64_t{1} << 33;
  std::string h = detail::go_file_header("resources/pods/cluster/big.json", size, 1700000000);
  REQUIRE(h.size() == 3 * 512);
  CHECK(h[156] == 'x');
  CHECK(field(h, 0, 100).starts_with(std::string("resources/pods/cluster/PaxHeaders.0/big.json\0", 45)));
  CHECK(h.substr(512, 19) == "19 size=8589934592\n");  // 2 + 1 + 4 + 1 + 10 + 1
  CHECK(field(h, 1024 + 124, 12) == std::string("00000000000\0", 12));
  CHECK(field(h, 1024, 32) == std::string("resources/pods/cluster/big.json\0", 32));
  // both records, sorted by key
  std::string both = detail::go_file_header("caf\xC3\xA9", size, 0);
  CHECK(both.substr(512, 33) == "14 path=caf\xC3\xA9\n19 size=8589934592\n");
}

TEST_CASE("spec §1.1: the mtime is now, in whole seconds; the trailer is two zero blocks") {
  std::int64_t before = detail::go_now_seconds();
  std::string tar = gunzip(write_archive(Compression::gzip, {}));
  std::int64_t after = detail::go_now_seconds();
  std::int64_t mtime = std::stoll(field(tar, 136, 11), nullptr, 8);
  CHECK(mtime >= before);
  CHECK(mtime <= after);
  REQUIRE(tar.size() == 512 + 512 + 1024);  // version header, its body block, trailer; no record padding
  CHECK(tar.substr(1024) == std::string(1024, '\0'));
  CHECK(tar.substr(512, 6) == "1.1.0\n");
}

TEST_CASE("spec §1.1: gzip header as Go's compress/gzip writes it") {
  std::string gz = write_archive(Compression::gzip, {{"resources/pods/cluster/a.json", "{}"}});
  REQUIRE(gz.size() > 10);
  const auto* b = reinterpret_cast<const unsigned char*>(gz.data());
  CHECK(b[0] == 0x1f);
  CHECK(b[1] == 0x8b);
  CHECK(b[2] == 8);     // CM deflate
  CHECK(b[3] == 0);     // FLG: no name, comment, extra
  CHECK(b[4] == 0);     // MTIME 0
  CHECK(b[5] == 0);
  CHECK(b[6] == 0);
  CHECK(b[7] == 0);
  CHECK(b[8] == 0);     // XFL 0 at level 6
  CHECK(b[9] == 255);   // OS unknown
}

TEST_CASE("zstd output: one frame with content checksum, default level") {
  std::string z = write_archive(Compression::zstd, {{"resources/pods/cluster/a.json", "{}"}});
  REQUIRE(z.size() > 6);
  CHECK(z.substr(0, 4) == "\x28\xb5\x2f\xfd");
  CHECK((static_cast<unsigned char>(z[4]) & 0x04) != 0);  // Content_Checksum_flag
  CHECK(ZSTD_findFrameCompressedSize(z.data(), z.size()) == z.size());
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST_CASE("spec §1.2: round trip — preferred-version copy written twice, non-preferred once") {
  for (Compression c : {Compression::gzip, Compression::zstd}) {
    StringOutputStream out;
    ArchiveWriter w(out, c);
    std::string pod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-0","namespace":"nginx"}})";
    std::string hpa = R"({"apiVersion":"autoscaling/v2beta2","kind":"HorizontalPodAutoscaler"})";
    w.add_item("pods", "nginx", "web-0", "", pod);
    w.add_item("pods", "nginx", "web-0", "v1-preferredversion", pod);
    w.add_item("horizontalpodautoscalers.autoscaling", "myexample", "php", "v2beta2", hpa);
    w.add_item("namespaces", "", "nginx", "", "{}");
    w.add_item("namespaces", "", "nginx", "v1-preferredversion", "{}");
    w.add_file("notes/readme.txt", "unknown files are tolerated");
    CHECK(w.entries() == 7);
    w.finish();
    CHECK(w.bytes_out() == out.str().size());

    auto rb = read_archive(out.take());
    CHECK(rb.format_version == "1.1.0");
    REQUIRE(rb.entries.size() == 7);
    CHECK(rb.entries[0].path == "metadata/version");
    CHECK(rb.entries[0].is_version_file);
    CHECK(rb.bodies[0] == "1.1.0\n");
    CHECK(rb.entries[1].path == "resources/pods/namespaces/nginx/web-0.json");
    CHECK(rb.entries[2].path == "resources/pods/v1-preferredversion/namespaces/nginx/web-0.json");
    CHECK(rb.bodies[1] == pod);
    CHECK(rb.bodies[2] == pod);
    CHECK(rb.entries[2].item->preferred());
    CHECK(rb.entries[3].item->version() == "v2beta2");
    CHECK_FALSE(rb.entries[3].item->preferred());
    CHECK(rb.bodies[3] == hpa);
    CHECK(rb.entries[4].item->cluster_scoped);
    CHECK(rb.entries[6].path == "notes/readme.txt");
    CHECK_FALSE(rb.entries[6].item);
    CHECK(rb.entries[6].size == rb.bodies[6].size());
  }
}

TEST_CASE("round trip: empty, block-sized and large bodies; skip_body and unread bodies") {
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  for (Compression c : {Compression::gzip, Compression::zstd}) {
    std::string a = write_archive(c, {{"a", ""}, {"b", std::string(512, 'b')}, {"c", big}, {"d", "tail"}});
    StringInputStream in(a);
    ArchiveReader r(in, "x");
    Entry e;
    REQUIRE(r.next(e));  // metadata/version, body not read
    REQUIRE(r.next(e));
    CHECK(e.path == "a");
    CHECK(r.read_body(0) == "");
    REQUIRE(r.next(e));
    CHECK(r.read_body(512) == std::string(512, 'b'));
    REQUIRE(r.next(e));
    CHECK(e.size == big.size());
    r.skip_body();
    REQUIRE(r.next(e));
    CHECK(r.read_body(10) == "tail");
    CHECK_FALSE(r.next(e));
    CHECK_FALSE(r.next(e));
    CHECK(read_archive(a, big.size()).bodies.at(3) == big);
  }
}

TEST_CASE("spec §1.2: format 1 archives and archives without metadata/version are readable") {
  std::string v1 = write_archive(Compression::gzip, {{"resources/pods/namespaces/ns/a.json", "{}"}}, "1");
  auto rb = read_archive(v1);
  CHECK(rb.format_version == "1");
  CHECK(rb.bodies.at(0) == "1\n");
  CHECK(rb.entries.at(1).item->version_dir == "");

  auto none = read_archive(gzip_compress(raw_tar({{"resources/pods/cluster/a.json", "{}"}})));
  CHECK(none.format_version == "");
  REQUIRE(none.entries.size() == 1);
  CHECK(none.entries[0].item->name == "a");

  // uncompressed tar, recognised by the absence of a compression magic
  auto plain = read_archive(raw_tar({{"metadata/version", "1.1.0\n"}, {"resources/pods/cluster/a.json", "{}"}}));
  CHECK(plain.format_version == "1.1.0");
  CHECK(plain.entries.size() == 2);
}

TEST_CASE("format_version is known as soon as next() returns metadata/version") {
  StringInputStream in(write_archive(Compression::zstd, {{"resources/pods/cluster/a.json", "{}"}}));
  ArchiveReader r(in, "x");
  CHECK(r.format_version() == "");
  Entry e;
  REQUIRE(r.next(e));
  CHECK(e.is_version_file);
  CHECK(r.format_version() == "1.1.0");
}

TEST_CASE("writer: refuses paths the reader would refuse; finish is final; destructor without finish is quiet") {
  StringOutputStream out;
  {
    ArchiveWriter w(out, Compression::gzip);
    for (const char* bad : {"", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a/"}) {
      CHECK_THROWS_AS(w.add_file(bad, "x"), Error);
    }
    CHECK_THROWS_AS(w.add_file(std::string_view("a\0b", 3), "x"), Error);
    CHECK_THROWS_AS(w.add_item("pods", "ns", "a/b", "", "{}"), Error);
    CHECK(w.entries() == 1);
    w.add_file("ok", "x");
    w.finish();
    w.finish();  // idempotent
    CHECK_THROWS_AS(w.add_file("late", "x"), Error);
  }
  CHECK(read_archive(out.take()).entries.size() == 2);
  StringOutputStream partial;
  {
    ArchiveWriter w(partial, Compression::zstd);
    w.add_file("a", "b");
  }  // no finish(): no throw, output incomplete
  CHECK(partial.str().size() < 100);  // only what the compressor had flushed
}

TEST_CASE("writer: a failing sink fails the writer for good") {
  struct FailingSink : OutputStream {
    using OutputStream::write;
    int writes = 0;
    void write(const void*, std::size_t) override {
      if (++writes > 0) throw Error(ErrorCode::storage, "bucket: upload failed");
    }
  } sink;
  ArchiveWriter w(sink, Compression::gzip);
  // Gzip is compressed in parallel blocks, so the sink sees the first bytes only once a few blocks
  // are done; the failure surfaces within that bounded window (8 MiB is well past it).
  std::string big(8 * 1024 * 1024, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  CHECK_THROWS_AS(w.add_file("a", big), Error);
  CHECK_THROWS_AS(w.add_file("b", "x"), Error);
  CHECK_THROWS_AS(w.finish(), Error);
}

// ---------------------------------------------------------------------------------------------
// Hostile input

TEST_CASE("spec §1.1: zip slip — '..', absolute and escaping paths are refused, naming archive and entry") {
  CHECK(error_of(gzip_compress(raw_tar({{"../x", "boom"}}))) == "test.tar.gz: entry \"../x\": path escapes the archive");
  CHECK(error_of(gzip_compress(raw_tar({{"/etc/x", "boom"}}))) == "test.tar.gz: entry \"/etc/x\": path is absolute");
  CHECK(error_of(gzip_compress(raw_tar({{"resources/../../x", "boom"}}))) ==
        "test.tar.gz: entry \"resources/../../x\": path escapes the archive");
  CHECK(error_of(raw_tar({{"resources/../metadata/version", "1\n"}})) ==
        "test.tar.gz: entry \"resources/../metadata/version\": path has a \"..\" component");
  // the error is sticky: the reader does not carry on after it
  StringInputStream in(raw_tar({{"../x", "a"}, {"ok", "b"}}));
  ArchiveReader r(in, "x");
  Entry e;
  CHECK_THROWS_AS(r.next(e), Error);
  CHECK_THROWS_AS(r.next(e), Error);
}

TEST_CASE("paths are cleaned as filepath.Join cleans them") {
  auto rb = read_archive(raw_tar({{"./metadata/version", "1\n"}, {"./resources//pods/./cluster/a.json", "{}"}}));
  REQUIRE(rb.entries.size() == 2);
  CHECK(rb.entries[0].is_version_file);
  CHECK(rb.format_version == "1");
  CHECK(rb.entries[1].path == "resources/pods/cluster/a.json");
  CHECK(rb.entries[1].item);
}

TEST_CASE("read_body: a body larger than the limit is refused") {
  StringInputStream in(write_archive(Compression::gzip, {{"resources/pods/cluster/a.json", std::string(100, 'x')}}));
  ArchiveReader r(in, "b.tar.gz");
  Entry e;
  REQUIRE(r.next(e));
  REQUIRE(r.next(e));
  try {
    r.read_body(99);
    FAIL("no error");
  } catch (const Error& err) {
    CHECK(err.code() == ErrorCode::invalid);
    CHECK(std::string(err.what()) ==
          "b.tar.gz: entry \"resources/pods/cluster/a.json\": 100 bytes, larger than the limit of 99");
  }
}

TEST_CASE("truncated archives: every cut is Error(invalid), never a crash or a silent success") {
  for (Compression c : {Compression::gzip, Compression::zstd}) {
    std::string full = write_archive(c, {{"resources/pods/cluster/a.json", std::string(3000, 'a')},
                                         {"resources/pods/cluster/b.json", "{\"b\":1}"}});
    for (std::size_t cut = 0; cut < full.size(); ++cut) {
      std::string msg = error_of(full.substr(0, cut));
      CHECK_MESSAGE(!msg.empty(), "cut at ", cut);
    }
    CHECK(error_of(full.substr(0, full.size() / 2)).starts_with("test.tar.gz: "));
  }
}

TEST_CASE("spec §1.1: a tarball in several gzip members (cat a.gz b.gz) reads as one archive, as Go's gzip.Reader reads it") {
  std::string tar = raw_tar({{"resources/pods/namespaces/ns/a.json", std::string(3000, 'a')},
                             {"resources/pods/namespaces/ns/b.json", "{\"b\":1}"}});
  for (std::size_t split : {std::size_t{0}, std::size_t{1}, std::size_t{512}, std::size_t{700}, tar.size() - 1}) {
    std::string gz = gzip_compress(tar.substr(0, split)) + gzip_compress(tar.substr(split), 9);
    for (bool ahead : {false, true}) {
      auto rb = read_archive(gz, 1 << 20, ahead);
      CAPTURE(split);
      REQUIRE(rb.bodies.size() == 2);
      CHECK(rb.bodies[0] == std::string(3000, 'a'));
      CHECK(rb.bodies[1] == "{\"b\":1}");
    }
  }
}

TEST_CASE("corrupt archives: flipped bytes are Error(invalid) naming the archive, or change nothing") {
  for (Compression c : {Compression::gzip, Compression::zstd}) {
    std::string full = write_archive(c, {{"resources/pods/cluster/a.json", std::string(5000, 'q')},
                                         {"resources/pods/cluster/b.json", "{\"b\":1}"}});
    auto good = read_archive(full);
    std::size_t errors = 0;
    for (std::size_t i = 10; i < full.size(); ++i) {
      std::string bad = full;
      bad[i] = static_cast<char>(bad[i] ^ 0x5a);
      std::string msg = error_of(bad);
      if (!msg.empty()) {
        ++errors;
        CHECK(msg.starts_with("test.tar.gz: "));
        continue;
      }
      // The CRC-32/length (gzip) and XXH64 (zstd) trailers are verified, so an accepted flip is one
      // that decodes to the same bytes (padding bits, a match distance inside a run of 'q's).
      auto rb = read_archive(bad);
      CHECK_MESSAGE(rb.bodies == good.bodies, "flip at ", i);
    }
    CHECK(errors > (full.size() - 10) * 8 / 10);
  }

  std::string tar = raw_tar({{"resources/pods/cluster/a.json", "{}"}});
  tar[148] = '9';  // checksum field
  CHECK_FALSE(error_of(tar).empty());
  CHECK(error_of("not an archive at all, just text that is long enough to be looked at").starts_with("test.tar.gz: "));
  CHECK_FALSE(error_of("").empty());
}

TEST_CASE("decode_ahead: the same entries, bodies and errors as decoding inline, cut or flipped anywhere") {
  // Bodies of several read-ahead blocks (256 KiB) and small ones, so that entries straddle blocks.
  std::string big(700 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7919) % 26);
  std::vector<std::pair<std::string, std::string>> files{{"resources/pods/cluster/a.json", big},
                                                          {"resources/pods/cluster/b.json", "{\"b\":1}"},
                                                          {"resources/pods/cluster/c.json", big.substr(0, 300000)}};
  std::vector<std::string> archives{write_archive(Compression::gzip, files), write_archive(Compression::zstd, files),
                                    raw_tar(files)};
  for (const auto& full : archives) {
    auto inline_ = read_archive(full);
    auto ahead = read_archive(full, 1 << 20, true);
    REQUIRE(inline_.bodies.size() >= 3);  // and metadata/version, in what the writer wrote
    CHECK(ahead.bodies == inline_.bodies);
    CHECK(ahead.format_version == inline_.format_version);
    for (std::size_t cut = 0; cut < full.size(); cut += 4099) {
      std::string part = full.substr(0, cut);
      CHECK_MESSAGE(error_of(part, true) == error_of(part), "cut at ", cut);
    }
    for (std::size_t i = 10; i < full.size(); i += 5003) {
      std::string bad = full;
      bad[i] = static_cast<char>(bad[i] ^ 0x5a);
      CHECK_MESSAGE(error_of(bad, true) == error_of(bad), "flip at ", i);
    }
  }
}

namespace {

// Hands out `good` bytes, then fails: a store or a decryption failing in the middle.
struct FailingInput : InputStream {
  explicit FailingInput(std::string bytes, std::size_t good) : bytes_(std::move(bytes)), good_(good) {}
  std::size_t read(void* buffer, std::size_t size) override {
    if (pos_ >= good_) throw Error(ErrorCode::io, "the store went away");
    std::size_t n = std::min(size, good_ - pos_);
    std::memcpy(buffer, bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  std::string bytes_;
  std::size_t good_, pos_ = 0;
};

}  // namespace

TEST_CASE("decode_ahead: a source's error comes after the entries read before it, with its code and the entry") {
  std::string big(600 * 1024, 'x');
  std::string full = raw_tar({{"resources/pods/cluster/a.json", "{}"},
                              {"resources/pods/cluster/b.json", big},
                              {"resources/pods/cluster/c.json", "{}"}});
  for (bool ahead : {false, true}) {
    FailingInput in(full, 300 * 1024);  // inside b's body
    ArchiveReader r(in, "test.tar", ahead);
    Entry e;
    REQUIRE(r.next(e));
    CHECK(e.path == "resources/pods/cluster/a.json");
    CHECK(r.read_body(1 << 20) == "{}");
    REQUIRE(r.next(e));
    CHECK(e.path == "resources/pods/cluster/b.json");
    ErrorCode code{};
    std::string msg = testing::error_of([&] { r.read_body(1 << 20); }, &code);
    CHECK(code == ErrorCode::io);
    CHECK_MESSAGE(msg.find("the store went away") != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("resources/pods/cluster/b.json") != std::string::npos, msg);
    CHECK_THROWS(r.next(e));  // errors are sticky
  }
}

TEST_CASE("decode_ahead: a reader left after its first entry stops its thread when destroyed") {
  std::string big(2 << 20, 'y');
  std::string full = write_archive(Compression::gzip, {{"resources/pods/cluster/a.json", "{}"},
                                                       {"resources/pods/cluster/b.json", big},
                                                       {"resources/pods/cluster/c.json", big}});
  for (int i = 0; i < 20; ++i) {
    StringInputStream in(full);
    ArchiveReader r(in, "test.tar.gz", true);
    Entry e;
    REQUIRE(r.next(e));
  }  // each destructor joins a thread that may be waiting for a free block or decoding one
  CHECK(read_archive(full, 4 << 20, true).bodies.size() == 4);  // metadata/version and the three
}

// ---------------------------------------------------------------------------------------------
// Streaming

namespace {

struct NullSink : OutputStream {
  using OutputStream::write;
  std::uint64_t bytes = 0;
  void write(const void*, std::size_t size) override { bytes += size; }
};

using testing::kRssMeaningful;
using testing::peak_rss_kib;
constexpr long kRssBoundKib = 4 * 1024;

std::string pod_json(std::size_t i) {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-)" + std::to_string(i) +
         R"(","namespace":"demo","uid":"0f3c)" + std::to_string(i * 7919) +
         R"("},"spec":{"containers":[{"image":"nginx:1.25","name":"web"}]},"status":{"phase":"Running"}})";
}

}  // namespace

TEST_CASE("streaming: the peak-RSS measurement sees an allocation made after the reset") {
  testing::reset_peak_rss();
  long base = testing::rss_kib();
  {
    std::vector<char> touched(16 * 1024 * 1024, 1);
    CHECK(touched[12345] == 1);
  }
  long growth = peak_rss_kib() - base;
  CHECK(growth >= 15 * 1024);
  if (kRssMeaningful) CHECK(growth < 20 * 1024);
}

TEST_CASE("streaming: writing 200k entries does not grow memory with the archive") {
  NullSink sink;
  ArchiveWriter w(sink, Compression::gzip);
  for (std::size_t i = 0; i < 1000; ++i) w.add_item("pods", "demo", "web-" + std::to_string(i), "", pod_json(i));
  testing::reset_peak_rss();
  long base = testing::rss_kib();
  for (std::size_t i = 1000; i < 200000; ++i) w.add_item("pods", "demo", "web-" + std::to_string(i), "", pod_json(i));
  w.finish();
  long growth = peak_rss_kib() - base;
  MESSAGE("200k entries, ", w.bytes_out(), " compressed bytes; peak RSS growth ", growth, " KiB (VmHWM after "
          "clear_refs reset, minus VmRSS before)");
  CHECK(w.entries() == 200001);
  CHECK(sink.bytes == w.bytes_out());
  if (kRssMeaningful) CHECK(growth < kRssBoundKib);
}

TEST_CASE("streaming: reading 200k entries does not grow memory with the archive") {
  // The source generates the compressed archive on the fly, so the test holds no copy of it either.
  struct GeneratedArchive : InputStream {
    StringOutputStream chunk;
    std::unique_ptr<ArchiveWriter> w = std::make_unique<ArchiveWriter>(chunk, Compression::zstd);
    std::size_t next_item = 0, pos = 0;
    std::string pending;
    std::size_t read(void* buffer, std::size_t size) override {
      while (pos == pending.size()) {
        if (!w) return 0;
        if (next_item < 200000) {
          for (int k = 0; k < 100; ++k, ++next_item) w->add_item("pods", "demo", "web-" + std::to_string(next_item), "", pod_json(next_item));
        } else {
          w->finish();
          w.reset();
        }
        pending = chunk.take();
        chunk = StringOutputStream();
        pos = 0;
      }
      std::size_t n = std::min(size, pending.size() - pos);
      std::memcpy(buffer, pending.data() + pos, n);
      pos += n;
      return n;
    }
  } source;
  ArchiveReader r(source, "generated.tar.zst");
  Entry e;
  std::size_t count = 0;
  for (; count < 1000 && r.next(e); ++count) r.read_body(4096);
  testing::reset_peak_rss();
  long base = testing::rss_kib();
  while (r.next(e)) {
    ++count;
    if (count % 2) r.read_body(4096);
  }
  long growth = peak_rss_kib() - base;
  MESSAGE("read ", count, " entries; peak RSS growth ", growth, " KiB");
  CHECK(count == 200001);
  if (kRssMeaningful) CHECK(growth < kRssBoundKib);
}

TEST_CASE("copy_body: libarchive's blocks as they come; real GNU tar's sparse file reads back with its holes as zeros") {
  // copy_body hands the sink libarchive's own blocks (issue 17); a sparse entry's blocks come with
  // offsets that jump over the holes, and copy_body fills them, as archive_read_data did.
  testing::TempDir dir("sparse");
  std::string expect(3 << 20, '\0');  // 3 MiB: data at 0 and at 1 MiB, holes between and at the end
  expect.replace(0, 4, "head");
  expect.replace(1 << 20, 6, "middle");
  {
    std::ofstream f(dir / "s.bin", std::ios::binary);
    f.write("head", 4);
    f.seekp(1 << 20);
    f.write("middle", 6);
  }
  std::filesystem::resize_file(dir / "s.bin", expect.size());
  std::string small = "{\"kind\":\"ConfigMap\"}";
  dir.write("a.json", small);
  auto made = testing::run({"tar", "--sparse", "--format=gnu", "-czf", (dir / "t.tar.gz").string(), "-C",
                            dir.path.string(), "s.bin", "a.json"});
  REQUIRE_MESSAGE(made.status == 0, made.output);
  std::string bytes = testing::read_file(dir / "t.tar.gz");
  REQUIRE(bytes.size() < 64 * 1024);  // the holes are not stored: the entry really is sparse
  for (bool ahead : {false, true}) {
    StringInputStream in(bytes);
    ArchiveReader r(in, "t.tar.gz", ahead);
    Entry e;
    REQUIRE(r.next(e));
    CHECK(e.path == "s.bin");
    CHECK(e.size == expect.size());
    StringOutputStream out;
    r.copy_body(out);
    CHECK(out.str().size() == expect.size());
    CHECK(out.str() == expect);
    REQUIRE(r.next(e));
    CHECK(e.path == "a.json");
    StringOutputStream out2;
    r.copy_body(out2);
    CHECK(out2.str() == small);
    CHECK_FALSE(r.next(e));
  }
}

TEST_CASE("copy_body: an archive cut anywhere is Error(invalid) naming it; the sink saw only the entry's own bytes") {
  std::string body(200000, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 2654435761u) >> 11);
  std::string full = write_archive(Compression::zstd, {{"resources/pods/cluster/a.json", body}});
  for (std::size_t cut = 200; cut < full.size(); cut += 997) {
    StringInputStream in(full.substr(0, cut));
    Entry e;
    std::string msg;
    StringOutputStream out;
    ErrorCode code = ErrorCode::ok;
    try {
      ArchiveReader r(in, "cut.tar.zst", true);
      while (r.next(e)) {
        if (e.path == "resources/pods/cluster/a.json") r.copy_body(out);
      }
    } catch (const Error& err) {
      msg = err.what();
      code = err.code();
    }
    CAPTURE(cut);
    CHECK(code == ErrorCode::invalid);
    CHECK(msg.starts_with("cut.tar.zst: "));
    CHECK(body.starts_with(out.str()));  // what reached the sink before the error is the entry's own bytes
  }
}
