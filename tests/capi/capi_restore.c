/* Restores through the C ABI: vbk_restore_create (dry run without a cluster, into a folder, diff
 * and apply against the test API server), the reads of recorded restores, strict options, NULL
 * arguments, and callbacks of version 1 and 2 (vbackup.h "restores", "callbacks"). */
#define _GNU_SOURCE
#include "capi_check.h"
#include "capi_server.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- callbacks ---------------------------------------------------------------------------------- */

struct restore_state {
  int plan_lines, log_lines, progress_calls, hook_calls;
  int service_at, config_at; /* their places in the plan, from 1 */
  int cancel_after;
  int64_t last_done, last_total;
  uint64_t bytes;
  char first_plan[512];
  char deployment[512]; /* the plan line of deployments.apps demo/web */
  char service[512];    /* the plan line of services demo/web */
  char config[512];     /* the plan line of configmaps demo/web-config */
};

static void keep_line(char* into, size_t size, const char* line) { snprintf(into, size, "%s", line); }

static void on_plan(void* user, const char* line) {
  struct restore_state* s = (struct restore_state*)user;
  if (s->plan_lines++ == 0) keep_line(s->first_plan, sizeof s->first_plan, line);
  if (contains(line, "\"groupResource\":\"deployments.apps\"") && contains(line, "\"name\":\"web\"")) {
    keep_line(s->deployment, sizeof s->deployment, line);
  }
  if (contains(line, "\"groupResource\":\"services\"") && contains(line, "\"name\":\"web\"")) {
    keep_line(s->service, sizeof s->service, line);
    s->service_at = s->plan_lines;
  }
  if (contains(line, "\"groupResource\":\"configmaps\"") && contains(line, "\"name\":\"web-config\"")) {
    keep_line(s->config, sizeof s->config, line);
    s->config_at = s->plan_lines;
  }
}

static void on_log(void* user, const char* level, const char* line) {
  struct restore_state* s = (struct restore_state*)user;
  if (level && contains(line, "level=")) ++s->log_lines;
}

static int on_progress(void* user, int64_t done, int64_t total, uint64_t bytes) {
  struct restore_state* s = (struct restore_state*)user;
  ++s->progress_calls;
  s->last_done = done;
  s->last_total = total;
  s->bytes += bytes;
  return s->cancel_after > 0 && done >= s->cancel_after;
}

/* The in-process RestoreItemAction: replaces the ConfigMap web-config, skips Services. */
static int on_item(void* user, const char* item_json, char** result_json) {
  struct restore_state* s = (struct restore_state*)user;
  ++s->hook_calls;
  if (contains(item_json, "\"groupResource\":\"configmaps\"") && contains(item_json, "\"name\":\"web-config\"")) {
    *result_json = strdup("{\"object\": {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": "
                          "{\"name\": \"web-config\", \"namespace\": \"demo\"}, \"data\": {\"greeting\": \"from the C hook\"}}}");
  } else if (contains(item_json, "\"groupResource\":\"services\"")) {
    *result_json = strdup("{\"skip\": true}");
  }
  return 0;
}

/* ---- helpers ------------------------------------------------------------------------------------ */

/* The content of the file of `dir` whose name contains `part` (malloc'ed), or NULL. */
static char* read_file_named(const char* dir, const char* part) {
  DIR* d = opendir(dir);
  if (!d) return NULL;
  char* text = NULL;
  struct dirent* e;
  while (!text && (e = readdir(d)) != NULL) {
    if (!strstr(e->d_name, part)) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE* f = fopen(path, "rb");
    if (!f) break;
    text = calloc(1, 1 << 16);
    if (text && fread(text, 1, (1 << 16) - 1, f) == 0) text[0] = '\0';
    fclose(f);
  }
  closedir(d);
  return text;
}

static int count_files(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* vbk_callbacks as an older header declared it (version 1: no `plan`), placed at the very end of a
 * readable page with an unreadable one after it: a library reading or writing `plan` would crash. */
struct callbacks_v1 {
  unsigned version;
  vbk_progress_fn progress;
  vbk_log_fn log;
  vbk_item_fn item;
  void* user;
};

static struct callbacks_v1* guarded_v1(void** page_out, size_t* size_out) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  char* p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  mprotect(p + page, page, PROT_NONE);
  *page_out = p;
  *size_out = 2 * page;
  return (struct callbacks_v1*)(p + page - sizeof(struct callbacks_v1));
}

/* Starts the test API server (empty: the restore creates everything); its kubeconfig in `kubeconfig`. */
static pid_t start_kube_server(const char* scratch, char* kubeconfig, size_t size) {
  char port_file[4096];
  snprintf(kubeconfig, size, "%s/kubeconfig", scratch);
  snprintf(port_file, sizeof port_file, "%s/kube-port", scratch);
  const char* args[] = {"--kubernetes-version", "v1.33.1", NULL};
  return capi_start_kube_server(kubeconfig, port_file, args);
}

/* ---- the tests ---------------------------------------------------------------------------------- */

static const char* const kRestore = "{\"metadata\": {\"name\": \"r1\"}, \"spec\": {\"backupName\": \"source\"}}";

static void arguments_and_options(vbk_location* loc) {
  char* out = (char*)1;
  /* NULL arguments: named, and *restore_out cleared */
  CHECK(vbk_restore_create(NULL, NULL, kRestore, NULL, NULL, &out) == VBK_EINVALID);
  CHECK(out == NULL);
  CHECK(contains(vbk_last_error(), "location must not be NULL"));
  CHECK(vbk_restore_create(NULL, loc, NULL, NULL, NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "restore_json must not be NULL"));
  CHECK(vbk_restore_list(NULL, &out) == VBK_EINVALID);
  CHECK(vbk_restore_list(loc, NULL) == VBK_EINVALID);
  CHECK(vbk_restore_get(loc, NULL, &out) == VBK_EINVALID);
  CHECK(out == NULL);
  CHECK(vbk_restore_describe(loc, NULL, 0, &out) == VBK_EINVALID);
  CHECK(vbk_restore_logs(NULL, "r", &out) == VBK_EINVALID);
  CHECK(vbk_restore_delete(loc, NULL) == VBK_EINVALID);
  /* strict options: an unknown key, a wrong type or value, each named */
  CHECK(vbk_restore_create(NULL, loc, kRestore, "{\"dryrun\": true}", NULL, &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "unknown key \"dryrun\""));
  CHECK(out == NULL);
  CHECK(vbk_restore_create(NULL, loc, kRestore, "{\"mode\": \"plan\"}", NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "mode: \"plan\""));
  CHECK(vbk_restore_create(NULL, loc, kRestore, "{\"parallel\": 0}", NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "parallel"));
  CHECK(vbk_restore_create(NULL, loc, kRestore, "{\"resourceTimeout\": \"ten minutes\"}", NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "ten minutes"));
  CHECK(vbk_restore_create(NULL, loc, kRestore, "{\"includeNames\": \"demo/web\"}", NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "includeNames: expected an array of strings"));
  CHECK(vbk_restore_create(NULL, loc, kRestore, "{\"maxBackupExtractionSize\": \"1Gi\"}", NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "maxBackupExtractionSize: expected an integer"));
  CHECK(vbk_restore_create(NULL, loc, "{\"metadata\": ", NULL, NULL, NULL) == VBK_EINVALID);
  /* without a cluster only a dry run is possible */
  CHECK(vbk_restore_create(NULL, loc, kRestore, "{\"mode\": \"apply\"}", NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "needs a live cluster"));
  CHECK(vbk_restore_create(NULL, loc, kRestore, "{\"mode\": \"diff\"}", NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "live cluster"));
  /* callbacks of a version this library does not know */
  vbk_callbacks future = VBK_CALLBACKS_INIT;
  future.version = 3;
  CHECK(vbk_restore_create(NULL, loc, kRestore, NULL, &future, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "version 3"));
  CHECK(vbk_callbacks_init(&future, 0) == VBK_EINVALID);
  /* restore §2.11: a restore of a backup that does not exist fails validation, with its status */
  CHECK(vbk_restore_create(NULL, loc, "{\"metadata\": {\"name\": \"r0\"}, \"spec\": {\"backupName\": \"nope\"}}", NULL, NULL,
                           &out) == VBK_EINVALID);
  CHECK(contains(out, "\"phase\": \"FailedValidation\""));
  CHECK(contains(out, "nope"));
  vbk_free(out);
}

static void dry_run(const char* scratch, vbk_location* loc) {
  char dir[4096], options[4300];
  snprintf(dir, sizeof dir, "%s/plan", scratch);
  snprintf(options, sizeof options, "{\"outputDir\": \"%s\", \"parallel\": 4, \"resourceTimeout\": \"30s\"}", dir);
  struct restore_state s;
  memset(&s, 0, sizeof s);
  vbk_callbacks cb;
  CHECK(vbk_callbacks_init(&cb, VBK_CALLBACKS_VERSION) == VBK_OK);
  CHECK(cb.version == 2 && cb.plan == NULL);
  cb.plan = on_plan;
  cb.log = on_log;
  cb.progress = on_progress;
  cb.item = on_item;
  cb.user = &s;
  char* out = NULL;
  CHECK(vbk_restore_create(NULL, loc, kRestore, options, &cb, &out) == VBK_OK);
  CHECK(contains(out, "\"kind\": \"Restore\""));
  CHECK(contains(out, "\"phase\": \"Completed\""));
  vbk_free(out);
  /* restore §2.2: CRDs first; every object in the plan, as it would be done */
  CHECK(contains(s.first_plan, "\"groupResource\":\"customresourcedefinitions.apiextensions.k8s.io\""));
  CHECK(contains(s.deployment, "\"action\":\"create\""));
  CHECK(contains(s.deployment, "\"kind\":\"apps/v1/Deployment\""));
  CHECK(contains(s.deployment, "\"namespace\":\"demo\""));
  CHECK(contains(s.service, "\"action\":\"skip\""));
  CHECK(contains(s.service, "item hook"));
  CHECK(contains(s.config, "\"action\":\"create\""));
  CHECK(s.hook_calls > 0 && s.log_lines > 0);
  CHECK(s.progress_calls > 0 && s.last_done == s.last_total && s.last_done > 0);
  CHECK(s.bytes == 0); /* a restore writes no bytes */
  /* the folder: one file per object created, the hook's ConfigMap as the hook made it, no Service */
  char* config = read_file_named(dir, "web-config");
  CHECK(contains(config, "from the C hook"));
  free(config);
  char* service = read_file_named(dir, "-service-");
  CHECK(service == NULL);
  free(service);
  CHECK(count_files(dir) > 5);
  /* a dry run leaves nothing in the location */
  CHECK(vbk_restore_list(loc, &out) == VBK_OK);
  CHECK(out && strcmp(out, "[]") == 0);
  vbk_free(out);
  /* the folder must be empty: a second plan into it is refused */
  CHECK(vbk_restore_create(NULL, loc, kRestore, options, NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "not empty"));

  /* includeNames (the --include-names shortcut): only demo/web-config is created */
  memset(&s, 0, sizeof s);
  vbk_callbacks plan_only = VBK_CALLBACKS_INIT;
  plan_only.plan = on_plan;
  plan_only.user = &s;
  CHECK(vbk_restore_create(NULL, loc, kRestore, "{\"mode\": \"dryRun\", \"includeNames\": [\"demo/web-config\"]}",
                           &plan_only, NULL) == VBK_OK);
  CHECK(contains(s.config, "\"action\":\"create\""));
  CHECK(!contains(s.deployment, "\"action\":\"create\""));

  /* restore §2.1: Velero's priorities put ConfigMaps before Services; the server flag's list
   * (a string, or its parts as an array) overrides them */
  CHECK(s.config_at > 0 && s.config_at < s.service_at);
  const char* priorities[] = {"{\"restoreResourcePriorities\": \"services,configmaps\"}",
                              "{\"restoreResourcePriorities\": [\"services\", \"configmaps\"]}"};
  for (int i = 0; i < 2; ++i) {
    memset(&s, 0, sizeof s);
    CHECK(vbk_restore_create(NULL, loc, kRestore, priorities[i], &plan_only, NULL) == VBK_OK);
    CHECK(s.service_at > 0 && s.service_at < s.config_at);
  }
  CHECK(vbk_restore_create(NULL, loc, kRestore, "{\"restoreResourcePriorities\": [\"services\", 1]}", NULL, NULL) ==
        VBK_EINVALID);

  /* cancel from the progress callback: VBK_ECANCELLED, no Restore handed out */
  memset(&s, 0, sizeof s);
  s.cancel_after = 2;
  vbk_callbacks cancel = VBK_CALLBACKS_INIT;
  cancel.progress = on_progress;
  cancel.user = &s;
  out = (char*)1;
  CHECK(vbk_restore_create(NULL, loc, kRestore, NULL, &cancel, &out) == VBK_ECANCELLED);
  CHECK(out == NULL);
  CHECK(s.last_done == 2);
}

static void callbacks_version_1(const char* scratch, vbk_location* loc, vbk_cluster* manifests) {
  void* page = NULL;
  size_t size = 0;
  struct callbacks_v1* v1 = guarded_v1(&page, &size);
  CHECK(v1 != NULL);
  if (!v1) return;
  /* vbk_callbacks_init writes only a version 1 struct's fields */
  CHECK(vbk_callbacks_init((vbk_callbacks*)v1, 1) == VBK_OK);
  CHECK(v1->version == 1 && v1->item == NULL && v1->user == NULL);
  struct restore_state s;
  memset(&s, 0, sizeof s);
  v1->item = on_item;
  v1->progress = on_progress;
  v1->user = &s;
  char dir[4096], options[4300];
  snprintf(dir, sizeof dir, "%s/plan-v1", scratch);
  snprintf(options, sizeof options, "{\"outputDir\": \"%s\"}", dir);
  /* a folder of manifests as the cluster: a dry run, as with none */
  CHECK(vbk_restore_create(manifests, loc, kRestore, options, (const vbk_callbacks*)v1, NULL) == VBK_OK);
  CHECK(s.hook_calls > 0 && s.progress_calls > 0);
  char* config = read_file_named(dir, "web-config");
  CHECK(contains(config, "from the C hook"));
  free(config);
  /* a backup reads version 1 callbacks too */
  memset(&s, 0, sizeof s);
  CHECK(vbk_backup_create(manifests, loc, "{\"metadata\": {\"name\": \"v1-callbacks\"}}", NULL, (const vbk_callbacks*)v1,
                          NULL) == VBK_OK);
  CHECK(s.progress_calls > 0);
  munmap(page, size);
}

static void live(const char* scratch, vbk_location* loc) {
  char kubeconfig[4096], options[4300];
  pid_t server = start_kube_server(scratch, kubeconfig, sizeof kubeconfig);
  CHECK(server > 0);
  if (server <= 0) return;
  snprintf(options, sizeof options, "{\"kubeconfig\": \"%s\"}", kubeconfig);
  vbk_cluster* cluster = NULL;
  CHECK(vbk_cluster_open(options, &cluster) == VBK_OK);

  struct restore_state s;
  memset(&s, 0, sizeof s);
  vbk_callbacks cb = VBK_CALLBACKS_INIT;
  cb.plan = on_plan;
  cb.user = &s;
  char* out = NULL;
  const char* live_restore = "{\"metadata\": {\"name\": \"r-live\"}, \"spec\": {\"backupName\": \"source\"}}";
  CHECK(vbk_restore_create(cluster, loc, live_restore, "{\"parallel\": 4}", &cb, &out) == VBK_OK);
  CHECK(contains(out, "\"phase\": \"Completed\""));
  vbk_free(out);
  CHECK(contains(s.deployment, "\"action\":\"created\""));
  /* the same name again: taken in the location */
  out = NULL;
  CHECK(vbk_restore_create(cluster, loc, live_restore, NULL, NULL, &out) == VBK_EEXISTS);
  CHECK(contains(out, "already exists"));
  vbk_free(out);
  /* a diff against what was just restored: nothing would change, nothing is written */
  memset(&s, 0, sizeof s);
  CHECK(vbk_restore_create(cluster, loc, "{\"metadata\": {\"name\": \"r-diff\"}, \"spec\": {\"backupName\": \"source\"}}",
                           "{\"mode\": \"diff\"}", &cb, NULL) == VBK_OK);
  CHECK(contains(s.deployment, "\"action\":\"unchanged\""));

  /* the reads of recorded restores */
  CHECK(vbk_restore_list(loc, &out) == VBK_OK);
  CHECK(contains(out, "\"name\": \"r-live\""));
  CHECK(!contains(out, "r-diff"));
  vbk_free(out);
  CHECK(vbk_restore_get(loc, "r-live", &out) == VBK_OK);
  CHECK(contains(out, "\"backupName\": \"source\""));
  vbk_free(out);
  out = (char*)1;
  CHECK(vbk_restore_get(loc, "nope", &out) == VBK_ENOTFOUND);
  CHECK(out == NULL);
  CHECK(contains(vbk_last_error(), "nope"));
  CHECK(vbk_restore_describe(loc, "r-live", 1, &out) == VBK_OK);
  CHECK(contains(out, "\"demo/web(created)\""));
  CHECK(contains(out, "\"results\""));
  vbk_free(out);
  CHECK(vbk_restore_describe(loc, "r-live", 0, &out) == VBK_OK);
  CHECK(!contains(out, "\"resourceList\""));
  vbk_free(out);
  CHECK(vbk_restore_logs(loc, "r-live", &out) == VBK_OK);
  CHECK(contains(out, "level=info"));
  vbk_free(out);
  CHECK(vbk_restore_delete(loc, "r-live") == VBK_OK);
  CHECK(vbk_restore_delete(loc, "r-live") == VBK_ENOTFOUND);

  vbk_cluster_close(cluster);
  capi_stop_kube_server(server);
}

void restore_tests(const char* scratch, vbk_location* loc, vbk_cluster* manifests) {
  CHECK(vbk_backup_create(manifests, loc, "{\"metadata\": {\"name\": \"source\"}}", NULL, NULL, NULL) == VBK_OK);
  arguments_and_options(loc);
  dry_run(scratch, loc);
  callbacks_version_1(scratch, loc, manifests);
  live(scratch, loc);
}
