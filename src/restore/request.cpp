// The restore request: validation and defaults (request.hpp).
#include "restore/request.hpp"

#include "vbackup/error.hpp"
#include "vbackup/persistence.hpp"

#include <algorithm>

namespace vbackup::detail {
namespace {

// hook.ValidateContainer: an init container needs a name and an image.
void validate_hooks(const json::object& hooks, std::vector<std::string>& errs) {
  const json::array* resources = json::find_array(hooks, "resources");
  if (!resources) return;
  for (const auto& r : *resources) {
    if (!r.is_object()) continue;
    std::string name(json::get_string(r.get_object(), "name"));
    const json::array* post = json::find_array(r.get_object(), "postHooks");
    if (!post) continue;
    for (const auto& h : *post) {
      if (!h.is_object()) continue;
      const auto& hook = h.get_object();
      if (hook.contains("exec")) {
        errs.push_back("spec.hooks.resources[" + name +
                       "]: restore exec hooks (commands run in restored pods) are not supported by libvbackup yet; "
                       "init-container hooks are");
      }
      const json::object* init = json::find_object(hook, "init");
      const json::array* containers = init ? json::find_array(*init, "initContainers") : nullptr;
      if (!containers) continue;
      for (const auto& c : *containers) {
        const json::object* co = c.is_object() ? &c.get_object() : nullptr;
        if (!co || json::get_string(*co, "name").empty() || json::get_string(*co, "image").empty()) {
          errs.push_back("invalid InitContainer in restore hook, it doesn't have Command, Name or Image field");
        }
      }
    }
  }
}

bool restorable_phase(std::string_view phase) {
  return phase == velero::backup_phase::Completed || phase == velero::backup_phase::PartiallyFailed;
}

}  // namespace

std::vector<std::string> validate_restore_request(const velero::Restore& r) {
  std::vector<std::string> errs;
  const auto& s = r.spec;
  if (r.metadata.name.empty()) errs.push_back("metadata.name: a restore needs a name");
  if (s.label_selector && !s.label_selector->is_null() && !s.or_label_selectors.empty()) {
    errs.push_back("encountered labelSelector as well as orLabelSelectors in restore spec, only one can be specified");
  }
  if (s.backup_name.empty() == s.schedule_name.empty()) {
    errs.push_back("Either a backup or schedule must be specified as a source for the restore, but not both");
  }
  validate_hooks(s.hooks, errs);
  if (!s.existing_resource_policy.empty() && s.existing_resource_policy != velero::existing_resource_policy::none &&
      s.existing_resource_policy != velero::existing_resource_policy::update) {
    errs.push_back("Invalid ExistingResourcePolicy: " + s.existing_resource_policy);
  }
  return errs;
}

std::optional<velero::Backup> backup_for_restore(storage::BackupStore& store, velero::Restore& restore,
                                                 std::vector<std::string>& errors) {
  auto& s = restore.spec;
  if (s.backup_name.empty()) {
    try {
      s.backup_name = latest_backup_of_schedule(store, s.schedule_name);
    } catch (const Error& e) {
      errors.push_back(e.what());
      return std::nullopt;
    }
  }
  velero::Backup backup;
  try {
    backup = get_backup(store, s.backup_name);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::not_found) throw;
    errors.push_back("Error retrieving backup: backup.velero.io \"" + s.backup_name + "\" not found");
    return std::nullopt;
  }
  // restore §2.11 (restore_controller.go L407, PR #9792).
  if (!restorable_phase(backup.status.phase)) {
    errors.push_back("backup \"" + backup.metadata.name + "\" is in phase \"" + backup.status.phase +
                     "\" and cannot be used as a restore source");
    return std::nullopt;
  }
  // The schedule's name, for those who read the Restore later (as Velero fills it in).
  if (s.schedule_name.empty()) {
    if (auto it = backup.metadata.labels.find(std::string(velero::label::schedule_name));
        it != backup.metadata.labels.end()) {
      s.schedule_name = it->second;
    }
  }
  return backup;
}

}  // namespace vbackup::detail

namespace vbackup {

// mostRecentCompletedBackup: the schedule's backups by start time, newest first; the first Completed.
std::string latest_backup_of_schedule(storage::BackupStore& store, const std::string& schedule) {
  std::vector<velero::Backup> backups;
  for (auto& b : list_backups(store)) {
    auto it = b.metadata.labels.find(std::string(velero::label::schedule_name));
    if (it != b.metadata.labels.end() && it->second == schedule) backups.push_back(std::move(b));
  }
  if (backups.empty()) throw not_found("No backups found for schedule");
  std::stable_sort(backups.begin(), backups.end(), [](const velero::Backup& a, const velero::Backup& b) {
    auto ta = a.status.start_timestamp.value_or(Timestamp{}), tb = b.status.start_timestamp.value_or(Timestamp{});
    return ta > tb;
  });
  for (const auto& b : backups) {
    if (b.status.phase == velero::backup_phase::Completed) return b.metadata.name;
  }
  throw not_found("No completed backups found for schedule");
}

}  // namespace vbackup
