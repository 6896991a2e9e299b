/* The restore option "spoolDir" (issue 17, brief s5-spooldir): a restore through the C ABI spools
 * the backup into the directory given (files unlinked at once, seen open while it runs), completes,
 * and leaves the directory empty; a directory that does not exist fails the restore, naming it,
 * before anything is created in the cluster. */
#define _GNU_SOURCE
#include "capi_check.h"
#include "capi_server.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int failures = 0;
int checks = 0;

/* The test API server seeded with `seed`; its kubeconfig in `kubeconfig`. */
static pid_t start_server(const char* scratch, const char* seed, char* kubeconfig, size_t size) {
  char port_file[4096];
  snprintf(kubeconfig, size, "%s/kubeconfig", scratch);
  snprintf(port_file, sizeof port_file, "%s/port", scratch);
  const char* args[] = {"--crd-delay-ms", "0", "--seed", seed, NULL};
  return capi_start_kube_server(kubeconfig, port_file, args);
}

/* Entries of `dir` (without . and ..), or -1 when it cannot be read. */
static int entries(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d))) n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

/* This process's descriptors on files whose path starts with `prefix` (deleted ones included). */
static int open_files(const char* prefix) {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  struct dirent* e;
  char link[512], target[4096];
  while ((e = readdir(d))) {
    snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
    ssize_t len = readlink(link, target, sizeof target - 1);
    if (len <= 0) continue;
    target[len] = 0;
    n += strncmp(target, prefix, strlen(prefix)) == 0;
  }
  closedir(d);
  return n;
}

struct spool_state {
  const char* spool;
  int plans, created, most_open;
};

static void on_plan(void* user, const char* line) {
  struct spool_state* s = (struct spool_state*)user;
  ++s->plans;
  s->created += contains(line, "\"action\":\"created\"");
  int n = open_files(s->spool);
  if (n > s->most_open) s->most_open = n;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  char scratch[] = "/tmp/vbk-capi-spool-XXXXXX";
  if (!mkdtemp(scratch)) return 2;
  char demo[4096], crds[4096], url[4200], kubeconfig[4200], spool[4200], missing[4300], options[8800];
  snprintf(demo, sizeof demo, "%s/examples/manifests", argv[1]);
  snprintf(crds, sizeof crds, "%s/tests/data/velero", argv[1]);
  snprintf(url, sizeof url, "file://%s/bucket", scratch);
  snprintf(spool, sizeof spool, "%s/spool", scratch);
  snprintf(missing, sizeof missing, "%s/no-such-dir", spool);
  mkdir(spool, 0700);

  pid_t server = start_server(scratch, crds, kubeconfig, sizeof kubeconfig);
  CHECK(server > 0);
  if (server <= 0) return 1;
  vbk_location* loc = NULL;
  CHECK(vbk_location_open(url, &loc) == VBK_OK);
  vbk_cluster* manifests = NULL;
  CHECK(vbk_cluster_open_manifests(demo, NULL, &manifests) == VBK_OK);
  CHECK(vbk_backup_create(manifests, loc, "{\"metadata\": {\"name\": \"b1\"}, \"spec\": {\"includedNamespaces\": [\"demo\"]}}",
                          NULL, NULL, NULL) == VBK_OK);
  vbk_cluster_close(manifests);
  snprintf(options, sizeof options, "{\"kubeconfig\": \"%s\"}", kubeconfig);
  vbk_cluster* cluster = NULL;
  CHECK(vbk_cluster_open(options, &cluster) == VBK_OK);
  char* out = NULL;

  /* A directory that does not exist: the restore fails naming it, and nothing reaches the cluster. */
  struct spool_state s = {spool, 0, 0, 0};
  vbk_callbacks cb = VBK_CALLBACKS_INIT;
  cb.plan = on_plan;
  cb.user = &s;
  snprintf(options, sizeof options, "{\"spoolDir\": \"%s\", \"recordInCluster\": false}", missing);
  CHECK(vbk_restore_create(cluster, loc, "{\"metadata\": {\"name\": \"r0\"}, \"spec\": {\"backupName\": \"b1\"}}", options,
                           &cb, &out) != VBK_OK);
  CHECK(contains(vbk_last_error(), missing));
  CHECK(s.plans == 0);
  vbk_free(out);
  out = NULL;

  /* The spool directory given: the files are open there while the restore runs, and gone after. */
  snprintf(options, sizeof options, "{\"spoolDir\": \"%s\", \"recordInCluster\": false, \"parallel\": 1}", spool);
  CHECK(vbk_restore_create(cluster, loc, "{\"metadata\": {\"name\": \"r1\"}, \"spec\": {\"backupName\": \"b1\"}}", options,
                           &cb, &out) == VBK_OK);
  CHECK(contains(out, "\"phase\": \"Completed\""));
  CHECK(s.plans > 0);
  CHECK(s.created == s.plans); /* into an empty cluster: every object created */
  CHECK(s.most_open >= 2); /* the spool, its index, the restored set */
  CHECK(open_files(spool) == 0);
  CHECK(entries(spool) == 0);
  vbk_free(out);

  vbk_cluster_close(cluster);
  vbk_location_close(loc);
  capi_stop_kube_server(server);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", scratch);
  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
