// Inspecting a stored backup without restoring it: its items (with a restore's filters), one item,
// and what changed between two backups (vbackup.h "inspecting a backup"). Mapping onto inspect.hpp.
#include "capi_internal.hpp"

#include "vbackup/inspect.hpp"

using namespace vbackup::capi;
namespace json = vbackup::json;

extern "C" {

vbk_status vbk_backup_items(vbk_location* location, const char* name, const char* options_json, char** items_json) {
  VBK_REQUIRE(items_json);
  *items_json = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    constexpr std::string_view what = "backup items options";
    auto o = parse_options(options_json, what, {"filters", "includeNames"});
    vbackup::InspectOptions options;
    if (const json::value* f = o.if_contains("filters")) {
      if (!f->is_object()) throw vbackup::invalid_input("backup items options: filters: expected a Restore spec (an object)");
      // A Restore spec's filters; the source (backupName) is the call's `name`.
      options.filters = vbackup::velero::RestoreSpec::from_json(f->get_object(), "backup items options: filters");
    }
    if (auto names = strings_option(o, "includeNames", what)) options.include_names = std::move(*names);
    json::array out;  // one document for the caller: the entries are held, never the objects
    vbackup::list_backup_items(*location->backups, name, options,
                               [&](const vbackup::BackupItemEntry& e) { out.push_back(e.to_json()); });
    *items_json = dup(pretty(out));
    return VBK_OK;
  });
}

vbk_status vbk_backup_item(vbk_location* location, const char* name, const char* item, char** item_json) {
  VBK_REQUIRE(item_json);
  *item_json = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  VBK_REQUIRE(item);
  return guarded([&] {
    *item_json = dup(pretty(vbackup::read_backup_item(*location->backups, name, item)));
    return VBK_OK;
  });
}

vbk_status vbk_backup_diff(vbk_location* location, const char* from, const char* to, char** changes_json) {
  VBK_REQUIRE(changes_json);
  *changes_json = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(from);
  VBK_REQUIRE(to);
  return guarded([&] {
    json::array out;
    vbackup::diff_backups(*location->backups, from, to,
                          [&](const vbackup::BackupItemChange& c) { out.push_back(c.to_json()); });
    *changes_json = dup(pretty(out));
    return VBK_OK;
  });
}

}  // extern "C"
