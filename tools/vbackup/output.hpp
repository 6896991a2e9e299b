// How the CLI prints: velero's table, describe text, and -o json|yaml.
#pragma once

#include "vbackup/backup.hpp"
#include "vbackup/json.hpp"
#include "vbackup/time.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace vbackup::cli {

// k8s.io/apimachinery duration.HumanDuration ("29d", "5m30s").
std::string human_duration(std::chrono::seconds d);

// "2026-11-24 10:00:01 +0000 UTC", as velero prints times.
std::string format_time(Timestamp t);

void print_backup_table(std::ostream& out, const std::vector<velero::Backup>& backups, Timestamp now);
void print_backup_description(std::ostream& out, const BackupDetails& d, bool details);

// The progress bar of `backup create` on a terminal, one line, at most `width` columns:
//   "[########------------]  41%  41,012/100,028 items  26.1 MB  35,120 items/s  ETA 2s"
// without a bar when the total is not known ahead (total_items == items_backed_up).
std::string progress_line(const BackupProgress& p, double seconds, std::size_t width = 80);

// Prints `value` as JSON (MarshalIndent, struct order) or YAML.
void print_object(std::ostream& out, const json::value& value, const std::string& format);

}  // namespace vbackup::cli
