// The velero CLI's read path against this library's DownloadRequest and ServerStatusRequest
// controllers (issue 13, brief i13-requests): requests created with the real kubectl in the test API
// server (Velero's CRDs, tests/data/velero), one reconcile each, then the signed URL fetched with curl
// from moto, s3rver and Azurite (which checks the SAS) and
// compared with the stored file. What `velero backup logs` / `download` / `describe --details` and
// `velero version` / `plugin get` do, minus the CLI.
#include "kube_server/kube_server.hpp"
#include "test_helpers.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/requests.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
using namespace vbackup::requests;
namespace fs = std::filesystem;
using testing::RunResult;

namespace {

const fs::path kVeleroCrds = testing::source_root() / "tests" / "data" / "velero";

Timestamp now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

// The test API server with Velero's CRDs and the velero namespace, kubectl and the library's client.
struct Cluster {
  testing::TempDir dir{"requests-cluster"};
  kubetest::KubeServer server;
  fs::path kubeconfig = dir.path / "kubeconfig";
  std::unique_ptr<kube::KubeClient> client;

  explicit Cluster(const fs::path& crds = kVeleroCrds) : server(options(crds)) {
    server.write_kubeconfig(kubeconfig);
    kube::ConnectOptions c;
    c.kubeconfig = kubeconfig.string();
    client = std::make_unique<kube::KubeClient>(kube::load_rest_config(c));
    kubectl_ok({"get", "namespace", "velero"});  // seeded with the CRDs
  }
  static kubetest::KubeServerOptions options(const fs::path& crds) {
    kubetest::KubeServerOptions o;
    o.seed = {crds};
    o.api.crd_establish_delay = std::chrono::milliseconds(0);
    return o;
  }
  RunResult kubectl(std::vector<std::string> args) {
    std::vector<std::string> argv = {"kubectl", "--kubeconfig", kubeconfig.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run(argv);
  }
  std::string kubectl_ok(std::vector<std::string> args) {
    RunResult r = kubectl(args);
    INFO(r.output);
    REQUIRE(r.status == 0);
    return r.output;
  }
  // `kubectl create -f` of a YAML document.
  void create(const std::string& name, const std::string& yaml) {
    fs::path f = dir.write(name + ".yaml", yaml);
    kubectl_ok({"create", "-f", f.string()});
  }
  json::object get(const std::string& resource, const std::string& name) {
    return json::parse(kubectl_ok({"get", resource, name, "-n", "velero", "-o", "json"}), resource).as_object();
  }
};

std::string config_yaml(const std::map<std::string, std::string>& config) {
  std::string out;
  for (const auto& [k, v] : config) out += "      " + k + ": \"" + v + "\"\n";
  return out;
}

// A BSL, a Completed Backup on it and a Completed Restore of that backup, as velero creates them.
void create_backup_and_restore(Cluster& c, const std::string& location, const std::string& provider,
                               const std::string& bucket, const std::map<std::string, std::string>& config) {
  c.create("bsl-" + location, "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata:\n  name: " + location +
                                  "\n  namespace: velero\nspec:\n  provider: " + provider +
                                  "\n  objectStorage:\n    bucket: " + bucket + "\n    prefix: cluster-a\n  config:\n" +
                                  config_yaml(config));
  c.create("backup-" + location, "apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: b-" + location +
                                     "\n  namespace: velero\nspec:\n  storageLocation: " + location +
                                     "\nstatus:\n  phase: Completed\n");
  c.create("restore-" + location, "apiVersion: velero.io/v1\nkind: Restore\nmetadata:\n  name: r-" + location +
                                      "\n  namespace: velero\nspec:\n  backupName: b-" + location +
                                      "\nstatus:\n  phase: Completed\n");
}

std::shared_ptr<storage::BackupStore> open_store(Cluster& c, const std::string& location) {
  auto bsl = velero::BackupStorageLocation::from_json(c.get("backupstoragelocation", location), location);
  return cluster_lookups(*c.client).open_store(bsl);
}

std::string curl(const std::string& url) {
  RunResult r = testing::run({"curl", "-s", "-f", "--max-time", "30", url});
  INFO(url);
  INFO(r.output);
  REQUIRE(r.status == 0);
  return r.output;
}

// kubectl create a DownloadRequest, reconcile it once, read back what kubectl shows, fetch the URL.
std::string download(Cluster& c, const std::string& request, const std::string& kind, const std::string& name) {
  c.create("dr-" + request, "apiVersion: velero.io/v1\nkind: DownloadRequest\nmetadata:\n  name: " + request +
                                "\n  namespace: velero\nspec:\n  target:\n    kind: " + kind + "\n    name: " + name + "\n");
  Timestamp t = now();
  DownloadRequestOutcome out = reconcile_download_request(*c.client, "velero", request, t);
  INFO(out.message);
  CHECK(out.action == RequestAction::update_status);
  auto dr = velero::DownloadRequest::from_json(c.get("downloadrequest", request), request);
  CHECK(dr.status.phase == "Processed");
  CHECK(dr.status.expiration == t + std::chrono::minutes(10));
  REQUIRE_FALSE(dr.status.download_url.empty());
  CHECK(dr.status.download_url == out.status.download_url);
  return curl(dr.status.download_url);
}

// Every file a backup and a restore have, put into the store, each downloaded through a request.
void round_trip(Cluster& c, const std::string& location) {
  auto store = open_store(c, location);
  std::string b = "b-" + location, r = "r-" + location;
  int n = 0;
  for (auto kind : download_target_kinds()) {
    CAPTURE(kind);
    std::string name = is_restore_target(kind) ? r : b;
    std::string key = download_target_key(*store, velero::DownloadTarget{std::string(kind), name, {}});
    std::string bytes = std::string(kind) + " of " + name + " " + testing::random_bytes(64, n);
    store->objects().put(key, bytes);
    CHECK(download(c, location + "-dl-" + std::to_string(n++), std::string(kind), name) == bytes);
  }
  // A signed URL is good for its key only: the same query on another key is refused.
  std::string url = velero::DownloadRequest::from_json(c.get("downloadrequest", location + "-dl-0"), "dr").status.download_url;
  std::string other = url;
  other.replace(other.find("-logs.gz"), 8, ".tar.gz");
  // Only Azurite checks what it is given: moto without IAM and s3rver (V4 "unimplemented" in its
  // authentication.js) accept any signature; the S3 signature is checked against `aws s3 presign`
  // and the AWS documentation's example in requests_test.cpp and sigv4_test.cpp.
  if (location == "azurite") {
    RunResult refused = testing::run({"curl", "-s", "-f", "--max-time", "30", other});
    CHECK(refused.status != 0);
  }
}

}  // namespace

TEST_CASE("DownloadRequest via kubectl → Processed → curl gets the stored file: moto (no IAM) and s3rver") {
  Cluster c;
  // moto with IAM on answers presigned GETs with a 500 (it reads the Authorization header), so this
  // moto runs without IAM: it serves the URL without checking it; s3rver checks the signature.
  testing::TempDir moto_dir("requests-moto");
  unsigned short port = testing::free_port();
  testing::Process moto({"python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", std::to_string(port)}, {},
                        moto_dir.path / "moto.log");
  testing::wait_for_port(port, moto, "moto server", moto_dir.path / "moto.log");
  std::string moto_url = "http://127.0.0.1:" + std::to_string(port);
  testing::S3Emulator s3rver = testing::start_s3rver();

  testing::EnvVar env;
  env.set("AWS_ACCESS_KEY_ID", s3rver.access_key);
  env.set("AWS_SECRET_ACCESS_KEY", s3rver.secret);
  env.set("AWS_SHARED_CREDENTIALS_FILE", (moto_dir.path / "none").string());
  env.set("AWS_CONFIG_FILE", (moto_dir.path / "none").string());
  env.set("AWS_PROFILE", nullptr);
  env.set("AWS_SESSION_TOKEN", nullptr);
  RunResult mb = testing::run({"/usr/bin/aws", "--endpoint-url", moto_url, "--region", "us-east-1", "s3api",
                               "create-bucket", "--bucket", "vbk-requests"},
                              {{"AWS_EC2_METADATA_DISABLED", "true"}});
  INFO(mb.output);
  REQUIRE(mb.status == 0);

  create_backup_and_restore(c, "moto", "aws", "vbk-requests",
                            {{"region", "us-east-1"}, {"s3Url", moto_url}, {"s3ForcePathStyle", "true"}});
  create_backup_and_restore(c, "s3rver", "velero.io/aws", s3rver.bucket,
                            {{"region", "us-east-1"}, {"s3Url", s3rver.endpoint}, {"s3ForcePathStyle", "true"}});
  SUBCASE("moto") { round_trip(c, "moto"); }
  SUBCASE("s3rver") { round_trip(c, "s3rver"); }
}

TEST_CASE("DownloadRequest via kubectl → Processed → curl gets the stored file: Azurite (read-only blob SAS)") {
  Cluster c;
  testing::Azurite azurite("requests");
  REQUIRE_MESSAGE(azurite.error().empty(), azurite.error());
  testing::EnvVar env("VBK_REQUESTS_AZURE_KEY", testing::Azurite::kKey);
  RunResult mk = testing::run({"/usr/bin/python3", (testing::source_root() / "tests/support/azure_sharedkey_client.py").string(),
                               "--endpoint", azurite.endpoint(), "--account", testing::Azurite::kAccount, "--key",
                               testing::Azurite::kKey, "create-container", "velero"});
  INFO(mk.output);
  REQUIRE(mk.status == 0);
  create_backup_and_restore(c, "azurite", "azure", "velero",
                            {{"storageAccount", testing::Azurite::kAccount},
                             {"storageAccountKeyEnvVar", "VBK_REQUESTS_AZURE_KEY"},
                             {"storageAccountURI", azurite.endpoint()}});
  round_trip(c, "azurite");
  std::string url = velero::DownloadRequest::from_json(c.get("downloadrequest", "azurite-dl-0"), "dr").status.download_url;
  CHECK(url.find("sp=r") != std::string::npos);
  CHECK(url.find("sr=b") != std::string::npos);
  CHECK(url.find(testing::Azurite::kKey) == std::string::npos);
}

TEST_CASE("DownloadRequest in the cluster: failures are written as Velero writes them; expired requests are deleted") {
  Cluster c;
  c.create("bsl", "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata:\n  name: default\n  namespace: velero\n"
                  "spec:\n  provider: aws\n  objectStorage:\n    bucket: b\n  config:\n    region: us-east-1\n");
  c.create("new-backup", "apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: queued\n  namespace: velero\n"
                         "spec:\n  storageLocation: default\nstatus:\n  phase: Queued\n");
  c.create("dr1", "apiVersion: velero.io/v1\nkind: DownloadRequest\nmetadata:\n  name: dr1\n  namespace: velero\n"
                  "spec:\n  target:\n    kind: BackupLog\n    name: queued\n");
  c.create("dr2", "apiVersion: velero.io/v1\nkind: DownloadRequest\nmetadata:\n  name: dr2\n  namespace: velero\n"
                  "spec:\n  target:\n    kind: BackupResults\n    name: absent\n");
  Timestamp t = now();
  // A backup that wrote nothing: Failed with the message, as Velero (main, velero#10252) writes it.
  reconcile_download_request(*c.client, "velero", "dr1", t);
  auto dr1 = velero::DownloadRequest::from_json(c.get("downloadrequest", "dr1"), "dr1");
  CHECK(dr1.status.phase == "Failed");
  CHECK(dr1.status.message == "backup \"queued\" is in phase \"Queued\" and has not written any artifacts");
  CHECK(dr1.status.expiration == t + std::chrono::minutes(10));
  // An unknown backup: logged, only the expiration is written (the phase stays unset).
  auto out = reconcile_download_request(*c.client, "velero", "dr2", t);
  CHECK(out.message == "fail to get backup for DownloadRequest: backup \"absent\" not found");
  auto dr2 = velero::DownloadRequest::from_json(c.get("downloadrequest", "dr2"), "dr2");
  CHECK(dr2.status.phase.empty());
  CHECK(dr2.status.expiration == t + std::chrono::minutes(10));
  // Before the expiration nothing changes; after it both are deleted.
  CHECK(reconcile_download_request(*c.client, "velero", "dr1", t + std::chrono::minutes(5)).action == RequestAction::none);
  for (std::string name : {"dr1", "dr2"}) {
    CHECK(reconcile_download_request(*c.client, "velero", name, t + std::chrono::minutes(11)).action == RequestAction::remove);
    RunResult gone = c.kubectl({"get", "downloadrequest", name, "-n", "velero"});
    CHECK(gone.status != 0);
    CHECK(gone.output.find("NotFound") != std::string::npos);
  }
  // A request that is gone: nothing to do.
  CHECK(reconcile_download_request(*c.client, "velero", "dr1", t).action == RequestAction::none);
}

TEST_CASE("ServerStatusRequest via kubectl → Processed with serverVersion and plugins; deleted a minute later") {
  Cluster c;
  c.create("ssr", "apiVersion: velero.io/v1\nkind: ServerStatusRequest\nmetadata:\n  name: velero-cli-abc\n  namespace: velero\n");
  Timestamp t = now();
  auto out = reconcile_server_status_request(*c.client, "velero", "velero-cli-abc", t);
  CHECK(out.action == RequestAction::update_status);
  auto ssr = velero::ServerStatusRequest::from_json(c.get("serverstatusrequest", "velero-cli-abc"), "ssr");
  CHECK(ssr.status.phase == "Processed");
  CHECK(ssr.status.processed_timestamp == t);
  CHECK(ssr.status.server_version == server_version());
  CHECK(ssr.status.plugins == installed_plugins());
  // What velero's CLI reads (pkg/cmd/cli/serverstatus): phase, serverVersion, plugins.
  CHECK(c.kubectl_ok({"get", "serverstatusrequest", "velero-cli-abc", "-n", "velero", "-o",
                      "jsonpath={.status.phase} {.status.serverVersion} {.status.plugins[0].kind}"}) ==
        "Processed " + server_version() + " BackupItemAction");
  CHECK(reconcile_server_status_request(*c.client, "velero", "velero-cli-abc", t + std::chrono::seconds(30)).action ==
        RequestAction::none);
  CHECK(reconcile_server_status_request(*c.client, "velero", "velero-cli-abc", t + std::chrono::minutes(1)).action ==
        RequestAction::remove);
  CHECK(c.kubectl({"get", "serverstatusrequest", "velero-cli-abc", "-n", "velero"}).status != 0);
}

TEST_CASE("with the status subresource (an install that enables it), the status goes through .../status") {
  // Velero's CRDs with `subresources: {status: {}}` on the two request kinds.
  testing::TempDir crds("requests-crds");
  for (const auto& entry : fs::directory_iterator(kVeleroCrds)) {
    std::string text = testing::read_file(entry.path());
    std::string name = entry.path().filename().string();
    if (name.find("downloadrequests") != std::string::npos || name.find("serverstatusrequests") != std::string::npos) {
      std::size_t at = text.find("subresources: {}");
      REQUIRE(at != std::string::npos);
      text.replace(at, 16, "subresources:\n      status: {}");
    }
    crds.write(name, text);
  }
  Cluster c(crds.path);
  c.create("queued", "apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: queued\n  namespace: velero\n"
                     "spec:\n  storageLocation: default\nstatus:\n  phase: New\n");
  c.create("dr", "apiVersion: velero.io/v1\nkind: DownloadRequest\nmetadata:\n  name: dr\n  namespace: velero\n"
                 "spec:\n  target:\n    kind: BackupLog\n    name: queued\n");
  c.create("ssr", "apiVersion: velero.io/v1\nkind: ServerStatusRequest\nmetadata:\n  name: s\n  namespace: velero\n");
  Timestamp t = now();
  reconcile_download_request(*c.client, "velero", "dr", t);
  auto dr = velero::DownloadRequest::from_json(c.get("downloadrequest", "dr"), "dr");
  CHECK(dr.status.phase == "Failed");
  CHECK(dr.status.message == "backup \"queued\" is in phase \"New\" and has not written any artifacts");
  reconcile_server_status_request(*c.client, "velero", "s", t);
  auto ssr = velero::ServerStatusRequest::from_json(c.get("serverstatusrequest", "s"), "s");
  CHECK(ssr.status.phase == "Processed");
  CHECK(ssr.status.plugins == installed_plugins());
}
