// `backup describe`'s "Backup Item Operations" and "Backup Volumes" sections, as velero's
// pkg/cmd/util/output/backup_describer.go prints them (describeBackupItemOperations,
// describeBackupVolumes), from <b>-itemoperations.json.gz and <b>-volumeinfo.json.gz (csi §1.4, §1.7).
#include "output.hpp"

#include "vbackup/time.hpp"

#include <sstream>

namespace vbackup::cli {
namespace {

// "<resource>.<group> <ns>/<name>" as velero prints a ResourceIdentifier.
std::string identifier(const velero::ResourceIdentifier& r) {
  return r.resource + (r.group.empty() ? "" : "." + r.group) + " " + r.namespace_ + "/" + r.name;
}

void item_operation(std::ostream& d, const velero::BackupOperation& op) {
  const auto& st = op.status;
  d << "\tOperation for " << identifier(op.resource_identifier) << ":\n";
  d << "\t\tBackup Item Action Plugin:\t" << op.backup_item_action << "\n";
  d << "\t\tOperation ID:\t" << op.operation_id << "\n";
  if (!op.post_operation_items.empty()) d << "\t\tItems to Update:\n";
  for (const auto& i : op.post_operation_items) d << "\t\t\t" << identifier(i) << "\n";
  d << "\t\tPhase:\t" << st.phase << "\n";
  if (!st.error.empty()) d << "\t\tOperation Error:\t" << st.error << "\n";
  if (st.n_total > 0 || st.n_completed > 0) {
    d << "\t\tProgress:\t" << st.n_completed << " of " << st.n_total << " complete (" << st.operation_units << ")\n";
  }
  if (!st.description.empty()) d << "\t\tProgress description:\t" << st.description << "\n";
  // metav1.Time.String()
  if (st.created) d << "\t\tCreated:\t" << format_time(*st.created) << "\n";
  if (st.started) d << "\t\tStarted:\t" << format_time(*st.started) << "\n";
  if (st.updated) d << "\t\tUpdated:\t" << format_time(*st.updated) << "\n";
}

// describeLocalSnapshot and describeDataMovement.
void csi_snapshot(std::ostream& d, const velero::BackupVolumeInfo& v, bool details) {
  d << "\t\t" << v.pvc_namespace << "/" << v.pvc_name << ":\n";
  if (v.preserve_local_snapshot) {
    if (details) {
      const velero::CsiSnapshotInfo c = v.csi_snapshot_info.value_or(velero::CsiSnapshotInfo{});
      d << "\t\t\tSnapshot:\n";
      if (!v.snapshot_data_moved && !c.operation_id.empty()) d << "\t\t\t\tOperation ID: " << c.operation_id << "\n";
      d << "\t\t\t\tSnapshot Content Name: " << c.vsc_name << "\n";
      d << "\t\t\t\tStorage Snapshot ID: " << c.snapshot_handle << "\n";
      d << "\t\t\t\tSnapshot Size (bytes): " << c.size << "\n";
      d << "\t\t\t\tCSI Driver: " << c.driver << "\n";
      d << "\t\t\t\tResult: " << v.result << "\n";
    } else {
      d << "\t\t\tSnapshot: included, specify --details for more information\n";
    }
  }
  if (v.snapshot_data_moved) {
    if (details) {
      const velero::SnapshotDataMovementInfo m = v.snapshot_data_movement_info().value_or(velero::SnapshotDataMovementInfo{});
      d << "\t\t\tData Movement:\n";
      d << "\t\t\t\tOperation ID: " << m.operation_id << "\n";
      d << "\t\t\t\tData Mover: " << (m.data_mover.empty() ? "velero" : m.data_mover) << "\n";
      d << "\t\t\t\tUploader Type: " << m.uploader_type << "\n";
      d << "\t\t\t\tMoved data Size (bytes): " << m.size << "\n";
      if (m.incremental_size > 0) d << "\t\t\t\tIncremental data Size (bytes): " << m.incremental_size << "\n";
      d << "\t\t\t\tResult: " << v.result << "\n";
    } else {
      d << "\t\t\tData Movement: included, specify --details for more information\n";
    }
  }
}

}  // namespace

void print_item_operations(std::ostream& out, const BackupDetails& d, bool details) {
  const auto& st = d.backup.status;
  if (st.backup_item_operations_attempted <= 0) return;
  std::ostringstream t;
  if (!details || !d.has_item_operations) {
    t << "Backup Item Operations:\t" << st.backup_item_operations_completed << " of "
      << st.backup_item_operations_attempted << " completed successfully, " << st.backup_item_operations_failed
      << " failed (specify --details for more information)\n";
  } else {
    t << "Backup Item Operations:\n";
    for (const auto& op : d.item_operations) item_operation(t, op);
  }
  out << "\n" << tabwrite(t.str());
}

void print_backup_volumes(std::ostream& out, const BackupDetails& d, bool details) {
  std::ostringstream t;
  t << "Backup Volumes:\n";
  std::vector<const velero::BackupVolumeInfo*> native, csi, skipped;
  for (const auto& v : d.volume_infos) {
    if (v.backup_method == "NativeSnapshot") native.push_back(&v);
    if (v.backup_method == "CSISnapshot") csi.push_back(&v);
    if (v.skipped) skipped.push_back(&v);
  }
  if (native.empty()) {
    t << "\tVelero-Native Snapshots: <none included>\n";
  } else {
    t << "\tVelero-Native Snapshots:\n";
    for (const auto* v : native) {
      if (!details) {
        t << "\t\t" << v->pv_name << ": specify --details for more information\n";
        continue;
      }
      const velero::NativeSnapshotInfo n = v->native_snapshot_info().value_or(velero::NativeSnapshotInfo{});
      t << "\t\t" << v->pv_name << ":\n";
      t << "\t\t\tSnapshot ID:\t" << n.snapshot_handle << "\n";
      t << "\t\t\tType:\t" << n.volume_type << "\n";
      t << "\t\t\tAvailability Zone:\t" << n.volume_az << "\n";
      t << "\t\t\tIOPS:\t" << n.iops << "\n";
      t << "\t\t\tResult:\t" << v->result << "\n";
    }
  }
  t << "\n";
  if (csi.empty()) {
    // Velero's "legacy info source" wording when the backup has no volume info file.
    t << (d.has_volume_info ? "\tCSI Snapshots: <none included>\n" : "\tCSI Snapshots: <none included or not detectable>\n");
  } else {
    t << "\tCSI Snapshots:\n";
    for (const auto* v : csi) csi_snapshot(t, *v, details);
  }
  t << "\n";
  // Ours (velero's describe lists no skipped volume): why a volume was not snapshotted, from the
  // volume info's skippedReason.
  if (!skipped.empty()) {
    t << "\tSkipped Volumes:\n";
    for (const auto* v : skipped) {
      t << "\t\t" << v->pvc_namespace << "/" << v->pvc_name << " (" << v->pv_name << "): " << v->skipped_reason << "\n";
    }
    t << "\n";
  }
  t << "\tPod Volume Backups: <none included>\n";
  out << "\n" << tabwrite(t.str());
}

}  // namespace vbackup::cli
