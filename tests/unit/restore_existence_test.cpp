// Issue 17: Velero looks an object up in its informer cache before it creates it (restore §2.3 step
// 14); ours lists the names of a resource in a namespace once, and GETs only the objects the LIST saw,
// instead of a GET request per item. An existing object still goes through §2.6 as before.
#include "restore_support.hpp"

using namespace vbackup;
using namespace vbackup::testing;

namespace {

bool is_get_of(const kubetest::RequestRecord& q, const std::string& path) {
  return q.method == "GET" && q.target.substr(0, q.target.find('?')) == path;
}

// Namespace ns-1 with pod-2 in it, whose image (nginx) differs from the backup's copy.
void seed_existing_pod(RestoreServer& s) {
  s.create("namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns-1"}})");
  s.create("pods", R"({"apiVersion":"v1","kind":"Pod","metadata":{"namespace":"ns-1","name":"pod-2"},
                      "spec":{"containers":[{"name":"c","image":"nginx"}]}})");
}

// The image of pod-2 in the cluster, as JSON ("\"nginx\"" while the restore has not written it).
std::string existing_pod_image(RestoreServer& s) {
  auto pod2 = s.get("pods", "ns-1", "pod-2");
  REQUIRE(pod2);
  return json::marshal(pod2->at("spec").at("containers").at(0).at("image"));
}

}  // namespace

TEST_CASE("restore §2.3 step 14: one LIST per resource and namespace stands in for the informer cache; §2.6 unchanged") {
  RestoreServer s({});
  // pod-2 exists, different from the backup's: §2.6 with the policy unset, a warning and skipped.
  seed_existing_pod(s);
  RestoreLocation loc;
  put_backup(loc, "backup-1",
             Tarball{}
                 .item("pods", pod_json("ns-1", "pod-1"))
                 .item("pods", pod_json("ns-1", "pod-2"))
                 .item("pods", pod_json("ns-1", "pod-3"))
                 .item("pods", pod_json("ns-2", "pod-4"))
                 .gzip());
  PlanLog plan;
  s.server.api().requests(true);
  auto r = create_restore(s.cluster.get(), loc.location, restore_of("restore-1", "backup-1"), plan_options(plan)).result;
  auto requests = s.server.api().requests(false);
  INFO(plan.dump());
  REQUIRE(r.outcome.ok());
  CHECK(r.restore.status.phase == "Completed");
  CHECK(plan.action("v1/Pod ns-1/pod-1") == "created");
  CHECK(plan.action("v1/Pod ns-1/pod-3") == "created");
  CHECK(plan.action("v1/Pod ns-2/pod-4") == "created");
  CHECK(plan.action("v1/Pod ns-1/pod-2") == "skipped");
  CHECK(r.restore.status.warnings == 1);
  auto count = [&](const std::string& path) {
    return std::count_if(requests.begin(), requests.end(), [&](const auto& q) { return is_get_of(q, path); });
  };
  CHECK(count("/api/v1/namespaces/ns-1/pods") == 1);  // the LIST
  CHECK(count("/api/v1/namespaces/ns-2/pods") == 1);
  CHECK(count("/api/v1/namespaces/ns-1/pods/pod-2") >= 1);  // the object the LIST saw: got, then §2.6
  for (const char* absent : {"/api/v1/namespaces/ns-1/pods/pod-1", "/api/v1/namespaces/ns-1/pods/pod-3",
                             "/api/v1/namespaces/ns-2/pods/pod-4"}) {
    CAPTURE(absent);
    CHECK(count(absent) == 0);  // no GET before the create
  }
  // The existing pod was not written to.
  for (const auto& q : requests) {
    if (q.method != "GET") CHECK_MESSAGE(q.target.find("pods/pod-2") == std::string::npos, q.method << " " << q.target);
  }
  CHECK(existing_pod_image(s) == "\"nginx\"");
}

TEST_CASE("restore §2.3 step 14: a dry run still GETs each item and creates nothing") {
  RestoreServer s({});
  RestoreLocation loc;
  put_backup(loc, "backup-1", Tarball{}.item("pods", pod_json("ns-1", "pod-1")).gzip());
  PlanLog plan;
  s.server.api().requests(true);
  auto r = create_restore(s.cluster.get(), loc.location, restore_of("restore-1", "backup-1"),
                          plan_options(plan, RestoreOptions::Mode::dry_run))
               .result;
  auto requests = s.server.api().requests(false);
  INFO(plan.dump());
  REQUIRE(r.outcome.ok());
  CHECK(std::count_if(requests.begin(), requests.end(),
                      [](const auto& q) { return is_get_of(q, "/api/v1/namespaces/ns-1/pods/pod-1"); }) == 1);
  CHECK(names_in(s, "pods").empty());
}

TEST_CASE("restore §2.3 step 14: a LIST that fails leaves a GET per item of its scope; other scopes keep their LIST") {
  RestoreServer s({});
  // pod-2 exists: the GET that stands in for the failed LIST must find it (§2.6: skipped, warned).
  seed_existing_pod(s);
  RestoreLocation loc;
  put_backup(loc, "backup-1",
             Tarball{}
                 .item("pods", pod_json("ns-1", "pod-1"))
                 .item("pods", pod_json("ns-1", "pod-2"))
                 .item("configmaps", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":"ns-1","name":"cm-1"}})")
                 .gzip());
  // Every LIST of pods is refused (as RBAC without the list verb would); configmaps are not.
  s.server.api().control(json::object{{"fail", json::object{{"count", -1}, {"code", 403}, {"resource", "pods"}, {"verb", "list"}}}});
  PlanLog plan;
  s.server.api().requests(true);
  auto r = create_restore(s.cluster.get(), loc.location, restore_of("restore-1", "backup-1"), plan_options(plan)).result;
  auto requests = s.server.api().requests(false);
  s.server.api().control(json::object{{"fail", nullptr}});
  INFO(plan.dump());
  REQUIRE(r.outcome.ok());
  CHECK(plan.action("v1/Pod ns-1/pod-1") == "created");
  CHECK(plan.action("v1/Pod ns-1/pod-2") == "skipped");
  CHECK(plan.action("v1/ConfigMap ns-1/cm-1") == "created");
  auto count = [&](const std::string& path) {
    return std::count_if(requests.begin(), requests.end(), [&](const auto& q) { return is_get_of(q, path); });
  };
  CHECK(count("/api/v1/namespaces/ns-1/pods") == 1);  // tried once, not once per item
  CHECK(count("/api/v1/namespaces/ns-1/pods/pod-1") == 1);
  CHECK(count("/api/v1/namespaces/ns-1/pods/pod-2") >= 1);
  CHECK(count("/api/v1/namespaces/ns-1/configmaps") == 1);
  CHECK(count("/api/v1/namespaces/ns-1/configmaps/cm-1") == 0);
  CHECK(existing_pod_image(s) == "\"nginx\"");
}
