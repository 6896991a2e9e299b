// vbackup backup-location sync [NAME] and backup-location validate [NAME] (ours: velero has no such
// commands; its server runs the backup sync and BackupStorageLocation controllers on their periods):
// one pass of each, against the named cluster, printing what it did (sync.hpp).
#include "commands.hpp"
#include "output.hpp"
#include "seal_cmd.hpp"

#include "vbackup/error.hpp"
#include "vbackup/sync.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>

namespace vbackup::cli {

namespace {

struct SyncFlags {
  std::string name, output;
  bool require_available = false, update = false;
  bool verify = false;  // issue 16 (brief s3-seal2): SyncOptions::verify
  OpenFlags open;
};

// NAME, else --storage-location, else $VBACKUP_STORAGE_LOCATION, else "" (the default location).
std::string location_named(const Common& c, const std::string& name) {
  if (!name.empty()) return name;
  if (!c.storage_location.empty()) return c.storage_location;
  if (const char* env = std::getenv("VBACKUP_STORAGE_LOCATION")) return env;
  return "";
}

int run_sync(const Common& c, const SyncFlags& f) {
  if (!f.output.empty()) check_output(f.output, false);
  auto cluster = open_cluster(c);
  SyncOptions o;
  o.velero_namespace = c.velero_namespace;
  o.require_available = f.require_available;
  o.verify = f.verify;
  if (f.verify) o.seal = open_options(f.open);
  SyncResult r = sync_location(*cluster, location_named(c, f.name), o, c.location_options());
  for (const auto& w : r.warnings) std::cerr << "Warning: " << w << "\n";
  for (const auto& e : r.errors) std::cerr << "Error: " << e << "\n";
  if (!f.output.empty()) {
    print_object(std::cout, r.to_json(), f.output);
  } else if (r.ran) {
    std::cout << "Backup storage location \"" << r.location << "\" synced into namespace " << c.velero_namespace << ": "
              << r.created.size() << " created, " << r.deleted.size() << " deleted, " << r.skipped.size()
              << " skipped.\n";
    for (const auto& n : r.created) std::cout << "  created  backup/" << n << "\n";
    for (const auto& n : r.deleted) std::cout << "  deleted  backup/" << n << " (no longer in the location)\n";
    for (const auto& s : r.skipped) std::cout << "  skipped  backup/" << s.backup << ": " << s.reason << "\n";
  }
  return r.errors.empty() ? 0 : 1;
}

int run_validate(const Common& c, const SyncFlags& f) {
  if (!f.output.empty()) check_output(f.output, false);
  auto cluster = open_cluster(c);
  if (!cluster->live()) throw Error(ErrorCode::unsupported, "backup-location validate needs a live cluster");
  auto& client = *cluster->client();
  auto location_options = c.location_options();
  auto bsl = resolve_location(client, location_named(c, f.name), c.velero_namespace, location_options);
  auto status = validate_location(bsl, &client, c.velero_namespace, now(), location_options);
  if (f.update) patch_location_status(client, c.velero_namespace, bsl.metadata.name, location_status_patch(status));
  if (!f.output.empty()) {
    print_object(std::cout, status.to_json(), f.output);
  } else if (status.phase == velero::location_phase::Available) {
    std::cout << "Backup storage location \"" << bsl.metadata.name << "\": Available\n";
  } else {
    std::cout << status.message << "\n";
  }
  return status.phase == velero::location_phase::Available ? 0 : 1;
}

}  // namespace

void add_location_sync_commands(CLI::App& bsl, const Common& common, int& rc) {
  auto sync_flags = std::make_shared<SyncFlags>();
  auto* sync = bsl.add_subcommand(
      "sync", "Sync the backups of a location into the cluster once, as Velero's backup sync controller does: Backup CRs "
              "created for backups in the location, Completed/PartiallyFailed ones whose data left it deleted, "
              "status.lastSyncedTime set (ours; exit status 1 when something failed)");
  sync->fallthrough();
  sync->add_option("NAME", sync_flags->name,
                   "The location: a BackupStorageLocation name (the cluster's, then the locations file's), a URL or a "
                   "BSL file (default: --storage-location, $VBACKUP_STORAGE_LOCATION, else the default location)");
  sync->add_flag("--require-available", sync_flags->require_available,
                 "Only sync a location whose status.phase is Available, as Velero's server does");
  sync->add_flag("--verify", sync_flags->verify,
                 "Verify each backup against its checksum manifest first; one that does not match is skipped, not "
                 "synced (ours, issue 16)");
  add_identity_flag(*sync, sync_flags->open);
  add_verify_flags(*sync, sync_flags->open, false);
  sync->add_option("-o,--output", sync_flags->output, "Print what was done as json or yaml");
  sync->callback([&common, &rc, sync_flags] { rc = run_sync(common, *sync_flags); });

  auto validate_flags = std::make_shared<SyncFlags>();
  auto* validate = bsl.add_subcommand(
      "validate", "Validate a location as Velero's BackupStorageLocation controller does: Available, or Unavailable "
                  "and why (exit status 1); --update writes the status to the BSL CR (ours)");
  validate->fallthrough();
  validate->add_option("NAME", validate_flags->name, "The location, as for sync");
  validate->add_flag("--update", validate_flags->update, "Write phase, message and lastValidationTime to the BSL CR");
  validate->add_option("-o,--output", validate_flags->output, "Print the status as json or yaml");
  validate->callback([&common, &rc, validate_flags] { rc = run_validate(common, *validate_flags); });
}

}  // namespace vbackup::cli
