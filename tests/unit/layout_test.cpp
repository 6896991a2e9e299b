// spec §2: Velero's object layout of a backup storage location.
#include "test_helpers.hpp"
#include "vbackup/error.hpp"
#include "vbackup/layout.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace vbackup;
using namespace vbackup::storage;
namespace fs = std::filesystem;

namespace {
struct TempStore {
  testing::TempDir dir{"layout"};
  std::shared_ptr<ObjectStore> store = open_file_store(dir.path);
};
}  // namespace

TEST_CASE("spec §2.1: bucket and prefix normalisation") {
  CHECK(normalize_bucket("/velero/") == "velero");
  CHECK(normalize_bucket("arn:aws:s3::123456789012:accesspoint/mrap.mrap") == "arn:aws:s3::123456789012:accesspoint/mrap.mrap");
  try {
    normalize_bucket("velero/backups");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("velero/backups") != std::string::npos);
    CHECK(std::string(e.what()).find("Prefix") != std::string::npos);
  }
  CHECK(normalize_prefix("/a/b/") == "a/b");
}

TEST_CASE("spec §2.3, §2.4: key names with and without a prefix") {
  TempStore t;
  BackupStore plain(t.store, "");
  CHECK(plain.root().empty());
  CHECK(plain.backup_metadata_key("b") == "backups/b/velero-backup.json");
  CHECK(plain.backup_contents_key("b") == "backups/b/b.tar.gz");
  CHECK(plain.backup_log_key("b") == "backups/b/b-logs.gz");
  CHECK(plain.backup_resource_list_key("b") == "backups/b/b-resource-list.json.gz");
  CHECK(plain.backup_results_key("b") == "backups/b/b-results.gz");
  CHECK(plain.backup_volume_snapshots_key("b") == "backups/b/b-volumesnapshots.json.gz");
  CHECK(plain.backup_pod_volume_backups_key("b") == "backups/b/b-podvolumebackups.json.gz");
  CHECK(plain.backup_item_operations_key("b") == "backups/b/b-itemoperations.json.gz");
  CHECK(plain.backup_volume_info_key("b") == "backups/b/b-volumeinfo.json.gz");
  CHECK(plain.backup_csi_volume_snapshots_key("b") == "backups/b/b-csi-volumesnapshots.json.gz");
  CHECK(plain.restore_log_key("r") == "restores/r/restore-r-logs.gz");
  CHECK(plain.restore_results_key("r") == "restores/r/restore-r-results.gz");
  CHECK(plain.restore_resource_list_key("r") == "restores/r/restore-r-resource-list.json.gz");
  CHECK(plain.restore_item_operations_key("r") == "restores/r/restore-r-itemoperations.json.gz");
  CHECK(plain.restore_volume_info_key("r") == "restores/r/r-volumeinfo.json.gz");  // no restore- prefix

  BackupStore prefixed(t.store, "/cluster-a/");
  CHECK(prefixed.root() == "cluster-a/");
  CHECK(prefixed.backup_contents_key("b") == "cluster-a/backups/b/b.tar.gz");
}

TEST_CASE("spec §2.2: validity check of top-level directories") {
  TempStore t;
  BackupStore s(t.store, "");
  CHECK(s.validation_error().empty());  // an empty bucket is valid
  for (const char* d : {"backups", "restores", "restic", "metadata", "plugins", "kopia"}) {
    t.store->put(std::string(d) + "/x", "");
  }
  t.store->put("loose-object-at-root", "");  // loose objects are not common prefixes
  CHECK(s.validation_error().empty());
  t.store->put("other/x", "");
  CHECK(s.validation_error() == "Backup store contains invalid top-level directories: [other]");
  t.store->put("p1/x", "");
  t.store->put("p2/x", "");
  t.store->put("p3/x", "");
  CHECK(s.validation_error() == "Backup store contains 4 invalid top-level directories: [other p1 p2 ...]");

  BackupStore prefixed(t.store, "team");  // with a prefix only what is under it counts
  CHECK(prefixed.validation_error().empty());
  t.store->put("team/backups/b/x", "");
  t.store->put("team/junk/x", "");
  CHECK(prefixed.validation_error() == "Backup store contains invalid top-level directories: [junk]");
}

TEST_CASE("spec §2.7: a listed name is a backup only if its velero-backup.json exists") {
  TempStore t;
  BackupStore s(t.store, "p");
  t.store->put("p/backups/b1/velero-backup.json", "{}");
  t.store->put("p/backups/b2/b2.tar.gz", "");  // incomplete: no metadata
  t.store->put("p/backups/a0/velero-backup.json", "{}");
  CHECK(s.list_backups() == std::vector<std::string>{"a0", "b1"});
  CHECK(s.backup_exists("b1"));
  CHECK_FALSE(s.backup_exists("b2"));
}

TEST_CASE("spec §2.8: deleting a backup deletes every key under its folder, unknown files included") {
  TempStore t;
  BackupStore s(t.store, "");
  t.store->put("backups/b1/velero-backup.json", "{}");
  t.store->put("backups/b1/b1.tar.gz", "");
  t.store->put("backups/b1/something-unknown", "");
  t.store->put("backups/b10/velero-backup.json", "{}");  // a name sharing the prefix survives
  auto deleted = s.delete_backup("b1");
  CHECK(deleted.size() == 3);
  CHECK(s.list_backups() == std::vector<std::string>{"b10"});
  CHECK(t.store->list_objects("backups/b1/").empty());
}
