/* Issue 12 from C: vbk_location_open takes a location's name from the locations file
 * ($VBACKUP_CONFIG), "" for its default; vbk_locations_list lists them; vbk_cluster_open takes
 * kubectl's request timeout. */
#include "capi_check.h"

#include <stdlib.h>

void location_tests(const char* scratch) {
  char config[4096], bucket[4096];
  snprintf(config, sizeof config, "%s/locations.yaml", scratch);
  snprintf(bucket, sizeof bucket, "%s/named-bucket", scratch);
  setenv("VBACKUP_CONFIG", config, 1);

  char* json = NULL;
  CHECK(vbk_locations_list(&json) == VBK_OK); /* no file: none */
  CHECK(json && strcmp(json, "[]") == 0);
  vbk_free(json);
  vbk_location* loc = NULL;
  CHECK(vbk_location_open("", &loc) == VBK_EINVALID); /* no default to take */
  CHECK(contains(vbk_last_error(), "no storage location"));

  FILE* f = fopen(config, "w");
  CHECK(f != NULL);
  if (!f) return;
  fprintf(f, "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: named}\n"
             "spec: {provider: file, default: true, objectStorage: {bucket: '%s'}}\n", bucket);
  fclose(f);
  CHECK(vbk_locations_list(&json) == VBK_OK);
  CHECK(contains(json, "\"name\": \"named\""));
  vbk_free(json);
  CHECK(vbk_location_open("named", &loc) == VBK_OK);
  CHECK(vbk_backup_list(loc, &json) == VBK_OK);
  CHECK(json && strcmp(json, "[]") == 0);
  vbk_free(json);
  vbk_location_close(loc);
  loc = NULL;
  CHECK(vbk_location_open("", &loc) == VBK_OK); /* the default */
  vbk_location_close(loc);
  loc = NULL;
  CHECK(vbk_location_open("missing", &loc) == VBK_ENOTFOUND);
  CHECK(contains(vbk_last_error(), "storage location \"missing\": no location of that name in"));
  CHECK(loc == NULL);
  unsetenv("VBACKUP_CONFIG");

  vbk_cluster* cluster = NULL;
  CHECK(vbk_cluster_open("{\"requestTimeout\": \"later\"}", &cluster) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "cluster options: requestTimeout: \"later\": Invalid timeout value"));
  CHECK(vbk_cluster_open("{\"requestTimeout\": 30}", &cluster) == VBK_EINVALID); /* a string, as kubectl's flag */
}
