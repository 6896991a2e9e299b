// Velero's CSI restore (csi §2; pkg/restore/actions/csi/*.go at velero-io HEAD): the names a restore
// gives the VolumeSnapshots and VolumeSnapshotContents it brings back. The actions themselves are
// RestoreItemActions (csi_actions.cpp, registered by builtin_restore_item_actions()).
#pragma once

#include <string>
#include <string_view>

namespace vbackup::restore {

// util.GenerateSha256FromRestoreUIDAndVsName: hex(sha256(restoreUID + "/" + vsName)), 64 lower-case
// hex digits. The VolumeSnapshot and its content share it (the content's is computed from its
// volumeSnapshotRef.name), so each restore of a backup gets its own pair and restoring twice works.
std::string csi_restore_name(std::string_view restore_uid, std::string_view volume_snapshot_name);

// The annotations and group resources the CSI actions use (pkg/apis/velero/v1/labels_annotations.go).
inline constexpr std::string_view kVolumeSnapshotAnnotation = "velero.io/volume-snapshot-name";
inline constexpr std::string_view kDataUploadNameAnnotation = "velero.io/data-upload-name";
inline constexpr std::string_view kVscDeletionPolicyAnnotation = "velero.io/csi-vsc-deletion-policy";
inline constexpr std::string_view kVolumeSnapshots = "volumesnapshots.snapshot.storage.k8s.io";
inline constexpr std::string_view kVolumeSnapshotContents = "volumesnapshotcontents.snapshot.storage.k8s.io";
inline constexpr std::string_view kVolumeSnapshotClasses = "volumesnapshotclasses.snapshot.storage.k8s.io";

}  // namespace vbackup::restore
