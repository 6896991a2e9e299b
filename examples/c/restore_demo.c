/* Restores a backup as a dry run through the C ABI: no cluster is needed. Every object goes, after
 * all of the restore's transforms, into a folder (for `kubectl apply -f`), and the plan is printed,
 * one JSON line per object in restore order.
 *   restore_demo MANIFESTS_DIR LOCATION OUTPUT_DIR    back up the manifests first, then plan
 *   restore_demo --backup NAME LOCATION OUTPUT_DIR    plan the restore of a backup in LOCATION
 * The objects go to OUTPUT_DIR/<restore name>/. */
#include "vbackup.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void print_plan_line(void* user, const char* plan_item_json) {
  (void)user;
  /* {"action": "create", "groupResource", "kind", "namespace", "name", "reason" if skipped} */
  printf("%s\n", plan_item_json);
}

int main(int argc, char** argv) {
  if (argc != 4 && !(argc == 5 && strcmp(argv[1], "--backup") == 0)) {
    fprintf(stderr, "usage: %s MANIFESTS_DIR LOCATION OUTPUT_DIR\n       %s --backup NAME LOCATION OUTPUT_DIR\n",
            argv[0], argv[0]);
    return 2;
  }
  const int existing = argc == 5;
  const char* location_arg = argv[existing ? 3 : 2];
  const char* output_arg = argv[existing ? 4 : 3];
  char backup_name[128], backup[256], restore[512], options[4200];
  if (existing) {
    snprintf(backup_name, sizeof backup_name, "%s", argv[2]);
  } else {
    snprintf(backup_name, sizeof backup_name, "c-restore-example-%ld-%d", (long)time(NULL), (int)getpid());
  }
  /* A Backup and a Restore as Velero has them; names and folders here are plain, so no JSON
   * escaping is needed. */
  snprintf(backup, sizeof backup, "{\"metadata\": {\"name\": \"%s\"}}", backup_name);
  snprintf(restore, sizeof restore, "{\"metadata\": {\"name\": \"%s-dry-run\"}, \"spec\": {\"backupName\": \"%s\"}}",
           backup_name, backup_name);
  snprintf(options, sizeof options, "{\"mode\": \"dryRun\", \"outputDir\": \"%s/%s-dry-run\"}", output_arg, backup_name);

  vbk_location* location = NULL;
  vbk_cluster* source = NULL;
  char* result = NULL;
  vbk_callbacks callbacks = VBK_CALLBACKS_INIT;
  callbacks.plan = print_plan_line;
  int rc = 1;
  if (vbk_location_open(location_arg, &location) != VBK_OK) {
    fprintf(stderr, "error: %s\n", vbk_last_error());
  } else if (!existing && (vbk_cluster_open_manifests(argv[1], NULL, &source) != VBK_OK ||
                           vbk_backup_create(source, location, backup, NULL, NULL, NULL) != VBK_OK)) {
    fprintf(stderr, "backup failed: %s\n", vbk_last_error());
  } else if (vbk_restore_create(NULL /* no cluster: a dry run */, location, restore, options, &callbacks, &result) !=
             VBK_OK) {
    fprintf(stderr, "restore failed: %s\n", vbk_last_error());
  } else {
    fprintf(stderr, "%s-dry-run: the objects are in %s/%s-dry-run\n", backup_name, output_arg, backup_name);
    rc = 0;
  }
  vbk_free(result);
  vbk_cluster_close(source);
  vbk_location_close(location);
  return rc;
}
