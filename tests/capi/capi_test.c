/* The C ABI from C: every call, its error conventions and callbacks (capi/include/vbackup.h).
 * Run with the repository root as the argument; scratch files go to a fresh temporary directory. */
#include "capi_check.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int failures = 0;
int checks = 0;

struct progress_state {
  int calls;
  int cancel_after;
  int log_lines;
  int64_t first_done, first_total, last_done, last_total;
};

static int on_progress(void* user, int64_t done, int64_t total, uint64_t bytes) {
  struct progress_state* s = (struct progress_state*)user;
  (void)bytes;
  if (s->calls == 0) {
    s->first_done = done;
    s->first_total = total;
  }
  s->last_done = done;
  s->last_total = total;
  ++s->calls;
  return s->cancel_after > 0 && done >= s->cancel_after;
}

static void on_log(void* user, const char* level, const char* line) {
  struct progress_state* s = (struct progress_state*)user;
  if (level && line && contains(line, "level=")) ++s->log_lines;
}

/* Replaces the data of every ConfigMap; skips Secrets. */
static int on_item(void* user, const char* item_json, char** result_json) {
  (void)user;
  if (contains(item_json, "\"kind\":\"Secret\"") && contains(item_json, "\"resource\":\"secrets\"")) {
    *result_json = strdup("{\"skip\": true}");
  }
  return 0;
}

static int file_exists(const char* path) {
  struct stat st;
  return stat(path, &st) == 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: capi_test SOURCE_ROOT\n");
    return 2;
  }
  char scratch[] = "/tmp/vbk-capi-XXXXXX";
  if (!mkdtemp(scratch)) {
    perror("mkdtemp");
    return 2;
  }

  char manifests[4096], url[4096], path[4096];
  snprintf(manifests, sizeof manifests, "%s/examples/manifests", argv[1]);
  snprintf(url, sizeof url, "file://%s/bucket", scratch);

  /* version and the error conventions */
  CHECK(strcmp(vbk_version(), "0.1.0") == 0);
  {
    char header_version[32];
    snprintf(header_version, sizeof header_version, "%d.%d.%d", VBK_VERSION_MAJOR, VBK_VERSION_MINOR, VBK_VERSION_PATCH);
    CHECK(strcmp(vbk_version(), header_version) == 0); /* the header's macros are the library's version */
  }
  vbk_location* loc = NULL;
  CHECK(vbk_location_open("ftp://nowhere", &loc) == VBK_EINVALID);
  CHECK(loc == NULL);
  CHECK(contains(vbk_last_error(), "ftp://nowhere"));
  CHECK(vbk_last_error_code() == VBK_EINVALID);
  CHECK(vbk_location_open(NULL, &loc) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "location must not be NULL"));
  /* a valid location this build does not implement: its own category, naming the provider */
  CHECK(vbk_location_open("{\"apiVersion\": \"velero.io/v1\", \"kind\": \"BackupStorageLocation\", "
                          "\"metadata\": {\"name\": \"gcs\"}, \"spec\": {\"provider\": \"velero.io/gcp\", "
                          "\"objectStorage\": {\"bucket\": \"b\"}}}",
                          &loc) == VBK_EUNSUPPORTED);
  CHECK(loc == NULL);
  CHECK(contains(vbk_last_error(), "velero.io/gcp"));
  vbk_cluster* src = NULL;
  CHECK(vbk_cluster_open_manifests("/no/such/dir", NULL, &src) == VBK_ENOTFOUND);
  CHECK(contains(vbk_last_error(), "/no/such/dir"));

  CHECK(vbk_location_open(url, &loc) == VBK_OK);
  CHECK(strcmp(vbk_last_error(), "") == 0);
  CHECK(vbk_last_error_code() == VBK_OK);
  /* options are strict: an unknown key is an error naming it */
  CHECK(vbk_cluster_open_manifests(manifests, "{\"defaultNamespce\": \"x\"}", &src) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "\"defaultNamespce\""));
  CHECK(vbk_cluster_open("{\"kubecontext\": \"x\"}", &src) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "\"kubecontext\""));
  /* a folder of manifests has no server version */
  CHECK(vbk_cluster_open_manifests(manifests, NULL, &src) == VBK_OK);
  {
    char* v = NULL;
    CHECK(vbk_cluster_version(src, &v) == VBK_EUNSUPPORTED);
    CHECK(v == NULL);
  }
  vbk_cluster_close(src);
  src = NULL;
  CHECK(vbk_cluster_open_manifests(manifests, "{\"defaultNamespace\": \"default\"}", &src) == VBK_OK);

  /* a backup with callbacks */
  struct progress_state state = {0, 0, 0, 0, 0, 0, 0};
  vbk_callbacks cb = VBK_CALLBACKS_INIT;
  cb.progress = on_progress;
  cb.log = on_log;
  cb.item = on_item;
  cb.user = &state;
  char* out = NULL;
  CHECK(vbk_backup_create(src, loc, "{\"metadata\": {\"name\": \"demo\"}, \"spec\": {}}", NULL, &cb, &out) == VBK_OK);
  CHECK(contains(out, "\"phase\": \"Completed\""));
  CHECK(contains(out, "\"formatVersion\": \"1.1.0\""));
  CHECK(state.calls > 0);
  CHECK(state.log_lines > 0);
  /* the total is counted ahead (issue 6), and is the count at the end */
  CHECK(state.first_total > state.first_done);
  CHECK(state.last_total == state.last_done && state.last_done > state.first_done);
  vbk_free(out);
  snprintf(path, sizeof path, "%s/bucket/backups/demo/velero-backup.json", scratch);
  CHECK(file_exists(path));

  /* validation failure: the status comes back with the reasons */
  out = NULL;
  CHECK(vbk_backup_create(src, loc, "{\"metadata\": {\"name\": \"bad\"}, \"spec\": {\"excludedNamespaces\": [\"*\"]}}",
                          NULL, NULL, &out) == VBK_EINVALID);
  CHECK(contains(out, "FailedValidation"));
  CHECK(contains(vbk_last_error(), "excludes list cannot contain '*'"));
  vbk_free(out);

  /* the same name again */
  out = NULL;
  CHECK(vbk_backup_create(src, loc, "{\"metadata\": {\"name\": \"demo\"}}", NULL, NULL, &out) == VBK_EEXISTS);
  CHECK(contains(out, "already exists"));
  vbk_free(out);

  /* malformed input */
  CHECK(vbk_backup_create(src, loc, "{not json", NULL, NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "line 1"));
  CHECK(vbk_backup_create(src, loc, "{\"metadata\": {\"name\": \"z\"}}", "{\"compression\": \"lz4\"}", NULL, NULL) == VBK_EINVALID);
  /* a misspelt option never silently means the default */
  CHECK(vbk_backup_create(src, loc, "{\"metadata\": {\"name\": \"z\"}}", "{\"compresion\": \"zstd\"}", NULL, NULL) ==
        VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "unknown key \"compresion\""));
  /* callbacks of a version this library does not know */
  {
    vbk_callbacks future = VBK_CALLBACKS_INIT;
    future.version = 99;
    CHECK(vbk_backup_create(src, loc, "{\"metadata\": {\"name\": \"z\"}}", NULL, &future, NULL) == VBK_EINVALID);
    CHECK(contains(vbk_last_error(), "version 99"));
    CHECK(vbk_callbacks_init(&future, 99) == VBK_EINVALID);
  }

  /* cancel from the progress callback: nothing stays in storage */
  struct progress_state cancel = {0, 2, 0, 0, 0, 0, 0};
  vbk_callbacks cancel_cb;
  CHECK(vbk_callbacks_init(&cancel_cb, VBK_CALLBACKS_VERSION) == VBK_OK);
  cancel_cb.progress = on_progress;
  cancel_cb.user = &cancel;
  CHECK(vbk_backup_create(src, loc, "{\"metadata\": {\"name\": \"cancelled\"}}", "{\"compression\": \"zstd\"}",
                          &cancel_cb, NULL) == VBK_ECANCELLED);
  snprintf(path, sizeof path, "%s/bucket/backups/cancelled", scratch);
  CHECK(!file_exists(path));

  /* the location's validity check (spec §2.2) */
  CHECK(vbk_location_check(loc, &out) == VBK_OK);
  CHECK(contains(out, "\"phase\": \"Available\""));
  vbk_free(out);

  /* list, get, describe, logs, download, delete */
  CHECK(vbk_backup_list(loc, &out) == VBK_OK);
  CHECK(contains(out, "\"name\": \"demo\""));
  CHECK(!contains(out, "cancelled"));
  vbk_free(out);
  CHECK(vbk_backup_get(loc, "demo", &out) == VBK_OK);
  CHECK(contains(out, "\"kind\": \"Backup\""));
  vbk_free(out);
  CHECK(vbk_backup_get(loc, "nope", &out) == VBK_ENOTFOUND);
  CHECK(out == NULL);
  CHECK(contains(vbk_last_error(), "nope"));
  CHECK(vbk_backup_describe(loc, "demo", 1, &out) == VBK_OK);
  CHECK(contains(out, "\"apps/v1/Deployment\""));
  CHECK(!contains(out, "\"v1/Secret\""));  /* the item hook skipped it */
  vbk_free(out);
  CHECK(vbk_backup_logs(loc, "demo", &out) == VBK_OK);
  CHECK(contains(out, "msg=\"Backup completed\""));
  vbk_free(out);
  snprintf(path, sizeof path, "%s/demo-data.tar.gz", scratch);
  CHECK(vbk_backup_download(loc, "demo", path) == VBK_OK);
  CHECK(file_exists(path));

  restore_tests(scratch, loc, src);
  inspect_tests(scratch, loc, src);
  record_tests(argv[1], scratch, loc);

  CHECK(vbk_backup_delete(loc, "demo") == VBK_OK);
  CHECK(vbk_backup_delete(loc, "demo") == VBK_ENOTFOUND);

  vbk_cluster_close(src);
  vbk_location_close(loc);
  vbk_location_close(NULL);
  vbk_cluster_close(NULL);
  vbk_free(NULL);
  char cleanup[4200];
  snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", scratch);
  if (system(cleanup) != 0) fprintf(stderr, "could not remove %s\n", scratch);
  printf("capi_test: %d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
