// Leftovers of interrupted work (leftovers.hpp) and what cancelling leaves (issue 12, "Interrupted
// work leaves nothing behind"): the stores' pending uploads and listing times, the writers' cancel
// check, find / prune, and a delete that removes the record first and the folder's pending uploads.
// The same against moto and Azurite, through the CLI and its signals: tests/integration/interrupt_test.cpp.
#include "test_helpers.hpp"

#include "storage/azure/responses.hpp"
#include "storage/azure/sharedkey.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/error.hpp"
#include "vbackup/leftovers.hpp"
#include "vbackup/persistence.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

using namespace vbackup;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using testing::error_of;
using testing::TempDir;

namespace {

Timestamp now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

// The temporary files under a folder, found without the store (what `ls -a` shows).
std::vector<std::string> temp_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename().string().starts_with(".vbk-tmp-")) out.push_back(fs::relative(e.path(), dir).generic_string());
  }
  return out;
}

// A store that forwards to another but keeps the base class's listing without times and records the
// order of removals: a store that cannot say how old its objects are, and delete's order.
class PlainStore final : public storage::ObjectStore {
 public:
  explicit PlainStore(std::shared_ptr<storage::ObjectStore> inner) : inner_(std::move(inner)) {}
  std::vector<std::string> removed;
  std::unique_ptr<storage::ObjectWriter> open_write(const std::string& k) override { return inner_->open_write(k); }
  std::unique_ptr<InputStream> get(const std::string& k, const storage::ByteRange& r) override { return inner_->get(k, r); }
  bool exists(const std::string& k) override { return inner_->exists(k); }
  std::vector<std::string> list_common_prefixes(const std::string& p, const std::string& d) override {
    return inner_->list_common_prefixes(p, d);
  }
  std::vector<std::string> list_objects(const std::string& p) override { return inner_->list_objects(p); }
  std::vector<storage::PendingUpload> list_pending_uploads(const std::string& p) override {
    return inner_->list_pending_uploads(p);
  }
  void abort_pending_upload(const storage::PendingUpload& u) override {
    removed.push_back("abort " + u.key);
    inner_->abort_pending_upload(u);
  }
  void remove(const std::string& k) override {
    removed.push_back(k);
    inner_->remove(k);
  }
  std::string signed_url(const std::string& k, std::chrono::seconds t) override { return inner_->signed_url(k, t); }
  std::string describe() const override { return inner_->describe(); }

 private:
  std::shared_ptr<storage::ObjectStore> inner_;
};

}  // namespace

TEST_CASE("file store: a writer never committed is a pending upload under its key; aborting it removes the file") {
  TempDir bucket;
  auto store = storage::open_file_store(bucket.path);
  auto w = store->open_write("backups/b1/b1.tar.gz");  // kept open: as a killed process leaves it
  w->write(std::string(1000, 'x'));
  store->put("backups/b1/b1-logs.gz", "log");
  auto uploads = store->list_pending_uploads("backups/");
  REQUIRE(uploads.size() == 1);
  CHECK(uploads[0].key == "backups/b1/b1.tar.gz");
  CHECK(uploads[0].id.starts_with("backups/b1/.vbk-tmp-b1.tar.gz-"));
  CHECK(uploads[0].size == 1000);
  REQUIRE(uploads[0].last_written);
  CHECK(now() - *uploads[0].last_written < 60s);
  CHECK(store->list_pending_uploads("restores/").empty());
  CHECK(store->list_pending_uploads("backups/b2/").empty());
  // Temporary files are no objects: listings never show them.
  CHECK(store->list_objects("backups/") == std::vector<std::string>{"backups/b1/b1-logs.gz"});

  store->abort_pending_upload(uploads[0]);
  CHECK(temp_files(bucket.path).empty());
  CHECK(store->list_pending_uploads("backups/").empty());
  store->abort_pending_upload(uploads[0]);  // already gone: fine
  // The writer's upload is gone: its commit fails, nothing appears.
  CHECK(!error_of([&] { w->commit(); }).empty());
  CHECK_FALSE(store->exists("backups/b1/b1.tar.gz"));
  // An id that is not a temporary file (an object, a path outside the root) is refused.
  ErrorCode code{};
  error_of([&] { store->abort_pending_upload({"backups/b1/b1-logs.gz", "backups/b1/b1-logs.gz", {}, 0}); }, &code);
  CHECK(code == ErrorCode::invalid);
  error_of([&] { store->abort_pending_upload({"x", "../.vbk-tmp-x-0123456789abcdef", {}, 0}); }, &code);
  CHECK(code == ErrorCode::invalid);
  CHECK(store->exists("backups/b1/b1-logs.gz"));
}

TEST_CASE("file and memory stores: listings with sizes and modification times, sorted") {
  TempDir bucket;
  std::vector<std::unique_ptr<storage::ObjectStore>> stores;
  stores.push_back(storage::open_file_store(bucket.path));
  stores.push_back(storage::open_memory_store());
  for (auto& store : stores) {
    CAPTURE(store->describe());
    store->put("backups/b/z", "12345");
    store->put("backups/b/a", "");
    auto infos = store->list_object_info("backups/");
    REQUIRE(infos.size() == 2);
    CHECK(infos[0].key == "backups/b/a");
    CHECK(infos[0].size == 0);
    CHECK(infos[1].size == 5);
    REQUIRE(infos[1].last_modified);
    CHECK(now() - *infos[1].last_modified < 60s);
    CHECK(store->list_pending_uploads("backups/").empty());
  }
}

TEST_CASE("issue 12: a store's cancel check makes commit throw cancelled and nothing becomes visible") {
  TempDir bucket;
  std::vector<std::unique_ptr<storage::ObjectStore>> stores;
  stores.push_back(storage::open_file_store(bucket.path));
  stores.push_back(storage::open_memory_store());
  for (auto& store : stores) {
    CAPTURE(store->describe());
    bool cancelled = false;
    store->set_cancel_check([&] { return cancelled; });
    store->put("k/before", "x");  // the check passes
    auto w = store->open_write("k/after");
    w->write(std::string("data"));
    cancelled = true;
    ErrorCode code{};
    error_of([&] { w->commit(); }, &code);
    CHECK(code == ErrorCode::cancelled);
    w.reset();
    CHECK_FALSE(store->exists("k/after"));
    CHECK(store->list_pending_uploads("k/").empty());
    // Downloads check their own flag, set apart (a restore cancels its download, never its record).
    auto in = store->get("k/before");
    char c;
    CHECK(in->read(&c, 1) == 1);
    bool stop_download = false;
    store->set_download_cancel_check([&] { return stop_download; });
    auto in2 = store->get("k/before");
    stop_download = true;
    error_of([&] { in2->read(&c, 1); }, &code);
    CHECK(code == ErrorCode::cancelled);
  }
  CHECK(temp_files(bucket.path).empty());
}

TEST_CASE("issue 12: a backup cancelled by the store's check at its last uploads leaves nothing, no temporary file") {
  TempDir manifests, bucket;
  manifests.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, namespace: demo}\ndata: {k: v}\n");
  std::shared_ptr<storage::ObjectStore> objects = storage::open_file_store(bucket.path);
  storage::BackupStore store(objects, "");
  storage::Location location;
  location.provider = "file";
  location.bucket = bucket.path.string();
  // Cancelled at the 4th check: after the tarball and a side file are committed, so run_backup must
  // remove what is already there (the runner makes no progress call between these uploads).
  for (int cancel_at : {1, 2, 4, 8}) {
    CAPTURE(cancel_at);
    int checks = 0;
    objects->set_cancel_check([&] { return ++checks >= cancel_at; });
    velero::Backup b;
    b.metadata.name = "b" + std::to_string(cancel_at);
    auto source = open_manifest_source({manifests.path});
    ErrorCode code{};
    error_of([&] { run_backup(b, *source, store, location); }, &code);
    CHECK(code == ErrorCode::cancelled);
    CHECK(objects->list_objects("").empty());
    CHECK(find_leftovers(store, now()).empty());
    CHECK(temp_files(bucket.path).empty());
  }
  objects->set_cancel_check({});
  velero::Backup b;
  b.metadata.name = "complete";
  auto source = open_manifest_source({manifests.path});
  CHECK(run_backup(b, *source, store, location).outcome.ok());
  CHECK(store.list_backups() == std::vector<std::string>{"complete"});
}

TEST_CASE("issue 12: find_leftovers reports uploads never committed and folders without their record, with ages") {
  TempDir bucket;
  std::shared_ptr<storage::ObjectStore> objects = storage::open_file_store(bucket.path);
  storage::BackupStore store(objects, "team-a");
  auto& o = *objects;
  // A complete backup and restore: not leftovers.
  o.put("team-a/backups/good/velero-backup.json", "{}");
  o.put("team-a/backups/good/good.tar.gz", "t");
  o.put("team-a/restores/r-good/velero-restore.json", "{}");
  o.put("team-a/restores/r-good/restore-r-good-logs.gz", "l");
  // spec §2.7: a folder without velero-backup.json is no backup.
  o.put("team-a/backups/half/half.tar.gz", "tarball");
  o.put("team-a/backups/half/half-logs.gz", "log");
  // spec §2.5: Heptio Ark's record marks a legacy backup, not a leftover.
  o.put("team-a/backups/ark/ark-backup.json", "{}");
  // A restore of ours cut after its log; Velero's restores (results, no record of ours) are left alone.
  o.put("team-a/restores/r-cut/restore-r-cut-logs.gz", "l");
  o.put("team-a/restores/r-velero/restore-r-velero-logs.gz", "l");
  o.put("team-a/restores/r-velero/restore-r-velero-results.gz", "r");
  // Another prefix and another top-level folder are not this location's.
  o.put("team-b/backups/x/x.tar.gz", "t");
  auto open_upload = o.open_write("team-a/backups/running/running.tar.gz");
  open_upload->write(std::string("12"));
  auto kopia = o.open_write("team-a/kopia/ns/p0001");  // Velero's data mover: none of ours

  auto found = find_leftovers(store, now() + 2h);
  REQUIRE(found.size() == 3);
  CHECK(found[0].kind == Leftover::Kind::upload);
  CHECK(found[0].key == "team-a/backups/running/running.tar.gz");
  CHECK(found[0].name == "running");
  CHECK(found[0].bytes == 2);
  REQUIRE(found[0].age);
  CHECK(*found[0].age >= 2h);
  CHECK(found[1].kind == Leftover::Kind::backup);
  CHECK(found[1].key == "team-a/backups/half/");
  CHECK(found[1].name == "half");
  CHECK(found[1].objects == 2);
  CHECK(found[1].bytes == 10);
  CHECK(found[2].kind == Leftover::Kind::restore);
  CHECK(found[2].key == "team-a/restores/r-cut/");
  auto j = found[0].to_json();
  CHECK(json::get_string(j, "kind") == "upload");
  CHECK(json::get_string(j, "uploadId").starts_with("team-a/backups/running/.vbk-tmp-running.tar.gz-"));
  CHECK(j.at("ageSeconds").as_int64() >= 7200);
  CHECK_FALSE(found[1].to_json().contains("uploadId"));
  CHECK(found[1].to_json().at("objects").as_uint64() == 2);
  // `backup get` still lists only the complete one.
  CHECK(store.list_backups() == std::vector<std::string>{"good"});
}

TEST_CASE("issue 12: prune_leftovers removes what is older than the grace period and keeps the rest") {
  TempDir bucket;
  std::shared_ptr<storage::ObjectStore> objects = storage::open_file_store(bucket.path);
  storage::BackupStore store(objects, "");
  objects->put("backups/half/half.tar.gz", "tarball");
  objects->put("backups/good/velero-backup.json", "{}");
  auto upload = objects->open_write("backups/running/running.tar.gz");

  // Just now: everything is younger than an hour.
  auto kept = prune_leftovers(store, now());
  CHECK(kept.removed.empty());
  CHECK(kept.kept.size() == 2);
  CHECK(kept.errors.empty());
  CHECK(objects->exists("backups/half/half.tar.gz"));

  auto pruned = prune_leftovers(store, now() + 61min, 1h);
  CHECK(pruned.removed.size() == 2);
  CHECK(pruned.kept.empty());
  CHECK(pruned.errors.empty());
  CHECK(objects->list_objects("") == std::vector<std::string>{"backups/good/velero-backup.json"});
  CHECK(temp_files(bucket.path).empty());
  CHECK(find_leftovers(store, now()).empty());
  ErrorCode code{};
  error_of([&] { prune_leftovers(store, now(), -1s); }, &code);
  CHECK(code == ErrorCode::invalid);

  // A store that gives no times: its leftovers are reported, never pruned.
  auto plain = std::make_shared<PlainStore>(objects);
  storage::BackupStore plain_store(plain, "");
  objects->put("backups/half2/x", "x");
  auto found = find_leftovers(plain_store, now() + 24h);
  REQUIRE(found.size() == 1);
  CHECK_FALSE(found[0].age);
  CHECK_FALSE(found[0].to_json().contains("ageSeconds"));
  auto none = prune_leftovers(plain_store, now() + 24h, 0s);
  CHECK(none.removed.empty());
  CHECK(none.kept.size() == 1);
  CHECK(objects->exists("backups/half2/x"));
}

TEST_CASE("spec §2.8 + issue 12: delete removes the record first, a folder without one too, and its pending uploads") {
  TempDir bucket;
  auto objects = std::make_shared<PlainStore>(storage::open_file_store(bucket.path));
  storage::BackupStore store(objects, "");
  // "demo.tar.gz" sorts before "velero-backup.json": deleted in key order, a reader would see the
  // record without its tarball.
  objects->put("backups/demo/demo.tar.gz", "t");
  objects->put("backups/demo/demo-logs.gz", "l");
  objects->put("backups/demo/velero-backup.json", "{}");
  auto deleted = delete_backup(store, "demo");
  CHECK(deleted.size() == 3);
  REQUIRE(!objects->removed.empty());
  CHECK(objects->removed.front() == "backups/demo/velero-backup.json");

  // What a killed backup left: no record, a committed side file and an upload never committed.
  objects->removed.clear();
  objects->put("backups/killed/killed-logs.gz", "l");
  auto w = objects->open_write("backups/killed/killed.tar.gz");
  w->write(std::string("partial"));
  CHECK(store.list_backups().empty());
  deleted = delete_backup(store, "killed");
  CHECK(deleted.size() == 2);
  CHECK(objects->removed == std::vector<std::string>{"backups/killed/killed-logs.gz", "abort backups/killed/killed.tar.gz"});
  CHECK(temp_files(bucket.path).empty());
  CHECK(find_leftovers(store, now() + 24h).empty());
  // Only an upload: still something to delete.
  auto w2 = objects->open_write("backups/only-upload/only-upload.tar.gz");
  CHECK(delete_backup(store, "only-upload").size() == 1);
  ErrorCode code{};
  error_of([&] { delete_backup(store, "only-upload"); }, &code);
  CHECK(code == ErrorCode::not_found);
}

TEST_CASE("azure: List Blobs entries carry Content-Length and Last-Modified (RFC 1123)") {
  CHECK(storage::azure::parse_rfc1123_date("Sun, 11 Oct 2009 21:49:13 GMT") ==
        std::chrono::sys_days(std::chrono::year(2009) / 10 / 11) + 21h + 49min + 13s);
  CHECK_FALSE(storage::azure::parse_rfc1123_date("Sun, 11 Oct 2009 21:49:13 UTC"));
  CHECK_FALSE(storage::azure::parse_rfc1123_date("Sun, 31 Feb 2009 21:49:13 GMT"));
  CHECK_FALSE(storage::azure::parse_rfc1123_date(""));
  auto page = storage::azure::parse_list_blobs(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults><Blobs>"
      "<Blob><Name>a</Name><Properties><Last-Modified>Wed, 09 Sep 2009 09:20:02 GMT</Last-Modified>"
      "<Content-Length>42</Content-Length></Properties></Blob>"
      "<BlobPrefix><Name>p/</Name></BlobPrefix>"
      "<Blob><Name>b</Name></Blob></Blobs><NextMarker/></EnumerationResults>",
      "test");
  REQUIRE(page.blobs.size() == 2);
  REQUIRE(page.properties.size() == 2);
  CHECK(page.properties[0].size == 42);
  CHECK(page.properties[0].last_modified == std::chrono::sys_days(std::chrono::year(2009) / 9 / 9) + 9h + 20min + 2s);
  CHECK(page.properties[1].size == 0);
  CHECK_FALSE(page.properties[1].last_modified);
  CHECK(page.prefixes == std::vector<std::string>{"p/"});
}
