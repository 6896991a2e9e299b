// Issue 12, "say what was asked, do what was said", on the restore side: unknown Restore keys are a
// warning naming the closest field (a validation error under strict_spec), and resource names and
// included namespaces that match nothing in the cluster or the backup are warnings (Velero is
// silent); globs are not warned about.
#include "test_helpers.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/error.hpp"
#include "vbackup/restore.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace vbackup;
namespace phase = velero::restore_phase;

namespace {

struct Fixture {
  testing::TempDir manifests;
  std::shared_ptr<storage::ObjectStore> objects = storage::open_memory_store();
  storage::BackupStore store{objects, ""};
  std::vector<std::string> warnings;  // the restore log's warning lines

  Fixture() {
    manifests.write("app.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: demo}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec: {replicas: 1}
)");
    auto source = open_manifest_source({manifests.path});
    velero::Backup b;
    b.metadata.name = "b";
    storage::Location loc;
    loc.provider = "memory";
    REQUIRE(run_backup(b, *source, store, loc).backup.status.phase == velero::backup_phase::Completed);
  }

  RestoreResult dry_run(const std::string& restore_json, bool strict = false) {
    auto r = velero::Restore::from_json(json::parse(restore_json, "test").as_object(), "test");
    RestoreOptions o;
    o.mode = RestoreOptions::Mode::dry_run;
    o.strict_spec = strict;
    o.on_log = [this](std::string_view level, std::string_view line) {
      if (level == "warning") warnings.emplace_back(line);
    };
    auto target = open_offline_target();
    return run_restore(std::move(r), store, *target, o);
  }

  bool logged(const std::string& message) const {
    return std::any_of(warnings.begin(), warnings.end(),
                       [&](const std::string& l) { return l.find(message) != std::string::npos; });
  }
};

}  // namespace

TEST_CASE("ours: an unknown Restore key is a warning naming the closest field; strict_spec fails validation") {
  Fixture f;
  auto r = f.dry_run(R"({"metadata": {"name": "r"}, "spec": {"backupName": "b", "namespaceMappings": {"demo": "x"}}})");
  CHECK(r.restore.status.phase == phase::Completed);
  CHECK(r.restore.status.warnings == 1);
  CHECK(f.logged("spec.namespaceMappings is not a Restore field; did you mean namespaceMapping?"));

  r = f.dry_run(R"({"metadata": {"name": "r"}, "spec": {"backupName": "b", "namespaceMappings": {"demo": "x"}}})", true);
  CHECK(r.restore.status.phase == phase::FailedValidation);
  CHECK(r.outcome.code == ErrorCode::invalid);
  CHECK(r.restore.status.validation_errors ==
        std::vector<std::string>{"spec.namespaceMappings is not a Restore field; did you mean namespaceMapping?"});
}

TEST_CASE("ours: resource names and included namespaces that match nothing are warnings; globs and known names are not") {
  Fixture f;
  auto r = f.dry_run(R"({"metadata": {"name": "r"}, "spec": {"backupName": "b",
      "includedNamespaces": ["demo", "dmeo", "prod-*"],
      "includedResources": ["configmapz", "deployments", "Deployment", "ingresses.networking.k8s.io", "*.apps"],
      "excludedResources": ["secrte"]}})");
  CHECK(r.restore.status.phase == phase::Completed);
  CHECK(r.restore.status.warnings == 3);
  CHECK(f.logged("spec.includedResources: \\\"configmapz\\\" is not a resource of the cluster or of backup \\\"b\\\"; did you mean configmaps?"));
  CHECK(f.logged("spec.excludedResources: \\\"secrte\\\" is not a resource of the cluster or of backup \\\"b\\\""));
  CHECK(f.logged("spec.includedNamespaces: namespace \\\"dmeo\\\" is not in backup \\\"b\\\"; did you mean demo?"));
}

TEST_CASE("no double space where a restore's name is missing") {
  Fixture f;
  auto r = f.dry_run(R"({"spec": {"backupName": "b"}})");
  CHECK(r.restore.status.phase == phase::FailedValidation);
  CHECK(r.outcome.message.starts_with("restore failed validation:"));
  CHECK(r.outcome.message.find("restore  ") == std::string::npos);
}
