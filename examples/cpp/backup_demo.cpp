// Backs up a folder of manifests with the C++ API, then lists what the location holds.
//   backup_demo_cpp MANIFESTS_DIR LOCATION [NAME]
#include "vbackup/vbackup.hpp"

#include <chrono>
#include <iostream>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " MANIFESTS_DIR LOCATION [NAME]\n";
    return 2;
  }
  try {
    vbackup::OpenedLocation location = vbackup::open_location(argv[2]);  // file://, s3://, azure:// or a BSL file
    vbackup::storage::BackupStore& store = *location.backups;
    auto cluster = vbackup::Cluster::open({.manifests = {argv[1]}});

    vbackup::velero::Backup backup;
    backup.metadata.name = argc > 3 ? argv[3]
                                    : "cpp-example-" + std::to_string(std::time(nullptr)) + "-" + std::to_string(::getpid());
    backup.spec.included_namespaces = {"demo"};
    vbackup::BackupOptions options;
    options.on_item = [](vbackup::BackupItem& item) {  // an in-process BackupItemAction
      if (item.resource.name == "secrets") item.skip = true;
    };
    auto result = vbackup::create_backup(*cluster, location, backup, options).result.backup;
    std::cout << result.metadata.name << ": " << result.status.phase << ", "
              << (result.status.progress ? result.status.progress->items_backed_up : 0) << " items\n";
    for (const auto& b : vbackup::list_backups(store)) std::cout << "  " << b.metadata.name << "  " << b.status.phase << "\n";
    return result.status.phase == vbackup::velero::backup_phase::Completed ? 0 : 1;
  } catch (const vbackup::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
