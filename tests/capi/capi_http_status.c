/* The HTTP answer behind a failure at the C boundary (issue 15: "exceptions per error category with
 * the Kubernetes HTTP status where there is one"; brief s3-docs): vbk_last_error_http_status() and
 * vbk_last_error_reason() after a 403 Forbidden and a 404 NotFound from the test API server, and 0 /
 * "" for failures that had no HTTP answer (or whose answer became a backup's failureReason) and after
 * a success.
 * The object stores' codes (NoSuchBucket, AuthorizationFailure) are checked from Python against
 * moto and Azurite (bindings/python/tests/test_http_status.py). */
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

/* The test API server seeded with Velero's CRDs, every request for DownloadRequests answered 403
 * (its "unreadable" fault switch); its kubeconfig in `kubeconfig`. */
static pid_t start_server(const char* source_root, const char* scratch, char* kubeconfig, size_t size) {
  char crds[4096], port_file[4096];
  snprintf(crds, sizeof crds, "%s/tests/data/velero", source_root);
  snprintf(kubeconfig, size, "%s/kubeconfig", scratch);
  snprintf(port_file, sizeof port_file, "%s/port", scratch);
  const char* args[] = {"--crd-delay-ms", "0", "--seed", crds, "--faults",
                        "{\"unreadable\": [{\"resource\": \"downloadrequests.velero.io\", \"code\": 403}]}", NULL};
  return capi_start_kube_server(kubeconfig, port_file, args);
}

static int no_http(void) { return vbk_last_error_http_status() == 0 && strcmp(vbk_last_error_reason(), "") == 0; }

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: capi_http_status_test SOURCE_ROOT\n");
    return 2;
  }
  char scratch[] = "/tmp/vbk-capi-http-XXXXXX";
  if (!mkdtemp(scratch)) return 2;
  char url[4200], kubeconfig[4096], options[4300];
  snprintf(url, sizeof url, "file://%s/bucket", scratch);

  /* Failures without an HTTP answer: 0 and "" */
  vbk_location* loc = NULL;
  CHECK(vbk_location_open(url, &loc) == VBK_OK);
  char* out = NULL;
  CHECK(vbk_backup_get(loc, "nope", &out) == VBK_ENOTFOUND);
  CHECK(no_http());
  CHECK(vbk_location_open("{\"spec\": ", NULL) == VBK_EINVALID);
  CHECK(no_http());

  pid_t server = start_server(argv[1], scratch, kubeconfig, sizeof kubeconfig);
  CHECK(server > 0);
  if (server > 0) {
    snprintf(options, sizeof options, "{\"kubeconfig\": \"%s\"}", kubeconfig);
    vbk_cluster* cluster = NULL;
    CHECK(vbk_cluster_open(options, &cluster) == VBK_OK);
    CHECK(no_http());

    /* 403 Forbidden: the API server refuses every DownloadRequest */
    CHECK(vbk_download_request_reconcile(cluster, "velero", "dr", NULL, &out) == VBK_EKUBE);
    CHECK(vbk_last_error_http_status() == 403);
    CHECK(strcmp(vbk_last_error_reason(), "Forbidden") == 0);
    CHECK(out == NULL);
    /* a success clears it */
    CHECK(vbk_cluster_version(cluster, &out) == VBK_OK);
    vbk_free(out);
    out = NULL;
    CHECK(no_http());

    /* 404 NotFound from the API server: the Backup CR a deletion request names is not there */
    CHECK(vbk_backup_request_deletion(cluster, "missing", NULL, &out) == VBK_ENOTFOUND);
    CHECK(vbk_last_error_http_status() == 404);
    CHECK(strcmp(vbk_last_error_reason(), "NotFound") == 0);
    CHECK(contains(vbk_last_error(), "404 NotFound"));

    /* A name the location holds: VBK_EEXISTS without an HTTP answer. (A Backup CR left behind takes
     * the name too, the API server's 409 AlreadyExists; the backup records it as its failureReason.) */
    const char* backup = "{\"metadata\": {\"name\": \"taken\"}, \"spec\": {\"includedNamespaces\": [\"velero\"]}}";
    CHECK(vbk_backup_create(cluster, loc, backup, "{\"recordInCluster\": true}", NULL, NULL) == VBK_OK);
    CHECK(vbk_backup_create(cluster, loc, backup, "{\"recordInCluster\": false}", NULL, NULL) == VBK_EEXISTS);
    CHECK(no_http());
    CHECK(vbk_backup_delete(loc, "taken") == VBK_OK);
    CHECK(vbk_backup_create(cluster, loc, backup, "{\"recordInCluster\": true}", NULL, NULL) == VBK_EEXISTS);
    CHECK(contains(vbk_last_error(), "kubectl delete backup taken -n velero"));

    vbk_cluster_close(cluster);
    capi_stop_kube_server(server);
  }
  vbk_location_close(loc);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", scratch);
  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
