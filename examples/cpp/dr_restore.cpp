// A small disaster-recovery tool, C++ API: restores the newest Completed backup of a schedule into
// another cluster, with a namespace mapping, after showing what it would change.
//   dr_restore_cpp LOCATION SCHEDULE KUBECONFIG OLD=NEW[,OLD=NEW...]
// A schedule's backups carry the label velero.io/schedule-name (named <schedule>-<yyyyMMddHHmmss>).
// Exits 1 with the message on any error.
#include "vbackup/vbackup.hpp"

#include <ctime>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: " << argv[0] << " LOCATION SCHEDULE KUBECONFIG OLD=NEW[,OLD=NEW...]\n";
    return 2;
  }
  try {
    vbackup::OpenedLocation location = vbackup::open_location(argv[1]);
    // What Velero's restore --from-schedule takes: the newest Completed backup by start time.
    const std::string backup = vbackup::latest_backup_of_schedule(*location.backups, argv[2]);
    std::cout << "backup " << backup << "\n";
    vbackup::ClusterOptions target_options;
    target_options.connect.kubeconfig = argv[3];
    auto target = vbackup::Cluster::open(target_options);

    vbackup::velero::Restore restore;
    restore.spec.backup_name = backup;
    std::istringstream pairs(argv[4]);  // demo=demo-dr,other=other-dr
    for (std::string pair; std::getline(pairs, pair, ',');) {
      auto eq = pair.find('=');
      if (eq == std::string::npos) throw vbackup::Error(vbackup::ErrorCode::invalid, "mapping " + pair + ": not OLD=NEW");
      restore.spec.namespace_mapping[pair.substr(0, eq)] = pair.substr(eq + 1);
    }

    // 1. The diff: a dry run against the live target, writing nothing anywhere.
    std::map<std::string, int> actions;
    vbackup::RestoreOptions diff;
    diff.mode = vbackup::RestoreOptions::Mode::diff;
    diff.on_plan = [&](const vbackup::RestorePlanItem& p) { ++actions[p.action]; };
    restore.metadata.name = backup + "-diff";
    auto planned = vbackup::create_restore(target.get(), location, restore, diff).result;
    if (!planned.outcome.ok()) throw vbackup::Error(planned.outcome.code, planned.outcome.message);
    std::cout << "diff:";
    for (const auto& [action, n] : actions) std::cout << " " << n << " " << action;
    std::cout << "\n";

    // 2. The restore itself, recorded in the location under restores/<name>/, named as `velero
    //    restore create --from-backup` names it: <backup>-<yyyyMMddHHmmss>.
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", std::localtime(&now));
    restore.metadata.name = backup + "-" + stamp;
    auto result = vbackup::create_restore(target.get(), location, restore).result;
    if (!result.outcome.ok()) throw vbackup::Error(result.outcome.code, result.outcome.message);
    const auto& status = result.restore.status;
    std::cout << "restore " << restore.metadata.name << ": " << status.phase << ", "
              << (status.progress ? status.progress->items_restored : 0) << " items, " << status.errors
              << " errors, " << status.warnings << " warnings\n";
    return status.phase == vbackup::velero::restore_phase::Completed ? 0 : 1;
  } catch (const vbackup::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
