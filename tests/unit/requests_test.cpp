// Velero's DownloadRequest and ServerStatusRequest controllers as library calls (issue 13, brief
// i13-requests): the CR types, the keys each DownloadTargetKind signs, every path of
// download_request_controller.go and server_status_request_controller.go, the plugin list, the
// file store's refusal, and the S3 presigned URL checked against Debian's aws CLI (`aws s3 presign`).
#include "backup/actions.hpp"
#include "restore/actions/restore_item_action.hpp"
#include "storage/s3/store.hpp"
#include "test_helpers.hpp"
#include "vbackup/cluster.hpp"
#include "vbackup/error.hpp"
#include "vbackup/requests.hpp"
#include "vbackup/version.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace vbackup;
using namespace vbackup::requests;
using testing::error_of;
namespace fs = std::filesystem;

namespace {

const Timestamp kNow = parse_rfc3339("2026-12-06T10:00:00Z");

velero::DownloadRequest request(std::string_view kind, std::string name) {
  velero::DownloadRequest r;
  r.metadata.name = "req";
  r.metadata.namespace_ = "velero";
  r.spec.target.kind = kind;
  r.spec.target.name = std::move(name);
  return r;
}

// A cluster of Backups, Restores and BSLs in memory, each BSL backed by one memory store.
struct Fake {
  std::map<std::string, velero::Backup> backups;
  std::map<std::string, velero::Restore> restores;
  std::map<std::string, velero::BackupStorageLocation> locations;
  std::shared_ptr<storage::BackupStore> store =
      std::make_shared<storage::BackupStore>(std::shared_ptr<storage::ObjectStore>(storage::open_memory_store("bucket")), "pre");
  bool fail_gets = false, fail_open = false;
  std::vector<std::string> asked;  // "kind ns/name"

  void add_backup(const std::string& name, std::string phase, std::string location = "default") {
    velero::Backup b;
    b.metadata.name = name;
    b.metadata.namespace_ = "velero";
    b.spec.storage_location = std::move(location);
    b.status.phase = std::move(phase);
    backups[name] = b;
  }
  void add_restore(const std::string& name, const std::string& backup, std::string phase) {
    velero::Restore r;
    r.metadata.name = name;
    r.spec.backup_name = backup;
    r.status.phase = std::move(phase);
    restores[name] = r;
  }
  void add_location(const std::string& name) {
    velero::BackupStorageLocation l;
    l.metadata.name = name;
    l.spec.provider = "velero.io/aws";
    locations[name] = l;
  }
  template <class T>
  std::optional<T> find(const std::map<std::string, T>& m, std::string what, const std::string& ns, const std::string& n) {
    asked.push_back(what + " " + ns + "/" + n);
    if (fail_gets) throw Error(ErrorCode::kube, "the server is unavailable");
    auto it = m.find(n);
    return it == m.end() ? std::nullopt : std::optional<T>(it->second);
  }
  DownloadRequestLookups lookups() {
    DownloadRequestLookups l;
    l.backup = [this](const std::string& ns, const std::string& n) { return find(backups, "backup", ns, n); };
    l.restore = [this](const std::string& ns, const std::string& n) { return find(restores, "restore", ns, n); };
    l.location = [this](const std::string& ns, const std::string& n) { return find(locations, "location", ns, n); };
    l.open_store = [this](const velero::BackupStorageLocation& bsl) {
      asked.push_back("open " + bsl.metadata.name);
      if (fail_open) throw Error(ErrorCode::invalid, "backup storage location default: no credentials");
      return store;
    };
    return l;
  }
};

}  // namespace

TEST_CASE("velero types: a DownloadRequest and a ServerStatusRequest round-trip byte for byte in Velero's field order") {
  std::string dr =
      R"({"kind":"DownloadRequest","apiVersion":"velero.io/v1","metadata":{"name":"b1-x","namespace":"velero"},)"
      R"("spec":{"target":{"kind":"BackupLog","name":"b1"}},"status":{"phase":"Processed",)"
      R"("downloadURL":"https://h/k?sig","expiration":"2026-12-06T10:10:00Z","message":"m","future":1}})";
  auto d = velero::DownloadRequest::from_json(json::parse(dr, "dr").as_object(), "dr");
  CHECK(d.spec.target.kind == "BackupLog");
  CHECK(d.status.download_url == "https://h/k?sig");
  CHECK(d.status.expiration == parse_rfc3339("2026-12-06T10:10:00Z"));
  CHECK(json::marshal(d.to_json(), {.sort_keys = false}) == dr);
  // An empty status and spec as Velero writes them: target always, status {}.
  velero::DownloadRequest fresh = request("RestoreLog", "r1");
  CHECK(json::marshal(fresh.to_json(), {.sort_keys = false}) ==
        R"({"kind":"DownloadRequest","apiVersion":"velero.io/v1","metadata":{"name":"req","namespace":"velero"},)"
        R"("spec":{"target":{"kind":"RestoreLog","name":"r1"}},"status":{}})");

  std::string ssr =
      R"({"kind":"ServerStatusRequest","apiVersion":"velero.io/v1","metadata":{"name":"s","namespace":"velero"},)"
      R"("spec":{},"status":{"phase":"Processed","processedTimestamp":"2026-12-06T10:00:00Z","serverVersion":"v1.16.0",)"
      R"("plugins":[{"name":"velero.io/aws","kind":"ObjectStore"}]}})";
  auto s = velero::ServerStatusRequest::from_json(json::parse(ssr, "ssr").as_object(), "ssr");
  REQUIRE(s.status.plugins.size() == 1);
  CHECK(s.status.plugins[0].kind == "ObjectStore");
  CHECK(json::marshal(s.to_json(), {.sort_keys = false}) == ssr);
  // A wrong type names the key path.
  std::string msg = error_of([] {
    velero::ServerStatusRequest::from_json(json::parse(R"({"status":{"plugins":[7]}})", "x").as_object(), "ssr.json");
  });
  CHECK(msg.find("ssr.json: status.plugins[0]") != std::string::npos);
}

TEST_CASE("GetDownloadURL: every DownloadTargetKind signs its key of Velero's layout (object_store_layout.go)") {
  auto objects = std::shared_ptr<storage::ObjectStore>(storage::open_memory_store("m"));
  storage::BackupStore store(objects, "cluster-a");
  auto key = [&](std::string_view kind, std::string name) {
    return download_target_key(store, velero::DownloadTarget{std::string(kind), std::move(name), {}});
  };
  namespace k = velero::download_target_kind;
  CHECK(key(k::BackupLog, "b") == "cluster-a/backups/b/b-logs.gz");
  CHECK(key(k::BackupContents, "b") == "cluster-a/backups/b/b.tar.gz");
  CHECK(key(k::BackupVolumeSnapshots, "b") == "cluster-a/backups/b/b-volumesnapshots.json.gz");
  CHECK(key(k::BackupItemOperations, "b") == "cluster-a/backups/b/b-itemoperations.json.gz");
  CHECK(key(k::BackupResourceList, "b") == "cluster-a/backups/b/b-resource-list.json.gz");
  CHECK(key(k::BackupResults, "b") == "cluster-a/backups/b/b-results.gz");
  CHECK(key(k::CSIBackupVolumeSnapshots, "b") == "cluster-a/backups/b/b-csi-volumesnapshots.json.gz");
  CHECK(key(k::CSIBackupVolumeSnapshotContents, "b") == "cluster-a/backups/b/b-csi-volumesnapshotcontents.json.gz");
  CHECK(key(k::BackupVolumeInfos, "b") == "cluster-a/backups/b/b-volumeinfo.json.gz");
  CHECK(key(k::RestoreLog, "r") == "cluster-a/restores/r/restore-r-logs.gz");
  CHECK(key(k::RestoreResults, "r") == "cluster-a/restores/r/restore-r-results.gz");
  CHECK(key(k::RestoreResourceList, "r") == "cluster-a/restores/r/restore-r-resource-list.json.gz");
  CHECK(key(k::RestoreItemOperations, "r") == "cluster-a/restores/r/restore-r-itemoperations.json.gz");
  CHECK(key(k::RestoreVolumeInfo, "r") == "cluster-a/restores/r/r-volumeinfo.json.gz");  // no "restore-" prefix
  CHECK(download_target_kinds().size() == 14);
  int restore_kinds = 0;
  for (auto kind : download_target_kinds()) restore_kinds += is_restore_target(kind);
  CHECK(restore_kinds == 5);
  // Velero's error for a kind it does not know; a name that is not one path segment.
  ErrorCode code{};
  CHECK(error_of([&] { key("BackupPodVolumeBackups", "b"); }, &code) ==
        "unsupported download target kind \"BackupPodVolumeBackups\"");
  CHECK(code == ErrorCode::invalid);
  CHECK(error_of([&] { key(k::BackupLog, "../b"); }).find("not a backup or restore name") != std::string::npos);
  CHECK(error_of([&] { key(k::BackupLog, ""); }).find("not a backup or restore name") != std::string::npos);
  // The memory store's signed URL shows the key signed.
  CHECK(download_url(store, velero::DownloadTarget{"BackupLog", "b", {}}) == "memory://m/cluster-a/backups/b/b-logs.gz");
}

TEST_CASE("download_request_controller: a new request for each target kind is Processed with a URL valid 10 minutes") {
  Fake f;
  f.add_backup("b1", "Completed");
  f.add_location("default");
  f.add_restore("r1", "b1", "Completed");
  for (auto kind : download_target_kinds()) {
    CAPTURE(kind);
    std::string name = is_restore_target(kind) ? "r1" : "b1";
    auto out = process_download_request(request(kind, name), f.lookups(), kNow);
    CHECK(out.action == RequestAction::update_status);
    CHECK(out.status.phase == "Processed");
    CHECK(out.status.expiration == kNow + std::chrono::minutes(10));
    CHECK(out.status.download_url ==
          "memory://bucket/" + download_target_key(*f.store, velero::DownloadTarget{std::string(kind), name, {}}));
    CHECK(out.message.empty());
    CHECK_FALSE(out.retry);
  }
  // A restore target is found through its Restore's backup (spec.backupName), whose BSL opens the store.
  f.asked.clear();
  process_download_request(request("RestoreResults", "r1"), f.lookups(), kNow);
  CHECK(f.asked == std::vector<std::string>{"restore velero/r1", "backup velero/b1", "location velero/default", "open default"});
  // Phase New is processed as an unset phase is.
  auto n = request("BackupLog", "b1");
  n.status.phase = "New";
  CHECK(process_download_request(n, f.lookups(), kNow).status.phase == "Processed");
}

TEST_CASE("download_request_controller: expired requests are deleted whatever their phase; processed ones are left alone") {
  Fake f;
  f.add_backup("b1", "Completed");
  f.add_location("default");
  for (std::string phase : {"Processed", "Failed", "New", ""}) {
    CAPTURE(phase);
    auto r = request("BackupLog", "b1");
    r.status.phase = phase;
    r.status.expiration = kNow - std::chrono::seconds(1);
    CHECK(process_download_request(r, f.lookups(), kNow).action == RequestAction::remove);
  }
  // Not yet expired: Processed and Failed stay as they are (expiration == now is not "before now").
  auto p = request("BackupLog", "b1");
  p.status.phase = "Processed";
  p.status.download_url = "memory://old";
  p.status.expiration = kNow;
  CHECK(process_download_request(p, f.lookups(), kNow).action == RequestAction::none);
  p.status.phase = "Failed";
  CHECK(process_download_request(p, f.lookups(), kNow).action == RequestAction::none);
  // The periodic resync revisits a request once its expiration passed, or one that has none.
  CHECK_FALSE(download_request_due(p, kNow));
  CHECK(download_request_due(p, kNow + std::chrono::seconds(1)));
  CHECK(download_request_due(request("BackupLog", "b1"), kNow));
  // Unprocessed with an expiration still ahead (an earlier attempt failed): processed again.
  auto again = request("BackupLog", "b1");
  again.status.expiration = kNow + std::chrono::minutes(3);
  auto out = process_download_request(again, f.lookups(), kNow);
  CHECK(out.status.phase == "Processed");
  CHECK(out.status.expiration == kNow + std::chrono::minutes(10));
}

TEST_CASE("download_request_controller: unknown backup, restore or location: logged, not retried, collected when it expires") {
  Fake f;
  f.add_location("default");
  f.add_backup("nolocation", "Completed", "gone");
  struct Case {
    std::string kind, name, message;
  };
  for (const Case& c : {Case{"BackupLog", "absent", "fail to get backup for DownloadRequest: backup \"absent\" not found"},
                        Case{"RestoreLog", "absent", "fail to get restore for DownloadRequest: restore \"absent\" not found"},
                        Case{"BackupLog", "nolocation",
                             "BSL for DownloadRequest cannot be found: backup storage location \"gone\" not found"}}) {
    CAPTURE(c.kind);
    CAPTURE(c.name);
    auto out = process_download_request(request(c.kind, c.name), f.lookups(), kNow);
    // Velero's deferred patch still writes the expiration: the request stays unprocessed and the
    // periodic resync deletes it 10 minutes later.
    CHECK(out.action == RequestAction::update_status);
    CHECK(out.status.phase.empty());
    CHECK(out.status.download_url.empty());
    CHECK(out.status.expiration == kNow + std::chrono::minutes(10));
    CHECK(out.message == c.message);
    CHECK_FALSE(out.retry);
    auto later = request(c.kind, c.name);
    later.status = out.status;
    CHECK(process_download_request(later, f.lookups(), kNow + std::chrono::minutes(11)).action == RequestAction::remove);
  }
  // A store that cannot be opened (credentials, config): logged, no retry.
  f.add_backup("b1", "Completed");
  f.fail_open = true;
  auto out = process_download_request(request("BackupLog", "b1"), f.lookups(), kNow);
  CHECK(out.message == "Error getting a backup store: backup storage location default: no credentials");
  CHECK_FALSE(out.retry);
  CHECK(out.status.phase.empty());
  // The API server failing (not "not found"): retried.
  f.fail_gets = true;
  out = process_download_request(request("BackupLog", "b1"), f.lookups(), kNow);
  CHECK(out.retry);
  CHECK(out.message.find("the server is unavailable") != std::string::npos);
}

TEST_CASE("download_request_controller: an unsupported kind is retried until the request expires (Velero returns the error)") {
  Fake f;
  f.add_backup("b1", "Completed");
  f.add_location("default");
  auto out = process_download_request(request("BackupPodVolumeBackups", "b1"), f.lookups(), kNow);
  CHECK(out.retry);
  CHECK(out.status.phase.empty());
  CHECK(out.status.expiration == kNow + std::chrono::minutes(10));
  CHECK(out.message.find("unsupported download target kind \"BackupPodVolumeBackups\"") != std::string::npos);
}

TEST_CASE("download_request_controller: a backup or restore that wrote nothing yet fails the request with Velero's message") {
  Fake f;
  f.add_location("default");
  for (std::string phase : {"New", "Queued", "ReadyToStart", "FailedValidation"}) {
    CAPTURE(phase);
    f.add_backup("b", phase);
    auto out = process_download_request(request("BackupLog", "b"), f.lookups(), kNow);
    CHECK(out.action == RequestAction::update_status);
    CHECK(out.status.phase == "Failed");
    CHECK(out.status.message == "backup \"b\" is in phase \"" + phase + "\" and has not written any artifacts");
    CHECK(out.status.download_url.empty());
    CHECK(out.status.expiration == kNow + std::chrono::minutes(10));
  }
  // InProgress, Failed, Deleting may have a log: signed.
  for (std::string phase : {"InProgress", "Failed", "Deleting", "PartiallyFailed"}) {
    f.add_backup("b", phase);
    CHECK(process_download_request(request("BackupLog", "b"), f.lookups(), kNow).status.phase == "Processed");
  }
  // Restore targets: the restore's phase counts, not its backup's.
  f.add_backup("b", "New");
  for (std::string phase : {"New", "FailedValidation"}) {
    f.add_restore("r", "b", phase);
    auto out = process_download_request(request("RestoreLog", "r"), f.lookups(), kNow);
    CHECK(out.status.phase == "Failed");
    CHECK(out.status.message == "restore \"r\" is in phase \"" + phase + "\" and has not written any artifacts");
  }
  f.add_restore("r", "b", "InProgress");
  CHECK(process_download_request(request("RestoreLog", "r"), f.lookups(), kNow).status.phase == "Processed");
}

TEST_CASE("server_status_request_controller: New → Processed with version and plugins; deleted a minute after processing") {
  velero::ServerStatusRequest r;
  r.metadata.name = "velero-cli-x";
  auto out = process_server_status_request(r, kNow);
  CHECK(out.action == RequestAction::update_status);
  CHECK(out.status.phase == "Processed");
  CHECK(out.status.processed_timestamp == kNow);
  CHECK(out.status.server_version == std::string("v") + version());
  CHECK(out.status.plugins == installed_plugins());  // compared below field by field
  CHECK(out.requeue_after == std::chrono::minutes(5));
  r.status.phase = "New";
  CHECK(process_server_status_request(r, kNow).status.phase == "Processed");

  r.status = out.status;
  auto kept = process_server_status_request(r, kNow + std::chrono::seconds(59));
  CHECK(kept.action == RequestAction::none);
  CHECK(kept.requeue_after == std::chrono::minutes(5));
  // expiration.After(now) is false at exactly processedTimestamp + 1m: deleted.
  CHECK(process_server_status_request(r, kNow + std::chrono::minutes(1)).action == RequestAction::remove);
  r.status.processed_timestamp.reset();
  CHECK(process_server_status_request(r, kNow).action == RequestAction::remove);

  r.status.phase = "Bogus";
  auto bad = process_server_status_request(r, kNow);
  CHECK(bad.action == RequestAction::none);
  CHECK(bad.retry);
  CHECK(bad.message == "unexpected ServerStatusRequest phase");
}

TEST_CASE("ServerStatusRequest plugins: our object stores and built-in item actions, sorted as `velero plugin get` prints them") {
  auto plugins = installed_plugins();
  std::vector<std::string> rows;
  for (const auto& p : plugins) rows.push_back(p.kind + " " + p.name);
  CHECK(std::is_sorted(rows.begin(), rows.end()));
  auto names_of = [&](std::string_view kind) {
    std::vector<std::string> out;
    for (const auto& p : plugins) if (p.kind == kind) out.push_back(p.name);
    return out;
  };
  CHECK(names_of("ObjectStore") == std::vector<std::string>{"velero.io/aws", "velero.io/azure", "velero.io/file"});
  // The lists are the actions the library runs.
  std::vector<std::string> restore_actions;
  for (const auto& a : restore::builtin_restore_item_actions()) restore_actions.emplace_back(a->name());
  CHECK(names_of("RestoreItemAction") == restore_actions);
  CHECK(restore_actions.size() == 21);  // 16 built-in v1 actions, the 4 CSI restorers and dataupload (csi §2, §6)
  ClusterOptions o;
  o.manifests = {testing::source_root() / "examples" / "manifests"};
  auto cluster = Cluster::open(o);
  detail::BackupActionContext context{"b", cluster->source(), [](const std::string&) {}};
  std::vector<std::string> backup_actions;
  for (const auto& a : detail::builtin_backup_item_actions(context)) backup_actions.emplace_back(a->name());
  std::sort(backup_actions.begin(), backup_actions.end());
  CHECK(names_of("BackupItemAction") == backup_actions);
  CHECK(plugins.size() == 3 + backup_actions.size() + restore_actions.size());
}

TEST_CASE("file store: no signed URL, with the reason (a velero client cannot read file://)") {
  testing::TempDir dir("requests-file");
  auto objects = std::shared_ptr<storage::ObjectStore>(storage::open_file_store(dir.path));
  storage::BackupStore store(objects, "");
  ErrorCode code{};
  std::string msg = error_of([&] { download_url(store, velero::DownloadTarget{"BackupLog", "b", {}}); }, &code);
  CHECK(code == ErrorCode::unsupported);
  CHECK(msg.find("no signed URL for backups/b/b-logs.gz") != std::string::npos);
  CHECK(msg.find("velero client") != std::string::npos);
  // Through the controller: Velero's GetDownloadURL error is returned, so the request is retried.
  Fake f;
  f.add_backup("b", "Completed");
  f.add_location("default");
  f.store = std::make_shared<storage::BackupStore>(objects, "");
  auto out = process_download_request(request("BackupLog", "b"), f.lookups(), kNow);
  CHECK(out.retry);
  CHECK(out.message.find("a file store has no HTTP endpoint") != std::string::npos);
}

// Debian's aws CLI v2 presigns with the same credentials; our URL is signed as of the X-Amz-Date
// the CLI used.
TEST_CASE("S3 signed URL equals `aws s3 presign` (SigV4 query signing, X-Amz-Expires), path-style and virtual-hosted") {
  testing::TempDir dir("requests-presign");
  fs::path cfg = dir.write("config", "[default]\nregion = eu-west-3\ns3 =\n  addressing_style = path\n");
  fs::path vcfg = dir.write("vconfig", "[default]\nregion = eu-west-3\n");
  struct Case {
    std::string endpoint, token;
    bool path_style;
    fs::path config;
  };
  const std::string secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  for (const Case& c : {Case{"http://127.0.0.1:9000", "", true, cfg}, Case{"", "tok/en+=", false, vcfg}}) {
    CAPTURE(c.endpoint);
    s3::Config config;
    config.bucket = "velero-backups";
    config.region = "eu-west-3";
    config.endpoint = c.endpoint;
    config.force_path_style = c.path_style;
    s3::S3Store store(config, s3::Credentials{"AKIDEXAMPLE", secret, c.token, "", "test"});
    std::vector<std::string> argv = {"/usr/bin/aws"};
    if (!c.endpoint.empty()) argv.insert(argv.end(), {"--endpoint-url", c.endpoint});
    argv.insert(argv.end(), {"s3", "presign", "s3://velero-backups/backups/b 1/b 1-logs.gz", "--expires-in", "600"});
    testing::Env env = {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY", secret},
                        {"AWS_CONFIG_FILE", c.config.string()}, {"AWS_SHARED_CREDENTIALS_FILE", (dir.path / "none").string()},
                        {"AWS_EC2_METADATA_DISABLED", "true"}, {"HOME", dir.path.string()}};
    if (!c.token.empty()) env.emplace_back("AWS_SESSION_TOKEN", c.token);
    testing::RunResult r = testing::run(argv, env);
    REQUIRE(r.status == 0);
    std::string theirs = r.output.substr(0, r.output.find_last_not_of("\n") + 1);
    std::size_t at = theirs.find("X-Amz-Date=");
    REQUIRE(at != std::string::npos);
    std::string d = theirs.substr(at + 11, 16);  // 20261206T054315Z
    Timestamp when = parse_rfc3339(d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2) + "T" + d.substr(9, 2) +
                                   ":" + d.substr(11, 2) + ":" + d.substr(13, 2) + "Z");
    std::string ours = store.signed_url_at("backups/b 1/b 1-logs.gz", std::chrono::seconds(600), when);
    // The same parameters and signature; botocore appends X-Amz-Security-Token after
    // X-Amz-SignedHeaders, we write the canonical (sorted) order, which S3 reads the same.
    auto parts = [](const std::string& u) {
      std::vector<std::string> out{u.substr(0, u.find('?'))};
      std::string q = u.substr(u.find('?') + 1);
      for (std::size_t i = 0; i <= q.size();) {
        std::size_t amp = std::min(q.find('&', i), q.size());
        out.push_back(q.substr(i, amp - i));
        i = amp + 1;
      }
      std::sort(out.begin() + 1, out.end());
      return out;
    };
    CHECK(parts(ours) == parts(theirs));
    if (c.token.empty()) CHECK(ours == theirs);
    CHECK(ours.find("X-Amz-Expires=600&") != std::string::npos);
    CHECK(ours.find("X-Amz-Signature=") != std::string::npos);
  }
}

TEST_CASE("S3 signed URL of the store is the AWS documentation's presigned URL example (GET test.txt, 86400 s)") {
  // docs.aws.amazon.com AmazonS3 sigv4-query-string-auth: examplebucket, us-east-1, 20130524T000000Z.
  s3::Config config;
  config.bucket = "examplebucket";
  config.region = "us-east-1";
  config.endpoint = "https://s3.amazonaws.com";  // the example's host: examplebucket.s3.amazonaws.com
  s3::S3Store store(config, s3::Credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", "", "doc"});
  std::string url = store.signed_url_at("test.txt", std::chrono::seconds(86400),
                                        parse_rfc3339("2013-05-24T00:00:00Z"));
  CHECK(url ==
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z"
        "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  // SigV4's ceiling for a presigned URL: 7 days.
  CHECK(error_of([&] { store.signed_url("test.txt", std::chrono::hours(24 * 7 + 1)); }).find("between 1 s and 7 days") !=
        std::string::npos);
}
