/* The C ABI's leftovers calls (issue 12): vbk_location_leftovers reports what a killed backup left
 * in a file location (a temporary file never committed, a folder without velero-backup.json), and
 * vbk_location_prune removes what is older than the grace period, strict about its options. */
#include "capi_check.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

int failures = 0;
int checks = 0;

static void write_file(const char* path, const char* text, time_t mtime) {
  FILE* f = fopen(path, "w");
  if (!f) {
    perror(path);
    exit(2);
  }
  fputs(text, f);
  fclose(f);
  struct timeval times[2] = {{mtime, 0}, {mtime, 0}};
  utimes(path, times);
}

int main(void) {
  char scratch[] = "/tmp/vbk-capi-leftovers-XXXXXX";
  if (!mkdtemp(scratch)) {
    perror("mkdtemp");
    return 2;
  }
  char path[4096], url[4096];
  snprintf(path, sizeof path, "%s/backups", scratch);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/backups/killed", scratch);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/backups/half", scratch);
  mkdir(path, 0755);
  /* What a writer killed two hours ago left, and a folder a backup left a minute ago. */
  time_t now = time(NULL);
  snprintf(path, sizeof path, "%s/backups/killed/.vbk-tmp-killed.tar.gz-0123456789abcdef", scratch);
  write_file(path, "partial tarball", now - 7200);
  snprintf(path, sizeof path, "%s/backups/half/half.tar.gz", scratch);
  write_file(path, "tarball", now - 60);
  snprintf(url, sizeof url, "file://%s", scratch);

  vbk_location* loc = NULL;
  CHECK(vbk_location_open(url, &loc) == VBK_OK);
  char* out = NULL;
  CHECK(vbk_location_leftovers(loc, &out) == VBK_OK);
  CHECK(contains(out, "\"kind\": \"upload\""));
  CHECK(contains(out, "\"key\": \"backups/killed/killed.tar.gz\""));
  CHECK(contains(out, "\"uploadId\": \"backups/killed/.vbk-tmp-killed.tar.gz-0123456789abcdef\""));
  CHECK(contains(out, "\"kind\": \"backup\""));
  CHECK(contains(out, "\"key\": \"backups/half/\""));
  CHECK(contains(out, "\"ageSeconds\""));
  vbk_free(out);

  /* Strict options: a misspelt key or a bad duration is refused, naming it. */
  CHECK(vbk_location_prune(loc, "{\"graec\": \"1h\"}", &out) == VBK_EINVALID);
  CHECK(out == NULL);
  CHECK(contains(vbk_last_error(), "graec"));
  CHECK(vbk_location_prune(loc, "{\"grace\": \"1 hour\"}", &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "grace"));
  CHECK(vbk_location_prune(NULL, NULL, &out) == VBK_EINVALID);

  /* The default grace (1 h): the two-hour-old upload goes, the young folder stays. */
  CHECK(vbk_location_prune(loc, NULL, &out) == VBK_OK);
  const char* kept = out ? strstr(out, "\"kept\"") : NULL;
  CHECK(kept && contains(kept, "backups/half/"));
  CHECK(out && strstr(out, "backups/killed/killed.tar.gz") && strstr(out, "backups/killed/killed.tar.gz") < kept);
  CHECK(contains(out, "\"errors\": []"));
  vbk_free(out);
  snprintf(path, sizeof path, "%s/backups/killed", scratch);
  struct stat st;
  CHECK(stat(path, &st) != 0); /* the temporary file and its empty folder are gone */

  CHECK(vbk_location_prune(loc, "{\"grace\": \"0s\"}", &out) == VBK_OK);
  CHECK(contains(out, "backups/half/"));
  vbk_free(out);
  CHECK(vbk_location_leftovers(loc, &out) == VBK_OK);
  CHECK(out && strcmp(out, "[]") == 0);
  vbk_free(out);
  vbk_location_close(loc);

  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", scratch);
  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
