/* Volumes through the C ABI (issue 14, brief i14-delete): velero's volume fields in the Backup spec
 * (snapshotVolumes, csiSnapshotTimeout, itemOperationTimeout), describe's volume info and item
 * operations, and deleting a backup with a CSI snapshot without a cluster (csi §3): vbk_backup_delete
 * refuses (it could not say the snapshot is left), vbk_backup_delete_recorded names it. */
#include "capi_check.h"

#include <stdlib.h>

int failures = 0;
int checks = 0;

/* An uncompressed tar (the reader tells it from gzip by magic bytes) holding one file. */
static int write_tar(const char* path, const char* name, const char* body) {
  unsigned char h[512];
  memset(h, 0, sizeof h);
  size_t n = strlen(body);
  snprintf((char*)h, 100, "%s", name);
  snprintf((char*)h + 100, 8, "%07o", 0755);
  snprintf((char*)h + 108, 8, "%07o", 0);
  snprintf((char*)h + 116, 8, "%07o", 0);
  snprintf((char*)h + 124, 12, "%011o", (unsigned)n);
  snprintf((char*)h + 136, 12, "%011o", 0);
  h[156] = '0';
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (int i = 0; i < 512; ++i) sum += h[i];
  snprintf((char*)h + 148, 8, "%06o", sum);
  FILE* f = fopen(path, "wb");
  if (!f) return -1;
  fwrite(h, 1, 512, f);
  fwrite(body, 1, n, f);
  static const unsigned char zeros[1024];
  fwrite(zeros, 1, (512 - n % 512) % 512, f);
  fwrite(zeros, 1, 1024, f);
  return fclose(f);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: capi_volumes_test SOURCE_ROOT\n");
    return 2;
  }
  char scratch[] = "/tmp/vbk-capi-volumes-XXXXXX";
  if (!mkdtemp(scratch)) return 2;
  char manifests[4096], url[4096], path[4096];
  snprintf(manifests, sizeof manifests, "%s/examples/manifests", argv[1]);
  snprintf(url, sizeof url, "file://%s/bucket", scratch);

  vbk_location* loc = NULL;
  vbk_cluster* src = NULL;
  CHECK(vbk_location_open(url, &loc) == VBK_OK);
  CHECK(vbk_cluster_open_manifests(manifests, NULL, &src) == VBK_OK);

  /* velero backup create --snapshot-volumes=false --csi-snapshot-timeout 5m --item-operation-timeout 1h */
  char* out = NULL;
  CHECK(vbk_backup_create(src, loc,
                          "{\"metadata\": {\"name\": \"vol\"}, \"spec\": {\"snapshotVolumes\": false, "
                          "\"csiSnapshotTimeout\": \"5m\", \"itemOperationTimeout\": \"1h\"}}",
                          NULL, NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"snapshotVolumes\": false"));
  CHECK(contains(out, "\"csiSnapshotTimeout\": \"5m0s\""));
  CHECK(contains(out, "\"itemOperationTimeout\": \"1h0m0s\""));
  vbk_free(out);
  out = NULL;
  CHECK(vbk_backup_create(src, loc, "{\"metadata\": {\"name\": \"bad\"}, \"spec\": {\"csiSnapshotTimeout\": \"soon\"}}",
                          NULL, NULL, &out) != VBK_OK);
  CHECK(contains(vbk_last_error(), "csiSnapshotTimeout"));
  vbk_free(out);
  out = NULL;

  /* describe with details: the volume info and item operations side files (csi §1.7, §1.4). */
  CHECK(vbk_backup_describe(loc, "vol", 1, &out) == VBK_OK);
  CHECK(contains(out, "\"volumeInfos\": ["));
  CHECK(contains(out, "\"itemOperations\": ["));
  vbk_free(out);
  out = NULL;

  /* A backup whose tarball holds a VolumeSnapshotContent of the backup (csi §1.6). */
  CHECK(vbk_backup_create(src, loc, "{\"metadata\": {\"name\": \"csi\"}}", NULL, NULL, NULL) == VBK_OK);
  snprintf(path, sizeof path, "%s/bucket/backups/csi/csi.tar.gz", scratch);
  CHECK(write_tar(path, "resources/volumesnapshotcontents.snapshot.storage.k8s.io/cluster/snapcontent-1.json",
                  "{\"apiVersion\":\"snapshot.storage.k8s.io/v1\",\"kind\":\"VolumeSnapshotContent\","
                  "\"metadata\":{\"name\":\"snapcontent-1\",\"labels\":{\"velero.io/backup-name\":\"csi\"}},"
                  "\"spec\":{\"deletionPolicy\":\"Retain\",\"driver\":\"hostpath.csi.k8s.io\"},"
                  "\"status\":{\"snapshotHandle\":\"snap-c1\"}}") == 0);
  /* Its resource list would name the content too; without one, the tarball is read. */
  snprintf(path, sizeof path, "%s/bucket/backups/csi/csi-resource-list.json.gz", scratch);
  CHECK(remove(path) == 0);
  CHECK(vbk_backup_delete(loc, "csi") == VBK_EUNSUPPORTED);
  CHECK(contains(vbk_last_error(), "storage snapshots were not deleted"));
  CHECK(contains(vbk_last_error(), "snap-c1"));
  CHECK(vbk_backup_get(loc, "csi", &out) == VBK_OK);  /* nothing was deleted */
  vbk_free(out);
  out = NULL;
  CHECK(vbk_backup_delete_recorded(loc, NULL, "csi", NULL, &out) == VBK_OK);
  CHECK(contains(out, "\"handlesNotDeleted\": [\n"));
  CHECK(contains(out, "\"snap-c1\""));
  CHECK(contains(out, "storage snapshots were not deleted"));
  vbk_free(out);
  out = NULL;
  CHECK(vbk_backup_get(loc, "csi", &out) == VBK_ENOTFOUND);
  /* Without snapshots, vbk_backup_delete deletes as before. */
  CHECK(vbk_backup_delete(loc, "vol") == VBK_OK);

  vbk_cluster_close(src);
  vbk_location_close(loc);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", scratch);
  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
