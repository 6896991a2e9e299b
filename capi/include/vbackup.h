/* libvbackup C ABI: backups and restores of Kubernetes resources in Velero's format.
 * This is the stable interface of the library: the C++ headers may change between minor versions,
 * this one only adds (see README "Interfaces and stability").
 *
 * Conventions (stated once, LevelDB-style):
 *  1. Every function returns a vbk_status: VBK_OK (0) or a negative category below. The message of
 *     the last call on the calling thread is vbk_last_error() ("" after a call that succeeded) and its
 *     status vbk_last_error_code(); the message names the input and the problem.
 *  2. Handles are opaque; each *_open has a matching *_close (which accepts NULL). A handle may be
 *     used from any thread, but not from two threads at once. Using a handle after its close is
 *     undefined, but caught in every build while its address is not reused: VBK_EINVALID naming
 *     the argument ("… is not an open vbk_location"); a second close sets that last error too.
 *  3. Strings handed to the caller (char** out parameters) are malloc'ed, NUL-terminated UTF-8, and
 *     released with vbk_free(). On failure *out is set to NULL unless the comment says otherwise.
 *  4. Pointer arguments must be non-NULL unless the comment says "may be NULL".
 *  5. Options are data, not setters: Velero's own custom resources (Backup, Restore, …) go in and come
 *     out as JSON, so new Velero fields never change a signature. An `options_json` is strict: an
 *     unknown key is VBK_EINVALID naming the key (a misspelt "compresion" never silently means gzip).
 *  6. Callbacks receive the `user` pointer given with them and run during the call that was given
 *     them, never two at once: a backup's on the calling thread, a restore's on the calling thread or
 *     on one of the restore's worker threads (it creates the items of a priority group in parallel).
 *     A callback returning non-zero cancels the operation (VBK_ECANCELLED). The one struct a caller
 *     fills, vbk_callbacks, starts with its version (libgit2's convention) and grows at its end.
 *
 * Volumes (issue 14): CSI snapshots as Velero takes, restores and deletes them (csi §1-§3), set in
 * the Backup spec as velero's flags set it: "snapshotVolumes" (unset: true), "csiSnapshotTimeout"
 * (default 10m), "itemOperationTimeout" (default 4h), "resourcePolicy": {"kind": "configmap", "name"}
 * (volume policies), "snapshotMoveData"; in the Restore spec "restorePVs" (false: empty PVCs) and
 * "itemOperationTimeout". vbk_backup_describe with details returns the volume info and item operations.
 *
 * Also here: schedules, bucket sync and the server (issue 13), encryption, checksums, signatures,
 * verify and rekey (issue 16: the options of vbk_backup_create, vbk_restore_create, vbk_sync_once and
 * vbk_backup_verify / vbk_backup_rekey), the HTTP status and reason behind a failure (issue 15:
 * vbk_last_error_http_status, vbk_last_error_reason).
 *
 * Does not support: the data mover (snapshotMoveData) and file-system backup, which need a node
 * agent: those volumes fail, per item, as current Velero fails them without one; Velero-native volume
 * snapshotters (out of scope: restoring a PV whose backup holds a native snapshot of it fails that
 * item); backup hooks (refused at validation); restore exec hooks (refused at validation;
 * init-container hooks are supported); locations other than file, S3 and Azure Blob
 * (VBK_EUNSUPPORTED).
 */
#ifndef VBACKUP_H
#define VBACKUP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version this header describes; vbk_version() is the library's. A test keeps them equal. */
#define VBK_VERSION_MAJOR 0
#define VBK_VERSION_MINOR 1
#define VBK_VERSION_PATCH 0

/* Export when building the shared library, import when using it, nothing when linking the static
 * library (define VBK_STATIC) — DuckDB's DUCKDB_API. */
#if defined(VBK_STATIC)
#define VBK_API
#elif defined(_WIN32)
#if defined(VBK_BUILDING)
#define VBK_API __declspec(dllexport)
#else
#define VBK_API __declspec(dllimport)
#endif
#elif defined(VBK_BUILDING)
#define VBK_API __attribute__((visibility("default")))
#else
#define VBK_API
#endif

typedef int vbk_status; /* VBK_OK or one of the negative categories below */
#define VBK_OK 0         /* success */
#define VBK_ERROR -1        /* anything without a better category */
#define VBK_EINVALID -2     /* bad input: a spec, option, selector, manifest, archive; a failed validation */
#define VBK_ENOTFOUND -3    /* no such backup, object or key */
#define VBK_EEXISTS -4      /* the name is taken (in the location, or as a CR in the cluster) */
#define VBK_ESTORAGE -5     /* the object store failed */
#define VBK_EKUBE -6        /* the Kubernetes API failed */
#define VBK_ECANCELLED -7   /* a callback asked to stop */
#define VBK_EIO -8          /* local file system I/O */
#define VBK_EUNSUPPORTED -9 /* valid, but not implemented by this build */

/* The library version, "0.1.0". Static storage; do not free. */
VBK_API const char* vbk_version(void);

/* The message of the last call on this thread, or "" if it succeeded. Valid until the next vbk_*
 * call on this thread; do not free. */
VBK_API const char* vbk_last_error(void);
/* The status the last call on this thread returned (VBK_OK if it succeeded). */
VBK_API vbk_status vbk_last_error_code(void);
/* The HTTP status of the answer that made the last call on this thread fail: the Kubernetes API
 * server's (403 Forbidden, 404 NotFound, 409 AlreadyExists, …) or the object store's (404
 * NoSuchBucket, 403 AuthorizationFailure, …); 0 when the failure came from no HTTP answer (bad
 * input, local I/O, an unreachable server) or the call succeeded (brief s3-docs). */
VBK_API int vbk_last_error_http_status(void);
/* The reason the server gave with that status: the Kubernetes Status reason ("AlreadyExists",
 * "Forbidden", …) or the S3 or Azure error code ("NoSuchBucket", "AuthorizationFailure", …); ""
 * when it gave none. Valid until the next vbk_* call on this thread; do not free. */
VBK_API const char* vbk_last_error_reason(void);

/* Releases a string the library handed out. NULL is fine. */
VBK_API void vbk_free(void* p);

/* ---- callbacks, shared by every operation ----------------------------------------------------- */

/* Progress: items done (backed up; restored: decided, whatever the outcome); items expected (a
 * backup counts ahead when the cluster can tell, a restore takes the items of the tarball; never
 * below the items done, equal at the end); bytes written (0 for a restore). Return non-zero to
 * cancel. */
typedef int (*vbk_progress_fn)(void* user, int64_t items_done, int64_t items_total, uint64_t bytes);
/* One line of the operation's log (logrus text format) and its level ("info", "warning", "error"). */
typedef void (*vbk_log_fn)(void* user, const char* level, const char* line);
/* The item hook: the in-process BackupItemAction of a backup, RestoreItemAction of a restore.
 * A backup's `item_json` is
 *   {"resource": {"group","version","resource","kind","namespaced"}, "object": {…}};
 * a restore's (after Velero's built-in actions and the resource modifiers, before the cluster) is
 *   {"groupResource": "deployments.apps", "resource": {…as the target serves it},
 *    "sourceNamespace", "targetNamespace" (after the namespace mapping), "object": {…}}.
 * To change the item, set *result_json to a malloc'ed JSON document
 *   {"object": {…}, "skip": false, "additionalItems": [{"groupResource","namespace","name"}]}
 * (each key optional, no other key; the library frees it with free(); a restore's additional items
 * name archived items by their source namespace and are restored first), or {"error": "why"} to fail
 * this item as a plugin's error does (the operation goes on and ends PartiallyFailed; the results
 * name the item and say "item callback: why"). Leave *result_json NULL to keep the item. Return
 * non-zero to cancel the operation. */
typedef int (*vbk_item_fn)(void* user, const char* item_json, char** result_json);
/* One line of a restore's plan (version 2): every object in restore order with what was, or would
 * be, done to it, also the ones skipped by a filter:
 *   {"groupResource", "kind": "apps/v1/Deployment", "namespace" (target; "" if cluster-scoped), "name",
 *    "action", "reason" (why skipped or failed; absent if none), "diff" (mode "diff"; absent if none)}.
 * "action" is create, update, unchanged, skip or fail in a dry run or a diff; created, updated,
 * unchanged, skipped or failed when applied. Valid during the callback only. */
typedef void (*vbk_plan_fn)(void* user, const char* plan_item_json);

/* Version 1 has version…user; version 2 appends `plan`. The library reads (and vbk_callbacks_init
 * writes) only the fields of the version a struct carries, so a caller built against an older
 * header keeps working. */
#define VBK_CALLBACKS_VERSION 2
/* The callbacks of an operation; initialise with VBK_CALLBACKS_INIT or vbk_callbacks_init. */
typedef struct vbk_callbacks {
  unsigned version;         /* VBK_CALLBACKS_VERSION */
  vbk_progress_fn progress; /* may be NULL */
  vbk_log_fn log;           /* may be NULL */
  vbk_item_fn item;         /* may be NULL */
  void* user;               /* handed to every callback */
  vbk_plan_fn plan;         /* version 2; may be NULL; restores only (a backup has no plan) */
} vbk_callbacks;
#define VBK_CALLBACKS_INIT {VBK_CALLBACKS_VERSION, NULL, NULL, NULL, NULL, NULL} /* no callbacks */
/* Fills *callbacks as VBK_CALLBACKS_INIT for `version` (1 or 2), writing only that version's
 * fields; VBK_EINVALID for a version this library does not know. */
VBK_API vbk_status vbk_callbacks_init(vbk_callbacks* callbacks, unsigned version);

/* ---- locations: where backups live ----------------------------------------------------------- */

typedef struct vbk_location vbk_location; /* an open location (vbk_location_open) */

/* Opens a backup storage location: a URL (file://DIR[?prefix=P], s3://BUCKET[/PREFIX]?region=…,
 * azure://CONTAINER[/PREFIX]?storageAccount=…), a BackupStorageLocation (velero.io/v1) as JSON, the
 * name of a location in the locations file ($VBACKUP_CONFIG, else ~/.config/vbackup/locations.yaml:
 * BackupStorageLocations, as `vbackup backup-location create` writes them), or "" for the one marked
 * default there (VBK_EINVALID when none is; VBK_ENOTFOUND for a name found nowhere). An S3 or Azure
 * location's config key "requestTimeout" ("30s", "1m", "0" = none; default 1m) bounds each request
 * to the store, its retries included. */
VBK_API vbk_status vbk_location_open(const char* location, vbk_location** out);

/* The named locations of the locations file (see vbk_location_open) as a JSON array of
 * BackupStorageLocations, in file order; [] when there is no file. */
VBK_API vbk_status vbk_locations_list(char** locations_json);
/* Closes a location opened by vbk_location_open. NULL is fine. */
VBK_API void vbk_location_close(vbk_location* location);

/* Velero's validity check of a location (spec §2.2): *status_json is a BackupStorageLocation status,
 * {"phase": "Available"|"Unavailable", "lastValidationTime": …, "message": …}. An unreachable or
 * invalid store, a missing folder, bucket or container is reported as Unavailable with the reason,
 * not as a failed call. A location that backups could not be written to is Available with
 * "accessMode": "ReadOnly" and "message": "read-only: <why>". The check changes nothing: an object
 * store gets a probe object that is removed at once. */
VBK_API vbk_status vbk_location_check(vbk_location* location, char** status_json);

/* What interrupted work left in the location (a process killed in the middle of a backup or a
 * restore; a cancel leaves nothing): uploads never committed (the file store's temporary files, S3's
 * unfinished multipart uploads, which S3 bills until aborted) and backup folders without
 * velero-backup.json (restore folders without their record). *leftovers_json is an array of
 * {"kind": "upload"|"backup"|"restore", "key", "uploadId" (uploads), "name", "ageSeconds" (absent when
 * the store gives no time), "bytes", "objects" (folders)}. Azure's uncommitted blocks cannot be listed:
 * the service discards them 7 days after the last upload. */
VBK_API vbk_status vbk_location_leftovers(vbk_location* location, char** leftovers_json);

/* Removes the leftovers at least a grace period old (the younger ones may be work still running).
 * options_json may be NULL: {"grace": "1h"} (a Go duration, the default). *result_json is
 * {"removed": [...], "kept": [...], "errors": ["<what>: <why>", ...]} with the leftovers as
 * vbk_location_leftovers gives them; a leftover that could not be removed is in "errors" and the call
 * still returns VBK_OK. */
VBK_API vbk_status vbk_location_prune(vbk_location* location, const char* options_json, char** result_json);

/* ---- clusters: what is backed up, and restored into ----------------------------------------- */

typedef struct vbk_cluster vbk_cluster; /* an open cluster (vbk_cluster_open, vbk_cluster_open_manifests) */

/* A directory or file of Kubernetes manifests (YAML or JSON) standing in for a cluster (read only;
 * a restore into it can only be a dry run, as with no cluster).
 * `options_json` may be NULL or {"defaultNamespace": "default"}. */
VBK_API vbk_status vbk_cluster_open_manifests(const char* path, const char* options_json, vbk_cluster** out);
/* A live cluster through the Kubernetes API. `options_json` may be NULL or
 *   {"kubeconfig": "/path/to/config", "context": "name", "qps": 100, "burst": 100,
 *    "requestTimeout": "30s"};
 * without "kubeconfig" the usual lookup applies ($KUBECONFIG, ~/.kube/config, then the in-cluster
 * service account). "requestTimeout" is kubectl's --request-timeout: how long one request may wait
 * for the API server, its retries included ("30s", "1m", a number of seconds, "0" = no limit;
 * default 1m). Connecting is lazy: errors of an unreachable server come from the first call that
 * uses the cluster, naming the server URL. */
VBK_API vbk_status vbk_cluster_open(const char* options_json, vbk_cluster** out);
/* Closes a cluster opened by vbk_cluster_open or vbk_cluster_open_manifests. NULL is fine. */
VBK_API void vbk_cluster_close(vbk_cluster* cluster);

/* The Kubernetes API server's version (GET /version): {"gitVersion", "major", "minor", "server"}.
 * VBK_EUNSUPPORTED for a folder of manifests. */
VBK_API vbk_status vbk_cluster_version(vbk_cluster* cluster, char** version_json);

/* ---- backups ---------------------------------------------------------------------------------- */

/* Creates a backup. `backup_json` is a velero.io/v1 Backup (kind and apiVersion may be left out;
 * metadata.name and spec are read). `options_json` may be NULL or
 *   {"compression": "gzip"|"zstd", "veleroNamespace": "velero",
 *    "recordInCluster": "auto"|true|false, "strictSpec": false}.
 * "zstd" is ours: the tarball keeps Velero's name <b>.tar.gz, which a Velero server reads as gzip, so
 * it cannot restore the backup; the Backup carries the annotation vbackup.io/compression: zstd and a
 * warning says so. A key of `backup_json` that Velero does not know (spec.includedNamespace) is a
 * warning naming the closest known one; with "strictSpec": true it fails validation (VBK_EINVALID).
 * Before the cluster is read, the location must take a write (VBK_ESTORAGE, status.phase Failed).
 * `callbacks` may be NULL. Against a live cluster, the Backup CR is kept current there while the
 * backup runs, as "recordInCluster" says: "auto" (the default) when Velero's CRDs are installed,
 * true also, failing the backup (VBK_EUNSUPPORTED, VBK_EKUBE) when it cannot be created (and
 * VBK_EINVALID for a folder of manifests), false never. A recorded CR always ends in a terminal phase
 * (Failed, failureReason "cancelled", after VBK_ECANCELLED); a name taken in the cluster by a CR
 * the location does not hold is VBK_EEXISTS, with a message saying how to remove it. On return
 * *backup_out (which may be NULL) holds the Backup
 * with its status, also when the call fails with VBK_EINVALID (status.phase FailedValidation, the
 * reasons in status.validationErrors), VBK_EEXISTS (the name is taken) or another category (status.phase
 * Failed, status.failureReason). VBK_OK means status.phase is Completed or PartiallyFailed (item
 * errors, see the results). */
VBK_API vbk_status vbk_backup_create(vbk_cluster* cluster, vbk_location* location, const char* backup_json,
                                     const char* options_json, const vbk_callbacks* callbacks, char** backup_out);

/* The Backups stored in the location as a JSON array, sorted by name. */
VBK_API vbk_status vbk_backup_list(vbk_location* location, char** backups_json);

/* One stored Backup (velero-backup.json) as JSON. VBK_ENOTFOUND if absent. */
VBK_API vbk_status vbk_backup_get(vbk_location* location, const char* name, char** backup_json);

/* What `describe` shows: {"backup": {…}} and, with details non-zero, "resourceList": {…} and
 * "results": {"errors": {…}, "warnings": {…}} when the backup has those files. */
VBK_API vbk_status vbk_backup_describe(vbk_location* location, const char* name, int details, char** json_out);

/* The backup's log (<b>-logs.gz), uncompressed. */
VBK_API vbk_status vbk_backup_logs(vbk_location* location, const char* name, char** log_out);

/* Copies the backup's tarball to `path` (streamed). */
VBK_API vbk_status vbk_backup_download(vbk_location* location, const char* name, const char* path);

/* Deletes every object of the backup (spec §2.8). VBK_ENOTFOUND if there is nothing to delete;
 * VBK_EUNSUPPORTED (nothing deleted) when the backup holds CSI snapshots, which only a cluster can
 * delete (csi §3): vbk_backup_delete_recorded deletes them, or says they are left. */
VBK_API vbk_status vbk_backup_delete(vbk_location* location, const char* name);
/* The backup's CSI snapshots (csi §3: with a live `cluster`, through a temporary Delete
 * VolumeSnapshotContent per snapshot, as Velero deletes them; a snapshot already gone is no error),
 * then vbk_backup_delete, then, when `cluster` (may be NULL) is a live one, the Backup CR of that name in
 * the Velero namespace, so the cluster and the bucket agree. `options_json` may be NULL or
 * {"veleroNamespace": "velero"}. A name in only one of them is deleted there; VBK_ENOTFOUND when
 * neither has it; once the files are deleted, a cluster that cannot be reached is a "note" (why the
 * CR may be left), not an error. *result_json (may be NULL): {"objects": N, "crDeleted": true|false,
 * "note": "…" (when there is one), "csiSnapshots": {"snapshotHandles", "temporaryContents",
 * "legacyContents", "cleanedVolumeSnapshots", "handlesNotDeleted", "errors", "note": "storage snapshots
 * were not deleted … <handles>" without a cluster} (when the backup has CSI snapshots)}. A snapshot
 * that cannot be deleted is VBK_EKUBE and keeps the backup. */
VBK_API vbk_status vbk_backup_delete_recorded(vbk_location* location, vbk_cluster* cluster, const char* name,
                                              const char* options_json, char** result_json);

/* ---- encryption at rest and integrity (issue 16, docs/crypto.md) ---- */

/* vbk_backup_create's options also take "encryptTo": ["age1…"], "passphrase": "…" (alone) and
 * "signKeyFile": "PATH" (an unencrypted OpenSSH Ed25519 key); vbk_restore_create's take
 * "identityFile": "PATH" or "identities": "AGE-SECRET-KEY-1…", "skipVerify", "requireSignature",
 * "allowedSignersFile": "PATH" or "allowedSigners": "TEXT", "principal".
 * vbk_backup_verify re-reads every file and tarball item of a backup and compares it with its
 * checksum manifest; options_json may be NULL or hold the reader keys above. *result_json:
 * {"problems": ["<path>: …"], "warnings": [...], "hasManifest", "encrypted", "signatureVerified"};
 * VBK_OK also when problems are found (an empty "problems" means the backup matches). A missing
 * identity is VBK_ENOTFOUND naming the recorded fingerprints. */
VBK_API vbk_status vbk_backup_verify(vbk_location* location, const char* name, const char* options_json,
                                     char** result_json);
/* Rewrites the age headers of an encrypted backup for new recipients, the payload kept: options_json
 * {"identityFile"|"identities", "encryptTo": [...], "signKeyFile" (a signed backup needs it)}.
 * vbk_location_sync's options also take "verify": true (each backup checked against its manifest
 * before it is synced; one that differs is in "skipped", named) with the reader keys above.
 * *result_json (may be NULL): {"rewritten": [keys], "recipients": [fingerprints]}. */
VBK_API vbk_status vbk_backup_rekey(vbk_location* location, const char* name, const char* options_json,
                                    char** result_json);

/* ---- restores --------------------------------------------------------------------------------- */

/* Restores a backup. `restore_json` is a velero.io/v1 Restore (kind and apiVersion may be left out;
 * metadata.name and spec are read; spec.backupName or spec.scheduleName, whose newest Completed
 * backup is taken). `cluster` may be NULL: a dry run needs no cluster (it plans against an empty
 * one: the built-in Kubernetes API plus the backup's CRDs). `options_json` may be NULL or
 *   {"mode": "apply"|"dryRun"|"diff"   (default "apply" with a live cluster, else "dryRun";
 *                                       "diff" compares with a live cluster, writing nothing),
 *    "outputDir": "DIR"                (dry run: every object after all transforms, one file each,
 *                                       in restore order, for `kubectl apply -f DIR`),
 *    "includeNames": ["[namespace/]name" globs],
 *    "resourceModifiers": "TEXT",      (Velero's resource modifier document, or a ConfigMap holding it)
 *    "resourcePolicy": "TEXT",         (restore resource policies, or a ConfigMap holding them)
 *    "restoreResourcePriorities": "a,b,-,c" or ["a", "b", "-", "c"]  (Velero's server flag),
 *    "maxBackupExtractionSize": MB,    (Velero's server flag, in megabytes; default 16 GiB)
 *    "resourceTimeout": "10m",         (a Go duration: how long a created CRD may take to be ready)
 *    "parallel": 8,                    (items of one priority group created at once; 1 as Velero)
 *    "spoolDir": "DIR",                (where the backup is spooled while it is restored; default:
 *                                       the system's temporary directory. Ours, not Velero's)
 *    "veleroNamespace": "velero",
 *    "recordInCluster": "auto"|true|false,  (the Restore CR, as vbk_backup_create's; not for a dry
 *                                       run or a diff)
 *    "strictSpec": false}              (a key of `restore_json` Velero does not know fails validation;
 *                                       without it, a warning naming the closest known key).
 * `callbacks` may be NULL; its `plan` (version 2) sees every object as decided. A dry run or a diff
 * writes nothing to the location or the cluster. Otherwise the restore's log, results and resource
 * list go to restores/<name>/ in the location, and against a cluster with Velero's CRDs the Restore
 * CR is kept current there. On return *restore_out (which may be NULL) holds the Restore with its
 * status, also when the call fails with VBK_EINVALID (status.phase FailedValidation, the reasons in
 * status.validationErrors), VBK_EEXISTS (the name is taken) or another category (status.phase Failed,
 * status.failureReason); not after VBK_ECANCELLED or an error in the arguments. VBK_OK means
 * status.phase is Completed or PartiallyFailed (item errors: see the results). */
VBK_API vbk_status vbk_restore_create(vbk_cluster* cluster, vbk_location* location, const char* restore_json,
                                      const char* options_json, const vbk_callbacks* callbacks, char** restore_out);

/* The Restores recorded in the location (restores/<r>/velero-restore.json) as a JSON array, sorted
 * by name. */
VBK_API vbk_status vbk_restore_list(vbk_location* location, char** restores_json);

/* One recorded Restore as JSON. VBK_ENOTFOUND if absent. */
VBK_API vbk_status vbk_restore_get(vbk_location* location, const char* name, char** restore_json);

/* What `restore describe` shows: {"restore": {…}} and, with details non-zero, "resourceList" (entries
 * "<ns>/<name>(created)" and the like) and "results": {"errors", "warnings"} when present. */
VBK_API vbk_status vbk_restore_describe(vbk_location* location, const char* name, int details, char** json_out);

/* The restore's log (restore-<r>-logs.gz), uncompressed. */
VBK_API vbk_status vbk_restore_logs(vbk_location* location, const char* name, char** log_out);

/* Deletes everything under restores/<name>/ (never what the restore created in a cluster).
 * VBK_ENOTFOUND if there is nothing to delete. */
VBK_API vbk_status vbk_restore_delete(vbk_location* location, const char* name);
/* vbk_restore_delete, then, when `cluster` (may be NULL) is a live one, the Restore CR of that name,
 * as vbk_backup_delete_recorded does. */
VBK_API vbk_status vbk_restore_delete_recorded(vbk_location* location, vbk_cluster* cluster, const char* name,
                                               const char* options_json, char** result_json);

/* ---- inspecting a backup without restoring it ------------------------------------------------- */

/* The items of a backup in restore order (CRDs first, then Velero's priorities), each once, as a
 * JSON array of {"groupResource", "kind": "apps/v1/Deployment", "namespace", "name"}. `options_json`
 * may be NULL or {"filters": {…a Restore spec's filters: includedNamespaces, includedResources,
 * labelSelector, …}, "includeNames": ["[namespace/]name" globs]}: the items a restore with those
 * filters would consider. VBK_ENOTFOUND for no such backup; VBK_EINVALID for filters that do not
 * validate. */
VBK_API vbk_status vbk_backup_items(vbk_location* location, const char* name, const char* options_json,
                                    char** items_json);

/* One archived item as stored: `item` is "<group resource>/<namespace>/<name>", or
 * "<group resource>/<name>" when cluster-scoped ("deployments.apps/demo/web", "persistentvolumes/pv-1";
 * the resource part also takes "deployments" or "deploy"). VBK_ENOTFOUND naming the item if absent. */
VBK_API vbk_status vbk_backup_item(vbk_location* location, const char* name, const char* item, char** item_json);

/* What changed from backup `from` to backup `to`: a JSON array of {"change": "added"|"removed"|
 * "changed", "groupResource", "kind", "namespace", "name", "diff" (a unified diff, for "changed")},
 * sorted by group resource, namespace and name. The server's bookkeeping (resourceVersion,
 * managedFields, generation, …) is not a change. */
VBK_API vbk_status vbk_backup_diff(vbk_location* location, const char* from, const char* to, char** changes_json);

/* ---- schedules (brief i13-schedule) ------------------------------------------------------------ */

/* The first run of a cron expression strictly after `after_rfc3339` (NULL: now), as Velero's
 * schedules parse it (robfig/cron v3 ParseStandard: five fields, @daily, @every 1h, CRON_TZ=zone),
 * as RFC 3339 UTC in `next`. Expressions without CRON_TZ run in UTC (the Velero pod's zone).
 * VBK_EINVALID with Velero's validation message ("invalid schedule: …"); VBK_ENOTFOUND when it
 * never runs within five years ("0 0 30 2 *"). */
VBK_API vbk_status vbk_schedule_next(const char* expression, const char* after_rfc3339, char** next);

/* What Velero's schedule controller does with the Schedule `schedule_json` at `now_rfc3339` (NULL:
 * now): {"patch": merge patch for the Schedule ({} for none), "backup": the Backup to create (when
 * due), "backupPatch": the merge patch after creating it ({"status":{"lastBackup":…}}), "schedule":
 * the Schedule after both, "nextRun", "reason"}. `options_json` may be NULL or {"skipImmediately":
 * the server's default, "localZone": the zone of expressions without CRON_TZ ("UTC"), "backups":
 * [Backups listed in the namespace; one of this schedule's in phase "", New or InProgress skips the
 * run]}. */
VBK_API vbk_status vbk_schedule_decide(const char* schedule_json, const char* now_rfc3339, const char* options_json,
                                       char** decision_json);

/* ---- install (velero install) ----------------------------------------------------------------- */

/* What `velero install` creates, for a vbackup server, as one JSON List ({"apiVersion": "v1", "kind":
 * "List", "items": [...]}, what `vbackup install --dry-run -o json` prints): Velero's CRDs, then the
 * namespace, ClusterRoleBinding and ServiceAccount `velero`, the Secret `cloud-credentials`, the
 * BackupStorageLocation and VolumeSnapshotLocation `default` and the Deployment `velero`.
 * `options_json` (strict: an unknown key is VBK_EINVALID): {"namespace" ("velero"), "image", "provider", "bucket",
 * "prefix", "backupLocationConfig": {k: v}, "snapshotLocationConfig": {k: v}, "secretData" (the
 * credentials file's content; absent: no Secret, velero's --no-secret), "caCert",
 * "noDefaultBackupLocation", "useVolumeSnapshots" (true), "podAnnotations", "podLabels",
 * "serviceAccountAnnotations", "serviceAccountName", "cpuRequest", "memRequest", "cpuLimit",
 * "memLimit", "restoreOnly", "features": [..], "garbageCollectionFrequency" ("1h"),
 * "scheduleSkipImmediately", "disableInformerCache", "concurrentBackups", "priorityClassName",
 * "crdsOnly"}. VBK_EINVALID with velero install's validation messages. */
VBK_API vbk_status vbk_install_resources(const char* options_json, char** list_json);

/* Applies them to a live cluster as velero install does: the CRDs first, waited for until
 * Established, then the rest; an object that exists is left as it is. `options_json`: those of
 * vbk_install_resources plus "apply" (server-side apply, updating what exists, as --apply), "wait"
 * (the Deployment Available for 10 s, as --wait), "waitTimeout" ("3m"), "crdTimeout" ("1m").
 * *result_json: {"objects": [{"kind", "namespace"?, "name", "action": "created"|"already exists"|
 * "applied"}], "deploymentReady": bool}. VBK_EUNSUPPORTED for a folder of manifests;
 * VBK_EKUBE naming the object that failed. */
VBK_API vbk_status vbk_install(vbk_cluster* cluster, const char* options_json, char** result_json);

/* ---- sync: the bucket as the source of truth (spec §3.1, §2.2; brief i13-sync) ------------------ */

/* One pass of Velero's backup sync controller against a live `cluster`: backups in the location's
 * bucket without a Backup CR in the Velero namespace are created with their stored status (hooks
 * dropped, spec.storageLocation and the velero.io/storage-location label set to this location);
 * Completed and PartiallyFailed Backups of this location whose data left the bucket are deleted;
 * status.lastSyncedTime is written to the BackupStorageLocation CR. `location` (NULL or "" for the
 * default one): a BSL name (the cluster's BSLs in the Velero namespace first, then the locations
 * file), BSL JSON/YAML text or a file of it, or a URL; spec.credential is read from its Secret in the
 * Velero namespace. `options_json` may be NULL or {"veleroNamespace": "velero", "requireAvailable":
 * false (true: only a BSL whose phase is Available, as Velero's server), "updateLocation": true,
 * "locationsFile": "…"}. *result_json (may be NULL): {"location", "created": [...], "deleted": [...],
 * "skipped": [{"backup", "reason"}], "errors": [...], "warnings": [...], "lastSyncedTime"}; a corrupt
 * velero-backup.json is a warning and a skip, not an error. VBK_EUNSUPPORTED for a folder of
 * manifests or a cluster without Velero's CRDs; VBK_ESTORAGE when the bucket cannot be listed. */
VBK_API vbk_status vbk_sync_once(vbk_cluster* cluster, const char* location, const char* options_json,
                                 char** result_json);

/* The BackupStorageLocation controller's validation of `location` (as vbk_sync_once names it):
 * *status_json = {"phase": "Available"|"Unavailable", "message": "BackupStorageLocation \"x\" is
 * unavailable: …" (when Unavailable), "lastValidationTime", "location": name}. `options_json` may be
 * NULL or {"veleroNamespace", "update": false (true: the status is written to the BSL CR),
 * "locationsFile"}. A location problem is an Unavailable status, not an error. */
VBK_API vbk_status vbk_location_validate(vbk_cluster* cluster, const char* location, const char* options_json,
                                         char** status_json);

/* ---- requests: Velero's DownloadRequest and ServerStatusRequest controllers ---------------------- */

/* A signed URL (S3 presigned GET, Azure read-only blob SAS) for one file of a backup or restore in
 * `location`, as Velero's GetDownloadURL gives it: `kind` is a DownloadTargetKind ("BackupLog",
 * "BackupContents", "RestoreResults", …), `name` the backup's or restore's name, `ttl_seconds` the
 * URL's life (0 = Velero's 10 minutes). VBK_EINVALID for an unknown kind ("unsupported download
 * target kind"); VBK_EUNSUPPORTED for a file location (a velero client cannot read file://). */
VBK_API vbk_status vbk_download_url(vbk_location* location, const char* kind, const char* name, long long ttl_seconds,
                                    char** url);

/* One reconcile of a DownloadRequest (JSON, velero.io/v1), as Velero's controller does it, over the
 * CRs given in `options_json` (NULL or {"now": RFC 3339, "backups": [Backup…], "restores":
 * [Restore…], "locations": [BackupStorageLocation…]}; the store is opened from the backup's BSL).
 * `outcome_json`: {"action": "none" | "updateStatus" | "remove", "status": {the status to write},
 * "message": what Velero logs, "retry": whether Velero would requeue it}. */
VBK_API vbk_status vbk_download_request_process(const char* request_json, const char* options_json,
                                                char** outcome_json);
/* The same against a live cluster: reads DownloadRequest `name` in `ns` and the CRs it names, and
 * writes the status or deletes the expired request. `options_json`: NULL or {"now"}. */
VBK_API vbk_status vbk_download_request_reconcile(vbk_cluster* cluster, const char* ns, const char* name,
                                                  const char* options_json, char** outcome_json);

/* A ServerStatusRequest's reconcile: New → Processed with processedTimestamp, serverVersion and the
 * plugins ({name, kind}); Processed for a minute → "remove". `outcome_json` as above plus
 * "requeueAfter". `options_json`: NULL or {"now"}. */
VBK_API vbk_status vbk_server_status_request_process(const char* request_json, const char* options_json,
                                                     char** outcome_json);
VBK_API vbk_status vbk_server_status_request_reconcile(vbk_cluster* cluster, const char* ns, const char* name,
                                                       const char* options_json, char** outcome_json);

/* ---- expiry and deletion (issue 13; spec §3.2, §3.3; brief i13-deletion) -------------------- */
/* These act on the velero.io/v1 custom resources of a live cluster with Velero's CRDs (VBK_EUNSUPPORTED
 * for a folder of manifests or a cluster without the CRDs), as Velero's controllers do. */

/* One garbage-collection pass (Velero's gc_controller.go over every Backup of the namespace): a Backup
 * whose status.expiration is not after now gets a DeleteBackupRequest (unless one is pending), or,
 * when its location is missing, unreadable, not Available or ReadOnly, the velero.io/gc-failure label
 * BSLNotFound, BSLCannotGet, BSLUnavailable or BSLReadOnly. `options_json` may be NULL or
 *   {"veleroNamespace": "velero", "dryRun": false (decide, write nothing), "now": "RFC 3339"}.
 * *result_json: {"dryRun": bool, "items": [{"backup", "action": "not expired"|"requested deletion"|
 * "deletion already requested"|"gc-failure"|"error", "deleteBackupRequest"?, "gcFailure"?, "message"?}]}. */
VBK_API vbk_status vbk_gc_once(vbk_cluster* cluster, const char* options_json, char** result_json);

/* Carries out the DeleteBackupRequest `name` (Velero's backup_deletion_controller.go): the objects
 * under backups/<b>/ in `location` (NULL: the store of the Backup's BackupStorageLocation), the
 * Restores of the backup (CRs and restores/<r>/), the Backup CR, then the requests of the backup. A
 * request Velero refuses ends Processed with its error in status.errors; that is VBK_OK too.
 * `options_json` may be NULL or {"veleroNamespace": "velero", "now": "RFC 3339" (a handled request
 * older than 24 h is deleted), "restoreWaitSeconds": 60, "temporaryContentGapMilliseconds": 2000 (csi §3:
 * how long Velero's temporary VolumeSnapshotContent stays before it is deleted, velero#9700)}. Before
 * the files, the backup's CSI snapshots are deleted as Velero deletes them (csi §3; a tarball that cannot
 * be extracted ends the request with Velero's "error invoking delete item actions: …").
 * *result_json: {"deleteBackupRequest": {…as it ended}, "skipped", "requestExpired", "deletedObjects",
 * "deletedRestores", "backupDeleted", "deletedRequests", "csiSnapshots": {"snapshotHandles",
 * "temporaryContents"?, "legacyContents"?, "cleanedVolumeSnapshots"?, "handlesNotDeleted"?, "errors"?,
 * "failure"?}}. VBK_ENOTFOUND when there is no such request. */
VBK_API vbk_status vbk_delete_backup_request_process(vbk_cluster* cluster, vbk_location* location, const char* name,
                                                     const char* options_json, char** result_json);

/* vbk_delete_backup_request_process for every request of the namespace not yet taken (phase "" or
 * New), in the API server's order (what a server does as requests arrive); the same options.
 * *results_json: a JSON array of the results. */
VBK_API vbk_status vbk_delete_backup_requests_process(vbk_cluster* cluster, vbk_location* location,
                                                      const char* options_json, char** results_json);

/* `velero backup delete NAME` with a server running: creates the DeleteBackupRequest of the Backup CR
 * `name` (generateName "<name>-", labels velero.io/backup-name and velero.io/backup-uid). `options_json`
 * may be NULL or {"veleroNamespace": "velero"}; *request_json (may be NULL) the request created.
 * VBK_ENOTFOUND when there is no such Backup CR. */
VBK_API vbk_status vbk_backup_request_deletion(vbk_cluster* cluster, const char* name, const char* options_json,
                                               char** request_json);

/* ---- vbackup server (brief i13-server) -------------------------------------------------------- */

/* Runs the server (Velero's controllers over the velero.io CRs of the Velero namespace: Backup,
 * Restore, Schedule, BackupStorageLocation validation and backup sync, GC and DeleteBackupRequest,
 * DownloadRequest and ServerStatusRequest;
 * leader election on the Lease vbackup-server, /metrics /healthz /readyz) until the callbacks'
 * `progress`, called five times a second with (0, 0, 0), returns non-zero: running work is then
 * cancelled (nothing half-written stays visible, its CR ends Failed) and the Lease released.
 * `options_json` may be NULL or {"kubeconfig", "context", "namespace" ("velero"), "metricsAddress"
 * (":8085"; "" for none), "leaderElect" (true), "leaseDuration" ("15s"), "renewDeadline" ("10s"),
 * "retryPeriod" ("2s"), "identity", "watchTimeout" ("10s"), "backupSyncPeriod" ("1m"; "0" off),
 * "storeValidationFrequency" ("1m"), "garbageCollectionFrequency" ("1h"), "scheduleSkipImmediately"
 * (false), "restoreOnly" (false: no backups, schedules, GC or deletion)}. `log` gets the server's
 * log lines.
 * VBK_OK after a stop; VBK_EKUBE when the Lease was lost or the cluster cannot be reached. */
VBK_API vbk_status vbk_server_run(const char* options_json, const vbk_callbacks* callbacks);

#ifdef __cplusplus
}
#endif

#endif /* VBACKUP_H */
