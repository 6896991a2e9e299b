// The restore's options through the whole runner into a test API server, each with the Velero rule
// it restates: status restore (restore §2.9, --status-include-resources and the annotation),
// resource modifiers from a ConfigMap in the target's Velero namespace (restore §5.1 e2e case),
// restore resource policies (restore §2.4), --include-names (ours), init-container restore hooks
// (restore §2.5 velero.io/init-restore-hook) and preserved nodePorts (restore §5.1 basic/nodeport.go).
#include "restore_support.hpp"

using namespace vbackup;
using namespace vbackup::testing;

namespace {

using Names = std::vector<std::string>;

struct Outcome {
  RestoreResult result;
  PlanLog plan;
  RestoreDetails details;
};

Outcome restore_into(RestoreServer& s, RestoreLocation& loc, velero::Restore rs, RestoreOptions o = {}) {
  Outcome out;
  auto plan = plan_options(out.plan);
  o.now = plan.now;
  o.on_plan = plan.on_plan;
  out.result = create_restore(s.cluster.get(), loc.location, rs, o).result;
  INFO(out.result.outcome.message);
  REQUIRE(out.result.outcome.ok());
  out.details = loc.details(rs.metadata.name);
  return out;
}

void velero_namespace(RestoreServer& s) {
  s.create("namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"velero"}})");
}

}  // namespace

TEST_CASE("restore §2.9 status restore: --status-include-resources, and the velero.io/restore-status annotation") {
  RestoreServer s({});
  RestoreLocation loc;
  std::string with_status = pod_json("ns-1", "plain");
  with_status.insert(with_status.size() - 1, R"(,"status":{"phase":"Running","podIP":"10.0.0.9"})");
  auto annotated = [&](const std::string& name, const char* value) {
    std::string p = pod_json("ns-1", name, std::string(R"("annotations":{"velero.io/restore-status":")") + value + "\"}");
    p.insert(p.size() - 1, R"(,"status":{"phase":"Running","podIP":"10.0.0.9"})");
    return p;
  };
  put_backup(loc, "backup-1",
             Tarball{}.item("pods", with_status).item("pods", annotated("annotated-true", " True ")).item("pods", annotated("annotated-false", "false")).gzip());
  auto phase = [&](const char* name) {
    auto p = s.get("pods", "ns-1", name);
    REQUIRE(p);
    return std::string(json::get_string(*json::find_object(*p, "status"), "phase"));
  };
  SUBCASE("spec.restoreStatus nil: only the annotation true restores status (restore §2.9 rule 3)") {
    restore_into(s, loc, restore_of("r", "backup-1"));
    CHECK(phase("plain") == "Pending");
    CHECK(phase("annotated-true") == "Running");
    CHECK(phase("annotated-false") == "Pending");
  }
  SUBCASE("spec.restoreStatus.includedResources [pods]: all but the one annotated false") {
    auto rs = restore_of("r", "backup-1");
    rs.spec.restore_status = velero::RestoreStatusSpec{{"pods"}, {}, {}};
    restore_into(s, loc, rs);
    CHECK(phase("plain") == "Running");
    CHECK(phase("annotated-true") == "Running");
    CHECK(phase("annotated-false") == "Pending");
  }
  SUBCASE("spec.restoreStatus excluding pods: none but the one annotated true") {
    auto rs = restore_of("r", "backup-1");
    rs.spec.restore_status = velero::RestoreStatusSpec{{"*"}, {"pods"}, {}};
    restore_into(s, loc, rs);
    CHECK(phase("plain") == "Pending");
    CHECK(phase("annotated-true") == "Running");
  }
}

TEST_CASE("restore §5.1 e2e resourcemodifiers: the ConfigMap in the target's Velero namespace sets replicas 2 and adds containers[1]") {
  RestoreServer s({});
  RestoreLocation loc;
  velero_namespace(s);
  put_backup(loc, "backup-1",
             Tarball{}
                 .item("deployments.apps", deployment_json("resource-modifiers-ns-0", "resource-modifiers-base"))
                 .item("deployments.apps", deployment_json("resource-modifiers-ns-0", "other"))
                 .gzip());
  // The e2e test's yamlData, verbatim.
  const std::string yaml_data =
      "version: v1\n"
      "resourceModifierRules:\n"
      "- conditions:\n"
      "    groupResource: deployments.apps\n"
      "    resourceNameRegex: \"resource-modifiers-.*\"\n"
      "  patches:\n"
      "  - operation: add\n"
      "    path: \"/spec/template/spec/containers/1\"\n"
      "    value: \"{\\\"name\\\": \\\"nginx\\\", \\\"image\\\": \\\"nginx:1.14.2\\\", \\\"ports\\\": [{\\\"containerPort\\\": 80}]}\"\n"
      "  - operation: replace\n"
      "    path: \"/spec/replicas\"\n"
      "    value: \"2\"\n";
  json::object cm{{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                  {"metadata", json::object{{"name", "modifiers"}, {"namespace", "velero"}}},
                  {"data", json::object{{"yamlData", yaml_data}}}};
  s.create("configmaps", json::marshal(cm));
  auto rs = restore_of("r", "backup-1");
  rs.spec.resource_modifier = velero::TypedLocalObjectReference{std::nullopt, "ConfigMap", "modifiers", {}};
  auto out = restore_into(s, loc, rs);
  CHECK(out.result.restore.status.phase == "Completed");
  auto d = s.get("deployments.apps", "resource-modifiers-ns-0", "resource-modifiers-base");
  REQUIRE(d);
  const json::object& spec = d->at("spec").as_object();
  CHECK(spec.at("replicas").as_int64() == 2);
  const json::array& containers = spec.at("template").as_object().at("spec").as_object().at("containers").as_array();
  REQUIRE(containers.size() == 2);
  CHECK(json::get_string(containers[1].as_object(), "image") == "nginx:1.14.2");
  // The regex does not match "other": untouched.
  auto other = s.get("deployments.apps", "resource-modifiers-ns-0", "other");
  CHECK(other->at("spec").as_object().at("replicas").as_int64() == 1);

  SUBCASE("restore §2.10: a ConfigMap with two data keys fails validation") {
    cm["metadata"].as_object()["name"] = "two-keys";
    cm["data"].as_object()["second"] = "x";
    s.create("configmaps", json::marshal(cm));
    auto rs2 = restore_of("r2", "backup-1");
    rs2.spec.resource_modifier = velero::TypedLocalObjectReference{std::nullopt, "ConfigMap", "two-keys", {}};
    PlanLog plan;
    auto r = create_restore(s.cluster.get(), loc.location, rs2, plan_options(plan)).result;
    CHECK(r.restore.status.phase == "FailedValidation");
    CHECK_FALSE(r.restore.status.validation_errors.empty());
  }
  SUBCASE("restore §2.11: a modifier ConfigMap that does not exist fails validation, naming it") {
    auto rs2 = restore_of("r3", "backup-1");
    rs2.spec.resource_modifier = velero::TypedLocalObjectReference{std::nullopt, "ConfigMap", "absent", {}};
    PlanLog plan;
    auto r = create_restore(s.cluster.get(), loc.location, rs2, plan_options(plan)).result;
    CHECK(r.restore.status.phase == "FailedValidation");
    REQUIRE(r.restore.status.validation_errors.size() == 1);
    CHECK(r.restore.status.validation_errors[0].find("velero/absent") != std::string::npos);
  }
}

TEST_CASE("restore §2.4 restore resource policy: namespaced kinds, names and excludedNames; cluster-scoped refinement") {
  RestoreServer s({});
  RestoreLocation loc;
  velero_namespace(s);
  put_backup(loc, "backup-1",
             Tarball{}
                 .item("pods", pod_json("ns-1", "web-1"))
                 .item("pods", pod_json("ns-1", "web-canary"))
                 .item("pods", pod_json("ns-1", "db-1"))
                 .item("pods", pod_json("ns-2", "web-2"))
                 .item("deployments.apps", deployment_json("ns-1", "deploy-1"))
                 .item("deployments.apps", deployment_json("ns-2", "deploy-2"))
                 .item("persistentvolumes", pv_json("pv-1"))
                 .item("persistentvolumes", pv_json("pv-2"))
                 .gzip());
  const std::string policy =
      "version: v1\n"
      "namespacedFilterPolicies:\n"
      "- namespaces: [ns-1]\n"
      "  resourceFilters:\n"
      "  - kinds: [pods]\n"
      "    names: [\"web-*\"]\n"
      "    excludedNames: [web-canary]\n"
      "clusterScopedFilterPolicy:\n"
      "  resourceFilters:\n"
      "  - kinds: [persistentvolumes]\n"
      "    names: [pv-1]\n";
  json::object cm{{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                  {"metadata", json::object{{"name", "policy"}, {"namespace", "velero"}}},
                  {"data", json::object{{"policy.yaml", policy}}}};
  s.create("configmaps", json::marshal(cm));
  auto rs = restore_of("r", "backup-1");
  rs.spec.extra["resourcePolicy"] = json::object{{"kind", "configmap"}, {"name", "policy"}};
  auto out = restore_into(s, loc, rs);
  INFO(out.plan.dump());
  CHECK(out.result.restore.status.phase == "Completed");
  // ns-1 has a policy: pods named web-* but web-canary; its deployments are not listed → skipped.
  // ns-2 has none: everything.
  CHECK(names_in(s, "pods") == Names{"ns-1/web-1", "ns-2/web-2"});
  CHECK(names_in(s, "deployments.apps") == Names{"ns-2/deploy-2"});
  CHECK(names_in(s, "persistentvolumes") == Names{"/pv-1"});
}

TEST_CASE("--include-names (ours, velero#4908/#4756): [namespace/]name globs narrow the other filters") {
  RestoreServer s({});
  RestoreLocation loc;
  put_backup(loc, "backup-1",
             Tarball{}
                 .item("pods", pod_json("ns-1", "web-1"))
                 .item("pods", pod_json("ns-1", "db-1"))
                 .item("pods", pod_json("ns-2", "web-2"))
                 .item("deployments.apps", deployment_json("ns-2", "web-deploy"))
                 .item("persistentvolumes", pv_json("pv-1"))
                 .item("persistentvolumes", pv_json("web-pv"))
                 .gzip());
  RestoreOptions o;
  o.include_names = {"ns-1/web-*", "/pv-1"};
  restore_into(s, loc, restore_of("r", "backup-1"), o);
  CHECK(names_in(s, "pods") == Names{"ns-1/web-1"});
  CHECK(names_in(s, "deployments.apps").empty());
  CHECK(names_in(s, "persistentvolumes") == Names{"/pv-1"});
  RestoreServer s2({});
  o.include_names = {"web-*"};  // no '/': any item so named, namespaced or not
  restore_into(s2, loc, restore_of("r2", "backup-1"), o);
  CHECK(names_in(s2, "pods") == Names{"ns-1/web-1", "ns-2/web-2"});
  CHECK(names_in(s2, "deployments.apps") == Names{"ns-2/web-deploy"});
  CHECK(names_in(s2, "persistentvolumes") == Names{"/web-pv"});
}

TEST_CASE("restore §2.5 velero.io/init-restore-hook: spec hooks match the target namespace; annotations win") {
  RestoreServer s({});
  RestoreLocation loc;
  std::string pod_with_init = pod_json("ns-1", "with-init");
  pod_with_init.insert(pod_with_init.find(R"("containers")"), R"("initContainers":[{"name":"existing","image":"busybox"}],)");
  std::string with_restore_wait = pod_json("ns-1", "with-restore-wait");
  with_restore_wait.insert(with_restore_wait.find(R"("containers")"),
                           R"("initContainers":[{"name":"restore-wait","image":"velero/velero-restore-helper"},{"name":"existing","image":"busybox"}],)");
  put_backup(loc, "backup-1",
             Tarball{}
                 .item("pods", pod_with_init)
                 .item("pods", pod_json("ns-1", "annotated",
                                        R"("annotations":{"init.hook.restore.velero.io/container-image":"alpine","init.hook.restore.velero.io/container-name":"from-annotation","init.hook.restore.velero.io/command":"[\"/bin/sh\",\"-c\",\"true\"]"})"))
                 .item("pods", pod_json("ns-2", "elsewhere"))
                 .item("pods", with_restore_wait)
                 .gzip());
  auto rs = restore_of("r", "backup-1");
  rs.spec.namespace_mapping = {{"ns-1", "ns-1-mapped"}};
  rs.spec.hooks = json::parse(R"({"resources":[{"name":"h","includedNamespaces":["ns-1-mapped"],"postHooks":[
      {"init":{"initContainers":[{"name":"restore-hook","image":"busybox","command":["true"]}]}}]}]})",
                              "hooks")
                      .as_object();
  auto out = restore_into(s, loc, rs);
  CHECK(out.result.restore.status.phase == "Completed");
  auto init_names = [&](const std::string& ns, const std::string& name) {
    Names n;
    auto p = s.get("pods", ns, name);
    REQUIRE(p);
    if (const json::array* a = json::find_array(p->at("spec").as_object(), "initContainers")) {
      for (const auto& c : *a) n.emplace_back(json::get_string(c.as_object(), "name"));
    }
    return n;
  };
  // Hook containers go first, before the existing init containers.
  CHECK(init_names("ns-1-mapped", "with-init") == Names{"restore-hook", "existing"});
  CHECK(init_names("ns-1-mapped", "annotated") == Names{"from-annotation"});
  CHECK(init_names("ns-2", "elsewhere").empty());  // the selector names the target namespace
  // restore §2.5 velero.io/pod-volume-restore (after init-restore-hook, which keeps a restore-wait at
  // index 0 first): every restore-wait init container is removed when the backup has no pod volume
  // backups for the pod, so the pod does not wait for data that never comes.
  CHECK(init_names("ns-1-mapped", "with-restore-wait") == Names{"restore-hook", "existing"});
}

TEST_CASE("restore §2.5 velero.io/pod-volume-restore: restore-wait and restic-wait init containers go; none left is no list") {
  RestoreServer s({});
  RestoreLocation loc;
  std::string only_wait = pod_json("ns-1", "only-wait");
  only_wait.insert(only_wait.find(R"("containers")"),
                   R"("initContainers":[{"name":"restic-wait","image":"velero/velero-restic-restore-helper"}],)");
  put_backup(loc, "backup-1", Tarball{}.item("pods", only_wait).gzip());
  restore_into(s, loc, restore_of("r", "backup-1"));
  auto p = s.get("pods", "ns-1", "only-wait");
  REQUIRE(p);
  CHECK_FALSE(p->at("spec").as_object().contains("initContainers"));
}

TEST_CASE("restore §5.1 e2e basic/nodeport.go: preserved nodePort taken → PartiallyFailed; not preserved → Completed; freed → kept") {
  RestoreServer s({});
  RestoreLocation loc;
  const std::string svc =
      R"({"apiVersion":"v1","kind":"Service","metadata":{"namespace":"nodeport","name":"lb"},"spec":{"type":"LoadBalancer",)"
      R"("clusterIP":"10.96.3.3","ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":80,"nodePort":31555}],"selector":{"app":"x"}}})";
  put_backup(loc, "backup-1", Tarball{}.item("services", svc).gzip());
  s.create("namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"other"}})");
  s.create("services", R"({"apiVersion":"v1","kind":"Service","metadata":{"namespace":"other","name":"taker"},"spec":{"type":"NodePort",)"
                       R"("ports":[{"port":80,"nodePort":31555}],"selector":{"app":"y"}}})");
  auto port = [&] {
    auto got = s.get("services", "nodeport", "lb");
    REQUIRE(got);
    return got->at("spec").as_object().at("ports").as_array()[0].as_object().at("nodePort").as_int64();
  };
  auto rs = restore_of("preserve-taken", "backup-1");
  rs.spec.preserve_node_ports = true;
  auto taken = restore_into(s, loc, rs);
  CHECK(taken.result.restore.status.phase == "PartiallyFailed");
  REQUIRE(taken.details.results.errors.namespaces["nodeport"].size() == 1);
  CHECK(taken.details.results.errors.namespaces["nodeport"][0].find("provided port is already allocated") != std::string::npos);
  CHECK_FALSE(s.get("services", "nodeport", "lb"));

  auto rs2 = restore_of("not-preserved", "backup-1");
  rs2.spec.preserve_node_ports = false;
  auto fresh = restore_into(s, loc, rs2);
  CHECK(fresh.result.restore.status.phase == "Completed");
  CHECK(port() != 31555);  // reassigned (restore §2.5 velero.io/service: no last-applied, no managedFields)
  CHECK(json::get_string(s.get("services", "nodeport", "lb")->at("spec").as_object(), "clusterIP") != "10.96.3.3");

  s.cluster->client()->remove(s.resource("services"), "other", "taker");
  s.cluster->client()->remove(s.resource("services"), "nodeport", "lb");
  auto rs3 = restore_of("preserve-freed", "backup-1");
  rs3.spec.preserve_node_ports = true;
  auto freed = restore_into(s, loc, rs3);
  CHECK(freed.result.restore.status.phase == "Completed");
  CHECK(port() == 31555);
}

TEST_CASE("restore §2.7 not mapped: modifier conditions and resource-policy namespaces name the source namespace") {
  RestoreServer s({});
  RestoreLocation loc;
  put_backup(loc, "backup-1",
             Tarball{}
                 .item("deployments.apps", deployment_json("ns-1", "web"))
                 .item("pods", pod_json("ns-1", "web-pod"))
                 .item("pods", pod_json("ns-1", "other-pod"))
                 .gzip());
  auto rs = restore_of("r", "backup-1");
  rs.spec.namespace_mapping = {{"ns-1", "mapped"}};
  RestoreOptions o;
  o.resource_modifiers =
      "version: v1\n"
      "resourceModifierRules:\n"
      "- conditions: {groupResource: deployments.apps, namespaces: [ns-1]}\n"
      "  patches: [{operation: replace, path: /spec/replicas, value: \"5\"}]\n"
      "- conditions: {groupResource: deployments.apps, namespaces: [mapped]}\n"
      "  patches: [{operation: replace, path: /spec/replicas, value: \"7\"}]\n";
  o.resource_policy =
      "version: v1\n"
      "namespacedFilterPolicies:\n"
      "- namespaces: [ns-1]\n"
      "  resourceFilters:\n"
      "  - kinds: [deployments.apps]\n"
      "  - kinds: [pods]\n"
      "    names: [web-pod]\n";
  auto out = restore_into(s, loc, rs, o);
  CHECK(out.result.restore.status.phase == "Completed");
  auto d = s.get("deployments.apps", "mapped", "web");
  REQUIRE(d);
  CHECK(d->at("spec").as_object().at("replicas").as_int64() == 5);  // the rule on "ns-1" applied, not "mapped"'s
  CHECK(names_in(s, "pods") == Names{"mapped/web-pod"});            // the policy of "ns-1" filtered
}

TEST_CASE("restore §2.3 step 2 EnsureNamespaceExistsAndIsReady: an existing namespace is not patched; a terminating one is waited for") {
  kubetest::KubeServerOptions so;
  so.api.namespace_delete_delay = std::chrono::milliseconds(1500);
  RestoreServer s(so);
  RestoreLocation loc;
  put_backup(loc, "backup-1",
             Tarball{}
                 .item("namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns-1","labels":{"from":"backup"}}})")
                 .item("namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns-2","labels":{"from":"backup"}}})")
                 .item("pods", pod_json("ns-1", "pod-1"))
                 .item("pods", pod_json("ns-2", "pod-2"))
                 .gzip());
  s.create("namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns-1","labels":{"from":"cluster"}}})");
  s.create("namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns-2","labels":{"from":"cluster"}}})");
  s.cluster->client()->remove(s.resource("namespaces"), "", "ns-2");
  REQUIRE(json::get_string(*json::find_object(*s.get("namespaces", "", "ns-2"), "status"), "phase") == "Terminating");
  auto started = std::chrono::steady_clock::now();
  auto out = restore_into(s, loc, restore_of("r", "backup-1"));
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(1000));
  CHECK(out.result.restore.status.phase == "Completed");
  // ns-1 existed: untouched, not in the resource list; ns-2 was re-created from the backup once gone.
  CHECK(label_of(*s.get("namespaces", "", "ns-1"), "from") == "cluster");
  CHECK(label_of(*s.get("namespaces", "", "ns-2"), "from") == "backup");
  CHECK(out.details.resource_list["v1/Namespace"] == Names{"ns-2(created)"});
  CHECK(names_in(s, "pods") == Names{"ns-1/pod-1", "ns-2/pod-2"});
}

TEST_CASE("restore §5.1 e2e storage-class-changing and change-image-name: plugin ConfigMaps in the target's Velero namespace") {
  RestoreServer s({});
  RestoreLocation loc;
  velero_namespace(s);
  const std::string pvc = R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"namespace":"ns","name":"data"},)"
                          R"("spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"storageClassName":"standard"}})";
  const std::string other_pvc = R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"namespace":"ns","name":"slow"},)"
                                R"("spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"storageClassName":"slow"}})";
  put_backup(loc, "backup-1",
             Tarball{}.item("persistentvolumeclaims", pvc).item("persistentvolumeclaims", other_pvc).item("deployments.apps", deployment_json("ns", "web")).gzip());
  s.create("configmaps", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":"velero","name":"change-sc",)"
                         R"("labels":{"velero.io/plugin-config":"","velero.io/change-storage-class":"RestoreItemAction"}},)"
                         R"("data":{"standard":"fast","slow":"missing"}})");
  s.create("configmaps", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":"velero","name":"change-image",)"
                         R"("labels":{"velero.io/plugin-config":"","velero.io/change-image-name":"RestoreItemAction"}},)"
                         R"("data":{"case1":"busybox,registry.example.com/busybox"}})");
  s.create("storageclasses.storage.k8s.io",
           R"({"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"fast"},"provisioner":"example.com/fast"})");
  auto rs = restore_of("r", "backup-1");
  rs.spec.namespace_mapping = {{"ns", "ns-mapped"}};
  auto out = restore_into(s, loc, rs);
  INFO(out.plan.dump());
  auto got = s.get("persistentvolumeclaims", "ns-mapped", "data");
  REQUIRE(got);
  CHECK(json::get_string(got->at("spec").as_object(), "storageClassName") == "fast");
  // A new class the cluster lacks makes the action fail, so the item is not restored (§3.1 item 20).
  CHECK_FALSE(s.get("persistentvolumeclaims", "ns-mapped", "slow"));
  CHECK(out.plan.action("v1/PersistentVolumeClaim ns-mapped/slow") == "failed");
  CHECK(out.result.restore.status.phase == "PartiallyFailed");
  auto web = s.get("deployments.apps", "ns-mapped", "web");
  REQUIRE(web);
  const auto& c0 = web->at("spec").as_object().at("template").as_object().at("spec").as_object().at("containers").as_array()[0];
  CHECK(json::get_string(c0.as_object(), "image") == "registry.example.com/busybox");
}

TEST_CASE("restore §2.10: a modifier rule that fails on an item is an error of that item, which is still created") {
  RestoreServer s({});
  RestoreLocation loc;
  put_backup(loc, "backup-1", Tarball{}.item("configmaps", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":"ns","name":"cm"},"data":{"a":"1"}})").gzip());
  RestoreOptions o;
  o.resource_modifiers =
      "version: v1\n"
      "resourceModifierRules:\n"
      "- conditions: {groupResource: configmaps}\n"
      "  patches:\n"
      "  - {operation: replace, path: /data/missing, value: x}\n"
      "- conditions: {groupResource: configmaps}\n"
      "  patches:\n"
      "  - {operation: add, path: /data/b, value: two}\n";
  auto out = restore_into(s, loc, restore_of("r", "backup-1"), o);
  CHECK(out.result.restore.status.phase == "PartiallyFailed");
  REQUIRE(out.details.results.errors.namespaces["ns"].size() == 1);
  auto cm = s.get("configmaps", "ns", "cm");
  REQUIRE(cm);
  // The other rule's patch applied (rules are cumulative), the failing one changed nothing.
  CHECK(json::marshal(cm->at("data")) == R"({"a":"1","b":"two"})");
}
