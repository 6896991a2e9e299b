// velero.io/service (restore §2.5 "Service NodePorts"): the input → output cases of
// pkg/restore/actions/service_action_test.go at velero-io HEAD, restated on JSON objects.
#include "restore/actions/restore_item_action.hpp"
#include "vbackup/error.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
using namespace vbackup::restore;

namespace {

json::object obj(std::string_view text) { return json::parse(text, "test").as_object(); }
// Go-style compact JSON in the objects' own key order.
std::string compact(const json::value& v) { return json::marshal(v, {.sort_keys = false}); }

struct Fixture {
  velero::Restore restore;
  EmptyTarget target;  // the service action reads nothing of the cluster
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

}  // namespace

// ---- service_action_test.go -------------------------------------------------------------------------

namespace {
// svcJSON of service_action_test.go: a typed Service with healthCheckNodePort 8080 and the given ports,
// marshalled by Go (port and targetPort always written, nodePort and name omitted when zero).
std::string svc_json(std::string ports = {}) {
  return R"({"metadata":{"creationTimestamp":null},"spec":{)" + (ports.empty() ? "" : R"("ports":)" + ports + ",") +
         R"("healthCheckNodePort":8080},"status":{"loadBalancer":{}}})";
}
json::object with_last_applied(std::string spec, std::string last_applied) {
  json::object o = obj(R"({"metadata":{"name":"svc-1"},"spec":)" + spec + "}");
  o["metadata"].as_object()["annotations"] = json::object{{"kubectl.kubernetes.io/last-applied-configuration", last_applied}};
  return o;
}
std::string spec_of(const ActionOutput& out) { return compact(out.item.at("spec")); }
}  // namespace

TEST_CASE("restore §2.5 velero.io/service: clusterIP and clusterIPs removed unless headless") {
  Fixture f;
  auto out = f.run("velero.io/service", "services", obj(R"({"metadata":{"name":"svc-1"},"spec":{
      "clusterIP":"should-be-removed","clusterIPs":["should-be-removed"],"loadBalancerIP":"should-be-kept"}})"));
  CHECK(spec_of(out) == R"({"loadBalancerIP":"should-be-kept"})");
  out = f.run("velero.io/service", "services", obj(R"({"metadata":{"name":"svc-1"},"spec":{"clusterIP":"None","clusterIPs":["None"]}})"));
  CHECK(spec_of(out) == R"({"clusterIP":"None","clusterIPs":["None"]})");
}

TEST_CASE("restore §2.5 velero.io/service: NodePorts without last-applied or managedFields are removed") {
  Fixture f;
  auto out = f.run("velero.io/service", "services", obj(R"({"metadata":{"name":"svc-1"},"spec":{"ports":[
      {"port":32000,"nodePort":32000},{"port":32001,"nodePort":32001}]}})"));
  CHECK(spec_of(out) == R"({"ports":[{"port":32000},{"port":32001}]})");
}

TEST_CASE("restore §2.5 velero.io/service: last-applied-configuration keeps the NodePorts the user wrote") {
  Fixture f;
  // unnamed nodePort deleted when missing in annotation
  CHECK(spec_of(f.run("velero.io/service", "services", with_last_applied(R"({"ports":[{"nodePort":8080}]})", svc_json()))) ==
        R"({"ports":[{}]})");
  // unnamed nodePort kept when its value is in the annotation
  CHECK(spec_of(f.run("velero.io/service", "services",
                      with_last_applied(R"({"ports":[{"nodePort":8080},{"nodePort":9090}]})",
                                        svc_json(R"([{"port":0,"targetPort":0,"nodePort":8080}])")))) ==
        R"({"ports":[{"nodePort":8080},{}]})");
  // unnamed nodePort deleted when the annotation names the port
  CHECK(spec_of(f.run("velero.io/service", "services",
                      with_last_applied(R"({"ports":[{"nodePort":8080}]})",
                                        svc_json(R"([{"name":"http","port":0,"targetPort":0,"nodePort":8080}])")))) ==
        R"({"ports":[{}]})");
  // a string nodePort in the annotation counts too (svcJSONFromUnstructured)
  CHECK(spec_of(f.run("velero.io/service", "services",
                      with_last_applied(R"({"ports":[{"nodePort":8080}]})",
                                        R"({"spec":{"ports":[{"name":"http","nodePort":"8080"}]}})"))) == R"({"ports":[{}]})");
  // named nodePort kept when specified in the annotation
  CHECK(spec_of(f.run("velero.io/service", "services",
                      with_last_applied(R"({"ports":[{"name":"http","nodePort":8080},{"name":"admin","nodePort":9090}]})",
                                        svc_json(R"([{"name":"http","port":0,"targetPort":0,"nodePort":8080}])")))) ==
        R"({"ports":[{"name":"http","nodePort":8080},{"name":"admin"}]})");
  // A nodePort string that is not a number fails the item, as strconv.Atoi fails the action.
  CHECK(error_of([&] {
          f.run("velero.io/service", "services",
                with_last_applied(R"({"ports":[{"nodePort":8080}]})", R"({"spec":{"ports":[{"nodePort":"http"}]}})"));
        }).find("svc-1: annotation kubectl.kubernetes.io/last-applied-configuration.spec.ports[0].nodePort") != std::string::npos);
}

TEST_CASE("restore §2.5 velero.io/service: preserveNodePorts keeps NodePorts and healthCheckNodePort") {
  Fixture f;
  f.restore.spec.preserve_node_ports = true;
  auto out = f.run("velero.io/service", "services", obj(R"({"metadata":{"name":"svc-1"},"spec":{"healthCheckNodePort":8080,
      "externalTrafficPolicy":"Local","type":"LoadBalancer","ports":[{"name":"http","port":80,"nodePort":8080},
      {"name":"hepsiburada","nodePort":9025}]}})"));
  CHECK(spec_of(out) == R"({"healthCheckNodePort":8080,"externalTrafficPolicy":"Local","type":"LoadBalancer",)"
                        R"("ports":[{"name":"http","port":80,"nodePort":8080},{"name":"hepsiburada","nodePort":9025}]})");
}

TEST_CASE("restore §2.5 velero.io/service: managedFields f:nodePort keeps the NodePort (server-side apply)") {
  Fixture f;
  auto service = [](std::string fields, std::string ports) {
    return obj(R"({"metadata":{"name":"svc-1","managedFields":[{"fieldsV1":)" + fields + R"(}]},"spec":{"ports":)" + ports + "}}");
  };
  const std::string ports =
      R"([{"name":"http","port":80,"nodePort":30000,"protocol":"TCP"},{"name":"https","port":443,"nodePort":30002,"protocol":"TCP"}])";
  CHECK(spec_of(f.run("velero.io/service", "services",
                      service(R"({"f:spec":{"f:ports":{"k:{\"port\":443,\"protocol\":\"TCP\"}":{".":{},"f:name":{},"f:port":{}},)"
                              R"("k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:name":{},"f:port":{}}},"f:selector":{},"f:type":{}}})",
                              ports))) ==
        R"({"ports":[{"name":"http","port":80,"protocol":"TCP"},{"name":"https","port":443,"protocol":"TCP"}]})");
  CHECK(spec_of(f.run("velero.io/service", "services",
                      service(R"({"f:spec":{"f:ports":{"k:{\"port\":443,\"protocol\":\"TCP\"}":{".":{},"f:name":{},"f:nodePort":{},"f:port":{}},)"
                              R"("k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:name":{},"f:nodePort":{},"f:port":{}}},"f:selector":{},"f:type":{}}})",
                              ports))) == R"({"ports":)" + ports + "}");
}

TEST_CASE("restore §2.5 velero.io/service: healthCheckNodePort of a Local LoadBalancer") {
  Fixture f;
  const std::string local = R"("healthCheckNodePort":8080,"externalTrafficPolicy":"Local","type":"LoadBalancer")";
  // cleared when neither last-applied nor managedFields set it
  CHECK(spec_of(f.run("velero.io/service", "services", obj(R"({"metadata":{"name":"svc-1"},"spec":{)" + local + "}}"))) ==
        R"({"externalTrafficPolicy":"Local","type":"LoadBalancer"})");
  // kept for externalTrafficPolicy Cluster
  CHECK(spec_of(f.run("velero.io/service", "services", obj(R"({"spec":{"healthCheckNodePort":8080,
      "externalTrafficPolicy":"Cluster","type":"LoadBalancer"}})"))) ==
        R"({"healthCheckNodePort":8080,"externalTrafficPolicy":"Cluster","type":"LoadBalancer"})");
  // kept when the annotation has it
  CHECK(spec_of(f.run("velero.io/service", "services", with_last_applied("{" + local + "}", svc_json()))) == "{" + local + "}");
  // kept when managedFields has f:healthCheckNodePort
  CHECK(spec_of(f.run("velero.io/service", "services",
                      obj(R"({"metadata":{"managedFields":[{"fieldsV1":{"f:spec":{"f:healthCheckNodePort":{}}}}]},"spec":{)" +
                          local + "}}"))) == "{" + local + "}");
  // null in the annotation: cleared, no crash
  CHECK(spec_of(f.run("velero.io/service", "services",
                      with_last_applied("{" + local + "}", R"({"spec":{"healthCheckNodePort":null}})"))) ==
        R"({"externalTrafficPolicy":"Local","type":"LoadBalancer"})");
}

TEST_CASE("restore §2.5 velero.io/service: ExternalName services keep their ports") {
  Fixture f;
  CHECK(spec_of(f.run("velero.io/service", "services",
                      obj(R"({"spec":{"type":"ExternalName","externalName":"x.example.com","ports":[{"port":80,"nodePort":30001}]}})"))) ==
        R"({"type":"ExternalName","externalName":"x.example.com","ports":[{"port":80,"nodePort":30001}]})");
}
