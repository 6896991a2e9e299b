// Migration (issue 11 "Tests"): namespaces backed up live from one test API server (examples/manifests
// and tests/data/restore/migration: a Deployment, a NodePort Service, a ServiceAccount with a token
// Secret, Role/RoleBinding, ClusterRole/Binding naming the SA, a bound PVC and its Retain PV, the
// corpus rockbands CRD with custom resources in three versions) into a location on the file store,
// S3 (moto) and Azure Blob (Azurite), then restored into a second server with a namespace mapping.
// Every object is there with restore §2.5's actions and §2.7's mapping applied where Velero applies
// it (and nowhere else) and the restore labels; a second restore with `none` changes nothing and
// reports every object unchanged; `update` puts a changed object back.
#include "restore_support.hpp"

#include <set>

using namespace vbackup;
using namespace vbackup::testing;
namespace fs = std::filesystem;

namespace {

using Names = std::vector<std::string>;

const std::map<std::string, std::string> kMapping = {{"demo", "demo-copy"}, {"shop", "shop-copy"}};

// The source cluster ("cluster A").
kubetest::KubeServerOptions source_cluster() {
  kubetest::KubeServerOptions o;
  o.seed = {source_root() / "examples" / "manifests",
            source_root() / "tests/data/velero-testdata/velero-enable-api-group-versions/case-b-source-manually-added-mutations.yaml",
            source_root() / "tests/data/restore/migration"};
  return o;
}

const json::object& spec_of(const json::object& o) { return o.at("spec").as_object(); }

// What must hold in the target after the first restore.
void check_migrated(RestoreServer& b, const std::string& restore) {
  // restore §2.7: namespaces mapped, created from the archived ones (labels, annotations; no restore labels).
  for (const auto& [from, to] : kMapping) {
    CAPTURE(to);
    auto ns = b.get("namespaces", "", to);
    REQUIRE(ns);
    CHECK(label_of(*ns, "velero.io/restore-name").empty());
    CHECK_FALSE(b.get("namespaces", "", from));
  }
  CHECK(label_of(*b.get("namespaces", "", "shop-copy"), "purpose") == "shop");
  CHECK(annotation_of(*b.get("namespaces", "", "shop-copy"), "example.com/owner") == "team-shop");
  CHECK(label_of(*b.get("namespaces", "", "demo-copy"), "app.kubernetes.io/part-of") == "demo");

  // Every namespaced object of the examples and the richer set, with the restore labels.
  struct Want {
    const char* gr;
    const char* ns;
    const char* name;
  };
  for (const Want& w : std::initializer_list<Want>{
           {"configmaps", "demo-copy", "web-config"}, {"secrets", "demo-copy", "web-credentials"},
           {"deployments.apps", "demo-copy", "web"}, {"services", "demo-copy", "web"},
           {"persistentvolumeclaims", "demo-copy", "web-data"}, {"widgets.demo.example.com", "demo-copy", "hello"},
           {"deployments.apps", "shop-copy", "cart"}, {"services", "shop-copy", "cart"},
           {"serviceaccounts", "shop-copy", "cart-sa"}, {"secrets", "shop-copy", "cart-sa-extra"},
           {"roles.rbac.authorization.k8s.io", "shop-copy", "cart-role"},
           {"rolebindings.rbac.authorization.k8s.io", "shop-copy", "cart-rb"},
           {"persistentvolumeclaims", "shop-copy", "cart-data"}, {"rockbands.music.example.io", "shop-copy", "beatles"},
           {"rockbands.music.example.io", "shop-copy", "queen"}, {"rockbands.music.example.io", "shop-copy", "ledzeppelin"},
           {"clusterroles.rbac.authorization.k8s.io", "", "shop-reader"},
           {"clusterrolebindings.rbac.authorization.k8s.io", "", "shop-reader-binding"},
           {"persistentvolumes", "", "pv-shop-cart-data"}, {"persistentvolumes", "", "pv-demo-web-data"},
           {"customresourcedefinitions.apiextensions.k8s.io", "", "rockbands.music.example.io"},
           {"customresourcedefinitions.apiextensions.k8s.io", "", "widgets.demo.example.com"}}) {
    CAPTURE(w.gr);
    CAPTURE(w.name);
    auto o = b.get(w.gr, w.ns, w.name);
    REQUIRE(o);
    CHECK(label_of(*o, "velero.io/restore-name") == restore);
    CHECK(label_of(*o, "velero.io/backup-name") == "live");
  }
  // The custom resources: all three, in the storage version, with their specs (spec §6.3 version choice).
  CHECK(json::get_string(spec_of(*b.get("rockbands.music.example.io", "shop-copy", "queen")), "leadSinger") == "Freddie");

  // restore §2.5 velero.io/service: clusterIP cleared (a new one), the explicit nodePort kept
  // (it is in last-applied-configuration), the other port's reassigned.
  auto a_svc = b.get("services", "shop-copy", "cart");
  const json::array& ports = spec_of(*a_svc).at("ports").as_array();
  CHECK(ports[0].as_object().at("nodePort").as_int64() == 30777);
  CHECK(ports[1].as_object().at("nodePort").as_int64() >= 30000);

  // restore §2.5 velero.io/service-account: the token entry of secrets[] removed, the rest kept.
  auto sa = b.get("serviceaccounts", "shop-copy", "cart-sa");
  CHECK(json::marshal(sa->at("secrets")) == R"([{"name":"cart-sa-extra"}])");
  CHECK(json::marshal(sa->at("imagePullSecrets")) == R"([{"name":"regcred"}])");
  // restore §2.5 velero.io/secret with restore §2.7 "not mapped": the ServiceAccounts looked up are
  // those of the *source* namespace (shop) in the target, where there are none, so the token Secret
  // is restored, without the SA uid annotation and the token and ca.crt keys.
  auto token = b.get("secrets", "shop-copy", "cart-sa-token-x7k2p");
  REQUIRE(token);
  CHECK(annotation_of(*token, "kubernetes.io/service-account.uid").empty());
  CHECK(annotation_of(*token, "kubernetes.io/service-account.name") == "cart-sa");
  const json::object* data = json::find_object(*token, "data");
  CHECK((!data || (!data->contains("token") && !data->contains("ca.crt"))));

  // restore §2.5 role bindings: subjects[].namespace mapped; Group names and roleRef untouched.
  auto rb = b.get("rolebindings.rbac.authorization.k8s.io", "shop-copy", "cart-rb");
  const json::array& subjects = rb->at("subjects").as_array();
  CHECK(json::get_string(subjects[0].as_object(), "namespace") == "shop-copy");
  CHECK(json::get_string(subjects[1].as_object(), "name") == "system:serviceaccounts:shop");
  CHECK(json::get_string(rb->at("roleRef").as_object(), "name") == "cart-role");
  auto crb = b.get("clusterrolebindings.rbac.authorization.k8s.io", "", "shop-reader-binding");
  CHECK(json::get_string(crb->at("subjects").as_array()[0].as_object(), "namespace") == "shop-copy");

  // restore §2.8 "none, otherwise" (Retain, no snapshot): created as-is, claimRef remapped, binding
  // info reset; the PVC keeps its volumeName and loses the binding annotations (§2.3 step 9).
  auto pv = b.get("persistentvolumes", "", "pv-shop-cart-data");
  const json::object& claim = spec_of(*pv).at("claimRef").as_object();
  CHECK(json::get_string(claim, "namespace") == "shop-copy");
  CHECK_FALSE(claim.contains("uid"));
  CHECK(annotation_of(*pv, "pv.kubernetes.io/bound-by-controller").empty());
  auto pvc = b.get("persistentvolumeclaims", "shop-copy", "cart-data");
  CHECK(json::get_string(spec_of(*pvc), "volumeName") == "pv-shop-cart-data");
  CHECK(annotation_of(*pvc, "pv.kubernetes.io/bind-completed").empty());
  CHECK(annotation_of(*pvc, "pv.kubernetes.io/bound-by-controller").empty());
}

// The whole migration against one location.
void migrate(OpenedLocation& location) {
  RestoreServer a(source_cluster());
  REQUIRE_MESSAGE(a.server.seed_problems().empty(), a.server.seed_problems().front());
  {
    velero::Backup bk;
    bk.metadata.name = "live";
    bk.spec.included_namespaces = {"demo", "shop"};
    BackupOptions o;
    o.now = restore_test_now;
    auto r = create_backup(*a.cluster, location, bk, o);
    REQUIRE_MESSAGE(r.result.outcome.ok(), r.result.outcome.message);
    CHECK(r.result.backup.status.phase == "Completed");
  }
  RestoreServer b(RestoreServer::like_corpus());

  auto rs = restore_of("first", "live");
  rs.spec.namespace_mapping = kMapping;
  PlanLog plan;
  auto r = create_restore(b.cluster.get(), location, rs, plan_options(plan)).result;
  INFO(plan.dump());
  INFO(r.outcome.message);
  REQUIRE(r.outcome.ok());
  CHECK(r.restore.status.phase == "Completed");
  CHECK(r.restore.status.warnings == 0);
  CHECK(r.restore.status.errors == 0);
  check_migrated(b, "first");
  // The record in the location: restores/first/ has Velero's files and ours.
  auto details = describe_restore(*location.backups, "first", true);
  CHECK(details.restore.status.phase == "Completed");
  CHECK(details.resource_list["apps/v1/Deployment"] == Names{"demo-copy/web(created)", "shop-copy/cart(created)"});

  // restore §2.6 with velero#1948 fixed: again with none, every object unchanged, no warning.
  {
    auto again = restore_of("again", "live");
    again.spec.namespace_mapping = kMapping;
    again.spec.existing_resource_policy = "none";
    PlanLog p2;
    b.server.api().requests(true);
    auto r2 = create_restore(b.cluster.get(), location, again, plan_options(p2)).result;
    // Nothing was written but the Restore CR itself.
    auto requests = b.server.api().requests(false);
    CHECK(std::count_if(requests.begin(), requests.end(), [](const auto& q) { return q.method == "GET"; }) > 20);
    for (const auto& req : requests) {
      if (req.method == "GET") continue;
      CHECK_MESSAGE(req.target.find("/apis/velero.io/v1/namespaces/velero/restores") == 0, req.method << " " << req.target);
    }
    INFO(p2.dump());
    CHECK(r2.restore.status.phase == "Completed");
    CHECK(r2.restore.status.warnings == 0);
    std::size_t unchanged = 0;
    for (const auto& p : p2.items) {
      if (p.group_resource == "namespaces") continue;
      CHECK_MESSAGE(p.action == "unchanged", p.api_version_kind << " " << p.namespace_ << "/" << p.name << ": " << p.action << " " << p.reason);
      ++unchanged;
    }
    CHECK(unchanged == plan.items.size() - plan.count("skipped") - 2);  // the two namespaces created the first time
  }
  // update: a changed object is put back, the rest stays unchanged.
  {
    b.cluster->client()->patch(b.resource("configmaps"), "demo-copy", "web-config", kube::PatchType::merge,
                               R"({"data":{"greeting":"changed"}})");
    b.cluster->client()->patch(b.resource("deployments.apps"), "shop-copy", "cart", kube::PatchType::merge, R"({"spec":{"replicas":1}})");
    // A Service: its server-assigned clusterIP must survive the update (the merge patch sets what
    // the backup sets and removes nothing; an API server refuses a clusterIP change).
    b.cluster->client()->patch(b.resource("services"), "shop-copy", "cart", kube::PatchType::merge,
                               R"({"spec":{"selector":{"app":"other"}}})");
    const std::string cluster_ip(json::get_string(spec_of(*b.get("services", "shop-copy", "cart")), "clusterIP"));
    auto upd = restore_of("update", "live");
    upd.spec.namespace_mapping = kMapping;
    upd.spec.existing_resource_policy = "update";
    PlanLog p3;
    auto r3 = create_restore(b.cluster.get(), location, upd, plan_options(p3)).result;
    INFO(p3.dump());
    CHECK(r3.restore.status.phase == "Completed");
    CHECK(p3.action("v1/ConfigMap demo-copy/web-config") == "updated");
    CHECK(p3.action("apps/v1/Deployment shop-copy/cart") == "updated");
    CHECK(p3.action("v1/Service shop-copy/cart") == "updated");
    CHECK(p3.count("updated") == 3);
    auto svc = b.get("services", "shop-copy", "cart");
    CHECK(json::marshal(spec_of(*svc).at("selector")) == R"({"app":"cart"})");
    CHECK(json::get_string(spec_of(*svc), "clusterIP") == cluster_ip);
    CHECK(spec_of(*svc).at("ports").as_array()[0].as_object().at("nodePort").as_int64() == 30777);
    CHECK(json::get_string(*json::find_object(*b.get("configmaps", "demo-copy", "web-config"), "data"), "greeting") ==
          "Hello from <demo> & friends");
    CHECK(spec_of(*b.get("deployments.apps", "shop-copy", "cart")).at("replicas").as_int64() == 3);
    CHECK(label_of(*b.get("configmaps", "demo-copy", "web-config"), "velero.io/restore-name") == "update");
  }
}

}  // namespace

TEST_CASE("migration through the file store: mapped, transformed, unchanged on the second restore, updated back") {
  RestoreLocation loc;
  migrate(loc.location);
}

TEST_CASE("migration through S3 (moto): the same restore from the bucket") {
  S3Emulator moto = start_moto();
  EnvVar env;
  env.set("AWS_ACCESS_KEY_ID", moto.access_key);
  env.set("AWS_SECRET_ACCESS_KEY", moto.secret);
  env.set("AWS_SESSION_TOKEN", nullptr);
  env.set("AWS_PROFILE", nullptr);
  auto location = open_location("s3://" + moto.bucket + "/migration?region=us-east-1&s3ForcePathStyle=true&s3Url=" + moto.endpoint);
  migrate(location);
  CHECK(location.objects->describe().find(moto.endpoint) != std::string::npos);
}

TEST_CASE("migration through Azure Blob (Azurite): the same restore from the container") {
  Azurite azurite("restore-migration");
  REQUIRE_MESSAGE(azurite.error().empty(), azurite.error());
  auto made = run({"/usr/bin/python3", (source_root() / "tests/support/azure_sharedkey_client.py").string(), "--endpoint",
                   azurite.endpoint(), "--account", Azurite::kAccount, "--key", Azurite::kKey, "create-container", "migration"});
  REQUIRE_MESSAGE(made.status == 0, made.output);
  EnvVar env("VBK_MIGRATION_AZURE_KEY", Azurite::kKey);
  auto location = open_location("azure://migration?storageAccount=" + std::string(Azurite::kAccount) +
                                "&storageAccountKeyEnvVar=VBK_MIGRATION_AZURE_KEY&storageAccountURI=" + azurite.endpoint());
  migrate(location);
}
