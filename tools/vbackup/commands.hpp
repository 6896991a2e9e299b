// The subcommands, one file each: each add_* registers its commands on `parent`; their callbacks set
// `rc` to the exit status (main.cpp says what each means).
#pragma once

#include "common.hpp"

namespace CLI {
class App;
}

namespace vbackup::cli {

// backup create|get|describe|download|delete|logs (backup_cmd.cpp); returns the `backup` command.
CLI::App* add_backup_commands(CLI::App& app, const Common& common, int& rc);
// backup-location check (backup_cmd.cpp).
void add_location_commands(CLI::App& app, const Common& common, int& rc);
// backup-location create|get|set|delete (location_cmd.cpp), under `backup-location`.
void add_named_location_commands(CLI::App& backup_location, const Common& common, int& rc);
// backup-location sync|validate (location_sync_cmd.cpp), under `backup-location`.
void add_location_sync_commands(CLI::App& backup_location, const Common& common, int& rc);
// backup ls|cat|diff (inspect_cmd.cpp), under `backup`.
void add_inspect_commands(CLI::App& backup, const Common& common, int& rc);
// restore create|get|describe|logs|delete (restore_cmd.cpp).
void add_restore_commands(CLI::App& app, const Common& common, int& rc);
// server (server_cmd.cpp): the controllers over the cluster's velero.io CRs.
void add_server_command(CLI::App& app, const Common& common, int& rc);
// backup create --submit / restore create --submit (server_cmd.cpp): the CR created for a running
// server, as velero's create commands do; with `wait`, its phase polled to the end. The exit status.
int submit_operation(const Common& c, const std::string& plural, json::object cr, bool wait);

// schedule create|get|describe|pause|unpause|delete (schedule_cmd.cpp).
void add_schedule_commands(CLI::App& app, const Common& common, int& rc);
// install (install_cmd.cpp): velero install.
void add_install_command(CLI::App& app, const Common& common, int& rc);
// gc (deletion_cmd.cpp); and backup delete --submit [--wait], which backup_cmd.cpp hands over.
void add_deletion_commands(CLI::App& app, const Common& common, int& rc);
int submit_backup_deletion(const Common& c, const std::vector<std::string>& names, bool all,
                           const std::string& selector, bool confirm, bool wait);

}  // namespace vbackup::cli
