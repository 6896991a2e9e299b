// Objects written directly, without HTTP: seeded manifests, put_object() and the benchmark fill.
#include "kube_server/api.hpp"
#include "kube_server/handlers.hpp"
#include "vbackup/cluster.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <shared_mutex>

namespace vbackup::kubetest {

json::object Api::put_object(json::object object) {
  const std::string api_version = string_at(object, "apiVersion"), kind = string_at(object, "kind");
  std::unique_lock lock(store_.mutex);
  const ApiResource* r = discovery_.find_kind(api_version, kind);
  if (!r) throw bad_request("no resource serves kind " + kind + " in " + api_version);
  const json::object* md = json::find_object(object, "metadata");
  std::string ns = md ? string_at(*md, "namespace") : std::string();
  if (r->namespaced && ns.empty()) ns = "default";
  const std::string name = md ? string_at(*md, "name") : std::string();
  Target t = target_for(*r, r->namespaced ? ns : std::string(), name);
  if (ObjectPtr old = store_.find(t.table, t.ns, name)) {
    // The later definition wins, as a second `kubectl apply` would leave it.
    auto s = std::make_shared<StoredObject>(*old);
    s->rv = store_.next_rv();
    store_.remove(t.table, s, old);
  }
  if (r->namespaced && !store_.find("/namespaces", "", ns)) {
    const ApiResource* nsr = find_resource("v1", "namespaces");
    do_create(target_for(*nsr, "", ns), json::object{{"apiVersion", "v1"}, {"kind", "Namespace"},
                                                    {"metadata", json::object{{"name", ns}}}}, false, true);
  }
  ObjectPtr stored = do_create(t, std::move(object), false, true);
  return to_object(*stored, t.api_version(), t.resource.kind);
}

std::vector<std::string> Api::seed(const std::vector<std::filesystem::path>& paths) {
  std::vector<std::string> problems;
  std::unique_ptr<ClusterSource> source = open_manifest_source(paths);
  for (const std::string& w : source->warnings()) problems.push_back("warning: " + w);
  for (const std::string& e : source->errors()) problems.push_back(e);
  // Namespaces first, then CRDs (so their resources are served), then everything else.
  std::vector<ApiResource> order = source->discovery().preferred_resources();
  auto rank = [](const ApiResource& r) {
    if (r.group.empty() && r.name == "namespaces") return 0;
    if (r.group == "apiextensions.k8s.io" && r.name == "customresourcedefinitions") return 1;
    return 2;
  };
  std::stable_sort(order.begin(), order.end(), [&](const ApiResource& a, const ApiResource& b) { return rank(a) < rank(b); });
  for (const ApiResource& r : order) {
    source->list(r, ListOptions{}, [&](json::object&& obj) {
      const std::string what = std::string(json::get_string(obj, "kind")) + " " +
                               std::string(json::metadata_string(obj, "namespace")) +
                               (json::metadata_string(obj, "namespace").empty() ? "" : "/") +
                               std::string(json::metadata_string(obj, "name"));
      try {
        put_object(std::move(obj));
      } catch (const StatusError& e) {
        problems.push_back(what + ": " + e.message());
      } catch (const std::exception& e) {
        problems.push_back(what + ": " + e.what());
      }
    });
  }
  return problems;
}

void Api::fill_configmaps(const std::string& ns, std::size_t count, std::size_t size, const std::string& prefix) {
  // Configuration-file text (keys, words, numbers, hex ids) that gzip shrinks about 3x, as it does
  // real ConfigMaps; every object gets a different slice.
  static const char* const words[] = {"server", "listen", "timeout", "replicas", "cache", "enabled", "path",
                                      "backend", "region", "retries", "level", "endpoint", "user", "pool"};
  std::string pool;
  {
    std::uint64_t x = 0x9e3779b97f4a7c15ULL;
    auto next = [&x] {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return x;
    };
    char line[160];
    while (pool.size() < 256 * 1024 + size) {
      const auto r = next();
      std::snprintf(line, sizeof line, "%s.%s.%u = %s-%08llx %s %u\n", words[r % 14], words[(r >> 8) % 14],
                    static_cast<unsigned>((r >> 16) % 1000), words[(r >> 24) % 14],
                    static_cast<unsigned long long>((r >> 32) & 0xffffffffULL), words[(r >> 28) % 14],
                    static_cast<unsigned>((r >> 40) % 100000));
      pool += line;
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t offset = (i * 7919) % (pool.size() - size + 1);
    json::object obj{{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"metadata", json::object{{"name", prefix + "-" + std::to_string(i)},
                                               {"namespace", ns},
                                               {"labels", json::object{{"app", "bench"}, {"shard", std::to_string(i % 10)}}}}},
                     {"data", json::object{{"payload", pool.substr(offset, size)}}}};
    put_object(std::move(obj));
  }
}

}  // namespace vbackup::kubetest
