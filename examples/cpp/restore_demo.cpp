// Restores a backup as a dry run with the C++ API: no cluster is needed. Every object goes, after
// all of the restore's transforms, into a folder (for `kubectl apply -f`), and the plan is printed
// as a table in restore order.
//   restore_demo_cpp MANIFESTS_DIR LOCATION OUTPUT_DIR    back up the manifests first, then plan
//   restore_demo_cpp --backup NAME LOCATION OUTPUT_DIR    plan the restore of a backup in LOCATION
// The objects go to OUTPUT_DIR/<restore name>/.
#include "vbackup/vbackup.hpp"

#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <unistd.h>

int main(int argc, char** argv) {
  const bool existing = argc == 5 && std::string(argv[1]) == "--backup";
  if (argc != 4 && !existing) {
    std::cerr << "usage: " << argv[0] << " MANIFESTS_DIR LOCATION OUTPUT_DIR\n       " << argv[0]
              << " --backup NAME LOCATION OUTPUT_DIR\n";
    return 2;
  }
  try {
    vbackup::OpenedLocation location = vbackup::open_location(argv[existing ? 3 : 2]);
    std::string backup_name = existing ? argv[2]
                                       : "cpp-restore-example-" + std::to_string(std::time(nullptr)) + "-" +
                                             std::to_string(::getpid());
    if (!existing) {
      vbackup::ClusterOptions source;
      source.manifests = {argv[1]};  // a folder of manifests standing in for a cluster
      auto cluster = vbackup::Cluster::open(source);
      vbackup::velero::Backup backup;
      backup.metadata.name = backup_name;
      auto made = vbackup::create_backup(*cluster, location, backup).result;
      if (!made.outcome.ok()) throw vbackup::Error(made.outcome.code, made.outcome.message);
    }

    vbackup::velero::Restore restore;
    restore.metadata.name = backup_name + "-dry-run";
    restore.spec.backup_name = backup_name;
    vbackup::RestoreOptions options;
    options.mode = vbackup::RestoreOptions::Mode::dry_run;
    std::printf("%-8s %-50s %-32s %s\n", "ACTION", "KIND", "NAMESPACE/NAME", "REASON");
    options.on_plan = [](const vbackup::RestorePlanItem& p) {
      std::string where = p.namespace_.empty() ? p.name : p.namespace_ + "/" + p.name;
      std::printf("%-8s %-50s %-32s %s\n", p.action.c_str(), p.api_version_kind.c_str(), where.c_str(), p.reason.c_str());
    };
    const std::string folder = std::string(argv[existing ? 4 : 3]) + "/" + restore.metadata.name;
    // No cluster: the plan is made against an empty one (the built-in API plus the backup's CRDs).
    auto result = vbackup::create_restore(nullptr, location, restore, options, folder).result;
    if (!result.outcome.ok()) {
      std::cerr << "error: " << result.outcome.message << "\n";
      return 1;
    }
    std::cout << result.restore.metadata.name << ": " << result.restore.status.phase << ", objects in " << folder << "\n";
    return 0;
  } catch (const vbackup::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
