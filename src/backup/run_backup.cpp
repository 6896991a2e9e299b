// The run of one backup (runner.hpp): defaults and the first record, the main pass (runner.cpp), the
// CSI item operations and the finalize step (csi §1.5, csi_snapshots.hpp), the side files and
// velero-backup.json last; and run_backup, which validates the request (with the Backup's resource
// policy, csi §1.1.3) and turns a failure into the Failed record.
//
// One write of the bucket (the lead's design): Velero uploads the tarball after the main pass, waits
// for the operations (WaitingForPluginOperations), then rewrites tarball and volume info when
// finalizing. Here the backup waits in-process with the tarball still open (the phases are shown on
// the recorded Backup and in the log), writes the post-operation VolumeSnapshots and contents into
// it, and only then uploads the side files and velero-backup.json: no reader sees a half-finished
// backup.
#include "backup/request.hpp"
#include "backup/runner.hpp"
#include "format/unknown_fields.hpp"
#include "policies/backup_policies.hpp"

#include "vbackup/error.hpp"
#include "vbackup/location.hpp"
#include "vbackup/stream.hpp"
#include "vbackup/velero.hpp"
#include "vbackup/velero_volumes.hpp"

namespace vbackup {

namespace phase = velero::backup_phase;

namespace detail {
namespace {

// The csi-pvc-backupper as the runner's action for PVCs, after the built-in ones.
class CsiPvcAction final : public BackupItemAction {
 public:
  explicit CsiPvcAction(CsiSnapshots& csi) : csi_(csi) {}
  std::string_view name() const override { return csi_pvc_action; }
  bool applies_to(const ApiResource& r) const override { return r.group.empty() && r.name == "persistentvolumeclaims"; }
  void execute(BackupItem& item) override { csi_.back_up_pvc(item); }

 private:
  CsiSnapshots& csi_;
};

}  // namespace

Runner::Runner(velero::Backup& backup, ClusterSource& source, storage::BackupStore& store, const BackupOptions& options,
               std::optional<policies::ResourcePolicies> policies)
    : b_(backup), source_(source), store_(store), options_(options),
      log_("backup", options.velero_namespace + "/" + backup.metadata.name, options.now, options.on_log),
      action_context_{backup.metadata.name, source, [this](const std::string& m) { record_error("", m); }},
      policies_(std::move(policies)),
      csi_(CsiContext{backup, source, policies_ ? &*policies_ : nullptr, log_, options.now,
                      [this](const std::string& ns, const std::string& m) { record_error(ns, m); },
                      [this] { progress(); }}),
      actions_(builtin_backup_item_actions(action_context_)) {
  actions_.push_back(std::make_unique<CsiPvcAction>(csi_));
  if (options.on_item) actions_.push_back(hook_action(options.on_item));
}

void Runner::run() {
  try {
    run_passes();
  } catch (...) {
    // A cancelled or failed backup leaves no VolumeSnapshot behind (CleanupVolumeSnapshot). Its log
    // upload went with run_passes (a failed backup keeps no files).
    log_.set_sink(nullptr);
    csi_.cleanup();
    throw;
  }
}

void Runner::record_phase(std::string_view ok, std::string_view partially_failed) {
  b_.status.phase = std::string(errors_.count() > 0 ? partially_failed : ok);
  b_.status.errors = static_cast<std::int64_t>(log_.errors());
  b_.status.warnings = static_cast<std::int64_t>(log_.warnings());
  log_.info("Backup phase " + b_.status.phase);
  if (options_.on_record) options_.on_record(b_);
}

// End of the main pass, the operations, finalize (csi §1.5).
void Runner::finish_volumes() {
  bool waiting = csi_.end_main_pass();
  if (!csi_.has_operations()) return;
  if (waiting) {
    record_phase(phase::WaitingForPluginOperations, phase::WaitingForPluginOperationsPartiallyFailed);
    csi_.wait_for_operations();
  }
  record_phase(phase::Finalizing, phase::FinalizingPartiallyFailed);
  csi_.finalize([this](const ApiResource& r, json::object obj) { back_up(r, std::move(obj), true); });
}

void Runner::upload_side_files() {
  const auto& name = b_.metadata.name;
  persistence::put_empty_backup_side_files(store_, name);
  if (csi_.has_operations()) {
    store_.objects().put(store_.backup_item_operations_key(name), velero::encode_item_operations(csi_.operations()));
  }
  if (auto infos = csi_.volume_infos(); !infos.empty()) {
    store_.objects().put(store_.backup_volume_info_key(name), velero::encode_volume_infos(infos));
  }
}

void Runner::run_passes() {
  auto& s = b_.spec;
  auto& st = b_.status;
  Timestamp start = options_.now();

  full_backup_hint_ = detail::full_backup_requested(s);
  warn_unknown_resources();
  detail::apply_backup_defaults(b_, source_.server_version());

  st.phase = phase::InProgress;
  st.version = 1;
  st.format_version = std::string(velero::backup_format_version);
  st.start_timestamp = start;
  st.expiration = start + std::chrono::duration_cast<std::chrono::seconds>(s.ttl);
  log_.info("Setting up backup", {{"source", source_.describe()}, {"location", store_.objects().describe()}});
  if (options_.on_record) options_.on_record(b_);

  // Ours, not Velero's: what the request says that would otherwise pass unnoticed.
  for (const auto& w : velero::unknown_fields(b_)) record_warning("", w);
  if (auto w = compression_warning(options_.compression, b_.metadata.name); !w.empty()) record_warning("", w);
  for (const auto& w : source_.warnings()) record_warning("", w);
  for (const auto& e : source_.errors()) record_error("", e);
  if (!source_.kube() &&
      (s.snapshot_volumes == true || s.default_volumes_to_fs_backup == true || s.snapshot_move_data == true)) {
    record_warning("", "volume data is not backed up from manifests: snapshotVolumes, defaultVolumesToFsBackup and "
                       "snapshotMoveData have no effect there; only Kubernetes objects are in this backup");
  }
  if (policies_ && (!policies_->namespaced_filter_policies.empty() || policies_->cluster_scoped_filter_policy)) {
    record_warning("", "spec.resourcePolicy: namespacedFilterPolicies and clusterScopedFilterPolicy are not applied "
                       "by libvbackup's backup yet; volumePolicies and includeExcludePolicy are");
  }

  // Streams: items → tar → compressor → the tarball upload; log lines → gzip → the log upload.
  auto log_upload = store_.objects().open_write(store_.backup_log_key(b_.metadata.name));
  GzipOutputStream log_gz(*log_upload);
  log_.set_sink(&log_gz);
  tarball_ = store_.objects().open_write(store_.backup_contents_key(b_.metadata.name));
  archive_ = std::make_unique<archive::ArchiveWriter>(*tarball_, options_.compression, archive::kFormatVersion,
                                                      sealing::tar_entry_observer(store_));

  prepare_filters();
  collect();
  back_up_namespaces();
  // The VolumeSnapshot types are written at finalize; their CRDs belong to the main pass, as in Velero.
  if (csi_.has_operations()) {
    resources_with_items_.insert("volumesnapshots.snapshot.storage.k8s.io");
    resources_with_items_.insert("volumesnapshotcontents.snapshot.storage.k8s.io");
  }
  back_up_crds();
  finish_volumes();
  archive_->finish();
  estimated_total_ = 0;  // at the end the total is what was backed up
  progress();
  tarball_->commit();

  progress_.items_backed_up = static_cast<std::int64_t>(backed_up_.size());
  st.progress = velero::BackupProgress{progress_.items_backed_up, progress_.items_backed_up, {}};
  st.completion_timestamp = options_.now();
  log_.info("Backup completed", {{"itemsBackedUp", std::to_string(progress_.items_backed_up)},
                                 {"bytes", std::to_string(archive_->bytes_out())}});
  st.warnings = log_.warnings();
  st.errors = log_.errors();
  st.phase = st.errors > 0 ? phase::PartiallyFailed : phase::Completed;

  // Side files, then the record last (spec §2.6, §3.1). Velero uploads the list files even empty.
  const auto& name = b_.metadata.name;
  resource_list_.upload(store_.objects(), store_.backup_resource_list_key(name));
  persistence::put_results(store_.objects(), store_.backup_results_key(name), errors_, warnings_);
  upload_side_files();
  log_.set_sink(nullptr);
  log_gz.finish();
  log_upload->commit();
  sealing::write_seal(store_, b_);  // <b>-checksums.json (issue 16), before the record
  persistence::put_backup_record(store_, b_);
}

}  // namespace detail


BackupResult run_backup(velero::Backup backup, ClusterSource& source, storage::BackupStore& store,
                        const storage::Location& location, const BackupOptions& in_options) {
  BackupOptions options = in_options;
  if (!options.now) options.now = [] { return now_timestamp(); };
  auto& st = backup.status;
  if (backup.spec.storage_location.empty()) backup.spec.storage_location = location.name;
  backup.metadata.namespace_ = options.velero_namespace;
  if (backup.metadata.uid.empty()) backup.metadata.uid = detail::random_uid();
  if (!backup.metadata.creation_timestamp) backup.metadata.creation_timestamp = options.now();
  // No double space where a name is missing (a spec without metadata.name fails validation).
  const std::string what = backup.metadata.name.empty() ? "backup" : "backup " + backup.metadata.name;
  // Ours: a zstd tarball keeps Velero's name <b>.tar.gz, so the Backup says what it holds.
  if (options.compression == archive::Compression::zstd) {
    backup.metadata.annotations[std::string(compression_annotation)] = "zstd";
  } else {
    backup.metadata.annotations.erase(std::string(compression_annotation));
  }

  // The final record of every outcome; a recorder that fails now cannot change the result.
  auto finish = [&](ErrorCode code, std::string message) {
    if (options.on_record) {
      try {
        options.on_record(backup);
      } catch (const Error&) {
      }
    }
    return BackupResult{std::move(backup), Outcome{code, std::move(message)}};
  };
  st.validation_errors = detail::validate_backup(backup, location);
  // csi §1.1.3: the Backup's resource policy ConfigMap, read from the Velero namespace; its errors
  // are validation errors, worded as Velero's.
  std::optional<policies::ResourcePolicies> policies;
  if (st.validation_errors.empty()) {
    auto resolved = policies::resolve_backup_resource_policies(
        backup, [&source](const std::string& ns, const std::string& name) -> std::optional<json::object> {
          const ApiResource* cm = source.discovery().find("", "configmaps");
          if (!cm) return std::nullopt;
          return source.get(*cm, ns, name);
        });
    for (auto& e : resolved.validation_errors) st.validation_errors.push_back(std::move(e));
    policies = std::move(resolved.policies);
  }
  if (options.strict_spec) {
    for (auto& e : velero::unknown_fields(backup)) st.validation_errors.push_back(std::move(e));
  }
  // issue 16: a Backup (from its Schedule, whose annotations it takes) may name its age recipients.
  if (auto it = backup.metadata.annotations.find(std::string(sealing::encrypt_to_annotation));
      it != backup.metadata.annotations.end() && options.seal.recipients.empty()) {
    try {
      options.seal.recipients = sealing::parse_recipients(it->second, "metadata.annotations[" + it->first + "]");
    } catch (const Error& e) {
      st.validation_errors.emplace_back(e.what());
    }
  }
  // issue 16 (brief s3-seal2): a BackupStorageLocation annotated vbackup.io/encrypt-to encrypts every
  // backup written to it: its recipients are joined with the Backup's own (each once).
  if (!location.encrypt_to.empty()) {
    try {
      const std::string w = "BackupStorageLocation \"" + location.name + "\": metadata.annotations[" +
                            std::string(sealing::encrypt_to_annotation) + "]";
      for (auto& r : sealing::parse_recipients(location.encrypt_to, w)) {
        bool known = false;
        for (const auto& have : options.seal.recipients) known = known || have.fingerprint() == r.fingerprint();
        if (known) continue;
        for (const auto& have : options.seal.recipients) {
          if (have.type == crypto::AgeRecipient::Type::scrypt) throw Error(ErrorCode::invalid, w + ": a passphrase must be the only recipient (age's rule)");
        }
        options.seal.recipients.push_back(std::move(r));
      }
    } catch (const Error& e) {
      st.validation_errors.emplace_back(e.what());
    }
  }
  if (!st.validation_errors.empty()) {
    st.phase = phase::FailedValidation;
    std::string msg = what + " failed validation:";
    for (const auto& e : st.validation_errors) msg += "\n  " + e;
    return finish(ErrorCode::invalid, msg);
  }
  if (store.backup_exists(backup.metadata.name)) {
    st.phase = phase::Failed;
    st.failure_reason = "backup already exists in object storage";
    return finish(ErrorCode::already_exists, what + " failed: " + st.failure_reason);
  }
  // Before the cluster is read: a location that cannot take the backup fails it now, not after
  // every item was collected.
  if (std::string problem = location_write_problem(location, store, true); !problem.empty()) {
    st.phase = phase::Failed;
    st.failure_reason = problem;
    st.completion_timestamp = options.now();
    return finish(ErrorCode::storage, what + " failed: " + problem);
  }
  std::optional<Error> failure;
  {
    // Every file but velero-backup.json through the seal (sealing.hpp).
    storage::BackupStore sealed = sealing::seal_for_writing(store, backup.metadata.name, options.seal);
    detail::Runner runner(backup, source, sealed, options, std::move(policies));
    try {
      runner.run();
    } catch (const Error& e) {
      failure = e;
    }
  }  // uncommitted uploads vanish with the runner's writers
  if (failure) {
    // Nothing of a failed backup stays visible: what was already committed is removed too.
    try {
      store.delete_backup(backup.metadata.name);
    } catch (const Error&) {
    }
    st.phase = phase::Failed;
    st.failure_reason = failure->code() == ErrorCode::cancelled ? "cancelled" : failure->what();
    st.completion_timestamp = options.now();
    auto result = finish(failure->code() == ErrorCode::generic ? ErrorCode::generic : failure->code(),
                         what + " failed: " + st.failure_reason);
    if (failure->code() == ErrorCode::cancelled) throw *failure;
    return result;
  }
  return finish(ErrorCode::ok, {});
}

}  // namespace vbackup
