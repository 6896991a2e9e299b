// Schedules (vbackup.h "schedules"): a cron expression's next run, and the schedule controller's
// decision for one Schedule. Mapping onto schedule.hpp.
#include "capi_internal.hpp"

#include "vbackup/schedule.hpp"

#include <chrono>

using namespace vbackup::capi;
namespace json = vbackup::json;

namespace {

vbackup::Timestamp time_or_now(const char* rfc3339) {
  if (rfc3339) return vbackup::parse_rfc3339(rfc3339);
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace

extern "C" {

vbk_status vbk_schedule_next(const char* expression, const char* after_rfc3339, char** next) {
  VBK_REQUIRE(next);
  *next = nullptr;
  VBK_REQUIRE(expression);
  return guarded([&] {
    auto cron = vbackup::schedule::parse_cron(expression);
    auto after = time_or_now(after_rfc3339);
    auto t = cron.next(after);
    if (!t)
      return fail(VBK_ENOTFOUND, "cron expression \"" + std::string(expression) + "\": no run within five years after " +
                                     vbackup::format_rfc3339(after));
    *next = dup(vbackup::format_rfc3339(*t));
    return VBK_OK;
  });
}

vbk_status vbk_schedule_decide(const char* schedule_json, const char* now_rfc3339, const char* options_json,
                               char** decision_json) {
  VBK_REQUIRE(decision_json);
  *decision_json = nullptr;
  VBK_REQUIRE(schedule_json);
  return guarded([&] {
    constexpr std::string_view what = "schedule options";
    auto o = parse_options(options_json, what, {"skipImmediately", "localZone", "backups"});
    vbackup::schedule::ScheduleDefaults defaults;
    if (const json::value* v = o.if_contains("skipImmediately")) {
      if (!v->is_bool()) throw vbackup::invalid_input("schedule options: skipImmediately: expected true or false");
      defaults.skip_immediately = v->get_bool();
    }
    if (auto zone = string_option(o, "localZone", what)) defaults.local_zone = *zone;
    auto schedule = vbackup::velero::Schedule::from_json(parse_object(schedule_json, "schedule"), "schedule");
    std::vector<vbackup::velero::Backup> backups;
    if (const json::value* v = o.if_contains("backups")) {
      if (!v->is_array()) throw vbackup::invalid_input("schedule options: backups: expected an array of Backups");
      for (const auto& b : v->get_array()) {
        if (!b.is_object()) throw vbackup::invalid_input("schedule options: backups: expected an array of Backups");
        backups.push_back(vbackup::velero::Backup::from_json(b.get_object(), "schedule options: backups"));
      }
    }
    auto d = vbackup::schedule::decide(schedule, time_or_now(now_rfc3339), defaults,
                                       vbackup::schedule::backup_running(schedule, backups));
    *decision_json = dup(pretty(d.to_json()));
    return VBK_OK;
  });
}

}  // extern "C"
