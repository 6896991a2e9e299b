// Parallel apply (issue 11 "Apply": items of one priority group created in parallel, the group
// boundary a barrier): 2,000 ConfigMaps restored with 16 workers are each created once, the resource
// list and the counts are exact, and no object of a later resource is created before the last
// ConfigMap (restore §2.1 order, observed in the test API server's request log).
#include "restore_support.hpp"

#include <set>

using namespace vbackup;
using namespace vbackup::testing;

TEST_CASE("parallel 16: 2,000 items of one resource each created once; the group boundary holds") {
  constexpr int kItems = 2000;
  kubetest::KubeServerOptions so;
  so.threads = 4;
  so.api.request_log = 10000;
  RestoreServer s(so);
  RestoreLocation loc;
  Tarball t;
  // restore §2.1: secrets, configmaps and pods in the high list in that order; deployments.apps
  // unlisted, so after the whole high list.
  t.item("secrets", R"({"apiVersion":"v1","kind":"Secret","metadata":{"namespace":"bulk","name":"s"},"data":{"k":"dg=="}})");
  for (int i = 0; i < kItems; ++i) {
    t.item("configmaps", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":"bulk","name":"cm-)" +
                             std::to_string(i) + R"("},"data":{"i":")" + std::to_string(i) + R"("}})");
  }
  t.item("pods", pod_json("bulk", "p"));
  t.item("deployments.apps", deployment_json("bulk", "d"));
  put_backup(loc, "b", t.gzip());
  s.server.api().requests(true);

  PlanLog plan;
  RestoreOptions o = plan_options(plan);
  o.parallel = 16;
  std::int64_t last_total = 0, last_restored = 0;
  o.on_progress = [&](const RestoreProgress& p) {
    CHECK(p.items_restored <= p.total_items);
    last_total = p.total_items;
    last_restored = p.items_restored;
    return true;
  };
  auto started = std::chrono::steady_clock::now();
  auto r = create_restore(s.cluster.get(), loc.location, restore_of("r", "b"), o).result;
  MESSAGE("2,000 ConfigMaps with parallel 16: "
          << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count() << " ms");
  INFO(r.outcome.message);
  REQUIRE(r.outcome.ok());
  CHECK(r.restore.status.phase == "Completed");
  CHECK(r.restore.status.errors == 0);
  CHECK(r.restore.status.warnings == 0);

  // Every item once: in the server, the plan, the resource list; the counts exact (restore §2.11
  // progress: namespace + secret + 2,000 ConfigMaps + pod + deployment).
  const std::int64_t recorded = kItems + 4;
  CHECK(names_in(s, "configmaps", "velero.io/restore-name=r").size() == static_cast<std::size_t>(kItems));
  CHECK(plan.items.size() == static_cast<std::size_t>(recorded));
  std::set<std::string> planned;
  for (const auto& p : plan.items) CHECK_MESSAGE(planned.insert(p.api_version_kind + " " + p.namespace_ + "/" + p.name).second, p.name);
  auto details = loc.details("r");
  REQUIRE(details.has_resource_list);
  const auto& cms = details.resource_list["v1/ConfigMap"];
  CHECK(cms.size() == static_cast<std::size_t>(kItems));
  CHECK(std::set<std::string>(cms.begin(), cms.end()).size() == cms.size());
  CHECK(std::all_of(cms.begin(), cms.end(), [](const std::string& e) { return e.starts_with("bulk/cm-") && e.ends_with("(created)"); }));
  CHECK(details.resource_list["v1/Namespace"] == std::vector<std::string>{"bulk(created)"});
  CHECK(r.restore.status.progress->items_restored == recorded);
  CHECK(r.restore.status.progress->total_items == recorded);
  CHECK(last_restored == recorded);
  CHECK(last_total >= last_restored);

  // The server's log: each ConfigMap POSTed once; the secret before the first, the pod and the
  // deployment after the last (the barrier between priority groups).
  std::vector<std::string> order;  // resource of each successful POST
  std::size_t cm_posts = 0;
  for (const auto& req : s.server.api().requests(false)) {
    if (req.method != "POST") continue;
    std::string path = req.target.substr(0, req.target.find('?'));
    std::string resource = path.substr(path.rfind('/') + 1);
    CHECK_MESSAGE(req.status == 201, req.target << " " << req.status);
    if (resource == "configmaps") ++cm_posts;
    order.push_back(resource);
  }
  CHECK(cm_posts == static_cast<std::size_t>(kItems));
  auto first = std::find(order.begin(), order.end(), "configmaps") - order.begin();
  auto last = order.rend() - std::find(order.rbegin(), order.rend(), "configmaps") - 1;
  auto pos = [&](const char* res) { return std::find(order.begin(), order.end(), res) - order.begin(); };
  CHECK(pos("secrets") < first);
  CHECK(pos("pods") > last);
  CHECK(pos("deployments") > pos("pods"));
  CHECK(last - first + 1 == kItems);  // nothing else in between
}
