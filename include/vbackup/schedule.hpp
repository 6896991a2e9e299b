// Velero's schedules (spec §4.4): cron expressions exactly as Velero parses them (robfig/cron v3
// ParseStandard, pkg/controller/schedule_controller.go parseCronSchedule) and the schedule
// controller's rules as pure functions, which a server (or a test) calls with the clock it has.
#pragma once

#include "vbackup/json.hpp"
#include "vbackup/time.hpp"
#include "vbackup/velero_backup.hpp"
#include "vbackup/velero_schedule.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::schedule {

// robfig/cron's starBit: set in a field's bits when it was written `*` or `?` (and not `*/n`, n > 1).
// A day-of-month or day-of-week field with it makes both day fields required; without it on either,
// a day matches when either does (the "OR rule" of Vixie cron).
inline constexpr std::uint64_t star_bit = std::uint64_t{1} << 63;

// A parsed expression: robfig's SpecSchedule (bit sets, bit n = value n) or, for `@every <duration>`,
// its ConstantDelaySchedule.
struct CronSchedule {
  enum class Kind { spec, every };
  Kind kind = Kind::spec;
  std::uint64_t second = 0, minute = 0, hour = 0, dom = 0, month = 0, dow = 0;
  // The CRON_TZ= / TZ= zone: an IANA name from the system tz database ("America/New_York"), "UTC",
  // or "" for Go's time.Local: the zone of the time handed to next() (Velero's pod: UTC).
  std::string location;
  std::chrono::seconds delay{0};  // Kind::every: the duration rounded down to seconds, at least 1s

  // Schedule.Next: the first activation strictly after `after`, in `location` (or `local_zone` when
  // location is ""), with robfig's handling of DST gaps (a time that does not exist is skipped, or
  // for a daily job moved by the gap) and overlaps (an hour that occurs twice runs twice for hourly
  // jobs). nullopt when none is found within five years (robfig returns Go's zero time; see
  // decide(), which keeps Velero's reading of that). Error(invalid) for an unknown local_zone.
  std::optional<Timestamp> next(Timestamp after, std::string_view local_zone = "UTC") const;
};

// cron.ParseStandard: five fields (minute hour day-of-month month day-of-week) of numbers, names
// (JAN…DEC, SUN…SAT, any case), `*`, `?`, ranges a-b, steps /n and lists; the descriptors @yearly
// @annually @monthly @weekly @daily @midnight @hourly and `@every <Go duration>`; an optional
// `CRON_TZ=<zone> ` or `TZ=<zone> ` prefix. Error(invalid) whose message is the one Velero records
// in Schedule.status.validationErrors, e.g. "invalid schedule: expected exactly 5 fields, found 1: [xyz]".
CronSchedule parse_cron(std::string_view expression);

// parseCronSchedule: Velero's validationErrors for spec.schedule ("Schedule must be a non-empty
// valid Cron expression" when empty), empty when the expression parses.
std::vector<std::string> validate_cron(std::string_view expression);

// ---- the schedule controller (pkg/controller/schedule_controller.go) ---------------------------

// The server's settings the controller reads.
struct ScheduleDefaults {
  bool skip_immediately = false;   // velero server --schedule-skip-immediately
  std::string local_zone = "UTC";  // Go's time.Local of the server: the zone of expressions without CRON_TZ
};

// Velero re-evaluates every schedule this often (scheduleSyncPeriod) and on every spec change.
inline constexpr std::chrono::seconds schedule_sync_period{60};

// What the controller must do for one Schedule at `now`, in order: merge-patch the Schedule with
// `patch` (when not empty), then, when `backup` is set, create it and merge-patch the Schedule with
// `backup_patch` (status.lastBackup = now). `schedule` is the Schedule as it stands after both. The
// patches go to the object itself: Velero's Schedule CRD has no status subresource, and its
// controller patches status and spec.skipImmediately together.
struct ScheduleDecision {
  json::object patch;                    // {"spec":{"skipImmediately":false},"status":{"phase":…}}, or {}
  std::optional<velero::Backup> backup;  // getBackup(schedule, now)
  json::object backup_patch;             // {"status":{"lastBackup":"<now>"}} when backup is set
  velero::Schedule schedule;
  // When this schedule is due next (cron Next of lastBackup/lastSkipped/creationTimestamp as they
  // stand after this decision); nullopt when paused, invalid, or the expression never fires.
  std::optional<Timestamp> next_run;
  std::string reason;  // one line: "paused", "FailedValidation", "not due until …", "backup created", …

  // {"patch", "backup" (when set), "backupPatch" (when set), "schedule", "nextRun" (when set),
  // "reason"}: what the C API and Python return.
  json::object to_json() const;
};

// Reconcile as pure logic. `backup_running`: whether a Backup labelled velero.io/schedule-name=<name>
// in the schedule's namespace is in phase "", New or InProgress (checkIfBackupInNewOrProgress; see
// backup_running()), which skips the run. Paused schedules are filtered out before reconciling:
// nothing changes. Otherwise skipImmediately (nil → defaults.skip_immediately) true is reset to
// false with lastSkipped = now; the expression is validated again (phase Enabled or
// FailedValidation with validationErrors); an Enabled schedule is due when now ≥ Next(max(lastBackup
// or creationTimestamp, lastSkipped)) — Velero's now.After(next) at nanosecond precision — with no
// catch-up of missed runs.
ScheduleDecision decide(const velero::Schedule& schedule, Timestamp now, const ScheduleDefaults& defaults = {},
                        bool backup_running = false);

// checkIfBackupInNewOrProgress over Backups the caller listed: true when one of them carries the
// label velero.io/schedule-name=<schedule name>, is in the schedule's namespace and is in phase "",
// New or InProgress.
bool backup_running(const velero::Schedule& schedule, const std::vector<velero::Backup>& backups);

// getBackup: the Backup a schedule creates at `now`: name <schedule>-<yyyyMMddHHmmss> (now in UTC,
// the Velero pod's zone), the schedule's namespace, spec = template (resourcePolicy re-pointed at a
// "configmap"), labels = template.metadata.labels if set else the schedule's labels, plus
// velero.io/schedule-name=<schedule> (which Velero also writes into spec.metadata.labels when the
// template has labels: the builder shares the map), annotations = template.metadata.annotations if
// set else the schedule's, and with useOwnerReferencesInBackup an owner reference to the Schedule
// (controller: true).
velero::Backup backup_for(const velero::Schedule& schedule, Timestamp now);

// Schedule.TimestampedName: "<schedule>-20060102150405" with `t` in UTC.
std::string timestamped_name(std::string_view schedule_name, Timestamp t);

}  // namespace vbackup::schedule
