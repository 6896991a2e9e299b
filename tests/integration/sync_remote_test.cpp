// spec §2.2 credentials from the Secret a BackupStorageLocation names (spec.credential), as Velero's
// credentials file store hands them to the aws plugin (an AWS shared credentials file) and the azure
// plugin (KEY=VALUE lines): two test API servers share one bucket on moto (and a container on
// Azurite); a backup made on A with the Secret's key is synced to B with B's Secret; a wrong key
// name or a missing Secret is a clear error.
#include "kube_server/kube_server.hpp"
#include "test_helpers.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/sync.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using namespace vbackup;
namespace fs = std::filesystem;

namespace {

const fs::path kDemo = testing::source_root() / "examples" / "manifests";
const fs::path kVeleroCrds = testing::source_root() / "tests" / "data" / "velero";

struct ClusterServer {
  kubetest::KubeServer server;
  testing::TempDir dir{"sync-remote"};
  std::unique_ptr<Cluster> cluster;
  explicit ClusterServer(bool demo) : server(options(demo)) {
    server.write_kubeconfig(dir.path / "kubeconfig");
    ClusterOptions c;
    c.connect.kubeconfig = (dir.path / "kubeconfig").string();
    cluster = Cluster::open(c);
  }
  static kubetest::KubeServerOptions options(bool demo) {
    kubetest::KubeServerOptions o;
    if (demo) o.seed.push_back(kDemo);
    o.seed.push_back(kVeleroCrds);
    return o;
  }
  kube::KubeClient& client() { return *cluster->client(); }
  // A Secret in the Velero namespace (stringData, as `kubectl create secret generic --from-file` makes data).
  void secret(const std::string& name, const std::string& key, const std::string& value) {
    const ApiResource* r = client().discovery().find("", "secrets");
    REQUIRE(r);
    client().create(*r, json::object{{"apiVersion", "v1"}, {"kind", "Secret"},
                                     {"metadata", json::object{{"name", name}, {"namespace", "velero"}}},
                                     {"stringData", json::object{{key, value}}}});
  }
  velero::BackupStorageLocation bsl(const json::object& o) {
    const ApiResource* r = client().discovery().find("velero.io", "backupstoragelocations");
    REQUIRE(r);
    client().create(*r, o, "velero");
    auto l = get_location(client(), "velero", std::string(json::metadata_string(o, "name")));
    REQUIRE(l);
    return *l;
  }
  std::string phase(const std::string& name) {
    const ApiResource* r = client().discovery().find("velero.io", "backups");
    auto o = client().try_get(*r, "velero", name);
    if (!o) return "<absent>";
    const json::object* st = json::find_object(*o, "status");
    return st ? std::string(json::get_string(*st, "phase")) : "";
  }
};

json::object bsl_json(const std::string& name, const std::string& provider, const std::string& bucket,
                      json::object config, const std::string& secret, const std::string& key) {
  return json::object{
      {"apiVersion", "velero.io/v1"},
      {"kind", "BackupStorageLocation"},
      {"metadata", json::object{{"name", name}, {"namespace", "velero"}}},
      {"spec", json::object{{"provider", provider},
                            {"objectStorage", json::object{{"bucket", bucket}, {"prefix", "team"}}},
                            {"config", std::move(config)},
                            {"credential", json::object{{"name", secret}, {"key", key}}}}}};
}

void backup_on(ClusterServer& a, OpenedLocation& location, const std::string& name) {
  velero::Backup b;
  b.metadata.name = name;
  b.spec.included_namespaces = {"demo"};
  BackupOptions o;
  o.record_in_cluster = RecordInCluster::always;
  auto run = create_backup(*a.cluster, location, b, o);
  INFO(run.result.outcome.message << " / " << run.note);
  REQUIRE(run.result.outcome.ok());
}

}  // namespace

TEST_CASE("spec §2.2 spec.credential: an AWS credentials file in a Secret opens moto; B syncs with its own Secret") {
  // Nothing but the Secret may authenticate.
  for (const char* v : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE"}) ::unsetenv(v);
  ::setenv("HOME", testing::scratch_dir().c_str(), 1);
  testing::S3Emulator moto = testing::start_moto();
  moto.aws_ok({"s3api", "create-bucket", "--bucket", "sync-creds"});
  const std::string creds = "[default]\naws_access_key_id = " + moto.access_key + "\naws_secret_access_key = " + moto.secret + "\n";
  json::object config{{"region", "us-east-1"}, {"s3ForcePathStyle", "true"}, {"s3Url", moto.endpoint}};

  ClusterServer a(true), b(false);
  a.secret("cloud-credentials", "cloud", creds);
  b.secret("velero-creds", "aws", creds);  // another Secret name and key on B
  auto on_a_bsl = a.bsl(bsl_json("default", "aws", "sync-creds", config, "cloud-credentials", "cloud"));
  OpenedLocation on_a = open_bsl(a.client(), on_a_bsl, "velero");
  CHECK(on_a.location.url().find(moto.secret) == std::string::npos);
  backup_on(a, on_a, "m1");
  CHECK(on_a.backups->list_backups() == std::vector<std::string>{"m1"});

  auto on_b_bsl = b.bsl(bsl_json("primary", "aws", "sync-creds", config, "velero-creds", "aws"));
  CHECK(validate_location(on_b_bsl, &b.client(), "velero", Timestamp{}).phase == "Available");
  SyncResult r = sync_location(*b.cluster, "primary");
  INFO(json::marshal(r.to_json()));
  CHECK(r.created == std::vector<std::string>{"m1"});
  CHECK(b.phase("m1") == "Completed");

  // A key the Secret does not have: Velero's words, the Secret and the key named.
  auto wrong = b.bsl(bsl_json("wrong", "aws", "sync-creds", config, "velero-creds", "cloud"));
  CHECK_THROWS_WITH_AS(open_bsl(b.client(), wrong, "velero"),
                       "unable to get key for secret: \"velero-creds\" secret is missing data for key \"cloud\" (namespace velero)",
                       Error);
  auto st = validate_location(wrong, &b.client(), "velero", Timestamp{});
  CHECK(st.phase == "Unavailable");
  CHECK(st.message.find("missing data for key \"cloud\"") != std::string::npos);
  // A Secret that is not there.
  auto missing = b.bsl(bsl_json("missing", "aws", "sync-creds", config, "no-such-secret", "cloud"));
  CHECK_THROWS_WITH_AS(sync_location(*b.cluster, "missing"),
                       "unable to get key for secret: secret \"no-such-secret\" not found in namespace velero", Error);
  // Keys that moto refuses: Unavailable, naming where the credentials came from, never the secret.
  b.secret("bad-creds", "cloud", "[default]\naws_access_key_id = AKIAXXXXXXXXXXXXXXXX\naws_secret_access_key = nope\n");
  auto bad = b.bsl(bsl_json("bad", "aws", "sync-creds", config, "bad-creds", "cloud"));
  st = validate_location(bad, &b.client(), "velero", Timestamp{});
  CHECK(st.phase == "Unavailable");
  CHECK(st.message.find("nope") == std::string::npos);
  // A Secret without the [default] profile: the credentials file's own error, naming the Secret.
  b.secret("no-profile", "cloud", "[other]\naws_access_key_id = a\naws_secret_access_key = b\n");
  auto np = b.bsl(bsl_json("np", "aws", "sync-creds", config, "no-profile", "cloud"));
  st = validate_location(np, &b.client(), "velero", Timestamp{});
  CHECK(st.phase == "Unavailable");
  CHECK(st.message.find("Secret \"no-profile\" key \"cloud\"") != std::string::npos);
  CHECK(st.message.find("no profile \"default\"") != std::string::npos);
  // Without a cluster the Secret cannot be read: the BSL must name a credentials file.
  CHECK_THROWS_AS(location_from_bsl(on_a_bsl), Error);
}

TEST_CASE("spec §2.2 spec.credential: Azure KEY=VALUE lines in a Secret open Azurite") {
  ::unsetenv("AZURE_STORAGE_ACCOUNT_ACCESS_KEY");
  ::unsetenv("AZURE_CREDENTIALS_FILE");
  testing::Azurite az("sync");
  REQUIRE_MESSAGE(az.error().empty(), az.error());
  auto made = testing::run({"/usr/bin/python3", (testing::source_root() / "tests/support/azure_sharedkey_client.py").string(),
                            "--endpoint", az.endpoint(), "--account", testing::Azurite::kAccount, "--key",
                            testing::Azurite::kKey, "create-container", "synced"});
  REQUIRE_MESSAGE(made.status == 0, made.output);
  json::object config{{"storageAccount", testing::Azurite::kAccount},
                      {"storageAccountKeyEnvVar", "AZURE_STORAGE_ACCOUNT_ACCESS_KEY"},
                      {"storageAccountURI", az.endpoint()}};
  ClusterServer a(true), b(false);
  const std::string env_file = std::string("AZURE_STORAGE_ACCOUNT_ACCESS_KEY=") + testing::Azurite::kKey + "\nAZURE_CLOUD_NAME=AzurePublicCloud\n";
  a.secret("cloud-credentials", "cloud", env_file);
  b.secret("cloud-credentials", "cloud", env_file);
  auto on_a_bsl = a.bsl(bsl_json("default", "azure", "synced", config, "cloud-credentials", "cloud"));
  OpenedLocation on_a = open_bsl(a.client(), on_a_bsl, "velero");
  backup_on(a, on_a, "z1");
  b.bsl(bsl_json("default", "azure", "synced", config, "cloud-credentials", "cloud"));
  SyncResult r = sync_location(*b.cluster, "default");
  INFO(json::marshal(r.to_json()));
  CHECK(r.created == std::vector<std::string>{"z1"});
  CHECK(b.phase("z1") == "Completed");
  // A Secret without the variable the BSL names.
  b.secret("other", "cloud", "AZURE_CLIENT_SECRET=x\n");
  auto no_key = b.bsl(bsl_json("nokey", "azure", "synced", config, "other", "cloud"));
  auto st = validate_location(no_key, &b.client(), "velero", Timestamp{});
  CHECK(st.phase == "Unavailable");
  CHECK(st.message.find("AZURE_STORAGE_ACCOUNT_ACCESS_KEY") != std::string::npos);
  CHECK(st.message.find("Secret \"other\" key \"cloud\"") != std::string::npos);
}
