// Bad input to a restore (issue 11 "Tests"): each is a named error or warning, and the restore goes
// on where Velero's does. An archive that cannot be extracted (an escaping path, a truncated gzip)
// ends the restore with a Velero-level error, as restore.go execute() does; an item that is not a
// JSON object is an error on that item only; a kind the target does not serve fails its items; a
// backup not Completed and a modifier document with an unknown key fail validation; a CRD that never
// becomes Established is Velero's "not available" error, with the rest restored.
#include "restore_support.hpp"

#include <cstring>
#include <set>

using namespace vbackup;
using namespace vbackup::testing;

namespace {

using Names = std::vector<std::string>;

// A one-entry ustar archive, gzipped, with any name (ArchiveWriter refuses the bad ones).
std::string raw_tar_gz(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string tar;
  for (const auto& [name, body] : entries) {
    char h[512];
    std::memset(h, 0, sizeof h);
    std::memcpy(h, name.data(), std::min<std::size_t>(name.size(), 100));
    std::snprintf(h + 100, 8, "%07o", 0644);
    std::snprintf(h + 108, 8, "%07o", 0);
    std::snprintf(h + 116, 8, "%07o", 0);
    std::snprintf(h + 124, 12, "%011o", static_cast<unsigned>(body.size()));
    std::snprintf(h + 136, 12, "%011o", 1700000000u);
    h[156] = '0';
    std::memcpy(h + 257, "ustar", 6);
    std::memcpy(h + 263, "00", 2);
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::snprintf(h + 148, 8, "%06o", sum);
    h[155] = ' ';
    tar.append(h, 512);
    tar.append(body);
    tar.append((512 - body.size() % 512) % 512, '\0');
  }
  tar.append(1024, '\0');
  StringOutputStream out;
  GzipOutputStream gz(out);
  gz.write(tar.data(), tar.size());
  gz.finish();
  return out.take();
}

struct Run {
  RestoreResult result;
  PlanLog plan;
  RestoreDetails details;
};

Run run(RestoreServer& s, RestoreLocation& loc, const velero::Restore& rs, RestoreOptions o = {}) {
  Run out;
  auto p = plan_options(out.plan);
  o.now = p.now;
  o.on_plan = p.on_plan;
  out.result = create_restore(s.cluster.get(), loc.location, rs, o).result;
  if (out.result.restore.status.phase != "FailedValidation") out.details = loc.details(rs.metadata.name);
  return out;
}

}  // namespace

TEST_CASE("restore §2.11 extraction guard: an entry escaping the archive is a Velero error; nothing is restored") {
  RestoreServer s({});
  RestoreLocation loc;
  put_backup(loc, "b", raw_tar_gz({{"metadata/version", "1.1.0\n"},
                                    {"resources/pods/namespaces/ns-1/pod-1.json", pod_json("ns-1", "pod-1")},
                                    {"resources/../../evil.json", "{}"}}));
  auto r = run(s, loc, restore_of("r", "b"));
  INFO(r.result.outcome.message);
  // restore.go execute(): errs.AddVeleroError(err); the controller makes it PartiallyFailed.
  CHECK(r.result.restore.status.phase == "PartiallyFailed");
  CHECK(r.result.restore.status.errors == 1);
  REQUIRE(r.details.results.errors.velero.size() == 1);
  CHECK(r.details.results.errors.velero[0].find("resources/../../evil.json") != std::string::npos);
  CHECK(r.details.results.errors.velero[0].find("escapes the archive") != std::string::npos);
  CHECK(names_in(s, "pods").empty());
  CHECK(loc.logs("r").find("error unzipping and extracting") != std::string::npos);
  CHECK(r.details.has_resource_list);  // uploaded, empty, as Velero does
  CHECK(r.details.resource_list.empty());
}

TEST_CASE("restore §2.11: a truncated gzip is a Velero error naming the tarball; nothing is restored") {
  RestoreServer s({});
  RestoreLocation loc;
  Tarball t;
  for (int i = 0; i < 50; ++i) t.item("pods", pod_json("ns-1", "pod-" + std::to_string(i)));
  std::string gz = t.gzip();
  put_backup(loc, "b", gz.substr(0, gz.size() / 2));
  auto r = run(s, loc, restore_of("r", "b"));
  CHECK(r.result.restore.status.phase == "PartiallyFailed");
  REQUIRE(r.details.results.errors.velero.size() == 1);
  CHECK(r.details.results.errors.velero[0].find("b.tar.gz") != std::string::npos);
  CHECK(r.details.results.errors.velero[0].find("truncated") != std::string::npos);
  CHECK(names_in(s, "pods").empty());
}

TEST_CASE("restore §5.2 TestInvalidTarballContents: items that are not JSON objects are errors of their namespace; the rest restores") {
  RestoreServer s({});
  RestoreLocation loc;
  put_backup(loc, "b",
             Tarball{}
                 .file("resources/pods/namespaces/ns-1/array.json", "[1,2]")
                 .file("resources/pods/namespaces/ns-1/broken.json", R"({"apiVersion":"v1","kind":"Pod",)")
                 .file("resources/persistentvolumes/cluster/bad-pv.json", "not json")
                 .item("pods", pod_json("ns-1", "good"))
                 .gzip());
  auto r = run(s, loc, restore_of("r", "b"));
  CHECK(r.result.restore.status.phase == "PartiallyFailed");
  CHECK(names_in(s, "pods") == Names{"ns-1/good"});
  auto& ns1 = r.details.results.errors.namespaces["ns-1"];
  REQUIRE(ns1.size() == 2);
  for (const auto& e : ns1) CHECK(e.find("error decoding") != std::string::npos);
  CHECK(std::any_of(ns1.begin(), ns1.end(), [](const auto& e) { return e.find("expected a JSON object") != std::string::npos; }));
  REQUIRE(r.details.results.errors.cluster.size() == 1);
  CHECK(r.details.results.errors.cluster[0].find("resources/persistentvolumes/cluster/bad-pv.json") != std::string::npos);
}

TEST_CASE("restore §2.1: a resource the target does not serve; an item of a kind the target does not serve") {
  RestoreServer s({});
  RestoreLocation loc;
  put_backup(loc, "b",
             Tarball{}
                 .item("widgets.example.com", R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"namespace":"ns-1","name":"w"}})")
                 .item("pods", R"({"apiVersion":"v9","kind":"Pod","metadata":{"namespace":"ns-1","name":"future"}})")
                 .item("pods", pod_json("ns-1", "good"))
                 .gzip());
  auto r = run(s, loc, restore_of("r", "b"));
  INFO(r.plan.dump());
  CHECK(names_in(s, "pods") == Names{"ns-1/good"});
  // Current Velero logs "resource cannot be resolved via discovery" and goes on (the kind may be
  // changed by an action); each item then fails in its namespace when no lister or client can be
  // had for it (restore.go getResourceLister: KindFor fails). Here: one named error per item.
  auto& errs = r.details.results.errors.namespaces["ns-1"];
  CHECK(errs == Names{"error restoring pods/ns-1/future: the target does not serve v9, Kind=Pod",
                      "error restoring widgets.example.com/ns-1/w: the target does not serve example.com/v1, Kind=Widget"});
  CHECK(r.plan.action("example.com/v1/Widget ns-1/w") == "failed");
  CHECK(r.result.restore.status.phase == "PartiallyFailed");
  CHECK(r.plan.action("v9/Pod ns-1/future") == "failed");
}

TEST_CASE("restore §2.11 validation: a backup not Completed or PartiallyFailed is refused; PartiallyFailed is restored") {
  RestoreServer s({});
  RestoreLocation loc;
  const std::string tarball = Tarball{}.item("pods", pod_json("ns-1", "pod-1")).gzip();
  for (const char* phase : {"InProgress", "Failed", "FailedValidation", "New", "Deleting"}) {
    CAPTURE(phase);
    put_backup(loc, "b", tarball, phase);
    auto r = run(s, loc, restore_of(std::string("r-") + phase, "b"));
    CHECK(r.result.restore.status.phase == "FailedValidation");
    CHECK(r.result.restore.status.validation_errors ==
          Names{"backup \"b\" is in phase \"" + std::string(phase) + "\" and cannot be used as a restore source"});
  }
  put_backup(loc, "b", tarball, "PartiallyFailed");
  auto ok = run(s, loc, restore_of("r-ok", "b"));
  CHECK(ok.result.restore.status.phase == "Completed");
  CHECK(names_in(s, "pods") == Names{"ns-1/pod-1"});
}

TEST_CASE("restore §2.10 yaml.UnmarshalStrict: a modifier document with an unknown key fails validation, naming the key") {
  RestoreServer s({});
  RestoreLocation loc;
  put_backup(loc, "b", Tarball{}.item("pods", pod_json("ns-1", "pod-1")).gzip());
  RestoreOptions o;
  o.resource_modifiers =
      "version: v1\n"
      "resourceModifierRules:\n"
      "- conditions:\n"
      "    groupResource: pods\n"
      "    namespace: [ns-1]\n"  // Velero's key is "namespaces"
      "  patches:\n"
      "  - operation: remove\n"
      "    path: /metadata/labels/x\n";
  auto r = run(s, loc, restore_of("r", "b"), o);
  CHECK(r.result.restore.status.phase == "FailedValidation");
  REQUIRE(r.result.restore.status.validation_errors.size() == 1);
  CHECK(r.result.restore.status.validation_errors[0].find("namespace") != std::string::npos);
  CHECK(names_in(s, "pods").empty());
  // Nor is a bad version accepted (restore §2.10: EqualFold "v1").
  o.resource_modifiers = "version: v2\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  patches: [{operation: remove, path: /x}]\n";
  auto r2 = run(s, loc, restore_of("r2", "b"), o);
  CHECK(r2.result.restore.status.phase == "FailedValidation");
}

TEST_CASE("restore §2.2 crdAvailable: a CRD that never becomes Established is Velero's error; the rest is restored") {
  kubetest::KubeServerOptions so;
  so.api.crd_establish_delay = std::chrono::hours(1);
  RestoreServer s(so);
  RestoreLocation loc;
  const std::string crd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},)"
                          R"("spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},)"
                          R"("versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})";
  put_backup(loc, "b",
             Tarball{}
                 .item("customresourcedefinitions.apiextensions.k8s.io", crd)
                 .item("widgets.example.com", R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"namespace":"ns-1","name":"w"}})")
                 .item("pods", pod_json("ns-1", "pod-1"))
                 .gzip());
  RestoreOptions o;
  o.resource_timeout = std::chrono::milliseconds(300);
  auto started = std::chrono::steady_clock::now();
  auto r = run(s, loc, restore_of("r", "b"), o);
  INFO(r.plan.dump());
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
  CHECK(r.result.restore.status.phase == "PartiallyFailed");
  Names all = messages(r.details.results.errors);
  CHECK(std::count(all.begin(), all.end(), "cluster: the CRD widgets.example.com is not available to use for custom resources") == 1);
  CHECK(r.plan.action("apiextensions.k8s.io/v1/CustomResourceDefinition /widgets.example.com") == "created");
  // Its custom resource is then not served: a named error in its namespace.
  CHECK(r.plan.action("example.com/v1/Widget ns-1/w") == "failed");
  CHECK(r.details.results.errors.namespaces["ns-1"] ==
        Names{"error restoring widgets.example.com/ns-1/w: the target does not serve example.com/v1, Kind=Widget"});
  CHECK(names_in(s, "pods") == Names{"ns-1/pod-1"});
}

TEST_CASE("bad input: items of the wrong shape are errors of their own, never a crash, with parallel workers") {
  RestoreServer s({});
  RestoreLocation loc;
  auto file = [](const std::string& gr, const std::string& ns, const std::string& name, const std::string& body) {
    return std::make_pair(archive::item_path(gr, ns, name, ""), body);
  };
  Tarball t;
  for (const auto& [path, body] : {
           file("configmaps", "ns", "md-string", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":"x"})"),
           file("configmaps", "ns", "labels-string", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"labels-string","namespace":"ns","labels":"x"}})"),
           file("configmaps", "ns", "label-number", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"label-number","namespace":"ns","labels":{"a":1}}})"),
           file("configmaps", "ns", "no-api-version", R"({"kind":"ConfigMap","metadata":{"name":"no-api-version","namespace":"ns"}})"),
           file("configmaps", "ns", "annotations-array", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"annotations-array","namespace":"ns","annotations":[]}})"),
           file("pods", "ns", "spec-string", R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"spec-string","namespace":"ns"},"spec":"x"})"),
           file("pods", "ns", "volumes-string", R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"volumes-string","namespace":"ns"},"spec":{"volumes":"x","containers":[{"name":"c","image":"i"}]}})"),
           file("services", "ns", "ports-string", R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"ports-string","namespace":"ns"},"spec":{"ports":"x"}})"),
           file("jobs.batch", "ns", "selector-string", R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"selector-string","namespace":"ns"},"spec":{"selector":"x"}})"),
           file("serviceaccounts", "ns", "secrets-string", R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"secrets-string","namespace":"ns"},"secrets":"x"})"),
           file("persistentvolumes", "", "claimref-string", R"({"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"claimref-string"},"spec":{"claimRef":"x","persistentVolumeReclaimPolicy":"Retain"}})"),
           file("persistentvolumeclaims", "ns", "status-string", R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"status-string","namespace":"ns"},"spec":{"volumeName":"v"},"status":"x"})"),
           file("rolebindings.rbac.authorization.k8s.io", "ns", "subjects-string", R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"subjects-string","namespace":"ns"},"subjects":"x","roleRef":{"kind":"Role","name":"r","apiGroup":"rbac.authorization.k8s.io"}})"),
       }) {
    t.file(path, body);
  }
  t.item("configmaps", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":"ns","name":"good"}})");
  put_backup(loc, "b", t.gzip());
  auto rs = restore_of("r", "b");
  rs.spec.namespace_mapping = {{"ns", "ns-mapped"}};
  RestoreOptions o;
  o.parallel = 8;
  auto r = run(s, loc, rs, o);
  INFO(r.plan.dump());
  INFO(r.result.outcome.message);
  CHECK(r.result.restore.status.phase == "PartiallyFailed");
  CHECK(s.get("configmaps", "ns-mapped", "good"));
  // Each bad item is named in an error of its namespace (or the cluster's), never silently lost;
  // from Velero's dedup step on (restore §2.3 step 4) it is also recorded failed.
  Names errs = messages(r.details.results.errors);
  CHECK(errs.size() == 13);
  for (const char* name : {"md-string", "labels-string", "label-number", "no-api-version", "annotations-array", "spec-string",
                           "volumes-string", "ports-string", "selector-string", "secrets-string", "claimref-string",
                           "status-string", "subjects-string"}) {
    CAPTURE(name);
    CHECK(std::count_if(errs.begin(), errs.end(), [&](const std::string& e) { return e.find(name) != std::string::npos; }) == 1);
  }
  for (const char* key : {"v1/PersistentVolume /claimref-string", "v1/Pod ns-mapped/spec-string", "v1/Pod ns-mapped/volumes-string",
                          "v1/Service ns-mapped/ports-string", "batch/v1/Job ns-mapped/selector-string",
                          "v1/ServiceAccount ns-mapped/secrets-string", "v1/PersistentVolumeClaim ns-mapped/status-string",
                          "rbac.authorization.k8s.io/v1/RoleBinding ns-mapped/subjects-string",
                          "v1/ConfigMap ns-mapped/label-number", "v1/ConfigMap ns-mapped/annotations-array"}) {
    CHECK_MESSAGE(r.plan.action(key) == "failed", key);
  }
  CHECK(r.details.resource_list["v1/PersistentVolume"] == Names{"claimref-string(failed)"});
}
