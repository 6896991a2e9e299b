// The fake CSI world of the test API server (issue 14, velero-csi.md "csi §4"): the storage behind a
// CSI driver as a registry of snapshot handles and volumes, and the switches tests use to make the
// snapshot controller and the external-provisioner (csi.cpp, methods of Api) fail as csi §4 lists.
// Guarded by the store's lock.
#pragma once

#include "kube_server/status.hpp"
#include "vbackup/json.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::kubetest {

// One snapshot the fake driver holds ("storage"), keyed by its snapshotHandle.
struct CsiSnapshot {
  std::string driver;
  std::string source_volume;   // the volumeHandle it was cut from ("" for one added by a test)
  std::int64_t restore_size = 0;  // bytes
  std::int64_t creation_ns = 0;   // VolumeSnapshotContent status.creationTime (unix nanoseconds)
};

// One volume the fake provisioner made, keyed by its volumeHandle.
struct CsiVolume {
  std::string driver;
  std::string from_snapshot;  // the snapshot handle it was restored from ("" = empty volume)
};

struct CsiWorld {
  std::set<std::string> drivers;  // StorageClass provisioners the fake external-provisioner serves
  std::map<std::string, CsiSnapshot> snapshots;
  std::map<std::string, CsiVolume> volumes;
  std::uint64_t next_id = 1;

  // Switches (POST /__control {"csi": {...}}).
  std::chrono::milliseconds ready_after{0};  // a new snapshot is readyToUse after this long (-1: never)
  bool cut_snapshots = true;                 // false: new contents never get a snapshotHandle (csi §4 a)
  std::string content_error;                 // set: new contents get status.error with it (csi §4 b)
  // set: a VolumeSnapshot whose content has no handle yet shows status.error with it, the
  // temporary error Velero tolerates (csi §4 c); time = when the switch was set.
  std::string snapshot_error, snapshot_error_time;

  // Controller bookkeeping.
  bool reconcile_pending = false;
  std::map<std::string, std::chrono::steady_clock::time_point> ready_at;  // content name → when ready
  std::map<std::string, std::string> provisioning_failure;  // PVC uid → last event message

  // Applies a {"csi": {...}} control request (throws Error(invalid) for a malformed one).
  void configure(const json::object& request);
  json::object state() const;  // GET /__control/snapshots
};

// The x-kubernetes-validations (CEL) rules, required fields and the deletionPolicy enum of the
// external-snapshotter CRDs (client/config/crd at HEAD; messages as there):
// VolumeSnapshot spec.source holds exactly one of persistentVolumeClaimName / volumeSnapshotContentName,
// both immutable, and a set volumeSnapshotClassName is not empty; VolumeSnapshotContent spec.source
// holds exactly one of volumeHandle / snapshotHandle (immutable) and volumeSnapshotRef names both
// name and namespace. `old` is the stored object on update, else null.
std::vector<Cause> validate_snapshot_object(std::string_view table, const json::object& obj, const json::object* old);

// resource.Quantity as bytes: "10Gi", "500M", "1073741824", "1.5Gi"; nullopt when not a quantity.
std::optional<std::int64_t> quantity_bytes(std::string_view q);
// Bytes as resource.Quantity prints them in BinarySI format ("1Gi", "1536Mi", "1000").
std::string binary_si(std::int64_t bytes);

}  // namespace vbackup::kubetest
