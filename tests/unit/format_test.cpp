// velero.io/v1 resources and side files (spec §2.3, §2.4, §4). Expected bytes are what Velero's Go
// types produce (field order and omitempty from pkg/apis/velero/v1/*_types.go).
#include "test_helpers.hpp"
#include "vbackup/error.hpp"
#include "vbackup/stream.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
using namespace vbackup::velero;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

// spec §4.8, verbatim.
constexpr std::string_view kExample = R"({
  "kind": "Backup",
  "apiVersion": "velero.io/v1",
  "metadata": {
    "name": "nginx-backup",
    "namespace": "velero",
    "uid": "6f0c2d7e-2b4e-4a51-9d1e-3a8f4f0f1c2b",
    "resourceVersion": "123456",
    "generation": 5,
    "creationTimestamp": "2026-05-20T10:00:00Z",
    "labels": {
      "velero.io/storage-location": "default"
    },
    "annotations": {
      "velero.io/resource-timeout": "10m0s",
      "velero.io/source-cluster-k8s-gitversion": "v1.33.1",
      "velero.io/source-cluster-k8s-major-version": "1",
      "velero.io/source-cluster-k8s-minor-version": "33"
    }
  },
  "spec": {
    "metadata": {},
    "includedNamespaces": [
      "nginx-example"
    ],
    "excludedClusterScopedResources": [
      "volumesnapshotcontents.snapshot.storage.k8s.io"
    ],
    "excludedNamespaceScopedResources": [
      "volumesnapshots.snapshot.storage.k8s.io"
    ],
    "ttl": "720h0m0s",
    "volumeGroupSnapshotLabelKey": "velero.io/volume-group",
    "hooks": {},
    "storageLocation": "default",
    "defaultVolumesToFsBackup": false,
    "csiSnapshotTimeout": "10m0s",
    "itemOperationTimeout": "4h0m0s",
    "snapshotMoveData": false
  },
  "status": {
    "version": 1,
    "formatVersion": "1.1.0",
    "expiration": "2026-06-19T10:00:01Z",
    "phase": "Completed",
    "startTimestamp": "2026-05-20T10:00:01Z",
    "completionTimestamp": "2026-05-20T10:00:09Z",
    "progress": {
      "totalItems": 14,
      "itemsBackedUp": 14
    },
    "hookStatus": {}
  }
})";

std::string compact(const json::object& o) { return json::marshal(o, {.sort_keys = false}); }
json::object obj(std::string_view text) { return json::parse(text, "test").as_object(); }

std::string error_of(auto&& f) {
  ErrorCode code{};
  std::string msg = testing::error_of([&] { f(); }, &code);
  if (msg.empty()) return "no error";
  CHECK(code == ErrorCode::invalid);
  return msg;
}

Timestamp at(std::string_view rfc3339) { return parse_rfc3339(rfc3339); }

}  // namespace

TEST_CASE("spec §4.8: velero-backup.json field order, re-serialised byte for byte") {
  Backup b = read_backup_json(kExample, "backups/nginx-backup/velero-backup.json");
  CHECK(b.metadata.name == "nginx-backup");
  CHECK(b.metadata.generation == 5);
  CHECK(b.metadata.creation_timestamp == at("2026-05-20T10:00:00Z"));
  CHECK(b.metadata.labels.at(std::string(label::storage_location)) == "default");
  CHECK(b.spec.ttl == 720h);
  CHECK(b.spec.csi_snapshot_timeout == 10min);
  CHECK(b.spec.item_operation_timeout == 4h);
  CHECK(b.spec.default_volumes_to_fs_backup == false);  // present and false, not absent
  CHECK(b.spec.snapshot_volumes == std::nullopt);
  CHECK(b.status.phase == backup_phase::Completed);
  CHECK(b.status.format_version == backup_format_version);
  REQUIRE(b.status.progress);
  CHECK(b.status.progress->items_backed_up == 14);
  REQUIRE(b.status.hook_status);
  CHECK(b.status.hook_status->hooks_attempted == 0);
  CHECK(write_backup_json(b) == kExample);
}

TEST_CASE("spec §4.8: the same file built in C++ is byte-identical") {
  Backup b;
  b.metadata.name = "nginx-backup";
  b.metadata.namespace_ = "velero";
  b.metadata.uid = "6f0c2d7e-2b4e-4a51-9d1e-3a8f4f0f1c2b";
  b.metadata.resource_version = "123456";
  b.metadata.generation = 5;
  b.metadata.creation_timestamp = at("2026-05-20T10:00:00Z");
  b.metadata.labels[std::string(label::storage_location)] = get_valid_name("default");
  // inserted out of order: written sorted, as Go sorts map keys
  b.metadata.annotations[std::string(annotation::source_cluster_k8s_minor_version)] = "33";
  b.metadata.annotations[std::string(annotation::source_cluster_k8s_major_version)] = "1";
  b.metadata.annotations[std::string(annotation::source_cluster_k8s_gitversion)] = "v1.33.1";
  b.metadata.annotations[std::string(annotation::resource_timeout)] = format_duration(10min);
  b.spec.included_namespaces = {"nginx-example"};
  b.spec.excluded_cluster_scoped_resources = {"volumesnapshotcontents.snapshot.storage.k8s.io"};
  b.spec.excluded_namespace_scoped_resources = {"volumesnapshots.snapshot.storage.k8s.io"};
  b.spec.ttl = default_backup_ttl;
  b.spec.volume_group_snapshot_label_key = std::string(label::default_volume_group);
  b.spec.storage_location = "default";
  b.spec.default_volumes_to_fs_backup = false;
  b.spec.csi_snapshot_timeout = 10min;
  b.spec.item_operation_timeout = 4h;
  b.spec.snapshot_move_data = false;
  b.status.version = 1;
  b.status.format_version = std::string(backup_format_version);
  b.status.expiration = at("2026-06-19T10:00:01Z");
  b.status.phase = std::string(backup_phase::Completed);
  b.status.start_timestamp = at("2026-05-20T10:00:01Z");
  b.status.completion_timestamp = at("2026-05-20T10:00:09Z");
  b.status.progress = BackupProgress{.total_items = 14, .items_backed_up = 14, .extra = {}};
  b.status.hook_status = HookStatus{};
  CHECK(write_backup_json(b) == kExample);
}

TEST_CASE("spec §4.1: omitempty — an empty Backup keeps ttl, hooks, metadata and the timeouts") {
  Backup b;
  CHECK(compact(b.to_json()) ==
        R"({"kind":"Backup","apiVersion":"velero.io/v1","metadata":{},"spec":{"metadata":{},"ttl":"0s",)"
        R"("hooks":{},"csiSnapshotTimeout":"0s","itemOperationTimeout":"0s"},"status":{}})");
  // empty lists, maps, strings, zero counts and nullopt pointers are absent; set ones appear
  b.spec.included_namespaces = {};
  b.spec.ordered_resources = {};
  b.spec.snapshot_volumes = false;
  b.spec.include_cluster_resources = true;
  b.spec.metadata.labels = {{"app", "x"}};
  b.status.errors = 0;
  b.status.warnings = 2;
  CHECK(compact(b.spec.to_json()) ==
        R"({"metadata":{"labels":{"app":"x"}},"snapshotVolumes":false,"ttl":"0s","includeClusterResources":true,)"
        R"("hooks":{},"csiSnapshotTimeout":"0s","itemOperationTimeout":"0s"})");
  CHECK(compact(b.status.to_json()) == R"({"warnings":2})");
}

TEST_CASE("spec §4.1: bool pointers — false and absent differ") {
  auto spec = [](std::string_view text) { return BackupSpec::from_json(obj(text), "t"); };
  CHECK(spec(R"({"snapshotVolumes":false})").snapshot_volumes == false);
  CHECK(spec(R"({"snapshotVolumes":true})").snapshot_volumes == true);
  CHECK(spec(R"({})").snapshot_volumes == std::nullopt);
  CHECK(spec(R"({"snapshotVolumes":null})").snapshot_volumes == std::nullopt);
  CHECK(compact(spec(R"({"defaultVolumesToRestic":false})").to_json()).find(R"("defaultVolumesToRestic":false)") !=
        std::string::npos);
  CHECK(compact(spec(R"({})").to_json()).find("defaultVolumesToRestic") == std::string::npos);
}

TEST_CASE("every BackupSpec and BackupStatus field in Go struct order") {
  constexpr std::string_view text =
      R"({"metadata":{"labels":{"a":"1"}},"includedNamespaces":["a"],"excludedNamespaces":["b"],)"
      R"("includedResources":["pods"],"excludedResources":["secrets"],"includedClusterScopedResources":["nodes"],)"
      R"("excludedClusterScopedResources":["storageclasses"],"includedNamespaceScopedResources":["*"],)"
      R"("excludedNamespaceScopedResources":["events"],"labelSelector":{"matchLabels":{"app":"x"}},)"
      R"("orLabelSelectors":[{"matchLabels":{"a":"b"}},null],"snapshotVolumes":true,"ttl":"1h30m0s",)"
      R"("volumeGroupSnapshotLabelKey":"vgs","includeClusterResources":false,)"
      R"("hooks":{"resources":[{"name":"h","pre":[{"exec":{"command":["sh"],"timeout":"30s"}}]}]},)"
      R"("storageLocation":"default","volumeSnapshotLocations":["aws"],"defaultVolumesToRestic":false,)"
      R"("defaultVolumesToFsBackup":true,"orderedResources":{"pods":"ns/a,ns/b"},"csiSnapshotTimeout":"10m0s",)"
      R"("itemOperationTimeout":"4h0m0s","resourcePolicy":{"apiGroup":null,"kind":"configmap","name":"policy"},)"
      R"("snapshotMoveData":true,"datamover":"velero","uploaderConfig":{"parallelFilesUpload":4}})";
  BackupSpec s = BackupSpec::from_json(obj(text), "t");
  CHECK(s.ttl == 90min);
  REQUIRE(s.resource_policy);
  CHECK(s.resource_policy->kind == "configmap");
  CHECK(s.resource_policy->api_group == std::nullopt);
  CHECK(s.or_label_selectors.size() == 2);
  CHECK(compact(s.to_json()) == text);

  constexpr std::string_view status =
      R"({"version":1,"formatVersion":"1.1.0","expiration":"2026-06-19T10:00:01Z","phase":"Queued",)"
      R"("queuePosition":3,"validationErrors":["bad"],"startTimestamp":"2026-05-20T10:00:01Z",)"
      R"("completionTimestamp":"2026-05-20T10:00:09Z","volumeSnapshotsAttempted":2,"volumeSnapshotsCompleted":1,)"
      R"("failureReason":"boom","warnings":3,"errors":4,"progress":{"totalItems":10,"itemsBackedUp":9},)"
      R"("csiVolumeSnapshotsAttempted":5,"csiVolumeSnapshotsCompleted":6,"backupItemOperationsAttempted":7,)"
      R"("backupItemOperationsCompleted":8,"backupItemOperationsFailed":9,)"
      R"("hookStatus":{"hooksAttempted":2,"hooksFailed":1}})";
  CHECK(compact(BackupStatus::from_json(obj(status), "t").to_json()) == status);
}

TEST_CASE("unknown fields survive a round trip: top level, metadata, spec, status and nested") {
  constexpr std::string_view text =
      R"({"kind":"Backup","apiVersion":"velero.io/v1","metadata":{"name":"b","clusterName":"old"},)"
      R"("spec":{"metadata":{"future":1},"ttl":"1h0m0s","hooks":{},"csiSnapshotTimeout":"0s",)"
      R"("itemOperationTimeout":"0s","newSpecField":{"x":[1,2]}},)"
      R"("status":{"phase":"Completed","progress":{"totalItems":1,"bytes":7},"newStatusField":"v"},)"
      R"("zzz":true})";
  Backup b = Backup::from_json(obj(text), "t");
  CHECK(b.extra.contains("zzz"));
  CHECK(b.spec.extra.contains("newSpecField"));
  CHECK(b.status.extra.contains("newStatusField"));
  CHECK(compact(b.to_json()) ==
        R"({"kind":"Backup","apiVersion":"velero.io/v1","metadata":{"name":"b","clusterName":"old"},)"
        R"("spec":{"metadata":{"future":1},"ttl":"1h0m0s","hooks":{},"csiSnapshotTimeout":"0s",)"
        R"("itemOperationTimeout":"0s","newSpecField":{"x":[1,2]}},)"
        R"("status":{"phase":"Completed","progress":{"totalItems":1,"bytes":7},"newStatusField":"v"},)"
        R"("zzz":true})");
}

TEST_CASE("ObjectMeta: all fields in apimachinery order; creationTimestamp null reads as unset") {
  constexpr std::string_view text =
      R"({"name":"n","generateName":"g-","namespace":"velero","selfLink":"/x","uid":"u","resourceVersion":"7",)"
      R"("generation":2,"creationTimestamp":"2026-05-20T10:00:00Z","deletionTimestamp":"2026-05-21T10:00:00Z",)"
      R"("deletionGracePeriodSeconds":0,"labels":{"b":"2","a":"1"},"annotations":{"k":"v"},)"
      R"("ownerReferences":[{"apiVersion":"velero.io/v1","kind":"Schedule","name":"daily","uid":"s",)"
      R"("controller":true}],)"
      R"("finalizers":["velero.io/f"],"managedFields":[{"manager":"velero","operation":"Update"}]})";
  ObjectMeta m = ObjectMeta::from_json(obj(text), "t");
  CHECK(m.deletion_grace_period_seconds == 0);
  REQUIRE(m.owner_references.size() == 1);
  CHECK(m.owner_references[0].controller == true);
  std::string out = compact(m.to_json());
  CHECK(out.find(R"("labels":{"a":"1","b":"2"})") != std::string::npos);  // sorted
  CHECK(out == std::string(text).replace(text.find(R"({"b":"2","a":"1"})"), 17, R"({"a":"1","b":"2"})"));
  ObjectMeta old = ObjectMeta::from_json(obj(R"({"name":"x","creationTimestamp":null})"), "t");
  CHECK(old.creation_timestamp == std::nullopt);
  CHECK(compact(old.to_json()) == R"({"name":"x"})");
}

TEST_CASE("spec §2.3: read_backup_json requires apiVersion velero.io/v1 and kind Backup") {
  const char* what = "backups/demo/velero-backup.json";
  CHECK(error_of([&] { read_backup_json(R"({"kind":"Backup"})", what); }) ==
        "backups/demo/velero-backup.json: apiVersion: missing, expected \"velero.io/v1\"");
  CHECK(error_of([&] { read_backup_json(R"({"apiVersion":"velero.io/v1"})", what); }) ==
        "backups/demo/velero-backup.json: kind: missing, expected \"Backup\"");
  CHECK(error_of([&] { read_backup_json(R"({"apiVersion":"velero.io/v1","kind":"Restore"})", what); }) ==
        "backups/demo/velero-backup.json: kind: expected \"Backup\", got \"Restore\"");
  CHECK(error_of([&] { read_backup_json(R"({"apiVersion":"ark.heptio.com/v1","kind":"Backup"})", what); })
            .starts_with("backups/demo/velero-backup.json: apiVersion: expected"));
  CHECK(error_of([&] { read_backup_json("[]", what); }) == "backups/demo/velero-backup.json: expected object");
  CHECK(error_of([&] { read_backup_json("{", what); }).starts_with("backups/demo/velero-backup.json: line 1"));
  // Backup::from_json (a spec over the C API) accepts a missing kind but not a wrong one
  CHECK(Backup::from_json(obj(R"({"spec":{"ttl":"1h"}})"), "t").spec.ttl == 1h);
  CHECK_THROWS_AS(Backup::from_json(obj(R"({"kind":"Schedule"})"), "t"), Error);
}

TEST_CASE("wrong types are invalid input naming the key path") {
  const char* what = "backups/demo/velero-backup.json";
  auto read = [&](std::string_view body) {
    return error_of([&] {
      read_backup_json(std::string(R"({"kind":"Backup","apiVersion":"velero.io/v1",)") + std::string(body) + "}",
                       what);
    });
  };
  CHECK(read(R"("status":{"phase":3})") == "backups/demo/velero-backup.json: status.phase: expected string");
  CHECK(read(R"("status":{"warnings":1.5})") == "backups/demo/velero-backup.json: status.warnings: expected integer");
  CHECK(read(R"("status":{"progress":[]})") == "backups/demo/velero-backup.json: status.progress: expected object");
  CHECK(read(R"("spec":{"includedNamespaces":["a",2]})") ==
        "backups/demo/velero-backup.json: spec.includedNamespaces[1]: expected string");
  CHECK(read(R"("spec":{"snapshotVolumes":"yes"})") ==
        "backups/demo/velero-backup.json: spec.snapshotVolumes: expected boolean");
  CHECK(read(R"("spec":{"ttl":"30d"})") ==
        "backups/demo/velero-backup.json: spec.ttl: time: unknown unit \"d\" in duration \"30d\"");
  CHECK(read(R"("status":{"expiration":"tomorrow"})").starts_with(
      "backups/demo/velero-backup.json: status.expiration: parsing time \"tomorrow\""));
  CHECK(read(R"("metadata":{"labels":{"a":1}})") ==
        "backups/demo/velero-backup.json: metadata.labels.a: expected string");
  CHECK(read(R"("metadata":{"ownerReferences":[{"uid":false}]})") ==
        "backups/demo/velero-backup.json: metadata.ownerReferences[0].uid: expected string");
  CHECK(read(R"("spec":{"hooks":[]})") == "backups/demo/velero-backup.json: spec.hooks: expected object");
  CHECK(read(R"("spec":"x")") == "backups/demo/velero-backup.json: spec: expected object");
  CHECK(read(R"("spec":{"orLabelSelectors":[1]})") ==
        "backups/demo/velero-backup.json: spec.orLabelSelectors[0]: expected object");
  CHECK(read(R"("status":{"hookStatus":{"hooksFailed":"1"}})") ==
        "backups/demo/velero-backup.json: status.hookStatus.hooksFailed: expected integer");
}

TEST_CASE("spec §4.3: Restore round trip with every field") {
  constexpr std::string_view text =
      R"({"kind":"Restore","apiVersion":"velero.io/v1","metadata":{"name":"r","namespace":"velero"},)"
      R"("spec":{"backupName":"b","scheduleName":"daily","includedNamespaces":["a"],"excludedNamespaces":["b"],)"
      R"("includedResources":["pods"],"excludedResources":["nodes"],"namespaceMapping":{"a":"a2","b":"b2"},)"
      R"("labelSelector":{"matchExpressions":[{"key":"k","operator":"Exists"}]},)"
      R"("orLabelSelectors":[{"matchLabels":{"x":"y"}}],"restorePVs":false,)"
      R"("restoreStatus":{"includedResources":["*"],"excludedResources":["pods"]},"preserveNodePorts":true,)"
      R"("includeClusterResources":true,)"
      R"("hooks":{"resources":[{"name":"h","postHooks":[{"init":{"initContainers":[{"name":"c"}],)"
      R"("timeout":"1m0s"}}]}]},)"
      R"("existingResourcePolicy":"update","itemOperationTimeout":"4h0m0s",)"
      R"("resourceModifier":{"apiGroup":"","kind":"configmap","name":"mods"},)"
      R"("uploaderConfig":{"writeSparseFiles":true,"parallelFilesDownload":2}},)"
      R"("status":{"phase":"PartiallyFailed","validationErrors":["v"],"warnings":1,"errors":2,"failureReason":"f",)"
      R"("startTimestamp":"2026-05-20T10:00:00Z","completionTimestamp":"2026-05-20T10:05:00Z",)"
      R"("progress":{"totalItems":5,"itemsRestored":4},"restoreItemOperationsAttempted":1,)"
      R"("restoreItemOperationsCompleted":2,"restoreItemOperationsFailed":3,"hookStatus":{"hooksAttempted":1}}})";
  Restore r = Restore::from_json(obj(text), "t");
  CHECK(r.spec.namespace_mapping.at("a") == "a2");
  CHECK(r.spec.restore_pvs == false);
  REQUIRE(r.spec.restore_status);
  CHECK(r.spec.restore_status->excluded_resources == std::vector<std::string>{"pods"});
  CHECK(r.spec.existing_resource_policy == existing_resource_policy::update);
  REQUIRE(r.spec.resource_modifier);
  CHECK(r.spec.resource_modifier->api_group == "");
  CHECK(r.status.phase == restore_phase::PartiallyFailed);
  CHECK(compact(r.to_json()) == text);
  // backupName has no omitempty; hooks and itemOperationTimeout are structs
  CHECK(compact(Restore{}.to_json()) ==
        R"({"kind":"Restore","apiVersion":"velero.io/v1","metadata":{},"spec":{"backupName":"","hooks":{},)"
        R"("itemOperationTimeout":"0s"},"status":{}})");
}

TEST_CASE("spec §4.4: Schedule round trip with every field") {
  constexpr std::string_view text =
      R"({"kind":"Schedule","apiVersion":"velero.io/v1","metadata":{"name":"daily","namespace":"velero"},)"
      R"("spec":{"template":{"metadata":{"labels":{"team":"a"}},"includedNamespaces":["app"],"ttl":"168h0m0s",)"
      R"("hooks":{},"csiSnapshotTimeout":"0s","itemOperationTimeout":"0s"},"schedule":"CRON_TZ=UTC 0 1 * * *",)"
      R"("useOwnerReferencesInBackup":true,"paused":true,"skipImmediately":false},)"
      R"("status":{"phase":"Enabled","lastBackup":"2026-05-20T01:00:00Z","lastSkipped":"2026-05-19T01:00:00Z",)"
      R"("validationErrors":["x"]}})";
  Schedule s = Schedule::from_json(obj(text), "t");
  CHECK(s.spec.template_.ttl == 168h);
  CHECK(s.spec.paused);
  CHECK(s.spec.skip_immediately == false);
  CHECK(s.status.phase == schedule_phase::Enabled);
  CHECK(compact(s.to_json()) == text);
  // template and schedule have no omitempty, paused is a plain bool
  CHECK(compact(ScheduleSpec{}.to_json()) ==
        R"({"template":{"metadata":{},"ttl":"0s","hooks":{},"csiSnapshotTimeout":"0s","itemOperationTimeout":"0s"},)"
        R"("schedule":""})");
  CHECK(error_of([] { ScheduleSpec::from_json(obj(R"({"template":{"ttl":5}})"), "schedules/daily", "spec"); }) ==
        "schedules/daily: spec.template.ttl: expected string");
}

TEST_CASE("spec §4.5: BackupStorageLocation round trip with every field") {
  constexpr std::string_view text =
      R"({"kind":"BackupStorageLocation","apiVersion":"velero.io/v1","metadata":{"name":"default"},)"
      R"("spec":{"provider":"aws","config":{"region":"minio","s3ForcePathStyle":"true","s3Url":"http://minio:9000"},)"
      R"("credential":{"name":"cloud-credentials","key":"cloud"},)"
      R"("objectStorage":{"bucket":"velero","prefix":"cluster-a","caCert":"LS0tLS1CRUdJTg==",)"
      R"("caCertRef":{"name":"ca","key":"ca.crt","optional":false}},"default":true,"accessMode":"ReadOnly",)"
      R"("backupSyncPeriod":"0s","validationFrequency":"1m0s","worker":{"serviceAccountName":"bsl-a"}},)"
      R"("status":{"phase":"Available","lastSyncedTime":"2026-05-20T10:00:00Z",)"
      R"("lastValidationTime":"2026-05-20T10:00:10Z","message":"ok","lastSyncedRevision":"r",)"
      R"("accessMode":"ReadWrite"}})";
  BackupStorageLocation l = BackupStorageLocation::from_json(obj(text), "t");
  REQUIRE(l.spec.object_storage);
  CHECK(l.spec.object_storage->ca_cert == "-----BEGIN");
  CHECK(l.spec.backup_sync_period == 0ns);  // present and zero: sync disabled
  CHECK(l.spec.validation_frequency == 1min);
  CHECK(l.spec.default_);
  CHECK(l.spec.access_mode == access_mode::ReadOnly);
  CHECK(l.status.phase == location_phase::Available);
  CHECK(l.spec.extra.contains("worker"));  // a field of a newer Velero survives
  CHECK(compact(l.to_json()) == text);
  // provider and objectStorage have no omitempty; objectStorage is a pointer (null when unset)
  CHECK(compact(BackupStorageLocationSpec{}.to_json()) == R"({"provider":"","objectStorage":null})");
  BackupStorageLocationSpec nil = BackupStorageLocationSpec::from_json(obj(R"({"provider":"aws"})"), "t");
  CHECK(nil.backup_sync_period == std::nullopt);
  CHECK(error_of([] {
          BackupStorageLocationSpec::from_json(obj(R"({"objectStorage":{"caCert":"!!"}})"), "bsl", "spec");
        }) == "bsl: spec.objectStorage.caCert: invalid base64 data");
}

TEST_CASE("spec §4.2: get_valid_name keeps 63 bytes and hashes longer names") {
  const std::string n63(63, 'a');
  CHECK(get_valid_name(n63) == n63);
  CHECK(get_valid_name("default") == "default");
  const std::string n64(64, 'a');
  // sha256("a" * 64) = ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb
  CHECK(get_valid_name(n64) == std::string(57, 'a') + "ffe054");
  CHECK(get_valid_name(n64).size() == 63);
}

TEST_CASE("spec §2.3: Result JSON in Go struct order with omitempty") {
  Result r;
  CHECK(r.empty());
  CHECK(compact(r.to_json()) == "{}");
  r.add("", "cluster problem");
  r.add("ns-b", "b1");
  r.add("ns-a", "a1");
  r.add("ns-b", "b2");
  r.add_velero("velero problem");
  CHECK(r.count() == 5);
  CHECK(compact(r.to_json()) ==
        R"({"velero":["velero problem"],"cluster":["cluster problem"],)"
        R"("namespaces":{"ns-a":["a1"],"ns-b":["b1","b2"]}})");
  Result other;
  other.add("ns-a", "a2");
  r.merge(other);
  CHECK(r.namespaces.at("ns-a") == std::vector<std::string>{"a1", "a2"});
}

TEST_CASE("spec §2.3: results file is gzip of {errors, warnings} + newline and decodes back") {
  Result errors, warnings;
  errors.add("app", "error restoring pods/app/web: boom");
  warnings.add_velero("could not find volume snapshot location");
  std::string gz = encode_results(errors, warnings);
  CHECK(gzip_decompress(gz, 1 << 20, "t") ==
        "{\"errors\":{\"namespaces\":{\"app\":[\"error restoring pods/app/web: boom\"]}},"
        "\"warnings\":{\"velero\":[\"could not find volume snapshot location\"]}}\n");
  Results back = decode_results(gz, "restores/r/restore-r-results.gz");
  CHECK(back.errors.namespaces.at("app").size() == 1);
  CHECK(back.warnings.velero == warnings.velero);
  CHECK(gzip_decompress(encode_results({}, {}), 1 << 20, "t") == "{\"errors\":{},\"warnings\":{}}\n");
  CHECK(error_of([] { decode_results(gzip_compress(R"({"errors":{"velero":"x"}})"), "r.gz"); }) ==
        "r.gz: errors.velero: expected array of strings");
  CHECK_THROWS_AS(decode_results("not gzip", "r.gz"), Error);
}

TEST_CASE("spec §2.3: resource list is sorted and round-trips") {
  ResourceList list{{"v1/Pod", {"ns/b", "ns/a"}}, {"apps/v1/Deployment", {"ns/web"}}, {"v1/Namespace", {"ns"}}};
  std::string gz = encode_resource_list(list);
  CHECK(gzip_decompress(gz, 1 << 20, "t") ==
        R"({"apps/v1/Deployment":["ns/web"],"v1/Namespace":["ns"],"v1/Pod":["ns/a","ns/b"]})"
        "\n");
  ResourceList back = decode_resource_list(gz, "t");
  CHECK(back.at("v1/Pod") == std::vector<std::string>{"ns/a", "ns/b"});
  CHECK(decode_resource_list(gzip_compress("null\n"), "t").empty());
}

// Go's compress/flate frames "null\n" in 29 bytes (a fixed-Huffman block, then an empty final stored
// block); zlib frames it in 25. Deflate output is not byte-identical between Go and zlib for any
// non-trivial input, and no reader depends on it (spec §2.3 names the content, not the deflate
// bytes), so what we assert is Go's gzip header and Go's payload — and that Go's own 29 bytes read.
TEST_CASE("spec §2.3: gzip side files carry Go's header, and Go's own bytes for null\\n decode") {
  std::string gz = encode_json_gz(json::array{});
  REQUIRE(gz.size() >= 18);
  const unsigned char header[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff};  // no name, mtime 0, OS 255
  CHECK(gz.compare(0, sizeof header, std::string(reinterpret_cast<const char*>(header), sizeof header)) == 0);
  constexpr unsigned char go_null[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
                                       0xca, 0x2b, 0xcd, 0xc9, 0xe1, 0x02, 0x04, 0x00, 0x00, 0xff,
                                       0xff, 0x6e, 0x91, 0x91, 0xd4, 0x05, 0x00, 0x00, 0x00};
  std::string go(reinterpret_cast<const char*>(go_null), sizeof go_null);
  CHECK(decode_json_list_gz(go, "go-null").empty());
  CHECK(gzip_decompress(go, 100, "go-null") == "null\n");
}

TEST_CASE("spec §2.3: an empty list is gzip of null\\n and decodes as an empty list") {
  std::string gz = encode_json_gz(json::array{});
  CHECK(gzip_decompress(gz, 1 << 20, "t") == "null\n");
  CHECK(encode_json_gz(nullptr) == gz);
  CHECK(decode_json_list_gz(gz, "t").empty());
  // other values keep their key order (Go struct order) unless asked to sort
  json::value snapshots =
      json::parse(R"([{"spec":{"backupName":"b","location":"aws"},"status":{"phase":"Completed"}}])", "t");
  std::string gz2 = encode_json_gz(snapshots);
  CHECK(gzip_decompress(gz2, 1 << 20, "t") ==
        R"([{"spec":{"backupName":"b","location":"aws"},"status":{"phase":"Completed"}}])"
        "\n");
  CHECK(decode_json_list_gz(gz2, "t").size() == 1);
  CHECK(decode_json_gz(gz2, "t") == snapshots);
  CHECK(error_of([] { decode_json_list_gz(gzip_compress("{}\n"), "b-volumesnapshots.json.gz"); }) ==
        "b-volumesnapshots.json.gz: expected a JSON array");
}
