/* vbk_sync_once and vbk_location_validate (brief i13-sync): two kube-test-server programs with
 * Velero's CRDs share one bucket (a folder); a backup made and recorded on A through the C ABI is
 * created on B by one sync, with its status; B's BackupStorageLocation gets lastSyncedTime. */
#define _GNU_SOURCE
#include "capi_check.h"
#include "capi_server.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int failures = 0;
int checks = 0;

/* The test API server seeded with `seed1` and `seed2` (may be NULL); its kubeconfig in `kubeconfig`. */
static pid_t start_server(const char* scratch, const char* tag, const char* seed1, const char* seed2,
                          char* kubeconfig, size_t size) {
  char port_file[4096];
  snprintf(kubeconfig, size, "%s/%s-kubeconfig", scratch, tag);
  snprintf(port_file, sizeof port_file, "%s/%s-port", scratch, tag);
  const char* args[] = {"--crd-delay-ms", "0", "--seed", seed1, seed2 ? "--seed" : NULL, seed2, NULL};
  return capi_start_kube_server(kubeconfig, port_file, args);
}

static vbk_cluster* open_cluster(const char* kubeconfig) {
  char options[4300];
  snprintf(options, sizeof options, "{\"kubeconfig\": \"%s\"}", kubeconfig);
  vbk_cluster* c = NULL;
  CHECK(vbk_cluster_open(options, &c) == VBK_OK);
  return c;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  char scratch[] = "/tmp/vbk-capi-sync-XXXXXX";
  if (!mkdtemp(scratch)) return 2;
  char demo[4096], crds[4096], bsl_file[4096], url[4096], ka[4096], kb[4096];
  snprintf(demo, sizeof demo, "%s/examples/manifests", argv[1]);
  snprintf(crds, sizeof crds, "%s/tests/data/velero", argv[1]);
  snprintf(url, sizeof url, "file://%s/bucket", scratch);
  /* B's BackupStorageLocation "shared" over the same folder, seeded with the server. */
  snprintf(bsl_file, sizeof bsl_file, "%s/bsl.yaml", scratch);
  FILE* f = fopen(bsl_file, "w");
  if (!f) return 2;
  fprintf(f, "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: shared, namespace: velero}\n"
             "spec: {provider: file, objectStorage: {bucket: '%s/bucket'}}\n", scratch);
  fclose(f);

  pid_t a = start_server(scratch, "a", demo, crds, ka, sizeof ka);
  pid_t b = start_server(scratch, "b", crds, bsl_file, kb, sizeof kb);
  CHECK(a > 0 && b > 0);
  if (a <= 0 || b <= 0) return 1;
  vbk_cluster* ca = open_cluster(ka);
  vbk_cluster* cb = open_cluster(kb);
  vbk_location* loc = NULL;
  CHECK(vbk_location_open(url, &loc) == VBK_OK);
  char* out = NULL;
  CHECK(vbk_backup_create(ca, loc, "{\"metadata\": {\"name\": \"c1\"}, \"spec\": {\"includedNamespaces\": [\"demo\"]}}",
                          "{\"recordInCluster\": \"true\"}", NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"phase\": \"Completed\""));
  vbk_free(out);

  /* strict options; a folder of manifests is no cluster to sync into */
  CHECK(vbk_sync_once(cb, "shared", "{\"namespace\": \"velero\"}", &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "\"namespace\""));
  CHECK(vbk_sync_once(cb, "shared", "{\"requireAvailable\": \"yes\"}", &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "requireAvailable: expected true or false"));
  vbk_cluster* manifests = NULL;
  CHECK(vbk_cluster_open_manifests(demo, NULL, &manifests) == VBK_OK);
  CHECK(vbk_sync_once(manifests, "shared", NULL, &out) == VBK_EUNSUPPORTED);
  CHECK(contains(vbk_last_error(), "live cluster"));
  CHECK(vbk_location_validate(manifests, "shared", NULL, &out) == VBK_EUNSUPPORTED);
  vbk_cluster_close(manifests);
  /* a name found nowhere */
  CHECK(vbk_sync_once(cb, "nowhere", "{\"locationsFile\": \"/nonexistent/locations.yaml\"}", &out) == VBK_ENOTFOUND);
  CHECK(contains(vbk_last_error(), "nowhere"));

  /* spec §3.1: one sync creates it on B, with its status; lastSyncedTime on B's BSL */
  CHECK(vbk_sync_once(cb, "shared", NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"created\": [\n    \"c1\"\n  ]"));
  CHECK(contains(out, "\"location\": \"shared\""));
  CHECK(contains(out, "\"lastSyncedTime\""));
  vbk_free(out);
  CHECK(vbk_sync_once(cb, "shared", NULL, &out) == VBK_OK); /* nothing more to do */
  CHECK(contains(out, "\"created\": []"));
  vbk_free(out);

  /* spec §2.2 validation: Available, written to the BSL with "update" */
  CHECK(vbk_location_validate(cb, "shared", "{\"update\": true}", &out) == VBK_OK);
  CHECK(contains(out, "\"phase\": \"Available\""));
  CHECK(contains(out, "\"lastValidationTime\""));
  vbk_free(out);

  /* gone from the bucket: B's next sync deletes the CR */
  CHECK(vbk_backup_delete(loc, "c1") == VBK_OK);
  CHECK(vbk_sync_once(cb, "shared", NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"deleted\": [\n    \"c1\"\n  ]"));
  vbk_free(out);

  /* ReadOnly: a location opened from a ReadOnly BSL refuses delete */
  char ro[4400];
  snprintf(ro, sizeof ro, "{\"apiVersion\": \"velero.io/v1\", \"kind\": \"BackupStorageLocation\", \"metadata\": "
           "{\"name\": \"ro\"}, \"spec\": {\"provider\": \"file\", \"accessMode\": \"ReadOnly\", \"objectStorage\": "
           "{\"bucket\": \"%s/bucket\"}}}", scratch);
  vbk_location* rol = NULL;
  CHECK(vbk_location_open(ro, &rol) == VBK_OK);
  CHECK(vbk_backup_delete(rol, "c1") == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "read-only mode"));
  vbk_location_close(rol);

  vbk_location_close(loc);
  vbk_cluster_close(ca);
  vbk_cluster_close(cb);
  capi_stop_kube_server(a);
  capi_stop_kube_server(b);
  printf("%d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
