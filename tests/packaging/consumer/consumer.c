/* An embedder's C program: prints the library's version and backs up a folder of manifests into a
 * location, through the C ABI only.   consumer_c MANIFESTS_DIR LOCATION NAME */
#include <vbackup.h>
#include <vbackup_version.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s MANIFESTS_DIR LOCATION NAME\n", argv[0]);
    return 2;
  }
  printf("libvbackup %s (headers %s)\n", vbk_version(), VBACKUP_VERSION);
  if (strcmp(vbk_version(), VBACKUP_VERSION) != 0) {
    fprintf(stderr, "the library is %s, the headers %s\n", vbk_version(), VBACKUP_VERSION);
    return 1;
  }
  char backup[256];
  snprintf(backup, sizeof backup, "{\"metadata\": {\"name\": \"%s\"}}", argv[3]);
  vbk_location* location = NULL;
  vbk_cluster* source = NULL;
  char* result = NULL;
  int rc = 1;
  if (vbk_location_open(argv[2], &location) != VBK_OK || vbk_cluster_open_manifests(argv[1], NULL, &source) != VBK_OK ||
      vbk_backup_create(source, location, backup, NULL, NULL, &result) != VBK_OK) {
    fprintf(stderr, "error: %s\n", vbk_last_error());
  } else if (strstr(result, "\"phase\": \"Completed\"") == NULL && strstr(result, "\"phase\":\"Completed\"") == NULL) {
    fprintf(stderr, "backup not Completed: %s\n", result);
  } else {
    printf("backup %s: Completed\n", argv[3]);
    rc = 0;
  }
  vbk_free(result);
  vbk_cluster_close(source);
  vbk_location_close(location);
  return rc;
}
