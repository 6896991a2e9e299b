// How the CLI prints: velero's tables and describe text, -o json|yaml, and the progress bars.
// output.cpp: the shared pieces and backups; restore_output.cpp: restores, restore plans and the
// inspect listings.
#pragma once

#include "vbackup/backup.hpp"
#include "vbackup/inspect.hpp"
#include "vbackup/json.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/restore.hpp"
#include "vbackup/time.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace vbackup::cli {

// k8s.io/apimachinery duration.HumanDuration ("29d", "5m30s").
std::string human_duration(std::chrono::seconds d);

// "2026-11-24 10:00:01 +0000 UTC", as velero prints times (Go's time.Time.String in UTC).
std::string format_time(Timestamp t);

// Prints `value` as JSON (MarshalIndent, struct order) or YAML.
void print_object(std::ostream& out, const json::value& value, const std::string& format);
// `items` as {"apiVersion": "velero.io/v1", "kind": list_kind, "items": […]}, or the one item alone
// when `single` (a get of one name, as velero prints it).
void print_list(std::ostream& out, json::array items, std::string_view list_kind, bool single, const std::string& format);

// The kubectl table printer velero uses for `get`: columns separated by three spaces, the header
// row first, trailing blanks trimmed.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

// Go's text/tabwriter as velero's Describer configures it (minwidth 0, tabwidth 8, padding 2,
// padchar ' ', no flags): cells end at '\t', columns align within blocks of adjacent lines.
std::string tabwrite(std::string_view text);

// "13.1 MB": sizes as velero and kubectl print them (kB, MB, GB, powers of 1000).
std::string format_bytes(std::uint64_t bytes);

// A progress line, at most `width` columns:
//   "[########------------]  41%  41,012/100,028 items  26.1 MB  35,120 items/s  ETA 2s"
// without a bar when the total is not known ahead (total == done); `extra` (bytes) after the count.
std::string progress_bar_line(std::int64_t done, std::int64_t total, const std::string& extra, double seconds,
                              std::size_t width);

// ---- backups (output.cpp) ----------------------------------------------------------------------
// show_labels: kubectl's --show-labels, a LABELS column last ("k=v,k2=v2" sorted, "<none>").
void print_backup_table(std::ostream& out, const std::vector<velero::Backup>& backups, Timestamp now,
                        bool show_labels = false);
std::string labels_cell(const velero::StringMap& labels);
void print_backup_description(std::ostream& out, const BackupDetails& d, bool details);
// velero's "Backup Item Operations" (when the status counts any; each operation with details) and
// "Backup Volumes" (native snapshots, CSI snapshots with each PVC, skipped volumes, pod volume
// backups) sections, each starting with a blank line (volumes_output.cpp).
void print_item_operations(std::ostream& out, const BackupDetails& d, bool details);
void print_backup_volumes(std::ostream& out, const BackupDetails& d, bool details);
// The progress bar of `backup create`: items of the counted total, bytes uploaded, rate, ETA.
std::string progress_line(const BackupProgress& p, double seconds, std::size_t width = 80);

// ---- restores (restore_output.cpp) -------------------------------------------------------------
// velero restore get: NAME BACKUP STATUS STARTED COMPLETED ERRORS WARNINGS CREATED SELECTOR.
void print_restore_table(std::ostream& out, const std::vector<velero::Restore>& restores, bool show_labels = false);
// velero restore describe (output.DescribeRestore), naming vbackup's commands; the results are
// shown when the restore has errors or warnings, the resource list with `details`.
void print_restore_description(std::ostream& out, const RestoreDetails& d, bool details);
// The progress bar of `restore create`: items decided of the items in the backup, rate, ETA.
std::string restore_progress_line(const RestoreProgress& p, double seconds, std::size_t width = 80);
// A dry run or diff: KIND NAMESPACE NAME ACTION REASON in restore order.
void print_plan_table(std::ostream& out, const std::vector<RestorePlanItem>& plan);
// The plan's counts by action: "12 to create, 1 to update, 3 unchanged, 2 skipped, 0 failing".
std::string plan_summary(const std::vector<RestorePlanItem>& plan);

// ---- inspect (restore_output.cpp) --------------------------------------------------------------
// backup ls: GROUP-RESOURCE NAMESPACE NAME.
void print_item_table(std::ostream& out, const std::vector<BackupItemEntry>& items);
// backup diff: CHANGE GROUP-RESOURCE NAMESPACE NAME, then each change's diff.
void print_changes(std::ostream& out, const std::vector<BackupItemChange>& changes);

}  // namespace vbackup::cli
