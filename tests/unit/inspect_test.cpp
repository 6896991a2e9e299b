// Inspecting stored backups (inspect.hpp): a backup's items with the restore filters, one item, and
// what changed between two backups — on our backups and on Velero 1.5.2's.
#include "test_helpers.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/inspect.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace vbackup;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  testing::TempDir dir{"inspect"};
  OpenedLocation location = open_location("file://" + (dir.path / "bucket").string());
  void backup(const std::string& name, const fs::path& manifests) {
    auto cluster = Cluster::open({.manifests = {manifests}});
    velero::Backup b;
    b.metadata.name = name;
    REQUIRE(create_backup(*cluster, location, b).result.outcome.ok());
  }
  void golden(const std::string& name) {
    fs::path from = testing::source_root() / "tests/data/velero-1.5.2/bucket/backups" / name;
    for (const auto& e : fs::directory_iterator(from)) {
      location.objects->put(location.backups->backup_dir(name) + e.path().filename().string(), testing::read_file(e.path()));
    }
  }
  std::vector<std::string> items(const std::string& name, InspectOptions o = {}) {
    std::vector<std::string> out;
    list_backup_items(*location.backups, name, o, [&](const BackupItemEntry& e) {
      out.push_back(e.api_version_kind + " " + (e.namespace_.empty() ? "" : e.namespace_ + "/") + e.name);
    });
    return out;
  }
};

}  // namespace

TEST_CASE("inspect: Velero 1.5.2's golden-data, every item once, in restore order; restore filters apply") {
  Fixture f;
  f.golden("golden-data");
  auto all = f.items("golden-data");
  CHECK(all.size() == 21);  // the backup's resource list holds 21 items
  std::set<std::string> unique(all.begin(), all.end());
  CHECK(unique.size() == all.size());
  // restore §2.1: namespaces, then PVs before PVCs, services last of the high list
  auto at = [&](const std::string& s) { return std::find(all.begin(), all.end(), s) - all.begin(); };
  CHECK(at("v1/Namespace data") < at("v1/PersistentVolume pv-retain"));
  CHECK(at("v1/PersistentVolume pv-retain") < at("v1/PersistentVolumeClaim data/pvc-retain"));
  CHECK(at("v1/ConfigMap data/app-config") < at("v1/Service data/np-explicit"));

  InspectOptions o;
  o.filters.label_selector = json::parse(R"({"matchLabels":{"app":"frontend"}})", "selector");
  o.filters.include_cluster_resources = false;
  auto labelled = f.items("golden-data", o);
  CHECK(labelled == std::vector<std::string>{"v1/PersistentVolumeClaim data/pvc-retain", "v1/ConfigMap data/app-config",
                                             "v1/Service data/np-explicit"});
  InspectOptions names;
  names.include_names = {"data/svc-*"};
  CHECK(f.items("golden-data", names).size() == 3);
  InspectOptions bad;
  bad.filters.excluded_namespaces = {"*"};
  CHECK(testing::error_of([&] { f.items("golden-data", bad); }).find("excludes list cannot contain '*'") != std::string::npos);
  CHECK(testing::error_of([&] { f.items("nope"); }).find("backup \"nope\" not found") != std::string::npos);
}

TEST_CASE("inspect: one item by resource, namespace and name (resource names as a restore takes them)") {
  Fixture f;
  f.golden("golden-data");
  auto cm = read_backup_item(*f.location.backups, "golden-data", "configmaps/data/app-config");
  CHECK(json::metadata_string(cm, "name") == "app-config");
  auto pv = read_backup_item(*f.location.backups, "golden-data", "pv/pv-retain");  // a short name
  CHECK(json::get_string(pv, "kind") == "PersistentVolume");
  CHECK(json::metadata_string(read_backup_item(*f.location.backups, "golden-data", "Job/data/batch-job"), "name") == "batch-job");
  CHECK(testing::error_of([&] { read_backup_item(*f.location.backups, "golden-data", "configmaps/data/nope"); }) ==
        "backup golden-data holds no configmaps data/nope");
  CHECK(testing::error_of([&] { read_backup_item(*f.location.backups, "golden-data", "configmaps"); })
            .find("expected <resource>/<namespace>/<name>") != std::string::npos);
}

TEST_CASE("inspect: what changed between two backups — added, removed, changed, and bookkeeping is no change") {
  Fixture f;
  testing::TempDir m1{"inspect-m1"}, m2{"inspect-m2"};
  m1.write("a.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: same, namespace: app, resourceVersion: "1"}
data: {k: v}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: edited, namespace: app}
data: {k: before}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: gone, namespace: app}
)");
  m2.write("a.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: same, namespace: app, resourceVersion: "2"}
data: {k: v}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: edited, namespace: app}
data: {k: after}
---
apiVersion: v1
kind: Secret
metadata: {name: new, namespace: app}
)");
  f.backup("monday", m1.path);
  f.backup("tuesday", m2.path);
  std::vector<BackupItemChange> changes;
  diff_backups(*f.location.backups, "monday", "tuesday", [&](const BackupItemChange& c) { changes.push_back(c); });
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].change == "changed");
  CHECK(changes[0].item.name == "edited");
  CHECK(changes[0].diff.find("-  k: before") != std::string::npos);
  CHECK(changes[0].diff.find("+  k: after") != std::string::npos);
  CHECK(changes[1].change == "removed");
  CHECK(changes[1].item.name == "gone");
  CHECK(changes[2].change == "added");
  CHECK(changes[2].item.api_version_kind == "v1/Secret");
}
