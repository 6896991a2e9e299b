/* Restores a backup as a dry run with an item hook (the in-process RestoreItemAction), C ABI. The
 * hook sees every item after Velero's own restore actions, just before it would go to the cluster;
 * here it adds the label restored-by: example to every object and leaves Secrets out.
 *   restore_hook MANIFESTS_DIR LOCATION OUTPUT_DIR
 * It backs up the manifests first, then plans the restore (no cluster needed) and writes every object
 * it would create to OUTPUT_DIR/<restore name>/, one YAML file each. */
#include "json_scan.h"
#include "vbackup.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const char label[] = "\"restored-by\":\"example\"";

/* item_json: {"groupResource", "resource", "sourceNamespace", "targetNamespace", "object"}. */
static int hook(void* user, const char* item_json, char** result_json) {
  char group_resource[256], name[256];
  const char* object = json_member(item_json, "object");
  const char* metadata = json_member(object, "metadata");
  (void)user;
  json_string(json_member(item_json, "groupResource"), group_resource, sizeof group_resource);
  json_string(json_member(metadata, "name"), name, sizeof name);
  if (strcmp(group_resource, "secrets") == 0) {
    printf("hook: skipped  %s %s\n", group_resource, name);
    static const char skip[] = "{\"skip\": true}"; /* recorded as skipped, never sent to the cluster */
    *result_json = malloc(sizeof skip);
    if (!*result_json) return 1; /* cancels the restore */
    memcpy(*result_json, skip, sizeof skip);
    return 0;
  }
  /* The answer {"object": …} is the object with the label spliced in: into metadata.labels, or as a
   * new metadata.labels. */
  const char* labels = json_member(metadata, "labels");
  const char* at = (labels ? labels : metadata) + 1; /* just inside the '{' */
  const int empty = *json_ws(at) == '}';
  const char* end = json_skip(object);
  char* out = malloc(strlen(item_json) + sizeof label + 32);
  if (!out) return 1; /* cancels the restore */
  sprintf(out, "{\"object\":%.*s%s%s%s%s%.*s}", (int)(at - object), object, labels ? "" : "\"labels\":{", label,
          labels ? "" : "}", empty ? "" : ",", (int)(end - at), at);
  *result_json = out; /* the library frees it with free() */
  printf("hook: labelled %s %s\n", group_resource, name);
  return 0;
}

static void print_plan_line(void* user, const char* plan_item_json) {
  (void)user;
  printf("plan: %s\n", plan_item_json); /* {"action", "kind", "namespace", "name", "reason"?} */
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s MANIFESTS_DIR LOCATION OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  char name[128], backup[256], restore[512], options[4200];
  snprintf(name, sizeof name, "c-hook-example-%ld-%d", (long)time(NULL), (int)getpid());
  snprintf(backup, sizeof backup, "{\"metadata\": {\"name\": \"%s\"}}", name);
  snprintf(restore, sizeof restore, "{\"metadata\": {\"name\": \"%s-hooked\"}, \"spec\": {\"backupName\": \"%s\"}}",
           name, name);
  snprintf(options, sizeof options, "{\"mode\": \"dryRun\", \"outputDir\": \"%s/%s-hooked\"}", argv[3], name);

  vbk_location* location = NULL;
  vbk_cluster* source = NULL;
  vbk_callbacks callbacks = VBK_CALLBACKS_INIT;
  callbacks.item = hook;
  callbacks.plan = print_plan_line;
  int rc = 1;
  if (vbk_location_open(argv[2], &location) != VBK_OK || vbk_cluster_open_manifests(argv[1], NULL, &source) != VBK_OK ||
      vbk_backup_create(source, location, backup, NULL, NULL, NULL) != VBK_OK) {
    fprintf(stderr, "backup failed: %s\n", vbk_last_error());
  } else if (vbk_restore_create(NULL /* a dry run */, location, restore, options, &callbacks, NULL) != VBK_OK) {
    fprintf(stderr, "restore failed: %s\n", vbk_last_error());
  } else {
    printf("%s-hooked: the objects are in %s/%s-hooked\n", name, argv[3], name);
    rc = 0;
  }
  vbk_cluster_close(source);
  vbk_location_close(location);
  return rc;
}
