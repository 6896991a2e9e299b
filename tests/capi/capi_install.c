/* velero install through the C ABI (issue 13, brief i13-install): vbk_install_resources builds the
 * List velero install prints (strict options, velero's validation messages), and vbk_install applies
 * it to the kube-test-server program: everything created, then everything "already exists". */
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

static int count(const char* haystack, const char* needle) {
  int n = 0;
  for (const char* p = haystack; p && (p = strstr(p, needle)); p += strlen(needle)) ++n;
  return n;
}

/* The test API server without any CRD; its kubeconfig in `kubeconfig`. */
static pid_t start_server(const char* scratch, char* kubeconfig, size_t size) {
  char port_file[4096];
  snprintf(kubeconfig, size, "%s/kubeconfig", scratch);
  snprintf(port_file, sizeof port_file, "%s/port", scratch);
  const char* args[] = {"--crd-delay-ms", "0", NULL};
  return capi_start_kube_server(kubeconfig, port_file, args);
}

int main(void) {
  const char* options =
      "{\"provider\": \"aws\", \"bucket\": \"backups\", \"prefix\": \"a\", \"secretData\": \"[default]\\n\","
      " \"backupLocationConfig\": {\"region\": \"us-east-2\"}, \"useVolumeSnapshots\": false}";
  char* out = NULL;

  /* The List: 13 CRDs, then velero install's objects; no VSL with useVolumeSnapshots false. */
  CHECK(vbk_install_resources(options, &out) == VBK_OK);
  CHECK(contains(out, "\"kind\": \"List\""));
  CHECK(count(out, "\"kind\": \"CustomResourceDefinition\"") == 13);
  CHECK(contains(out, "\"name\": \"cloud-credentials\""));
  CHECK(contains(out, "\"kind\": \"BackupStorageLocation\""));
  CHECK(count(out, "\"name\": \"default\"") == 1); /* the BSL; no VolumeSnapshotLocation */
  CHECK(contains(out, "\"region\": \"us-east-2\""));
  vbk_free(out);
  out = NULL;
  CHECK(vbk_install_resources("{\"crdsOnly\": true}", &out) == VBK_OK);
  CHECK(count(out, "\"kind\": \"CustomResourceDefinition\"") == 13);
  CHECK(!contains(out, "\"kind\": \"Deployment\""));
  vbk_free(out);

  /* Strict options and velero's messages. */
  out = NULL;
  CHECK(vbk_install_resources("{\"bucket\": \"b\", \"provder\": \"aws\"}", &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "install options: unknown key \"provder\""));
  CHECK(out == NULL);
  CHECK(vbk_install_resources("{\"bucket\": \"b\"}", &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "--provider is required"));
  CHECK(vbk_install_resources("{\"provider\": \"aws\", \"bucket\": \"b\", \"useVolumeSnapshots\": \"no\"}", &out) ==
        VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "install options: useVolumeSnapshots: expected true or false"));
  CHECK(vbk_install_resources(NULL, &out) == VBK_EINVALID);
  CHECK(vbk_install_resources("{}", NULL) == VBK_EINVALID);

  /* vbk_install against the test API server, twice. */
  char scratch[] = "/tmp/vbk-capi-install-XXXXXX";
  if (!mkdtemp(scratch)) {
    perror("mkdtemp");
    return 2;
  }
  char kubeconfig[4096], cluster_options[4200];
  pid_t server = start_server(scratch, kubeconfig, sizeof kubeconfig);
  CHECK(server > 0);
  if (server > 0) {
    snprintf(cluster_options, sizeof cluster_options, "{\"kubeconfig\": \"%s\"}", kubeconfig);
    vbk_cluster* cluster = NULL;
    CHECK(vbk_cluster_open(cluster_options, &cluster) == VBK_OK);
    CHECK(vbk_install(cluster, "{\"provider\": \"aws\", \"bucket\": \"b\", \"wait\": \"yes\"}", &out) == VBK_EINVALID);
    CHECK(contains(vbk_last_error(), "install options: wait: expected true or false"));
    out = NULL;
    CHECK(vbk_install(cluster, options, &out) == VBK_OK);
    CHECK(count(out, "\"action\": \"created\"") == 13 + 6);
    CHECK(contains(out, "\"deploymentReady\": false"));
    vbk_free(out);
    out = NULL;
    CHECK(vbk_install(cluster, options, &out) == VBK_OK);
    CHECK(count(out, "\"action\": \"already exists\"") == 13 + 6);
    CHECK(!contains(out, "\"action\": \"created\""));
    vbk_free(out);
    /* "apply": server-side apply updates what exists. */
    out = NULL;
    CHECK(vbk_install(cluster, "{\"provider\": \"aws\", \"bucket\": \"b\", \"apply\": true, \"useVolumeSnapshots\": false}",
                      &out) == VBK_OK);
    CHECK(count(out, "\"action\": \"applied\"") == 13 + 5);
    vbk_free(out);
    /* --wait: no controller makes the Deployment Available in the test API server. */
    out = NULL;
    const char* waiting =
        "{\"provider\": \"aws\", \"bucket\": \"b\", \"wait\": true, \"waitTimeout\": \"1s\", \"useVolumeSnapshots\": false}";
    CHECK(vbk_install(cluster, waiting, &out) == VBK_EKUBE);
    CHECK(contains(vbk_last_error(), "Deployment velero/velero is not ready after 1s"));
    vbk_cluster_close(cluster);
    capi_stop_kube_server(server);
  }

  /* A folder of manifests is no place to install into. */
  vbk_cluster* manifests = NULL;
  CHECK(vbk_cluster_open_manifests(scratch, NULL, &manifests) == VBK_OK);
  CHECK(vbk_install(manifests, options, &out) == VBK_EUNSUPPORTED);
  vbk_cluster_close(manifests);

  printf("%d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
