// Schedule ⇄ JSON. Field order and omitempty: pkg/apis/velero/v1/schedule_types.go (ScheduleSpec,
// ScheduleStatus); spec §4.4.
#include "vbackup/velero_schedule.hpp"

#include "format/fields.hpp"
#include "format/resource.hpp"

namespace vbackup::velero {

using detail::Reader;

ScheduleSpec ScheduleSpec::from_json(const json::object& o, std::string_view what, std::string_view path) {
  Reader r(o, what, path);
  ScheduleSpec s;
  if (const json::object* t = r.object("template")) {
    s.template_ = BackupSpec::from_json(*t, what, r.path("template"));
  }
  s.schedule = r.string("schedule");
  s.use_owner_references_in_backup = r.optional_bool("useOwnerReferencesInBackup");
  s.paused = r.boolean("paused");
  s.skip_immediately = r.optional_bool("skipImmediately");
  s.extra = r.rest();
  return s;
}

json::object ScheduleSpec::to_json() const {
  using namespace detail;
  json::object o;
  o["template"] = template_.to_json();
  o["schedule"] = schedule;
  put_optional_bool(o, "useOwnerReferencesInBackup", use_owner_references_in_backup);
  put_bool(o, "paused", paused);
  put_optional_bool(o, "skipImmediately", skip_immediately);
  put_extra(o, extra);
  return o;
}

ScheduleStatus ScheduleStatus::from_json(const json::object& o, std::string_view what, std::string_view path) {
  Reader r(o, what, path);
  ScheduleStatus s;
  s.phase = r.string("phase");
  s.last_backup = r.time("lastBackup");
  s.last_skipped = r.time("lastSkipped");
  s.validation_errors = r.strings("validationErrors");
  s.extra = r.rest();
  return s;
}

json::object ScheduleStatus::to_json() const {
  using namespace detail;
  json::object o;
  put_string(o, "phase", phase);
  put_time(o, "lastBackup", last_backup);
  put_time(o, "lastSkipped", last_skipped);
  put_strings(o, "validationErrors", validation_errors);
  put_extra(o, extra);
  return o;
}

Schedule Schedule::from_json(const json::object& o, std::string_view what) {
  return detail::read_resource<Schedule, ScheduleSpec, ScheduleStatus>(o, "Schedule", what, false);
}

json::object Schedule::to_json() const { return detail::write_resource("Schedule", *this); }

}  // namespace vbackup::velero
