// Issue 17 for the seal (brief s3-seal2): the checksum manifest's items go through a sorted spill on
// disk while a backup is written and verified; the JSON written from the spill is byte for byte
// ChecksumManifest::to_json (docs/crypto.md); a stored manifest is parsed as a stream as strictly as
// ChecksumManifest::parse; expected and actual items are compared as one merged sorted stream.
#include "persistence/sealed_store.hpp"
#include "test_helpers.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/sealing.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace vbackup;
using sealing::detail::ItemSpill;
namespace fs = std::filesystem;

namespace {

crypto::ChecksumEntry file(std::string name, std::uint64_t size, char hex) {
  return {std::move(name), "", size, std::string(64, hex)};
}
crypto::ChecksumEntry item(std::string path, std::uint64_t size, char hex, std::string tarball = "demo.tar.gz") {
  return {std::move(tarball), std::move(path), size, std::string(64, hex)};
}

std::string streamed(const crypto::ChecksumManifest& m) {
  ItemSpill spill;
  for (const auto& i : m.items) spill.add(i);
  StringOutputStream out;
  sealing::detail::write_manifest(out, m.files, &spill);
  return out.take();
}

sealing::detail::ParsedManifest read(std::string text, ItemSpill* items = nullptr) {
  StringInputStream in(std::move(text));
  return sealing::detail::read_manifest(in, "m.json", items);
}

std::string read_error(std::string text) {
  try {
    read(std::move(text));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("docs/crypto.md checksum manifest: the JSON streamed from the spill is ChecksumManifest::to_json byte for byte") {
  crypto::ChecksumManifest m;
  CHECK(streamed(m) == m.to_json());  // empty lists
  m.files = {file("demo.tar.gz", 3, 'b'), file("demo-logs.gz", 0, 'e'), file("velero-backup.json", 10, 'a')};
  CHECK(streamed(m) == m.to_json());  // no items
  // Out of order, a path that is a prefix of another, bytes that JSON escapes, a second tarball.
  m.items = {item("resources/pods/namespaces/default/b.json", 4, 'c'), item("resources/pods/namespaces/default/a.json", 0, 'd'),
             item("resources/pods/namespaces/default/a.json.x", 1, '1'), item("resources/x/\"q\"\\\x01/é.json", 7, '2'),
             item("a", 9, '3', "other.tar.gz"), item("resources/pods/namespaces/default/a", 2, '4')};
  m.files.push_back(file("other.tar.gz", 1, 'f'));
  const std::string json = m.to_json();
  CHECK(streamed(m) == json);
  // And back: the files kept sorted, every item spilled, as parse() reads them.
  ItemSpill spill;
  auto parsed = read(json, &spill);
  auto strict = crypto::ChecksumManifest::parse(json, "m.json");
  REQUIRE(parsed.files.size() == strict.files.size());
  for (std::size_t i = 0; i < strict.files.size(); ++i) CHECK(parsed.files[i].file == strict.files[i].file);
  CHECK(parsed.items == m.items.size());
  std::vector<crypto::ChecksumEntry> back;
  spill.for_each([&](const crypto::ChecksumEntry& e, int side) {
    CHECK(side == 0);
    back.push_back(e);
  });
  REQUIRE(back.size() == strict.items.size());
  for (std::size_t i = 0; i < back.size(); ++i) {
    CHECK(back[i].path == strict.items[i].path);
    CHECK(back[i].size == strict.items[i].size);
    CHECK(back[i].sha256 == strict.items[i].sha256);
  }
}

TEST_CASE("docs/crypto.md checksum manifest: the streaming reader is as strict as parse, naming the input and field") {
  const std::string h(64, 'a');
  auto doc = [&](const std::string& files, const std::string& items) {
    return "{\"version\":1,\"files\":[" + files + "],\"items\":[" + items + "]}";
  };
  const std::string f = "{\"name\":\"t.tar.gz\",\"size\":1,\"sha256\":\"" + h + "\"}";
  CHECK(read_error(doc(f, "{\"tarball\":\"t.tar.gz\",\"path\":\"p\",\"size\":1,\"sha256\":\"" + h + "\"}")) == "");
  CHECK(read_error("{\"version\":2,\"files\":[],\"items\":[]}") == "m.json: version: expected 1");
  CHECK(read_error("{\"version\":1,\"files\":[]}") == "m.json: missing field \"items\"");
  CHECK(read_error("{\"version\":1,\"version\":1,\"files\":[],\"items\":[]}") == "m.json: duplicate key \"version\"");
  CHECK(read_error("{\"version\":1,\"files\":[],\"items\":[],\"x\":0}") == "m.json: unknown field \"x\"");
  CHECK(read_error(doc(f + "," + f, "")) == "m.json: files[1]: file \"t.tar.gz\" listed twice");
  CHECK(read_error(doc("{\"name\":\"t\",\"size\":-1,\"sha256\":\"" + h + "\"}", "")) ==
        "m.json: files[0]: size: expected a non-negative integer");
  CHECK(read_error(doc("{\"name\":\"t\",\"size\":1,\"sha256\":\"AB\"}", "")) ==
        "m.json: files[0]: sha256: expected 64 lower-case hex digits");
  CHECK(read_error(doc("{\"name\":\"t\",\"size\":1}", "")) == "m.json: files[0]: missing field \"sha256\"");
  CHECK(read_error(doc(f, "{\"tarball\":\"u.tar.gz\",\"path\":\"p\",\"size\":1,\"sha256\":\"" + h + "\"}")) ==
        "m.json: items: tarball \"u.tar.gz\" is not in files");
  CHECK(read_error(doc(f, "{\"tarball\":\"t.tar.gz\",\"path\":[],\"size\":1,\"sha256\":\"" + h + "\"}")) ==
        "m.json: items[0]: path: expected a non-empty string");
  CHECK(read_error(doc(f, "3")) == "m.json: items[0]: expected an object");
  CHECK(read_error("{\"version\":1,\"files\":{},\"items\":[]}") == "m.json: files: expected an array");
  CHECK(read_error("[]") == "m.json: expected an object");
  CHECK(read_error("{\"version\":1,\"files\":[") != "");  // cut short
}

TEST_CASE("docs/crypto.md compare: expected and actual items merged as one sorted stream, differences worded as compare's") {
  ItemSpill spill;
  spill.add(item("a", 1, 'a'), 0);
  spill.add(item("b", 1, 'b'), 0);
  spill.add(item("c", 1, 'c'), 0);
  spill.add(item("d", 1, 'd'), 0);
  spill.add(item("d", 2, 'e'), 0);  // listed twice
  spill.add(item("a", 1, 'a'), 1);
  spill.add(item("b", 2, 'b'), 1);
  spill.add(item("c", 1, 'f'), 1);
  spill.add(item("e", 1, 'e'), 1);
  auto p = sealing::detail::compare_items(spill);
  REQUIRE(p.size() == 5);
  CHECK(p[0] == "demo.tar.gz: b: size differs (expected 1, found 2)");
  CHECK(p[1] == "demo.tar.gz: c: sha256 differs (expected " + std::string(64, 'c') + ", found " + std::string(64, 'f') + ")");
  CHECK(p[2] == "demo.tar.gz: d: listed twice in the checksum manifest");
  CHECK(p[3] == "demo.tar.gz: d: missing");
  CHECK(p[4] == "demo.tar.gz: e: unexpected");
}

TEST_CASE("issue 17: 200k items sealed and verified; the manifest's entries in memory stay bounded (spill), not 200k") {
  testing::TempDir dir("sealing-manifest");
  storage::BackupStore store(std::shared_ptr<storage::ObjectStore>(storage::open_file_store(dir.path)), "");
  constexpr int kItems = 200000;
  sealing::reset_manifest_counters();
  {
    storage::BackupStore sealed = sealing::seal_for_writing(store, "big", {});
    auto w = sealed.objects().open_write(sealed.backup_contents_key("big"));
    archive::ArchiveWriter tar(*w, archive::Compression::gzip, archive::kFormatVersion, sealing::tar_entry_observer(sealed));
    for (int i = 0; i < kItems; ++i) {
      std::string ns = "ns-" + std::to_string(i % 97), name = "cm-" + std::to_string(i);
      tar.add_item("configmaps", ns, name, "v1-preferredversion",
                   "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\"}}");
    }
    tar.finish();
    w->commit();
    velero::Backup b;
    b.metadata.name = "big";
    b.metadata.namespace_ = "velero";
    sealing::write_seal(sealed, b);
    persistence::put_backup_record(store, b);
  }
  auto written = sealing::manifest_counters();
  CHECK(written.items == kItems + 1);  // and metadata/version
  CHECK(written.peak_resident_items > 0);
  CHECK(written.peak_resident_items < 20000);  // one 1 MiB run of ~140-byte lines, whatever the count

  // The manifest as written: every item, sorted, as to_json lists them.
  std::ifstream in(dir.path / "backups" / "big" / "big-checksums.json");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto m = crypto::ChecksumManifest::parse(text, "big-checksums.json");
  CHECK(m.items.size() == kItems + 1);
  CHECK(m.to_json() == text);

  sealing::reset_manifest_counters();
  auto v = sealing::verify_backup(store, "big", {});
  CHECK_MESSAGE(v.ok(), json::marshal(v.to_json()));
  auto verified = sealing::manifest_counters();
  CHECK(verified.items == 2 * (kItems + 1));  // expected and actual, merged
  CHECK(verified.peak_resident_items < 20000);
}

TEST_CASE("issue 16: verify with the spilled merge still names one altered item among many") {
  testing::TempDir dir("sealing-manifest-alter");
  storage::BackupStore store(std::shared_ptr<storage::ObjectStore>(storage::open_file_store(dir.path)), "");
  auto write = [&](const std::string& name, const std::string& changed) {
    storage::BackupStore sealed = sealing::seal_for_writing(store, name, {});
    auto w = sealed.objects().open_write(sealed.backup_contents_key(name));
    archive::ArchiveWriter tar(*w, archive::Compression::gzip, archive::kFormatVersion, sealing::tar_entry_observer(sealed));
    for (int i = 0; i < 3000; ++i) {
      std::string n = "cm-" + std::to_string(i);
      tar.add_item("configmaps", "demo", n, "v1-preferredversion", i == 1234 ? changed : "{\"n\":\"" + n + "\"}");
    }
    tar.finish();
    w->commit();
    velero::Backup b;
    b.metadata.name = name;
    sealing::write_seal(sealed, b);
    persistence::put_backup_record(store, b);
  };
  write("a", "{\"n\":\"cm-1234\"}");
  write("b", "{\"n\":\"CM-1234\"}");
  // b's tarball under a's name: the manifest's file hash and the one item differ.
  fs::copy_file(dir.path / "backups" / "b" / "b.tar.gz", dir.path / "backups" / "a" / "a.tar.gz",
                fs::copy_options::overwrite_existing);
  auto v = sealing::verify_backup(store, "a", {});
  REQUIRE(v.problems.size() == 2);
  CHECK_MESSAGE(v.problems[0].find("backups/a/a.tar.gz: s") == 0, v.problems[0]);  // size or sha256
  CHECK(v.problems[1].find("backups/a/a.tar.gz: resources/configmaps/v1-preferredversion/namespaces/demo/cm-1234.json: sha256 differs") == 0);
}
