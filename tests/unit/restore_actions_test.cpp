// Velero's built-in RestoreItemActions (restore §2.5): the input → output cases of
// pkg/restore/actions/*_test.go at velero-io HEAD, restated on JSON objects, plus the registry order.
#include "restore/actions/restore_item_action.hpp"
#include "vbackup/error.hpp"
#include "vbackup/labels.hpp"

#include "fake_target_lookup.hpp"

#include <doctest/doctest.h>

#include <map>
#include <tuple>

using namespace vbackup;
using namespace vbackup::restore;

namespace {

json::object obj(std::string_view text) { return json::parse(text, "test").as_object(); }
// Go-style compact JSON in the objects' own key order.
std::string compact(const json::object& o) { return json::marshal(o, {.sort_keys = false}); }
std::string compact(const json::value& v) { return json::marshal(v, {.sort_keys = false}); }

using testing::FakeTarget;

struct Fixture {
  velero::Restore restore;
  FakeTarget target;
  std::vector<std::unique_ptr<RestoreItemAction>> actions = builtin_restore_item_actions();

  Fixture() {
    restore.metadata.name = "restore-1";
    restore.metadata.namespace_ = "velero";
    restore.spec.backup_name = "backup-1";
  }
  const RestoreItemAction& action(std::string_view name) {
    for (const auto& a : actions) {
      if (a->name() == name) return *a;
    }
    FAIL("no action " << name);
    throw 0;
  }
  // Runs one action on item as source namespace ns (the archived copy is the item itself).
  ActionOutput run(std::string_view name, std::string_view gr, const json::object& item, std::string ns = "ns-1",
                   std::string target_ns = {}) {
    ActionContext ctx{restore, "velero", target};
    return action(name).execute(ctx, ActionInput{std::string(gr), ns, target_ns.empty() ? ns : target_ns, item, item});
  }
};

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

json::object plugin_config(std::string name, std::string plugin, json::object data) {
  json::object cm = obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":"velero",
    "labels":{"velero.io/plugin-config":""}}})");
  cm["metadata"].as_object()["name"] = name;
  cm["metadata"].as_object()["labels"].as_object()[plugin] = "RestoreItemAction";
  if (!data.empty()) cm["data"] = std::move(data);
  return cm;
}

}  // namespace

TEST_CASE("restore §2.5 built-in actions run in Velero's order: alphabetical by name") {
  std::vector<std::string> names;
  for (const auto& a : builtin_restore_item_actions()) names.emplace_back(a->name());
  CHECK(names == std::vector<std::string>{
                     "velero.io/add-pvc-from-pod", "velero.io/admission-webhook-configuration", "velero.io/apiservice",
                     "velero.io/change-image-name", "velero.io/change-storage-class", "velero.io/cluster-role-bindings",
                     "velero.io/crd-preserve-fields", "velero.io/csi-pvc-restorer", "velero.io/csi-volumesnapshot-restorer",
                     "velero.io/csi-volumesnapshotclass-restorer", "velero.io/csi-volumesnapshotcontent-restorer",
                     "velero.io/dataupload", "velero.io/init-restore-hook", "velero.io/job", "velero.io/pod",
                     "velero.io/pod-volume-restore", "velero.io/pvc", "velero.io/role-bindings", "velero.io/secret", "velero.io/service",
                     "velero.io/service-account"});
}

TEST_CASE("restore §2.5 AppliesTo: resources as Velero's discovery resolves them") {
  Fixture f;
  CHECK(f.action("velero.io/job").applies_to("jobs.batch", "ns", nullptr));
  CHECK_FALSE(f.action("velero.io/job").applies_to("jobs.example.com", "ns", nullptr));
  CHECK(f.action("velero.io/change-image-name").applies_to("cronjobs.batch", "ns", nullptr));
  CHECK(f.action("velero.io/change-storage-class").applies_to("persistentvolumes", "", nullptr));
  CHECK_FALSE(f.action("velero.io/change-storage-class").applies_to("deployments.apps", "ns", nullptr));
  CHECK(f.action("velero.io/crd-preserve-fields").applies_to("customresourcedefinitions.apiextensions.k8s.io", "", nullptr));
  // The apiservice action's selector: label key kube-aggregator.kubernetes.io/automanaged exists.
  json::object managed = obj(R"({"kube-aggregator.kubernetes.io/automanaged":"onstart"})");
  json::object other = obj(R"({"app":"x"})");
  CHECK(f.action("velero.io/apiservice").applies_to("apiservices.apiregistration.k8s.io", "", &managed));
  CHECK_FALSE(f.action("velero.io/apiservice").applies_to("apiservices.apiregistration.k8s.io", "", &other));
  CHECK_FALSE(f.action("velero.io/apiservice").applies_to("apiservices.apiregistration.k8s.io", "", nullptr));
}

// ---- pod_action_test.go ----------------------------------------------------------------------------

TEST_CASE("restore §2.5 velero.io/pod: nodeName and priority removed, the rest kept") {
  Fixture f;
  auto out = f.run("velero.io/pod", "pods",
                   obj(R"({"metadata":{"name":"pod-1"},"spec":{"nodeName":"foo","priority":1,"serviceAccountName":"bar","x-unknown":1}})"));
  CHECK(compact(out.item) == R"({"metadata":{"name":"pod-1"},"spec":{"serviceAccountName":"bar","x-unknown":1}})");
  CHECK(out.additional_items.empty());
}

TEST_CASE("restore §2.5 velero.io/pod: <serviceAccountName>-token- volumes and mounts removed") {
  Fixture f;
  auto out = f.run("velero.io/pod", "pods", obj(R"({"metadata":{"name":"pod-1"},"spec":{"serviceAccountName":"foo",
      "volumes":[{"name":"foo"},{"name":"foo-token-foo"}],
      "containers":[{"volumeMounts":[{"name":"foo"},{"name":"foo-token-foo"}]}],
      "initContainers":[{"volumeMounts":[{"name":"foo"},{"name":"foo-token-foo"}]},{}]}})"));
  CHECK(compact(out.item) == R"({"metadata":{"name":"pod-1"},"spec":{"serviceAccountName":"foo","volumes":[{"name":"foo"}],)"
                             R"("containers":[{"volumeMounts":[{"name":"foo"}]}],"initContainers":[{"volumeMounts":[{"name":"foo"}]},{}]}})");
  // Only the token mount: the emptied list goes, as the typed round trip omits a nil slice.
  out = f.run("velero.io/pod", "pods", obj(R"({"spec":{"serviceAccountName":"foo","volumes":[{"name":"foo-token-x"}]}})"));
  CHECK(compact(out.item) == R"({"spec":{"serviceAccountName":"foo"}})");
}

TEST_CASE("restore §2.5 velero.io/pod: priorityClassName adds the PriorityClass") {
  Fixture f;
  auto out = f.run("velero.io/pod", "pods", obj(R"({"metadata":{"name":"pod-1"},"spec":{"serviceAccountName":"foo",
      "priorityClassName":"testPriorityClass","volumes":[{"name":"foo"},{"name":"foo-token-foo"}]}})"));
  CHECK(out.additional_items == std::vector<ItemRef>{{"priorityclasses.scheduling.k8s.io", "", "testPriorityClass"}});
  CHECK(compact(out.item) == R"({"metadata":{"name":"pod-1"},"spec":{"serviceAccountName":"foo","priorityClassName":"testPriorityClass","volumes":[{"name":"foo"}]}})");
}

TEST_CASE("restore §2.5 velero.io/pod: a field of the wrong type fails the item, naming it") {
  Fixture f;
  CHECK(error_of([&] { f.run("velero.io/pod", "pods", obj(R"({"metadata":{"name":"p"},"spec":{"volumes":{}}})")); }) ==
        "pods/ns-1/p: spec.volumes: expected array, found object");
}

// ---- add_pvc_from_pod_action_test.go ----------------------------------------------------------------

TEST_CASE("restore §2.5 velero.io/add-pvc-from-pod: every PVC volume becomes an additional item") {
  Fixture f;
  CHECK(f.run("velero.io/add-pvc-from-pod", "pods", obj("{}")).additional_items.empty());
  auto out = f.run("velero.io/add-pvc-from-pod", "pods", obj(R"({"metadata":{"namespace":"ns-1","name":"foo"},"spec":{"volumes":[
      {"emptyDir":{}},{"persistentVolumeClaim":{"claimName":"pvc-1"}},{"persistentVolumeClaim":{"claimName":"pvc-2"}},
      {"hostPath":{}},{"persistentVolumeClaim":{"claimName":"pvc-3"}}]}})"));
  CHECK(out.additional_items == std::vector<ItemRef>{{"persistentvolumeclaims", "ns-1", "pvc-1"},
                                                     {"persistentvolumeclaims", "ns-1", "pvc-2"},
                                                     {"persistentvolumeclaims", "ns-1", "pvc-3"}});
}

// ---- job_action_test.go -----------------------------------------------------------------------------

TEST_CASE("restore §2.5 velero.io/job: controller-uid removed from selector and template labels") {
  Fixture f;
  CHECK(compact(f.run("velero.io/job", "jobs.batch", obj(R"({"metadata":{"name":"job-1"}})")).item) == R"({"metadata":{"name":"job-1"}})");
  CHECK(compact(f.run("velero.io/job", "jobs.batch", obj(R"({"spec":{"selector":{}}})")).item) == R"({"spec":{"selector":{}}})");
  CHECK(compact(f.run("velero.io/job", "jobs.batch",
                      obj(R"({"spec":{"selector":{"matchLabels":{"controller-uid":"foo","hello":"world"}}}})")).item) ==
        R"({"spec":{"selector":{"matchLabels":{"hello":"world"}}}})");
  CHECK(compact(f.run("velero.io/job", "jobs.batch", obj(R"({"spec":{"template":{}}})")).item) == R"({"spec":{"template":{}}})");
  CHECK(compact(f.run("velero.io/job", "jobs.batch",
                      obj(R"({"spec":{"template":{"metadata":{"labels":{"controller-uid":"foo","hello":"world"}}}}})")).item) ==
        R"({"spec":{"template":{"metadata":{"labels":{"hello":"world"}}}}})");
  // Kubernetes ≥ 1.27 writes batch.kubernetes.io/controller-uid as well; job-name stays.
  CHECK(compact(f.run("velero.io/job", "jobs.batch", obj(R"({"spec":{"selector":{"matchLabels":{
      "batch.kubernetes.io/controller-uid":"u","controller-uid":"u"}},"template":{"metadata":{"labels":{
      "batch.kubernetes.io/controller-uid":"u","controller-uid":"u","job-name":"j"}}}}})")).item) ==
        R"({"spec":{"selector":{},"template":{"metadata":{"labels":{"job-name":"j"}}}}})");
}

// ---- service_account_action_test.go -----------------------------------------------------------------

TEST_CASE("restore §2.5 velero.io/service-account: the last <sa>-token- secret entry removed") {
  Fixture f;
  auto secrets = [&](std::string list) {
    auto out = f.run("velero.io/service-account", "serviceaccounts",
                     obj(R"({"metadata":{"namespace":"foo","name":"bar"},"secrets":)" + list + "}"));
    const json::value* s = out.item.if_contains("secrets");
    return s ? compact(*s) : std::string("absent");
  };
  CHECK(secrets("[]") == "absent");
  CHECK(secrets(R"([{"name":"a"},{"name":"bar-TOKN-nomatch"},{"name":"baz"}])") == R"([{"name":"a"},{"name":"bar-TOKN-nomatch"},{"name":"baz"}])");
  CHECK(secrets(R"([{"name":"bar-token-a1b2c"},{"name":"a"},{"name":"baz"}])") == R"([{"name":"a"},{"name":"baz"}])");
  CHECK(secrets(R"([{"name":"a"},{"name":"bar-token-a1b2c"},{"name":"baz"}])") == R"([{"name":"a"},{"name":"baz"}])");
  CHECK(secrets(R"([{"name":"a"},{"name":"baz"},{"name":"bar-token-a1b2c"}])") == R"([{"name":"a"},{"name":"baz"}])");
  // One entry only: the last match.
  CHECK(secrets(R"([{"name":"bar-token-1"},{"name":"bar-token-2"}])") == R"([{"name":"bar-token-1"}])");
}

// ---- secret_action_test.go --------------------------------------------------------------------------

TEST_CASE("restore §2.5 velero.io/secret: service-account tokens") {
  Fixture f;
  json::object opaque = obj(R"({"metadata":{"namespace":"foo","name":"default-token-sfafa"},"type":"Opaque"})");
  auto out = f.run("velero.io/secret", "secrets", opaque, "foo");
  CHECK_FALSE(out.skip_restore);
  CHECK(out.item == opaque);
  CHECK(f.target.lists.empty());  // only token Secrets look at ServiceAccounts

  SUBCASE("auto-created token of an existing ServiceAccount: skipped") {
    f.target.add("serviceaccounts", "foo", obj(R"({"metadata":{"namespace":"foo","name":"default"}})"));
    out = f.run("velero.io/secret", "secrets",
                obj(R"({"metadata":{"namespace":"foo","name":"default-token-sfafa"},"type":"kubernetes.io/service-account-token"})"), "foo");
    CHECK(out.skip_restore);
  }
  SUBCASE("a token Secret made by hand: uid annotation, token and ca.crt removed") {
    out = f.run("velero.io/secret", "secrets", obj(R"({"metadata":{"namespace":"foo","name":"my-token","annotations":{
        "kubernetes.io/service-account.uid":"uid","key":"value"}},"type":"kubernetes.io/service-account-token",
        "data":{"token":"dG9rZW4=","ca.crt":"Y2E=","key":"dmFsdWU="}})"), "foo");
    CHECK_FALSE(out.skip_restore);
    CHECK(compact(out.item) == R"({"metadata":{"namespace":"foo","name":"my-token","annotations":{"key":"value"}},)"
                               R"("type":"kubernetes.io/service-account-token","data":{"key":"dmFsdWU="}})");
  }
  SUBCASE("restore §2.7: the ServiceAccounts are looked up in the source namespace, not the mapped one") {
    f.restore.spec.namespace_mapping = {{"foo", "bar"}};
    f.target.add("serviceaccounts", "bar", obj(R"({"metadata":{"namespace":"bar","name":"default"}})"));
    out = f.run("velero.io/secret", "secrets",
                obj(R"({"metadata":{"namespace":"foo","name":"default-token-x"},"type":"kubernetes.io/service-account-token"})"),
                "foo", "bar");
    CHECK_FALSE(out.skip_restore);
    CHECK(f.target.lists == std::vector<std::string>{"serviceaccounts foo "});
  }
}

// ---- rolebinding_action_test.go, clusterrolebinding_action_test.go -----------------------------------

TEST_CASE("restore §2.5 velero.io/role-bindings and cluster-role-bindings: subjects[].namespace mapped") {
  Fixture f;
  for (auto [action, gr] : {std::pair{"velero.io/role-bindings", "rolebindings.rbac.authorization.k8s.io"},
                            std::pair{"velero.io/cluster-role-bindings", "clusterrolebindings.rbac.authorization.k8s.io"}}) {
    CAPTURE(action);
    auto subjects = [&](velero::StringMap mapping, std::string list) {
      f.restore.spec.namespace_mapping = std::move(mapping);
      return compact(f.run(action, gr, obj(R"({"subjects":)" + list + "}")).item.at("subjects"));
    };
    CHECK(subjects({}, R"([{"namespace":"foo"}])") == R"([{"namespace":"foo"}])");
    CHECK(subjects({{"foo", "bar"}, {"fizz", "buzz"}}, R"([{"namespace":"foo"}])") == R"([{"namespace":"bar"}])");
    CHECK(subjects({{"foo", "bar"}, {"fizz", "buzz"}}, R"([{"namespace":"foo"},{"namespace":"xyz"}])") ==
          R"([{"namespace":"bar"},{"namespace":"xyz"}])");
    CHECK(subjects({{"a", "b"}, {"c", "d"}}, R"([{"namespace":"foo"},{"namespace":"xyz"}])") ==
          R"([{"namespace":"foo"},{"namespace":"xyz"}])");
    // Group names that encode a namespace and roleRef are not rewritten (restore §2.7).
    CHECK(subjects({{"foo", "bar"}}, R"([{"kind":"Group","name":"system:serviceaccounts:foo"}])") ==
          R"([{"kind":"Group","name":"system:serviceaccounts:foo"}])");
  }
}

// ---- pvc_action_test.go -----------------------------------------------------------------------------

TEST_CASE("restore §2.5 velero.io/pvc: binding and provisioning annotations removed") {
  Fixture f;
  auto annotations = [&](std::string ann) {
    auto out = f.run("velero.io/pvc", "persistentvolumeclaims",
                     obj(R"({"metadata":{"namespace":"source-ns","name":"pvc-1","annotations":)" + ann + "}}"));
    const json::object* a = json::metadata_map(out.item, "annotations");
    return a ? compact(*a) : std::string("absent");
  };
  CHECK(annotations(R"({"volume.kubernetes.io/selected-node":"source-node"})") == "absent");
  CHECK(annotations(R"({"other-anno-1":"other-value-1","other-anno-2":"other-value-2"})") ==
        R"({"other-anno-1":"other-value-1","other-anno-2":"other-value-2"})");
  CHECK(annotations(R"({"other-anno":"other-value","volume.kubernetes.io/selected-node":"source-node"})") ==
        R"({"other-anno":"other-value"})");
  CHECK(annotations(R"({"pv.kubernetes.io/bind-completed":"yes","pv.kubernetes.io/bound-by-controller":"yes",
      "volume.kubernetes.io/storage-provisioner":"p","volume.beta.kubernetes.io/storage-provisioner":"p",
      "velero.io/volume-snapshot-name":"s","velero.io/data-upload-name":"d","keep":"1"})") == R"({"keep":"1"})");
}

TEST_CASE("restore §2.5 velero.io/pvc: the archived claim's bound PV is an additional item") {
  Fixture f;
  auto additional = [&](std::string archived) {
    json::object from_backup = obj(archived);
    json::object item = from_backup;
    item.erase("status");  // the item has been reset; only the archived copy has a status
    ActionContext ctx{f.restore, "velero", f.target};
    return f.action("velero.io/pvc").execute(ctx, {"persistentvolumeclaims", "ns", "ns", item, from_backup}).additional_items;
  };
  CHECK(additional(R"({"spec":{"volumeName":"bound-pv"},"status":{"phase":"Bound"}})") ==
        std::vector<ItemRef>{{"persistentvolumes", "", "bound-pv"}});
  CHECK(additional(R"({"spec":{"volumeName":"pending-pv"},"status":{"phase":"Pending"}})").empty());
  CHECK(additional(R"({"spec":{},"status":{"phase":"Bound"}})").empty());
}

// ---- change_storageclass_action_test.go -------------------------------------------------------------

TEST_CASE("restore §2.5 velero.io/change-storage-class") {
  Fixture f;
  auto storage_class = [&](std::string gr, std::string item) {
    auto out = f.run("velero.io/change-storage-class", gr, obj(item));
    return compact(out.item.at("spec"));
  };
  const std::string pv = R"({"kind":"PersistentVolume","metadata":{"name":"pv-1"},"spec":{"storageClassName":"storageclass-1"}})";
  const std::string pvc = R"({"kind":"PersistentVolumeClaim","metadata":{"name":"pvc-1"},"spec":{"storageClassName":"storageclass-1"}})";
  const std::string sts = R"({"kind":"StatefulSet","metadata":{"name":"sts-1"},"spec":{"volumeClaimTemplates":[
      {"spec":{"storageClassName":"storageclass-1"}},{"spec":{"storageClassName":"storageclass-2"}},{"spec":{}}]}})";

  SUBCASE("no ConfigMap for the plugin: unchanged") {
    f.target.add("configmaps", "velero", plugin_config("other", "velero.io/some-other-plugin",
                                                       obj(R"({"storageclass-1":"storageclass-2"})")));
    CHECK(storage_class("persistentvolumes", pv) == R"({"storageClassName":"storageclass-1"})");
    CHECK(f.target.lists == std::vector<std::string>{
                                "configmaps velero velero.io/plugin-config,velero.io/change-storage-class=RestoreItemAction"});
  }
  SUBCASE("a ConfigMap without data: unchanged") {
    f.target.add("configmaps", "velero", plugin_config("change-storage-classs", "velero.io/change-storage-class", {}));
    CHECK(storage_class("persistentvolumes", pv) == R"({"storageClassName":"storageclass-1"})");
  }
  SUBCASE("mappings") {
    f.target.add("configmaps", "velero", plugin_config("change-storage-classs", "velero.io/change-storage-class",
        obj(R"({"storageclass-1":"storageclass-a","storageclass-2":"storageclass-b","storageclass-9":"nonexistent"})")));
    f.target.add("storageclasses.storage.k8s.io", "", obj(R"({"metadata":{"name":"storageclass-a"}})"));
    f.target.add("storageclasses.storage.k8s.io", "", obj(R"({"metadata":{"name":"storageclass-b"}})"));
    CHECK(storage_class("persistentvolumes", pv) == R"({"storageClassName":"storageclass-a"})");
    CHECK(storage_class("persistentvolumeclaims", pvc) == R"({"storageClassName":"storageclass-a"})");
    CHECK(storage_class("statefulsets.apps", sts) ==
          R"({"volumeClaimTemplates":[{"spec":{"storageClassName":"storageclass-a"}},{"spec":{"storageClassName":"storageclass-b"}},{"spec":{}}]})");
    // no class, or no mapping for it: unchanged
    CHECK(storage_class("persistentvolumes", R"({"kind":"PersistentVolume","spec":{}})") == "{}");
    CHECK(storage_class("persistentvolumes", R"({"kind":"PersistentVolume","spec":{"storageClassName":"storageclass-3"}})") ==
          R"({"storageClassName":"storageclass-3"})");
    // a mapping to a class the cluster lacks fails the item (restore §3 item 20)
    CHECK(error_of([&] {
            storage_class("persistentvolumeclaims", R"({"kind":"PersistentVolumeClaim","spec":{"storageClassName":"storageclass-9"}})");
          }) == "error getting storage class nonexistent from API: storageclasses.storage.k8s.io \"nonexistent\" not found");
  }
  SUBCASE("more than one plugin ConfigMap is an error") {
    f.target.add("configmaps", "velero", plugin_config("a", "velero.io/change-storage-class", obj(R"({"x":"y"})")));
    f.target.add("configmaps", "velero", plugin_config("b", "velero.io/change-storage-class", obj(R"({"x":"y"})")));
    CHECK(error_of([&] { storage_class("persistentvolumes", pv); }) ==
          "found more than one ConfigMap matching label selector "
          "\"velero.io/plugin-config,velero.io/change-storage-class=RestoreItemAction\": [a b]");
  }
}

// ---- change_image_name_action_test.go ---------------------------------------------------------------

TEST_CASE("restore §2.5 velero.io/change-image-name: substring rules, every occurrence replaced") {
  Fixture f;
  auto image = [&](std::string rule, std::string old_image) {
    Fixture g;
    g.target.add("configmaps", "velero", plugin_config("change-image-name", "velero.io/change-image-name",
                                                       json::object{{"specific", rule}}));
    json::object pod = obj(R"({"kind":"Pod","metadata":{"namespace":"default","name":"pod1"},"spec":{"containers":[{"name":"c"}]}})");
    pod["spec"].as_object()["containers"].as_array()[0].as_object()["image"] = old_image;
    auto out = g.run("velero.io/change-image-name", "pods", pod);
    return std::string(out.item.at("spec").at("containers").at(0).at("image").as_string());
  };
  CHECK(image("1.1.1.1:5000  ,  2.2.2.2:3000", "1.1.1.1:5000/abc:test") == "2.2.2.2:3000/abc:test");
  CHECK(image("1.1.1.1:5000,2.2.2.2:3000", "1.1.1.1:5000/abc:test") == "2.2.2.2:3000/abc:test");
  CHECK(image("abc:test,myproject:latest", "1.1.1.1:5000/abc:test") == "1.1.1.1:5000/myproject:latest");
  CHECK(image("5000,3333", "1.1.1.1:5000/abc:test") == "1.1.1.1:3333/abc:test");
  CHECK(image("test,latest", "1.1.1.1:5000/abc:test") == "1.1.1.1:5000/abc:latest");
  CHECK(image("dev/,test/", "dev/image1:dev") == "test/image1:dev");
  // No comma, nothing after it, or no match: unchanged.
  CHECK(image("abc", "abc:1") == "abc:1");
  CHECK(image("abc,", "abc:1") == "abc:1");
  CHECK(image("xyz,new", "abc:1") == "abc:1");
  (void)f;
}

TEST_CASE("restore §2.5 velero.io/change-image-name: where the containers are, per kind") {
  Fixture f;
  f.target.add("configmaps", "velero", plugin_config("cm", "velero.io/change-image-name",
                                                     obj(R"({"a":"old.io,new.io","b":"no-comma"})")));
  auto out = f.run("velero.io/change-image-name", "cronjobs.batch", obj(R"({"kind":"CronJob","spec":{"jobTemplate":{"spec":{
      "template":{"spec":{"containers":[{"image":"old.io/x"}],"initContainers":[{"image":"old.io/y"},{"name":"no-image"}]}}}}}})"));
  CHECK(compact(out.item) == R"({"kind":"CronJob","spec":{"jobTemplate":{"spec":{"template":{"spec":{)"
                                   R"("containers":[{"image":"new.io/x"}],"initContainers":[{"image":"new.io/y"},{"name":"no-image"}]}}}}}})");
  out = f.run("velero.io/change-image-name", "deployments.apps",
              obj(R"({"kind":"Deployment","spec":{"template":{"spec":{"containers":[{"image":"old.io/x"}]}}}})"));
  CHECK(compact(out.item) == R"({"kind":"Deployment","spec":{"template":{"spec":{"containers":[{"image":"new.io/x"}]}}}})");
  CHECK(error_of([&] {
          f.run("velero.io/change-image-name", "pods", obj(R"({"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":{}}})"));
        }) == "pods/ns-1/p: spec.containers: expected array, found object");
}

// ---- init_restorehook_pod_action_test.go, item_hook_handler_test.go ----------------------------------

namespace {
std::string init_containers(const ActionOutput& out) {
  const json::value* spec = out.item.if_contains("spec");
  const json::value* ic = spec ? spec->as_object().if_contains("initContainers") : nullptr;
  return ic ? compact(*ic) : std::string("absent");
}
json::object hooks_spec(std::string resources) { return obj(R"({"resources":)" + resources + "}"); }
}  // namespace

TEST_CASE("restore §2.5 velero.io/init-restore-hook: annotations add a container in front") {
  Fixture f;
  auto out = f.run("velero.io/init-restore-hook", "pods", obj(R"({"metadata":{"namespace":"default","name":"app1","annotations":{
      "init.hook.restore.velero.io/container-image":"nginx","init.hook.restore.velero.io/container-name":"restore-init-container",
      "init.hook.restore.velero.io/command":"[\"a\", \"b\", \"c\"]"}},"spec":{"serviceAccountName":"foo","volumes":[{"name":"foo"}],
      "initContainers":[{"name":"init-app-step1","image":"busy-box","command":["init-step1"]},
                        {"name":"init-app-step2","image":"busy-box","command":["init-step2"]}]}})"), "default");
  CHECK(init_containers(out) == R"([{"name":"restore-init-container","image":"nginx","command":["a","b","c"]},)"
                                R"({"name":"init-app-step1","image":"busy-box","command":["init-step1"]},)"
                                R"({"name":"init-app-step2","image":"busy-box","command":["init-step2"]}])");
}

TEST_CASE("restore §2.5 init hook annotations (getInitContainerFromAnnotation)") {
  Fixture f;
  auto hook = [&](std::string annotations) {
    auto out = f.run("velero.io/init-restore-hook", "pods",
                     obj(R"({"metadata":{"name":"pod1","annotations":)" + annotations + R"(},"spec":{}})"));
    return init_containers(out);
  };
  // no image: no hook
  CHECK(hook(R"({"init.hook.restore.velero.io/container-image":"","init.hook.restore.velero.io/container-name":"restore-init"})") == "absent");
  CHECK(hook(R"({"init.hook.restore.velero.io/container-name":"restore-init"})") == "absent");
  // a plain command is one argument; a malformed JSON array too
  CHECK(hook(R"({"init.hook.restore.velero.io/container-image":"busy-box","init.hook.restore.velero.io/container-name":"restore-init",
      "init.hook.restore.velero.io/command":"/usr/bin/data-populator /user-data full"})") ==
        R"([{"name":"restore-init","image":"busy-box","command":["/usr/bin/data-populator /user-data full"]}])");
  CHECK(hook(R"({"init.hook.restore.velero.io/container-image":"busy-box","init.hook.restore.velero.io/container-name":"i",
      "init.hook.restore.velero.io/command":"[foobarbaz"})") == R"([{"name":"i","image":"busy-box","command":["[foobarbaz"]}])");
  // no name: a generated one, stable within one restore
  std::string generated = hook(R"({"init.hook.restore.velero.io/container-image":"busy-box","init.hook.restore.velero.io/command":"x"})");
  CHECK(generated.starts_with(R"([{"name":"velero-restore-init-)"));
  CHECK(generated.size() == std::string(R"([{"name":"velero-restore-init-12345678","image":"busy-box","command":["x"]}])").size());
  CHECK(generated == hook(R"({"init.hook.restore.velero.io/container-image":"busy-box","init.hook.restore.velero.io/command":"x"})"));
  // no command: the image's entrypoint (Velero panics on the empty string)
  CHECK(hook(R"({"init.hook.restore.velero.io/container-image":"busy-box","init.hook.restore.velero.io/container-name":"i"})") ==
        R"([{"name":"i","image":"busy-box"}])");
}

TEST_CASE("restore §2.5 velero.io/init-restore-hook: spec hooks by target namespace and labels") {
  Fixture f;
  f.restore.spec.hooks = hooks_spec(R"([{"name":"h1","includedNamespaces":["default"],"includedResources":["pods"],
      "labelSelector":{"matchLabels":{"app":"web"}},"postHooks":[{"init":{"initContainers":[
        {"name":"restore-init1","image":"busy-box","command":["foobarbaz"]},
        {"name":"restore-init2","image":"busy-box","command":["foobarbaz"],"x-unknown":true}]}},
      {"exec":{"command":["ls"]}}]}])");
  const std::string pod = R"({"metadata":{"namespace":"default","name":"app1","labels":{"app":"web"}},"spec":{
      "serviceAccountName":"foo","volumes":[{"name":"foo"}]}})";
  auto out = f.run("velero.io/init-restore-hook", "pods", obj(pod), "default");
  CHECK(init_containers(out) == R"([{"name":"restore-init1","image":"busy-box","command":["foobarbaz"]},)"
                                R"({"name":"restore-init2","image":"busy-box","command":["foobarbaz"],"x-unknown":true}])");
  // The selector mismatches: nothing added.
  CHECK(init_containers(f.run("velero.io/init-restore-hook", "pods",
                              obj(R"({"metadata":{"namespace":"default","name":"app1","labels":{"app":"db"}},"spec":{}})"), "default")) == "absent");
  // restore §2.7: the namespaces are matched against the target namespace (velero#4720).
  CHECK(init_containers(f.run("velero.io/init-restore-hook", "pods", obj(pod), "source", "default")) != "absent");
  CHECK(init_containers(f.run("velero.io/init-restore-hook", "pods", obj(pod), "default", "other")) == "absent");
  // A restore-wait container at index 0 stays first.
  auto waited = f.run("velero.io/init-restore-hook", "pods", obj(R"({"metadata":{"namespace":"default","name":"a","labels":{"app":"web"}},
      "spec":{"initContainers":[{"name":"restore-wait"},{"name":"mine"}]}})"), "default");
  CHECK(init_containers(waited) == R"([{"name":"restore-wait"},{"name":"restore-init1","image":"busy-box","command":["foobarbaz"]},)"
                                   R"({"name":"restore-init2","image":"busy-box","command":["foobarbaz"],"x-unknown":true},{"name":"mine"}])");
  // Annotations win over spec hooks.
  auto annotated = f.run("velero.io/init-restore-hook", "pods", obj(R"({"metadata":{"namespace":"default","name":"a",
      "labels":{"app":"web"},"annotations":{"init.hook.restore.velero.io/container-image":"i",
      "init.hook.restore.velero.io/container-name":"n","init.hook.restore.velero.io/command":"c"}},"spec":{}})"), "default");
  CHECK(init_containers(annotated) == R"([{"name":"n","image":"i","command":["c"]}])");
}

TEST_CASE("restore §2.5 velero.io/init-restore-hook: a hook container without command, name or image fails") {
  Fixture f;
  f.restore.spec.hooks = hooks_spec(R"([{"name":"h","postHooks":[{"init":{"initContainers":[{"name":"x","image":"busy-box"}]}}]}])");
  CHECK(error_of([&] { f.run("velero.io/init-restore-hook", "pods", obj(R"({"metadata":{"name":"p"},"spec":{}})")); }) ==
        "Restore restore-1: spec.hooks.resources[0].postHooks[0].init.initContainers[0]: "
        "invalid InitContainer in restore hook, it doesn't have Command, Name or Image field");
}

// ---- crd_v1_preserve_unknown_fields_action_test.go --------------------------------------------------

TEST_CASE("restore §2.5 velero.io/crd-preserve-fields: v1 preserveUnknownFields moves into the schemas") {
  Fixture f;
  const std::string gr = "customresourcedefinitions.apiextensions.k8s.io";
  auto out = f.run("velero.io/crd-preserve-fields", gr, obj(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "metadata":{"name":"test.velero.io"},"spec":{"preserveUnknownFields":true,"versions":[
        {"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","maximum":5}}},
        {"name":"v2","served":true,"storage":false}]}})"), "");
  CHECK(compact(out.item.at("spec")) ==
        R"({"versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","maximum":5,)"
        R"("x-kubernetes-preserve-unknown-fields":true}}},{"name":"v2","served":true,"storage":false}]})");
  // v1beta1, and v1 without the flag: unchanged (the integer maximum stays an integer, velero#2319).
  json::object beta = obj(R"({"apiVersion":"apiextensions.k8s.io/v1beta1","spec":{"preserveUnknownFields":true}})");
  CHECK(f.run("velero.io/crd-preserve-fields", gr, beta, "").item == beta);
  json::object plain = obj(R"({"apiVersion":"apiextensions.k8s.io/v1","spec":{"versions":[{"schema":{"openAPIV3Schema":{"maximum":5}}}]}})");
  CHECK(f.run("velero.io/crd-preserve-fields", gr, plain, "").item == plain);
}

// ---- apiservice_action_test.go, admissionwebhook_config_action_test.go ------------------------------

TEST_CASE("restore §2.5 velero.io/apiservice: skips the restore") {
  Fixture f;
  json::object svc = obj(R"({"metadata":{"name":"v1.test.velero.io"}})");
  auto out = f.run("velero.io/apiservice", "apiservices.apiregistration.k8s.io", svc, "");
  CHECK(out.skip_restore);
  CHECK(out.item == svc);
}

TEST_CASE("restore §2.5 velero.io/admission-webhook-configuration: v1 sideEffects other than None/NoneOnDryRun become None") {
  Fixture f;
  const std::string gr = "validatingwebhookconfigurations.admissionregistration.k8s.io";
  auto effects = [&](std::string api_version, std::string webhooks) {
    auto out = f.run("velero.io/admission-webhook-configuration", gr,
                     obj(R"({"apiVersion":")" + api_version + R"(","metadata":{"name":"w"},"webhooks":)" + webhooks + "}"), "");
    std::string s;
    for (const auto& h : out.item.at("webhooks").as_array()) {
      const json::value* e = h.as_object().if_contains("sideEffects");
      s += (e ? std::string(e->as_string()) : "-") + " ";
    }
    return s + std::to_string(out.warnings.size());
  };
  CHECK(effects("admissionregistration.k8s.io/v1", R"([{"clientConfig":{"url":"https://mytest.org"},"sideEffects":"Unknown"}])") == "None 0");
  CHECK(effects("admissionregistration.k8s.io/v1", R"([{"sideEffects":"Some"},{"sideEffects":"Some"}])") == "None None 0");
  CHECK(effects("admissionregistration.k8s.io/v1", R"([{"sideEffects":"NoneOnDryRun"},{},{"sideEffects":"None"}])") ==
        "NoneOnDryRun None None 0");
  CHECK(effects("admissionregistration.k8s.io/v1beta1", R"([{"sideEffects":"Some"}])") == "Some 0");
  // An entry that is not an object is dropped, with a warning.
  CHECK(effects("admissionregistration.k8s.io/v1", R"(["bad",{"sideEffects":"Some"}])") == "None 1");
}

// ---- the runner's loop (restore §2.3 step 8) -------------------------------------------------------

TEST_CASE("restore §2.3 step 8: actions run in order on one item; a skip ends the run") {
  Fixture f;
  ActionContext ctx{f.restore, "velero", f.target};
  json::object pod = obj(R"({"apiVersion":"v1","kind":"Pod","metadata":{"namespace":"ns-1","name":"p"},"spec":{"nodeName":"n",
      "priorityClassName":"high","volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"data"}}]}})");
  ActionRun run = run_restore_item_actions(f.actions, ctx, {"pods", "ns-1", "ns-1", pod, pod});
  CHECK_FALSE(run.skip_restore);
  CHECK_FALSE(run.item.at("spec").as_object().contains("nodeName"));
  REQUIRE(run.additional.size() == 2);
  CHECK(run.additional[0].action == "velero.io/add-pvc-from-pod");
  CHECK(run.additional[0].items == std::vector<ItemRef>{{"persistentvolumeclaims", "ns-1", "data"}});
  CHECK(run.additional[1].action == "velero.io/pod");
  CHECK(run.additional[1].items == std::vector<ItemRef>{{"priorityclasses.scheduling.k8s.io", "", "high"}});

  json::object api = obj(R"({"metadata":{"name":"v1.apps","labels":{"kube-aggregator.kubernetes.io/automanaged":"onstart"}}})");
  run = run_restore_item_actions(f.actions, ctx, {"apiservices.apiregistration.k8s.io", "", "", api, api});
  CHECK(run.skip_restore);
  CHECK(run.skipped_by == "velero.io/apiservice");
}

namespace {
// An in-process action that asks for its additional items the Velero way, by annotation.
class MustIncludeAction final : public RestoreItemAction {
 public:
  std::string_view name() const override { return "example.io/must-include"; }
  bool applies_to(std::string_view gr, std::string_view, const json::object*) const override { return gr == "configmaps"; }
  ActionOutput execute(const ActionContext&, ActionInput input) const override {
    ActionOutput out;
    out.item = std::move(input.item);
    out.item["metadata"].as_object()["annotations"] =
        json::object{{"restore.velero.io/must-include-additional-items", "true"}, {"keep", "1"}};
    out.additional_items.push_back({"secrets", "ns-1", "s"});
    return out;
  }
};
}  // namespace

TEST_CASE("restore §2.5 must-include-additional-items: the annotation is taken off and marks the items") {
  Fixture f;
  std::vector<std::unique_ptr<RestoreItemAction>> actions;
  actions.push_back(std::make_unique<MustIncludeAction>());
  ActionContext ctx{f.restore, "velero", f.target};
  json::object cm = obj(R"({"metadata":{"namespace":"ns-1","name":"c"}})");
  ActionRun run = run_restore_item_actions(actions, ctx, {"configmaps", "ns-1", "ns-1", cm, cm});
  CHECK(compact(run.item) == R"({"metadata":{"namespace":"ns-1","name":"c","annotations":{"keep":"1"}}})");
  REQUIRE(run.additional.size() == 1);
  CHECK(run.additional[0].must_include);
}
