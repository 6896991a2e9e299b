/* Inspecting stored backups through the C ABI (vbackup.h "inspecting a backup"): the items with a
 * restore's filters, one item, and the changes between two backups; strict options, NULL arguments. */
#define _GNU_SOURCE
#include "capi_check.h"

#include <stdlib.h>

/* Changes the ConfigMap web-config of the second backup, and leaves the Secret out of it. */
static int change_config(void* user, const char* item_json, char** result_json) {
  (void)user;
  if (contains(item_json, "\"kind\":\"ConfigMap\"") && contains(item_json, "\"name\":\"web-config\"")) {
    *result_json = strdup("{\"object\": {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": "
                          "{\"name\": \"web-config\", \"namespace\": \"demo\"}, \"data\": {\"greeting\": \"changed\"}}}");
  } else if (contains(item_json, "\"kind\":\"Secret\"")) {
    *result_json = strdup("{\"skip\": true}");
  }
  return 0;
}

void inspect_tests(const char* scratch, vbk_location* loc, vbk_cluster* manifests) {
  (void)scratch;
  char* out = (char*)1;
  CHECK(vbk_backup_create(manifests, loc, "{\"metadata\": {\"name\": \"monday\"}}", NULL, NULL, NULL) == VBK_OK);
  vbk_callbacks cb = VBK_CALLBACKS_INIT;
  cb.item = change_config;
  CHECK(vbk_backup_create(manifests, loc, "{\"metadata\": {\"name\": \"tuesday\"}}", NULL, &cb, NULL) == VBK_OK);

  /* NULL arguments */
  CHECK(vbk_backup_items(NULL, "monday", NULL, &out) == VBK_EINVALID);
  CHECK(out == NULL);
  CHECK(vbk_backup_items(loc, NULL, NULL, &out) == VBK_EINVALID);
  CHECK(vbk_backup_items(loc, "monday", NULL, NULL) == VBK_EINVALID);
  CHECK(vbk_backup_item(loc, "monday", NULL, &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "item must not be NULL"));
  CHECK(vbk_backup_diff(loc, "monday", NULL, &out) == VBK_EINVALID);
  CHECK(vbk_backup_diff(loc, NULL, "tuesday", &out) == VBK_EINVALID);

  /* every item once, in restore order: the CRD first (restore §2.2) */
  CHECK(vbk_backup_items(loc, "monday", NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"groupResource\": \"customresourcedefinitions.apiextensions.k8s.io\""));
  CHECK(contains(out, "\"kind\": \"apps/v1/Deployment\""));
  CHECK(out && strstr(out, "customresourcedefinitions") < strstr(out, "deployments.apps"));
  vbk_free(out);
  /* with a restore's filters and names */
  CHECK(vbk_backup_items(loc, "monday", "{\"filters\": {\"includedResources\": [\"configmaps\"]}}", &out) == VBK_OK);
  CHECK(contains(out, "\"name\": \"web-config\""));
  CHECK(!contains(out, "deployments.apps"));
  vbk_free(out);
  CHECK(vbk_backup_items(loc, "monday", "{\"includeNames\": [\"demo/web\"]}", &out) == VBK_OK);
  CHECK(contains(out, "\"groupResource\": \"deployments.apps\""));
  CHECK(!contains(out, "web-config"));
  vbk_free(out);
  /* strict options, filters that do not validate, a backup that does not exist */
  CHECK(vbk_backup_items(loc, "monday", "{\"filter\": {}}", &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "unknown key \"filter\""));
  CHECK(out == NULL);
  CHECK(vbk_backup_items(loc, "monday", "{\"filters\": []}", &out) == VBK_EINVALID);
  CHECK(vbk_backup_items(loc, "monday", "{\"filters\": {\"excludedNamespaces\": [\"*\"]}}", &out) == VBK_EINVALID);
  CHECK(vbk_backup_items(loc, "nope", NULL, &out) == VBK_ENOTFOUND);
  CHECK(contains(vbk_last_error(), "nope"));

  /* one item as stored, by the names a restore takes */
  CHECK(vbk_backup_item(loc, "monday", "deployments.apps/demo/web", &out) == VBK_OK);
  CHECK(contains(out, "\"kind\": \"Deployment\""));
  vbk_free(out);
  CHECK(vbk_backup_item(loc, "monday", "pv/pv-demo-web-data", &out) == VBK_OK);
  CHECK(contains(out, "\"kind\": \"PersistentVolume\""));
  vbk_free(out);
  out = (char*)1;
  CHECK(vbk_backup_item(loc, "monday", "configmaps/demo/nope", &out) == VBK_ENOTFOUND);
  CHECK(out == NULL);
  CHECK(contains(vbk_last_error(), "demo/nope"));

  /* what changed from monday to tuesday: the ConfigMap changed, the Secret went */
  CHECK(vbk_backup_diff(loc, "monday", "tuesday", &out) == VBK_OK);
  CHECK(contains(out, "\"change\": \"changed\""));
  CHECK(contains(out, "\"change\": \"removed\""));
  CHECK(contains(out, "\"name\": \"web-credentials\""));
  CHECK(contains(out, "greeting"));
  CHECK(!contains(out, "\"name\": \"web\","));  /* the Deployment is the same */
  vbk_free(out);
  CHECK(vbk_backup_diff(loc, "monday", "monday", &out) == VBK_OK);
  CHECK(out && strcmp(out, "[]") == 0);
  vbk_free(out);
  CHECK(vbk_backup_diff(loc, "monday", "nope", &out) == VBK_ENOTFOUND);
}
