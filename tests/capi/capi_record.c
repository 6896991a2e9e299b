/* The Backup and Restore CRs through the C ABI (brief i12-record): the "recordInCluster" option of
 * vbk_backup_create and vbk_restore_create, and vbk_backup_delete_recorded /
 * vbk_restore_delete_recorded, against the kube-test-server program seeded with the Backup and
 * Restore CRDs that define the status subresource. */
#define _GNU_SOURCE
#include "capi_check.h"
#include "capi_server.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The test API server with the velero.io CRDs of `crds`; its kubeconfig in `kubeconfig`. */
static pid_t start_server(const char* scratch, const char* crds, char* kubeconfig, size_t size) {
  char port_file[4096];
  snprintf(kubeconfig, size, "%s/record-kubeconfig", scratch);
  snprintf(port_file, sizeof port_file, "%s/record-port", scratch);
  const char* args[] = {"--crd-delay-ms", "0", "--seed", crds, NULL};
  return capi_start_kube_server(kubeconfig, port_file, args);
}

void record_tests(const char* source_root, const char* scratch, vbk_location* loc) {
  char crds[4096], kubeconfig[4096], options[4300];
  snprintf(crds, sizeof crds, "%s/tests/data/velero-status-subresource", source_root);
  pid_t server = start_server(scratch, crds, kubeconfig, sizeof kubeconfig);
  CHECK(server > 0);
  if (server <= 0) return;
  snprintf(options, sizeof options, "{\"kubeconfig\": \"%s\"}", kubeconfig);
  vbk_cluster* cluster = NULL;
  CHECK(vbk_cluster_open(options, &cluster) == VBK_OK);
  const char* backup = "{\"metadata\": {\"name\": \"rec\"}, \"spec\": {\"includedNamespaces\": [\"velero\"]}}";
  char* out = NULL;

  /* strict: a value that is not auto, true or false is named */
  CHECK(vbk_backup_create(cluster, loc, backup, "{\"recordInCluster\": \"maybe\"}", NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "backup options: recordInCluster: expected auto, true or false"));
  CHECK(vbk_restore_create(cluster, loc, "{\"metadata\": {\"name\": \"r\"}, \"spec\": {\"backupName\": \"rec\"}}",
                           "{\"recordInCluster\": 1}", NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "recordInCluster"));

  /* true: recorded (status through /status), and deleted with the files */
  CHECK(vbk_backup_create(cluster, loc, backup, "{\"recordInCluster\": true}", NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"phase\": \"Completed\""));
  vbk_free(out);
  CHECK(vbk_restore_create(cluster, loc, "{\"metadata\": {\"name\": \"rec-r\"}, \"spec\": {\"backupName\": \"rec\"}}",
                           "{\"recordInCluster\": \"true\"}", NULL, NULL) == VBK_OK);
  CHECK(vbk_restore_delete_recorded(loc, cluster, "rec-r", NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"crDeleted\": true"));
  vbk_free(out);
  CHECK(vbk_backup_delete_recorded(loc, cluster, "rec", "{\"veleroNamespace\": \"velero\"}", &out) == VBK_OK);
  CHECK(contains(out, "\"crDeleted\": true"));
  vbk_free(out);
  CHECK(vbk_backup_delete_recorded(loc, cluster, "rec", NULL, NULL) == VBK_ENOTFOUND);
  CHECK(vbk_backup_delete_recorded(loc, cluster, "rec", "{\"namespace\": \"x\"}", NULL) == VBK_EINVALID);

  /* false: nothing recorded, so the delete finds no CR */
  CHECK(vbk_backup_create(cluster, loc, backup, "{\"recordInCluster\": false}", NULL, NULL) == VBK_OK);
  CHECK(vbk_backup_delete_recorded(loc, cluster, "rec", NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"crDeleted\": false"));
  vbk_free(out);
  /* without a cluster it is vbk_backup_delete */
  CHECK(vbk_backup_create(cluster, loc, backup, NULL, NULL, NULL) == VBK_OK);
  CHECK(vbk_backup_delete_recorded(loc, NULL, "rec", NULL, NULL) == VBK_OK);
  /* the CR left behind takes the name: VBK_EEXISTS, saying how to remove it */
  CHECK(vbk_backup_create(cluster, loc, backup, NULL, NULL, NULL) == VBK_EEXISTS);
  CHECK(contains(vbk_last_error(), "kubectl delete backup rec -n velero"));
  CHECK(vbk_backup_delete_recorded(loc, cluster, "rec", NULL, NULL) == VBK_OK);

  vbk_cluster_close(cluster);
  capi_stop_kube_server(server);
}
