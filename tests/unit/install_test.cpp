// `vbackup install` (issue 13, brief i13-install): Velero's CRDs as deploy/crds holds them, the
// resources velero install builds (pkg/install/resources.go, deployment.go), velero's validation
// messages (pkg/cmd/cli/install/install.go), and install() against the test API server and the real
// kubectl: CRDs first and Established, the rest after, AlreadyExists fine on a second run.
#include "kube_server/kube_server.hpp"
#include "kube_server/kubectl_runner.hpp"
#include "test_helpers.hpp"
#include "vbackup/install.hpp"
#include "vbackup/manifests.hpp"
#include "vbackup/time.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <thread>

using namespace vbackup;
namespace fs = std::filesystem;
using kubetest::testing::Kubectl;

namespace {

const fs::path kCrdDir = testing::source_root() / "deploy" / "crds";

// velero install's order: config/crd/v1/bases by file name, then config/crd/v2alpha1/bases.
const std::vector<std::string> kVeleroOrder = {
    "backuprepositories.velero.io", "backups.velero.io",         "backupstoragelocations.velero.io",
    "deletebackuprequests.velero.io", "downloadrequests.velero.io", "podvolumebackups.velero.io",
    "podvolumerestores.velero.io",  "restores.velero.io",        "schedules.velero.io",
    "serverstatusrequests.velero.io", "volumesnapshotlocations.velero.io", "datadownloads.velero.io",
    "datauploads.velero.io"};

std::string name_of(const json::object& o) { return std::string(json::metadata_string(o, "name")); }
std::string kind_of(const json::object& o) { return std::string(json::get_string(o, "kind")); }

InstallOptions aws() {
  InstallOptions o;
  o.provider = "aws";
  o.bucket = "backups";
  o.prefix = "cluster-a";
  o.backup_location_config = {{"region", "us-east-2"}, {"s3ForcePathStyle", "true"}};
  o.secret_data = "[default]\naws_access_key_id=AKIA\n";
  return o;
}

const json::object& find(const std::vector<json::object>& rs, std::string_view kind) {
  auto it = std::find_if(rs.begin(), rs.end(), [&](const json::object& o) { return kind_of(o) == kind; });
  REQUIRE(it != rs.end());
  return *it;
}

bool has(const std::vector<json::object>& rs, std::string_view kind) {
  return std::any_of(rs.begin(), rs.end(), [&](const json::object& o) { return kind_of(o) == kind; });
}

const json::object& container(const json::object& deployment) {
  return deployment.at("spec").at("template").at("spec").at("containers").at(0).as_object();
}

std::vector<std::string> env_names(const json::object& c) {
  std::vector<std::string> out;
  for (const auto& e : c.at("env").as_array()) out.emplace_back(json::get_string(e.as_object(), "name"));
  return out;
}

void expect_invalid(InstallOptions o, const std::string& message) {
  try {
    validate_install_options(o);
    FAIL("accepted, expected: " << message);
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid);
    CHECK(std::string(e.what()) == message);
  }
}

}  // namespace

TEST_CASE("install.AllCRDs: the embedded CRDs are deploy/crds, unchanged, in velero install's order, labelled component=velero") {
  auto crds = install_crds();
  REQUIRE(crds.size() == kVeleroOrder.size());
  for (std::size_t i = 0; i < crds.size(); ++i) {
    CAPTURE(kVeleroOrder[i]);
    CHECK(name_of(crds[i]) == kVeleroOrder[i]);
    CHECK(kind_of(crds[i]) == "CustomResourceDefinition");
    CHECK(json::get_string(crds[i], "apiVersion") == "apiextensions.k8s.io/v1");
    CHECK(json::marshal(*json::metadata_map(crds[i], "labels")) == R"({"component":"velero"})");
    // The spec is the file's: what the build embedded is what the repository holds.
    std::string plural = kVeleroOrder[i].substr(0, kVeleroOrder[i].find('.'));
    std::vector<json::object> file;
    manifests::read_manifest_file(kCrdDir / ("velero.io_" + plural + ".yaml"),
                                  [&](manifests::ManifestObject&& m) { file.push_back(std::move(m.object)); },
                                  [](const std::string&) {});
    REQUIRE(file.size() == 1);
    CHECK(json::marshal(crds[i].at("spec")) == json::marshal(file[0].at("spec")));
  }
  // Every YAML file of deploy/crds is embedded (a file added there must be listed in src/install/meson.build).
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(kCrdDir)) files += e.path().extension() == ".yaml";
  CHECK(files == crds.size());
}

TEST_CASE("spec §4: Velero's CRDs declare no status subresource (subresources: {}), so status is written with the object") {
  for (const auto& crd : install_crds()) {
    CAPTURE(name_of(crd));
    for (const auto& v : crd.at("spec").at("versions").as_array()) {
      const json::object* sub = json::find_object(v.as_object(), "subresources");
      REQUIRE(sub);
      CHECK(sub->empty());
    }
  }
}

TEST_CASE("install.AllResources: velero install's objects, in its order, every one labelled component=velero") {
  auto rs = install_resources(aws());
  std::vector<std::string> kinds;
  for (std::size_t i = kVeleroOrder.size(); i < rs.size(); ++i) kinds.push_back(kind_of(rs[i]) + "/" + name_of(rs[i]));
  CHECK(kinds == std::vector<std::string>{"Namespace/velero", "ClusterRoleBinding/velero", "ServiceAccount/velero",
                                          "Secret/cloud-credentials", "BackupStorageLocation/default",
                                          "VolumeSnapshotLocation/default", "Deployment/velero"});
  for (const auto& r : rs) {
    CAPTURE(kind_of(r));
    CHECK(json::get_string(*json::metadata_map(r, "labels"), "component") == "velero");
    CHECK(!r.contains("status"));  // appendUnstructured drops status
  }
  const auto& ns = find(rs, "Namespace");
  CHECK(json::get_string(*json::metadata_map(ns, "labels"), "pod-security.kubernetes.io/enforce") == "privileged");
  CHECK(json::get_string(*json::metadata_map(ns, "labels"), "pod-security.kubernetes.io/warn-version") == "latest");
  const auto& crb = find(rs, "ClusterRoleBinding");
  CHECK(json::marshal(crb.at("roleRef")) ==
        R"({"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"})");
  CHECK(json::marshal(crb.at("subjects")) == R"([{"kind":"ServiceAccount","name":"velero","namespace":"velero"}])");
  const auto& secret = find(rs, "Secret");
  CHECK(json::metadata_string(secret, "namespace") == "velero");
  CHECK(json::marshal(secret.at("data")) == R"({"cloud":"W2RlZmF1bHRdCmF3c19hY2Nlc3Nfa2V5X2lkPUFLSUEK"})");
  CHECK(json::get_string(secret, "type") == "Opaque");
  const auto& bsl = find(rs, "BackupStorageLocation");
  CHECK(json::get_string(bsl, "apiVersion") == "velero.io/v1");
  CHECK(json::marshal(bsl.at("spec")) ==
        R"({"config":{"region":"us-east-2","s3ForcePathStyle":"true"},"default":true,)"
        R"("objectStorage":{"bucket":"backups","prefix":"cluster-a"},"provider":"aws"})");
  CHECK(json::marshal(find(rs, "VolumeSnapshotLocation").at("spec")) == R"({"provider":"aws"})");
}

TEST_CASE("deployment.go: the Deployment runs `vbackup server` with Velero's pod template and the credentials mounted") {
  auto o = aws();
  o.image = "registry.example/vbackup:1.2";
  o.features = {"EnableCSI", "X"};
  o.pod_labels = {{"team", "ops"}};
  o.pod_annotations = {{"prometheus.io/port", "9090"}};
  o.garbage_collection_frequency = std::chrono::minutes(90);
  auto d = find(install_resources(o), "Deployment");
  CHECK(json::metadata_string(d, "name") == "velero");
  CHECK(json::marshal(d.at("spec").at("selector")) == R"({"matchLabels":{"deploy":"velero"}})");
  const auto& tmpl = d.at("spec").at("template").as_object();
  CHECK(json::marshal(tmpl.at("metadata").at("labels")) == R"({"component":"velero","deploy":"velero","team":"ops"})");
  CHECK(json::get_string(*json::metadata_map(tmpl, "annotations"), "prometheus.io/port") == "9090");  // the user's wins
  CHECK(json::get_string(tmpl.at("spec").as_object(), "serviceAccountName") == "velero");
  const auto& c = container(d);
  CHECK(json::get_string(c, "image") == "registry.example/vbackup:1.2");
  CHECK(json::get_string(c, "imagePullPolicy") == "IfNotPresent");  // a tag other than latest
  CHECK(json::marshal(c.at("command")) == R"(["vbackup"])");
  CHECK(json::marshal(c.at("args")) == R"(["server","--features=EnableCSI,X","--garbage-collection-frequency=1h30m0s"])");
  CHECK(json::marshal(c.at("resources")) == R"({"limits":{"cpu":"1000m","memory":"512Mi"},"requests":{"cpu":"500m","memory":"128Mi"}})");
  CHECK(json::marshal(c.at("ports")) == R"([{"containerPort":8085,"name":"metrics"}])");
  auto env = env_names(c);
  CHECK(env == std::vector<std::string>{"VELERO_SCRATCH_DIR", "VELERO_NAMESPACE", "LD_LIBRARY_PATH",
                                        "GOOGLE_APPLICATION_CREDENTIALS", "AWS_SHARED_CREDENTIALS_FILE",
                                        "AZURE_CREDENTIALS_FILE", "ALIBABA_CLOUD_CREDENTIALS_FILE"});
  const auto& volumes = tmpl.at("spec").at("volumes").as_array();
  REQUIRE(volumes.size() == 3);
  CHECK(json::marshal(volumes[2]) == R"({"name":"cloud-credentials","secret":{"defaultMode":292,"secretName":"cloud-credentials"}})");

  SUBCASE("--no-secret: no Secret, nothing mounted; --use-volume-snapshots=false: no VSL") {
    auto n = aws();
    n.secret_data.reset();
    n.use_volume_snapshots = false;
    n.image = "vbackup:latest";
    auto rs = install_resources(n);
    CHECK(!has(rs, "Secret"));
    CHECK(!has(rs, "VolumeSnapshotLocation"));
    const auto& nc = container(find(rs, "Deployment"));
    CHECK(env_names(nc).size() == 3);
    CHECK(json::get_string(nc, "imagePullPolicy") == "Always");  // latest
  }
  SUBCASE("the default image is vbackup:<version>, pulled IfNotPresent") {
    auto dc = container(find(install_resources(aws()), "Deployment"));
    CHECK(json::get_string(dc, "image") == default_install_image());
    CHECK(default_install_image().starts_with("vbackup:"));
    CHECK(json::get_string(dc, "imagePullPolicy") == "IfNotPresent");
  }
  SUBCASE("another namespace: ClusterRoleBinding velero-<ns>; --service-account-name: no SA nor binding") {
    auto n = aws();
    n.namespace_ = "backup-system";
    auto rs = install_resources(n);
    CHECK(name_of(find(rs, "ClusterRoleBinding")) == "velero-backup-system");
    CHECK(json::metadata_string(find(rs, "BackupStorageLocation"), "namespace") == "backup-system");
    n.service_account_name = "mine";
    rs = install_resources(n);
    CHECK(!has(rs, "ClusterRoleBinding"));
    CHECK(!has(rs, "ServiceAccount"));
    CHECK(json::get_string(find(rs, "Deployment").at("spec").at("template").at("spec").as_object(), "serviceAccountName") == "mine");
  }
  SUBCASE("--crds-only: the CRDs alone, nothing else validated") {
    InstallOptions n;
    n.crds_only = true;
    CHECK(install_resources(n).size() == kVeleroOrder.size());
  }
}

TEST_CASE("velero install Validate: its messages") {
  InstallOptions none;
  expect_invalid(none, "--provider is required");
  auto o = aws();
  o.bucket = "";
  expect_invalid(o, "--bucket is required");
  o.bucket = "-oops";
  expect_invalid(o, "Bucket names cannot begin with a dash. Bucket name was: -oops");
  o = aws();
  o.no_default_backup_location = true;
  expect_invalid(o, "Cannot use both --bucket and --no-default-backup-location at the same time");
  o.bucket = "";
  expect_invalid(o, "Cannot use both --prefix and --no-default-backup-location at the same time");
  o.prefix = "";
  expect_invalid(o, "Cannot use both --backup-location-config and --no-default-backup-location at the same time");
  o.backup_location_config.clear();
  o.use_volume_snapshots = false;
  expect_invalid(o, "--provider must be empty when using --no-default-backup-location and --use-volume-snapshots=false");
  o.provider = "";
  CHECK_NOTHROW(validate_install_options(o));
  auto rs = install_resources(o);
  CHECK(!has(rs, "BackupStorageLocation"));
  CHECK(!has(rs, "VolumeSnapshotLocation"));
  o = aws();
  o.use_volume_snapshots = false;
  o.snapshot_location_config = {{"region", "x"}};
  expect_invalid(o, "--snapshot-location-config must be empty when --use-volume-snapshots=false");
  o = aws();
  o.garbage_collection_frequency = std::chrono::seconds(-1);
  expect_invalid(o, "--garbage-collection-frequency must be non-negative");
}

TEST_CASE("kubeutil.ParseCPUAndMemoryResources: quantities parse, a request is at most its limit, 0 is unbounded") {
  auto o = aws();
  o.cpu_request = "abc";
  expect_invalid(o, "couldn't parse CPU request \"abc\": quantities must match the regular expression "
                    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  o = aws();
  o.mem_limit = "512Xi";
  expect_invalid(o, "couldn't parse memory limit \"512Xi\": quantities must match the regular expression "
                    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  o.mem_limit = "512iK";
  expect_invalid(o, "couldn't parse memory limit \"512iK\": unable to parse quantity's suffix");
  o = aws();
  o.cpu_request = "1.5";  // 1500m
  o.cpu_limit = "1000m";
  expect_invalid(o, "CPU request \"1.5\" must be less than or equal to CPU limit \"1000m\"");
  o = aws();
  o.mem_request = "1Gi";  // 1073741824 > 1e9
  o.mem_limit = "1G";
  expect_invalid(o, "Memory request \"1Gi\" must be less than or equal to Memory limit \"1G\"");
  o.mem_limit = "2e9";
  CHECK_NOTHROW(validate_install_options(o));
  o = aws();
  o.cpu_request = "4";
  o.cpu_limit = "0";  // unbounded: no limit, any request
  o.mem_request = "0";
  auto c = container(find(install_resources(o), "Deployment"));
  CHECK(json::marshal(c.at("resources")) == R"({"limits":{"memory":"512Mi"},"requests":{"cpu":"4"}})");
}

TEST_CASE("install.Install against the test API server: everything created, CRDs Established first; a second run finds them all") {
  kubetest::KubeServer server(kubetest::testing::quick());
  kube::KubeClient client(kube::rest_config(kube::Kubeconfig::parse(server.kubeconfig(), "kubeconfig")));
  auto rs = install_resources(aws());
  std::vector<std::string> lines;
  InstallApplyOptions ao;
  ao.log = [&](std::string_view l) { lines.emplace_back(l); };
  auto first = install(client, rs, ao);
  REQUIRE(first.objects.size() == rs.size());
  for (const auto& o : first.objects) CHECK_MESSAGE(o.action == InstalledObject::Action::created, o.kind << "/" << o.name);
  CHECK(lines.front() == "CustomResourceDefinition/backuprepositories.velero.io: attempting to create resource");
  auto waiting = std::find(lines.begin(), lines.end(), "Waiting for resources to be ready in cluster...");
  REQUIRE(waiting != lines.end());
  CHECK(waiting - lines.begin() == 2 * static_cast<long>(kVeleroOrder.size()));  // every CRD before the wait
  CHECK(lines.back() == "Deployment/velero: created");

  // What the API server holds: the BSL as velero install makes it, the Secret, a served Backup kind.
  const ApiResource* bsls = client.refresh_discovery().find("velero.io", "backupstoragelocations");
  REQUIRE(bsls);
  auto bsl = client.get(*bsls, "velero", "default");
  CHECK(json::get_string(bsl.at("spec").at("objectStorage").as_object(), "bucket") == "backups");
  for (const auto& crd : kVeleroOrder) {
    std::string plural = crd.substr(0, crd.find('.'));
    CHECK_MESSAGE(client.discovery().find("velero.io", plural), plural);
  }

  auto second = install(client, rs, {});
  REQUIRE(second.objects.size() == rs.size());
  for (const auto& o : second.objects) CHECK_MESSAGE(o.action == InstalledObject::Action::already_exists, o.kind << "/" << o.name);
  CHECK(json::marshal(second.objects.back().to_json()) ==
        R"({"action":"already exists","kind":"Deployment","name":"velero","namespace":"velero"})");

  // velero install --apply: server-side apply updates what exists (a new image for the Deployment).
  auto updated = aws();
  updated.image = "registry.example/vbackup:2.0";
  InstallApplyOptions apply;
  apply.apply = true;
  std::vector<std::string> apply_lines;
  apply.log = [&](std::string_view l) { apply_lines.emplace_back(l); };
  auto third = install(client, install_resources(updated), apply);
  for (const auto& o : third.objects) CHECK_MESSAGE(o.action == InstalledObject::Action::applied, o.kind << "/" << o.name);
  CHECK(apply_lines.back() == "Deployment/velero: applied");
  const ApiResource* deployments = client.discovery().find("apps", "deployments");
  REQUIRE(deployments);
  auto deployed = client.get(*deployments, "velero", "velero");
  CHECK(json::get_string(container(deployed), "image") == "registry.example/vbackup:2.0");

  // (json::marshal sorts keys, as Go marshals a map.)
  // Velero's Backup CRD has no status subresource: the status a client writes with the object stays,
  // and .../status is not served.
  const ApiResource* backups = client.discovery().find("velero.io", "backups");
  REQUIRE(backups);
  json::object b{{"apiVersion", "velero.io/v1"}, {"kind", "Backup"},
                 {"metadata", json::object{{"name", "b1"}, {"namespace", "velero"}}},
                 {"spec", json::object{{"includedNamespaces", json::array{"demo"}}}},
                 {"status", json::object{{"phase", "Completed"}}}};
  client.create(*backups, b);
  CHECK(json::get_string(client.get(*backups, "velero", "b1").at("status").as_object(), "phase") == "Completed");
  auto r = client.request("GET", "/apis/velero.io/v1/namespaces/velero/backups/b1/status", {}, {}, true);
  CHECK(r.status == 404);
}

TEST_CASE("install.Install: an error other than AlreadyExists stops it, naming the object") {
  kubetest::KubeServer server(kubetest::testing::quick());
  kube::KubeClient client(kube::rest_config(kube::Kubeconfig::parse(server.kubeconfig(), "kubeconfig")));
  server.api().control(json::object{{"unreadable", json::array{json::object{{"resource", "secrets"}, {"code", 403}}}}});
  try {
    install(client, install_resources(aws()), {});
    FAIL("installed");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).starts_with("Error creating resource Secret/cloud-credentials: POST "));
    CHECK(std::string(e.what()).find("403") != std::string::npos);
  }
}

TEST_CASE("install.Install: CRDs not Established in time, and a kind the server does not serve, are named") {
  auto o = kubetest::testing::quick();
  o.api.crd_establish_delay = std::chrono::seconds(5);
  kubetest::KubeServer server(o);
  kube::KubeClient client(kube::rest_config(kube::Kubeconfig::parse(server.kubeconfig(), "kubeconfig")));
  InstallApplyOptions ao;
  ao.crd_timeout = std::chrono::milliseconds(300);
  try {
    install(client, install_resources(aws()), ao);
    FAIL("installed");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).starts_with("timeout reached, CRDs not ready: "));
    CHECK(std::string(e.what()).find("backuprepositories.velero.io") != std::string::npos);
  }
  json::object foo{{"apiVersion", "example.com/v1"}, {"kind", "Foo"}, {"metadata", json::object{{"name", "x"}}}};
  try {
    install(client, {foo}, {});
    FAIL("installed");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "Error creating resource Foo/x: the server " + server.url() + " serves no Foo in example.com/v1");
  }
}

TEST_CASE("install.DeploymentIsReady (--wait): ready after five polls of Available for 10 s; a timeout names the Deployment") {
  kubetest::KubeServer server(kubetest::testing::quick());
  kube::KubeClient client(kube::rest_config(kube::Kubeconfig::parse(server.kubeconfig(), "kubeconfig")));
  install(client, install_resources(aws()), {});
  // No controller runs in the test API server: the Deployment never becomes Available by itself.
  try {
    wait_for_deployment(client, "velero", std::chrono::milliseconds(1500));
    FAIL("ready");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "Deployment velero/velero is not ready after 1.5s (not Available for 10s): use `kubectl logs deploy/velero -n "
          "velero` to check the deploy logs");
  }
  // What the deployment controller writes: Available since a minute ago.
  const ApiResource* deployments = client.discovery().find("apps", "deployments");
  REQUIRE(deployments);
  auto since = format_rfc3339(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - std::chrono::minutes(1));
  auto d = client.get(*deployments, "velero", "velero");
  d["status"] = json::object{{"conditions", json::array{json::object{{"type", "Available"}, {"status", "True"},
                                                                     {"lastTransitionTime", since}}}}};
  client.request("PUT", "/apis/apps/v1/namespaces/velero/deployments/velero/status", json::marshal(d), "application/json");
  auto started = std::chrono::steady_clock::now();
  CHECK(wait_for_deployment(client, "velero", std::chrono::seconds(30)));
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::seconds(4));  // five observations, a second apart
}

TEST_CASE("real kubectl: `kubectl apply -f deploy/crds` is accepted, `kubectl get crd` lists them; the install List passes `kubectl create --dry-run=client`") {
  kubetest::KubeServer server(kubetest::testing::quick());
  Kubectl kubectl(server);
  auto applied = kubectl("apply -f '" + kCrdDir.string() + "'");
  REQUIRE(applied.code == 0);
  for (const auto& crd : kVeleroOrder) {
    CHECK_MESSAGE(applied.out.find("customresourcedefinition.apiextensions.k8s.io/" + crd + " created") != std::string::npos, crd);
  }
  kube::KubeClient client(kube::rest_config(kube::Kubeconfig::parse(server.kubeconfig(), "kubeconfig")));
  for (const auto& crd : kVeleroOrder) kube::wait_for_crd_established(client, crd, std::chrono::seconds(10));
  auto got = kubectl("get crd -o name");
  REQUIRE(got.code == 0);
  for (const auto& crd : kVeleroOrder) CHECK(got.out.find("customresourcedefinition.apiextensions.k8s.io/" + crd) != std::string::npos);

  // The whole install as one List (what --dry-run -o yaml prints). kubectl validates a `kind: List`
  // against /openapi/v2, which the test API server does not serve (a real one does): the List goes
  // through --validate=false (decoding, every item's kind mapped through discovery), and the same
  // items as `---` documents through kubectl's validation against /openapi/v3.
  auto resources = install_resources(aws());
  kubectl.write("install.yaml", manifests::to_yaml(install_list(resources)));
  std::string documents;
  for (const auto& r : resources) documents += "---\n" + manifests::to_yaml(r);
  kubectl.write("install-documents.yaml", documents);
  for (const char* args : {"create --dry-run=client --validate=false -f install.yaml",
                           "create --dry-run=client -f install-documents.yaml"}) {
    CAPTURE(args);
    auto dry = kubectl(args);
    REQUIRE_MESSAGE(dry.code == 0, dry.err);
    CHECK(dry.out.find("customresourcedefinition.apiextensions.k8s.io/backups.velero.io created (dry run)") != std::string::npos);
    CHECK(dry.out.find("backupstoragelocation.velero.io/default created (dry run)") != std::string::npos);
    CHECK(dry.out.find("deployment.apps/velero created (dry run)") != std::string::npos);
  }
  // And the server takes it for real through kubectl too.
  auto real = kubectl("apply -f install-documents.yaml");
  CHECK_MESSAGE(real.code == 0, real.err);
  CHECK(real.out.find("deployment.apps/velero created") != std::string::npos);
  CHECK(real.out.find("secret/cloud-credentials created") != std::string::npos);
  // A Backup with a status, through kubectl: Velero's CRDs keep it with the object.
  kubectl.write("backup.yaml",
                "apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: b1\n  namespace: velero\nspec: {}\n"
                "status:\n  phase: Completed\n");
  REQUIRE(kubectl("create -f backup.yaml").code == 0);
  auto phase = kubectl("get backup b1 -n velero -o jsonpath={.status.phase}");
  CHECK(phase.out == "Completed");
}
