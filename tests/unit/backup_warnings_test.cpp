// Issue 12, "say what was asked, do what was said", on the backup side: zstd is recorded and warned
// about, unknown spec keys and names that match nothing are warnings (errors under strict_spec), a
// location that cannot take a write fails the backup before the cluster is read, and a failing
// tarball write ends the backup with its cause.
#include "test_helpers.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/error.hpp"
#include "vbackup/location.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

using namespace vbackup;
namespace phase = velero::backup_phase;

namespace {

using testing::TempDir;

const char* kApp = R"(apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: demo}
data: {k: v}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec: {replicas: 1}
)";

// A manifests source that counts what the runner reads from it.
class CountingSource final : public ClusterSource {
 public:
  explicit CountingSource(std::unique_ptr<ClusterSource> inner) : inner_(std::move(inner)) {}
  int reads = 0;
  std::string describe() const override { return inner_->describe(); }
  const Discovery& discovery() override { return inner_->discovery(); }
  void list(const ApiResource& r, const ListOptions& o, const std::function<void(json::object&&)>& f) override {
    ++reads;
    inner_->list(r, o, f);
  }
  std::optional<json::object> get(const ApiResource& r, const std::string& ns, const std::string& n) override {
    ++reads;
    return inner_->get(r, ns, n);
  }

 private:
  std::unique_ptr<ClusterSource> inner_;
};

// A bucket in memory whose writes can be refused, or fail after some bytes as a full disk does.
class FaultyStore final : public storage::ObjectStore {
 public:
  FaultyStore() : inner_(storage::open_memory_store()) {}
  bool refuse_writes = false;
  std::string fail_key_suffix;       // writes to a key ending so fail after `fail_after` bytes
  std::uint64_t fail_after = 0;

  std::unique_ptr<storage::ObjectWriter> open_write(const std::string& key) override {
    if (refuse_writes) throw Error(ErrorCode::storage, "memory://test: " + key + ": 403 AccessDenied");
    class W final : public storage::ObjectWriter {
     public:
      W(FaultyStore& s, std::string key, std::unique_ptr<storage::ObjectWriter> w) : s_(s), key_(std::move(key)), w_(std::move(w)) {}
      void write(const void* d, std::size_t n) override {
        if (!s_.fail_key_suffix.empty() && key_.ends_with(s_.fail_key_suffix) && w_->bytes_written() + n > s_.fail_after) {
          throw Error(ErrorCode::storage, "file:///backups: " + key_ + ": write failed: No space left on device");
        }
        w_->write(d, n);
      }
      void commit() override { w_->commit(); }
      std::uint64_t bytes_written() const override { return w_->bytes_written(); }

     private:
      FaultyStore& s_;
      std::string key_;
      std::unique_ptr<storage::ObjectWriter> w_;
    };
    return std::make_unique<W>(*this, key, inner_->open_write(key));
  }
  std::unique_ptr<InputStream> get(const std::string& k, const storage::ByteRange& r) override { return inner_->get(k, r); }
  bool exists(const std::string& k) override { return inner_->exists(k); }
  std::vector<std::string> list_common_prefixes(const std::string& p, const std::string& d) override {
    return inner_->list_common_prefixes(p, d);
  }
  std::vector<std::string> list_objects(const std::string& p) override { return inner_->list_objects(p); }
  void remove(const std::string& k) override { inner_->remove(k); }
  std::string signed_url(const std::string& k, std::chrono::seconds t) override { return inner_->signed_url(k, t); }
  std::string describe() const override { return "memory://test"; }

 private:
  std::unique_ptr<storage::ObjectStore> inner_;
};

struct Fixture {
  TempDir manifests;
  std::shared_ptr<FaultyStore> objects = std::make_shared<FaultyStore>();
  storage::BackupStore store{objects, ""};
  storage::Location location;
  int reads = 0;
  std::vector<std::string> recorded_phases;
  Fixture() {
    manifests.write("app.yaml", kApp);
    location.provider = "aws";  // an object store: the write probe goes through `objects`
    location.bucket = "test";
  }
  BackupResult run(velero::Backup b, BackupOptions options = {}) {
    CountingSource source(open_manifest_source({manifests.path}));
    options.now = [] { return Timestamp(std::chrono::seconds(1764000000)); };
    options.on_record = [this](const velero::Backup& r) { recorded_phases.push_back(r.status.phase); };
    auto result = run_backup(std::move(b), source, store, location, options);
    reads = source.reads;
    return result;
  }
  std::vector<std::string> warnings(const std::string& name) {
    auto d = describe_backup(store, name, true);
    std::vector<std::string> out = d.results.warnings.cluster;
    for (const auto& [ns, list] : d.results.warnings.namespaces) out.insert(out.end(), list.begin(), list.end());
    return out;
  }
};

velero::Backup named(const std::string& name) {
  velero::Backup b;
  b.metadata.name = name;
  return b;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST_CASE("ours: a zstd backup says so (annotation vbackup.io/compression, a warning); gzip carries neither") {
  Fixture f;
  BackupOptions zstd;
  zstd.compression = archive::Compression::zstd;
  auto r = f.run(named("z"), zstd);
  REQUIRE(r.backup.status.phase == phase::Completed);
  CHECK(r.backup.metadata.annotations.at("vbackup.io/compression") == "zstd");
  auto stored = get_backup(f.store, "z");
  CHECK(recorded_compression(stored) == archive::Compression::zstd);
  CHECK(stored.status.warnings == 1);
  CHECK(f.warnings("z") == std::vector<std::string>{"a Velero server cannot restore a zstd backup: it reads z.tar.gz as gzip"});
  // Velero's name is kept; our reader tells the data apart by its magic bytes.
  auto in = f.objects->get("backups/z/z.tar.gz", {});
  archive::ArchiveReader reader(*in, "z.tar.gz");
  archive::Entry e;
  REQUIRE(reader.next(e));
  CHECK(e.is_version_file);

  // A gzip backup carries no annotation, even one a user set claiming otherwise.
  auto g = named("g");
  g.metadata.annotations["vbackup.io/compression"] = "zstd";
  r = f.run(g);
  CHECK(r.backup.metadata.annotations.count("vbackup.io/compression") == 0);
  CHECK(recorded_compression(get_backup(f.store, "g")) == archive::Compression::gzip);
  CHECK(f.warnings("g").empty());
  CHECK(compression_warning(archive::Compression::gzip, "g").empty());
}

TEST_CASE("ours: an unknown spec key is a warning naming the closest field; strict_spec makes it a validation error") {
  Fixture f;
  auto b = velero::Backup::from_json(
      json::parse(R"({"metadata": {"name": "typo"}, "spec": {"includedNamespace": ["demo"]}})", "test").as_object(), "test");
  auto r = f.run(b);
  CHECK(r.backup.status.phase == phase::Completed);
  CHECK(has(f.warnings("typo"), "spec.includedNamespace is not a Backup field; did you mean includedNamespaces?"));

  BackupOptions strict;
  strict.strict_spec = true;
  b.metadata.name = "strict";
  r = f.run(b, strict);
  CHECK(r.backup.status.phase == phase::FailedValidation);
  CHECK(r.outcome.code == ErrorCode::invalid);
  CHECK(has(r.backup.status.validation_errors, "spec.includedNamespace is not a Backup field; did you mean includedNamespaces?"));
  CHECK(f.objects->list_objects("backups/strict/").empty());
  CHECK(f.reads == 0);
  // Without unknown keys, strict changes nothing.
  r = f.run(named("clean"), strict);
  CHECK(r.backup.status.phase == phase::Completed);
  CHECK(f.warnings("clean").empty());
}

TEST_CASE("ours: resource names the cluster does not serve and namespaces it does not have are warnings; globs are not") {
  Fixture f;
  auto b = named("names");
  b.spec.included_namespaces = {"demo", "demoo", "prod-*"};
  b.spec.included_resources = {"deploymentz", "configmaps", "Deployment", "*.apps"};
  b.spec.excluded_resources = {"secretz"};
  auto r = f.run(b);
  CHECK(r.backup.status.phase == phase::Completed);
  auto w = f.warnings("names");
  CHECK(w.size() == 3);
  CHECK(has(w, "spec.includedResources: \"deploymentz\" is not a resource of the cluster; did you mean deployments?"));
  CHECK(has(w, "spec.excludedResources: \"secretz\" is not a resource of the cluster; did you mean secrets?"));
  CHECK(has(w, "spec.includedNamespaces: namespace \"demoo\" does not exist in the cluster; did you mean demo?"));
  // The auto-excluded VolumeSnapshot resources, which this cluster lacks, are not the user's: no warning.
  CHECK(r.backup.spec.excluded_resources.size() == 3);

  auto scoped = named("scoped");
  scoped.spec.included_namespace_scoped_resources = {"confgmaps"};
  scoped.spec.excluded_cluster_scoped_resources = {"persistentvolumes"};
  f.run(scoped);
  w = f.warnings("scoped");
  CHECK(w == std::vector<std::string>{
                 "spec.includedNamespaceScopedResources: \"confgmaps\" is not a resource of the cluster; did you mean configmaps?"});
}

TEST_CASE("a location that refuses writes fails the backup before the cluster is read, naming the location") {
  Fixture f;
  f.objects->refuse_writes = true;
  auto r = f.run(named("ro"));
  CHECK(r.backup.status.phase == phase::Failed);
  CHECK(r.outcome.code == ErrorCode::storage);
  CHECK(r.backup.status.failure_reason.starts_with("backup storage location s3://test: a probe object cannot be written: "));
  CHECK(r.backup.status.failure_reason.find("403 AccessDenied") != std::string::npos);
  CHECK(f.reads == 0);
  CHECK(std::find(f.recorded_phases.begin(), f.recorded_phases.end(), phase::InProgress) == f.recorded_phases.end());

  // A writable store keeps nothing of the probe.
  f.objects->refuse_writes = false;
  REQUIRE(f.run(named("rw")).backup.status.phase == phase::Completed);
  for (const auto& k : f.objects->list_objects("")) CHECK(k.find("probe") == std::string::npos);
}

TEST_CASE("a file location whose folder cannot be created fails the backup, naming the folder") {
  Fixture f;
  TempDir dir;
  auto file = dir.write("not-a-folder", "x");
  storage::Location loc;
  loc.provider = "file";
  loc.bucket = (file / "backups").string();
  auto problem = location_write_problem(loc, f.store, true);
  CHECK(problem.starts_with("backup storage location file://" + loc.bucket + ": cannot create the folder " + loc.bucket));
}

TEST_CASE("a tarball write that fails (ENOSPC) ends the backup with the path and the system error") {
  Fixture f;
  // Enough data that the disk fills while items are written, not only at the end: 100 ConfigMaps
  // of 20 KB of random hex (about 1 MB compressed).
  std::mt19937_64 rng(12);
  std::string many;
  for (int i = 0; i < 100; ++i) {
    std::string data;
    for (int j = 0; j < 20000; ++j) data += "0123456789abcdef"[rng() % 16];
    many += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c" + std::to_string(i) + ", namespace: demo}\n"
            "data: {k: \"" + data + "\"}\n";
  }
  f.manifests.write("many.yaml", many);
  f.objects->fail_key_suffix = "full.tar.gz";
  f.objects->fail_after = 300 * 1024;
  BackupOptions options;
  std::vector<std::string> errors;
  options.on_log = [&](std::string_view level, std::string_view line) {
    if (level == "error") errors.emplace_back(line);
  };
  auto r = f.run(named("full"), options);
  // The backup stops at the failing write: it is not an error of each item that follows.
  CHECK(std::none_of(errors.begin(), errors.end(),
                     [](const std::string& l) { return l.find("Error backing up item") != std::string::npos; }));
  CHECK(r.backup.status.phase == phase::Failed);
  CHECK(r.outcome.code == ErrorCode::storage);
  CHECK(r.backup.status.failure_reason == "file:///backups: backups/full/full.tar.gz: write failed: No space left on device");
  CHECK(r.outcome.message.find("an earlier write failed") == std::string::npos);
  CHECK(f.objects->list_objects("backups/full/").empty());
}

TEST_CASE("the archive writer repeats its sink's first failure, not \"an earlier write failed\"") {
  class Full final : public OutputStream {
   public:
    using OutputStream::write;
    void write(const void*, std::size_t) override {
      throw Error(ErrorCode::storage, "/var/backups/b.tar.gz: write failed: No space left on device");
    }
  } full;
  archive::ArchiveWriter w(full, archive::Compression::zstd);  // the first entry stays in the staging buffer
  std::string big(512 * 1024, 'x');
  ErrorCode code{};
  std::string first = testing::error_of([&] { w.add_file("a", big); }, &code);
  if (first.empty()) first = testing::error_of([&] { w.finish(); }, &code);  // the compressor may hold it until then
  CHECK(first == "/var/backups/b.tar.gz: write failed: No space left on device");
  CHECK(code == ErrorCode::storage);
  CHECK(testing::error_of([&] { w.add_file("b", "y"); }, &code) == "/var/backups/b.tar.gz: write failed: No space left on device");
  CHECK(testing::error_of([&] { w.finish(); }, &code) == "/var/backups/b.tar.gz: write failed: No space left on device");
  CHECK(code == ErrorCode::storage);
}

TEST_CASE("no double space where a name is missing") {
  Fixture f;
  auto r = f.run(velero::Backup{});
  CHECK(r.backup.status.phase == phase::FailedValidation);
  CHECK(r.outcome.message.starts_with("backup failed validation:"));
  CHECK(r.outcome.message.find("  metadata.name") != std::string::npos);  // the list's indent
  CHECK(r.outcome.message.find("backup  ") == std::string::npos);
}
