// The backup runner: Velero's request preparation, validation, per-item rules, related items, the
// CRD rule, results and the upload order, over a real manifests source and the real file store.
#include "test_helpers.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/location.hpp"
#include "vbackup/error.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>

using namespace vbackup;
namespace fs = std::filesystem;
namespace phase = velero::backup_phase;

namespace {

using testing::TempDir;

// Records the order in which objects become visible, over the real file store.
class RecordingStore final : public storage::ObjectStore {
 public:
  explicit RecordingStore(std::unique_ptr<storage::ObjectStore> inner, int fail_on_commit = -1)
      : inner_(std::move(inner)), fail_on_commit_(fail_on_commit) {}
  std::vector<std::string> commits;

  std::unique_ptr<storage::ObjectWriter> open_write(const std::string& key) override {
    class W final : public storage::ObjectWriter {
     public:
      W(RecordingStore& s, std::string key, std::unique_ptr<storage::ObjectWriter> w)
          : s_(s), key_(std::move(key)), w_(std::move(w)) {}
      void write(const void* d, std::size_t n) override { w_->write(d, n); }
      void commit() override {
        if (static_cast<int>(s_.commits.size()) == s_.fail_on_commit_) {
          throw Error(ErrorCode::storage, "injected failure committing " + key_);
        }
        w_->commit();
        s_.commits.push_back(key_);
      }
      std::uint64_t bytes_written() const override { return w_->bytes_written(); }

     private:
      RecordingStore& s_;
      std::string key_;
      std::unique_ptr<storage::ObjectWriter> w_;
    };
    return std::make_unique<W>(*this, key, inner_->open_write(key));
  }
  std::unique_ptr<InputStream> get(const std::string& k, const storage::ByteRange& r) override { return inner_->get(k, r); }
  bool exists(const std::string& k) override { return inner_->exists(k); }
  std::vector<std::string> list_common_prefixes(const std::string& p, const std::string& d) override {
    return inner_->list_common_prefixes(p, d);
  }
  std::vector<std::string> list_objects(const std::string& p) override { return inner_->list_objects(p); }
  void remove(const std::string& k) override { inner_->remove(k); }
  std::string signed_url(const std::string& k, std::chrono::seconds t) override { return inner_->signed_url(k, t); }
  std::string describe() const override { return inner_->describe(); }

 private:
  std::unique_ptr<storage::ObjectStore> inner_;
  int fail_on_commit_;
};

struct Fixture {
  TempDir manifests, bucket;
  std::shared_ptr<RecordingStore> objects;
  std::unique_ptr<storage::BackupStore> store;
  storage::Location location;
  explicit Fixture(int fail_on_commit = -1) {
    objects = std::make_shared<RecordingStore>(storage::open_file_store(bucket.path), fail_on_commit);
    store = std::make_unique<storage::BackupStore>(objects, "");
    location.provider = "file";
    location.bucket = bucket.path.string();
  }
  velero::Backup run(velero::Backup b, BackupOptions options = {}, ManifestSourceOptions so = {}) {
    auto source = open_manifest_source({manifests.path}, so);
    options.now = [] { return Timestamp(std::chrono::seconds(1764000000)); };  // 2025-11-24T16:00:00Z
    return run_backup(std::move(b), *source, *store, location, options).backup;
  }
  // The paths in the stored tarball, and the bodies by path.
  std::map<std::string, std::string> tarball(const std::string& name) {
    auto in = objects->get(store->backup_contents_key(name), {});
    archive::ArchiveReader r(*in, name);
    std::map<std::string, std::string> out;
    archive::Entry e;
    while (r.next(e)) out[e.path] = r.read_body(1 << 20);
    return out;
  }
  std::set<std::string> paths(const std::string& name) {
    std::set<std::string> s;
    for (const auto& [p, body] : tarball(name)) s.insert(p);
    return s;
  }
};

velero::Backup named(const std::string& name) {
  velero::Backup b;
  b.metadata.name = name;
  return b;
}

const char* kApp = R"(apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: app, labels: {tier: web}}
data: {k: v}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: app}
spec: {replicas: 1}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: app}
spec:
  volumeName: pv-data
  storageClassName: fast
  selector: {matchLabels: {velero.io/x: y}}
  dataSource: {kind: VolumeSnapshot, name: snap}
status: {phase: Bound}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-data}
spec: {capacity: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-unrelated}
spec: {capacity: {storage: 1Gi}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other, namespace: second}
)";

}  // namespace

TEST_CASE("spec §1.2, §2.3: a backup writes Velero's files, the record last (spec §3.1)") {
  Fixture f;
  f.manifests.write("app.yaml", kApp);
  auto b = f.run(named("b1"));
  REQUIRE(b.status.phase == phase::Completed);
  CHECK(b.status.errors == 0);
  CHECK(b.status.format_version == "1.1.0");
  CHECK(b.status.version == 1);
  REQUIRE(b.status.progress);
  CHECK(b.status.progress->items_backed_up == b.status.progress->total_items);
  CHECK(b.status.progress->items_backed_up == 8);  // 2 cm, deploy, pvc, 2 pv, 2 implied namespaces
  // ttl default 720h, expiration = start + ttl (spec §3.2)
  CHECK(format_duration(b.spec.ttl) == "720h0m0s");
  CHECK(format_rfc3339(*b.status.expiration) == "2025-12-24T16:00:00Z");
  std::vector<std::string> expected_files{
      "backups/b1/b1-checksums.json",  // issue 16 (brief s3-seal): every backup's checksum manifest
      "backups/b1/b1-itemoperations.json.gz", "backups/b1/b1-logs.gz",
      "backups/b1/b1-podvolumebackups.json.gz", "backups/b1/b1-resource-list.json.gz",
      "backups/b1/b1-results.gz", "backups/b1/b1-volumeinfo.json.gz",
      "backups/b1/b1-volumesnapshots.json.gz", "backups/b1/b1.tar.gz", "backups/b1/velero-backup.json"};
  CHECK(f.objects->list_objects("backups/b1/") == expected_files);
  REQUIRE(!f.objects->commits.empty());
  CHECK(f.objects->commits.front() == "backups/b1/b1.tar.gz");
  CHECK(f.objects->commits.back() == "backups/b1/velero-backup.json");
  // The stored record reads back as what was returned.
  auto stored = get_backup(*f.store, "b1");
  CHECK(stored.status.phase == phase::Completed);
  CHECK(velero::write_backup_json(stored) == velero::write_backup_json(b));
}

TEST_CASE("spec §1.2: every preferred-version object twice; metadata/version first") {
  Fixture f;
  f.manifests.write("app.yaml", kApp);
  f.run(named("b"));
  auto files = f.tarball("b");
  CHECK(files.at("metadata/version") == "1.1.0\n");
  CHECK(files.at("resources/configmaps/namespaces/app/cfg.json") ==
        files.at("resources/configmaps/v1-preferredversion/namespaces/app/cfg.json"));
  CHECK(files.count("resources/deployments.apps/v1-preferredversion/namespaces/app/web.json"));
  CHECK(files.count("resources/namespaces/cluster/app.json"));
  CHECK(files.count("resources/namespaces/v1-preferredversion/cluster/second.json"));
  // spec §1.3: sorted compact JSON, the object as stored
  CHECK(files.at("resources/configmaps/namespaces/app/cfg.json") ==
        R"({"apiVersion":"v1","data":{"k":"v"},"kind":"ConfigMap","metadata":{"labels":{"tier":"web"},"name":"cfg","namespace":"app"}})");
}

TEST_CASE("spec §1.3: the PVC action brings the bound PV and cleans the claim") {
  Fixture f;
  f.manifests.write("app.yaml", kApp);
  velero::Backup b = named("b");
  b.spec.included_namespaces = {"app"};  // cluster-scoped types are not collected directly
  auto r = f.run(b);
  REQUIRE(r.status.phase == phase::Completed);
  auto files = f.tarball("b");
  CHECK(files.count("resources/persistentvolumes/cluster/pv-data.json"));
  CHECK_FALSE(files.count("resources/persistentvolumes/cluster/pv-unrelated.json"));
  const std::string& pvc = files.at("resources/persistentvolumeclaims/namespaces/app/data.json");
  CHECK(pvc.find("dataSource") == std::string::npos);
  CHECK(pvc.find("selector") == std::string::npos);  // cleared unless storageClassName is ""
  CHECK_FALSE(files.count("resources/configmaps/namespaces/second/other.json"));
  CHECK(files.count("resources/namespaces/cluster/app.json"));
  CHECK_FALSE(files.count("resources/namespaces/cluster/second.json"));
}

TEST_CASE("spec §5.8: exclude label and deletionTimestamp skip items") {
  Fixture f;
  f.manifests.write("a.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: keep, namespace: ns}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: excluded, namespace: ns, labels: {velero.io/exclude-from-backup: "true"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-excluded, namespace: ns, labels: {velero.io/exclude-from-backup: "false"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: deleting, namespace: ns, deletionTimestamp: "2025-01-01T00:00:00Z"}
)");
  f.run(named("b"));
  auto p = f.paths("b");
  CHECK(p.count("resources/configmaps/namespaces/ns/keep.json"));
  CHECK(p.count("resources/configmaps/namespaces/ns/not-excluded.json"));
  CHECK_FALSE(p.count("resources/configmaps/namespaces/ns/excluded.json"));
  CHECK_FALSE(p.count("resources/configmaps/namespaces/ns/deleting.json"));
}

TEST_CASE("spec §5.5: namespaces labelled velero.io/exclude-from-backup=true are excluded") {
  Fixture f;
  f.manifests.write("a.yaml", R"(apiVersion: v1
kind: Namespace
metadata: {name: skipme, labels: {velero.io/exclude-from-backup: "true"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: skipme}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: kept}
)");
  f.run(named("b"));
  auto p = f.paths("b");
  CHECK(p.count("resources/configmaps/namespaces/kept/b.json"));
  CHECK_FALSE(p.count("resources/configmaps/namespaces/skipme/a.json"));
  CHECK_FALSE(p.count("resources/namespaces/cluster/skipme.json"));
}

TEST_CASE("spec §5.9: the CRD of a backed-up custom resource comes along in a namespace-filtered backup") {
  Fixture f;
  f.manifests.write("crd.yaml", R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: app}
)");
  velero::Backup b = named("b");
  b.spec.included_namespaces = {"app"};
  f.run(b);
  auto p = f.paths("b");
  CHECK(p.count("resources/widgets.example.com/namespaces/app/w.json"));
  CHECK(p.count("resources/widgets.example.com/v1-preferredversion/namespaces/app/w.json"));
  CHECK(p.count("resources/customresourcedefinitions.apiextensions.k8s.io/cluster/widgets.example.com.json"));
  // no Gadget was backed up: its CRD stays out
  CHECK_FALSE(p.count("resources/customresourcedefinitions.apiextensions.k8s.io/cluster/gadgets.example.com.json"));
}

// The two-CRD world of the case above, with labels on the custom resources only.
const char* kLabelledWidgets = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: app, labels: {app: shop}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: app, labels: {app: shop}}
)";

TEST_CASE("spec §5.9 (Velero >= 1.17): a selector-only backup carries the CRD of each custom resource it holds") {
  Fixture f;
  f.manifests.write("crd.yaml", kLabelledWidgets);
  const std::string crd = "resources/customresourcedefinitions.apiextensions.k8s.io/cluster/";
  SUBCASE("--selector") {
    velero::Backup b = named("b");
    b.spec.label_selector = json::parse(R"({"matchLabels": {"app": "shop"}})", "selector");
    CHECK(f.run(b).status.phase == "Completed");
    auto p = f.paths("b");
    CHECK(p.count("resources/widgets.example.com/namespaces/app/w.json"));
    CHECK(p.count(crd + "widgets.example.com.json"));        // unlabelled, yet restorable into a fresh cluster
    CHECK_FALSE(p.count(crd + "gadgets.example.com.json"));  // no Gadget in the backup
  }
  SUBCASE("--or-selector") {
    velero::Backup b = named("b");
    b.spec.or_label_selectors.push_back(json::parse(R"({"matchLabels": {"app": "shop"}})", "s1"));
    b.spec.or_label_selectors.push_back(json::parse(R"({"matchLabels": {"app": "other"}})", "s2"));
    f.run(b);
    CHECK(f.paths("b").count(crd + "widgets.example.com.json"));
  }
  SUBCASE("CRDs excluded by the user: left out") {
    velero::Backup b = named("b");
    b.spec.label_selector = json::parse(R"({"matchLabels": {"app": "shop"}})", "selector");
    b.spec.excluded_cluster_scoped_resources = {"customresourcedefinitions"};
    f.run(b);
    auto p = f.paths("b");
    CHECK(p.count("resources/widgets.example.com/namespaces/app/w.json"));
    CHECK_FALSE(p.count(crd + "widgets.example.com.json"));
  }
  SUBCASE("old filter model with includedResources lacking CRDs: left out (ShouldExclude)") {
    velero::Backup b = named("b");
    b.spec.label_selector = json::parse(R"({"matchLabels": {"app": "shop"}})", "selector");
    b.spec.included_resources = {"widgets.example.com", "configmaps"};
    f.run(b);
    auto p = f.paths("b");
    CHECK(p.count("resources/widgets.example.com/namespaces/app/w.json"));
    CHECK_FALSE(p.count(crd + "widgets.example.com.json"));
  }
  SUBCASE("an unfiltered backup still takes every cluster-scoped resource (spec §9.1)") {
    f.run(named("b"));
    auto p = f.paths("b");
    CHECK(p.count(crd + "widgets.example.com.json"));
    CHECK(p.count(crd + "gadgets.example.com.json"));
  }
}

TEST_CASE("spec §4.2: validation failures write nothing") {
  Fixture f;
  f.manifests.write("app.yaml", kApp);
  auto expect_invalid = [&](velero::Backup b, const std::string& fragment) {
    auto r = f.run(std::move(b));
    CHECK(r.status.phase == phase::FailedValidation);
    bool found = false;
    for (const auto& e : r.status.validation_errors) found = found || e.find(fragment) != std::string::npos;
    CHECK_MESSAGE(found, fragment);
    CHECK(f.objects->list_objects("").empty());
  };
  auto mixed = named("mixed");
  mixed.spec.included_resources = {"pods"};
  mixed.spec.included_cluster_scoped_resources = {"persistentvolumes"};
  expect_invalid(mixed, "They cannot be used together");
  auto bad_ns = named("bad-ns");
  bad_ns.spec.included_namespaces = {"Not_Valid"};
  expect_invalid(bad_ns, "Invalid included/excluded namespace lists: invalid namespace \"Not_Valid\"");
  auto star = named("star");
  star.spec.excluded_resources = {"*"};
  expect_invalid(star, "excludes list cannot contain '*'");
  auto both = named("both");
  both.spec.label_selector = json::value(json::object{{"matchLabels", json::object{{"a", "b"}}}});
  both.spec.or_label_selectors.push_back(json::object{{"matchLabels", json::object{{"c", "d"}}}});
  expect_invalid(both, "only one can be specified");
  auto bad_op = named("bad-op");
  bad_op.spec.label_selector = json::value(json::object{
      {"matchExpressions", json::array{json::object{{"key", "a"}, {"operator", "Near"}, {"values", json::array{"x"}}}}}});
  expect_invalid(bad_op, "spec.labelSelector");
  expect_invalid(named("Upper_Case"), "metadata.name");
  expect_invalid(named(""), "metadata.name");
  f.location.read_only = true;
  expect_invalid(named("ro"), "read-only mode");
}

TEST_CASE("spec §2.6: a name that already exists in the location fails the backup and changes nothing") {
  Fixture f;
  f.manifests.write("app.yaml", kApp);
  REQUIRE(f.run(named("dup")).status.phase == phase::Completed);
  auto before = f.objects->get_all("backups/dup/velero-backup.json", 1 << 20);
  auto again = f.run(named("dup"));
  CHECK(again.status.phase == phase::Failed);
  CHECK(again.status.failure_reason == "backup already exists in object storage");
  CHECK(f.objects->get_all("backups/dup/velero-backup.json", 1 << 20) == before);
}

TEST_CASE("an item error makes the backup PartiallyFailed, with every other item present") {
  Fixture f;
  f.manifests.write("good.yaml", kApp);
  f.manifests.write("broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n");  // unclosed flow map
  f.manifests.write("nameless.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n");
  auto b = f.run(named("b"));
  CHECK(b.status.phase == phase::PartiallyFailed);
  CHECK(b.status.errors == 2);
  CHECK(f.paths("b").count("resources/configmaps/namespaces/app/cfg.json"));
  auto d = describe_backup(*f.store, "b", true);
  REQUIRE(d.has_results);
  REQUIRE(d.results.errors.cluster.size() == 2);
  CHECK(d.results.errors.cluster[0].find("broken.yaml") != std::string::npos);
  CHECK(d.results.errors.cluster[1].find("neither metadata.name nor metadata.generateName") != std::string::npos);
  // the log records the same errors, at level error
  auto log = backup_logs(*f.store, "b");
  CHECK(log.find("level=error") != std::string::npos);
  CHECK(log.find("backup=velero/b") != std::string::npos);
}

TEST_CASE("a failed upload leaves no visible backup") {
  for (int fail_at : {0, 1, 5}) {
    CAPTURE(fail_at);
    Fixture f(fail_at);
    f.manifests.write("app.yaml", kApp);
    auto b = f.run(named("b"));
    CHECK(b.status.phase == phase::Failed);
    CHECK(b.status.failure_reason.find("injected failure") != std::string::npos);
    CHECK(f.objects->list_objects("").empty());
    CHECK(list_backups(*f.store).empty());
  }
}

TEST_CASE("cancelling from the progress callback stops the backup and leaves nothing behind") {
  Fixture f;
  f.manifests.write("app.yaml", kApp);
  BackupOptions o;
  int calls = 0;
  o.on_progress = [&](const BackupProgress&) { return ++calls < 3; };
  CHECK_THROWS_AS(f.run(named("b"), o), Error);
  CHECK(f.objects->list_objects("").empty());
}

TEST_CASE("progress: the total comes from the source's counts before listing, and equals the count at the end") {
  Fixture f;
  f.manifests.write("app.yaml", kApp);
  std::vector<BackupProgress> seen;
  BackupOptions o;
  o.on_progress = [&](const BackupProgress& p) { seen.push_back(p); return true; };
  auto b = f.run(named("b"), o);
  REQUIRE(seen.size() >= 2);
  // 2 ConfigMaps, a Deployment, a PVC and 2 PVs are counted ahead; the 2 Namespaces come at the end.
  CHECK(seen.front().items_backed_up < 6);
  CHECK(seen.front().total_items == 6);
  for (const auto& p : seen) CHECK(p.total_items >= p.items_backed_up);
  CHECK(seen.back().items_backed_up == 8);
  CHECK(seen.back().total_items == 8);
  CHECK(b.status.progress->total_items == 8);

  // With a label selector the source cannot count: the total is the running count.
  seen.clear();
  velero::Backup sel = named("s");
  sel.spec.label_selector = json::value(json::object{{"matchLabels", json::object{{"tier", "web"}}}});
  f.run(std::move(sel), o);
  REQUIRE_FALSE(seen.empty());
  for (const auto& p : seen) CHECK(p.total_items == p.items_backed_up);
}

TEST_CASE("the item hook can change an item, skip it, or bring others in (BackupItemAction)") {
  Fixture f;
  f.manifests.write("app.yaml", kApp);
  BackupOptions o;
  o.on_item = [](BackupItem& item) {
    std::string name(json::metadata_string(item.object, "name"));
    if (item.resource.name == "configmaps" && name == "cfg") item.object["data"] = json::object{{"k", "changed"}};
    if (item.resource.name == "configmaps" && name == "other") item.skip = true;
    if (item.resource.name == "deployments") item.additional.push_back({"persistentvolumes", "", "pv-unrelated"});
  };
  velero::Backup b = named("b");
  b.spec.included_namespaces = {"app", "second"};
  f.run(b, o);
  auto files = f.tarball("b");
  CHECK(files.at("resources/configmaps/namespaces/app/cfg.json").find("changed") != std::string::npos);
  CHECK_FALSE(files.count("resources/configmaps/namespaces/second/other.json"));
  CHECK(files.count("resources/persistentvolumes/cluster/pv-unrelated.json"));
}

TEST_CASE("spec §1.2: an object in a non-preferred version; from manifests it also keeps the plain copy") {
  Fixture f;
  f.manifests.write("hpa.yaml", R"(apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: h, namespace: app}
spec: {maxReplicas: 3, scaleTargetRef: {kind: Deployment, name: web}}
)");
  auto b = f.run(named("b"));
  CHECK(b.status.phase == phase::Completed);
  CHECK(b.status.warnings == 1);
  auto p = f.paths("b");
  CHECK(p.count("resources/horizontalpodautoscalers.autoscaling/v1/namespaces/app/h.json"));
  CHECK(p.count("resources/horizontalpodautoscalers.autoscaling/namespaces/app/h.json"));
  CHECK_FALSE(p.count("resources/horizontalpodautoscalers.autoscaling/v1-preferredversion/namespaces/app/h.json"));
}

TEST_CASE("manifests: generateName, default namespace, duplicates and unknown kinds") {
  Fixture f;
  f.manifests.write("a.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {generateName: job-}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: dup, namespace: ns}
data: {v: first}
---
apiVersion: unknown.example.com/v1
kind: Gizmo
metadata: {name: g, namespace: ns}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv, namespace: ignored}
)");
  f.manifests.write("b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup, namespace: ns}\ndata: {v: second}\n");
  auto b = f.run(named("b"));
  CHECK(b.status.phase == phase::Completed);
  CHECK(b.status.warnings == 2);  // the duplicate and the guessed kind
  auto files = f.tarball("b");
  int generated = 0;
  for (const auto& [path, body] : files) {
    if (path.starts_with("resources/configmaps/namespaces/default/job-") ||
        path.starts_with("resources/configmaps/v1-preferredversion/namespaces/default/job-")) {
      ++generated;
    }
  }
  CHECK(generated == 2);  // plain + preferred-version copy
  CHECK(files.at("resources/configmaps/namespaces/ns/dup.json").find("second") != std::string::npos);
  CHECK(files.count("resources/gizmos.unknown.example.com/namespaces/ns/g.json"));
  // a cluster-scoped object's namespace is dropped, as the API server drops it
  CHECK(files.at("resources/persistentvolumes/cluster/pv.json").find("ignored") == std::string::npos);
  CHECK(files.count("resources/namespaces/cluster/default.json"));  // implied Namespace objects
}

TEST_CASE("zstd compression writes an archive our reader reads back") {
  Fixture f;
  f.manifests.write("app.yaml", kApp);
  BackupOptions o;
  o.compression = archive::Compression::zstd;
  f.run(named("z"), o);
  auto raw = f.objects->get_all("backups/z/z.tar.gz", 1 << 20);
  REQUIRE(raw.size() > 4);
  CHECK(static_cast<unsigned char>(raw[0]) == 0x28);  // zstd magic 28 B5 2F FD
  CHECK(f.paths("z").count("resources/deployments.apps/namespaces/app/web.json"));
}

TEST_CASE("spec §2.3: side files — resource list and results") {
  Fixture f;
  f.manifests.write("app.yaml", kApp);
  f.run(named("b"));
  auto d = describe_backup(*f.store, "b", true);
  REQUIRE(d.has_resource_list);
  CHECK(d.resource_list.at("v1/ConfigMap") == std::vector<std::string>{"app/cfg", "second/other"});
  CHECK(d.resource_list.at("apps/v1/Deployment") == std::vector<std::string>{"app/web"});
  CHECK(d.resource_list.at("v1/PersistentVolume") == std::vector<std::string>{"pv-data", "pv-unrelated"});
  CHECK(d.resource_list.at("v1/Namespace") == std::vector<std::string>{"app", "second"});
  REQUIRE(d.has_results);
  CHECK(d.results.errors.empty());
  // the empty list files are gzip of "null\n", as Go encodes a nil slice (Go's deflate frames the same
  // bytes in 29, zlib in 25; every gzip reader reads both)
  CHECK(gzip_decompress(f.objects->get_all("backups/b/b-volumesnapshots.json.gz", 100), 100, "t") == "null\n");
}

TEST_CASE("spec §5.10: with a selector, Namespace objects come with their items or their own labels") {
  Fixture f;
  f.manifests.write("a.yaml", R"(apiVersion: v1
kind: Namespace
metadata: {name: labelled, labels: {team: x}}
---
apiVersion: v1
kind: Namespace
metadata: {name: empty}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: m, namespace: has-match, labels: {team: x}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: n, namespace: no-match}
)");
  velero::Backup b = named("b");
  b.spec.label_selector = json::value(json::object{{"matchLabels", json::object{{"team", "x"}}}});
  f.run(b);
  auto p = f.paths("b");
  CHECK(p.count("resources/configmaps/namespaces/has-match/m.json"));
  CHECK_FALSE(p.count("resources/configmaps/namespaces/no-match/n.json"));
  CHECK(p.count("resources/namespaces/cluster/has-match.json"));  // holds a backed-up item
  CHECK(p.count("resources/namespaces/cluster/labelled.json"));   // its labels match
  CHECK_FALSE(p.count("resources/namespaces/cluster/empty.json"));
  CHECK_FALSE(p.count("resources/namespaces/cluster/no-match.json"));
}

TEST_CASE("list, get, describe, logs, download and delete of stored backups") {
  Fixture f;
  f.manifests.write("app.yaml", kApp);
  f.run(named("one"));
  f.run(named("two"));
  auto all = list_backups(*f.store);
  REQUIRE(all.size() == 2);
  CHECK(all[0].metadata.name == "one");
  CHECK_THROWS_AS(get_backup(*f.store, "three"), Error);
  TempDir out;
  download_backup(*f.store, "one", out.path / "one.tar.gz");
  CHECK(fs::file_size(out.path / "one.tar.gz") == f.objects->get_all("backups/one/one.tar.gz", 1 << 20).size());
  CHECK(backup_logs(*f.store, "one").find("Backup completed") != std::string::npos);
  auto deleted = delete_backup(*f.store, "one");
  CHECK(deleted.size() == 10);  // 9 of Velero's + <b>-checksums.json (issue 16, brief s3-seal)
  CHECK(list_backups(*f.store).size() == 1);
  try {
    delete_backup(*f.store, "one");
    FAIL("expected not_found");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::not_found);
  }
}

TEST_CASE("spec §2.2: the location check reports Available, or Unavailable with Velero's reason") {
  Fixture f;
  Timestamp now(std::chrono::seconds(1764000000));
  auto ok = check_location(*f.store, now);
  CHECK(ok.phase == "Available");
  CHECK(ok.message.empty());
  CHECK(ok.last_validation_time == now);
  f.objects->put("other-tool/data", "x");
  auto bad = check_location(*f.store, now);
  CHECK(bad.phase == "Unavailable");
  CHECK(bad.message == "Backup store contains invalid top-level directories: [other-tool]");
}

TEST_CASE("pod action (RelatedItemsForPod): a pod brings its PVCs and PriorityClass") {
  Fixture f;
  f.manifests.write("a.yaml", R"(apiVersion: v1
kind: Pod
metadata: {name: p, namespace: app, labels: {pick: me}}
spec:
  priorityClassName: high
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: claim-a}}
  - {name: cfg, configMap: {name: c}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim-a, namespace: app}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim-unused, namespace: app}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
)");
  // Only the labelled pod is listed; related items are not filtered by selectors (spec §5.10), but
  // they do pass the per-item resource checks (§5.8), so an includedResources list would drop them.
  velero::Backup b = named("b");
  b.spec.label_selector = json::value(json::object{{"matchLabels", json::object{{"pick", "me"}}}});
  f.run(b);
  auto p = f.paths("b");
  CHECK(p.count("resources/pods/namespaces/app/p.json"));
  CHECK(p.count("resources/persistentvolumeclaims/namespaces/app/claim-a.json"));
  CHECK_FALSE(p.count("resources/persistentvolumeclaims/namespaces/app/claim-unused.json"));
  CHECK(p.count("resources/priorityclasses.scheduling.k8s.io/cluster/high.json"));
}

TEST_CASE("service account action: a ServiceAccount brings the ClusterRoleBindings naming it and their roles") {
  Fixture f;
  f.manifests.write("a.yaml", R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: app}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: robot-reads}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: ServiceAccount, name: robot, namespace: app}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: other-binding}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: writer}
subjects: [{kind: ServiceAccount, name: robot, namespace: elsewhere}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: writer}
rules: []
)");
  velero::Backup b = named("b");
  b.spec.included_namespaces = {"app"};  // auto mode: cluster types only as related items
  f.run(b);
  auto p = f.paths("b");
  CHECK(p.count("resources/serviceaccounts/namespaces/app/robot.json"));
  CHECK(p.count("resources/clusterrolebindings.rbac.authorization.k8s.io/cluster/robot-reads.json"));
  CHECK(p.count("resources/clusterroles.rbac.authorization.k8s.io/cluster/reader.json"));
  CHECK_FALSE(p.count("resources/clusterrolebindings.rbac.authorization.k8s.io/cluster/other-binding.json"));
  CHECK_FALSE(p.count("resources/clusterroles.rbac.authorization.k8s.io/cluster/writer.json"));
}

TEST_CASE("spec §5.11: orderedResources puts the named items first, in order, and still filters") {
  Fixture f;
  std::string cms;
  for (const char* n : {"a", "b", "c", "d"}) {
    cms += std::string("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ") + n + ", namespace: ns, labels: {keep: \"yes\"}}\n";
  }
  cms += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: unlabelled, namespace: ns}\n";
  f.manifests.write("a.yaml", cms);
  velero::Backup b = named("b");
  b.spec.ordered_resources["configmaps"] = "ns/c, ns/a,ns/missing,unlabelled,ns/unlabelled";
  b.spec.label_selector = json::value(json::object{{"matchLabels", json::object{{"keep", "yes"}}}});
  f.run(b);
  std::vector<std::string> order;
  auto in = f.objects->get(f.store->backup_contents_key("b"), {});
  archive::ArchiveReader r(*in, "b");
  archive::Entry e;
  while (r.next(e)) {
    if (e.item && e.item->resource == "configmaps" && e.item->version_dir.empty()) order.push_back(e.item->name);
  }
  // c and a first as ordered; "missing" does not exist; "unlabelled" fails the selector
  CHECK(order == std::vector<std::string>{"c", "a", "b", "d"});
}

// The runner's per-item bookkeeping (backup/item_set.hpp).
#include "core/item_set.hpp"

#include <algorithm>
#include <random>

TEST_CASE("ItemSet: insert reports duplicates, erase keeps probing intact, 100k keys") {
  detail::ItemSet set;
  int fresh = 0;
  for (int i = 0; i < 100000; ++i) fresh += set.insert("v1/Pod|ns|pod-" + std::to_string(i));
  CHECK(fresh == 100000);
  CHECK(set.size() == 100000);
  CHECK_FALSE(set.insert("v1/Pod|ns|pod-42"));
  CHECK(set.contains("v1/Pod|ns|pod-99999"));
  CHECK_FALSE(set.contains("v1/Pod|ns|pod-100000"));
  for (int i = 0; i < 100000; i += 3) set.erase("v1/Pod|ns|pod-" + std::to_string(i));
  for (int i = 0; i < 100000; ++i) {
    bool present = set.contains("v1/Pod|ns|pod-" + std::to_string(i));
    if (present != (i % 3 != 0)) FAIL("wrong membership for ", i);
  }
  CHECK(set.insert("v1/Pod|ns|pod-0"));
}

TEST_CASE("SortedSpill: many small runs merge into one sorted, de-duplicated sequence") {
  std::mt19937 rng(3);
  std::vector<std::string> lines;
  detail::SortedSpill spill(4096);  // tiny runs: forces the on-disk merge
  for (int i = 0; i < 5000; ++i) {
    std::string l = "apps/v1/Deployment\tns-" + std::to_string(rng() % 50) + "/d-" + std::to_string(rng() % 2000);
    lines.push_back(l);
    spill.add(l);
  }
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  std::vector<std::string> out;
  spill.for_each_sorted([&](std::string_view l) { out.emplace_back(l); });
  CHECK(out == lines);
}

TEST_CASE("SortedSpill: lines that fit in one run come out sorted and de-duplicated without a file") {
  detail::SortedSpill spill;
  for (const char* l : {"v1/Pod\tb/x", "v1/ConfigMap\ta/y", "v1/Pod\tb/x", "", "apps/v1/Deployment\tc/z"}) spill.add(l);
  std::vector<std::string> out;
  spill.for_each_sorted([&](std::string_view l) { out.emplace_back(l); });
  CHECK(out == std::vector<std::string>{"", "apps/v1/Deployment\tc/z", "v1/ConfigMap\ta/y", "v1/Pod\tb/x"});
}

TEST_CASE("a manifests folder lists objects in the API server's storage-key order") {
  Fixture f;
  f.manifests.write("a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: a}\n---\n"
                              "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: a-b}\n");
  auto source = open_manifest_source({f.manifests.path});
  std::vector<std::string> order;
  source->list(*source->discovery().find("", "configmaps"), {},
               [&](json::object&& o) { order.emplace_back(json::metadata_string(o, "namespace")); });
  CHECK(order == std::vector<std::string>{"a-b", "a"});  // "a-b/x" < "a/x": '-' sorts before '/'
}

TEST_CASE("spec §4.5: a BackupStorageLocation becomes a location; its CA goes to the store's config") {
  auto loc = load_location(R"({"apiVersion":"velero.io/v1","kind":"BackupStorageLocation","metadata":{"name":"main"},
    "spec":{"provider":"velero.io/aws","accessMode":"ReadOnly","config":{"region":"eu-west-1"},
            "objectStorage":{"bucket":"/velero/","prefix":"/cluster-a/","caCert":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"}}})");
  CHECK(loc.provider == "aws");
  CHECK(loc.bucket == "velero");
  CHECK(loc.prefix == "cluster-a");
  CHECK(loc.name == "main");
  CHECK(loc.read_only);
  CHECK(loc.config.at("region") == "eu-west-1");
  CHECK(loc.config.at("caCert") == "-----BEGIN CERTIFICATE-----");  // []byte: base64 in JSON
  try {
    load_location(R"({"apiVersion":"velero.io/v1","kind":"BackupStorageLocation","metadata":{"name":"s"},"spec":{"provider":"aws",
      "credential":{"name":"cloud-credentials","key":"cloud"},"objectStorage":{"bucket":"b"}}})");
    FAIL("expected unsupported");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::unsupported);
    CHECK(std::string(e.what()).find("cloud-credentials") != std::string::npos);
    CHECK(std::string(e.what()).find("credentialsFile") != std::string::npos);
  }
  CHECK_THROWS_AS(load_location(R"({"apiVersion":"velero.io/v1","kind":"BackupStorageLocation","spec":{"provider":"gcp","objectStorage":{"bucket":"b"}}})"),
                  Error);
}
