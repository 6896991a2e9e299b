// The backup's volume side files (velero_volumes.hpp; csi §1.4 item operations, csi §1.7 volume info):
// Velero's Go structs byte for byte (field order, omitempty, the untagged capitalised keys), read back,
// and refused with a message naming the input when malformed.
#include "vbackup/error.hpp"
#include "vbackup/velero_side_files.hpp"
#include "vbackup/velero_volumes.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
using namespace vbackup::velero;

namespace {

Timestamp at(const char* t) { return parse_rfc3339(t); }
std::string compact(const json::value& v) { return json::marshal(v, {.sort_keys = false}); }
std::string gunzip_json(const std::string& gz) { return compact(decode_json_gz(gz, "test")); }

}  // namespace

TEST_CASE("csi §1.4 BackupOperation JSON: Velero's keys and order, ResourceIdentifier untagged (Group, Resource, Namespace, Name)") {
  BackupOperation op;
  op.backup_name = "b1";
  op.backup_uid = "uid-1";
  op.backup_item_action = "velero.io/csi-volumesnapshot-backupper";
  op.resource_identifier = {"snapshot.storage.k8s.io", "volumesnapshots", "app", "velero-data-abcde"};
  op.operation_id = "app/velero-data-abcde/2026-01-02T03:04:05Z";
  op.post_operation_items = {op.resource_identifier, {"snapshot.storage.k8s.io", "volumesnapshotcontents", "", "snapcontent-1"}};
  op.status.phase = "New";
  op.status.created = at("2026-01-02T03:04:05Z");
  const std::string want =
      R"([{"spec":{"backupName":"b1","backupUID":"uid-1","backupItemAction":"velero.io/csi-volumesnapshot-backupper",)"
      R"("resourceIdentifier":{"Group":"snapshot.storage.k8s.io","Resource":"volumesnapshots","Namespace":"app","Name":"velero-data-abcde"},)"
      R"("operationID":"app/velero-data-abcde/2026-01-02T03:04:05Z","postOperationItems":[)"
      R"({"Group":"snapshot.storage.k8s.io","Resource":"volumesnapshots","Namespace":"app","Name":"velero-data-abcde"},)"
      R"({"Group":"snapshot.storage.k8s.io","Resource":"volumesnapshotcontents","Namespace":"","Name":"snapcontent-1"}]},)"
      R"("status":{"phase":"New","created":"2026-01-02T03:04:05Z"}}])";
  const std::string gz = encode_item_operations({op});
  CHECK(gunzip_json(gz) == want);
  auto back = decode_item_operations(gz, "ops");
  REQUIRE(back.size() == 1);
  CHECK(back[0].post_operation_items.size() == 2);
  CHECK(back[0].post_operation_items[1].name == "snapcontent-1");
  CHECK(back[0].status.created == op.status.created);
  CHECK(encode_item_operations(back) == gz);
  // No operations: Go's nil slice.
  CHECK(gunzip_json(encode_item_operations({})) == "null");
  // A failed operation keeps its error; the other status fields stay omitted when empty.
  op.status.phase = "Failed";
  op.status.error = "Asynchronous action timed out";
  op.post_operation_items.clear();
  CHECK(compact(op.to_json()).find(R"("postOperationItems":null},"status":{"phase":"Failed","error":"Asynchronous action timed out","created")") !=
        std::string::npos);
}

TEST_CASE("csi §1.7 BackupVolumeInfo JSON: a CSI entry (ReadyToUse untagged) and a skipped entry, in Go's field order") {
  BackupVolumeInfo csi;
  csi.pvc_name = "data";
  csi.pvc_namespace = "app";
  csi.pv_name = "pv-data";
  csi.backup_method = "CSISnapshot";
  csi.preserve_local_snapshot = true;
  csi.start_timestamp = at("2026-01-02T03:04:05Z");
  csi.completion_timestamp = at("2026-01-02T03:04:09Z");
  csi.result = "succeeded";
  csi.csi_snapshot_info = CsiSnapshotInfo{"snapshot-1", 1073741824, "hostpath.csi.k8s.io", "snapcontent-1", "app/x/2026-01-02T03:04:05Z", false};
  csi.pv_info = PvInfo{"Delete", StringMap{{"disk", "a"}}};
  BackupVolumeInfo skipped;
  skipped.pvc_name = "other";
  skipped.pvc_namespace = "app";
  skipped.pv_name = "pv-other";
  skipped.skipped = true;
  skipped.skipped_reason = "any: skipped due to resource policy ;";
  skipped.pv_info = PvInfo{"Retain", std::nullopt};
  const std::string want =
      R"([{"pvcName":"data","pvcNamespace":"app","pvName":"pv-data","backupMethod":"CSISnapshot","snapshotDataMoved":false,)"
      R"("preserveLocalSnapshot":true,"skipped":false,"startTimestamp":"2026-01-02T03:04:05Z","completionTimestamp":"2026-01-02T03:04:09Z",)"
      R"("result":"succeeded","csiSnapshotInfo":{"snapshotHandle":"snapshot-1","size":1073741824,"driver":"hostpath.csi.k8s.io",)"
      R"("vscName":"snapcontent-1","operationID":"app/x/2026-01-02T03:04:05Z","ReadyToUse":false},)"
      R"("pvInfo":{"reclaimPolicy":"Delete","labels":{"disk":"a"}}},)"
      R"({"pvcName":"other","pvcNamespace":"app","pvName":"pv-other","snapshotDataMoved":false,"preserveLocalSnapshot":false,)"
      R"("skipped":true,"skippedReason":"any: skipped due to resource policy ;","pvInfo":{"reclaimPolicy":"Retain","labels":null}}])";
  const std::string gz = encode_volume_infos({csi, skipped});
  CHECK(gunzip_json(gz) == want);
  auto back = decode_volume_infos(gz, "infos");
  REQUIRE(back.size() == 2);
  REQUIRE(back[0].csi_snapshot_info);
  CHECK(back[0].csi_snapshot_info->ready_to_use == false);
  CHECK(back[0].csi_snapshot_info->size == 1073741824);
  CHECK_FALSE(back[1].pv_info->labels);
  CHECK(encode_volume_infos(back) == gz);
}

TEST_CASE("csi §1.7 a Velero entry with sections this library does not fill keeps them, in place") {
  const std::string text =
      R"([{"pvcName":"p","pvName":"pv","backupMethod":"PodVolumeBackup","snapshotDataMoved":false,"preserveLocalSnapshot":false,)"
      R"("skipped":false,"pvbInfo":{"snapshotHandle":"abc","size":5,"uploaderType":"kopia"},"pvInfo":{"reclaimPolicy":"Delete","labels":null},)"
      R"("newField":1}])";
  const std::string gz = encode_json_gz(json::parse(text, "t"));
  auto infos = decode_volume_infos(gz, "infos");
  REQUIRE(infos.size() == 1);
  CHECK(gunzip_json(encode_volume_infos(infos)) == text);
}

TEST_CASE("csi §1.4 §1.7 malformed side files are Error(invalid) naming the input and the entry") {
  auto gz = [](const char* t) { return encode_json_gz(json::parse(t, "t")); };
  CHECK_THROWS_WITH_AS(decode_item_operations(gz(R"({"spec":{}})"), "b-itemoperations.json.gz"),
                       doctest::Contains("b-itemoperations.json.gz"), Error);
  CHECK_THROWS_WITH_AS(decode_item_operations(gz(R"([{"spec":{"postOperationItems":[1]}}])"), "ops"), doctest::Contains("ops[0]"), Error);
  CHECK_THROWS_WITH_AS(decode_volume_infos(gz(R"([{"csiSnapshotInfo":{"size":"big"}}])"), "infos"),
                       doctest::Contains("infos[0]"), Error);
  CHECK_THROWS_WITH_AS(decode_volume_infos(gz(R"([{"pvInfo":{"labels":{"a":1}}}])"), "infos"), doctest::Contains("pvInfo.labels"), Error);
  CHECK(decode_volume_infos(gz("null"), "infos").empty());
}
