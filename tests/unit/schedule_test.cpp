// The schedule controller's rules (spec §4.4; Velero's pkg/controller/schedule_controller_test.go
// TestParseCronSchedule, TestGetBackup, TestCheckIfBackupInNewOrProgress restated as facts).
#include "vbackup/error.hpp"
#include "vbackup/schedule.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
using namespace vbackup::schedule;

namespace {

Timestamp T(std::string_view rfc3339) { return parse_rfc3339(rfc3339); }

velero::Schedule make(std::string cron, std::string_view created = "2017-08-01T00:00:00Z") {
  velero::Schedule s;
  s.metadata.namespace_ = "velero";
  s.metadata.name = "daily";
  s.metadata.uid = "0b7c3c2e-1111-2222-3333-444455556666";
  s.metadata.creation_timestamp = T(created);
  s.spec.schedule = std::move(cron);
  return s;
}

std::string J(const json::object& o) { return json::marshal(o); }

}  // namespace

TEST_CASE("spec §4.4 TestParseCronSchedule: due from lastBackup, next run, no catch-up") {
  auto s = make("0 9 * * *");
  s.status.phase = "Enabled";
  s.status.last_backup = T("2017-08-10T12:27:00Z");
  auto d = decide(s, T("2017-08-10T12:27:00Z"));
  CHECK_FALSE(d.backup);
  CHECK(format_rfc3339(*d.next_run) == "2017-08-11T09:00:00Z");
  d = decide(s, T("2017-08-10T14:27:00Z"));
  CHECK_FALSE(d.backup);
  CHECK(d.reason == "not due until 2017-08-11T09:00:00Z");

  // One minute after the due time: a Backup, lastBackup = now, the next run tomorrow.
  d = decide(s, T("2017-08-11T09:01:00Z"));
  REQUIRE(d.backup);
  CHECK(d.backup->metadata.name == "daily-20170811090100");
  CHECK(J(d.backup_patch) == R"({"status":{"lastBackup":"2017-08-11T09:01:00Z"}})");
  CHECK(format_rfc3339(*d.schedule.status.last_backup) == "2017-08-11T09:01:00Z");
  CHECK(format_rfc3339(*d.next_run) == "2017-08-12T09:00:00Z");
  // Missed runs are not caught up: days later, still one backup.
  d = decide(s, T("2017-08-20T10:00:00Z"));
  CHECK(d.backup);
  CHECK(format_rfc3339(*d.next_run) == "2017-08-21T09:00:00Z");
}

TEST_CASE("spec §4.4 a new schedule: phase Enabled, skipImmediately written false, due from creationTimestamp") {
  auto s = make("@every 1h", "2024-01-01T00:00:00Z");
  auto d = decide(s, T("2024-01-01T00:30:00Z"));
  CHECK(J(d.patch) == R"({"spec":{"skipImmediately":false},"status":{"phase":"Enabled"}})");
  CHECK_FALSE(d.backup);
  CHECK(format_rfc3339(*d.next_run) == "2024-01-01T01:00:00Z");
  d = decide(s, T("2024-01-01T01:00:00Z"));  // now ≥ next: Velero's now.After(next) at ns precision
  CHECK(d.backup);
  // Once Enabled with skipImmediately false, nothing to patch.
  s.status.phase = "Enabled";
  s.spec.skip_immediately = false;
  CHECK(decide(s, T("2024-01-01T00:30:00Z")).patch.empty());
}

TEST_CASE("spec §4.4 skipImmediately: true (or the server default) is reset and lastSkipped = now") {
  auto s = make("0 * * * *", "2024-01-01T00:00:00Z");
  s.spec.skip_immediately = true;
  auto d = decide(s, T("2024-01-01T05:10:00Z"));
  CHECK(J(d.patch) ==
        R"({"spec":{"skipImmediately":false},"status":{"lastSkipped":"2024-01-01T05:10:00Z","phase":"Enabled"}})");
  CHECK_FALSE(d.backup);  // due from creationTimestamp, but lastSkipped is later
  CHECK(format_rfc3339(*d.next_run) == "2024-01-01T06:00:00Z");

  auto nil = make("0 * * * *", "2024-01-01T00:00:00Z");
  d = decide(nil, T("2024-01-01T05:10:00Z"), ScheduleDefaults{.skip_immediately = true});
  CHECK(d.schedule.status.last_skipped);
  CHECK_FALSE(d.backup);
  d = decide(nil, T("2024-01-01T05:10:00Z"), ScheduleDefaults{.skip_immediately = false});
  CHECK_FALSE(d.schedule.status.last_skipped);
  CHECK(d.backup);  // creationTimestamp 00:00 → next 01:00 ≤ 05:10

  // lastSkipped only counts when later than lastBackup.
  auto s2 = make("0 * * * *");
  s2.status.phase = "Enabled";
  s2.spec.skip_immediately = false;
  s2.status.last_backup = T("2024-01-01T05:00:00Z");
  s2.status.last_skipped = T("2024-01-01T03:30:00Z");
  CHECK(format_rfc3339(*decide(s2, T("2024-01-01T05:10:00Z")).next_run) == "2024-01-01T06:00:00Z");
}

TEST_CASE("spec §4.4 paused schedules are filtered out: no patch, no backup") {
  auto s = make("@every 1s");
  s.spec.paused = true;
  s.spec.skip_immediately = true;
  auto d = decide(s, T("2030-01-01T00:00:00Z"));
  CHECK(d.patch.empty());
  CHECK_FALSE(d.backup);
  CHECK(d.reason == "paused");
}

TEST_CASE("spec §4.4 FailedValidation with Velero's validationErrors; fixed, it becomes Enabled again") {
  auto s = make("0 25 * * *");
  auto d = decide(s, T("2024-01-01T00:00:00Z"));
  CHECK(d.schedule.status.phase == "FailedValidation");
  CHECK(J(d.patch) == R"({"spec":{"skipImmediately":false},"status":{"phase":"FailedValidation",)"
                      R"("validationErrors":["invalid schedule: end of range (25) above maximum (23): 25"]}})");
  CHECK_FALSE(d.backup);
  CHECK_FALSE(d.next_run);

  auto empty = make("");
  CHECK(decide(empty, T("2024-01-01T00:00:00Z")).schedule.status.validation_errors ==
        std::vector<std::string>{"Schedule must be a non-empty valid Cron expression"});

  s = d.schedule;
  s.spec.schedule = "0 23 * * *";
  d = decide(s, T("2024-01-01T00:00:00Z"));
  CHECK(J(d.patch) == R"({"status":{"phase":"Enabled","validationErrors":null}})");
}

TEST_CASE("spec §4.4 checkIfBackupInNewOrProgress: a run is skipped while one is \"\", New or InProgress") {
  auto s = make("@every 1m");
  velero::Backup b;
  b.metadata.namespace_ = "velero";
  b.metadata.name = "daily-1";
  b.metadata.labels["velero.io/schedule-name"] = "daily";
  for (const char* phase : {"", "New", "InProgress"}) {
    b.status.phase = phase;
    CHECK(backup_running(s, {b}));
  }
  b.status.phase = "Completed";
  CHECK_FALSE(backup_running(s, {b}));
  b.status.phase = "New";
  auto other = b;
  other.metadata.labels["velero.io/schedule-name"] = "weekly";
  CHECK_FALSE(backup_running(s, {other}));
  other = b;
  other.metadata.namespace_ = "elsewhere";
  CHECK_FALSE(backup_running(s, {other}));

  auto d = decide(s, T("2030-01-01T00:00:00Z"), {}, backup_running(s, {b}));
  CHECK_FALSE(d.backup);
  CHECK(d.backup_patch.empty());
  CHECK(d.reason == "due, but a backup of this schedule is still New or InProgress");
}

TEST_CASE("spec §4.4 TestGetBackup: names in UTC, labels and annotations, the template") {
  velero::Schedule s;
  s.metadata.namespace_ = "foo";
  s.metadata.name = "bar";
  CHECK(backup_for(s, T("2017-07-25T09:15:00Z")).metadata.name == "bar-20170725091500");
  CHECK(backup_for(s, T("2017-07-25T14:15:00Z")).metadata.name == "bar-20170725141500");
  auto b = backup_for(s, T("2017-07-25T14:15:00Z"));
  CHECK(b.metadata.namespace_ == "foo");
  CHECK(b.metadata.labels == velero::StringMap{{"velero.io/schedule-name", "bar"}});
  CHECK(b.metadata.annotations.empty());
  CHECK(b.metadata.owner_references.empty());
  CHECK(b.status.phase.empty());  // the backup controller takes "" as New

  s.spec.template_.included_namespaces = {"ns-1", "ns-2"};
  s.spec.template_.excluded_namespaces = {"ns-3"};
  s.spec.template_.ttl = std::chrono::nanoseconds(300);
  b = backup_for(s, T("2017-07-25T09:15:00Z"));
  CHECK(b.spec.included_namespaces == std::vector<std::string>{"ns-1", "ns-2"});
  CHECK(b.spec.excluded_namespaces == std::vector<std::string>{"ns-3"});
  CHECK(b.spec.ttl == std::chrono::nanoseconds(300));

  s.metadata.labels = {{"foo", "bar"}, {"bar", "baz"}};
  s.metadata.annotations = {{"foo", "bar"}, {"bar", "baz"}};
  b = backup_for(s, T("2017-07-25T14:15:00Z"));
  CHECK(b.metadata.labels == velero::StringMap{{"velero.io/schedule-name", "bar"}, {"bar", "baz"}, {"foo", "bar"}});
  CHECK(b.metadata.annotations == velero::StringMap{{"bar", "baz"}, {"foo", "bar"}});
  CHECK(b.spec.metadata.labels.empty());
}

TEST_CASE("spec §4.4 template metadata wins over the Schedule's; owner reference; resource policy") {
  velero::Schedule s;
  s.metadata.namespace_ = "velero";
  s.metadata.name = "nightly";
  s.metadata.uid = "uid-1";
  s.metadata.labels = {{"team", "a"}};
  s.metadata.annotations = {{"note", "schedule"}};
  s.spec.template_.metadata.labels = {{"tier", "gold"}};
  s.spec.template_.metadata.extra["annotations"] = json::object{{"note", "template"}};
  s.spec.use_owner_references_in_backup = true;
  velero::TypedLocalObjectReference policy;
  policy.api_group = "";
  policy.kind = "ConfigMap";
  policy.name = "policies";
  s.spec.template_.resource_policy = policy;
  auto b = backup_for(s, T("2024-02-29T23:59:59Z"));
  CHECK(b.metadata.name == "nightly-20240229235959");
  CHECK(b.metadata.labels == velero::StringMap{{"tier", "gold"}, {"velero.io/schedule-name", "nightly"}});
  // The builder adds the label to the template's own map, which the spec shares.
  CHECK(b.spec.metadata.labels == velero::StringMap{{"tier", "gold"}, {"velero.io/schedule-name", "nightly"}});
  CHECK(b.metadata.annotations == velero::StringMap{{"note", "template"}});
  REQUIRE(b.metadata.owner_references.size() == 1);
  const auto& ref = b.metadata.owner_references[0];
  CHECK(json::marshal(ref.to_json(), {.sort_keys = false}) == R"({"apiVersion":"velero.io/v1","kind":"Schedule","name":"nightly","uid":"uid-1","controller":true})");
  REQUIRE(b.spec.resource_policy);
  CHECK(b.spec.resource_policy->kind == "configmap");
  CHECK(b.spec.resource_policy->name == "policies");
  CHECK_FALSE(b.spec.resource_policy->api_group);
  s.spec.use_owner_references_in_backup = false;
  CHECK(backup_for(s, T("2024-02-29T23:59:59Z")).metadata.owner_references.empty());
}

TEST_CASE("spec §4.4 an expression that never fires is due on every reconcile, as in Velero") {
  // robfig's Next gives Go's zero time for Feb 30, and now.After(zero) is true.
  auto s = make("0 0 30 2 *");
  s.status.phase = "Enabled";
  s.spec.skip_immediately = false;
  s.status.last_backup = T("2024-01-01T00:00:00Z");
  auto d = decide(s, T("2024-01-01T00:00:01Z"));
  CHECK(d.backup);
}

TEST_CASE("spec §4.4 the local zone: expressions without CRON_TZ follow the server's zone") {
  auto s = make("0 1 * * *", "2024-06-01T00:00:00Z");
  s.status.phase = "Enabled";
  s.spec.skip_immediately = false;
  CHECK(format_rfc3339(*decide(s, T("2024-06-01T00:10:00Z")).next_run) == "2024-06-01T01:00:00Z");
  auto d = decide(s, T("2024-06-01T00:10:00Z"), ScheduleDefaults{.local_zone = "Europe/Berlin"});
  CHECK(format_rfc3339(*d.next_run) == "2024-06-01T23:00:00Z");  // 01:00 CEST
  s.spec.schedule = "CRON_TZ=Asia/Tokyo 0 1 * * *";
  CHECK(format_rfc3339(*decide(s, T("2024-06-01T00:10:00Z")).next_run) == "2024-06-01T16:00:00Z");
  CHECK(timestamped_name("s", T("2024-06-01T16:00:00Z")) == "s-20240601160000");
}
