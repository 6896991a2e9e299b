// run_restore end to end: backups made by our backup (from manifests) and by Velero 1.5.2 (the golden
// tarballs), restored as a dry run into an offline target (the plan, the output folder) and into the
// test API server (created, unchanged, update, the Restore's record and files).
#include "kube_server/kube_server.hpp"
#include "test_helpers.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/manifests.hpp"
#include "vbackup/restore.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

using namespace vbackup;
namespace fs = std::filesystem;

namespace {

Timestamp fixed_now() { return Timestamp(std::chrono::seconds(1764000000)); }

// A location in a temporary folder holding one backup of examples/manifests ("demo").
struct Fixture {
  testing::TempDir dir{"restore"};
  OpenedLocation location = open_location("file://" + (dir.path / "bucket").string());

  void backup(const std::string& name, const std::vector<fs::path>& manifests, velero::BackupSpec spec = {}) {
    auto cluster = Cluster::open({.manifests = manifests});
    velero::Backup b;
    b.metadata.name = name;
    b.spec = std::move(spec);
    BackupOptions o;
    o.now = fixed_now;
    auto r = create_backup(*cluster, location, b, o);
    REQUIRE(r.result.outcome.ok());
  }
  // Copies a Velero 1.5.2 backup of the golden data into the location.
  void golden(const std::string& name) {
    fs::path from = testing::source_root() / "tests/data/velero-1.5.2/bucket/backups" / name;
    for (const auto& e : fs::directory_iterator(from)) {
      location.objects->put(location.backups->backup_dir(name) + e.path().filename().string(), testing::read_file(e.path()));
    }
  }
};

velero::Restore restore_of(const std::string& name, const std::string& backup) {
  velero::Restore r;
  r.metadata.name = name;
  r.spec.backup_name = backup;
  return r;
}

struct Plan {
  std::vector<RestorePlanItem> items;
  std::map<std::string, std::string> action;  // "<kind> <ns>/<name>" → action
  void add(const RestorePlanItem& p) {
    items.push_back(p);
    action[p.api_version_kind + " " + p.namespace_ + "/" + p.name] = p.action;
  }
};

RestoreOptions plan_into(Plan& plan, RestoreOptions::Mode mode = RestoreOptions::Mode::dry_run) {
  RestoreOptions o;
  o.mode = mode;
  o.now = fixed_now;
  o.on_plan = [&plan](const RestorePlanItem& p) { plan.add(p); };
  return o;
}

}  // namespace

TEST_CASE("restore dry run without a cluster: the plan in restore order, and every object in the output folder") {
  Fixture f;
  f.backup("demo", {testing::source_root() / "examples" / "manifests"});
  Plan plan;
  testing::TempDir out{"restore-out"};
  auto run = create_restore(nullptr, f.location, restore_of("r1", "demo"), plan_into(plan), out.path / "plan");
  INFO(run.result.outcome.message);
  CHECK(run.result.outcome.ok());
  CHECK(run.result.restore.status.phase == "Completed");
  // restore §2.2: the CRD comes first; restore §2.1: namespaces before the rest, services after configmaps.
  REQUIRE(!plan.items.empty());
  CHECK(plan.items.front().group_resource == "customresourcedefinitions.apiextensions.k8s.io");
  auto pos = [&](std::string_view gr) {
    auto it = std::find_if(plan.items.begin(), plan.items.end(), [&](const auto& p) { return p.group_resource == gr; });
    return it - plan.items.begin();
  };
  CHECK(pos("namespaces") < pos("configmaps"));
  CHECK(pos("configmaps") < pos("services"));
  CHECK(pos("services") < pos("deployments.apps"));
  CHECK(pos("widgets.example.com") > pos("customresourcedefinitions.apiextensions.k8s.io"));
  for (const auto& p : plan.items) CHECK_MESSAGE(p.action == "create", p.api_version_kind << " " << p.name << ": " << p.reason);
  // The folder holds one file per created object, in creation order, that reads back as the object.
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(out.path / "plan")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  CHECK(files.size() == plan.items.size());
  std::size_t i = 0;
  for (const auto& file : files) {
    manifests::read_manifest_file(file, [&](manifests::ManifestObject&& m) {
      CHECK(json::metadata_string(m.object, "name") == plan.items[i].name);
      // restore §2.3 step 7 and 12: no server fields, the restore labels
      CHECK_FALSE(m.object.contains("status"));
      if (plan.items[i].group_resource != "namespaces") {
        const json::object* labels = json::metadata_map(m.object, "labels");
        REQUIRE(labels);
        CHECK(json::get_string(*labels, "velero.io/restore-name") == "r1");
        CHECK(json::get_string(*labels, "velero.io/backup-name") == "demo");
      }
    }, [](const std::string&) {});
    ++i;
  }
  // A dry run writes nothing to the location.
  CHECK(f.location.objects->list_objects(f.location.backups->restore_dir("r1")).empty());
}

TEST_CASE("restore §2.11: only a Completed or PartiallyFailed backup is restored; validation messages are Velero's") {
  Fixture f;
  f.backup("demo", {testing::source_root() / "examples" / "manifests"});
  Plan scratch;
  SUBCASE("a backup that does not exist") {
    auto r = create_restore(nullptr, f.location, restore_of("r", "nope"), plan_into(scratch)).result;
    CHECK(r.restore.status.phase == "FailedValidation");
    CHECK(r.outcome.code == ErrorCode::invalid);
    REQUIRE(r.restore.status.validation_errors.size() == 1);
    CHECK(r.restore.status.validation_errors[0] == "Error retrieving backup: backup.velero.io \"nope\" not found");
  }
  SUBCASE("a backup in phase Failed") {
    auto b = get_backup(*f.location.backups, "demo");
    b.status.phase = "Failed";
    persistence::put_backup_record(*f.location.backups, b);
    auto r = create_restore(nullptr, f.location, restore_of("r", "demo"), plan_into(scratch)).result;
    CHECK(r.restore.status.validation_errors ==
          std::vector<std::string>{"backup \"demo\" is in phase \"Failed\" and cannot be used as a restore source"});
  }
  SUBCASE("both selectors, a bad policy, exec hooks") {
    auto rs = restore_of("r", "demo");
    rs.spec.label_selector = json::parse(R"({"matchLabels":{"a":"b"}})", "s");
    rs.spec.or_label_selectors.push_back(json::parse(R"({"matchLabels":{"a":"c"}})", "s"));
    rs.spec.existing_resource_policy = "replace";
    rs.spec.hooks = json::parse(R"({"resources":[{"name":"h","postHooks":[{"exec":{"command":["true"]}}]}]})", "h").get_object();
    auto r = create_restore(nullptr, f.location, rs, plan_into(scratch)).result;
    auto& v = r.restore.status.validation_errors;
    CHECK(std::count(v.begin(), v.end(),
                     "encountered labelSelector as well as orLabelSelectors in restore spec, only one can be specified") == 1);
    CHECK(std::count(v.begin(), v.end(), "Invalid ExistingResourcePolicy: replace") == 1);
    CHECK(std::any_of(v.begin(), v.end(), [](const std::string& s) { return s.find("exec hooks") != std::string::npos; }));
  }
  SUBCASE("restoring needs a live cluster") {
    RestoreOptions o;
    CHECK(testing::error_of([&] { create_restore(nullptr, f.location, restore_of("r", "demo"), o); })
              .find("restoring needs a live cluster") != std::string::npos);
  }
}

TEST_CASE("restore of Velero 1.5.2's golden-all as a dry run: every archived item is planned (format 1.1.0 from a real Velero)") {
  Fixture f;
  f.golden("golden-all");
  Plan plan;
  auto r = create_restore(nullptr, f.location, restore_of("r-all", "golden-all"), plan_into(plan)).result;
  INFO(r.outcome.message);
  CHECK(r.outcome.ok());
  std::set<std::string> created;
  for (const auto& p : plan.items) {
    if (p.action == "create") created.insert(p.api_version_kind + " " + p.namespace_ + "/" + p.name);
  }
  // restore §2.8: pv-delete (reclaim Delete, no snapshot) is provisioned dynamically, pv-retain created.
  CHECK(plan.action["v1/PersistentVolume /pv-delete"] == "skip");
  CHECK(created.count("v1/PersistentVolume /pv-retain"));
  // Velero's secret action: the token Secret of an existing ServiceAccount is skipped... in the
  // source namespace; an empty offline target has no ServiceAccount yet, so it is created here.
  CHECK(created.count("apps/v1/Deployment shop/frontend"));
  CHECK(created.count("music.example.io/v1/RockBand music/queen"));
  CHECK(created.count("apiextensions.k8s.io/v1/CustomResourceDefinition /rockbands.music.example.io"));
  CHECK(created.count("v1/Namespace /shop"));
}

namespace {

// A test API server with its kubeconfig, and a Cluster over it.
struct Server {
  kubetest::KubeServer server;
  testing::TempDir dir{"restore-kube"};
  std::unique_ptr<Cluster> cluster;
  explicit Server(kubetest::KubeServerOptions o) : server(prepare(std::move(o))) {
    server.write_kubeconfig(dir.path / "kubeconfig");
    ClusterOptions c;
    c.connect.kubeconfig = (dir.path / "kubeconfig").string();
    cluster = Cluster::open(c);
  }
  static kubetest::KubeServerOptions prepare(kubetest::KubeServerOptions o) {
    o.api.crd_establish_delay = std::chrono::milliseconds(20);
    return o;
  }
  std::optional<json::object> get(std::string_view group, std::string_view resource, const std::string& ns,
                                  const std::string& name) {
    const ApiResource* r = cluster->client()->discovery().find(group, resource);
    REQUIRE(r);
    return cluster->client()->try_get(*r, ns, name);
  }
};

std::string label(const json::object& o, std::string_view key) {
  const json::object* l = json::metadata_map(o, "labels");
  return l ? std::string(json::get_string(*l, key)) : "";
}

}  // namespace

TEST_CASE("migration: a live backup of one test API server restored into another with a namespace mapping; "
          "a second restore changes nothing; update puts a changed object back") {
  Fixture f;
  Server a({.seed = {testing::source_root() / "examples" / "manifests"}});
  {
    velero::Backup b;
    b.metadata.name = "live";
    b.spec.included_namespaces = {"demo"};
    BackupOptions o;
    auto r = create_backup(*a.cluster, f.location, b, o);
    REQUIRE(r.result.outcome.ok());
  }
  Server b({.seed = {testing::source_root() / "tests" / "data" / "velero"}});  // an empty cluster with Velero's CRDs

  auto rs = restore_of("r1", "live");
  rs.spec.namespace_mapping["demo"] = "demo-copy";
  Plan plan;
  RestoreOptions o = plan_into(plan, RestoreOptions::Mode::apply);
  auto run = create_restore(b.cluster.get(), f.location, rs, o);
  INFO(run.result.outcome.message);
  for (const auto& p : plan.items) INFO(p.api_version_kind << " " << p.namespace_ << "/" << p.name << " " << p.action << " " << p.reason);
  REQUIRE(run.result.outcome.ok());
  CHECK(run.result.restore.status.phase == "Completed");
  CHECK(run.result.restore.status.errors == 0);

  // restore §2.7: every namespaced object lands in the mapped namespace; the namespace keeps the
  // source's labels and gets no restore labels (corpus Surprise 7).
  auto ns = b.get("", "namespaces", "", "demo-copy");
  REQUIRE(ns);
  CHECK(label(*ns, "velero.io/restore-name").empty());
  CHECK_FALSE(b.get("", "namespaces", "", "demo"));
  auto web = b.get("apps", "deployments", "demo-copy", "web");
  REQUIRE(web);
  CHECK(label(*web, "velero.io/restore-name") == "r1");
  CHECK(label(*web, "velero.io/backup-name") == "live");
  auto svc = b.get("", "services", "demo-copy", "web");
  REQUIRE(svc);
  CHECK(b.get("", "configmaps", "demo-copy", "web-config"));
  // The Restore CR in the target (Velero's CRDs are installed there), with its final phase.
  auto cr = b.get("velero.io", "restores", "velero", "r1");
  REQUIRE(cr);
  CHECK(json::get_string(*json::find_object(*cr, "status"), "phase") == "Completed");
  // restores/r1/ in the location: log, results, resource list, record.
  auto keys = f.location.objects->list_objects(f.location.backups->restore_dir("r1"));
  CHECK(keys.size() == 4);
  auto details = describe_restore(*f.location.backups, "r1", true);
  CHECK(details.restore.status.phase == "Completed");
  REQUIRE(details.has_resource_list);
  auto& deployments = details.resource_list["apps/v1/Deployment"];
  CHECK(std::count(deployments.begin(), deployments.end(), "demo-copy/web(created)") == 1);
  CHECK(restore_logs(*f.location.backups, "r1").find("restore=velero/r1") != std::string::npos);

  SUBCASE("restore §2.6, velero#1948: restoring again with none reports every object unchanged, without a warning") {
    Plan again;
    auto rs2 = restore_of("r2", "live");
    rs2.spec.namespace_mapping["demo"] = "demo-copy";
    rs2.spec.existing_resource_policy = "none";
    auto r2 = create_restore(b.cluster.get(), f.location, rs2, plan_into(again, RestoreOptions::Mode::apply)).result;
    INFO(r2.outcome.message);
    CHECK(r2.restore.status.phase == "Completed");
    CHECK(r2.restore.status.warnings == 0);
    for (const auto& p : again.items) {
      if (p.group_resource == "namespaces") continue;
      CHECK_MESSAGE(p.action == "unchanged", p.api_version_kind << " " << p.name << ": " << p.action << " " << p.reason);
    }
  }
  SUBCASE("restore §2.6 update: a changed object is put back; the diff shows it first") {
    const ApiResource* cms = b.cluster->client()->discovery().find("", "configmaps");
    b.cluster->client()->patch(*cms, "demo-copy", "web-config", kube::PatchType::merge, R"({"data":{"greeting":"changed"}})");
    auto rs3 = restore_of("r3", "live");
    rs3.spec.namespace_mapping["demo"] = "demo-copy";
    rs3.spec.existing_resource_policy = "update";
    Plan diff;
    auto d = create_restore(b.cluster.get(), f.location, rs3, plan_into(diff, RestoreOptions::Mode::diff)).result;
    CHECK(d.outcome.ok());
    CHECK(diff.action["v1/ConfigMap demo-copy/web-config"] == "update");
    auto it = std::find_if(diff.items.begin(), diff.items.end(), [](const auto& p) { return p.name == "web-config"; });
    REQUIRE(it != diff.items.end());
    CHECK(it->diff.find("changed") != std::string::npos);
    CHECK(diff.action["apps/v1/Deployment demo-copy/web"] == "unchanged");
    // The diff wrote nothing.
    CHECK(json::get_string(*json::find_object(*b.get("", "configmaps", "demo-copy", "web-config"), "data"), "greeting") == "changed");
    CHECK(f.location.objects->list_objects(f.location.backups->restore_dir("r3")).empty());

    Plan applied;
    auto r3 = create_restore(b.cluster.get(), f.location, rs3, plan_into(applied, RestoreOptions::Mode::apply)).result;
    CHECK(r3.outcome.ok());
    CHECK(applied.action["v1/ConfigMap demo-copy/web-config"] == "updated");
    CHECK(json::get_string(*json::find_object(*b.get("", "configmaps", "demo-copy", "web-config"), "data"), "greeting") != "changed");
  }
}
