// vbackup: a velero-style CLI over libvbackup. Flags keep velero's names; --storage-location takes a
// location's name, a URL or a BackupStorageLocation file, --from-manifests reads a folder of
// manifests instead of a cluster, and `restore create --dry-run` plans a restore without one. The
// commands only map arguments onto the library (commands.hpp lists them, one file each).
//
// Exit status (kExitStatus below, printed by --help): 0 success (a backup or restore Completed); 1
// failure (bad input or usage, failed validation, a failed or refused operation, a storage or
// cluster error); 2 the backup or restore ended PartiallyFailed (see `vbackup backup|restore
// describe NAME --details`); 130 / 143: `backup create` or
// `restore create` interrupted by SIGINT / SIGTERM (cancelled and cleaned up).
#include "commands.hpp"

#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/version.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <iostream>

namespace vb = vbackup;

namespace {

constexpr const char* kExitStatus =
    "Exit status:\n"
    "  0    done (a backup or restore Completed)\n"
    "  1    failed: bad input or usage, failed validation, a storage or cluster error (\"An error occurred: …\")\n"
    "  2    done with item errors: the backup or restore is PartiallyFailed (describe NAME --details)\n"
    "  130  interrupted by SIGINT (Ctrl-C); 143 terminated by SIGTERM";

// cobra's ld(): Levenshtein distance, ignoring case.
std::size_t distance(std::string a, std::string b) {
  for (auto* s : {&a, &b}) {
    for (char& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string command_path(const CLI::App* cmd) {
  std::string path;
  for (const CLI::App* c = cmd; c; c = c->get_parent()) path = c->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

// The command the arguments got to: the last subcommand parsed.
CLI::App* deepest(CLI::App& app) {
  CLI::App* cmd = &app;
  while (!cmd->get_subcommands().empty()) cmd = cmd->get_subcommands().front();
  return cmd;
}

// cobra's "unknown command" error (args.go legacyArgs, command.go findSuggestions), for every level,
// with the valid commands listed as cobra's usage lists them.
void unknown_command(const CLI::App& cmd, const std::string& word) {
  std::string path = command_path(&cmd);
  std::cerr << "Error: unknown command \"" << word << "\" for \"" << path << "\"";
  auto subs = cmd.get_subcommands([](const CLI::App*) { return true; });
  // cobra sorts commands by name (EnableCommandSorting).
  std::sort(subs.begin(), subs.end(), [](const CLI::App* a, const CLI::App* b) { return a->get_name() < b->get_name(); });
  std::string suggestions;
  std::size_t width = 11;  // cobra's minimum name padding
  for (const auto* s : subs) {
    width = std::max(width, s->get_name().size());
    std::string lower_name = s->get_name(), lower_word = word;
    for (auto* t : {&lower_name, &lower_word}) {
      for (char& c : *t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (distance(word, s->get_name()) <= 2 || lower_name.starts_with(lower_word)) suggestions += "\t" + s->get_name() + "\n";
  }
  std::cerr << (suggestions.empty() ? "\n" : "\n\nDid you mean this?\n" + suggestions);
  std::cerr << "\nAvailable Commands:\n";
  for (const auto* s : subs) {
    std::cerr << "  " << s->get_name() << std::string(width - s->get_name().size() + 1, ' ') << s->get_description() << "\n";
  }
  std::cerr << "\nRun '" << path << " --help' for usage.\n";
}

// The first word left over that is not a flag or a flag's value: what was typed for a subcommand.
std::string stray_word(const CLI::App& app, const CLI::App& cmd) {
  for (const auto& arg : cmd.remaining()) {
    if (!arg.empty() && arg.front() != '-') return arg;
  }
  for (const auto& arg : app.remaining(true)) {
    if (!arg.empty() && arg.front() != '-') return arg;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vbackup: back up and restore Kubernetes resources in Velero's format"};
  app.name("vbackup");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("vbackup ") + vb::version());
  app.footer(kExitStatus);
  vb::cli::Common common;
  // Global flags, as velero's: accepted before or after the subcommand (fallthrough).
  vb::cli::add_global_flags(app, common);
  app.fallthrough();
  int rc = 0;

  auto* backup = vb::cli::add_backup_commands(app, common, rc);
  vb::cli::add_inspect_commands(*backup, common, rc);
  vb::cli::add_restore_commands(app, common, rc);
  vb::cli::add_location_commands(app, common, rc);
  vb::cli::add_named_location_commands(*app.get_subcommand("backup-location"), common, rc);
  vb::cli::add_schedule_commands(app, common, rc);
  vb::cli::add_install_command(app, common, rc);
  vb::cli::add_location_sync_commands(*app.get_subcommand("backup-location"), common, rc);
  vb::cli::add_deletion_commands(app, common, rc);  // gc (brief i13-deletion)
  vb::cli::add_server_command(app, common, rc);

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
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    CLI::App* cmd = deepest(app);
    bool has_subcommands = !cmd->get_subcommands([](const CLI::App*) { return true; }).empty();
    if (has_subcommands) {
      std::string word = stray_word(app, *cmd);
      if (!word.empty()) {
        unknown_command(*cmd, word);
        return 1;
      }
      // A command group alone ("vbackup backup"): its help, as cobra prints it.
      std::cout << cmd->help();
      return 0;
    }
    std::cerr << "Error: " << e.what() << "\nRun '" << command_path(cmd) << " --help' for usage.\n";
    return 1;
  } catch (const std::exception& e) {  // vbackup::Error included: its message names the input
    std::cerr << "An error occurred: " << e.what() << "\n";
    return 1;
  }
  return rc;
}
