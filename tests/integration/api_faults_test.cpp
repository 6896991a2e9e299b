// Kubernetes API faults during backup and restore (issue 16 "Faults, proved", brief "s3-faults"),
// on the test API server's switches (tests/support/kube_server/faults.hpp): 429 with Retry-After,
// 500, 410 Expired in the middle of a paged LIST, connection resets after the headers and in the
// middle of a LIST page, slow answers, a CRD that never becomes Established. Each run ends Completed,
// or PartiallyFailed with the item named: never a crash, never a silent gap. The backup is compared
// with the server's content (every selected object is in the tarball, equal to what the server
// holds, or named in the errors); a restore is compared with the backup it restored.
#include "restore_support.hpp"

#include "kube_server/kube_server.hpp"
#include "kube_server/loopback_client.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/restore.hpp"
#include "vbackup/sync.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <thread>

using namespace vbackup;
using namespace vbackup::testing;
namespace phase = velero::backup_phase;

namespace {

constexpr int kConfigMaps = 1200;  // three pages of Velero's --client-page-size 500

const std::string kCrd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
  "metadata":{"name":"gadgets.example.com"},"spec":{"group":"example.com","scope":"Namespaced",
  "names":{"plural":"gadgets","singular":"gadget","kind":"Gadget","listKind":"GadgetList"},
  "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})";

kubetest::KubeServerOptions options() {
  kubetest::KubeServerOptions o;
  o.api.crd_establish_delay = std::chrono::milliseconds(20);
  o.api.snapshot_crds = false;
  return o;
}

void control(kubetest::KubeServer& server, const std::string& body) {
  kubetest::LoopbackClient c(server.port());
  auto r = c.request("POST", "/__control", body);
  REQUIRE_MESSAGE(r.status == 200, r.body);
}

// The cluster a backup is taken from: namespace bench with 1200 ConfigMaps, Secrets, and Gadgets
// of a CRD (which the backup brings along as cluster-scoped additional items).
struct SourceCluster {
  RestoreServer s{options()};
  SourceCluster() {
    s.server.api().fill_configmaps("bench", kConfigMaps, 64);
    for (int i = 0; i < 20; ++i)
      s.create("secrets", R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s-)" + std::to_string(i) +
                              R"(","namespace":"bench"},"data":{"k":"dmFsdWU="}})");
    s.create("customresourcedefinitions.apiextensions.k8s.io", kCrd);
    const ApiResource* gadgets = nullptr;
    for (int i = 0; i < 500 && !gadgets; ++i) {  // established after 20 ms
      gadgets = s.cluster->client()->refresh_discovery().find("example.com", "gadgets");
      if (!gadgets) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(gadgets);
    for (int i = 0; i < 5; ++i)
      s.cluster->client()->create(*gadgets, json::parse(R"({"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g-)" +
                                                            std::to_string(i) + R"(","namespace":"bench"},"spec":{"size":)" +
                                                            std::to_string(i) + "}}", "gadget").as_object());
  }
  // "<group-resource>/<name>" → the object as the server holds it, for what the backup selects.
  std::map<std::string, json::object> content() {
    std::map<std::string, json::object> out;
    for (const char* gr : {"configmaps", "secrets", "gadgets.example.com"})
      for (json::object& o : s.list(gr, "bench")) out[std::string(gr) + "/" + std::string(json::metadata_string(o, "name"))] = o;
    return out;
  }
};

// The namespaced items of a backup's tarball (un-versioned paths), by "<group-resource>/<name>".
std::map<std::string, json::object> archived(RestoreLocation& loc, const std::string& backup) {
  std::map<std::string, json::object> out;
  auto in = loc.location.objects->get(loc.location.backups->backup_contents_key(backup), {});
  archive::ArchiveReader r(*in, backup);
  archive::Entry e;
  while (r.next(e)) {
    // resources/<gr>/namespaces/bench/<name>.json
    const std::string prefix = "resources/";
    const auto ns = e.path.find("/namespaces/bench/");
    if (!e.path.starts_with(prefix) || ns == std::string::npos || e.path.find("-preferredversion") != std::string::npos) {
      r.skip_body();
      continue;
    }
    const std::string gr = e.path.substr(prefix.size(), ns - prefix.size());
    std::string name = e.path.substr(ns + 18);
    name = name.substr(0, name.size() - 5);
    out[gr + "/" + name] = json::parse(r.read_body(1 << 20), e.path).as_object();
  }
  return out;
}

std::string all_messages(const velero::Result& r) {
  std::string s;
  for (const auto& m : messages(r)) s += m + "\n";
  return s;
}

struct BackupOutcome {
  velero::Backup backup;
  velero::Results results;
};

BackupOutcome backup_of(SourceCluster& src, RestoreLocation& loc, const std::string& name) {
  velero::Backup b;
  b.metadata.name = name;
  b.spec.included_namespaces = {"bench"};
  BackupOptions o;
  o.now = restore_test_now;
  auto run = create_backup(*src.s.cluster, loc.location, b, o);
  INFO(run.result.outcome.message);
  BackupOutcome out{run.result.backup, {}};
  MESSAGE("backup " << name << ": " << run.result.backup.status.phase << ", " << run.result.backup.status.errors << " errors");
  if (run.result.backup.status.phase == phase::Completed || run.result.backup.status.phase == phase::PartiallyFailed)
    out.results = describe_backup(*loc.location.backups, name, true).results;
  return out;
}

// No silent gap: every selected object the server holds is in the tarball, equal to the server's
// copy, or its name is in an error message.
void check_against_server(SourceCluster& src, RestoreLocation& loc, const BackupOutcome& got) {
  const std::string errors = all_messages(got.results.errors);
  INFO("errors:\n" << errors);
  auto have = archived(loc, got.backup.metadata.name);
  std::size_t missing = 0;
  for (const auto& entry : src.content()) {
    const std::string& key = entry.first;  // doctest's macros are lambdas: no structured bindings in them (clang 14)
    const json::object& object = entry.second;
    auto it = have.find(key);
    if (it == have.end()) {
      ++missing;
      // Named: the item itself, or the LIST of its resource that failed ("Error listing items: GET .../secrets?...").
      const std::string gr = key.substr(0, key.find('/')), name = key.substr(key.find('/') + 1);
      const std::string plural = gr.substr(0, gr.find('.'));
      const bool named = errors.find("/" + name) != std::string::npos ||
                         errors.find("/namespaces/bench/" + plural + "?") != std::string::npos;
      CHECK_MESSAGE(named, key << " is neither in the tarball nor named in an error");
      continue;
    }
    CHECK_MESSAGE(json::marshal(it->second) == json::marshal(object), key << " differs from the server's copy");
  }
  if (missing > 0) CHECK(got.backup.status.phase == phase::PartiallyFailed);
}

void check_completed(SourceCluster& src, RestoreLocation& loc, const std::string& name) {
  auto got = backup_of(src, loc, name);
  INFO("errors:\n" << all_messages(got.results.errors));
  CHECK(got.backup.status.phase == phase::Completed);
  CHECK(got.backup.status.errors == 0);
  check_against_server(src, loc, got);
  CHECK(archived(loc, name).size() == kConfigMaps + 20 + 5);
}

}  // namespace

TEST_CASE("backup under API faults: 429 Retry-After, 500, 410 Expired mid-list, resets, slow answers: Completed and equal to the server") {
  SourceCluster src;
  RestoreLocation loc;
  SUBCASE("429 TooManyRequests with Retry-After on the ConfigMaps LIST, twice") {
    control(src.s.server, R"({"throttle":{"count":2,"retryAfterSeconds":1,"resource":"configmaps","verb":"list"}})");
    check_completed(src, loc, "throttled");
  }
  SUBCASE("500 on the second and third page of the ConfigMaps LIST, and on the Secrets LIST") {
    control(src.s.server, R"({"fail":{"count":3,"code":500,"resource":"configmaps","verb":"list"}})");
    check_completed(src, loc, "failed-500");
  }
  SUBCASE("410 Expired on a continue token: the LIST starts over without a duplicate or a gap") {
    control(src.s.server, R"({"expireContinue":{"count":1,"resource":"configmaps"}})");
    check_completed(src, loc, "expired");
  }
  SUBCASE("connection reset after the headers of a LIST answer") {
    control(src.s.server, R"({"connectionReset":{"count":1,"after":"headers","resource":"configmaps","verb":"list"}})");
    check_completed(src, loc, "reset-headers");
  }
  SUBCASE("connection reset in the middle of a LIST page, twice") {
    control(src.s.server, R"({"connectionReset":{"count":2,"after":"body","resource":"configmaps","verb":"list"}})");
    check_completed(src, loc, "reset-body");
  }
  SUBCASE("slow answers: every LIST and discovery request held back 150 ms") {
    control(src.s.server, R"({"delay":{"milliseconds":150,"verb":"list"}})");
    check_completed(src, loc, "slow");
  }
}

TEST_CASE("backup: a resource the server keeps failing is PartiallyFailed with the resource named, the rest equal to the server") {
  SourceCluster src;
  RestoreLocation loc;
  control(src.s.server, R"({"fail":{"count":-1,"code":500,"resource":"secrets","verb":"list"}})");
  auto got = backup_of(src, loc, "secrets-fail");
  INFO("phase " << got.backup.status.phase << " " << got.backup.status.failure_reason);
  REQUIRE((got.backup.status.phase == phase::PartiallyFailed || got.backup.status.phase == phase::Failed));
  control(src.s.server, R"({"reset":true})");
  if (got.backup.status.phase == phase::PartiallyFailed) {
    CHECK(all_messages(got.results.errors).find("secrets") != std::string::npos);
    check_against_server(src, loc, got);
    CHECK(archived(loc, "secrets-fail").size() == kConfigMaps + 5);
    // A second backup once the server recovers holds everything.
    check_completed(src, loc, "secrets-again");
  } else {
    CHECK(got.backup.status.failure_reason.find("secrets") != std::string::npos);
  }
}

TEST_CASE("restore under API faults: ends Completed or PartiallyFailed naming each missing item; a second run with existingResourcePolicy=update completes the cluster") {
  SourceCluster src;
  RestoreLocation loc;
  auto base = backup_of(src, loc, "base");
  REQUIRE(base.backup.status.phase == phase::Completed);
  const auto backed_up = archived(loc, "base");

  RestoreServer target(options());
  // Every item of the backup is in the target cluster with the backed-up data, or named.
  auto compare = [&](const velero::Restore& restore, const RestoreDetails& details) {
    const std::string errors = all_messages(details.results.errors);
    INFO("phase " << restore.status.phase << "\nerrors:\n" << errors);
    std::size_t missing = 0;
    for (const auto& entry : backed_up) {
      const std::string& key = entry.first;
      const json::object& object = entry.second;
      const std::string gr = key.substr(0, key.find('/')), name = key.substr(key.find('/') + 1);
      std::optional<json::object> now;
      if (gr != "gadgets.example.com" || target.cluster->client()->refresh_discovery().find("example.com", "gadgets"))
        now = target.get(gr, "bench", name);
      if (!now) {
        ++missing;
        CHECK_MESSAGE(errors.find(name) != std::string::npos, key << " is neither restored nor named in an error");
        continue;
      }
      const char* field = gr == "gadgets.example.com" ? "spec" : "data";
      CHECK_MESSAGE(json::marshal(now->at(field)) == json::marshal(object.at(field)), key << " differs from the backup");
    }
    return missing;
  };
  auto restore = [&](const std::string& name, std::chrono::milliseconds resource_timeout, bool update) {
    velero::Restore r = restore_of(name, "base");
    if (update) r.spec.existing_resource_policy = "update";
    RestoreOptions o;
    o.now = restore_test_now;
    o.resource_timeout = resource_timeout;
    auto run = create_restore(target.cluster.get(), loc.location, r, o);
    INFO(run.result.outcome.message);
    REQUIRE(run.result.outcome.ok());
    const std::string p = run.result.restore.status.phase;
    MESSAGE("restore " << name << ": " << p << ", " << run.result.restore.status.errors << " errors");
    CHECK((p == "Completed" || p == "PartiallyFailed"));
    return std::make_pair(run.result.restore, loc.details(name));
  };

  SUBCASE("429 and 500 on creates, resets after the headers and mid-body of reads, slow answers") {
    control(target.server, R"({"throttle":{"count":5,"retryAfterSeconds":0,"resource":"configmaps","verb":"create"},
                               "fail":{"count":3,"code":500,"resource":"secrets","verb":"create"},
                               "connectionReset":{"count":2,"after":"body","discovery":true},
                               "delay":{"milliseconds":100,"count":20,"discovery":true}})");
    auto r1 = restore("r1", std::chrono::seconds(10), false);
    const velero::Restore& first = r1.first;
    const RestoreDetails& details = r1.second;
    const std::size_t missing = compare(first, details);
    if (missing > 0) CHECK(first.status.phase == "PartiallyFailed");
    control(target.server, R"({"reset":true})");
    auto r2 = restore("r2", std::chrono::seconds(10), true);
    const velero::Restore& second = r2.first;
    const RestoreDetails& details2 = r2.second;
    CHECK(second.status.phase == "Completed");
    CHECK(compare(second, details2) == 0);
  }
  SUBCASE("a CRD that never becomes Established: its custom resources are item errors, named; PartiallyFailed") {
    control(target.server, R"({"crdNeverEstablished":true})");
    auto r1 = restore("r-crd", std::chrono::seconds(1), false);
    const velero::Restore& first = r1.first;
    const RestoreDetails& details = r1.second;
    CHECK(first.status.phase == "PartiallyFailed");
    const std::string errors = all_messages(details.results.errors);
    INFO(errors);
    CHECK(errors.find("gadgets.example.com") != std::string::npos);
    CHECK(compare(first, details) == 5);  // the five Gadgets, each named
    // Once the API server establishes it, a second restore finishes the job.
    control(target.server, R"({"crdNeverEstablished":false})");
    auto r2 = restore("r-crd-2", std::chrono::seconds(10), true);
    const velero::Restore& second = r2.first;
    const RestoreDetails& details2 = r2.second;
    CHECK(second.status.phase == "Completed");
    CHECK(compare(second, details2) == 0);
  }
}

TEST_CASE("sync under API faults: a Backup CR the API server refuses to create is named, and created on the next pass") {
  RestoreLocation loc;
  for (const char* name : {"s1", "s2", "s3"}) loc.backup_manifests(name, {source_root() / "examples" / "manifests"});
  kubetest::KubeServerOptions o = options();
  o.seed = {source_root() / "tests" / "data" / "velero"};
  RestoreServer cluster(o);
  kube::KubeClient& client = *cluster.cluster->client();
  cluster.create("backupstoragelocations.velero.io", R"({"apiVersion":"velero.io/v1","kind":"BackupStorageLocation",
      "metadata":{"name":"default","namespace":"velero"},"spec":{"provider":"aws","default":true,"objectStorage":{"bucket":"b"}}})");
  auto bsl = get_location(client, "velero", "default");
  REQUIRE(bsl);
  // The first create throttled twice (429: retried), then refused with 500 (a POST is not
  // retried), and the Backups' LIST reset once in its middle.
  control(cluster.server, R"({"throttle":{"count":2,"retryAfterSeconds":0,"resource":"backups.velero.io","verb":"create"}})");
  control(cluster.server, R"({"connectionReset":{"count":1,"after":"body","resource":"backups.velero.io","verb":"list"}})");
  SyncOptions so;
  so.now = restore_test_now;
  control(cluster.server, R"({"fail":{"count":1,"code":500,"resource":"backups.velero.io","verb":"create"}})");
  auto first = sync_once(client, *bsl, *loc.location.backups, so);
  std::string said;
  for (const auto& e : first.errors) said += "error: " + e + "\n";
  for (const auto& s : first.skipped) said += "skipped " + s.backup + ": " + s.reason + "\n";
  INFO(said);
  MESSAGE("sync pass 1: created " << first.created.size() << "; " << said);
  CHECK(first.created.size() + first.errors.size() + first.skipped.size() >= 3);
  for (const char* name : {"s1", "s2", "s3"}) {
    const bool created = std::find(first.created.begin(), first.created.end(), name) != first.created.end();
    CHECK_MESSAGE((created || said.find(name) != std::string::npos), name << " neither created nor named");
  }
  auto second = sync_once(client, *bsl, *loc.location.backups, so);
  CHECK(second.errors.empty());
  for (const char* name : {"s1", "s2", "s3"}) CHECK(cluster.get("backups.velero.io", "velero", name));
}
