/* A small disaster-recovery tool, C ABI: restores the newest Completed backup of a schedule into
 * another cluster, with a namespace mapping, after showing what it would change.
 *   dr_restore LOCATION SCHEDULE KUBECONFIG OLD=NEW[,OLD=NEW...]
 * A schedule's backups carry the label velero.io/schedule-name (named <schedule>-<yyyyMMddHHmmss>);
 * a Restore naming spec.scheduleName takes the newest Completed one, as `velero restore create
 * --from-schedule` does. Exits 1 with the message on any error. */
#include "json_scan.h"
#include "vbackup.h"

#include <stdio.h>
#include <time.h>

static const char* actions[] = {"create", "update", "unchanged", "skip", "fail"};
static int counts[5];

static void count_action(void* user, const char* plan_item_json) {
  char action[32];
  (void)user;
  json_string(json_member(plan_item_json, "action"), action, sizeof action);
  for (int i = 0; i < 5; ++i)
    if (strcmp(action, actions[i]) == 0) ++counts[i];
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s LOCATION SCHEDULE KUBECONFIG OLD=NEW[,OLD=NEW...]\n", argv[0]);
    return 2;
  }
  /* Plain names and paths: no JSON escaping needed here. */
  char mapping[1024], cluster_options[1024], restore[2048], backup[256], name[300], phase[64], *out = NULL;
  char* m = mapping; /* demo=demo-dr,a=b  ->  "demo":"demo-dr","a":"b" */
  *m++ = '"';
  for (const char* p = argv[4]; *p && m < mapping + sizeof mapping - 8; ++p) {
    if (*p == '=') m += sprintf(m, "\":\"");
    else if (*p == ',') m += sprintf(m, "\",\"");
    else *m++ = *p;
  }
  strcpy(m, "\"");
  snprintf(cluster_options, sizeof cluster_options, "{\"kubeconfig\": \"%s\"}", argv[3]);

  vbk_location* location = NULL;
  vbk_cluster* target = NULL;
  vbk_callbacks callbacks = VBK_CALLBACKS_INIT;
  callbacks.plan = count_action;
  int rc = 1;
  if (vbk_location_open(argv[1], &location) != VBK_OK || vbk_cluster_open(cluster_options, &target) != VBK_OK) goto fail;
  /* 1. The diff: a dry run against the live target that writes nothing anywhere. It resolves the
   *    schedule; its Restore names the backup taken, which the restore then uses. */
  snprintf(restore, sizeof restore, "{\"metadata\": {\"name\": \"%s-diff\"}, \"spec\": {\"scheduleName\": \"%s\", "
           "\"namespaceMapping\": {%s}}}", argv[2], argv[2], mapping);
  if (vbk_restore_create(target, location, restore, "{\"mode\": \"diff\"}", &callbacks, &out) != VBK_OK) goto fail;
  json_string(json_member(json_member(out, "spec"), "backupName"), backup, sizeof backup);
  vbk_free(out);
  printf("backup %s\ndiff:", backup);
  for (int i = 0; i < 5; ++i)
    if (counts[i]) printf(" %d %s", counts[i], actions[i]);
  printf("\n");
  /* 2. The restore itself, recorded in the location under restores/<name>/, named as `velero restore
   *    create --from-backup` names it: <backup>-<yyyyMMddHHmmss>. */
  time_t now = time(NULL);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", localtime(&now));
  snprintf(name, sizeof name, "%s-%s", backup, stamp);
  snprintf(restore, sizeof restore, "{\"metadata\": {\"name\": \"%s\"}, \"spec\": {\"backupName\": \"%s\", "
           "\"namespaceMapping\": {%s}}}", name, backup, mapping);
  if (vbk_restore_create(target, location, restore, "{\"mode\": \"apply\"}", NULL, &out) != VBK_OK) goto fail;
  json_string(json_member(json_member(out, "status"), "phase"), phase, sizeof phase);
  printf("restore %s: %s\n", name, phase);
  vbk_free(out);
  rc = strcmp(phase, "Completed") == 0 ? 0 : 1;
  goto done;
fail:
  fprintf(stderr, "error: %s\n", vbk_last_error());
done:
  vbk_cluster_close(target);
  vbk_location_close(location);
  return rc;
}
