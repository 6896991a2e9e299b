// Object-store faults during restore reads and during sync (issue 16 "Faults, proved", brief
// "s3-faults"): the fault proxy (tests/support/fault_proxy.hpp) in front of moto and Azurite cuts
// the tarball's answer in its middle, answers 503 SlowDown / ServerBusy, or stalls. A restore
// retries and completes, or ends Failed with the object named and nothing applied: never half a
// backup applied silently. Sync skips (and names) a backup it cannot read, and picks it up on the
// next pass.
#include "restore_support.hpp"

#include "fault_proxy.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/restore.hpp"
#include "vbackup/sync.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <memory>

using namespace vbackup;
using namespace vbackup::testing;

namespace {

constexpr int kItems = 400;

kubetest::KubeServerOptions options() {
  kubetest::KubeServerOptions o;
  o.api.crd_establish_delay = std::chrono::milliseconds(20);
  o.api.snapshot_crds = false;
  o.seed = {source_root() / "tests" / "data" / "velero"};
  return o;
}

// A store behind the proxy: moto (S3) or Azurite (Azure Blob), each started once per process.
struct Store {
  std::string kind;
  std::unique_ptr<FaultProxy> proxy;
  std::optional<OpenedLocation> location;
  std::string tarball_marker(const std::string& backup) const { return "/backups/" + backup + "/" + backup + ".tar.gz"; }
};

S3Emulator& moto() {
  static S3Emulator e = start_moto();
  return e;
}

Azurite& azurite() {
  static Azurite a("store-faults");
  return a;
}

std::unique_ptr<Store> open_store(const std::string& kind, std::string prefix) {
  static int opened = 0;  // a fresh prefix each time: subcases run the test case again
  prefix += "-" + std::to_string(::getpid()) + "-" + std::to_string(++opened);
  auto s = std::make_unique<Store>();
  s->kind = kind;
  if (kind == "moto") {
    ::setenv("AWS_ACCESS_KEY_ID", moto().access_key.c_str(), 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", moto().secret.c_str(), 1);
    s->proxy = std::make_unique<FaultProxy>("127.0.0.1", moto().port);
    s->location.emplace(open_location("s3://" + moto().bucket + "/" + prefix + "?region=us-east-1&s3ForcePathStyle=true&s3Url=" +
                                      s->proxy->url()));
  } else {
    REQUIRE_MESSAGE(azurite().error().empty(), azurite().error());
    static bool made = false;
    if (!made) {
      auto r = run({"/usr/bin/python3", (source_root() / "tests/support/azure_sharedkey_client.py").string(), "--endpoint",
                    azurite().endpoint(), "--account", Azurite::kAccount, "--key", Azurite::kKey, "create-container", "faults"});
      REQUIRE_MESSAGE(r.status == 0, r.output);
      made = true;
    }
    ::setenv("VBK_FAULTS_AZURE_KEY", Azurite::kKey, 1);
    s->proxy = std::make_unique<FaultProxy>("127.0.0.1", azurite().port());
    s->location.emplace(open_location("azure://faults/" + prefix + "?storageAccount=" + std::string(Azurite::kAccount) +
                                      "&storageAccountKeyEnvVar=VBK_FAULTS_AZURE_KEY&storageAccountURI=" + s->proxy->url() +
                                      "/" + Azurite::kAccount));
  }
  return s;
}

void backup_into(Store& store, const std::string& name) {
  RestoreServer src(options());
  src.server.api().fill_configmaps("bench", kItems, 2048);
  velero::Backup b;
  b.metadata.name = name;
  b.spec.included_namespaces = {"bench"};
  BackupOptions o;
  o.now = restore_test_now;
  auto run = create_backup(*src.cluster, *store.location, b, o);
  REQUIRE_MESSAGE(run.result.outcome.ok(), run.result.outcome.message);
  REQUIRE(run.result.backup.status.phase == "Completed");
}

std::size_t configmaps_in(RestoreServer& target, const std::string& ns) {
  if (!target.get("namespaces", "", ns)) return 0;
  return target.list("configmaps", ns).size();
}

struct RestoreOutcome {
  std::string phase, failure;
  std::size_t applied = 0;
};

RestoreOutcome restore_from(Store& store, const std::string& backup, const std::string& name) {
  RestoreServer target(options());
  velero::Restore r = restore_of(name, backup);
  RestoreOptions o;
  o.now = restore_test_now;
  auto run = create_restore(target.cluster.get(), *store.location, r, o);
  RestoreOutcome out{run.result.restore.status.phase, run.result.restore.status.failure_reason + " " + run.result.outcome.message,
                     configmaps_in(target, "bench")};
  MESSAGE(store.kind << " restore " << name << ": " << out.phase << ", " << out.applied << " ConfigMaps applied; "
                     << out.failure << "; proxy faults " << store.proxy->faults());
  return out;
}

// Completed with every item, or Failed naming the tarball with nothing applied.
void check_all_or_nothing(const RestoreOutcome& got, const std::string& backup) {
  INFO(got.phase << ": " << got.failure);
  if (got.phase == "Completed") {
    CHECK(got.applied == kItems);
  } else {
    CHECK(got.phase == "Failed");
    CHECK(got.failure.find(backup + ".tar.gz") != std::string::npos);
    CHECK(got.applied == 0);
  }
}

void restore_faults(const std::string& kind) {
  auto store = open_store(kind, "restore-faults");
  backup_into(*store, "big");
  FaultProxy& proxy = *store->proxy;
  proxy.only_for(store->tarball_marker("big"));
  std::uint64_t tar_size = 0;
  for (const auto& info : store->location->objects->list_object_info(store->location->backups->backup_contents_key("big")))
    tar_size = info.size;
  REQUIRE(tar_size > 10000);

  SUBCASE("throttled three times (503 SlowDown / ServerBusy): retried, Completed") {
    if (kind == "moto") proxy.slow_down_next(3);
    else proxy.server_busy_next(3);
    auto got = restore_from(*store, "big", "r-throttled");
    CHECK(got.phase == "Completed");
    CHECK(got.applied == kItems);
    CHECK(proxy.faults() == 3);
  }
  SUBCASE("the tarball's answer reset in its middle, once: Completed with every item, or Failed with nothing applied") {
    proxy.drop_response_after(tar_size / 2, 1);
    check_all_or_nothing(restore_from(*store, "big", "r-cut"), "big");
  }
  SUBCASE("the tarball's answer stalled, then closed: all or nothing") {
    proxy.stall_next(std::chrono::milliseconds(1500), 1);
    check_all_or_nothing(restore_from(*store, "big", "r-stall"), "big");
  }
  SUBCASE("every answer for the tarball cut half-way: the reader resumes with ranged GETs, Completed") {
    proxy.drop_response_after(tar_size / 2, 1000);
    auto got = restore_from(*store, "big", "r-always-cut");
    CHECK(got.phase == "Completed");
    CHECK(proxy.faults() >= 2);
    check_all_or_nothing(got, "big");
  }
  SUBCASE("every answer for the tarball cut before its body: Failed, the tarball named, nothing applied") {
    proxy.drop_response_after(0, 1000);
    auto got = restore_from(*store, "big", "r-never-body");
    CHECK(got.phase == "Failed");
    check_all_or_nothing(got, "big");
  }
  SUBCASE("the tarball always refused with 503: Failed, the tarball named, nothing applied") {
    proxy.fail_next(1000, 503, kind == "moto" ? FaultProxy::s3_slow_down_body() : FaultProxy::azure_server_busy_body());
    auto got = restore_from(*store, "big", "r-always-503");
    CHECK(got.phase == "Failed");
    check_all_or_nothing(got, "big");
  }
}

}  // namespace

TEST_CASE("restore reads under store faults, moto (S3)") { restore_faults("moto"); }
TEST_CASE("restore reads under store faults, Azurite (Azure Blob)") { restore_faults("azurite"); }

TEST_CASE("sync under store faults: an unreadable backup is skipped and named, and synced on the next pass") {
  for (const std::string kind : {"moto", "azurite"}) {
    CAPTURE(kind);
    auto store = open_store(kind, "sync-faults-" + kind);
    backup_into(*store, "s1");
    backup_into(*store, "s2");
    RestoreServer cluster(options());
    kube::KubeClient& client = *cluster.cluster->client();
    const ApiResource* bsls = client.discovery().find("velero.io", "backupstoragelocations");
    REQUIRE(bsls);
    client.create(*bsls, json::parse(R"({"apiVersion":"velero.io/v1","kind":"BackupStorageLocation",
        "metadata":{"name":"default","namespace":"velero"},
        "spec":{"provider":"aws","default":true,"objectStorage":{"bucket":"b"}}})", "bsl").as_object(), "velero");
    auto bsl = get_location(client, "velero", "default");
    REQUIRE(bsl);
    FaultProxy& proxy = *store->proxy;
    // s2's record cannot be read: every answer cut before its body during this pass (a cut later
    // in the body is resumed by ranged reads on Azure, and then read whole).
    proxy.only_for("/backups/s2/velero-backup.json");
    proxy.drop_response_after(0, 1000);
    SyncOptions so;
    so.now = restore_test_now;
    auto first = sync_once(client, *bsl, *store->location->backups, so);
    std::string said;
    for (const auto& s : first.skipped) said += "skipped " + s.backup + ": " + s.reason + "\n";
    for (const auto& e : first.errors) said += "error: " + e + "\n";
    for (const auto& w : first.warnings) said += "warning: " + w + "\n";
    INFO(said);
    MESSAGE(kind << " sync pass 1: created " << first.created.size() << "\n" << said);
    CHECK(first.created == std::vector<std::string>{"s1"});
    CHECK(said.find("s2") != std::string::npos);  // named
    proxy.reset();
    auto second = sync_once(client, *bsl, *store->location->backups, so);
    CHECK(second.created == std::vector<std::string>{"s2"});
    CHECK(second.errors.empty());
  }
}
