#include "leftovers_cmd.hpp"

#include "common.hpp"
#include "output.hpp"

#include "vbackup/leftovers.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <vector>

namespace vbackup::cli {
namespace {

// KIND KEY SIZE AGE DETAIL, one row a leftover.
void print_leftovers(std::ostream& out, const std::vector<Leftover>& leftovers) {
  std::vector<std::vector<std::string>> rows{{"KIND", "KEY", "SIZE", "AGE", "DETAIL"}};
  for (const auto& l : leftovers) {
    std::string detail;
    switch (l.kind) {
      case Leftover::Kind::upload: detail = "never committed: " + l.upload_id; break;
      case Leftover::Kind::backup: detail = std::to_string(l.objects) + " objects, no velero-backup.json"; break;
      case Leftover::Kind::restore: detail = std::to_string(l.objects) + " objects, no velero-restore.json"; break;
    }
    rows.push_back({std::string(to_string(l.kind)), l.key, format_bytes(l.bytes),
                    l.age ? human_duration(*l.age) : "<unknown>", detail});
  }
  print_table(out, rows);
}

}  // namespace

void add_leftover_flags(CLI::App& check, LeftoverFlags& flags) {
  check.add_flag("--prune", flags.prune,
                 "Remove the leftovers of interrupted work (uploads never committed, backup folders without "
                 "velero-backup.json) older than --grace");
  check.add_option("--grace", flags.grace, "With --prune: leave leftovers younger than this alone (work still running)")
      ->capture_default_str();
}

bool report_leftovers(std::ostream& out, storage::BackupStore& store, const LeftoverFlags& flags) {
  auto grace = std::chrono::duration_cast<std::chrono::seconds>(parse_duration_flag("--grace", flags.grace));
  if (grace.count() < 0) throw invalid_input("--grace: must not be negative, not \"" + flags.grace + "\"");
  if (!flags.prune) {
    auto found = find_leftovers(store, now());
    if (found.empty()) return true;
    out << "\nLeftovers of interrupted work (" << found.size() << "), invisible to `backup get`:\n";
    print_leftovers(out, found);
    out << "Run `vbackup backup-location check --prune` to remove those older than " << flags.grace << " (--grace).\n";
    return true;
  }
  auto result = prune_leftovers(store, now(), grace);
  if (!result.removed.empty()) {
    out << "\nRemoved " << result.removed.size() << " leftover(s) of interrupted work:\n";
    print_leftovers(out, result.removed);
  }
  if (!result.kept.empty()) {
    out << "\nKept " << result.kept.size() << " leftover(s) younger than " << flags.grace << " (work may still be running):\n";
    print_leftovers(out, result.kept);
  }
  if (result.removed.empty() && result.kept.empty() && result.errors.empty()) out << "No leftovers of interrupted work.\n";
  for (const auto& e : result.errors) std::cerr << "An error occurred: cannot remove " << e << "\n";
  return result.errors.empty();
}

}  // namespace vbackup::cli
