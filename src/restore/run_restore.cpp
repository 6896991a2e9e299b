// run_restore, the mirror of run_backup (restore.hpp): Velero's restore controller around the
// restorer — validation, the tarball spooled for the walk, the walk, the phase, and the files of
// restores/<r>/ in Velero's order (log, results, resource list) with our record last. And the glue
// every surface calls (create_restore), and the JSON forms of what hooks and plans see.
#include "restore/request.hpp"
#include "restore/restorer.hpp"

#include "format/unknown_fields.hpp"
#include "operations/operation_log.hpp"
#include "vbackup/error.hpp"
#include "vbackup/restore.hpp"

#include <random>

namespace vbackup {
namespace {

namespace phase = velero::restore_phase;

class NullOutput final : public OutputStream {
 public:
  using OutputStream::write;
  void write(const void*, std::size_t) override {}
};

std::string random_uid() {
  std::random_device rd;
  std::mt19937_64 rng(rd());
  std::uint64_t a = rng(), b = rng();
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFF),
                static_cast<unsigned>(((b >> 48) & 0x3FFF) | 0x8000), static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

std::int64_t count(const velero::Result& r) { return static_cast<std::int64_t>(r.count()); }

}  // namespace

RestoreResult run_restore(velero::Restore restore, storage::BackupStore& store, ClusterTarget& target,
                          const RestoreOptions& in_options) {
  RestoreOptions options = in_options;
  if (!options.now) options.now = [] { return now_timestamp(); };
  const bool apply = options.mode == RestoreOptions::Mode::apply;
  auto& st = restore.status;
  restore.metadata.namespace_ = options.velero_namespace;
  if (restore.metadata.uid.empty()) restore.metadata.uid = random_uid();
  if (!restore.metadata.creation_timestamp) restore.metadata.creation_timestamp = options.now();
  // No double space where a name is missing (a Restore without metadata.name fails validation).
  const std::string what = restore.metadata.name.empty() ? "restore" : "restore " + restore.metadata.name;

  auto finish = [&](ErrorCode code, std::string message) {
    if (options.on_record) {
      try {
        options.on_record(restore);
      } catch (const Error&) {
      }
    }
    if (apply && code != ErrorCode::already_exists && !restore.metadata.name.empty()) {
      try {
        persistence::put_restore_record(store, restore);
      } catch (const Error&) {
      }
    }
    return RestoreResult{std::move(restore), Outcome{code, std::move(message)}};
  };
  auto failed_validation = [&]() {
    st.phase = phase::FailedValidation;
    std::string msg = what + " failed validation:";
    for (const auto& e : st.validation_errors) msg += "\n  " + e;
    return finish(ErrorCode::invalid, msg);
  };

  st.validation_errors = detail::validate_restore_request(restore);
  if (options.strict_spec) {
    for (auto& e : velero::unknown_fields(restore)) st.validation_errors.push_back(std::move(e));
  }
  if (apply && !restore.metadata.name.empty() && store.objects().exists(store.restore_metadata_key(restore.metadata.name))) {
    st.phase = phase::Failed;
    st.failure_reason = "restore already exists in object storage";
    return finish(ErrorCode::already_exists, what + " failed: " + st.failure_reason);
  }
  std::optional<velero::Backup> backup;
  if (st.validation_errors.empty()) backup = detail::backup_for_restore(store, restore, st.validation_errors);
  if (!st.validation_errors.empty()) return failed_validation();
  // The backup's files are read through the seal (sealing.hpp, issue 16): decrypted, and checked
  // against the checksum manifest as they are read.
  storage::BackupStore sealed = sealing::open_sealed(store, backup->metadata.name, options.seal);

  Timestamp start = options.now();
  st.phase = phase::InProgress;
  st.start_timestamp = start;
  if (restore.spec.item_operation_timeout.count() == 0) restore.spec.item_operation_timeout = std::chrono::hours(4);
  if (options.on_record) {
    try {
      options.on_record(restore);
    } catch (const Error& e) {
      st.phase = phase::Failed;
      st.failure_reason = e.what();
      return RestoreResult{std::move(restore), Outcome{e.code(), what + " failed: " + e.what()}};
    }
  }

  detail::OperationLog log("restore", options.velero_namespace + "/" + restore.metadata.name, options.now, options.on_log);
  NullOutput discard;
  std::unique_ptr<storage::ObjectWriter> log_upload;
  // ISA-L level 1 on a thread of its own: zlib level 6 under the log's lock, in the workers, was 4% of
  // a restore's CPU (two lines an item; issue 17). Any gunzip, Velero's included, reads it.
  std::optional<ParallelGzipOutputStream> log_gz;
  if (apply) {
    log_upload = store.objects().open_write(store.restore_log_key(restore.metadata.name));
    log_gz.emplace(*log_upload, 1, 1);
    log.set_sink(&*log_gz);
  } else {
    log.set_sink(&discard);
  }
  log.info("starting restore");
  velero::Result errors, warnings, extraction_errors;
  std::optional<Error> failure;
  std::unique_ptr<detail::Restorer> restorer;
  std::unique_ptr<restore::BackupContents> contents;
  try {
    std::string key = store.backup_contents_key(backup->metadata.name);
    // issue 16: the side files against the manifest before anything is read or applied.
    if (auto problems = sealing::check_files(sealed, key); !problems.empty()) {
      std::string msg = "backup " + backup->metadata.name + " differs from its checksum manifest:";
      for (const auto& p : problems) msg += "\n  " + p;
      throw Error(ErrorCode::invalid, msg);
    }
    auto tarball = sealed.objects().get(key);
    std::filesystem::path spool = options.spool_dir.empty() ? std::filesystem::temp_directory_path() : options.spool_dir;
    try {
      contents = std::make_unique<restore::BackupContents>(*tarball, key, spool, options.max_extraction_size);
      // The rest of the stored bytes (after the tar trailer) hashed too: refused before the walk.
      if (auto problem = sealing::finish_read(*tarball); !problem.empty()) throw Error(ErrorCode::invalid, problem);
    } catch (const Error& e) {
      // A tarball that differs from its checksum manifest is refused (Failed), not a partial restore.
      if (auto problem = sealing::finish_read(*tarball); !problem.empty()) throw Error(ErrorCode::invalid, problem);
      if (contents) throw;
      if (e.code() != ErrorCode::invalid) throw;
      // restore.go execute() (L721–726): a tarball that cannot be extracted (an entry escaping the
      // directory, truncated data, the extraction size cap) is a Velero-level error of the restore,
      // which ends there PartiallyFailed; only a failed download makes it Failed.
      log.info("error unzipping and extracting: " + std::string(e.what()));
      extraction_errors.add_velero(e.what());
    }
    if (contents) {
      restorer = std::make_unique<detail::Restorer>(restore, options, target, *contents, log);
      auto problems = restorer->prepare(*backup, sealed);
      if (!problems.empty()) {
        st.validation_errors = std::move(problems);
        log.set_sink(nullptr);
        return failed_validation();
      }
      restorer->run();
      if (restorer->has_volumes_to_finalize()) {
        // restore §2.11: Finalizing, while the restore finalizer waits for the re-provisioned claims
        // (finalize.cpp) and puts the old PVs' reclaim policy and labels on the new ones.
        st.phase = restorer->errors().count() > 0 ? phase::FinalizingPartiallyFailed : phase::Finalizing;
        if (options.on_record) {
          try {
            options.on_record(restore);
          } catch (const Error&) {
          }
        }
        restorer->finalize_volumes();
      }
    }
  } catch (const Error& e) {
    failure = e;
  } catch (const std::exception& e) {
    failure = Error(ErrorCode::generic, std::string("internal error: ") + e.what());
  }
  if (restorer) {
    errors = restorer->errors();
    warnings = restorer->warnings();
  }
  errors.merge(extraction_errors);
  try {
    // In the log, not the results: a Velero backup restores with the same results as under Velero.
    for (const auto& w : sealing::sealed_warnings(sealed)) log.warning("backup " + backup->metadata.name + ": " + w);
  } catch (const Error&) {
  }
  if (failure) {
    // A fatal error (the tarball cannot be read, the target went away, a cancel): Failed, with what
    // was done so far in the log and results.
    st.phase = phase::Failed;
    st.failure_reason = failure->code() == ErrorCode::cancelled ? "cancelled" : failure->what();
    log.error(st.failure_reason);
  }
  std::int64_t items = restorer ? restorer->items_recorded() : 0;
  st.progress = velero::RestoreProgress{items, items, {}};
  st.warnings = count(warnings);
  st.errors = count(errors);
  if (!failure) {
    // No asynchronous item operations exist (no DataDownloads: csi §6), so WaitingForPluginOperations
    // passes at once (restore §2.11 phase flow); Finalizing was the volume finalizer's, above.
    st.phase = st.errors > 0 ? phase::PartiallyFailed : phase::Completed;
    log.info("restore completed");
  }
  st.completion_timestamp = options.now();
  if (apply) {
    // Velero's upload order (restore §2.11): log, results, resource list; then our record.
    const auto& name = restore.metadata.name;
    log.set_sink(nullptr);
    log_gz->finish();
    log_upload->commit();
    persistence::put_results(store.objects(), store.restore_results_key(name), errors, warnings);
    // Velero uploads the list even when nothing was restored (a tarball that did not extract): {}.
    if (restorer) {
      restorer->resource_list().upload(store.objects(), store.restore_resource_list_key(name));
    } else if (!failure) {
      persistence::ResourceListWriter().upload(store.objects(), store.restore_resource_list_key(name));
    }
  }
  restorer.reset();
  contents.reset();  // the spool goes now
  if (failure) {
    auto result = finish(failure->code(), what + " failed: " + st.failure_reason);
    if (failure->code() == ErrorCode::cancelled) throw *failure;
    return result;
  }
  return finish(ErrorCode::ok, {});
}

RestoreRun create_restore(Cluster* cluster, OpenedLocation& location, velero::Restore restore, RestoreOptions options,
                          const std::filesystem::path& output_dir) {
  const bool live = cluster && cluster->live();
  const std::string what = restore.metadata.name.empty() ? "restore" : "restore " + restore.metadata.name;
  if (options.mode == RestoreOptions::Mode::apply && !live) {
    throw invalid_input(what + ": restoring needs a live cluster; a dry run shows (or, with an "
                        "output folder, writes) what it would create");
  }
  if (options.mode == RestoreOptions::Mode::diff && !live) {
    throw invalid_input(what + ": a diff compares with a live cluster: name one (--kubeconfig)");
  }
  if (!output_dir.empty() && options.mode != RestoreOptions::Mode::dry_run) {
    throw invalid_input(what + ": an output folder goes with a dry run");
  }
  std::unique_ptr<ClusterTarget> offline;
  ClusterTarget* target = nullptr;
  if (!live || !output_dir.empty()) {
    OfflineTargetOptions o;
    if (live) o.base = cluster->target().discovery();
    o.output_dir = output_dir;
    offline = open_offline_target(o);
    target = offline.get();
  } else {
    target = &cluster->target();
  }
  // The Restore CR, as create_backup keeps the Backup's (a dry run or a diff records nothing). Not for
  // a name the location already holds: that restore fails at once.
  const bool apply = options.mode == RestoreOptions::Mode::apply;  // and so live (checked above)
  std::optional<CrRecorder> recorder;
  if (live && apply && options.record_in_cluster != RecordInCluster::never &&
      (options.record_existing || restore.metadata.name.empty() ||
       !location.backups->objects().exists(location.backups->restore_metadata_key(restore.metadata.name)))) {
    recorder.emplace(*cluster->client(), "restores", "Restore", options.record_in_cluster);
    if (options.on_recording) recorder->on_recording(options.on_recording);
    if (options.record_existing) recorder->adopt_existing();
    auto caller = options.on_record;
    options.on_record = [&recorder, caller](const velero::Restore& r) {
      recorder->record(r.to_json());
      if (caller) caller(r);
    };
  }
  std::function<Timestamp()> now = options.now;
  if (!now) now = [] { return now_timestamp(); };
  std::optional<RestoreRun> run;
  try {
    run.emplace(RestoreRun{run_restore(std::move(restore), *location.backups, *target, options), {}});
  } catch (...) {
    // A cancel (recorded Failed "cancelled" by run_restore) or an error past it: never InProgress.
    if (recorder) recorder->settle(std::current_exception(), now());
    throw;
  }
  if (recorder) {
    recorder->settle(run->result.restore.status.failure_reason, now());
    run->note = recorder->note();
  }
  return std::move(*run);
}

DeleteResult delete_restore(storage::BackupStore& store, const std::string& name, Cluster* cluster,
                            const std::string& velero_namespace) {
  return delete_with_record([&] { return delete_restore(store, name); }, cluster, "restores", "Restore", name,
                            velero_namespace);
}

// ---- JSON forms --------------------------------------------------------------------------------

json::object RestoreItem::to_json() const {
  json::object r{{"group", resource.group},
                 {"version", resource.version},
                 {"resource", resource.name},
                 {"kind", resource.kind},
                 {"namespaced", resource.namespaced}};
  return json::object{{"groupResource", group_resource},
                      {"resource", std::move(r)},
                      {"sourceNamespace", source_namespace},
                      {"targetNamespace", target_namespace},
                      {"object", object}};
}

void RestoreItem::apply_json(const json::object& answer, std::string_view what) {
  BackupItem b;  // the same answer shape as a backup hook's
  b.object = object;
  b.apply_json(answer, what);
  object = std::move(b.object);
  skip = b.skip;
  for (auto& ref : b.additional) additional.push_back(std::move(ref));
}

json::object RestorePlanItem::to_json() const {
  json::object o{{"groupResource", group_resource}, {"kind", api_version_kind}, {"namespace", namespace_},
                 {"name", name}, {"action", action}};
  if (!reason.empty()) o["reason"] = reason;
  if (!diff.empty()) o["diff"] = diff;
  return o;
}

}  // namespace vbackup
