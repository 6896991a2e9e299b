/* Issue 12, "say what was asked, do what was said", through the C ABI: "strictSpec" turns an unknown
 * Backup or Restore key into a validation error (a warning without it), a zstd backup carries its
 * annotation and warning, and the location check reports a missing folder without creating it. */
#define _GNU_SOURCE
#include "capi_check.h"

#include <stdlib.h>
#include <sys/stat.h>

void said_tests(const char* scratch, vbk_location* loc, vbk_cluster* manifests) {
  char* out = NULL;
  const char* typo = "{\"metadata\": {\"name\": \"typo\"}, \"spec\": {\"includedNamespace\": [\"demo\"]}}";
  CHECK(vbk_backup_create(manifests, loc, typo, "{\"strictSpec\": true}", NULL, &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "spec.includedNamespace is not a Backup field; did you mean includedNamespaces?"));
  CHECK(contains(out, "\"phase\": \"FailedValidation\""));
  vbk_free(out);
  out = NULL;
  CHECK(vbk_backup_create(manifests, loc, typo, "{\"strictSpec\": \"yes\"}", NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "backup options: strictSpec: expected true or false"));
  CHECK(vbk_backup_create(manifests, loc, typo, "{\"strictSpec\": false}", NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"warnings\": 1"));
  vbk_free(out);
  out = NULL;
  CHECK(vbk_backup_describe(loc, "typo", 1, &out) == VBK_OK);
  CHECK(contains(out, "did you mean includedNamespaces?"));
  vbk_free(out);
  out = NULL;

  /* the restore's spec, likewise */
  CHECK(vbk_restore_create(NULL, loc, "{\"metadata\": {\"name\": \"r\"}, \"spec\": {\"backupName\": \"typo\", "
                                      "\"namespaceMappings\": {\"demo\": \"x\"}}}",
                           "{\"mode\": \"dryRun\", \"strictSpec\": true}", NULL, NULL) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "spec.namespaceMappings is not a Restore field; did you mean namespaceMapping?"));

  /* zstd: recorded on the Backup and warned about */
  CHECK(vbk_backup_create(manifests, loc, "{\"metadata\": {\"name\": \"zst\"}}", "{\"compression\": \"zstd\"}", NULL,
                          &out) == VBK_OK);
  CHECK(contains(out, "\"vbackup.io/compression\": \"zstd\""));
  CHECK(contains(out, "\"warnings\": 1"));
  vbk_free(out);
  out = NULL;

  /* the check changes nothing: a missing folder is Unavailable and stays missing */
  char url[4096], folder[4096];
  snprintf(folder, sizeof folder, "%s/not-yet", scratch);
  snprintf(url, sizeof url, "file://%s", folder);
  vbk_location* missing = NULL;
  CHECK(vbk_location_open(url, &missing) == VBK_OK);
  CHECK(vbk_location_check(missing, &out) == VBK_OK);
  CHECK(contains(out, "\"phase\": \"Unavailable\""));
  CHECK(contains(out, "does not exist"));
  vbk_free(out);
  struct stat st;
  CHECK(stat(folder, &st) != 0);
  vbk_location_close(missing);
}
