// Restores a backup as a dry run with an item hook (the in-process RestoreItemAction), C++ API. The
// hook sees every item after Velero's own restore actions, just before it would go to the cluster;
// here it adds the label restored-by: example to every object and leaves Secrets out.
//   restore_hook_cpp MANIFESTS_DIR LOCATION OUTPUT_DIR
// It backs up the manifests first, then plans the restore (no cluster needed) and writes every
// object it would create to OUTPUT_DIR/<restore name>/, one YAML file each.
#include "vbackup/vbackup.hpp"

#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: " << argv[0] << " MANIFESTS_DIR LOCATION OUTPUT_DIR\n";
    return 2;
  }
  try {
    vbackup::OpenedLocation location = vbackup::open_location(argv[2]);
    vbackup::velero::Backup backup;
    backup.metadata.name = "cpp-hook-example-" + std::to_string(std::time(nullptr)) + "-" + std::to_string(::getpid());
    vbackup::ClusterOptions manifests;
    manifests.manifests = {argv[1]};  // a folder of manifests standing in for a cluster
    auto source = vbackup::Cluster::open(manifests);
    auto made = vbackup::create_backup(*source, location, backup).result;
    if (!made.outcome.ok()) throw vbackup::Error(made.outcome.code, made.outcome.message);

    vbackup::velero::Restore restore;
    restore.metadata.name = backup.metadata.name + "-hooked";
    restore.spec.backup_name = backup.metadata.name;
    vbackup::RestoreOptions options;
    options.mode = vbackup::RestoreOptions::Mode::dry_run;
    options.on_item = [](vbackup::RestoreItem& item) {  // may run on a worker thread, never two at once
      std::string where = item.target_namespace.empty() ? "" : item.target_namespace + "/";
      where += vbackup::json::metadata_string(item.object, "name");
      if (item.group_resource == "secrets") {
        item.skip = true;  // recorded as skipped, never sent to the cluster
        std::printf("hook: skipped  %s %s\n", item.group_resource.c_str(), where.c_str());
        return;
      }
      auto& metadata = item.object["metadata"].as_object();  // every Kubernetes object has one
      if (!metadata["labels"].is_object()) metadata["labels"] = vbackup::json::object{};
      metadata["labels"].as_object()["restored-by"] = "example";
      std::printf("hook: labelled %s %s\n", item.group_resource.c_str(), where.c_str());
    };
    options.on_plan = [](const vbackup::RestorePlanItem& p) {  // one line per object, in restore order
      std::printf("plan: %-6s %-40s %s/%s %s\n", p.action.c_str(), p.api_version_kind.c_str(), p.namespace_.c_str(),
                  p.name.c_str(), p.reason.c_str());
    };
    const std::string folder = std::string(argv[3]) + "/" + restore.metadata.name;
    auto result = vbackup::create_restore(nullptr, location, restore, options, folder).result;
    if (!result.outcome.ok()) throw vbackup::Error(result.outcome.code, result.outcome.message);
    std::cout << restore.metadata.name << ": " << result.restore.status.phase << ", objects in " << folder << "\n";
    return 0;
  } catch (const vbackup::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
