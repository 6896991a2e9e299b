// vbackup backup ls|cat|diff: looking into stored backups without restoring them (inspect.hpp).
// Ours: velero has no such commands (a user downloads the tarball and reads it by hand).
#include "commands.hpp"
#include "filter_flags.hpp"
#include "output.hpp"
#include "seal_cmd.hpp"

#include "vbackup/inspect.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace vbackup::cli {
namespace {

struct InspectFlags {
  std::string name, item, from, to, output;
  FilterFlags filters;
  OpenFlags open;  // issue 16: --identity
};

// backup ls: the items a restore with these filters would see, in restore order.
int backup_ls(const Common& c, const InspectFlags& f) {
  std::string output = f.output.empty() ? "table" : f.output;
  check_output(output, true);
  InspectOptions options;
  f.filters.apply(options.filters);
  options.include_names = f.filters.include_names;
  auto store = open_store(c);
  std::vector<BackupItemEntry> items;
  auto view = sealing::open_sealed(*store.backups, f.name, open_options(f.open));
  list_backup_items(view, f.name, options, [&](const BackupItemEntry& e) { items.push_back(e); });
  if (output == "table") {
    print_item_table(std::cout, items);
    return 0;
  }
  json::array list;
  for (const auto& e : items) list.push_back(e.to_json());
  print_object(std::cout, json::object{{"backup", f.name}, {"items", std::move(list)}}, output);
  return 0;
}

// backup cat: one item as stored in the tarball.
int backup_cat(const Common& c, const InspectFlags& f) {
  std::string output = f.output.empty() ? "json" : f.output;
  check_output(output, false);
  auto store = open_store(c);
  auto view = sealing::open_sealed(*store.backups, f.name, open_options(f.open));
  print_object(std::cout, read_backup_item(view, f.name, f.item), output);
  return 0;
}

// backup diff: what changed from backup A to backup B.
int backup_diff(const Common& c, const InspectFlags& f) {
  std::string output = f.output.empty() ? "table" : f.output;
  check_output(output, true);
  auto store = open_store(c);
  std::vector<BackupItemChange> changes;
  diff_backups(*store.backups, f.from, f.to, [&](const BackupItemChange& ch) { changes.push_back(ch); });
  if (output != "table") {
    json::array list;
    for (const auto& ch : changes) list.push_back(ch.to_json());
    print_object(std::cout, json::object{{"from", f.from}, {"to", f.to}, {"changes", std::move(list)}}, output);
    return 0;
  }
  print_changes(std::cout, changes);
  std::size_t added = 0, removed = 0, changed = 0;
  for (const auto& ch : changes) (ch.change == "added" ? added : ch.change == "removed" ? removed : changed)++;
  std::cout << "\nFrom backup \"" << f.from << "\" to \"" << f.to << "\": " << added << " added, " << removed
            << " removed, " << changed << " changed.\n";
  return 0;
}

}  // namespace

void add_inspect_commands(CLI::App& backup, const Common& common, int& rc) {
  auto f = std::make_shared<InspectFlags>();
  auto* ls = backup.add_subcommand("ls", "List a backup's items, with the restore's filters, in restore order");
  ls->fallthrough();
  ls->add_option("name", f->name, "Backup name")->required();
  f->filters.add_to(*ls);
  ls->add_option("-o,--output", f->output, "table (default), json or yaml");
  add_identity_flag(*ls, f->open);
  ls->callback([&common, &rc, f] { rc = backup_ls(common, *f); });

  auto* cat = backup.add_subcommand("cat", "Print one item of a backup as stored");
  cat->fallthrough();
  cat->add_option("name", f->name, "Backup name")->required();
  cat->add_option("item", f->item,
                  "GROUP-RESOURCE/NAMESPACE/NAME, or GROUP-RESOURCE/NAME for a cluster-scoped item "
                  "(deployments.apps/demo/web, persistentvolumes/pv-1; the resource as --include-resources takes it)")
      ->required();
  cat->add_option("-o,--output", f->output, "json (default) or yaml");
  add_identity_flag(*cat, f->open);
  cat->callback([&common, &rc, f] { rc = backup_cat(common, *f); });

  auto* diff = backup.add_subcommand("diff", "Show the items added, removed and changed from backup A to backup B");
  diff->fallthrough();
  diff->add_option("a", f->from, "The older backup")->required();
  diff->add_option("b", f->to, "The newer backup")->required();
  diff->add_option("-o,--output", f->output, "table (default, then each change's diff), json or yaml");
  diff->callback([&common, &rc, f] { rc = backup_diff(common, *f); });
}

}  // namespace vbackup::cli
