// Restore order (restore §2.1, §2.2): Velero's getOrderedResources and TestRestoreResourcePriorities
// restated, the --restore-resource-priorities flag, singular names, CRDs first, and our
// dependency-aware move of admission webhooks and APIServices.
#include "restore/plan/order.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include <unistd.h>

using namespace vbackup;
using namespace vbackup::restore;
namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

namespace {

fs::path spool_dir() {
  fs::path d = fs::temp_directory_path() / ("vbk-restore-order-test-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

// An archive holding one item of each resource given ("<gr>" namespaced in ns, or "<gr>/cluster").
BackupContents archive_of(const Strings& resources, const std::vector<std::pair<std::string, std::string>>& crds = {}) {
  StringOutputStream out;
  archive::ArchiveWriter w(out, archive::Compression::gzip);
  for (const std::string& r : resources) w.add_item(r, "ns", "item", "", "{}");
  for (const auto& [name, body] : crds) w.add_item("customresourcedefinitions.apiextensions.k8s.io", "", name, "", body);
  w.finish();
  StringInputStream in(out.take());
  return BackupContents(in, "t.tar.gz", spool_dir());
}

// The VolumeSnapshotClass CRD as an API server serves it (enough of it for discovery).
const char* kVolumeSnapshotClassCrd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
  "metadata":{"name":"volumesnapshotclasses.snapshot.storage.k8s.io"},
  "spec":{"group":"snapshot.storage.k8s.io","scope":"Cluster",
    "names":{"plural":"volumesnapshotclasses","singular":"volumesnapshotclass","kind":"VolumeSnapshotClass","shortNames":["vsclass"]},
    "versions":[{"name":"v1","served":true,"storage":true}]}})";

// The Velero 1.5.2 golden data, in the tree (copied from ../shared/corpus).
fs::path velero_corpus() {
  const char* root = std::getenv("VBK_SOURCE_ROOT");
  return fs::path(root ? root : ".") / "tests" / "data" / "velero-1.5.2";
}

}  // namespace

TEST_CASE("Test_getOrderedResources: backup resources alone come in alphabetical order") {
  Discovery none;
  CHECK(restore_order(Strings{"backup-resource-3", "backup-resource-2", "backup-resource-1"}, none, Priorities{}) ==
        Strings{"backup-resource-1", "backup-resource-2", "backup-resource-3"});
  // Priorities alone: nothing in the archive, nothing to walk.
  CHECK(restore_order(Strings{}, none, Priorities{{"prio-3", "prio-2", "prio-1"}, {}}).empty());
}

TEST_CASE("Test_getOrderedResources: high priorities, then the rest sorted, then low priorities") {
  Discovery none;
  Strings archive = {"prio-3", "prio-0", "backup-resource-3", "backup-resource-2", "backup-resource-1"};
  CHECK(restore_order(archive, none, Priorities{{"prio-3", "prio-2", "prio-1"}, {}}) ==
        Strings{"prio-3", "backup-resource-1", "backup-resource-2", "backup-resource-3", "prio-0"});
  CHECK(restore_order(archive, none, Priorities{{"prio-3", "prio-2", "prio-1"}, {"prio-0"}}) ==
        Strings{"prio-3", "backup-resource-1", "backup-resource-2", "backup-resource-3", "prio-0"});
  CHECK(restore_order(Strings{"prio-0", "a", "z"}, none, Priorities{{}, {"prio-0"}}) == Strings{"a", "z", "prio-0"});
}

TEST_CASE("TestRestoreResourcePriorities: high [pv, pvc, sa], low [deployments.apps]") {
  auto contents = archive_of({"pods", "persistentvolumes", "deployments.apps", "serviceaccounts", "persistentvolumeclaims"});
  Priorities p{{"persistentvolumes", "persistentvolumeclaims", "serviceaccounts"}, {"deployments.apps"}};
  CHECK(restore_order(contents, builtin_kubernetes_discovery(), p) ==
        Strings{"persistentvolumes", "persistentvolumeclaims", "serviceaccounts", "pods", "deployments.apps"});
}

TEST_CASE("restore §2.1 the default priorities, exactly as config.go lists them") {
  Priorities d = Priorities::defaults();
  CHECK(d.to_string() ==
        "customresourcedefinitions,namespaces,storageclasses,volumesnapshotclass.snapshot.storage.k8s.io,"
        "volumesnapshotcontents.snapshot.storage.k8s.io,volumesnapshots.snapshot.storage.k8s.io,datauploads.velero.io,"
        "persistentvolumes,persistentvolumeclaims,clusterroles,roles,serviceaccounts,clusterrolebindings,rolebindings,"
        "secrets,configmaps,limitranges,priorityclasses,pods,replicasets.apps,clusterclasses.cluster.x-k8s.io,endpoints,"
        "services,-,clusterbootstraps.run.tanzu.vmware.com,clusters.cluster.x-k8s.io,"
        "clusterresourcesets.addons.cluster.x-k8s.io,apps.kappctrl.k14s.io,packageinstalls.packaging.carvel.dev");
  CHECK(d.high.size() == 23);
  CHECK(d.low.size() == 5);
}

TEST_CASE("restore §2.1 --restore-resource-priorities as Velero's flag applies it to the defaults") {
  Priorities d = Priorities::defaults();
  CHECK(Priorities::parse("").to_string() == d.to_string());
  CHECK(Priorities::parse("-").to_string() == d.to_string());
  Priorities only_high = Priorities::parse("pods,services");
  CHECK(only_high.high == Strings{"pods", "services"});
  CHECK(only_high.low == d.low);  // a list without "-" keeps the default low list
  Priorities only_low = Priorities::parse("-,a,b");
  CHECK(only_low.high == d.high);
  CHECK(only_low.low == Strings{"a", "b"});
  CHECK(Priorities::parse("a,-").high == Strings{"a"});
  CHECK(Priorities::parse("a,-").low == d.low);
  Priorities both = Priorities::parse("a,b,-,c");
  CHECK(both.high == Strings{"a", "b"});
  CHECK(both.low == Strings{"c"});
  CHECK(both.to_string() == "a,b,-,c");
  CHECK(Priorities::parse(" a ,b").high == Strings{" a ", "b"});  // not trimmed, as in Go
  CHECK_THROWS_WITH_AS(Priorities::parse("a,-,b,-"), "restore resource priorities: multiple priority separator \"-\" found",
                       Error);
}

TEST_CASE("restore §2.1 the Velero 1.5.2 golden-all backup in the default order") {
  auto tar = open_file(velero_corpus() / "bucket/backups/golden-all/golden-all.tar.gz");
  BackupContents c(*tar, "golden-all.tar.gz", spool_dir());
  // rockbands resolve through the CRD the archive holds, as after Velero's pass 1.
  CHECK(restore_order(c, builtin_kubernetes_discovery(), Priorities::defaults()) ==
        Strings{"customresourcedefinitions.apiextensions.k8s.io", "namespaces", "persistentvolumes",
                "persistentvolumeclaims", "clusterroles.rbac.authorization.k8s.io", "roles.rbac.authorization.k8s.io",
                "serviceaccounts", "clusterrolebindings.rbac.authorization.k8s.io",
                "rolebindings.rbac.authorization.k8s.io", "secrets", "configmaps", "limitranges", "services",
                "deployments.apps", "jobs.batch", "resourcequotas", "rockbands.music.example.io"});
}

TEST_CASE("restore §2.2 CRDs come first even when the user's priorities leave them out") {
  auto c = archive_of({"pods", "customresourcedefinitions.apiextensions.k8s.io", "configmaps"});
  CHECK(restore_order(c, builtin_kubernetes_discovery(), Priorities::parse("pods,configmaps,-")) ==
        Strings{"customresourcedefinitions.apiextensions.k8s.io", "pods", "configmaps"});
}

TEST_CASE("restore §2.1 singular volumesnapshotclass: resolved by discovery, by the archived CRD, or by our rule") {
  Strings resources = {"volumesnapshotclasses.snapshot.storage.k8s.io", "storageclasses.storage.k8s.io",
                       "volumesnapshots.snapshot.storage.k8s.io", "persistentvolumes", "apps.example.io"};
  Strings want = {"storageclasses.storage.k8s.io", "volumesnapshotclasses.snapshot.storage.k8s.io",
                  "volumesnapshots.snapshot.storage.k8s.io", "persistentvolumes", "apps.example.io"};
  // 1. The CRD is installed in the target: the RESTMapper resolves the singular.
  Discovery installed = builtin_kubernetes_discovery();
  installed.add_crd(json::parse(kVolumeSnapshotClassCrd, "crd").as_object());
  CHECK(restore_order(archive_of(resources), installed, Priorities::defaults()) == want);
  // 2. Not installed, but in the archive: discovery as Velero's is after pass 1.
  Strings with_crd = want;
  with_crd.insert(with_crd.begin(), "customresourcedefinitions.apiextensions.k8s.io");
  CHECK(restore_order(archive_of(resources, {{"volumesnapshotclasses.snapshot.storage.k8s.io", kVolumeSnapshotClassCrd}}),
                      builtin_kubernetes_discovery(), Priorities::defaults()) == with_crd);
  // 3. Neither: our pluralisation of the singular finds the archive's resource. (Velero would put
  // it in the sorted middle, after persistentvolumes.)
  CHECK(restore_order(archive_of(resources), builtin_kubernetes_discovery(), Priorities::defaults()) == want);
  CHECK(guess_plural("volumesnapshotclass") == "volumesnapshotclasses");
  CHECK(guess_plural("NetworkPolicy") == "networkpolicies");
  CHECK(guess_plural("Ingress") == "ingresses");
  CHECK(guess_plural("Endpoints") == "endpoints");
  CHECK(guess_plural("pod") == "pods");
}

TEST_CASE("order.hpp beyond Velero: webhook configurations and APIServices after services and workloads") {
  Strings resources = {"deployments.apps", "mutatingwebhookconfigurations.admissionregistration.k8s.io", "services",
                       "validatingwebhookconfigurations.admissionregistration.k8s.io",
                       "apiservices.apiregistration.k8s.io", "configmaps", "statefulsets.apps", "zz.example.io"};
  Discovery d = builtin_kubernetes_discovery();
  // Velero: configmaps, services, apiservices…, deployments.apps, mutating…, statefulsets.apps, validating…, zz.
  CHECK(restore_order(resources, d, Priorities::defaults()) ==
        Strings{"configmaps", "services", "deployments.apps", "statefulsets.apps", "apiservices.apiregistration.k8s.io",
                "mutatingwebhookconfigurations.admissionregistration.k8s.io",
                "validatingwebhookconfigurations.admissionregistration.k8s.io", "zz.example.io"});
  // Named by the user (here as a short resource name that discovery resolves): left where put.
  CHECK(restore_order(resources, d, Priorities::parse("validatingwebhookconfigurations,services,-")) ==
        Strings{"validatingwebhookconfigurations.admissionregistration.k8s.io", "services",
                "configmaps", "deployments.apps", "statefulsets.apps", "apiservices.apiregistration.k8s.io",
                "mutatingwebhookconfigurations.admissionregistration.k8s.io", "zz.example.io"});
  // Nothing they call in the archive: Velero's order.
  CHECK(restore_order(Strings{"apiservices.apiregistration.k8s.io", "configmaps"}, d, Priorities::defaults()) ==
        Strings{"configmaps", "apiservices.apiregistration.k8s.io"});
}

TEST_CASE("order.hpp every archive resource is walked once, even one whose name resolves elsewhere") {
  // "widgets.example" resolves by group prefix to widgets.example.io, which the archive lacks.
  Discovery d;
  d.add_group({"example.io", {"v1"}, "v1", 0});
  d.add_resources("example.io/v1", {{"", "", "widgets", "widget", "Widget", true, {"list", "create", "get", "delete"}, {}, {}}});
  Strings order = restore_order(Strings{"widgets.example", "b", "a"}, d, Priorities::defaults());
  CHECK(order == Strings{"a", "b", "widgets.example"});
  // Resolution to a held resource dedups: "widget" (singular) and the plural are one resource.
  CHECK(restore_order(Strings{"widgets.example.io"}, d, Priorities::parse("widget")) == Strings{"widgets.example.io"});
}
