/* Expiry and deletion through the C ABI (issue 13, brief i13-deletion; spec §3.2, §3.3): vbk_gc_once
 * turns an expired Backup into a DeleteBackupRequest (and labels one in a ReadOnly location),
 * vbk_delete_backup_request_process carries the request out against the bucket, and
 * vbk_backup_request_deletion submits one; against the kube-test-server program seeded with Velero's
 * CRDs and the Backup and BackupStorageLocation CRs. */
#define _GNU_SOURCE
#include "capi_check.h"
#include "capi_server.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int failures = 0;
int checks = 0;

static void write_file(const char* path, const char* text) {
  FILE* f = fopen(path, "w");
  if (!f) {
    perror(path);
    exit(2);
  }
  fputs(text, f);
  fclose(f);
}

/* The test API server seeded with `crds` and `objects`; its kubeconfig in `kubeconfig`. */
static pid_t start_server(const char* scratch, const char* crds, const char* objects, const char* kubeconfig) {
  char port_file[4096];
  snprintf(port_file, sizeof port_file, "%s/port", scratch);
  const char* args[] = {"--crd-delay-ms", "0", "--seed", crds, "--seed", objects, NULL};
  return capi_start_kube_server(kubeconfig, port_file, args);
}

/* The string value of "key": "…" in JSON text, copied into out ("" when absent). */
static void json_string(const char* json, const char* key, char* out, size_t size) {
  char pattern[256];
  snprintf(pattern, sizeof pattern, "\"%s\": \"", key);
  out[0] = 0;
  const char* p = json ? strstr(json, pattern) : NULL;
  if (!p) return;
  p += strlen(pattern);
  size_t n = 0;
  while (p[n] && p[n] != '"' && n + 1 < size) ++n;
  memcpy(out, p, n);
  out[n] = 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: capi_deletion_test SOURCE_ROOT\n");
    return 2;
  }
  const char* source_root = argv[1];
  char scratch[] = "/tmp/vbk-capi-deletion-XXXXXX";
  if (!mkdtemp(scratch)) {
    perror("mkdtemp");
    return 2;
  }
  char path[8400], url[4096], text[8192], crds[4096], seed[4096], kubeconfig[4096], options[4300];

  /* Two backups of the demo manifests in a file bucket. */
  snprintf(url, sizeof url, "file://%s/bucket", scratch);
  vbk_location* loc = NULL;
  CHECK(vbk_location_open(url, &loc) == VBK_OK);
  snprintf(path, sizeof path, "%s/examples/manifests", source_root);
  vbk_cluster* manifests = NULL;
  CHECK(vbk_cluster_open_manifests(path, NULL, &manifests) == VBK_OK);
  CHECK(vbk_backup_create(manifests, loc, "{\"metadata\": {\"name\": \"old\"}}", NULL, NULL, NULL) == VBK_OK);
  CHECK(vbk_backup_create(manifests, loc, "{\"metadata\": {\"name\": \"kept\"}}", NULL, NULL, NULL) == VBK_OK);
  CHECK(vbk_backup_create(manifests, loc, "{\"metadata\": {\"name\": \"third\"}}", NULL, NULL, NULL) == VBK_OK);

  /* Their CRs: "old" expired in location default, "kept" expired in the ReadOnly location "ro". */
  snprintf(seed, sizeof seed, "%s/seed", scratch);
  mkdir(seed, 0755);
  snprintf(path, sizeof path, "%s/objects.yaml", seed);
  snprintf(text, sizeof text,
           "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: velero}\n"
           "spec: {provider: file, objectStorage: {bucket: %s/bucket}}\nstatus: {phase: Available}\n---\n"
           "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: ro, namespace: velero}\n"
           "spec: {provider: file, accessMode: ReadOnly, objectStorage: {bucket: %s/bucket}}\nstatus: {phase: Available}\n---\n"
           "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: old, namespace: velero}\n"
           "spec: {storageLocation: default}\nstatus: {phase: Completed, expiration: \"2020-01-01T00:00:00Z\"}\n---\n"
           "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: kept, namespace: velero}\n"
           "spec: {storageLocation: ro}\nstatus: {phase: Completed, expiration: \"2020-01-01T00:00:00Z\"}\n---\n"
           "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: third, namespace: velero}\n"
           "spec: {storageLocation: default}\nstatus: {phase: Completed}\n",
           scratch, scratch);
  write_file(path, text);
  snprintf(crds, sizeof crds, "%s/tests/data/velero", source_root);
  snprintf(kubeconfig, sizeof kubeconfig, "%s/kubeconfig", scratch);
  pid_t server = start_server(scratch, crds, seed, kubeconfig);
  CHECK(server > 0);
  if (server <= 0) return 1;
  snprintf(options, sizeof options, "{\"kubeconfig\": \"%s\"}", kubeconfig);
  vbk_cluster* cluster = NULL;
  CHECK(vbk_cluster_open(options, &cluster) == VBK_OK);
  char* out = NULL;

  /* Strict options; a folder of manifests holds no custom resources. */
  CHECK(vbk_gc_once(cluster, "{\"dryrun\": true}", &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "gc options: unknown key \"dryrun\""));
  CHECK(vbk_gc_once(manifests, NULL, &out) == VBK_EUNSUPPORTED);
  CHECK(vbk_delete_backup_request_process(cluster, NULL, "x", "{\"restoreWaitSeconds\": \"1\"}", &out) == VBK_EINVALID);

  /* A dry run decides and writes nothing. */
  CHECK(vbk_gc_once(cluster, "{\"dryRun\": true}", &out) == VBK_OK);
  CHECK(contains(out, "\"dryRun\": true"));
  CHECK(contains(out, "\"action\": \"requested deletion\""));
  CHECK(!contains(out, "\"deleteBackupRequest\""));
  vbk_free(out);

  /* One pass: a request for "old", the gc-failure label BSLReadOnly on "kept". */
  CHECK(vbk_gc_once(cluster, NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"gcFailure\": \"BSLReadOnly\""));
  char request[256];
  json_string(out, "deleteBackupRequest", request, sizeof request);
  CHECK(strncmp(request, "old-", 4) == 0);
  vbk_free(out);

  /* The request carried out against the bucket: old's files and CR are gone, kept's stay. */
  CHECK(vbk_delete_backup_request_process(cluster, loc, request, NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"phase\": \"Processed\""));
  CHECK(contains(out, "\"backupDeleted\": true"));
  CHECK(!contains(out, "\"errors\""));
  vbk_free(out);
  CHECK(vbk_backup_get(loc, "old", &out) == VBK_ENOTFOUND);
  CHECK(vbk_backup_get(loc, "kept", &out) == VBK_OK);
  vbk_free(out);
  CHECK(vbk_delete_backup_request_process(cluster, loc, request, NULL, &out) == VBK_ENOTFOUND);

  /* velero backup delete with a server: the request for "kept" is refused (read-only location). */
  CHECK(vbk_backup_request_deletion(cluster, "gone", NULL, NULL) == VBK_ENOTFOUND);
  CHECK(vbk_backup_request_deletion(cluster, "kept", NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"velero.io/backup-name\": \"kept\""));
  CHECK(contains(out, "\"generateName\": \"kept-\""));
  json_string(out, "name", request, sizeof request);
  vbk_free(out);
  CHECK(vbk_delete_backup_request_process(cluster, NULL, request, NULL, &out) == VBK_OK);
  CHECK(contains(out, "cannot delete backup because backup storage location ro is currently in read-only mode"));
  vbk_free(out);
  CHECK(vbk_backup_get(loc, "kept", &out) == VBK_OK);
  vbk_free(out);

  /* Every pending request at once: only third's is pending (kept's ended Processed). */
  CHECK(vbk_backup_request_deletion(cluster, "third", NULL, NULL) == VBK_OK);
  CHECK(vbk_delete_backup_requests_process(cluster, loc, "{\"restoreWaitSeconds\": 5}", &out) == VBK_OK);
  CHECK(contains(out, "\"backupName\": \"third\""));
  CHECK(!contains(out, "\"backupName\": \"kept\""));
  CHECK(contains(out, "\"backupDeleted\": true"));
  vbk_free(out);
  CHECK(vbk_backup_get(loc, "third", &out) == VBK_ENOTFOUND);
  CHECK(vbk_delete_backup_requests_process(cluster, NULL, NULL, &out) == VBK_OK);
  CHECK(out && strcmp(out, "[]") == 0);
  vbk_free(out);

  vbk_cluster_close(cluster);
  vbk_cluster_close(manifests);
  vbk_location_close(loc);
  capi_stop_kube_server(server);
  snprintf(path, sizeof path, "rm -rf '%s'", scratch);
  if (system(path) != 0) fprintf(stderr, "could not remove %s\n", scratch);
  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
