// An embedder's C++ program: prints the library's version and backs up a folder of manifests into a
// location with the C++ API (vbackup/backup.hpp).   consumer_cpp MANIFESTS_DIR LOCATION NAME
#include <vbackup/backup.hpp>
#include <vbackup/error.hpp>
#include <vbackup/version.hpp>
#include <vbackup_version.h>

#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: " << argv[0] << " MANIFESTS_DIR LOCATION NAME\n";
    return 2;
  }
  std::cout << "libvbackup " << vbackup::version() << " (headers " << VBACKUP_VERSION << ")\n";
  if (std::strcmp(vbackup::version(), VBACKUP_VERSION) != 0) return 1;
  try {
    vbackup::OpenedLocation location = vbackup::open_location(argv[2]);
    vbackup::ClusterOptions source;
    source.manifests = {argv[1]};
    auto cluster = vbackup::Cluster::open(source);
    vbackup::velero::Backup backup;
    backup.metadata.name = argv[3];
    auto result = vbackup::create_backup(*cluster, location, backup).result.backup;
    std::cout << "backup " << result.metadata.name << ": " << result.status.phase << "\n";
    return result.status.phase == vbackup::velero::backup_phase::Completed ? 0 : 1;
  } catch (const vbackup::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
