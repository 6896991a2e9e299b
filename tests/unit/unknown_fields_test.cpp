// Unknown keys of a Backup or Restore a user hands in (src/format/unknown_fields.hpp): every field
// Velero's CRDs define is known, a typo is named with the closest known field, and what comes back
// from storage keeps its unknown keys (velero.hpp).
#include "format/unknown_fields.hpp"

#include "test_helpers.hpp"
#include "vbackup/json.hpp"
#include "vbackup/manifests.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

using namespace vbackup;

namespace {

// spec.properties of the CRD in tests/data/velero (Velero's own, at d2241ad); for a Schedule, those
// of spec.template (a BackupSpec).
std::vector<std::string> crd_spec_fields(const std::string& file, bool schedule_template) {
  std::vector<std::string> out;
  manifests::read_manifest_file(testing::source_root() / "tests/data/velero" / file, [&](manifests::ManifestObject&& m) {
    if (json::get_string(m.object, "kind") != "CustomResourceDefinition") return;
    const auto& version = m.object.at("spec").at("versions").as_array().at(0).as_object();
    const auto* props = &version.at("schema").at("openAPIV3Schema").at("properties").at("spec").at("properties").as_object();
    if (schedule_template) props = &props->at("template").at("properties").as_object();
    for (const auto& kv : *props) out.emplace_back(kv.key());
  }, [](const std::string&) {});
  return out;
}

velero::Backup backup_from(std::string_view text) {
  return velero::Backup::from_json(json::parse(text, "test").as_object(), "test");
}

velero::Restore restore_from(std::string_view text) {
  return velero::Restore::from_json(json::parse(text, "test").as_object(), "test");
}

}  // namespace

TEST_CASE("Velero's CRDs: every BackupSpec and RestoreSpec field is known, typed here or not") {
  auto backup_fields = crd_spec_fields("velero.io_schedules.yaml", true);
  auto restore_fields = crd_spec_fields("velero.io_restores.yaml", false);
  REQUIRE(backup_fields.size() >= 28);
  REQUIRE(restore_fields.size() >= 20);
  for (const auto& f : backup_fields) {
    CAPTURE(f);
    // null reads as absent; a field this library does not type (backupType) stays in `extra`.
    CHECK(velero::unknown_fields(backup_from("{\"spec\": {\"" + f + "\": null}}")).empty());
  }
  for (const auto& f : restore_fields) {
    CAPTURE(f);
    CHECK(velero::unknown_fields(restore_from("{\"spec\": {\"" + f + "\": null}}")).empty());
  }
  CHECK(velero::unknown_fields(backup_from(R"({"spec": {"metadata": {"labels": {}, "annotations": {}}}})")).empty());
  CHECK(velero::unknown_fields(restore_from(R"({"spec": {"restoreStatus": {"includedResources": ["*"]}}})")).empty());
  CHECK(velero::unknown_fields(backup_from(
      R"({"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": "b", "namespace": "velero",
          "labels": {}, "annotations": {}, "uid": "u", "resourceVersion": "1", "generation": 2,
          "creationTimestamp": null, "finalizers": [], "ownerReferences": [], "managedFields": [],
          "generateName": "g", "selfLink": ""}, "spec": {}, "status": {}})")).empty());
}

TEST_CASE("a typo in a spec names the field and the closest known one (issue 12: includedNamespace)") {
  auto w = velero::unknown_fields(backup_from(R"({"spec": {"includedNamespace": ["demo"]}})"));
  REQUIRE(w.size() == 1);
  CHECK(w[0] == "spec.includedNamespace is not a Backup field; did you mean includedNamespaces?");
  // Case is ignored when looking for the closest; nothing close gives no suggestion.
  w = velero::unknown_fields(backup_from(R"({"spec": {"IncludedResources": ["pods"], "frobnicate": 1}})"));
  REQUIRE(w.size() == 2);
  CHECK(w[0] == "spec.IncludedResources is not a Backup field; did you mean includedResources?");
  CHECK(w[1] == "spec.frobnicate is not a Backup field");
  // A spec key given at the top level, where a C caller might put it.
  w = velero::unknown_fields(backup_from(R"({"metadata": {"name": "b"}, "includedNamespaces": ["demo"]})"));
  REQUIRE(w.size() == 1);
  CHECK(w[0] == "includedNamespaces is not a Backup field; did you mean spec.includedNamespaces?");
  w = velero::unknown_fields(backup_from(R"({"sepc": {}, "metadata": {"lables": {"a": "b"}}})"));
  REQUIRE(w.size() == 2);
  CHECK(w[0] == "sepc is not a Backup field; did you mean spec?");
  CHECK(w[1] == "metadata.lables is not a Backup field; did you mean labels?");
  w = velero::unknown_fields(backup_from(R"({"spec": {"metadata": {"label": {}}}})"));
  REQUIRE(w.size() == 1);
  CHECK(w[0] == "spec.metadata.label is not a Backup field; did you mean labels?");
}

TEST_CASE("a typo in a Restore spec, and in its restoreStatus") {
  auto w = velero::unknown_fields(restore_from(
      R"({"spec": {"backupName": "b", "namespaceMappings": {"a": "b"}, "restoreStatus": {"includeResources": ["x"]}}})"));
  REQUIRE(w.size() == 2);
  CHECK(w[0] == "spec.namespaceMappings is not a Restore field; did you mean namespaceMapping?");
  CHECK(w[1] == "spec.restoreStatus.includeResources is not a Restore field; did you mean includedResources?");
  CHECK(velero::unknown_fields(restore_from(R"({"spec": {"backupName": "b", "resourcePolicy": {"kind": "configmap", "name": "p"}}})")).empty());
}

TEST_CASE("records read back keep unknown keys, silently: they round-trip") {
  auto b = velero::read_backup_json(R"({"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": "b"},
    "spec": {"futureField": {"x": 1}}, "status": {"phase": "Completed"}})", "velero-backup.json");
  CHECK(json::marshal(b.spec.to_json()).find("\"futureField\":{\"x\":1}") != std::string::npos);
}

TEST_CASE("closest_name: edit distance ignoring case, or containment, else none") {
  std::vector<std::string_view> c{"includedNamespaces", "excludedNamespaces", "ttl"};
  CHECK(velero::closest_name("includedNamespace", c) == "includedNamespaces");
  CHECK(velero::closest_name("excludednamespaces", c) == "excludedNamespaces");
  CHECK(velero::closest_name("tl", c) == "ttl");
  CHECK(velero::closest_name("NamespacesIncluded", c).empty());
  CHECK(velero::closest_name("zzz", c).empty());
  CHECK(velero::closest_name("x", {}).empty());
}
