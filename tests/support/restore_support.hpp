// Shared by the restore tests (brief "rtests"): a test API server with a Cluster over it, a location
// in a temporary folder with backups of manifests or of Velero 1.5.2's golden data, and a plan
// recorder. Header only: each test executable links the restore library and the test server.
#pragma once

#include "kube_server/kube_server.hpp"
#include "test_helpers.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/stream.hpp"
#include "vbackup/restore.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

// Lists of names print as such in failed checks.
namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string s = "{";
    for (const auto& e : v) s += (s.size() > 1 ? ", \"" : "\"") + e + "\"";
    return String((s + "}").c_str());
  }
};
}  // namespace doctest

namespace vbackup::testing {

inline Timestamp restore_test_now() { return Timestamp(std::chrono::seconds(1764000000)); }

inline std::string group_of(std::string_view gr) {
  auto dot = gr.find('.');
  return dot == std::string_view::npos ? "" : std::string(gr.substr(dot + 1));
}
inline std::string resource_of(std::string_view gr) { return std::string(gr.substr(0, gr.find('.'))); }

// A test API server with its kubeconfig and a Cluster over it (client QPS lifted: the tests measure
// the restore, not the client's rate limit).
struct RestoreServer {
  kubetest::KubeServer server;
  TempDir dir{"restore-kube"};
  std::unique_ptr<Cluster> cluster;
  explicit RestoreServer(kubetest::KubeServerOptions o) : server(prepare(std::move(o))) {
    server.write_kubeconfig(dir.path / "kubeconfig");
    ClusterOptions c;
    c.connect.kubeconfig = (dir.path / "kubeconfig").string();
    c.qps = 100000;
    c.burst = 100000;
    cluster = Cluster::open(c);
  }
  static kubetest::KubeServerOptions prepare(kubetest::KubeServerOptions o) {
    if (o.api.crd_establish_delay == std::chrono::milliseconds(200)) o.api.crd_establish_delay = std::chrono::milliseconds(20);
    return o;
  }
  // As the corpus clusters: kube-apiserver v1.26.0, --service-cluster-ip-range=10.96.0.0/24, Velero's CRDs.
  static kubetest::KubeServerOptions like_corpus() {
    kubetest::KubeServerOptions o;
    o.api.git_version = "v1.26.0";
    o.api.service_cluster_ip_range = "10.96.0.0/24";
    o.seed = {source_root() / "tests" / "data" / "velero"};
    return o;
  }
  const ApiResource& resource(std::string_view gr) {
    const ApiResource* r = cluster->client()->discovery().find(group_of(gr), resource_of(gr));
    if (!r) r = cluster->client()->refresh_discovery().find(group_of(gr), resource_of(gr));
    REQUIRE_MESSAGE(r, "the test server serves no " << gr);
    return *r;
  }
  std::optional<json::object> get(std::string_view gr, const std::string& ns, const std::string& name) {
    return cluster->client()->try_get(resource(gr), ns, name);
  }
  std::vector<json::object> list(std::string_view gr, const std::string& ns = {}, const std::string& selector = {}) {
    std::vector<json::object> out;
    ListOptions o;
    o.namespace_ = ns;
    o.label_selector = selector;
    cluster->client()->list(resource(gr), o, [&](json::object&& obj) { out.push_back(std::move(obj)); });
    return out;
  }
  json::object create(std::string_view gr, const std::string& manifest) {
    return cluster->client()->create(resource(gr), json::parse(manifest, "test object").as_object());
  }
};

// A location in a temporary folder.
struct RestoreLocation {
  TempDir dir{"restore-loc"};
  OpenedLocation location = open_location("file://" + (dir.path / "bucket").string());

  // A backup of manifests (or of a live cluster when `cluster` is given).
  void backup(const std::string& name, Cluster& cluster, velero::BackupSpec spec = {}) {
    velero::Backup b;
    b.metadata.name = name;
    b.spec = std::move(spec);
    BackupOptions o;
    o.now = restore_test_now;
    auto r = create_backup(cluster, location, b, o);
    REQUIRE_MESSAGE(r.result.outcome.ok(), r.result.outcome.message);
  }
  void backup_manifests(const std::string& name, const std::vector<std::filesystem::path>& manifests,
                        velero::BackupSpec spec = {}) {
    auto cluster = Cluster::open({.manifests = manifests});
    backup(name, *cluster, std::move(spec));
  }
  // Copies a Velero 1.5.2 backup of the golden data (tests/data/velero-1.5.2/bucket/backups/<name>).
  void golden(const std::string& name) {
    std::filesystem::path from = source_root() / "tests/data/velero-1.5.2/bucket/backups" / name;
    for (const auto& e : std::filesystem::directory_iterator(from)) {
      location.objects->put(location.backups->backup_dir(name) + e.path().filename().string(), read_file(e.path()));
    }
  }
  // Replaces the backup's tarball with `bytes` (bad input tests).
  void put_tarball(const std::string& backup, const std::string& bytes) {
    location.objects->put(location.backups->backup_contents_key(backup), bytes);
  }
  RestoreDetails details(const std::string& restore) { return describe_restore(*location.backups, restore, true); }
  std::string logs(const std::string& restore) { return restore_logs(*location.backups, restore); }
};

// A backup tarball made by hand, as Velero's test.NewTarWriter makes them: items at their
// un-versioned paths (resources/<gr>/namespaces/<ns>/<name>.json or .../cluster/<name>.json).
struct Tarball {
  std::vector<std::pair<std::string, std::string>> files;  // path, bytes
  bool with_version = true;

  // An item: namespace and name from its metadata.
  Tarball& item(const std::string& gr, const std::string& object_json) {
    json::object o = json::parse(object_json, "test item").as_object();
    std::string ns(json::metadata_string(o, "namespace")), name(json::metadata_string(o, "name"));
    files.emplace_back(archive::item_path(gr, ns, name, ""), json::marshal(o));
    return *this;
  }
  Tarball& file(const std::string& path, const std::string& bytes) {
    files.emplace_back(path, bytes);
    return *this;
  }
  std::string gzip() const {
    StringOutputStream out;
    archive::ArchiveWriter w(out, archive::Compression::gzip);
    for (const auto& [path, bytes] : files) w.add_file(path, bytes);
    w.finish();
    return out.take();
  }
};

// A Backup record (phase Completed unless told) with the given tarball.
inline void put_backup(RestoreLocation& loc, const std::string& name, const std::string& tarball,
                       const std::string& phase = "Completed") {
  velero::Backup b;
  b.metadata.name = name;
  b.metadata.namespace_ = "velero";
  b.status.phase = phase;
  b.status.format_version = "1.1.0";
  b.status.version = 1;
  persistence::put_backup_record(*loc.location.backups, b);
  loc.put_tarball(name, tarball);
}

inline std::string pod_json(const std::string& ns, const std::string& name, const std::string& metadata_extra = "") {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"namespace":")" + ns + R"(","name":")" + name + "\"" +
         (metadata_extra.empty() ? "" : "," + metadata_extra) +
         R"(},"spec":{"containers":[{"name":"c","image":"busybox"}]}})";
}
inline std::string deployment_json(const std::string& ns, const std::string& name, const std::string& metadata_extra = "") {
  return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"namespace":")" + ns + R"(","name":")" + name + "\"" +
         (metadata_extra.empty() ? "" : "," + metadata_extra) +
         R"(},"spec":{"replicas":1,"selector":{"matchLabels":{"app":")" + name +
         R"("}},"template":{"metadata":{"labels":{"app":")" + name +
         R"("}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}})";
}
inline std::string pv_json(const std::string& name, const std::string& metadata_extra = "") {
  return R"({"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":")" + name + "\"" +
         (metadata_extra.empty() ? "" : "," + metadata_extra) +
         R"(},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/srv/)" + name +
         R"("},"persistentVolumeReclaimPolicy":"Retain"}})";
}
inline std::string sa_json(const std::string& ns, const std::string& name, const std::string& extra = "") {
  return R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"namespace":")" + ns + R"(","name":")" + name + "\"}" +
         (extra.empty() ? "" : "," + extra) + "}";
}

// "<ns>/<name>" of every object of a resource in the server, sorted.
inline std::vector<std::string> names_in(RestoreServer& s, std::string_view gr, const std::string& selector = {}) {
  std::vector<std::string> out;
  for (const auto& o : s.list(gr, "", selector)) {
    out.push_back(std::string(json::metadata_string(o, "namespace")) + "/" + std::string(json::metadata_string(o, "name")));
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline velero::Restore restore_of(const std::string& name, const std::string& backup) {
  velero::Restore r;
  r.metadata.name = name;
  r.spec.backup_name = backup;
  return r;
}

// Every decided object, by "<apiVersion/Kind> <ns>/<name>".
struct PlanLog {
  std::vector<RestorePlanItem> items;
  std::map<std::string, RestorePlanItem> by_key;
  void add(const RestorePlanItem& p) {
    items.push_back(p);
    by_key[p.api_version_kind + " " + p.namespace_ + "/" + p.name] = p;
  }
  std::string action(const std::string& key) const {
    auto it = by_key.find(key);
    return it == by_key.end() ? "<none>" : it->second.action;
  }
  std::size_t count(std::string_view action) const {
    return static_cast<std::size_t>(std::count_if(items.begin(), items.end(), [&](const auto& p) { return p.action == action; }));
  }
  std::string dump() const {
    std::string s;
    for (const auto& p : items) s += p.api_version_kind + " " + p.namespace_ + "/" + p.name + " " + p.action + " " + p.reason + "\n";
    return s;
  }
};

inline RestoreOptions plan_options(PlanLog& plan, RestoreOptions::Mode mode = RestoreOptions::Mode::apply) {
  RestoreOptions o;
  o.mode = mode;
  o.now = restore_test_now;
  o.on_plan = [&plan](const RestorePlanItem& p) { plan.add(p); };
  return o;
}

inline std::string label_of(const json::object& o, std::string_view key) {
  const json::object* l = json::metadata_map(o, "labels");
  return l ? std::string(json::get_string(*l, key)) : "";
}

inline std::string annotation_of(const json::object& o, std::string_view key) {
  const json::object* l = json::metadata_map(o, "annotations");
  return l ? std::string(json::get_string(*l, key)) : "";
}

// Every message of a Result, "<namespace or cluster>: <message>", sorted.
inline std::vector<std::string> messages(const velero::Result& r) {
  std::vector<std::string> out;
  for (const auto& m : r.velero) out.push_back("velero: " + m);
  for (const auto& m : r.cluster) out.push_back("cluster: " + m);
  for (const auto& [ns, list] : r.namespaces) {
    for (const auto& m : list) out.push_back(ns + ": " + m);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace vbackup::testing
