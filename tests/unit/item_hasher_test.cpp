// Issue 17, session 6 (brief s6-bkcsum): a live backup's per-item checksums off its main thread.
// ItemHasher hashes items on a thread of its own through a bounded queue (order kept, failures
// rethrown, memory bounded); Sha256Digester reuses one OpenSSL context; ItemSpill keeps binary
// digests and writes the manifest's items as ChecksumManifest::to_json does (docs/crypto.md).
#include "persistence/sealed_store.hpp"
#include "test_helpers.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/sealing.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <chrono>
#include <limits>
#include <thread>

using namespace vbackup;
using sealing::detail::ItemHasher;
using sealing::detail::ItemSpill;
using sealing::detail::Sha256Digester;

namespace {

std::string reference_hex(std::string_view bytes) {
  crypto::Sha256 h;
  h.update(bytes);
  return h.hex_digest();
}

std::string hex(const unsigned char* d) {
  static constexpr char k[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    out.push_back(k[d[i] >> 4]);
    out.push_back(k[d[i] & 0xF]);
  }
  return out;
}

struct Seen {
  std::string path;
  std::uint64_t size;
  std::string sha256;
};

// Item i: its bytes of a size from 0 to ~5 KB (binary included).
std::string item_bytes(int i) {
  std::string b(static_cast<std::size_t>((i * 7919) % 5000), '\0');
  for (std::size_t j = 0; j < b.size(); ++j) b[j] = static_cast<char>((i + j * 31) & 0xFF);
  return b;
}

}  // namespace

TEST_CASE("docs/crypto.md sha256: Sha256Digester gives FIPS 180-2's digests, its context reused") {
  Sha256Digester d;
  unsigned char out[32];
  for (int round = 0; round < 2; ++round) {
    d.digest("abc", out);
    CHECK(hex(out) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    d.digest("", out);
    CHECK(hex(out) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
  std::string big(1 << 20, 'x');
  d.digest(big, out);
  CHECK(hex(out) == reference_hex(big));
}

TEST_CASE("issue 17: ItemHasher hands every item over in the order added, each hashed as crypto::Sha256 hashes it") {
  std::vector<Seen> seen;  // the worker's only (read after finish)
  std::thread::id worker;
  ItemHasher h(
      [&](std::string_view path, std::uint64_t size, const unsigned char* d) {
        worker = std::this_thread::get_id();
        seen.push_back({std::string(path), size, hex(d)});
      },
      4096, 3);
  const int n = 3000;
  for (int i = 0; i < n; ++i) h.add("resources/configmaps/namespaces/ns/cm-" + std::to_string(i) + ".json", item_bytes(i));
  h.add("resources/big.json", std::string(100000, 'b'));  // larger than a batch: alone in one
  h.add("resources/empty.json", "");
  h.finish();
  CHECK(worker != std::this_thread::get_id());  // hashed off the caller's thread
  REQUIRE(seen.size() == static_cast<std::size_t>(n) + 2);
  for (int i = 0; i < n; i += 97) {
    CHECK(seen[i].path == "resources/configmaps/namespaces/ns/cm-" + std::to_string(i) + ".json");
    CHECK(seen[i].size == item_bytes(i).size());
    CHECK(seen[i].sha256 == reference_hex(item_bytes(i)));
  }
  CHECK(seen[n].sha256 == reference_hex(std::string(100000, 'b')));
  CHECK(seen[n + 1].size == 0);
  CHECK(seen[n + 1].sha256 == reference_hex(""));
  // Memory bounded: never more batches than asked for, whatever the number of items.
  CHECK(h.batches() <= 3);
  h.finish();  // once: a second call does nothing
}

TEST_CASE("issue 17: an item written twice with the same bytes (resources/<gr>/ and its preferred version) keeps its digest; others do not") {
  // Repeats across batch boundaries, equal sizes with other bytes, empty items, a repeat of an
  // earlier but not the last item: every entry's digest as crypto::Sha256 gives it.
  std::vector<std::string> bytes;
  for (int i = 0; i < 400; ++i) {
    std::string b = item_bytes(i % 13);
    if (i % 5 == 3) b[b.size() / 2] ^= 1;  // the same size as its neighbour, one bit apart
    if (i % 17 == 0) b.clear();
    bytes.push_back(b);
    bytes.push_back(b);  // written twice
    if (i % 7 == 0) bytes.push_back(item_bytes((i + 1) % 13));
  }
  std::vector<Seen> seen;
  ItemHasher h([&](std::string_view path, std::uint64_t size, const unsigned char* d) {
    seen.push_back({std::string(path), size, hex(d)});
  }, 8192, 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) h.add("p" + std::to_string(i), bytes[i]);
  h.finish();
  REQUIRE(seen.size() == bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    CHECK(seen[i].path == "p" + std::to_string(i));
    CHECK(seen[i].size == bytes[i].size());
    CHECK(seen[i].sha256 == reference_hex(bytes[i]));
  }
}

TEST_CASE("issue 17: a slow hasher holds the backup back instead of queueing its items in memory") {
  std::atomic<int> hashed{0};
  ItemHasher h(
      [&](std::string_view, std::uint64_t, const unsigned char*) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        ++hashed;
      },
      1024, 2);
  std::string bytes(512, 'x');
  int added = 0;
  for (; added < 200; ++added) {
    bytes[0] = static_cast<char>(added);  // not a repeat of the item before (those are not copied)
    h.add("p", bytes);
  }
  // Two batches of ~2 items each at most are in flight: the adder waited for the worker.
  CHECK(added - hashed.load() <= 2 * 3 + 1);
  CHECK(h.batches() <= 2);
  h.finish();
  CHECK(hashed.load() == 200);
}

TEST_CASE("issue 17: the hasher's failure (the spill's disk full) is rethrown by add() or finish(), on the caller's thread") {
  SUBCASE("by add()") {
    ItemHasher h([](std::string_view path, std::uint64_t, const unsigned char*) {
      if (path == "bad") throw Error(ErrorCode::io, "resource list: cannot write a temporary file");
    }, 256, 2);
    h.add("bad", std::string(300, 'x'));  // fills a batch: handed over
    std::string what;
    try {
      for (int i = 0; i < 100000; ++i) h.add("ok", std::string(300, 'y'));
    } catch (const Error& e) {
      what = e.what();
      CHECK(e.code() == ErrorCode::io);
    }
    CHECK(what.find("cannot write a temporary file") != std::string::npos);
    CHECK_THROWS_AS(h.finish(), Error);
  }
  SUBCASE("by finish()") {
    ItemHasher h([](std::string_view, std::uint64_t, const unsigned char*) {
      throw Error(ErrorCode::io, "disk full");
    });
    h.add("a", "b");  // still in the caller's batch
    CHECK_THROWS_WITH_AS(h.finish(), doctest::Contains("disk full"), Error);
  }
}

TEST_CASE("issue 17: a backup that fails before its seal drops the hasher without waiting for its items") {
  std::atomic<int> hashed{0};
  {
    ItemHasher h([&](std::string_view, std::uint64_t, const unsigned char*) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ++hashed;
    }, 4096, 2);
    h.add("big", std::string(5000, 'x'));  // a batch of its own, handed over
    for (int i = 0; i < 10; ++i) h.add("p", "small");  // in the caller's batch: never handed over
  }  // no finish(): the destructor stops the worker after the batch it is hashing
  CHECK(hashed.load() <= 1);
}

TEST_CASE("docs/crypto.md checksum manifest: items from binary digests are written as ChecksumManifest::to_json writes them") {
  // Sizes at the ends of JSON's integers, names plain and needing escapes, an item recorded twice.
  crypto::ChecksumManifest m;
  m.files = {{"demo.tar.gz", "", 5, std::string(64, 'a')}, {"x<y>.tar.gz", "", 1, std::string(64, 'b')}};
  m.items = {{"demo.tar.gz", "resources/a.json", 0, reference_hex("")},
             {"demo.tar.gz", "resources/b.json", std::numeric_limits<std::uint64_t>::max(), reference_hex("b")},
             {"demo.tar.gz", "resources/&c\t.json", 12345, reference_hex("c")},
             {"x<y>.tar.gz", "resources/d.json", 7, reference_hex("d")}};
  ItemSpill spill;
  Sha256Digester d;
  unsigned char out[32];
  d.digest("", out);
  spill.add("demo.tar.gz", "resources/a.json", 0, out);
  d.digest("b", out);
  spill.add("demo.tar.gz", "resources/b.json", std::numeric_limits<std::uint64_t>::max(), out);
  d.digest("c", out);
  spill.add("demo.tar.gz", "resources/&c\t.json", 12345, out);
  d.digest("d", out);
  spill.add("x<y>.tar.gz", "resources/d.json", 7, out);
  d.digest("a twice", out);
  spill.add("demo.tar.gz", "resources/a.json", 9, out);  // the first entry in sort order is listed
  StringOutputStream s;
  sealing::detail::write_manifest(s, m.files, &spill);
  CHECK(s.take() == m.to_json());
}

TEST_CASE("issue 16: the items' JSON rendered once the tarball is committed is the manifest to_json writes; no item after it") {
  testing::TempDir dir("item-hasher-seal");
  storage::BackupStore store(std::shared_ptr<storage::ObjectStore>(storage::open_file_store(dir.path)), "");
  {
    storage::BackupStore sealed = sealing::seal_for_writing(store, "b", {});
    auto observer = sealing::tar_entry_observer(sealed);
    auto w = sealed.objects().open_write(sealed.backup_contents_key("b"));
    archive::ArchiveWriter tar(*w, archive::Compression::gzip, archive::kFormatVersion, observer);
    for (int i = 0; i < 5000; ++i) {
      tar.add_item("configmaps", "ns-" + std::to_string(i % 7), "cm-" + std::to_string(i), "v1-preferredversion", item_bytes(i));
    }
    tar.finish();
    w->commit();  // the items' rendering starts here
    // An item after the tarball: an error, not an entry silently missing from the manifest.
    CHECK_THROWS_WITH_AS(observer("resources/late.json", "{}"), doctest::Contains("recorded after b.tar.gz was committed"), Error);
    velero::Backup b;
    b.metadata.name = "b";
    sealing::write_seal(sealed, b);
    persistence::put_backup_record(store, b);
  }
  std::ifstream in(dir.path / "backups" / "b" / "b-checksums.json");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto m = crypto::ChecksumManifest::parse(text, "b-checksums.json");
  CHECK(m.items.size() == 5000 + 1);  // and metadata/version
  CHECK(m.to_json() == text);
  const std::string cm42 = "/namespaces/ns-0/cm-42.json";  // under resources/configmaps/[<version dir>/]
  bool found = false;
  for (const auto& e : m.items) {
    if (e.path.size() < cm42.size() || e.path.compare(e.path.size() - cm42.size(), cm42.size(), cm42) != 0) continue;
    found = true;
    CHECK(e.sha256 == reference_hex(item_bytes(42)));
  }
  CHECK(found);
  auto v = sealing::verify_backup(store, "b", {});
  CHECK_MESSAGE(v.ok(), json::marshal(v.to_json()));
}
