// Our archives checked by the real tools (gzip, zstd, GNU tar), and archives made by real tar read
// by us — spec §1.1: any tar reader must accept what we write, and we must read what tar writes.
#include "test_helpers.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"
#include "vbackup/stream.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include <stdlib.h>

namespace fs = std::filesystem;
using namespace vbackup;
using namespace vbackup::archive;

namespace {

using testing::TempDir;

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int run(const std::string& cmd) {
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

void write_file(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const std::vector<std::pair<std::string, std::string>>& sample_files() {
  static const std::vector<std::pair<std::string, std::string>> files = {
      {"resources/pods/namespaces/nginx/web-0.json", R"({"kind":"Pod"})"},
      {"resources/pods/v1-preferredversion/namespaces/nginx/web-0.json", R"({"kind":"Pod"})"},
      {"resources/namespaces/cluster/nginx.json", R"({"kind":"Namespace"})"},
      // 150 bytes: USTAR prefix/name split
      {"resources/" + std::string(50, 'g') + "/namespaces/" + std::string(40, 'n') + "/" + std::string(32, 'x') + ".json",
       "{}"},
      // 120-byte final component: PAX path record
      {"resources/pods/namespaces/ns/" + std::string(115, 'a') + ".json", std::string(700, 'p')},
      // non-ASCII: PAX path record
      {"resources/configmaps/namespaces/caf\xC3\xA9/r\xC3\xA9glages.json", "{}"},
      {"resources/secrets/namespaces/ns/empty.json", ""},
  };
  return files;
}

fs::path write_sample(const fs::path& dir, Compression c) {
  fs::path file = dir / (c == Compression::gzip ? "backup.tar.gz" : "backup.tar.zst");
  StringOutputStream out;
  ArchiveWriter w(out, c);
  for (const auto& [path, body] : sample_files()) w.add_file(path, body);
  w.finish();
  write_file(file, out.str());
  return file;
}

std::vector<std::string> sample_listing() {
  std::vector<std::string> want = {"metadata/version"};
  for (const auto& [path, body] : sample_files()) want.push_back(path);
  return want;
}

struct Read {
  std::vector<std::string> paths;
  std::vector<std::string> bodies;
  std::string format_version;
};

Read read_with_us(const fs::path& file) {
  auto in = open_file(file);
  ArchiveReader r(*in, file.filename().string());
  Read out;
  Entry e;
  while (r.next(e)) {
    out.paths.push_back(e.path);
    out.bodies.push_back(r.read_body(1 << 20));
  }
  out.format_version = r.format_version();
  return out;
}

}  // namespace

TEST_CASE("spec §1.1: gzip -t and tar -tzf accept our gzip archive; the listing is what we wrote") {
  TempDir tmp;
  fs::path file = write_sample(tmp.path, Compression::gzip);
  CHECK(run("gzip -t " + sh_quote(file)) == 0);
  CHECK(run("tar -tzf " + sh_quote(file)) == 0);
  CHECK(lines(capture("tar --quoting-style=literal -tzf " + sh_quote(file))) == sample_listing());
}

TEST_CASE("zstd -t and tar --zstd -tf accept our zstd archive; the listing is what we wrote") {
  TempDir tmp;
  fs::path file = write_sample(tmp.path, Compression::zstd);
  CHECK(run("zstd -q -t " + sh_quote(file)) == 0);
  CHECK(lines(capture("tar --quoting-style=literal --zstd -tf " + sh_quote(file))) == sample_listing());
}

TEST_CASE("spec §1.1: tar -tvzf shows regular files only, mode -rwxr-xr-x, owner 0/0") {
  TempDir tmp;
  fs::path file = write_sample(tmp.path, Compression::gzip);
  auto listing = lines(capture("tar --quoting-style=literal -tvzf " + sh_quote(file)));
  REQUIRE(listing.size() == sample_listing().size());
  for (const auto& line : listing) {
    CHECK_MESSAGE(line.rfind("-rwxr-xr-x 0/0 ", 0) == 0, line);
  }
}

TEST_CASE("spec §1.1: real tar extracts our archives to the bytes we wrote") {
  for (Compression c : {Compression::gzip, Compression::zstd}) {
    TempDir tmp;
    fs::path file = write_sample(tmp.path, c);
    fs::path out = tmp.path / "x";
    fs::create_directories(out);
    std::string z = c == Compression::gzip ? "-z" : "--zstd";
    REQUIRE(run("tar " + z + " -xf " + sh_quote(file) + " -C " + sh_quote(out)) == 0);
    CHECK(read_file(out / "metadata/version") == "1.1.0\n");
    for (const auto& [path, body] : sample_files()) CHECK_MESSAGE(read_file(out / path) == body, path);
  }
}

TEST_CASE("spec §1.2: an archive made by real tar -czf in the format 1 layout reads; dirs and symlinks skipped") {
  TempDir tmp;
  fs::path src = tmp.path / "src";
  write_file(src / "metadata/version", "1\n");
  write_file(src / "resources/pods/namespaces/ns/a.json", R"({"a":1})");
  write_file(src / "resources/namespaces/cluster/ns.json", R"({"ns":1})");
  fs::create_directories(src / "resources/empty");
  fs::create_symlink("a.json", src / "resources/pods/namespaces/ns/link.json");
  fs::create_symlink("/etc/passwd", src / "resources/pods/namespaces/ns/evil.json");
  fs::path file = tmp.path / "v1.tar.gz";
  REQUIRE(run("tar -czf " + sh_quote(file) + " -C " + sh_quote(src) + " .") == 0);

  Read r = read_with_us(file);
  CHECK(r.format_version == "1");
  std::set<std::string> got(r.paths.begin(), r.paths.end());
  CHECK(got == std::set<std::string>{"metadata/version", "resources/pods/namespaces/ns/a.json",
                                     "resources/namespaces/cluster/ns.json"});
  for (std::size_t i = 0; i < r.paths.size(); ++i) {
    if (r.paths[i] == "resources/pods/namespaces/ns/a.json") CHECK(r.bodies[i] == R"({"a":1})");
    auto item = parse_item_path(r.paths[i]);
    if (item) CHECK(item->version_dir == "");
  }
}

TEST_CASE("spec §1.1: hard links, GNU long names and pax headers made by real tar") {
  TempDir tmp;
  fs::path src = tmp.path / "src";
  std::string long_name = "resources/pods/namespaces/ns/" + std::string(150, 'l') + ".json";
  write_file(src / "a.json", "A");
  fs::create_hard_link(src / "a.json", src / "b.json");
  write_file(src / long_name, "L");
  for (const char* format : {"gnu", "pax", "ustar"}) {
    if (std::string(format) == "ustar") continue;  // ustar cannot hold the 150-byte final component
    fs::path file = tmp.path / (std::string(format) + ".tar");
    REQUIRE(run("tar --format=" + std::string(format) + " -cf " + sh_quote(file) + " -C " + sh_quote(src) +
                " a.json b.json " + sh_quote(long_name)) == 0);
    Read r = read_with_us(file);
    // b.json is stored as a hard link (typeflag '1'): not a TypeReg entry, so skipped as Velero does.
    CHECK(r.paths == std::vector<std::string>{"a.json", long_name});
    CHECK(r.bodies == std::vector<std::string>{"A", "L"});
  }
  fs::path zst = tmp.path / "real.tar.zst";
  REQUIRE(run("tar --zstd -cf " + sh_quote(zst) + " -C " + sh_quote(src) + " a.json") == 0);
  CHECK(read_with_us(zst).paths == std::vector<std::string>{"a.json"});
}

TEST_CASE("spec §1.1: zip slip in archives made by real tar -P is refused") {
  TempDir tmp;
  write_file(tmp.path / "x", "outside");
  write_file(tmp.path / "sub/keep", "inside");
  fs::path up = tmp.path / "up.tar.gz";
  REQUIRE(run("cd " + sh_quote(tmp.path / "sub") + " && tar -P -czf " + sh_quote(up) + " ../x") == 0);
  fs::path abs = tmp.path / "abs.tar.gz";
  REQUIRE(run("tar -P -czf " + sh_quote(abs) + " " + sh_quote(tmp.path / "x")) == 0);
  for (const auto& [file, problem] :
       {std::pair{up, std::string("\"../x\": path escapes the archive")},
        std::pair{abs, "\"" + (tmp.path / "x").string() + "\": path is absolute"}}) {
    try {
      read_with_us(file);
      FAIL("accepted " << file);
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::invalid);
      CHECK(std::string(e.what()) == file.filename().string() + ": entry " + problem);
    }
  }
}
