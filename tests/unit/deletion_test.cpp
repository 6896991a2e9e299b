// Expiry and deletion (issue 13, brief i13-deletion; spec §3.2, §3.3): Velero's gc_controller.go and
// backup_deletion_controller.go against the in-process test API server with Velero's CRDs
// (tests/data/velero) and a file bucket; the real kubectl creates a DeleteBackupRequest.
#include "kube_server/kube_server.hpp"
#include "kube_server/kubectl_runner.hpp"
#include "test_helpers.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/deletion.hpp"
#include "vbackup/location.hpp"
#include "vbackup/manifests.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path kVeleroCrds = testing::source_root() / "tests" / "data" / "velero";
const Timestamp kNow = parse_rfc3339("2026-12-06T12:00:00Z");

// A cluster with Velero's CRDs (the seed makes the velero namespace), and a file bucket that BSL "default" names.
struct World {
  kubetest::KubeServer server{options()};
  testing::TempDir dir{"deletion"};
  std::unique_ptr<kube::KubeClient> client;
  OpenedLocation bucket;

  static kubetest::KubeServerOptions options() {
    kubetest::KubeServerOptions o;
    o.seed = {kVeleroCrds};
    return o;
  }
  World() {
    server.write_kubeconfig(dir.path / "kubeconfig");
    kube::ConnectOptions c;
    c.kubeconfig = (dir.path / "kubeconfig").string();
    client = std::make_unique<kube::KubeClient>(kube::load_rest_config(c));
    fs::create_directories(dir.path / "bucket");
    bucket = open_location("file://" + (dir.path / "bucket").string());
  }
  const ApiResource& res(std::string_view plural) {
    const ApiResource* r = client->discovery().find("velero.io", plural);
    REQUIRE(r);
    return *r;
  }
  json::object create(std::string_view plural, const json::object& o) { return client->create(res(plural), o, "velero"); }
  std::optional<json::object> get(std::string_view plural, const std::string& name) {
    return client->try_get(res(plural), "velero", name);
  }
  std::vector<json::object> list(std::string_view plural, const std::string& selector = {}) {
    std::vector<json::object> out;
    ListOptions lo;
    lo.namespace_ = "velero";
    lo.label_selector = selector;
    client->list(res(plural), lo, [&](json::object&& o) { out.push_back(std::move(o)); });
    return out;
  }
  // BSL `name` over the bucket, with its status phase and access mode.
  void location(const std::string& name, std::string_view phase = "Available", std::string_view mode = {}) {
    velero::BackupStorageLocation l;
    l.metadata.name = name;
    l.metadata.namespace_ = "velero";
    l.spec.provider = "file";
    l.spec.object_storage = velero::ObjectStorageLocation{};
    l.spec.object_storage->bucket = (dir.path / "bucket").string();
    l.spec.access_mode = std::string(mode);
    l.status.phase = std::string(phase);
    create("backupstoragelocations", l.to_json());
  }
  // A Completed backup in the bucket (record, tarball, log) and its CR, expired at `expiration`.
  velero::Backup backup(const std::string& name, std::optional<Timestamp> expiration, const std::string& bsl = "default",
                        std::string_view phase = "Completed") {
    velero::Backup b;
    b.metadata.name = name;
    b.metadata.namespace_ = "velero";
    b.spec.storage_location = bsl;
    b.status.phase = std::string(phase);
    b.status.expiration = expiration;
    persistence::put_backup_record(*bucket.backups, b);
    {  // a tarball Velero's deletion can extract (csi §3 reads it for VolumeSnapshotContents)
      auto out = bucket.objects->open_write(bucket.backups->backup_contents_key(name));
      archive::ArchiveWriter w(*out, archive::Compression::gzip);
      w.finish();
      out->commit();
    }
    bucket.objects->put(bucket.backups->backup_log_key(name), "log");
    return velero::Backup::from_json(create("backups", b.to_json()), "created");
  }
  // A Restore of `backup`: its CR and its restores/<r>/ files.
  void restore(const std::string& name, const std::string& backup) {
    velero::Restore r;
    r.metadata.name = name;
    r.metadata.namespace_ = "velero";
    r.spec.backup_name = backup;
    r.status.phase = "Completed";
    persistence::put_restore_record(*bucket.backups, r);
    bucket.objects->put(bucket.backups->restore_log_key(name), "log");
    create("restores", r.to_json());
  }
  std::vector<std::string> keys(const std::string& prefix) { return bucket.objects->list_objects(prefix); }
  std::string label(const std::string& backup, std::string_view key) {
    auto o = get("backups", backup);
    REQUIRE(o);
    const json::object* l = json::metadata_map(*o, "labels");
    return l ? std::string(json::get_string(*l, key)) : "";
  }
  velero::DeleteBackupRequest request(const std::string& backup, const std::string& name = {}) {
    velero::DeleteBackupRequest r;
    r.metadata.name = name;
    r.metadata.generate_name = name.empty() ? backup + "-" : "";
    r.metadata.namespace_ = "velero";
    r.spec.backup_name = backup;
    return velero::DeleteBackupRequest::from_json(create("deletebackuprequests", r.to_json()), "created");
  }
};

deletion::GcOptions gc_options(bool dry_run = false) {
  deletion::GcOptions o;
  o.now = kNow;
  o.dry_run = dry_run;
  return o;
}

}  // namespace

TEST_CASE("delete_backup_request_types.go: DeleteBackupRequest JSON, spec.backupName always, status omitempty") {
  velero::DeleteBackupRequest r;
  r.metadata.name = "b1-x";
  r.spec.backup_name = "";
  CHECK(json::marshal(r.to_json(), {.sort_keys = false}) ==
        R"({"kind":"DeleteBackupRequest","apiVersion":"velero.io/v1","metadata":{"name":"b1-x"},"spec":{"backupName":""},"status":{}})");
  auto back = velero::DeleteBackupRequest::from_json(
      json::parse(R"({"kind":"DeleteBackupRequest","spec":{"backupName":"b","new":1},"status":{"phase":"Processed","errors":["e1","e2"]}})",
                  "t").as_object(),
      "t");
  CHECK(back.spec.backup_name == "b");
  CHECK(back.status.phase == "Processed");
  CHECK(back.status.errors == std::vector<std::string>{"e1", "e2"});
  CHECK(json::marshal(back.to_json().at("spec")) == R"({"backupName":"b","new":1})");
  CHECK(testing::error_of([] {
          velero::DeleteBackupRequest::from_json(json::parse(R"({"kind":"Backup"})", "t").as_object(), "dbr.json");
        }).find("dbr.json") != std::string::npos);
  CHECK(testing::error_of([] {
          velero::DeleteBackupRequest::from_json(json::parse(R"({"status":{"errors":"x"}})", "t").as_object(), "dbr.json");
        }).find("status.errors") != std::string::npos);
}

TEST_CASE("Velero's DeleteBackupRequest CRD: every spec and status field is typed, none left in extra") {
  std::vector<std::string> spec, status;
  manifests::read_manifest_file(kVeleroCrds / "velero.io_deletebackuprequests.yaml", [&](manifests::ManifestObject&& m) {
    const auto& v = m.object.at("spec").at("versions").as_array().at(0).as_object();
    const auto& props = v.at("schema").at("openAPIV3Schema").at("properties").as_object();
    for (const auto& kv : props.at("spec").at("properties").as_object()) spec.emplace_back(kv.key());
    for (const auto& kv : props.at("status").at("properties").as_object()) status.emplace_back(kv.key());
  }, [](const std::string&) {});
  CHECK(spec == std::vector<std::string>{"backupName"});
  REQUIRE(!status.empty());
  json::object full{{"spec", json::object{}}, {"status", json::object{}}};
  for (const auto& f : spec) full["spec"].as_object()[f] = "x";
  for (const auto& f : status) full["status"].as_object()[f] = f == "errors" ? json::value(json::array{"e"}) : json::value("x");
  auto r = velero::DeleteBackupRequest::from_json(full, "crd fields");
  CHECK(r.spec.extra.empty());
  CHECK(r.status.extra.empty());
}

TEST_CASE("spec §3.2 gc_controller.go: expired when status.expiration is not after now; the location decides") {
  velero::Backup b;
  b.metadata.name = "b";
  b.spec.storage_location = "default";
  velero::BackupStorageLocation ok;
  ok.metadata.name = "default";
  ok.status.phase = "Available";
  deletion::GcLocation found{ok, false};
  CHECK(deletion::gc_decide(b, kNow, found).action == deletion::GcAction::none);  // no expiration: never
  b.status.expiration = kNow + 1s;
  CHECK(deletion::gc_decide(b, kNow, found).action == deletion::GcAction::none);
  b.status.expiration = kNow;  // Expiration.After(now) is false: expired
  CHECK(deletion::gc_decide(b, kNow, found).action == deletion::GcAction::request_deletion);
  auto nf = deletion::gc_decide(b, kNow, {});
  CHECK(nf.action == deletion::GcAction::label_failure);
  CHECK(nf.failure == "BSLNotFound");
  CHECK(nf.message == "Backup cannot be garbage-collected because backup storage location default does not exist");
  CHECK(deletion::gc_decide(b, kNow, {std::nullopt, true}).failure == "BSLCannotGet");
  velero::BackupStorageLocation l = ok;
  l.status.phase = "Unavailable";
  l.spec.access_mode = "ReadOnly";
  CHECK(deletion::gc_decide(b, kNow, {l, false}).failure == "BSLUnavailable");  // availability is checked first
  l.status.phase = "Available";
  CHECK(deletion::gc_decide(b, kNow, {l, false}).failure == "BSLReadOnly");
}

TEST_CASE("pkg/backup NewDeleteBackupRequest: generateName, backup-name (GetValidName) and backup-uid labels") {
  velero::Backup b;
  b.metadata.name = std::string(70, 'a');
  b.metadata.namespace_ = "velero";
  b.metadata.uid = "u-1";
  auto r = deletion::make_delete_backup_request(b);
  CHECK(r.metadata.generate_name == std::string(70, 'a') + "-");
  CHECK(r.metadata.name.empty());
  CHECK(r.metadata.namespace_ == "velero");
  CHECK(r.spec.backup_name == b.metadata.name);
  CHECK(r.metadata.labels.at("velero.io/backup-name") == velero::get_valid_name(b.metadata.name));
  CHECK(r.metadata.labels.at("velero.io/backup-name").size() == 63);
  CHECK(r.metadata.labels.at("velero.io/backup-uid") == "u-1");
  CHECK(deletion::delete_backup_request_selector("b1", "u") == "velero.io/backup-name=b1,velero.io/backup-uid=u");
}

TEST_CASE("spec §3.2, §3.3: an expired backup gets one DeleteBackupRequest and is collected with its restores") {
  World w;
  w.location("default");
  auto b1 = w.backup("b1", kNow - 1h);
  w.backup("b2", kNow + 1h);  // not expired
  w.restore("r1", "b1");
  w.restore("r2", "b2");
  // A restore recorded only in the bucket (ours: velero-restore.json) of b1.
  velero::Restore bucket_only;
  bucket_only.metadata.name = "r3";
  bucket_only.spec.backup_name = "b1";
  persistence::put_restore_record(*w.bucket.backups, bucket_only);

  SUBCASE("dry run writes nothing") {
    auto r = deletion::gc_once(*w.client, gc_options(true));
    REQUIRE(r.items.size() == 2);
    CHECK(r.items[0].action == "requested deletion");
    CHECK(r.items[0].delete_request.empty());
    CHECK(w.list("deletebackuprequests").empty());
  }
  SUBCASE("gc, then the request processed") {
    auto r = deletion::gc_once(*w.client, gc_options());
    REQUIRE(r.items.size() == 2);
    CHECK(r.items[0].backup == "b1");
    CHECK(r.items[0].action == "requested deletion");
    CHECK(r.items[1].action == "not expired");
    auto dbrs = w.list("deletebackuprequests");
    REQUIRE(dbrs.size() == 1);
    auto dbr = velero::DeleteBackupRequest::from_json(dbrs[0], "dbr");
    CHECK(dbr.metadata.name == r.items[0].delete_request);
    CHECK(dbr.metadata.name.starts_with("b1-"));
    CHECK(dbr.metadata.generate_name == "b1-");
    CHECK(dbr.metadata.labels.at("velero.io/backup-name") == "b1");
    CHECK(dbr.metadata.labels.at("velero.io/backup-uid") == b1.metadata.uid);
    CHECK(dbr.spec.backup_name == "b1");
    // A pending request (phase "") stops a second one.
    auto again = deletion::gc_once(*w.client, gc_options());
    CHECK(again.items[0].action == "deletion already requested");
    CHECK(w.list("deletebackuprequests").size() == 1);

    // An older request of the same backup, already Processed with an error: deleted at the start.
    auto old = w.request("b1", "b1-old");
    w.client->patch(w.res("deletebackuprequests"), "velero", "b1-old", kube::PatchType::merge,
                    R"({"metadata":{"labels":{"velero.io/backup-name":"b1"}},"status":{"phase":"Processed","errors":["x"]}})");

    auto done = deletion::process_delete_backup_request(*w.client, *w.bucket.backups, dbr);
    INFO(json::marshal(done.to_json()));
    CHECK(done.ok());
    CHECK(done.request.status.phase == "Processed");
    CHECK(done.request.status.errors.empty());
    CHECK(done.backup_cr_deleted);
    CHECK(done.deleted_requests == std::vector<std::string>{"b1-old"});
    CHECK(w.keys("backups/b1/").empty());
    CHECK(!done.deleted_objects.empty());
    CHECK(w.keys("restores/r1/").empty());
    CHECK(w.keys("restores/r3/").empty());
    CHECK(!w.keys("restores/r2/").empty());
    CHECK(!w.keys("backups/b2/").empty());
    CHECK(!w.get("backups", "b1"));
    CHECK(!w.get("restores", "r1"));
    CHECK(w.get("restores", "r2"));
    CHECK(w.get("backups", "b2"));
    // Every request of the backup went, this one too.
    CHECK(w.list("deletebackuprequests").empty());
  }
}

TEST_CASE("spec §3.2 gc-failure labels: ReadOnly → BSLReadOnly, missing → BSLNotFound, Unavailable; removed once fixed") {
  World w;
  w.location("ro", "Available", "ReadOnly");
  w.location("down", "Unavailable");
  w.backup("b-ro", kNow - 1h, "ro");
  w.backup("b-missing", kNow - 1h, "nowhere");
  w.backup("b-down", kNow - 1h, "down");
  const auto before = w.keys("");
  auto r = deletion::gc_once(*w.client, gc_options());
  REQUIRE(r.items.size() == 3);
  CHECK(r.items[0].backup == "b-down");
  CHECK(r.items[0].gc_failure == "BSLUnavailable");
  CHECK(r.items[1].gc_failure == "BSLNotFound");
  CHECK(r.items[2].gc_failure == "BSLReadOnly");
  CHECK(r.items[2].message ==
        "Backup cannot be garbage-collected because backup storage location ro is currently in read-only mode");
  CHECK(w.label("b-ro", "velero.io/gc-failure") == "BSLReadOnly");
  CHECK(w.label("b-missing", "velero.io/gc-failure") == "BSLNotFound");
  CHECK(w.label("b-down", "velero.io/gc-failure") == "BSLUnavailable");
  CHECK(w.list("deletebackuprequests").empty());
  CHECK(w.keys("") == before);  // nothing written to the bucket

  // The missing location appears: the label goes and the request is made.
  w.location("nowhere");
  auto again = deletion::gc_once(*w.client, gc_options());
  CHECK(again.items[1].action == "requested deletion");
  CHECK(w.label("b-missing", "velero.io/gc-failure").empty());
  CHECK(w.list("deletebackuprequests").size() == 1);

  // A request for a backup in the ReadOnly location is refused with Velero's error.
  auto dbr = w.request("b-ro");
  auto done = deletion::process_delete_backup_request(*w.client, *w.bucket.backups, dbr);
  CHECK(done.request.status.phase == "Processed");
  CHECK(done.request.status.errors ==
        std::vector<std::string>{"cannot delete backup because backup storage location ro is currently in read-only mode"});
  CHECK(w.get("backups", "b-ro"));
  CHECK(w.keys("") == before);
  auto down = deletion::process_delete_backup_request(*w.client, *w.bucket.backups, w.request("b-down"));
  CHECK(down.request.status.errors ==
        std::vector<std::string>{"cannot delete backup because backup storage location down is currently in Unavailable state"});
}

TEST_CASE("spec §3.3 backup_deletion_controller.go: the requests Velero refuses end Processed with its error") {
  World w;
  w.location("default");
  w.backup("running", kNow - 1h, "default", "InProgress");
  w.backup("finalizing", kNow - 1h, "default", "Finalizing");
  w.backup("lost", kNow - 1h, "gone");
  auto error_of = [&](const velero::DeleteBackupRequest& r) {
    auto d = deletion::process_delete_backup_request(*w.client, *w.bucket.backups, r);
    CHECK(d.request.status.phase == "Processed");
    // The request stays (only a successful deletion removes the requests), Processed.
    auto stored = w.get("deletebackuprequests", r.metadata.name);
    REQUIRE(stored);
    CHECK(velero::DeleteBackupRequest::from_json(*stored, "s").status.phase == "Processed");
    REQUIRE(d.request.status.errors.size() == 1);
    return d.request.status.errors[0];
  };
  CHECK(error_of(w.request("running")) == "backup is still in progress");
  CHECK(error_of(w.request("finalizing")) == "backup is still in progress");
  CHECK(w.get("backups", "running"));
  CHECK(!w.keys("backups/running/").empty());
  CHECK(error_of(w.request("nonexistent")) == "backup not found");
  CHECK(error_of(w.request("lost")) == "backup storage location gone not found");
  CHECK(error_of(w.request("", "empty")) == "spec.backupName is required");
  // A server's own tracker decides when given: a Completed backup it still runs is refused.
  deletion::DeletionOptions tracked;
  tracked.backup_running = [](const std::string& ns, const std::string& name) { return ns == "velero" && name == "lost"; };
  auto t = deletion::process_delete_backup_request(*w.client, *w.bucket.backups, w.request("lost"), tracked);
  CHECK(t.request.status.errors == std::vector<std::string>{"backup is still in progress"});

  // A second request for the same backup removes the first (one at a time).
  auto first = w.request("running", "running-1");
  w.client->patch(w.res("deletebackuprequests"), "velero", "running-1", kube::PatchType::merge,
                  R"({"metadata":{"labels":{"velero.io/backup-name":"running"}}})");
  auto second = deletion::process_delete_backup_request(*w.client, *w.bucket.backups, w.request("running", "running-2"));
  CHECK(second.deleted_requests == std::vector<std::string>{"running-1"});
  CHECK(!w.get("deletebackuprequests", "running-1"));
}

TEST_CASE("spec §3.3: a request already handled is skipped, and deleted once older than 24 hours") {
  World w;
  w.location("default");
  w.backup("b1", kNow - 1h);
  auto r = w.request("b1", "b1-done");
  w.client->patch(w.res("deletebackuprequests"), "velero", "b1-done", kube::PatchType::merge,
                  R"({"status":{"phase":"Processed"}})");
  deletion::DeletionOptions o;
  o.now = *r.metadata.creation_timestamp + 23h;
  auto young = deletion::process_delete_backup_request(*w.client, *w.bucket.backups, r, o);
  CHECK(young.skipped);
  CHECK(!young.request_expired);
  CHECK(w.get("deletebackuprequests", "b1-done"));
  o.now = *r.metadata.creation_timestamp + 24h;
  auto old = deletion::process_delete_backup_request(*w.client, *w.bucket.backups, r, o);
  CHECK(old.request_expired);
  CHECK(!w.get("deletebackuprequests", "b1-done"));
  CHECK(w.get("backups", "b1"));  // the backup itself is untouched
}

TEST_CASE("velero backup delete with a server: request_backup_deletion, then the store opened from the BSL") {
  World w;
  w.location("default");
  auto b = w.backup("b1", std::nullopt);  // not expired: deletion on request
  auto r = deletion::request_backup_deletion(*w.client, "velero", "b1");
  CHECK(r.metadata.name.starts_with("b1-"));
  CHECK(r.metadata.labels.at("velero.io/backup-uid") == b.metadata.uid);
  ErrorCode code{};
  CHECK(testing::error_of([&] { deletion::request_backup_deletion(*w.client, "velero", "nope"); }, &code)
            .find("not found") != std::string::npos);
  CHECK(code == ErrorCode::not_found);
  // No store given: process_* opens the BSL's (provider file, bucket = the folder).
  auto done = deletion::process_delete_backup_request(*w.client, "velero", r.metadata.name);
  CHECK(done.ok());
  CHECK(w.keys("backups/b1/").empty());
  CHECK(!w.get("backups", "b1"));
}

TEST_CASE("kubectl creates a DeleteBackupRequest and process_delete_backup_request carries it out") {
  World w;
  w.location("default");
  w.backup("b1", std::nullopt);
  kubetest::testing::Kubectl kubectl(w.server);
  kubectl.write("dbr.yaml", R"(apiVersion: velero.io/v1
kind: DeleteBackupRequest
metadata:
  name: delete-b1
  namespace: velero
spec:
  backupName: b1
)");
  REQUIRE(kubectl("create -f dbr.yaml").code == 0);
  CHECK(kubectl("get dbr delete-b1 -n velero -o jsonpath={.spec.backupName}").out == "b1");
  auto done = deletion::process_delete_backup_request(*w.client, "velero", "delete-b1");
  CHECK(done.ok());
  // The labels Velero adds when it takes the request (InProgress), which then select it for deletion.
  CHECK(done.request.metadata.labels.at("velero.io/backup-name") == "b1");
  CHECK(w.keys("backups/b1/").empty());
  CHECK(!w.get("backups", "b1"));
  auto gone = kubectl("get dbr delete-b1 -n velero");
  CHECK(gone.code != 0);
  CHECK(gone.err.find("NotFound") != std::string::npos);
}

TEST_CASE("gc_once and process_* without Velero's CRDs: Error(unsupported) naming the CRD") {
  kubetest::KubeServer server;
  testing::TempDir dir{"deletion-nocrd"};
  server.write_kubeconfig(dir.path / "kubeconfig");
  kube::ConnectOptions c;
  c.kubeconfig = (dir.path / "kubeconfig").string();
  kube::KubeClient client(kube::load_rest_config(c));
  ErrorCode code{};
  auto m = testing::error_of([&] { deletion::gc_once(client, gc_options()); }, &code);
  CHECK(code == ErrorCode::unsupported);
  CHECK(m.find("backups.velero.io") != std::string::npos);
  m = testing::error_of([&] { deletion::process_delete_backup_request(client, "velero", "x"); }, &code);
  CHECK(code == ErrorCode::unsupported);
}

TEST_CASE("spec §3.2 gc_controller.go: a location the API server will not give → BSLCannotGet; a bad Backup is an error item") {
  World w;
  w.location("default");
  w.backup("b1", kNow - 1h);
  // A Backup CR whose status.expiration is no time (the test server does not validate CR schemas).
  w.create("backups", json::parse(R"({"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"b0"},
                                       "spec":{"storageLocation":"default"},"status":{"expiration":"soon"}})",
                                  "t")
                          .as_object());
  // The next GET of a BackupStorageLocation is refused.
  w.server.api().control(json::object{
      {"fail", json::object{{"count", 1}, {"code", 403}, {"resource", "backupstoragelocations.velero.io"}, {"verb", "get"}}}});
  auto r = deletion::gc_once(*w.client, gc_options());
  REQUIRE(r.items.size() == 2);
  CHECK(r.items[0].backup == "b0");
  CHECK(r.items[0].action == "error");
  CHECK(r.items[0].message.find("status.expiration") != std::string::npos);
  CHECK(r.items[1].gc_failure == "BSLCannotGet");
  CHECK(r.items[1].message.starts_with("error getting backup storage location default: "));
  CHECK(w.label("b1", "velero.io/gc-failure") == "BSLCannotGet");
  CHECK(w.list("deletebackuprequests").empty());
  // Once the location can be read, the label goes and the request is made.
  auto again = deletion::gc_once(*w.client, gc_options());
  CHECK(again.items[1].action == "requested deletion");
  CHECK(w.label("b1", "velero.io/gc-failure").empty());
}

TEST_CASE("gc_backup: a Backup handed over without a namespace is looked up in options.namespace_") {
  World w;
  w.location("ro", "Available", "ReadOnly");
  auto b = w.backup("b1", kNow - 1h, "ro");
  b.metadata.namespace_.clear();
  auto item = deletion::gc_backup(*w.client, b, gc_options());
  CHECK(item.gc_failure == "BSLReadOnly");
  CHECK(w.label("b1", "velero.io/gc-failure") == "BSLReadOnly");
}
