/* Backs up a folder of manifests into a storage location through the C ABI.
 *   backup_demo MANIFESTS_DIR LOCATION [NAME]
 * e.g. backup_demo examples/manifests file:///tmp/backups demo */
#include "vbackup.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int progress(void* user, int64_t done, int64_t total, uint64_t bytes) {
  (void)user;
  (void)total;
  fprintf(stderr, "\r%lld items, %llu bytes", (long long)done, (unsigned long long)bytes);
  return 0; /* non-zero would cancel */
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MANIFESTS_DIR LOCATION [NAME]\n", argv[0]);
    return 2;
  }
  char name[64];
  if (argc > 3) {
    snprintf(name, sizeof name, "%s", argv[3]);
  } else {
    snprintf(name, sizeof name, "c-example-%ld-%d", (long)time(NULL), (int)getpid());
  }
  char backup[256];
  snprintf(backup, sizeof backup, "{\"metadata\": {\"name\": \"%s\"}, \"spec\": {\"ttl\": \"72h\"}}", name);

  vbk_location* location = NULL;
  vbk_cluster* source = NULL;
  char* result = NULL;
  vbk_callbacks callbacks = VBK_CALLBACKS_INIT;
  callbacks.progress = progress;
  int rc = 1;
  if (vbk_location_open(argv[2], &location) != VBK_OK || vbk_cluster_open_manifests(argv[1], NULL, &source) != VBK_OK) {
    fprintf(stderr, "error: %s\n", vbk_last_error());
  } else if (vbk_backup_create(source, location, backup, NULL, &callbacks, &result) != VBK_OK) {
    fprintf(stderr, "\nbackup failed: %s\n", vbk_last_error());
  } else {
    printf("\n%s\n", result);
    rc = 0;
  }
  vbk_free(result);
  vbk_cluster_close(source);
  vbk_location_close(location);
  return rc;
}
