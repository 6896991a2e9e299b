// The bucket as the source of truth (issue 13, brief i13-sync): two test API servers ("clusters" A
// and B) with Velero's CRDs share one bucket (a folder); a backup made and recorded on A is created
// on B by one sync, leaves B when it leaves the bucket, and a corrupt record is skipped with a
// warning while the others sync. Velero's rules: pkg/controller/backup_sync_controller.go, spec §3.1;
// the BSL controller, spec §2.2.
#include "kube_server/kube_server.hpp"
#include "test_helpers.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/restore.hpp"
#include "vbackup/sync.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace vbackup;
namespace fs = std::filesystem;

namespace {

const fs::path kDemo = testing::source_root() / "examples" / "manifests";
const fs::path kVeleroCrds = testing::source_root() / "tests" / "data" / "velero";
const fs::path kStatusCrds = testing::source_root() / "tests" / "data" / "velero-status-subresource";
const Timestamp kNow(std::chrono::seconds(1764000000));

struct Variant {
  std::string name;
  std::vector<fs::path> seed;
};
const Variant kVariants[] = {
    {"Velero's CRDs (no status subresource)", {kVeleroCrds}},
    {"CRDs with the status subresource",
     {kStatusCrds, kVeleroCrds / "velero.io_backupstoragelocations.yaml", kVeleroCrds / "velero.io_schedules.yaml"}}};

struct ClusterServer {
  kubetest::KubeServer server;
  testing::TempDir dir{"sync-cluster"};
  std::unique_ptr<Cluster> cluster;
  ClusterServer(std::vector<fs::path> seed, bool demo) : server(options(std::move(seed), demo)) {
    server.write_kubeconfig(dir.path / "kubeconfig");
    ClusterOptions c;
    c.connect.kubeconfig = (dir.path / "kubeconfig").string();
    cluster = Cluster::open(c);
  }
  static kubetest::KubeServerOptions options(std::vector<fs::path> seed, bool demo) {
    kubetest::KubeServerOptions o;
    if (demo) seed.insert(seed.begin(), kDemo);
    o.seed = std::move(seed);
    o.api.crd_establish_delay = std::chrono::milliseconds(20);
    return o;
  }
  kube::KubeClient& client() { return *cluster->client(); }
  const ApiResource& resource(std::string_view plural) {
    const ApiResource* r = client().discovery().find("velero.io", plural);
    REQUIRE(r);
    return *r;
  }
  std::optional<json::object> backup(const std::string& name) { return client().try_get(resource("backups"), "velero", name); }
  std::string phase(const std::string& name) {
    auto o = backup(name);
    if (!o) return "<absent>";
    const json::object* st = json::find_object(*o, "status");
    return st ? std::string(json::get_string(*st, "phase")) : "";
  }
  void create(std::string_view plural, const std::string& json_text) {
    client().create(resource(plural), json::parse(json_text, "test object").get_object(), "velero");
  }
  velero::BackupStorageLocation bsl(const std::string& name) {
    auto l = get_location(client(), "velero", name);
    REQUIRE(l);
    return *l;
  }
};

// A BSL over a folder, created in `c` as `name`.
velero::BackupStorageLocation file_bsl(ClusterServer& c, const std::string& name, const fs::path& bucket,
                                       const std::string& access_mode = "") {
  json::object o{{"apiVersion", "velero.io/v1"},
                 {"kind", "BackupStorageLocation"},
                 {"metadata", json::object{{"name", name}, {"namespace", "velero"}}},
                 {"spec", json::object{{"provider", "file"}, {"objectStorage", json::object{{"bucket", bucket.string()}}}}}};
  if (!access_mode.empty()) o["spec"].as_object()["accessMode"] = access_mode;
  c.create("backupstoragelocations", json::marshal(o));
  return c.bsl(name);
}

velero::Backup demo_backup(const std::string& name) {
  velero::Backup b;
  b.metadata.name = name;
  b.spec.included_namespaces = {"demo"};
  return b;
}

// A backup made and recorded on A into `location`.
void backup_on(ClusterServer& a, OpenedLocation& location, const std::string& name) {
  BackupOptions o;
  o.record_in_cluster = RecordInCluster::always;
  auto run = create_backup(*a.cluster, location, demo_backup(name), o);
  INFO(run.result.outcome.message << " / " << run.note);
  REQUIRE(run.result.outcome.ok());
  REQUIRE(a.phase(name) == "Completed");
}

SyncOptions pinned() {
  SyncOptions o;
  o.now = [] { return kNow; };
  return o;
}

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST_CASE("spec §3.1 sync: a backup made and recorded on A is created on B with its status and Velero's mutations") {
  for (const auto& v : kVariants) {
    CAPTURE(v.name);
    ClusterServer a(v.seed, true), b(v.seed, false);
    testing::TempDir bucket{"sync-bucket"};
    OpenedLocation on_a = open_location("file://" + (bucket.path / "b").string());
    backup_on(a, on_a, "b1");
    // On B the same bucket is named "shared": the label and spec.storageLocation follow B's name.
    auto bsl = file_bsl(b, "shared", bucket.path / "b");
    OpenedLocation on_b = open_bsl(b.client(), bsl, "velero");
    std::vector<std::string> lines;
    SyncOptions o = pinned();
    o.on_log = [&](std::string_view level, std::string_view line) { lines.push_back(std::string(level) + ": " + std::string(line)); };
    SyncResult r = sync_once(b.client(), bsl, *on_b.backups, o);
    INFO(json::marshal(r.to_json()));
    CHECK(r.created == std::vector<std::string>{"b1"});
    CHECK(r.errors.empty());
    CHECK(r.deleted.empty());
    REQUIRE(b.phase("b1") == "Completed");
    auto cr = *b.backup("b1");
    velero::Backup synced = velero::Backup::from_json(cr, "synced backup");
    velero::Backup stored = get_backup(*on_b.backups, "b1");
    CHECK(synced.metadata.namespace_ == "velero");
    CHECK(synced.spec.storage_location == "shared");
    CHECK(synced.metadata.labels.at("velero.io/storage-location") == "shared");
    CHECK(synced.spec.hooks.empty());
    CHECK(synced.status.phase == stored.status.phase);
    CHECK(synced.status.start_timestamp == stored.status.start_timestamp);
    CHECK(synced.status.completion_timestamp == stored.status.completion_timestamp);
    CHECK(synced.status.expiration == stored.status.expiration);
    CHECK(synced.spec.included_namespaces == std::vector<std::string>{"demo"});
    CHECK(synced.metadata.uid != stored.metadata.uid);  // the API server's own
    // lastSyncedTime on B's BSL.
    CHECK(b.bsl("shared").status.last_synced_time == kNow);
    CHECK(r.last_synced_time == kNow);

    // Disaster recovery: the synced backup restores on B (Velero's restore reads the Backup CR B
    // now holds and the bucket).
    velero::Restore restore;
    restore.metadata.name = "r1";
    restore.spec.backup_name = "b1";
    RestoreOptions ro;
    ro.record_in_cluster = RecordInCluster::never;
    auto restored = create_restore(b.cluster.get(), on_b, restore, ro);
    INFO(restored.result.outcome.message);
    CHECK(restored.result.outcome.ok());
    const ApiResource* cms = b.client().discovery().find("", "configmaps");
    REQUIRE(cms);
    CHECK(b.client().try_get(*cms, "demo", "web-config"));

    // The next pass finds it there: nothing to do.
    r = sync_once(b.client(), bsl, *on_b.backups, pinned());
    CHECK(r.created.empty());
    CHECK(r.deleted.empty());
    CHECK(r.errors.empty());

    // Deleted from the bucket (on A, with its CR there): B's next sync deletes B's CR.
    auto d = delete_backup(*on_a.backups, "b1", a.cluster.get(), "velero");
    CHECK(d.cr_deleted);
    r = sync_once(b.client(), bsl, *on_b.backups, pinned());
    CHECK(r.deleted == std::vector<std::string>{"b1"});
    CHECK(b.phase("b1") == "<absent>");
  }
}

TEST_CASE("spec §3.1 deleteOrphanedBackups: only Completed/PartiallyFailed Backups of this location leave") {
  ClusterServer b({kVeleroCrds}, false);
  testing::TempDir bucket{"sync-bucket"};
  auto bsl = file_bsl(b, "default", bucket.path / "b");
  auto cr = [&](const std::string& name, const std::string& location, const std::string& phase) {
    b.create("backups", R"({"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":")" + name +
                            R"(","labels":{"velero.io/storage-location":")" + location +
                            R"("}},"spec":{"storageLocation":")" + location + R"("},"status":{"phase":")" + phase + R"("}})");
  };
  cr("gone-completed", "default", "Completed");
  cr("gone-partial", "default", "PartiallyFailed");
  cr("gone-failed", "default", "Failed");          // Velero keeps it
  cr("running", "default", "InProgress");          // not finished: kept
  cr("elsewhere", "other", "Completed");           // another location: kept
  OpenedLocation on_b = open_bsl(b.client(), bsl, "velero");
  SyncResult r = sync_once(b.client(), bsl, *on_b.backups, pinned());
  INFO(json::marshal(r.to_json()));
  std::vector<std::string> deleted = r.deleted;
  std::sort(deleted.begin(), deleted.end());
  CHECK(deleted == std::vector<std::string>{"gone-completed", "gone-partial"});
  CHECK(b.phase("gone-failed") == "Failed");
  CHECK(b.phase("running") == "InProgress");
  CHECK(b.phase("elsewhere") == "Completed");
}

TEST_CASE("spec §3.1 sync: a corrupt velero-backup.json is skipped with a warning naming the folder; the others sync") {
  ClusterServer a({kVeleroCrds}, true), b({kVeleroCrds}, false);
  testing::TempDir bucket{"sync-bucket"};
  OpenedLocation on_a = open_location("file://" + (bucket.path / "b").string());
  backup_on(a, on_a, "a1");
  backup_on(a, on_a, "z9");
  on_a.objects->put("backups/m5/velero-backup.json", "{\"apiVersion\": \"velero.io/v1\", not json");
  // A folder without its record (an upload in progress) and one whose phase Velero never syncs.
  on_a.objects->put("backups/partial/partial.tar.gz", "x");
  auto running = get_backup(*on_a.backups, "a1");
  running.metadata.name = "running";
  running.status.phase = "InProgress";
  persistence::put_backup_record(*on_a.backups, running);
  // A backup past its expiration still waiting for plugin operations: synced as PartiallyFailed
  // for garbage collection; one not yet expired is skipped.
  auto waiting = get_backup(*on_a.backups, "a1");
  waiting.metadata.name = "waiting-expired";
  waiting.status.phase = "WaitingForPluginOperations";
  waiting.status.expiration = kNow - std::chrono::hours(1);
  persistence::put_backup_record(*on_a.backups, waiting);
  waiting.metadata.name = "waiting-live";
  waiting.status.expiration = kNow + std::chrono::hours(1);
  persistence::put_backup_record(*on_a.backups, waiting);

  // Velero would create z9's PodVolumeBackups; here they are a warning, never dropped silently.
  {
    json::array pvbs{json::object{{"apiVersion", "velero.io/v1"}, {"kind", "PodVolumeBackup"},
                                  {"metadata", json::object{{"name", "z9-pvb"}}}}};
    on_a.objects->put(on_a.backups->backup_pod_volume_backups_key("z9"), velero::encode_json_gz(pvbs));
  }

  auto bsl = file_bsl(b, "default", bucket.path / "b");
  OpenedLocation on_b = open_bsl(b.client(), bsl, "velero");
  SyncResult r = sync_once(b.client(), bsl, *on_b.backups, pinned());
  INFO(json::marshal(r.to_json()));
  CHECK(r.created == std::vector<std::string>{"a1", "waiting-expired", "z9"});
  CHECK(r.errors.empty());
  REQUIRE(r.warnings.size() == 2);
  CHECK(r.warnings[0].starts_with("backup folder backups/m5/: velero-backup.json cannot be read: "));
  CHECK(r.warnings[1] == "backup z9: its 1 PodVolumeBackups are not synced (pod volume backups are not supported)");
  std::map<std::string, std::string> skipped;
  for (const auto& s : r.skipped) skipped[s.backup] = s.reason;
  CHECK(skipped.size() == 4);
  CHECK(skipped.count("m5"));
  CHECK(skipped["partial"].find("has no velero-backup.json") != std::string::npos);
  CHECK(skipped["running"] == "phase \"InProgress\" in the backup store is not a phase that can be synced");
  CHECK(skipped["waiting-live"].find("not expired") != std::string::npos);
  CHECK(b.phase("a1") == "Completed");
  CHECK(b.phase("z9") == "Completed");
  CHECK(b.phase("waiting-expired") == "PartiallyFailed");
  CHECK(b.phase("running") == "<absent>");
}

TEST_CASE("spec §3.1 filterBackupOwnerReferences: a Schedule missing on B no longer owns the synced backup") {
  ClusterServer a({kVeleroCrds}, true), b({kVeleroCrds}, false);
  testing::TempDir bucket{"sync-bucket"};
  OpenedLocation on_a = open_location("file://" + (bucket.path / "b").string());
  backup_on(a, on_a, "s-1");
  auto stored = get_backup(*on_a.backups, "s-1");
  velero::OwnerReference missing{"velero.io/v1", "Schedule", "nightly", "uid-1"};
  velero::OwnerReference present{"velero.io/v1", "Schedule", "weekly", ""};
  b.create("schedules", R"({"apiVersion":"velero.io/v1","kind":"Schedule","metadata":{"name":"weekly"},"spec":{"schedule":"@weekly","template":{}}})");
  present.uid = std::string(json::metadata_string(*b.client().try_get(b.resource("schedules"), "velero", "weekly"), "uid"));
  stored.metadata.owner_references = {missing, present};
  persistence::put_backup_record(*on_a.backups, stored);
  auto bsl = file_bsl(b, "default", bucket.path / "b");
  OpenedLocation on_b = open_bsl(b.client(), bsl, "velero");
  SyncResult r = sync_once(b.client(), bsl, *on_b.backups, pinned());
  INFO(json::marshal(r.to_json()));
  REQUIRE(r.created == std::vector<std::string>{"s-1"});
  auto synced = velero::Backup::from_json(*b.backup("s-1"), "synced");
  REQUIRE(synced.metadata.owner_references.size() == 1);
  CHECK(synced.metadata.owner_references[0].name == "weekly");
  CHECK(r.warnings.size() == 1);
}

TEST_CASE("spec §2.2 accessMode ReadOnly: create_backup and delete are refused, the bucket is never written, sync reads") {
  ClusterServer a({kVeleroCrds}, true), b({kVeleroCrds}, false);
  testing::TempDir bucket{"sync-bucket"};
  OpenedLocation rw = open_location("file://" + (bucket.path / "b").string());
  backup_on(a, rw, "b1");
  auto before = rw.objects->list_objects("");

  auto ro_a = file_bsl(a, "ro", bucket.path / "b", "ReadOnly");
  OpenedLocation on_a = open_bsl(a.client(), ro_a, "velero");
  CHECK_THROWS_WITH_AS(check_writable(ro_a, "create backup b2"),
                       "backup storage location \"ro\" is in read-only mode (spec.accessMode: ReadOnly): cannot create backup b2",
                       Error);
  CHECK_THROWS_AS(check_writable(on_a.location, "delete backup b1"), Error);
  CHECK_NOTHROW(check_writable(file_bsl(a, "rw", bucket.path / "b"), "create backup b2"));
  BackupOptions o;
  o.record_in_cluster = RecordInCluster::never;
  auto run = create_backup(*a.cluster, on_a, demo_backup("b2"), o);
  CHECK(run.result.backup.status.phase == "FailedValidation");
  CHECK(run.result.outcome.message.find("read-only mode") != std::string::npos);

  auto ro_b = file_bsl(b, "ro", bucket.path / "b", "ReadOnly");
  OpenedLocation on_b = open_bsl(b.client(), ro_b, "velero");
  SyncResult r = sync_once(b.client(), ro_b, *on_b.backups, pinned());
  CHECK(r.created == std::vector<std::string>{"b1"});
  CHECK(b.phase("b1") == "Completed");
  CHECK(rw.objects->list_objects("") == before);
}

TEST_CASE("spec §3.1 an Unavailable location is not synced; sync_due follows backupSyncPeriod") {
  ClusterServer b({kVeleroCrds}, false);
  testing::TempDir bucket{"sync-bucket"};
  auto bsl = file_bsl(b, "default", bucket.path / "b");
  OpenedLocation on_b = open_bsl(b.client(), bsl, "velero");
  bsl.status.phase = "Unavailable";
  SyncResult r = sync_once(b.client(), bsl, *on_b.backups, pinned());
  CHECK_FALSE(r.ran);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].find("unavailable state") != std::string::npos);
  CHECK_FALSE(b.bsl("default").status.last_synced_time);
  bsl.status.phase = "";
  SyncOptions o = pinned();
  o.require_available = true;  // the server's rule: only Available
  CHECK_FALSE(sync_once(b.client(), bsl, *on_b.backups, o).ran);

  // locationFilterFunc
  velero::BackupStorageLocation l;
  CHECK(sync_due(l, kNow));  // never synced
  l.status.last_synced_time = kNow - std::chrono::seconds(30);
  CHECK_FALSE(sync_due(l, kNow));  // server default 1m
  CHECK(sync_due(l, kNow + std::chrono::seconds(30)));
  l.spec.backup_sync_period = std::chrono::seconds(10);
  CHECK(sync_due(l, kNow));
  l.spec.backup_sync_period = std::chrono::nanoseconds(0);  // 0 disables sync, even never synced
  l.status.last_synced_time.reset();
  CHECK_FALSE(sync_due(l, kNow));
  l.spec.backup_sync_period = -std::chrono::seconds(1);  // negative: the server's period
  l.status.last_synced_time = kNow - std::chrono::seconds(59);
  CHECK_FALSE(sync_due(l, kNow));
}

TEST_CASE("spec §2.2 validation: validationFrequency, Available/Unavailable with the message, written to the BSL") {
  velero::BackupStorageLocation l;
  CHECK(validation_due(l, kNow));
  l.spec.validation_frequency = std::chrono::nanoseconds(0);
  CHECK(validation_due(l, kNow));  // never validated: once, even with 0
  l.status.last_validation_time = kNow - std::chrono::hours(1);
  CHECK_FALSE(validation_due(l, kNow));
  l.spec.validation_frequency = std::chrono::minutes(5);
  CHECK(validation_due(l, kNow));
  l.status.last_validation_time = kNow - std::chrono::minutes(4);
  CHECK_FALSE(validation_due(l, kNow));
  l.spec.validation_frequency.reset();  // the server's 1m
  CHECK(validation_due(l, kNow));

  for (const auto& v : kVariants) {
    CAPTURE(v.name);
    ClusterServer b(v.seed, false);
    testing::TempDir bucket{"sync-bucket"};
    fs::create_directories(bucket.path / "b" / "backups");
    auto bsl = file_bsl(b, "default", bucket.path / "b");
    auto st = validate_location(bsl, &b.client(), "velero", kNow);
    CHECK(st.phase == "Available");
    CHECK(st.message.empty());
    CHECK(st.last_validation_time == kNow);
    patch_location_status(b.client(), "velero", "default", location_status_patch(st));
    CHECK(b.bsl("default").status.phase == "Available");

    fs::create_directories(bucket.path / "b" / "junk");
    std::ofstream(bucket.path / "b" / "junk" / "x") << "x";  // an object store has no empty folders
    st = validate_location(bsl, &b.client(), "velero", kNow);
    CHECK(st.phase == "Unavailable");
    CHECK(st.message == "BackupStorageLocation \"default\" is unavailable: Backup store contains invalid top-level "
                        "directories: [junk]");
    patch_location_status(b.client(), "velero", "default", location_status_patch(st));
    CHECK(b.bsl("default").status.phase == "Unavailable");
    CHECK(b.bsl("default").status.message == st.message);

    // A credential whose Secret is missing: Unavailable, saying which.
    bsl.spec.credential = velero::SecretKeySelector{"nope", "cloud", std::nullopt, {}};
    st = validate_location(bsl, &b.client(), "velero", kNow);
    CHECK(st.phase == "Unavailable");
    CHECK(st.message.find("secret \"nope\" not found in namespace velero") != std::string::npos);
  }
}

TEST_CASE("spec §2.2 the default location: one default (the newest), --default-backup-storage-location") {
  ClusterServer b({kVeleroCrds}, false);
  auto make = [&](const std::string& name, bool def) {
    b.create("backupstoragelocations", R"({"apiVersion":"velero.io/v1","kind":"BackupStorageLocation","metadata":{"name":")" +
                                           name + R"("},"spec":{"provider":"file","default":)" + (def ? "true" : "false") +
                                           R"(,"objectStorage":{"bucket":"/tmp/x"}}})");
  };
  make("one", true);
  make("two", false);
  CHECK(ensure_single_default(b.client(), "velero").empty());
  CHECK(set_default_location(b.client(), "velero", "two"));
  CHECK_FALSE(set_default_location(b.client(), "velero", "two"));
  CHECK_THROWS_AS(set_default_location(b.client(), "velero", "three"), Error);
  // Same-second creation timestamps: the first of equals stays; one of the two is unset.
  auto unset = ensure_single_default(b.client(), "velero");
  CHECK(unset.size() == 1);
  int defaults = 0;
  for (const auto& l : list_locations(b.client(), "velero")) defaults += l.spec.default_;
  CHECK(defaults == 1);
  // "" resolves to the default one.
  auto d = resolve_location(b.client(), "", "velero");
  CHECK(d.spec.default_);
}

TEST_CASE("sync_location: a name resolves to the cluster's BSL; manifests are refused") {
  ClusterServer a({kVeleroCrds}, true), b({kVeleroCrds}, false);
  testing::TempDir bucket{"sync-bucket"};
  OpenedLocation on_a = open_location("file://" + (bucket.path / "b").string());
  backup_on(a, on_a, "b1");
  file_bsl(b, "shared", bucket.path / "b");
  SyncResult r = sync_location(*b.cluster, "shared", pinned());
  CHECK(r.created == std::vector<std::string>{"b1"});
  CHECK(r.location == "shared");
  CHECK(b.bsl("shared").status.last_synced_time == kNow);
  // A URL: a BSL named "default" that the cluster does not hold (no lastSyncedTime to write).
  a.client().remove(a.resource("backups"), "velero", "b1");
  r = sync_location(*a.cluster, "file://" + (bucket.path / "b").string(), pinned());
  CHECK(r.created == std::vector<std::string>{"b1"});
  CHECK_FALSE(r.last_synced_time);
  ClusterOptions m;
  m.manifests = {kDemo};
  auto manifests = Cluster::open(m);
  CHECK_THROWS_AS(sync_location(*manifests, "shared"), Error);
}

TEST_CASE("spec §3.1 the periodic pass: the default location first, only those due and Available") {
  ClusterServer a({kVeleroCrds}, true), b({kVeleroCrds}, false);
  testing::TempDir bucket{"sync-bucket"};
  OpenedLocation on_a = open_location("file://" + (bucket.path / "b").string());
  backup_on(a, on_a, "b1");
  auto make = [&](const std::string& name, const std::string& extra_spec, const std::string& phase) {
    b.create("backupstoragelocations",
             R"({"apiVersion":"velero.io/v1","kind":"BackupStorageLocation","metadata":{"name":")" + name +
                 R"("},"spec":{"provider":"file","objectStorage":{"bucket":")" + (bucket.path / "b").string() + R"("})" +
                 extra_spec + R"(},"status":{"phase":")" + phase + R"("}})");
  };
  make("first", "", "Available");
  make("never", R"(,"backupSyncPeriod":"0s")", "Available");  // 0 disables sync
  make("primary", R"(,"default":true)", "Available");
  make("down", "", "Unavailable");
  make("recent", "", "Available");
  patch_location_status(b.client(), "velero", "recent",
                        json::object{{"status", json::object{{"lastSyncedTime", format_rfc3339(kNow - std::chrono::seconds(10))}}}});

  auto order = sync_order(list_locations(b.client(), "velero"));
  REQUIRE(order.size() == 5);
  CHECK(order[0].metadata.name == "primary");

  SyncOptions o = pinned();
  o.require_available = true;
  auto results = sync_due_locations(b.client(), o);
  std::vector<std::string> considered;
  for (const auto& r : results) considered.push_back(r.location + (r.ran ? "" : " (not run)"));
  // "never" has period 0, "recent" synced 10s ago (server period 1m).
  CHECK(considered == std::vector<std::string>{"primary", "down (not run)", "first"});
  REQUIRE(!results.empty());
  CHECK(results[0].created == std::vector<std::string>{"b1"});
  CHECK(b.bsl("primary").status.last_synced_time == kNow);
  CHECK_FALSE(b.bsl("down").status.last_synced_time);
  // A minute later "recent" is due too; the rest have been synced at kNow.
  o.now = [] { return kNow + std::chrono::seconds(50); };
  results = sync_due_locations(b.client(), o);
  considered.clear();
  for (const auto& r : results) considered.push_back(r.location);
  CHECK(considered == std::vector<std::string>{"down", "recent"});
}

// ---- brief "s3-seal" (issue 16): sync verifies what it syncs when asked ----
TEST_CASE("issue 16: sync with verify: a backup whose file differs from its manifest is not synced and is named; an intact one is") {
  ClusterServer a(kVariants[0].seed, true), b(kVariants[0].seed, false);
  testing::TempDir bucket{"sync-seal"};
  OpenedLocation on_a = open_location("file://" + (bucket.path / "b").string());
  backup_on(a, on_a, "good");
  backup_on(a, on_a, "bad");
  auto log = bucket.path / "b/backups/bad/bad-logs.gz";
  std::string bytes;
  {
    std::ifstream in(log, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[bytes.size() / 2] ^= 1;
  std::ofstream(log, std::ios::binary | std::ios::trunc) << bytes;
  auto bsl = file_bsl(b, "shared", bucket.path / "b");
  OpenedLocation on_b = open_bsl(b.client(), bsl, "velero");
  SyncOptions o = pinned();
  o.verify = true;
  SyncResult r = sync_once(b.client(), bsl, *on_b.backups, o);
  INFO(json::marshal(r.to_json()));
  CHECK(r.created == std::vector<std::string>{"good"});
  REQUIRE(r.skipped.size() == 1);
  CHECK(r.skipped[0].backup == "bad");
  CHECK(r.skipped[0].reason.find("bad-logs.gz: sha256 differs") != std::string::npos);
  CHECK(b.phase("bad") == "<absent>");
}
