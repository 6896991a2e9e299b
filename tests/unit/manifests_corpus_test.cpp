// The real-world corpus (tests/data/corpus, README.md there): every file listed in objects.json is
// read and each object compared with the entry PyYAML produced, then the quirks the README names
// are checked one by one.
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/manifests.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

using namespace vbackup;
namespace fs = std::filesystem;

namespace {

fs::path corpus_dir() {
  const char* root = std::getenv("VBK_SOURCE_ROOT");
  return fs::path(root ? root : ".") / "tests" / "data" / "corpus";
}

struct FileResult {
  std::vector<manifests::ManifestObject> objects;
  std::vector<std::string> warnings;
};

FileResult read(const std::string& rel) {
  FileResult r;
  manifests::read_manifest_file(
      corpus_dir() / rel, [&](manifests::ManifestObject&& m) { r.objects.push_back(std::move(m)); },
      [&](const std::string& w) { r.warnings.push_back(w); });
  return r;
}

// Go's encoding/json writes < > & as \u003c \u003e \u0026 (6 bytes for 1) and U+2028/U+2029 as
// \u2028 (6 bytes for 3); Python's json.dumps(ensure_ascii=False), which produced
// compactJsonBytes, writes them as they are. Everything else is the same length in both.
std::size_t go_extra_bytes(const json::value& v) {
  auto in_string = [](std::string_view s) {
    std::size_t extra = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '<' || s[i] == '>' || s[i] == '&') extra += 5;
      if (s.compare(i, 3, "\xE2\x80\xA8") == 0 || s.compare(i, 3, "\xE2\x80\xA9") == 0) extra += 3;
    }
    return extra;
  };
  switch (v.kind()) {
    case boost::json::kind::string: return in_string(v.get_string());
    case boost::json::kind::array: {
      std::size_t n = 0;
      for (const auto& e : v.get_array()) n += go_extra_bytes(e);
      return n;
    }
    case boost::json::kind::object: {
      std::size_t n = 0;
      for (const auto& kv : v.get_object()) n += in_string(kv.key()) + go_extra_bytes(kv.value());
      return n;
    }
    default: return 0;
  }
}

std::string opt_string(const json::value& v) { return v.is_null() ? std::string("<null>") : std::string(v.get_string()); }

std::string field_or_null(const json::object& obj, std::string_view key) {
  const json::object* md = json::find_object(obj, "metadata");
  if (!md) return "<null>";
  auto it = md->find(key);
  return it == md->end() || !it->value().is_string() ? "<null>" : std::string(it->value().get_string());
}

const json::value& at(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (auto p : path) cur = &cur->as_object().at(p);
  return *cur;
}

}  // namespace

TEST_CASE("corpus: every object of objects.json, read from its file") {
  std::ifstream in(corpus_dir() / "objects.json", std::ios::binary);
  REQUIRE_MESSAGE(in, "missing corpus: " << (corpus_dir() / "objects.json").string());
  std::stringstream buf;
  buf << in.rdbuf();
  json::value expected_all = json::parse(buf.str(), "objects.json");
  std::map<std::string, std::vector<const json::object*>> expected;
  for (const auto& e : expected_all.as_array()) {
    const auto& o = e.as_object();
    expected[std::string(o.at("file").as_string())].push_back(&o);
  }
  CHECK(expected_all.as_array().size() == 1893);

  std::size_t total = 0;
  std::size_t bytes = 0;
  auto start = std::chrono::steady_clock::now();
  std::map<std::string, FileResult> results;
  for (const auto& [file, _] : expected) {
    try {
      results[file] = read(file);
    } catch (const Error& e) {
      FAIL_CHECK(file << ": " << e.what());
    }
    total += results[file].objects.size();
    bytes += fs::file_size(corpus_dir() / file);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "manifests corpus: " << total << " objects from " << expected.size() << " files (" << bytes
            << " bytes) read in " << seconds << " s\n";
  CHECK(total == 1893);
  CHECK(expected.size() == 1582);

  for (const auto& [file, want] : expected) {
    const auto& got = results[file].objects;
    CAPTURE(file);
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      const json::object& w = *want[i];
      const manifests::ManifestObject& g = got[i];
      CAPTURE(i);
      CHECK(g.source == (corpus_dir() / file).string());
      CHECK(g.document == w.at("doc").as_int64());
      CHECK(g.item.has_value() == !w.at("item").is_null());
      if (g.item && !w.at("item").is_null()) CHECK(*g.item == w.at("item").as_int64());
      CHECK(g.line == w.at("line").as_int64());
      CHECK(json::get_string(g.object, "apiVersion") == w.at("apiVersion").as_string());
      CHECK(json::get_string(g.object, "kind") == w.at("kind").as_string());
      CHECK(field_or_null(g.object, "namespace") == opt_string(w.at("namespace")));
      CHECK(field_or_null(g.object, "name") == opt_string(w.at("name")));
      CHECK(field_or_null(g.object, "generateName") == opt_string(w.at("generateName")));
      std::size_t go_size = json::marshal(g.object).size();
      CHECK(go_size - go_extra_bytes(g.object) == static_cast<std::size_t>(w.at("compactJsonBytes").as_int64()));
    }
  }
}

TEST_CASE("corpus quirk: duplicate keys keep the last value and warn with file, line and key") {
  struct Dup {
    const char* file;
    const char* key;
    int line;
  };
  const Dup dups[] = {
      {"kubernetes-examples/_archived/openshift-origin/etcd-controller.yaml", "selector", 12},
      {"kubernetes-examples/_archived/openshift-origin/etcd-discovery-controller.yaml", "selector", 12},
      {"kubernetes-examples/_archived/openshift-origin/openshift-controller.yaml", "selector", 12},
      {"kubernetes-examples/_archived/persistent-volume-provisioning/quobyte/quobyte-admin-secret.yaml", "type", 9},
      {"kubernetes-examples/_archived/volumes/scaleio/sc-pvc.yaml", "storageClassName", 12},
      {"argo-cd/gitops-engine/pkg/health/testdata/statefulset-ondelete.yaml", "updateStrategy", 94},
      {"argo-workflows/examples/k8s-patch-json-workflow.yaml", "annotations", 13},
  };
  for (const auto& d : dups) {
    CAPTURE(d.file);
    FileResult r = read(d.file);
    REQUIRE(r.warnings.size() == 1);
    std::string want = (corpus_dir() / d.file).string() + ": line " + std::to_string(d.line) + ": duplicate key \"" +
                       d.key + "\"";
    CHECK(r.warnings[0].rfind(want, 0) == 0);
  }
  // The last value wins: the second `annotations` has only the description.
  FileResult wf = read("argo-workflows/examples/k8s-patch-json-workflow.yaml");
  const json::object* ann = json::metadata_map(wf.objects.at(0).object, "annotations");
  REQUIRE(ann);
  CHECK(ann->size() == 1);
  CHECK(ann->contains("workflows.argoproj.io/description"));
  FileResult sts = read("argo-cd/gitops-engine/pkg/health/testdata/statefulset-ondelete.yaml");
  json::value obj = sts.objects.at(0).object;
  CHECK(at(obj, {"spec", "updateStrategy", "type"}).as_string() == "OnDelete");
}

TEST_CASE("corpus quirk: CRLF files leave no carriage return in any value") {
  for (const char* f : {"kubernetes-examples/_archived/sysdig-cloud/sysdig-daemonset.yaml",
                        "kubernetes-examples/_archived/sysdig-cloud/sysdig-rc.yaml",
                        "kubernetes-examples/_archived/volumes/azure_disk/static-provisioning/managed-disk/"
                        "pod-uses-existing-managed-disk.yaml",
                        "argo-cd/resource_customizations/minio.min.io/Tenant/testdata/incorrect_tenant_credentials.yaml",
                        "argo-cd/resource_customizations/monitoring.coreos.com/Prometheus/testdata/degraded.yaml",
                        "argo-cd/resource_customizations/monitoring.coreos.com/Prometheus/testdata/healthy.yaml"}) {
    CAPTURE(f);
    std::ifstream in(corpus_dir() / f, std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), {});
    CHECK(raw.find("\r\n") != std::string::npos);  // the checkout kept the CRLF bytes
    FileResult r = read(f);
    REQUIRE(r.objects.size() == 1);
    CHECK(json::marshal(r.objects[0].object).find("\\r") == std::string::npos);
  }
}

TEST_CASE("corpus quirk: empty documents count in the document index and yield nothing") {
  FileResult c = read("argo-cd/reposerver/repository/testdata/concatenated/concatenated.yaml");
  REQUIRE(c.objects.size() == 3);
  CHECK(c.objects[0].document == 0);
  CHECK(c.objects[1].document == 1);
  CHECK(c.objects[2].document == 3);  // `---` `---`: document 2 is empty
  CHECK(c.objects[2].line == 13);
  CHECK(read("argo-cd/reposerver/repository/testdata/yaml-with-empty-document/has-empty.yaml").objects.size() == 1);
  CHECK(read("kube-prometheus/examples/continuous-delivery/argocd/application.yaml").objects.size() == 1);
}

TEST_CASE("corpus quirk: *List documents") {
  FileResult g = read("kube-prometheus/manifests/grafana-dashboardDefinitions.yaml");
  REQUIRE(g.objects.size() > 1);
  for (std::size_t i = 0; i < g.objects.size(); ++i) {
    CHECK(g.objects[i].item == static_cast<int>(i));
    CHECK(json::get_string(g.objects[i].object, "kind") == "ConfigMap");
  }
  FileResult empty = read("argo-cd/reposerver/repository/testdata/empty-list/empty-list.yaml");
  REQUIRE(empty.objects.size() == 1);  // `items: []` yields nothing; the ServiceAccount follows
  CHECK(empty.objects[0].document == 1);
  FileResult null_list = read("argo-cd/reposerver/repository/testdata/null-list/null-list.yaml");
  REQUIRE(null_list.objects.size() == 2);  // `items:` (null) is an object of its own
  CHECK(json::get_string(null_list.objects[0].object, "kind") == "ConfigMapList");
  CHECK(null_list.objects[0].object.at("items").is_null());
  CHECK(!null_list.objects[0].item);
  FileResult weird = read("argo-cd/reposerver/repository/testdata/weird-list/weird-list.yaml");
  REQUIRE(weird.objects.size() == 2);
  CHECK(json::get_string(weird.objects[0].object, "kind") == "NotAList");
  CHECK(weird.objects[0].object.at("items").is_null());
}

TEST_CASE("corpus quirk: an integer above 2^53 stays exact") {
  FileResult r = read("argo-cd/resource_customizations/snapshot.storage.k8s.io/VolumeSnapshotContent/testdata/good.yaml");
  REQUIRE(r.objects.size() == 1);
  json::value v = r.objects[0].object;
  const json::value& t = at(v, {"status", "creationTime"});
  REQUIRE(t.is_int64());
  CHECK(t.get_int64() == 1685906000388294100);
}

TEST_CASE("corpus quirk: YAML 1.1 octal 0755 is 493") {
  for (const char* f : {"argo-workflows/examples/arguments-artifacts.yaml", "argo-workflows/examples/input-artifact-http.yaml"}) {
    CAPTURE(f);
    FileResult r = read(f);
    REQUIRE(r.objects.size() == 1);
    std::string j = json::marshal(r.objects[0].object);
    CHECK(j.find("\"mode\":493") != std::string::npos);
    CHECK(j.find("\"mode\":755") == std::string::npos);
  }
}

TEST_CASE("corpus quirk: a bare = is the string \"=\"") {
  FileResult r = read("kube-prometheus/manifests/setup/0alertmanagerConfigCustomResourceDefinition.yaml");
  REQUIRE(r.objects.size() == 1);
  CHECK(json::marshal(r.objects[0].object).find(R"("enum":["!=","=","=~","!~"])") != std::string::npos);
}
