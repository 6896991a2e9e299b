// vbackup: a velero-style CLI over libvbackup. Flags keep velero's names; --storage-location takes a
// location URL or BackupStorageLocation file instead of a BSL name, --from-manifests reads a folder of
// manifests instead of a cluster, and `restore create --dry-run` plans a restore without one. The
// commands only map arguments onto the library (commands.hpp lists them, one file each).
//
// Exit status: 0 success (a backup or restore Completed); 1 failure (bad input, failed validation, a
// failed or refused operation, a storage or cluster error); 2 the backup or restore ended
// PartiallyFailed (see `vbackup backup|restore describe NAME --details`).
#include "commands.hpp"

#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/version.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace vb = vbackup;

int main(int argc, char** argv) {
  CLI::App app{"vbackup: back up and restore Kubernetes resources in Velero's format"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("vbackup ") + vb::version());
  vb::cli::Common common;
  // Global flags, as velero's: accepted before or after the subcommand (fallthrough).
  vb::cli::add_global_flags(app, common);
  app.fallthrough();
  int rc = 0;

  auto* backup = vb::cli::add_backup_commands(app, common, rc);
  vb::cli::add_inspect_commands(*backup, common, rc);
  vb::cli::add_restore_commands(app, common, rc);
  vb::cli::add_location_commands(app, common, rc);

  bool client_only = false;
  auto* version = app.add_subcommand("version", "Print the client's version and the Kubernetes API server's");
  version->fallthrough();
  version->add_flag("--client-only", client_only, "Only the client's version");
  version->callback([&] {
    std::cout << "Client:\n\tVersion: " << vb::version() << "\n";
    if (client_only) return;
    vb::kube::KubeClient client(vb::kube::load_rest_config(common.connect()));
    auto v = client.version();
    std::cout << "Kubernetes server:\n\tVersion: " << v.git_version << "\n\tServer: " << client.config().server << "\n";
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {  // vbackup::Error included: its message names the input
    std::cerr << "An error occurred: " << e.what() << "\n";
    return 1;
  }
  return rc;
}
