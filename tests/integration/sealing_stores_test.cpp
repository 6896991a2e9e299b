// Issue 16 (brief s3-seal) on the remote stores: an encrypted backup written through the seal to moto
// (S3) and Azurite (Azure Blob) round-trips, and one bit flipped anywhere in any of its files (first,
// middle and last byte) is named by verify and refused by restore, nothing planned.
#include "s3_emulators.hpp"
#include "storage/azure/azure.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/error.hpp"
#include "vbackup/restore.hpp"
#include "vbackup/sealing.hpp"

#include <doctest/doctest.h>

using namespace vbackup;

namespace {

const char* kApp = R"(apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: demo}
data: {k: v}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec: {replicas: 1}
)";

int planned_restore(storage::BackupStore& store, const std::string& name, const sealing::OpenOptions& o, std::string& phase) {
  velero::Restore r;
  r.metadata.name = "r";
  r.spec.backup_name = name;
  RestoreOptions ro;
  ro.mode = RestoreOptions::Mode::dry_run;
  ro.seal = o;
  int planned = 0;
  ro.on_plan = [&](const RestorePlanItem&) { ++planned; };
  auto target = open_offline_target();
  try {
    phase = run_restore(std::move(r), store, *target, ro).restore.status.phase;
  } catch (const Error& e) {
    phase = std::string("error: ") + e.what();
  }
  return planned;
}

void round_trip_and_flips(std::shared_ptr<storage::ObjectStore> objects, const std::string& provider) {
  testing::TempDir dir{"sealing-stores"};
  dir.write("m/app.yaml", kApp);
  const std::string prefix = "seal-" + std::to_string(::getpid());
  storage::BackupStore store(objects, prefix + "/");
  auto id = crypto::AgeIdentity::generate();
  auto source = open_manifest_source({dir.path / "m"});
  velero::Backup b;
  b.metadata.name = "b";
  storage::Location loc;
  loc.provider = provider;
  loc.bucket = "bucket";
  loc.prefix = prefix;
  BackupOptions bo;
  bo.seal.recipients = {id.recipient()};
  REQUIRE(run_backup(b, *source, store, loc, bo).outcome.code == ErrorCode::ok);
  sealing::OpenOptions o;
  o.identities = {id};
  REQUIRE(sealing::verify_backup(store, "b", o).problems.empty());
  std::string phase;
  CHECK(planned_restore(store, "b", o, phase) >= 2);
  CHECK(phase == "Completed");
  auto keys = objects->list_objects(store.backup_dir("b"));
  REQUIRE(keys.size() == 10);
  for (const auto& key : keys) {
    const std::string original = objects->get_all(key, 64u << 20);
    for (std::size_t pos : {std::size_t(0), original.size() / 2, original.size() - 1}) {
      CAPTURE(key);
      CAPTURE(pos);
      std::string bad = original;
      bad[pos] = static_cast<char>(bad[pos] ^ 0x01);
      objects->put(key, bad);
      std::vector<std::string> problems;
      try {
        problems = sealing::verify_backup(store, "b", o).problems;
      } catch (const Error& e) {
        problems = {e.what()};
      }
      std::string base = key.substr(key.rfind('/') + 1);
      CHECK(std::any_of(problems.begin(), problems.end(), [&](const std::string& p) { return p.find(base) != std::string::npos; }));
      CHECK(planned_restore(store, "b", o, phase) == 0);
      CHECK(phase != "Completed");
      CHECK(phase != "PartiallyFailed");
      objects->put(key, original);
    }
  }
  CHECK(sealing::verify_backup(store, "b", o).problems.empty());
}

}  // namespace

TEST_CASE("issue 16: moto (S3): encrypted round trip; a bit flip in any file is named by verify and refused by restore") {
  std::shared_ptr<storage::ObjectStore> objects = s3_test::moto().store();
  round_trip_and_flips(objects, "aws");
}

TEST_CASE("issue 16: Azurite (Azure Blob): encrypted round trip; a bit flip in any file is named by verify and refused by restore") {
  static testing::Azurite azurite("http");
  REQUIRE_MESSAGE(azurite.error().empty(), azurite.error());
  ::setenv("AZURE_STORAGE_ACCOUNT_ACCESS_KEY", testing::Azurite::kKey, 1);
  const std::string container = "seal";
  std::string cmd = "/usr/bin/python3 '" + (testing::source_root() / "tests/support/azure_sharedkey_client.py").string() +
                    "' --endpoint '" + azurite.endpoint() + "' --account " + testing::Azurite::kAccount + " --key '" +
                    testing::Azurite::kKey + "' create-container " + container + " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  storage::Location l;
  l.provider = "azure";
  l.bucket = container;
  l.config = {{"storageAccount", testing::Azurite::kAccount},
              {"storageAccountKeyEnvVar", "AZURE_STORAGE_ACCOUNT_ACCESS_KEY"},
              {"storageAccountURI", azurite.endpoint()}};
  std::shared_ptr<storage::ObjectStore> objects = storage::open_azure_store(l);
  round_trip_and_flips(objects, "azure");
}
