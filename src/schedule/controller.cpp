// Velero's schedule controller (pkg/controller/schedule_controller.go Reconcile, getNextRunTime,
// checkIfBackupInNewOrProgress, getBackup; pkg/builder/backup_builder.go FromSchedule) as pure
// functions: the caller brings the Schedule, the clock and the Backups it listed, and carries out
// the patches and the Backup creation the decision names.
#include "vbackup/schedule.hpp"

#include "vbackup/error.hpp"

#include <date/date.h>

namespace vbackup::schedule {

namespace {

// Go's zero time.Time (0001-01-01T00:00:00Z): a Schedule without creationTimestamp starts there.
const Timestamp go_zero_time = Timestamp{date::sys_days{date::year{1} / 1 / 1}.time_since_epoch()};

json::value string_list(const std::vector<std::string>& v) {
  if (v.empty()) return nullptr;  // omitempty nil: the merge patch removes the key
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

std::string timestamped_name(std::string_view schedule_name, Timestamp t) {
  return std::string(schedule_name) + "-" + date::format("%Y%m%d%H%M%S", t);
}

velero::Backup backup_for(const velero::Schedule& schedule, Timestamp now) {
  velero::Backup b;
  b.metadata.namespace_ = schedule.metadata.namespace_;
  b.metadata.name = timestamped_name(schedule.metadata.name, now);
  b.spec = schedule.spec.template_;

  // Labels: the template's when it has any, else the Schedule's own, plus the schedule name (raw,
  // not get_valid_name). Velero adds the label to the template's own map, which the Backup's spec
  // shares, so spec.metadata.labels carries it too.
  const auto& template_labels = schedule.spec.template_.metadata.labels;
  b.metadata.labels = template_labels.empty() ? schedule.metadata.labels : template_labels;
  b.metadata.labels[std::string(velero::label::schedule_name)] = schedule.metadata.name;
  if (!template_labels.empty()) b.spec.metadata.labels[std::string(velero::label::schedule_name)] = schedule.metadata.name;

  // Annotations: template.metadata.annotations when set (Velero ≥ 1.18), else the Schedule's.
  const auto& meta_extra = schedule.spec.template_.metadata.extra;
  auto it = meta_extra.find("annotations");
  if (it != meta_extra.end() && it->value().is_object()) {
    for (const auto& [k, v] : it->value().get_object())
      if (v.is_string()) b.metadata.annotations[std::string(k)] = std::string(v.get_string());
  } else {
    b.metadata.annotations = schedule.metadata.annotations;
  }

  if (schedule.spec.use_owner_references_in_backup.value_or(false)) {
    velero::OwnerReference ref;
    ref.api_version = std::string(velero::api_version);
    ref.kind = "Schedule";
    ref.name = schedule.metadata.name;
    ref.uid = schedule.metadata.uid;
    ref.controller = true;
    b.metadata.owner_references = {ref};
  }
  // BackupBuilder.ResourcePolicies: a reference to the ConfigMap of that name.
  if (schedule.spec.template_.resource_policy) {
    velero::TypedLocalObjectReference ref;
    ref.kind = "configmap";
    ref.name = schedule.spec.template_.resource_policy->name;
    b.spec.resource_policy = ref;
  }
  return b;
}

json::object ScheduleDecision::to_json() const {
  json::object o;
  o["patch"] = patch;
  if (backup) o["backup"] = backup->to_json();
  if (backup) o["backupPatch"] = backup_patch;
  o["schedule"] = schedule.to_json();
  if (next_run) o["nextRun"] = format_rfc3339(*next_run);
  o["reason"] = reason;
  return o;
}

bool backup_running(const velero::Schedule& schedule, const std::vector<velero::Backup>& backups) {
  for (const auto& b : backups) {
    if (b.metadata.namespace_ != schedule.metadata.namespace_) continue;
    auto l = b.metadata.labels.find(std::string(velero::label::schedule_name));
    if (l == b.metadata.labels.end() || l->second != schedule.metadata.name) continue;
    const auto& p = b.status.phase;
    if (p.empty() || p == velero::backup_phase::New || p == velero::backup_phase::InProgress) return true;
  }
  return false;
}

ScheduleDecision decide(const velero::Schedule& schedule, Timestamp now, const ScheduleDefaults& defaults,
                        bool backup_is_running) {
  ScheduleDecision d;
  d.schedule = schedule;
  auto& s = d.schedule;
  // The controller's predicate drops paused schedules: no status update, no backup.
  if (schedule.spec.paused) {
    d.reason = "paused";
    return d;
  }

  json::object spec_patch, status_patch;
  // skipImmediately: nil takes the server's default; true is consumed, recording lastSkipped.
  bool skip = schedule.spec.skip_immediately.value_or(defaults.skip_immediately);
  if (schedule.spec.skip_immediately != false) spec_patch["skipImmediately"] = false;
  s.spec.skip_immediately = false;
  if (skip) {
    s.status.last_skipped = now;
    status_patch["lastSkipped"] = format_rfc3339(now);
  }

  // Validated on every reconcile, even when Enabled.
  auto errors = validate_cron(schedule.spec.schedule);
  std::string phase(errors.empty() ? velero::schedule_phase::Enabled : velero::schedule_phase::FailedValidation);
  if (phase != schedule.status.phase) status_patch["phase"] = phase;
  if (errors != schedule.status.validation_errors) status_patch["validationErrors"] = string_list(errors);
  s.status.phase = phase;
  s.status.validation_errors = errors;
  if (!spec_patch.empty()) d.patch["spec"] = std::move(spec_patch);
  if (!status_patch.empty()) d.patch["status"] = std::move(status_patch);

  if (!errors.empty()) {
    d.reason = "FailedValidation: " + errors.front();
    return d;
  }

  // getNextRunTime: from lastBackup (or creationTimestamp), or lastSkipped when later.
  auto cron = parse_cron(schedule.spec.schedule);
  Timestamp last = s.status.last_backup.value_or(s.metadata.creation_timestamp.value_or(go_zero_time));
  if (s.status.last_skipped && *s.status.last_skipped > last) last = *s.status.last_skipped;
  auto next = cron.next(last, defaults.local_zone);
  // robfig returns Go's zero time when nothing matches within five years ("0 0 30 2 *"), and
  // now.After(zero) is true: Velero finds such a schedule due on every reconcile.
  bool due = !next || now >= *next;
  if (!due) {
    d.next_run = next;
    d.reason = "not due until " + format_rfc3339(*next);
    return d;
  }
  if (backup_is_running) {
    d.next_run = next;
    d.reason = "due, but a backup of this schedule is still New or InProgress";
    return d;
  }
  // submitBackup: no catch-up of missed runs, one Backup now.
  d.backup = backup_for(s, now);
  s.status.last_backup = now;
  d.backup_patch["status"] = json::object{{"lastBackup", format_rfc3339(now)}};
  d.next_run = cron.next(now, defaults.local_zone);
  d.reason = "backup " + d.backup->metadata.name + " created";
  return d;
}

}  // namespace vbackup::schedule
