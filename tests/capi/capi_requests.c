/* The C ABI's request calls (issue 13, brief i13-requests): vbk_download_url over an S3 location
 * (signing needs no network) and a file location (refused), and the DownloadRequest and
 * ServerStatusRequest controllers over JSON, strict about their options. The reconcile calls run
 * against a cluster in the Python tests (bindings/python/tests/test_requests.py). */
#include "capi_check.h"

#include <stdlib.h>

int failures = 0;
int checks = 0;

int main(void) {
  setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
  unsetenv("AWS_PROFILE");
  unsetenv("AWS_SESSION_TOKEN");
  const char* s3 = "s3://velero-backups/cluster-a?region=eu-west-3&s3Url=http://127.0.0.1:9&s3ForcePathStyle=true";

  vbk_location* loc = NULL;
  CHECK(vbk_location_open(s3, &loc) == VBK_OK);
  char* url = NULL;
  CHECK(vbk_download_url(loc, "BackupLog", "b1", 0, &url) == VBK_OK);
  CHECK(contains(url, "http://127.0.0.1:9/velero-backups/cluster-a/backups/b1/b1-logs.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
  CHECK(contains(url, "X-Amz-Expires=600&"));  /* Velero's DownloadURLTTL */
  vbk_free(url);
  url = NULL;
  CHECK(vbk_download_url(loc, "RestoreResults", "r1", 60, &url) == VBK_OK);
  CHECK(contains(url, "/cluster-a/restores/r1/restore-r1-results.gz?"));
  CHECK(contains(url, "X-Amz-Expires=60&"));
  vbk_free(url);
  url = NULL;
  CHECK(vbk_download_url(loc, "BackupPodVolumeBackups", "b1", 0, &url) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "unsupported download target kind \"BackupPodVolumeBackups\""));
  CHECK(url == NULL);
  CHECK(vbk_download_url(loc, "BackupLog", "b1", -1, &url) == VBK_EINVALID);
  CHECK(vbk_download_url(NULL, "BackupLog", "b1", 0, &url) == VBK_EINVALID);
  vbk_location_close(loc);

  vbk_location* file = NULL;
  CHECK(vbk_location_open("file:///tmp/vbk-capi-requests-none", &file) == VBK_OK);
  CHECK(vbk_download_url(file, "BackupLog", "b1", 0, &url) == VBK_EUNSUPPORTED);
  CHECK(contains(vbk_last_error(), "no HTTP endpoint a velero client could download from"));
  vbk_location_close(file);

  /* A DownloadRequest over the CRs given: Processed, with a URL and the expiration 10 min later. */
  const char* request =
      "{\"metadata\":{\"name\":\"dr\",\"namespace\":\"velero\"},\"spec\":{\"target\":{\"kind\":\"RestoreLog\",\"name\":\"r1\"}}}";
  const char* options =
      "{\"now\":\"2026-12-06T10:00:00Z\","
      "\"backups\":[{\"metadata\":{\"name\":\"b1\"},\"spec\":{\"storageLocation\":\"default\"},\"status\":{\"phase\":\"Completed\"}}],"
      "\"restores\":[{\"metadata\":{\"name\":\"r1\"},\"spec\":{\"backupName\":\"b1\"},\"status\":{\"phase\":\"Completed\"}}],"
      "\"locations\":[{\"metadata\":{\"name\":\"default\"},\"spec\":{\"provider\":\"aws\",\"objectStorage\":{\"bucket\":\"velero-backups\"},"
      "\"config\":{\"region\":\"eu-west-3\",\"s3Url\":\"http://127.0.0.1:9\",\"s3ForcePathStyle\":\"true\"}}}]}";
  char* out = NULL;
  CHECK(vbk_download_request_process(request, options, &out) == VBK_OK);
  CHECK(contains(out, "\"action\": \"updateStatus\""));
  CHECK(contains(out, "\"phase\": \"Processed\""));
  CHECK(contains(out, "\"downloadURL\": \"http://127.0.0.1:9/velero-backups/restores/r1/restore-r1-logs.gz?"));
  CHECK(contains(out, "\"expiration\": \"2026-12-06T10:10:00Z\""));
  CHECK(contains(out, "\"retry\": false"));
  vbk_free(out);
  out = NULL;
  /* No CRs: the backup is unknown; logged, only the expiration written, not retried. */
  CHECK(vbk_download_request_process(request, "{\"now\":\"2026-12-06T10:00:00Z\"}", &out) == VBK_OK);
  CHECK(contains(out, "fail to get restore for DownloadRequest: restore \\\"r1\\\" not found"));
  CHECK(!contains(out, "Processed"));
  vbk_free(out);
  out = NULL;
  CHECK(vbk_download_request_process(request, "{\"nowish\":1}", &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "unknown key \"nowish\""));
  CHECK(vbk_download_request_process(request, "{\"backups\":{}}", &out) == VBK_EINVALID);
  CHECK(contains(vbk_last_error(), "backups: expected an array of objects"));
  CHECK(vbk_download_request_process("{\"spec\":7}", NULL, &out) == VBK_EINVALID);

  /* A ServerStatusRequest: Processed with the version and plugins; removed a minute later. */
  CHECK(vbk_server_status_request_process("{\"metadata\":{\"name\":\"s\"}}", "{\"now\":\"2026-12-06T10:00:00Z\"}", &out) == VBK_OK);
  CHECK(contains(out, "\"phase\": \"Processed\""));
  CHECK(contains(out, "\"processedTimestamp\": \"2026-12-06T10:00:00Z\""));
  CHECK(contains(out, "\"serverVersion\": \"v"));
  CHECK(contains(out, "\"name\": \"velero.io/pod\""));
  CHECK(contains(out, "\"kind\": \"RestoreItemAction\""));
  CHECK(contains(out, "\"requeueAfter\": \"5m0s\""));
  vbk_free(out);
  out = NULL;
  CHECK(vbk_server_status_request_process(
            "{\"status\":{\"phase\":\"Processed\",\"processedTimestamp\":\"2026-12-06T10:00:00Z\"}}",
            "{\"now\":\"2026-12-06T10:01:00Z\"}", &out) == VBK_OK);
  CHECK(contains(out, "\"action\": \"remove\""));
  vbk_free(out);

  printf("capi_requests: %d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
