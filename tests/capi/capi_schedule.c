/* Schedules through the C ABI (brief i13-schedule, spec §4.4): vbk_schedule_next with robfig's
 * vectors and Velero's validation messages, vbk_schedule_decide for a due schedule, a running
 * backup, a paused one, and strict options. */
#include "capi_check.h"

#include <stdlib.h>

int failures = 0;
int checks = 0;

static void next_is(const char* expr, const char* after, const char* expected) {
  char* out = NULL;
  CHECK(vbk_schedule_next(expr, after, &out) == VBK_OK);
  CHECK(out && strcmp(out, expected) == 0);
  if (out && strcmp(out, expected) != 0) fprintf(stderr, "  %s after %s: %s, expected %s\n", expr, after, out, expected);
  vbk_free(out);
}

int main(void) {
  char* out = NULL;

  /* robfig's TestNext, in New York across the spring DST gap (02:00 does not exist) */
  next_is("TZ=America/New_York 0 * * * *", "2012-03-11T06:00:00Z", "2012-03-11T07:00:00Z");
  next_is("CRON_TZ=America/New_York 0 2 * * *", "2012-03-11T05:00:00Z", "2012-03-12T06:00:00Z");
  next_is("@every 1h30m", "2024-01-01T00:00:00Z", "2024-01-01T01:30:00Z");
  next_is("0 1 * * *", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z");
  next_is("* * 1,15 * Sun", "2012-07-14T23:59:59Z", "2012-07-15T00:00:00Z");
  /* NULL = now: some time, in RFC 3339 UTC */
  CHECK(vbk_schedule_next("@hourly", NULL, &out) == VBK_OK);
  CHECK(out && strlen(out) == 20 && out[19] == 'Z');
  vbk_free(out);
  out = NULL;

  /* Velero's validation messages */
  CHECK(vbk_schedule_next("0 25 * * *", NULL, &out) == VBK_EINVALID);
  CHECK(out == NULL);
  CHECK(strcmp(vbk_last_error(), "invalid schedule: end of range (25) above maximum (23): 25") == 0);
  CHECK(vbk_schedule_next("CRON_TZ=Nowhere/Land 0 1 * * *", NULL, &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "provided bad location Nowhere/Land: unknown time zone Nowhere/Land"));
  CHECK(vbk_schedule_next("0 0 30 2 *", "2024-01-01T00:00:00Z", &out) == VBK_ENOTFOUND);
  CHECK(contains(vbk_last_error(), "no run within five years"));
  CHECK(vbk_schedule_next("0 1 * * *", "yesterday", &out) == VBK_EINVALID);
  CHECK(vbk_schedule_next(NULL, NULL, &out) == VBK_EINVALID);

  /* decide: a new schedule, due from its creationTimestamp */
  const char* sched =
      "{\"apiVersion\": \"velero.io/v1\", \"kind\": \"Schedule\", \"metadata\": {\"name\": \"nightly\", "
      "\"namespace\": \"velero\", \"uid\": \"u-1\", \"creationTimestamp\": \"2024-01-01T00:00:00Z\"}, "
      "\"spec\": {\"schedule\": \"0 1 * * *\", \"useOwnerReferencesInBackup\": true, "
      "\"template\": {\"includedNamespaces\": [\"demo\"]}}}";
  CHECK(vbk_schedule_decide(sched, "2024-01-01T01:00:05Z", NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"name\": \"nightly-20240101010005\""));
  CHECK(contains(out, "\"velero.io/schedule-name\": \"nightly\""));
  CHECK(contains(out, "\"kind\": \"Schedule\""));
  CHECK(contains(out, "\"lastBackup\": \"2024-01-01T01:00:05Z\""));
  CHECK(contains(out, "\"phase\": \"Enabled\""));
  CHECK(contains(out, "\"nextRun\": \"2024-01-02T01:00:00Z\""));
  vbk_free(out);
  out = NULL;

  /* one of its backups still InProgress: no backup */
  const char* running =
      "{\"backups\": [{\"metadata\": {\"name\": \"nightly-1\", \"namespace\": \"velero\", \"labels\": "
      "{\"velero.io/schedule-name\": \"nightly\"}}, \"status\": {\"phase\": \"InProgress\"}}]}";
  CHECK(vbk_schedule_decide(sched, "2024-01-01T01:00:05Z", running, &out) == VBK_OK);
  CHECK(!contains(out, "\"backup\":"));
  CHECK(contains(out, "still New or InProgress"));
  vbk_free(out);
  out = NULL;

  /* the server's skip-immediately default */
  CHECK(vbk_schedule_decide(sched, "2024-01-01T01:00:05Z", "{\"skipImmediately\": true}", &out) == VBK_OK);
  CHECK(contains(out, "\"lastSkipped\": \"2024-01-01T01:00:05Z\""));
  CHECK(!contains(out, "\"backup\":"));
  vbk_free(out);
  out = NULL;

  /* strict options and bad input */
  CHECK(vbk_schedule_decide(sched, NULL, "{\"skipImediately\": true}", &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "unknown key \"skipImediately\""));
  CHECK(vbk_schedule_decide(sched, NULL, "{\"skipImmediately\": \"yes\"}", &out) == VBK_EINVALID);
  CHECK(vbk_schedule_decide("{\"spec\": {\"paused\": \"no\"}}", NULL, NULL, &out) == VBK_EINVALID);
  CHECK(out == NULL);
  CHECK(vbk_schedule_decide("{\"spec\": {\"schedule\": \"bad\"}}", "2024-01-01T00:00:00Z", NULL, &out) == VBK_OK);
  CHECK(contains(out, "invalid schedule: expected exactly 5 fields, found 1: [bad]"));
  CHECK(contains(out, "FailedValidation"));
  vbk_free(out);

  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
