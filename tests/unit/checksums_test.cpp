// The checksum manifest (docs/crypto.md): SHA-256 streams, the canonical writer, the strict parser
// (every refusal), and compare naming each mismatch by path (issue 16 "Integrity").
#include "test_helpers.hpp"
#include "vbackup/crypto.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
using namespace vbackup::crypto;
using vbackup::testing::error_of;

namespace {

const std::string kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

ChecksumManifest sample() {
  ChecksumManifest m;
  m.files = {{"demo.tar.gz", "", 3, kAbc}, {"demo-logs.gz", "", 0, kEmpty}};
  m.items = {{"demo.tar.gz", "resources/pods/namespaces/default/b.json", 3, kAbc},
             {"demo.tar.gz", "resources/pods/namespaces/default/a.json", 0, kEmpty}};
  return m;
}

}  // namespace

TEST_CASE("checksums: SHA-256 of FIPS 180-2's vectors, in pieces, through a stream") {
  Sha256 empty;
  CHECK(empty.hex_digest() == kEmpty);
  Sha256 abc;
  abc.update("a");
  abc.update("bc");
  CHECK(abc.size() == 3);
  CHECK(abc.hex_digest() == kAbc);
  StringOutputStream sink;
  Sha256OutputStream tee(&sink);
  std::string million(1000000, 'a');
  tee.write(million.substr(0, 123457));
  tee.write(million.substr(123457));
  CHECK(tee.hash().hex_digest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK(sink.str() == million);
}

TEST_CASE("checksums: the writer is canonical (sorted, one entry a line) and the parser reads it back") {
  std::string text = sample().to_json();
  CHECK(text ==
        "{\n  \"version\": 1,\n  \"files\": [\n"
        "    {\"name\":\"demo-logs.gz\",\"size\":0,\"sha256\":\"" + kEmpty + "\"},\n"
        "    {\"name\":\"demo.tar.gz\",\"size\":3,\"sha256\":\"" + kAbc + "\"}\n  ],\n"
        "  \"items\": [\n"
        "    {\"tarball\":\"demo.tar.gz\",\"path\":\"resources/pods/namespaces/default/a.json\",\"size\":0,\"sha256\":\"" + kEmpty + "\"},\n"
        "    {\"tarball\":\"demo.tar.gz\",\"path\":\"resources/pods/namespaces/default/b.json\",\"size\":3,\"sha256\":\"" + kAbc + "\"}\n  ]\n}\n");
  auto back = ChecksumManifest::parse(text, "demo-checksums.json");
  CHECK(back.to_json() == text);
  CHECK(back.files.size() == 2);
  CHECK(back.items[1].path == "resources/pods/namespaces/default/b.json");
  CHECK(ChecksumManifest{}.to_json() == "{\n  \"version\": 1,\n  \"files\": [],\n  \"items\": []\n}\n");
  CHECK(ChecksumManifest::parse(ChecksumManifest{}.to_json(), "x").files.empty());
}

TEST_CASE("checksums: the parser refuses anything but the format, naming the input and the field") {
  std::string f = "{\"name\":\"a\",\"size\":1,\"sha256\":\"" + kAbc + "\"}";
  auto doc = [&](const std::string& files, const std::string& items = "[]", const std::string& extra = "") {
    return "{\"version\":1,\"files\":" + files + ",\"items\":" + items + extra + "}";
  };
  struct Case { std::string text, message; };
  const Case cases[] = {
      {"[]", "m.json: expected an object"},
      {"{\"version\":1,\"files\":[]}", "m.json: missing field \"items\""},
      {doc("[]", "[]", ",\"extra\":1"), "m.json: unknown field \"extra\""},
      {"{\"version\":2,\"files\":[],\"items\":[]}", "m.json: version: expected 1"},
      {"{\"version\":\"1\",\"files\":[],\"items\":[]}", "m.json: version: expected 1"},
      {"{\"version\":1,\"version\":1,\"files\":[],\"items\":[]}", "m.json: duplicate key \"version\""},
      {doc("[{\"name\":\"a\",\"name\":\"b\",\"size\":1,\"sha256\":\"" + kAbc + "\"}]"), "m.json: duplicate key \"name\""},
      {doc("{}"), "m.json: files: expected an array"},
      {doc("[1]"), "m.json: files[0]: expected an object"},
      {doc("[" + f + "," + f + "]"), "m.json: files[1]: file \"a\" listed twice"},
      {doc("[{\"name\":\"\",\"size\":1,\"sha256\":\"" + kAbc + "\"}]"), "m.json: files[0]: name: expected a non-empty string"},
      {doc("[{\"name\":\"a\",\"size\":-1,\"sha256\":\"" + kAbc + "\"}]"), "m.json: files[0]: size: expected a non-negative integer"},
      {doc("[{\"name\":\"a\",\"size\":1.5,\"sha256\":\"" + kAbc + "\"}]"), "m.json: files[0]: size: expected a non-negative integer"},
      {doc("[{\"name\":\"a\",\"size\":1,\"sha256\":\"" + std::string(64, 'A') + "\"}]"), "m.json: files[0]: sha256: expected 64 lower-case hex digits"},
      {doc("[{\"name\":\"a\",\"size\":1,\"sha256\":\"abc\"}]"), "m.json: files[0]: sha256: expected 64 lower-case hex digits"},
      {doc("[{\"name\":\"a\",\"size\":1,\"sha256\":\"" + kAbc + "\",\"md5\":\"x\"}]"), "m.json: files[0]: unknown field \"md5\""},
      {doc("[" + f + "]", "[{\"tarball\":\"b\",\"path\":\"p\",\"size\":1,\"sha256\":\"" + kAbc + "\"}]"), "m.json: items[0]: tarball \"b\" is not in files"},
      {doc("[" + f + "]", "[{\"tarball\":\"a\",\"path\":\"p\",\"size\":1,\"sha256\":\"" + kAbc + "\"},{\"tarball\":\"a\",\"path\":\"p\",\"size\":1,\"sha256\":\"" + kAbc + "\"}]"),
       "m.json: items[1]: item \"p\" listed twice"},
      {doc("[" + f + "]", "[{\"tarball\":\"a\",\"size\":1,\"sha256\":\"" + kAbc + "\"}]"), "m.json: items[0]: missing field \"path\""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    ErrorCode code{};
    CHECK(error_of([&] { ChecksumManifest::parse(c.text, "m.json"); }, &code) == c.message);
    CHECK(code == ErrorCode::invalid);
  }
  CHECK(error_of([] { ChecksumManifest::parse("{\"version\":1,", "m.json"); }).find("m.json: line 1") == 0);
}

TEST_CASE("checksums: compare names every mismatch by path") {
  ChecksumManifest expected = sample();
  CHECK(expected.compare(sample()).empty());
  ChecksumManifest actual = sample();
  actual.files[0].sha256 = kEmpty;  // demo.tar.gz changed, same size
  actual.files.pop_back();          // demo-logs.gz gone
  actual.items[0].size = 4;         // b.json
  actual.items.push_back({"demo.tar.gz", "resources/secrets/namespaces/default/s.json", 1, kAbc});
  auto diffs = expected.compare(actual);
  CHECK(diffs == std::vector<std::string>{
                     "demo-logs.gz: missing",
                     "demo.tar.gz: sha256 differs (expected " + kAbc + ", found " + kEmpty + ")",
                     "demo.tar.gz: resources/pods/namespaces/default/b.json: size differs (expected 3, found 4)",
                     "demo.tar.gz: resources/secrets/namespaces/default/s.json: unexpected"});
}
