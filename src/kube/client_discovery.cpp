// Discovery through the client (aggregated discovery when the server offers it, else the legacy
// documents), cached and refreshed, and waiting for a CRD to be Established.
#include "kube/client_impl.hpp"

namespace vbackup::kube {

// What client-go asks for: aggregated discovery when the server has it, else the legacy documents.
constexpr std::string_view kDiscoveryAccept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

static bool is_aggregated(const json::value& doc) {
  return doc.is_object() && json::get_string(doc.get_object(), "kind") == "APIGroupDiscoveryList";
}

std::unique_ptr<Discovery> KubeClient::Impl::fetch_aggregated(const json::value& api, std::vector<std::string>& warnings) {
  const std::string server = config.server;
  json::value apis = call_json("GET", "/apis", {}, {}, kDiscoveryAccept);
  if (!is_aggregated(apis)) return nullptr;  // /api and /apis disagree: use the legacy documents
  auto d = std::make_unique<Discovery>();
  for (const json::value* doc : std::initializer_list<const json::value*>{&api, &apis}) {
    const std::string what = "discovery " + server + (doc == &api ? "/api" : "/apis");
    for (auto& ag : parse_aggregated_discovery(*doc, what, warnings)) {
      const std::string group = ag.group.name;
      d->add_group(std::move(ag.group));
      for (auto& [version, resources] : ag.versions) {
        d->add_resources(group.empty() ? version : group + "/" + version, std::move(resources));
      }
    }
  }
  return d;
}

std::unique_ptr<Discovery> KubeClient::Impl::fetch_discovery(std::vector<std::string>& warnings) {
  const std::string server = config.server;
  auto what = [&](const std::string& p) { return "discovery " + server + p; };
  json::value api = call_json("GET", "/api", {}, {}, kDiscoveryAccept);
  if (is_aggregated(api)) {
    if (auto d = fetch_aggregated(api, warnings)) {
      if (config.log) config.log("kube: discovery " + server + ": aggregated (apidiscovery.k8s.io/v2), " +
                                 std::to_string(d->groups().size()) + " groups");
      return d;
    }
    api = call_json("GET", "/api");
  }
  auto d = std::make_unique<Discovery>();
  std::vector<std::string> core = parse_api_versions(api, what("/api"));
  struct Pending {
    std::string group_version, path;
    std::vector<ApiResource> resources;
    std::string error;
  };
  std::vector<Pending> pending;
  if (!core.empty()) {
    d->add_group({"", core, core.front(), 0});
    for (const auto& v : core) pending.push_back({v, "/api/" + v, {}, {}});
  }
  for (auto& g : parse_api_group_list(call_json("GET", "/apis"), what("/apis"))) {
    for (const auto& v : g.versions) pending.push_back({g.name + "/" + v, "/apis/" + g.name + "/" + v, {}, {}});
    d->add_group(std::move(g));
  }
  // Group versions are fetched in parallel (client-go does too); failures become warnings.
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < pending.size(); i = next++) {
      Pending& p = pending[i];
      try {
        p.resources = parse_api_resource_list(call_json("GET", p.path), what(p.path));
      } catch (const Error& e) {
        p.error = e.what();
      }
    }
  };
  std::size_t threads = std::min<std::size_t>({pending.size(), std::max<std::size_t>(1, config.max_in_flight), 8});
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (auto& p : pending) {
    if (!p.error.empty()) {
      warnings.push_back("failed to discover group " + p.group_version + ": " + p.error);
      continue;
    }
    d->add_resources(p.group_version, std::move(p.resources));
  }
  if (config.log) config.log("kube: discovery " + server + ": legacy, " + std::to_string(d->groups().size()) + " groups, " +
                             std::to_string(pending.size()) + " group versions");
  return d;
}

const Discovery& KubeClient::discovery() {
  std::lock_guard lock(impl_->discovery_mutex);
  if (impl_->discoveries.empty()) {
    std::vector<std::string> warnings;
    impl_->discoveries.push_back(impl_->fetch_discovery(warnings));
    impl_->discovery_warnings = std::move(warnings);
  }
  return *impl_->discoveries.back();
}

const Discovery& KubeClient::refresh_discovery() {
  std::lock_guard lock(impl_->discovery_mutex);
  std::vector<std::string> warnings;
  impl_->discoveries.push_back(impl_->fetch_discovery(warnings));
  impl_->discovery_warnings = std::move(warnings);
  return *impl_->discoveries.back();
}

std::vector<std::string> KubeClient::discovery_warnings() {
  std::lock_guard lock(impl_->discovery_mutex);
  return impl_->discovery_warnings;
}

// ---------------------------------------------------------------------------------------------

namespace {
bool condition_true(const json::object& crd, std::string_view type) {
  const json::object* status = json::find_object(crd, "status");
  const json::array* conds = status ? json::find_array(*status, "conditions") : nullptr;
  if (!conds) return false;
  for (const auto& c : *conds) {
    if (c.is_object() && json::get_string(c.get_object(), "type") == type &&
        json::get_string(c.get_object(), "status") == "True") {
      return true;
    }
  }
  return false;
}
}  // namespace

// One poll loop for the restore's CRD pass (Velero's crdAvailable, which polls once a second from
// the start, so its custom resources wait a second or more behind a new CRD) and for install. Issue
// 17: the restore's earlier 50, 100, 200 ms steps overshot the test server's 200 ms by 150 ms, a
// tenth of a 10k restore. A GET of one CRD is a fraction of a millisecond of the server's time, and
// the client's QPS limit still paces the polls.
std::string wait_for_crd(KubeClient& client, std::string_view name, std::chrono::milliseconds timeout) {
  ApiResource crds;
  crds.group = "apiextensions.k8s.io";
  crds.version = "v1";
  crds.name = "customresourcedefinitions";
  crds.kind = "CustomResourceDefinition";
  crds.namespaced = false;
  const auto start = steady::now();
  const auto deadline = start + timeout;
  auto pause = std::chrono::milliseconds(10);
  std::string last_state = "not found";
  while (true) {
    if (auto crd = client.try_get(crds, "", name)) {
      last_state = "not Established";
      if (condition_true(*crd, "Established") && condition_true(*crd, "NamesAccepted")) {
        // Established means served; discovery may still lag a moment behind.
        const json::object* spec = json::find_object(*crd, "spec");
        std::string group(spec ? json::get_string(*spec, "group") : "");
        std::string plural;
        if (spec) {
          if (const json::object* names = json::find_object(*spec, "names")) plural = std::string(json::get_string(*names, "plural"));
        }
        last_state = "Established but not yet in discovery";
        if (client.refresh_discovery().find(group, plural)) return {};
      }
    }
    if (steady::now() + pause > deadline) return last_state;
    std::this_thread::sleep_for(pause);
    if (steady::now() - start >= std::chrono::seconds(1)) pause = std::min<std::chrono::milliseconds>(pause * 2, std::chrono::seconds(1));
  }
}

void wait_for_crd_established(KubeClient& client, std::string_view name, std::chrono::milliseconds timeout) {
  if (auto state = wait_for_crd(client, name, timeout); !state.empty()) {
    throw Error(ErrorCode::kube, "CustomResourceDefinition \"" + std::string(name) + "\" on " + client.config().server +
                                     ": " + state + " after " + std::to_string(timeout.count()) + " ms");
  }
}

}  // namespace vbackup::kube
