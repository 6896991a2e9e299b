// Reading a backup for restore: the spool and index (BackupContents) and the API version choice.
// Tarballs are built in the test with ArchiveWriter (Velero's tests use an in-memory tar writer),
// hostile ones with Go's tar framing; the real Velero 1.5.2 tarballs come from the shared corpus.
#include "archive/tar_header.hpp"
#include "restore/plan/backup_contents.hpp"
#include "restore/plan/order.hpp"
#include "restore/plan/version_choice.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/manifests.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <unistd.h>

using namespace vbackup;
using namespace vbackup::restore;
namespace fs = std::filesystem;

namespace {

fs::path spool_dir() {
  fs::path d = fs::temp_directory_path() / ("vbk-restore-plan-test-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

struct File {
  std::string path, body;
};

std::string tarball(const std::vector<File>& files, archive::Compression c = archive::Compression::gzip,
                    std::string_view format = archive::kFormatVersion) {
  StringOutputStream out;
  archive::ArchiveWriter w(out, c, format);
  for (const auto& f : files) w.add_file(f.path, f.body);
  w.finish();
  return out.take();
}

// A raw, uncompressed tar with any names (even hostile ones), framed as Go frames them.
std::string raw_tar(const std::vector<File>& files) {
  std::string tar;
  for (const auto& f : files) {
    tar += archive::detail::go_file_header(f.path, f.body.size(), 1700000000);
    tar += f.body;
    tar.append(archive::detail::block_padding(f.body.size()), '\0');
  }
  tar.append(1024, '\0');
  return tar;
}

std::string pod(std::string_view ns, std::string_view name) {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + std::string(name) + R"(","namespace":")" +
         std::string(ns) + R"("}})";
}

BackupContents open(std::string bytes, std::uint64_t max = kDefaultMaxExtractionSize) {
  StringInputStream in(std::move(bytes));
  return BackupContents(in, "backups/b/b.tar.gz", spool_dir(), max);
}

std::string error_of(std::string bytes, std::uint64_t max = kDefaultMaxExtractionSize) {
  try {
    open(std::move(bytes), max);
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid);
    return e.what();
  }
  return "";
}

// Spool files this process holds open (they are unlinked at once, so only /proc sees them).
int open_spools() {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    fs::path target = fs::read_symlink(e.path(), ec);
    if (!ec && target.string().find("vbackup-spool-") != std::string::npos) ++n;
  }
  return n;
}

// The Velero 1.5.2 golden data, in the tree (copied from ../shared/corpus).
fs::path velero_corpus() {
  const char* root = std::getenv("VBK_SOURCE_ROOT");
  return fs::path(root ? root : ".") / "tests" / "data" / "velero-1.5.2";
}

fs::path rockbands_dir() {
  const char* root = std::getenv("VBK_SOURCE_ROOT");
  return fs::path(root ? root : ".") / "tests" / "data" / "velero-testdata" / "velero-enable-api-group-versions";
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), p.string());
  return {std::istreambuf_iterator<char>(f), {}};
}

}  // namespace

// ---- the index ---------------------------------------------------------------------------------

TEST_CASE("spec §1.5 resources, version directories, namespaces and items as Velero's parser lists them") {
  auto c = open(tarball({
      {"resources/pods/namespaces/ns-2/pod-b.json", pod("ns-2", "pod-b")},
      {"resources/pods/v1-preferredversion/namespaces/ns-2/pod-b.json", pod("ns-2", "pod-b")},
      {"resources/pods/namespaces/ns-1/pod-a.json", pod("ns-1", "pod-a")},
      {"resources/pods/v1-preferredversion/namespaces/ns-1/pod-a.json", pod("ns-1", "pod-a")},
      {"resources/persistentvolumes/cluster/pv-1.json", R"({"kind":"PersistentVolume"})"},
      {"resources/deployments.apps/v1beta1/namespaces/ns-1/d.json", R"({"apiVersion":"apps/v1beta1"})"},
  }));
  CHECK(c.format_version() == "1.1.0");
  CHECK(c.warnings().empty());
  CHECK(c.resources() == std::vector<std::string>{"deployments.apps", "persistentvolumes", "pods"});
  CHECK(c.version_dirs("pods") == std::vector<std::string>{"v1-preferredversion"});
  CHECK(c.version_dirs("persistentvolumes").empty());
  CHECK(c.namespaces("pods") == std::vector<std::string>{"ns-1", "ns-2"});
  CHECK(c.namespaces("persistentvolumes") == std::vector<std::string>{""});
  // Only the version directory holds the deployment: the un-versioned walk does not see it.
  CHECK(c.namespaces("deployments.apps").empty());
  CHECK(c.namespaces("deployments.apps", "v1beta1") == std::vector<std::string>{"ns-1"});
  CHECK(c.all_namespaces() == std::vector<std::string>{"ns-1", "ns-2"});
  CHECK(c.items("pods", "ns-1") == std::vector<std::string>{"pod-a"});
  CHECK(c.items("pods", "ns-1", "v1-preferredversion") == std::vector<std::string>{"pod-a"});
  CHECK(c.total_items() == 3);
  CHECK(c.read("pods", "ns-2", "pod-b") == pod("ns-2", "pod-b"));
  CHECK(c.read("pods", "ns-2", "pod-b", "v1-preferredversion") == pod("ns-2", "pod-b"));
  CHECK(c.read("deployments.apps", "ns-1", "d", "v1beta1") == R"({"apiVersion":"apps/v1beta1"})");
  CHECK_FALSE(c.read("pods", "ns-2", "pod-a"));
  CHECK_FALSE(c.read("pods", "ns-9", "pod-b"));
  CHECK_FALSE(c.read("secrets", "ns-2", "pod-b"));
}

TEST_CASE("restore §2.1 items are visited in os.ReadDir order: sorted by file name, not by item name") {
  // "a-b.json" < "a.b.json" < "a.json" < "a0.json" bytewise; by name alone "a" would come first.
  std::vector<File> files;
  for (std::string n : {"a0", "a", "a.b", "B", "a-b", "\xc3\xa9t\xc3\xa9"}) files.push_back({"resources/configmaps/namespaces/x/" + n + ".json", "{}"});
  auto c = open(tarball(files));
  CHECK(c.items("configmaps", "x") == std::vector<std::string>{"B", "a-b", "a.b", "a", "a0", "\xc3\xa9t\xc3\xa9"});
  for (std::string n : {"a0", "a", "a.b", "B", "a-b"}) CHECK_MESSAGE(c.read("configmaps", "x", n) == "{}", n);
}

TEST_CASE("spec §1.2 the preferred-version copy is stored once, whichever copy comes first") {
  std::string big(5000, 'x');
  std::string body = R"({"data":")" + big + R"("})";
  // Current Velero writes the un-versioned copy first; the 1.5.2 tarballs the versioned one first.
  auto c = open(tarball({
      {"resources/configmaps/namespaces/x/one.json", body},
      {"resources/configmaps/v1-preferredversion/namespaces/x/one.json", body},
      {"resources/configmaps/v1-preferredversion/namespaces/x/two.json", body + " "},
      {"resources/configmaps/namespaces/x/two.json", body + " "},
      // Same name, different bytes: both kept.
      {"resources/configmaps/namespaces/x/three.json", body},
      {"resources/configmaps/v1-preferredversion/namespaces/x/three.json", body + "  "},
  }));
  CHECK(c.extracted_bytes() == 6 + 6 * body.size() + 2 + 2);
  CHECK(c.spool_bytes() == 4 * body.size() + 1 + 2);  // one, two, three and three's other copy
  CHECK(c.read("configmaps", "x", "two", "v1-preferredversion") == body + " ");
  CHECK(c.read("configmaps", "x", "three", "v1-preferredversion") == body + "  ");
  CHECK(c.read("configmaps", "x", "three") == body);
}

TEST_CASE("restore §2.11 a duplicate entry replaces the earlier one, as on extraction") {
  auto c = open(tarball({
      {"resources/pods/namespaces/ns/p.json", "first"},
      {"resources/pods/v1-preferredversion/namespaces/ns/p.json", "first"},
      {"resources/pods/namespaces/ns/p.json", "second"},
      {"resources/pods/namespaces/ns/q.json", ""},
      {"resources/pods/namespaces/ns/q.json", "non-empty"},
      {"resources/pods/namespaces/ns/r.json", "r1"},
      {"resources/pods/namespaces/ns/r.json", ""},
      {"resources/pods/v1-preferredversion/namespaces/ns/p.json", "third"},
      {"resources/pods/namespaces/ns/p.json", "third"},
  }));
  CHECK(c.items("pods", "ns") == std::vector<std::string>{"p", "q", "r"});
  CHECK(c.read("pods", "ns", "p") == "third");
  CHECK(c.read("pods", "ns", "p", "v1-preferredversion") == "third");
  CHECK(c.read("pods", "ns", "q") == "non-empty");
  CHECK(c.read("pods", "ns", "r") == "");
  CHECK(c.total_items() == 3);
}

TEST_CASE("TestInvalidTarballContents: an empty tarball warns \"zero items to be restored\"") {
  auto c = open(tarball({}));
  CHECK(c.warnings() == std::vector<std::string>{"zero items to be restored: directory \"resources\": does not exist"});
  CHECK(c.resources().empty());
  CHECK(c.total_items() == 0);
}

TEST_CASE("TestInvalidTarballContents: an item that is not JSON is read as bytes; decoding is the runner's") {
  auto c = open(tarball({
      {"resources/pods/namespaces/ns-1/pod-1.json", "invalid JSON"},
      {"resources/pods/namespaces/ns-1/pod-2.json", pod("ns-1", "pod-2")},
  }));
  CHECK(c.items("pods", "ns-1") == std::vector<std::string>{"pod-1", "pod-2"});
  CHECK(c.read("pods", "ns-1", "pod-1") == "invalid JSON");
  CHECK(c.warnings().empty());
}

TEST_CASE("spec §1.5 entries that are not items are not indexed, and each is named") {
  auto c = open(tarball({
      {"resources/stray.json", "{}"},
      {"resources/pods/stray.json", "{}"},
      {"resources/pods/namespaces/ns/sub/deep.json", "{}"},
      {"resources/pods/namespaces/ns/notes.txt", "x"},
      {"resources/pods/namespaces/ns/ok.json", "{}"},
      {"metadata/other", "x"},
  }));
  CHECK(c.items("pods", "ns") == std::vector<std::string>{"ok"});
  REQUIRE(c.notes().size() == 4);
  CHECK(c.notes()[0] == "Ignoring unexpected entry \"resources/stray.json\": not an item Velero's parser reads");
  CHECK(c.notes()[3].find("resources/pods/namespaces/ns/notes.txt") != std::string::npos);
  CHECK(c.warnings().empty());  // resources/ exists
}

TEST_CASE("spec §1.2 format 1 archives, zstd and plain tar read alike") {
  std::vector<File> files = {{"resources/pods/namespaces/ns/p.json", pod("ns", "p")}};
  auto zstd = open(tarball(files, archive::Compression::zstd, "1"));
  CHECK(zstd.format_version() == "1");
  CHECK(zstd.read("pods", "ns", "p") == pod("ns", "p"));
  auto plain = open(raw_tar({{"metadata/version", "1.1.0\n"}, {"resources/pods/namespaces/ns/p.json", pod("ns", "p")}}));
  CHECK(plain.format_version() == "1.1.0");
  CHECK(plain.items("pods", "ns") == std::vector<std::string>{"p"});
}

// ---- guards --------------------------------------------------------------------------------------

TEST_CASE("restore §2.11 an entry escaping the spool is a named error") {
  std::string e = error_of(raw_tar({{"resources/pods/namespaces/ns/ok.json", "{}"}, {"../../etc/cron.d/x", "boom"}}));
  CHECK(e.find("backups/b/b.tar.gz") != std::string::npos);
  CHECK(e.find("\"../../etc/cron.d/x\"") != std::string::npos);
  CHECK(e.find("escapes") != std::string::npos);
  e = error_of(raw_tar({{"resources/pods/../../../x.json", "{}"}}));
  CHECK(e.find("escapes") != std::string::npos);
  e = error_of(raw_tar({{"/resources/pods/namespaces/ns/p.json", "{}"}}));
  CHECK(e.find("absolute") != std::string::npos);
  CHECK(open_spools() == 0);
}

TEST_CASE("restore §2.11 extracted size over the cap: decompressed backup exceeds maximum allowed size") {
  std::vector<File> files = {{"resources/a/cluster/x.json", std::string(60, 'x')},
                             {"resources/a/cluster/y.json", std::string(60, 'y')}};
  std::string bytes = tarball(files);
  // metadata/version (6 bytes) + 60 + 60 = 126.
  CHECK(error_of(bytes, 125) == "backups/b/b.tar.gz: decompressed backup exceeds maximum allowed size of 125 bytes");
  CHECK(open(bytes, 126).total_items() == 2);
}

TEST_CASE("spec §1.1 a truncated or corrupt gzip is a named error, never a short backup") {
  std::vector<File> files;
  for (int i = 0; i < 50; ++i) files.push_back({"resources/pods/namespaces/ns/p" + std::to_string(i) + ".json", pod("ns", std::to_string(i))});
  std::string bytes = tarball(files);
  for (std::size_t cut : {bytes.size() - 4, bytes.size() / 2, std::size_t(30)}) {
    std::string e = error_of(bytes.substr(0, cut));
    CHECK_MESSAGE(e.starts_with("backups/b/b.tar.gz: "), e);
  }
  std::string flipped = bytes;
  flipped[flipped.size() - 6] ^= 0x55;  // the CRC-32 in the gzip trailer
  CHECK(error_of(flipped).starts_with("backups/b/b.tar.gz: "));
  CHECK(error_of("not a tarball at all, not even close to one").starts_with("backups/b/b.tar.gz: "));
  CHECK(open_spools() == 0);
}

TEST_CASE("restore §2.11 the spool goes with the object, and on errors") {
  CHECK(open_spools() == 0);
  {
    auto c = open(tarball({{"resources/pods/namespaces/ns/p.json", "{}"}}));
    CHECK(open_spools() == 1);
    BackupContents moved = std::move(c);
    CHECK(moved.read("pods", "ns", "p") == "{}");
    CHECK(open_spools() == 1);
  }
  CHECK(open_spools() == 0);
  // Nothing is ever visible in the directory: the file is unlinked as soon as it is created.
  CHECK(fs::is_empty(spool_dir()));
  StringInputStream in(tarball({}));
  try {
    BackupContents c(in, "x", "/nonexistent/spool/dir");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::io);
    CHECK(std::string(e.what()).starts_with("restore spool in /nonexistent/spool/dir: cannot create the spool file"));
  }
}

TEST_CASE("restore §2.1 reads are safe from several threads at once") {
  std::vector<File> files;
  for (int i = 0; i < 400; ++i) files.push_back({"resources/pods/namespaces/ns/p" + std::to_string(i) + ".json", pod("ns", "p" + std::to_string(i))});
  auto c = open(tarball(files));
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < 400; i += 3) {
        if (c.read("pods", "ns", "p" + std::to_string(i)) != pod("ns", "p" + std::to_string(i))) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(bad == 0);
}

TEST_CASE("backup_contents.hpp the index stays under 64 bytes per item (format 1.1.0, 100k items)") {
  StringOutputStream out;
  {
    archive::ArchiveWriter w(out, archive::Compression::zstd);
    for (int i = 0; i < 100000; ++i) {
      std::string ns = "team-" + std::to_string(i % 50), name = "configmap-" + std::to_string(1000000 + i);
      std::string body = R"({"kind":"ConfigMap","metadata":{"name":")" + name + "\"}}";
      w.add_item("configmaps", ns, name, "", body);
      w.add_item("configmaps", ns, name, "v1-preferredversion", body);
    }
    w.finish();
  }
  auto c = open(out.take());
  CHECK(c.total_items() == 100000);
  double per_item = double(c.index_bytes()) / 100000;
  MESSAGE("index bytes per item: " << per_item << ", spool " << c.spool_bytes() << " of " << c.extracted_bytes());
  CHECK(per_item < 64);
  CHECK(c.spool_bytes() * 2 < c.extracted_bytes());
  CHECK(c.read("configmaps", "team-7", "configmap-1000007") ==
        R"({"kind":"ConfigMap","metadata":{"name":"configmap-1000007"}})");
  CHECK(c.item_count("configmaps", "team-7", "v1-preferredversion") == 2000);
}

// ---- Velero's own tarballs ---------------------------------------------------------------------

TEST_CASE("spec §1 the Velero 1.5.2 tarballs index to exactly their resource lists") {
  fs::path backups = velero_corpus() / "bucket" / "backups";
  REQUIRE_MESSAGE(fs::exists(backups), "the velero-1.5.2 golden data is missing from tests/data");
  std::map<std::string, std::size_t> expected_items = {
      {"golden-all", 62}, {"golden-data", 21}, {"golden-label", 10}, {"golden-cluster", 82}};
  for (const auto& [name, count] : expected_items) {
    CAPTURE(name);
    auto tar = open_file(backups / name / (name + ".tar.gz"));
    BackupContents c(*tar, name + ".tar.gz", spool_dir());
    CHECK(c.format_version() == "1.1.0");
    CHECK(c.warnings().empty());
    CHECK(c.notes().empty());
    CHECK(c.total_items() == count);
    // Every item is stored twice in the tarball, once in the spool.
    CHECK(c.spool_bytes() * 2 == c.extracted_bytes() - 6);

    // <b>-resource-list.json.gz: {"<apiVersion>/<Kind>": ["<ns>/<name>" | "<name>"]}.
    std::string list = gzip_decompress(slurp(backups / name / (name + "-resource-list.json.gz")), 1 << 24, name);
    Discovery d = builtin_kubernetes_discovery();
    c.for_each_item("customresourcedefinitions.apiextensions.k8s.io", "", "", [&](std::string_view crd) {
      d.add_crd(json::parse(*c.read("customresourcedefinitions.apiextensions.k8s.io", "", crd), crd).as_object());
    });
    std::size_t listed = 0;
    json::value parsed = json::parse(list, name);
    for (const auto& [key, items] : parsed.as_object()) {
      std::string k(key);
      std::size_t slash = k.rfind('/');
      std::string api_version = k.substr(0, slash), kind = k.substr(slash + 1);
      std::string group = api_version.find('/') == std::string::npos ? "" : api_version.substr(0, api_version.find('/'));
      std::string version = api_version.substr(api_version.find('/') + 1);
      // The source was Kubernetes 1.26: flowcontrol v1beta3 is gone from the 1.33 table, and then
      // the resource is the kind's guessed plural (UnsafeGuessKindToResource).
      const ApiResource* r = d.find_kind(api_version, kind);
      std::string gr = r ? r->group_resource() : guess_plural(kind) + (group.empty() ? "" : "." + group);
      std::string vdir = version + "-preferredversion";
      for (const auto& item : items.as_array()) {
        std::string id(item.as_string());
        std::size_t at = id.find('/');
        std::string ns = at == std::string::npos ? "" : id.substr(0, at);
        std::string n = at == std::string::npos ? id : id.substr(at + 1);
        auto bytes = c.read(gr, ns, n);
        REQUIRE_MESSAGE(bytes, gr << " " << id);
        CHECK(json::metadata_string(json::parse(*bytes, id).as_object(), "name") == n);
        CHECK(c.read(gr, ns, n, vdir) == bytes);
        ++listed;
      }
      CHECK(c.version_dirs(gr) == std::vector<std::string>{vdir});
    }
    CHECK(listed == count);
  }
}

// ---- API version choice (spec §6.3) --------------------------------------------------------------

namespace {

json::object crd_from(const std::string& file) {
  std::vector<json::object> objects;
  manifests::read_manifest_file(
      rockbands_dir() / file, [&](manifests::ManifestObject&& m) { objects.push_back(std::move(m.object)); },
      [](const std::string&) {});
  REQUIRE(objects.size() == 1);
  return objects[0];
}

Discovery target_with(const std::string& crd_file) {
  Discovery d = builtin_kubernetes_discovery();
  if (!crd_file.empty()) d.add_crd(crd_from(crd_file));
  return d;
}

// A backup of rockbands in the versions the source served, as a source with EnableAPIGroupVersions
// writes it: every version in its directory, the preferred one also un-versioned.
BackupContents rockbands_backup(const std::vector<std::string>& versions, const std::string& preferred) {
  std::vector<File> files;
  for (const std::string& v : versions) {
    std::string body = R"({"apiVersion":"music.example.io/)" + v + R"(","kind":"RockBand","metadata":{"name":"beatles","namespace":"music"}})";
    std::string dir = v == preferred ? v + "-preferredversion" : v;
    files.push_back({"resources/rockbands.music.example.io/" + dir + "/namespaces/music/beatles.json", body});
    if (v == preferred) files.push_back({"resources/rockbands.music.example.io/namespaces/music/beatles.json", body});
  }
  return open(tarball(files));
}

}  // namespace

TEST_CASE("spec §6.3 rockbands case A: the preferred versions match, v1 (Priority 1)") {
  auto backup = rockbands_backup({"v1", "v1alpha1"}, "v1");  // case-a-source.yaml serves v1, v1alpha1
  auto c = choose_version(backup, "rockbands.music.example.io", target_with("case-a-target.yaml"));
  CHECK(c.version == "v1");
  CHECK(c.version_dir == "v1-preferredversion");
  CHECK(c.priority == 1);
  CHECK(c.target_serves);
  CHECK(backup.read("rockbands.music.example.io", "music", "beatles", c.version_dir));
}

TEST_CASE("spec §6.3 rockbands case B: the target's preferred v2beta2 is in the backup (Priority 1)") {
  auto backup = rockbands_backup({"v1", "v2beta1", "v2beta2"}, "v1");  // case-b-source
  auto c = choose_version(backup, "rockbands.music.example.io", target_with("case-b-target-manually-added-mutations.yaml"));
  CHECK(c.version == "v2beta2");
  CHECK(c.version_dir == "v2beta2");
  CHECK(c.priority == 1);
}

TEST_CASE("spec §6.3 rockbands case C: the backup's preferred v1 is served by the target (Priority 2)") {
  auto backup = rockbands_backup({"v1", "v2beta1", "v2beta2"}, "v1");
  auto c = choose_version(backup, "rockbands.music.example.io", target_with("case-c-target-manually-added-mutations.yaml"));
  CHECK(c.version == "v1");
  CHECK(c.version_dir == "v1-preferredversion");
  CHECK(c.priority == 2);
}

TEST_CASE("spec §6.3 rockbands case D: the highest common non-preferred version v2beta2 (Priority 3)") {
  auto backup = rockbands_backup({"v1", "v2beta1", "v2beta2"}, "v1");
  auto c = choose_version(backup, "rockbands.music.example.io", target_with("case-d-target-manually-added-mutations.yaml"));
  CHECK(c.version == "v2beta2");
  CHECK(c.version_dir == "v2beta2");
  CHECK(c.priority == 3);
}

TEST_CASE("spec §6.3 the user's enableapigroupversions ConfigMap overrides case D with v2beta1 (Priority 0)") {
  auto backup = rockbands_backup({"v1", "v2beta1", "v2beta2"}, "v1");
  auto user = parse_user_version_priorities("rockbands.music.example.io=v2beta1,v2beta2,v2");
  auto c = choose_version(backup, "rockbands.music.example.io", target_with("case-d-target-manually-added-mutations.yaml"), user);
  CHECK(c.version == "v2beta1");
  CHECK(c.version_dir == "v2beta1");
  CHECK(c.priority == 0);
}

TEST_CASE("spec §6.3 no common version (case A source, case B target): the backup's preferred, not served") {
  auto backup = rockbands_backup({"v1", "v1alpha1"}, "v1");
  auto c = choose_version(backup, "rockbands.music.example.io", target_with("case-b-target-manually-added-mutations.yaml"));
  CHECK(c.version == "v1");
  CHECK(c.version_dir == "v1-preferredversion");
  CHECK(c.priority == -1);
  CHECK_FALSE(c.target_serves);
}

TEST_CASE("spec §6.3 the CRD is not (yet) in the target: the backup's preferred version") {
  auto backup = rockbands_backup({"v1"}, "v1");
  auto c = choose_version(backup, "rockbands.music.example.io", target_with(""));
  CHECK(c.version == "v1");
  CHECK(c.version_dir == "v1-preferredversion");
  CHECK_FALSE(c.target_serves);
}

TEST_CASE("spec §6.3 without version directories (format 1) the un-versioned copy is read") {
  auto backup = open(tarball({{"resources/pods/namespaces/ns/p.json", "{}"}}, archive::Compression::gzip, "1"));
  auto c = choose_version(backup, "pods", builtin_kubernetes_discovery());
  CHECK(c.version_dir.empty());
  CHECK(c.target_serves);
  // Version directories in an archive that says format "1": still un-versioned (Velero's check).
  auto odd = open(tarball({{"resources/pods/v1-preferredversion/namespaces/ns/p.json", "{}"}}, archive::Compression::gzip, "1"));
  CHECK(choose_version(odd, "pods", builtin_kubernetes_discovery()).version_dir.empty());
}

TEST_CASE("version_choice.hpp deliberate: only versions that serve the resource count on the target") {
  // Group example.io serves v2 (preferred) and v1, but widgets only in v1. Velero looks at the
  // group, picks v2 (Priority 1) and the restore fails; we pick v1.
  Discovery d;
  d.add_group({"example.io", {"v2", "v1"}, "v2", 0});
  d.add_resources("example.io/v2", {{"", "", "gadgets", "gadget", "Gadget", true, {"list", "create", "get", "delete"}, {}, {}}});
  d.add_resources("example.io/v1", {{"", "", "widgets", "widget", "Widget", true, {"list", "create", "get", "delete"}, {}, {}}});
  ApiVersions served = served_versions(d, "widgets.example.io");
  CHECK(served.versions == std::vector<std::string>{"v1"});
  CHECK(served.preferred == "v1");
  auto c = choose_version(ApiVersions{{"v2", "v1"}, "v2"}, served);
  CHECK(c.version == "v1");
  CHECK(c.version_dir == "v1");
  CHECK(c.priority == 1);  // the target's preferred version of widgets
}

TEST_CASE("version_choice.hpp deliberate: Priority 3 considers every common version") {
  // Velero drops the first version of both sorted lists and so picks v1beta1; v2 is common too.
  ApiVersions backup{{"v3", "v2", "v1beta1"}, "v3"};
  ApiVersions target{{"v1alpha1", "v2", "v1beta1"}, "v1alpha1"};
  auto c = choose_version(backup, target);
  CHECK(c.version == "v2");
  CHECK(c.priority == 3);
}

TEST_CASE("spec §6.3 parseUserPriorities: spaces removed, malformed lines skipped") {
  auto p = parse_user_version_priorities(
      "rockbands.music.example.io=v2beta1,v2beta2\n orchestras.music.example.io = v2, v3alpha1 \n"
      "no equal sign\n=v1\nx=\na=b=c\n\n");
  CHECK(p.size() == 2);
  CHECK(p["rockbands.music.example.io"] == std::vector<std::string>{"v2beta1", "v2beta2"});
  CHECK(p["orchestras.music.example.io"] == std::vector<std::string>{"v2", "v3alpha1"});
}
