// Issue 16 (brief s3-seal2): a BackupStorageLocation annotated vbackup.io/encrypt-to encrypts every
// backup the server writes to it, to its recipients joined with the Backup's own; an annotation
// that does not parse fails the backup's validation, naming the location.
#include "kube_server/kube_server.hpp"
#include "kube_server/kubectl_runner.hpp"
#include "test_helpers.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/cluster.hpp"
#include "vbackup/location.hpp"
#include "vbackup/sealing.hpp"
#include "vbackup/server.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <thread>

using namespace vbackup;
namespace fs = std::filesystem;

namespace {

template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return true;
}

std::string head(const fs::path& file, std::size_t n) {
  std::ifstream in(file, std::ios::binary);
  std::string s(n, '\0');
  in.read(s.data(), static_cast<std::streamsize>(n));
  s.resize(static_cast<std::size_t>(in.gcount()));
  return s;
}

struct World {
  kubetest::KubeServer api{seeded()};
  testing::TempDir dir{"server-encrypt-to"};
  kubetest::testing::Kubectl kubectl{api};
  fs::path bucket = dir.path / "bucket";
  kube::ConnectOptions connect;
  std::unique_ptr<kube::KubeClient> client;
  std::mutex mutex;
  std::string log;
  std::stop_source stop;
  std::jthread thread;

  explicit World(const std::string& encrypt_to) {
    api.write_kubeconfig(dir.path / "kubeconfig");
    connect.kubeconfig = (dir.path / "kubeconfig").string();
    connect.allow_in_cluster = false;
    client = std::make_unique<kube::KubeClient>(kube::load_rest_config(connect));
    create("bsl.yaml", "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: "
                       "velero, annotations: {vbackup.io/encrypt-to: '" + encrypt_to + "'}}\n"
                       "spec: {provider: file, default: true, objectStorage: {bucket: '" + bucket.string() + "'}}\n");
    server::ServerOptions o;
    o.connect = connect;
    o.metrics_address = "";
    o.leader_elect = false;
    o.watch_timeout = std::chrono::seconds(1);
    o.log = [this](std::string_view level, std::string_view line) {
      std::lock_guard lock(mutex);
      log += std::string(level) + ": " + std::string(line) + "\n";
    };
    thread = std::jthread([this, o] { server::run_server(o, stop.get_token()); });
  }
  ~World() { stop.request_stop(); }
  static kubetest::KubeServerOptions seeded() {
    kubetest::KubeServerOptions o;
    o.seed = {testing::source_root() / "examples" / "manifests", testing::source_root() / "tests" / "data" / "velero"};
    o.api.crd_establish_delay = std::chrono::milliseconds(0);
    return o;
  }
  void create(const std::string& file, const std::string& yaml) {
    kubectl.write(file, yaml);
    auto r = kubectl("create -f " + file);
    REQUIRE_MESSAGE(r.code == 0, r.err);
  }
  std::optional<json::object> backup(const std::string& name) {
    const ApiResource* r = client->discovery().find("velero.io", "backups");
    REQUIRE(r);
    return client->try_get(*r, "velero", name);
  }
  std::string phase(const std::string& name) {
    auto o = backup(name);
    const json::object* st = o ? json::find_object(*o, "status") : nullptr;
    return st ? std::string(json::get_string(*st, "phase")) : "";
  }
  std::string logs() {
    std::lock_guard lock(mutex);
    return log;
  }
};

}  // namespace

TEST_CASE("issue 16: a BSL annotated vbackup.io/encrypt-to encrypts the server's backups, joined with the Backup's recipients") {
  auto location_key = crypto::AgeIdentity::generate();
  auto backup_key = crypto::AgeIdentity::generate();
  World w(location_key.recipient().to_string());
  w.create("backup.yaml", "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b1, namespace: velero, annotations: "
                          "{vbackup.io/encrypt-to: '" + backup_key.recipient().to_string() + "'}}\n"
                          "spec: {includedNamespaces: [demo]}\n");
  bool done = wait_for([&] { return w.phase("b1") == "Completed"; });
  INFO(w.logs());
  REQUIRE(done);
  CHECK(head(w.bucket / "backups" / "b1" / "b1.tar.gz", 22) == "age-encryption.org/v1\n");
  // Both fingerprints recorded on velero-backup.json; each identity alone opens the backup.
  std::ifstream in(w.bucket / "backups" / "b1" / "velero-backup.json");
  std::string record((std::istreambuf_iterator<char>(in)), {});
  CHECK(record.find(location_key.recipient().fingerprint()) != std::string::npos);
  CHECK(record.find(backup_key.recipient().fingerprint()) != std::string::npos);
  storage::BackupStore store(std::shared_ptr<storage::ObjectStore>(storage::open_file_store(w.bucket)), "");
  for (const auto* id : {&location_key, &backup_key}) {
    sealing::OpenOptions o;
    o.identities = {*id};
    auto v = sealing::verify_backup(store, "b1", o);
    CHECK_MESSAGE(v.ok(), json::marshal(v.to_json()));
    CHECK(v.encrypted);
  }
  sealing::OpenOptions none;
  CHECK_THROWS(sealing::verify_backup(store, "b1", none));

  // The same recipient on both: written once.
  w.create("backup2.yaml", "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b2, namespace: velero, annotations: "
                           "{vbackup.io/encrypt-to: '" + location_key.recipient().to_string() + "'}}\n"
                           "spec: {includedNamespaces: [demo]}\n");
  REQUIRE(wait_for([&] { return w.phase("b2") == "Completed"; }));
  std::ifstream in2(w.bucket / "backups" / "b2" / "velero-backup.json");
  std::string record2((std::istreambuf_iterator<char>(in2)), {});
  CHECK(record2.find("\"vbackup.io/encryption-recipients\": \"" + location_key.recipient().fingerprint() + "\"") !=
        std::string::npos);
}

TEST_CASE("issue 16: a BSL whose vbackup.io/encrypt-to does not parse fails the backup's validation, naming the location") {
  World w("not-a-recipient");
  w.create("backup.yaml", "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b1, namespace: velero}\n"
                          "spec: {includedNamespaces: [demo]}\n");
  bool done = wait_for([&] { return w.phase("b1") == "FailedValidation"; });
  INFO(w.logs());
  REQUIRE(done);
  std::string status = json::marshal(w.backup("b1")->at("status"));
  CHECK(status.find("BackupStorageLocation \\\"default\\\"") != std::string::npos);
  CHECK(status.find("vbackup.io/encrypt-to") != std::string::npos);
  CHECK(!fs::exists(w.bucket / "backups" / "b1" / "b1.tar.gz"));
}

TEST_CASE("issue 16: run_backup joins a location's encrypt-to with a flag's recipient; a passphrase cannot join them") {
  testing::TempDir dir("encrypt-to-library");
  dir.write("manifests/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: demo}\ndata: {k: v}\n");
  storage::BackupStore store(std::shared_ptr<storage::ObjectStore>(storage::open_file_store(dir.path / "bucket")), "");
  auto location_key = crypto::AgeIdentity::generate(), flag_key = crypto::AgeIdentity::generate();
  storage::Location loc;
  loc.provider = "file";
  loc.bucket = (dir.path / "bucket").string();
  loc.name = "annotated";
  loc.encrypt_to = location_key.recipient().to_string();
  auto run = [&](const std::string& name, sealing::SealOptions seal) {
    auto source = open_manifest_source({dir.path / "manifests"});
    velero::Backup b;
    b.metadata.name = name;
    BackupOptions o;
    o.seal = std::move(seal);
    return run_backup(b, *source, store, loc, o);
  };
  sealing::SealOptions flag;
  flag.recipients = {flag_key.recipient()};
  auto r = run("joined", flag);
  REQUIRE(r.outcome.code == ErrorCode::ok);
  CHECK(r.backup.metadata.annotations.at("vbackup.io/encryption-recipients") ==
        flag_key.recipient().fingerprint() + "," + location_key.recipient().fingerprint());

  sealing::SealOptions pass;
  pass.recipients = {crypto::AgeRecipient::passphrase("secret", 10)};
  r = run("pass", pass);
  CHECK(r.backup.status.phase == velero::backup_phase::FailedValidation);
  CHECK(r.outcome.message.find("BackupStorageLocation \"annotated\": metadata.annotations[vbackup.io/encrypt-to]: a "
                               "passphrase must be the only recipient") != std::string::npos);
}
