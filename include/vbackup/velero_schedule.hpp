// velero.io/v1 Schedule (spec §4.4). Conventions: velero.hpp.
#pragma once

#include "vbackup/velero_backup.hpp"

namespace vbackup::velero {

namespace schedule_phase {
inline constexpr std::string_view New = "New";
inline constexpr std::string_view Enabled = "Enabled";
inline constexpr std::string_view FailedValidation = "FailedValidation";
}  // namespace schedule_phase

struct ScheduleSpec {
  BackupSpec template_;  // JSON "template", always written
  std::string schedule;  // cron expression, always written
  std::optional<bool> use_owner_references_in_backup;
  bool paused = false;
  std::optional<bool> skip_immediately;
  json::object extra;

  static ScheduleSpec from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

struct ScheduleStatus {
  std::string phase;
  std::optional<Timestamp> last_backup, last_skipped;
  std::vector<std::string> validation_errors;
  json::object extra;

  static ScheduleStatus from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

struct Schedule {
  ObjectMeta metadata;
  ScheduleSpec spec;
  ScheduleStatus status;
  json::object extra;

  static Schedule from_json(const json::object& o, std::string_view what);  // kind "Schedule" if present
  json::object to_json() const;
};

}  // namespace vbackup::velero
