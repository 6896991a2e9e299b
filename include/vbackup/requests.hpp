// Velero's request controllers as library calls: DownloadRequest (download_request_controller.go:
// a signed URL for one file of a backup or restore, which `velero backup logs`, `describe --details`
// and `download` read) and ServerStatusRequest (server_status_request_controller.go: the server's
// version and plugins, which `velero version` and `velero plugin get` read). Each process_* call
// takes the object and returns what the controller writes back: the status, or the object's
// deletion once it expired. The reconcile_* calls do one round against a cluster.
#pragma once

#include "vbackup/layout.hpp"
#include "vbackup/location.hpp"
#include "vbackup/time.hpp"
#include "vbackup/velero_backup.hpp"
#include "vbackup/velero_location.hpp"
#include "vbackup/velero_requests.hpp"
#include "vbackup/velero_restore.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup {
namespace kube {
class KubeClient;
}

namespace requests {

// persistence.DownloadURLTTL: the life of a signed URL, and of a processed DownloadRequest.
inline constexpr std::chrono::seconds download_url_ttl = std::chrono::minutes(10);
// defaultDownloadRequestSyncPeriod: how often the controller lists every DownloadRequest again
// (those whose expiration passed, or that have none, are reconciled: expired ones deleted).
inline constexpr std::chrono::seconds download_request_sync_period = std::chrono::minutes(1);
// server_status_request_controller.go: a processed request lives 1 minute; requeued every 5.
inline constexpr std::chrono::seconds server_status_request_ttl = std::chrono::minutes(1);
inline constexpr std::chrono::seconds server_status_request_resync_period = std::chrono::minutes(5);

// The DownloadTargetKinds, in the CRD's enum order.
const std::vector<std::string_view>& download_target_kinds();
// RestoreLog, RestoreResults, RestoreResourceList, RestoreItemOperations, RestoreVolumeInfo: the
// target names a Restore (whose backup names the location); every other kind names a Backup.
bool is_restore_target(std::string_view kind);

// persistence GetDownloadURL's key of a target under the location's prefix (backups/<b>/<b>-logs.gz,
// restores/<r>/restore-<r>-results.gz, …). Error(invalid) `unsupported download target kind "X"`,
// Velero's message, for any other kind; Error(invalid) for an empty name.
std::string download_target_key(const storage::BackupStore& store, const velero::DownloadTarget& target);
// CreateSignedURL of that key: an S3 presigned GET, an Azure read-only blob SAS. The file store
// refuses (Error(unsupported)): a velero client on another machine cannot read a file:// URL.
// Like Velero, the key is signed by convention: the object need not exist (the URL then gives 404).
std::string download_url(storage::BackupStore& store, const velero::DownloadTarget& target,
                         std::chrono::seconds ttl = download_url_ttl);

// What the DownloadRequest controller reads from its cluster, by name in the request's namespace.
// A lookup returns nullopt for "not found" and throws for any other failure (the request is retried).
struct DownloadRequestLookups {
  std::function<std::optional<velero::Restore>(const std::string& ns, const std::string& name)> restore;
  std::function<std::optional<velero::Backup>(const std::string& ns, const std::string& name)> backup;
  std::function<std::optional<velero::BackupStorageLocation>(const std::string& ns, const std::string& name)> location;
  // The store of a location; throws when it cannot be opened (a bad config or credentials: Velero
  // does not retry). Empty: open_location_store(location_from_bsl(bsl)) with Velero's layout.
  std::function<std::shared_ptr<storage::BackupStore>(const velero::BackupStorageLocation&)> open_store;
};

// Lookups that GET the Backup, Restore and BackupStorageLocation CRs from a cluster serving
// Velero's CRDs (no such CRD reads as "not found").
DownloadRequestLookups cluster_lookups(kube::KubeClient& client, LocationOptions options = {});

// What a controller does with a request after one reconcile.
enum class RequestAction {
  none,           // nothing to write
  update_status,  // write `status` (Velero: merge patch of the object)
  remove,         // delete the request: it expired
};

struct DownloadRequestOutcome {
  RequestAction action = RequestAction::none;
  velero::DownloadRequestStatus status;  // the whole status to write, for update_status
  std::string message;                   // what Velero logs about it ("" for the ordinary paths)
  bool retry = false;                    // Velero returns an error: the controller requeues it
};

// download_request_controller.go Reconcile, at `now`:
// - status.expiration set and before now: remove (whatever the phase: the GC of requests);
// - Processed and not expired: none;
// - phase "" or New: expiration = now + 10 min, then
//   - a Restore target: the Restore (absent: message, no retry, stays unprocessed until it expires);
//     in phase New or FailedValidation: Failed, "restore \"r\" is in phase \"New\" and has not
//     written any artifacts"; else its spec.backupName is the backup;
//   - the Backup (absent: the same as an absent Restore); a Backup target whose backup is in phase
//     New, Queued, ReadyToStart or FailedValidation: Failed with Velero's message;
//   - the Backup's spec.storageLocation (absent, or a store that cannot be opened: message, no retry);
//   - the signed URL (an unsupported kind: message and retry, as Velero returns the error);
//   - Processed, downloadURL, expiration = now + 10 min.
// Any other phase (Failed) is left alone until it expires.
DownloadRequestOutcome process_download_request(const velero::DownloadRequest& request,
                                                const DownloadRequestLookups& lookups, Timestamp now);

// The predicate of the controller's periodic resync (every download_request_sync_period): a request
// with an expiration is reconciled again once it has passed (to delete it); one without, always.
bool download_request_due(const velero::DownloadRequest& request, Timestamp now);

// The server's version as buildinfo.Version reads: "v" + vbackup::version().
std::string server_version();
// The plugins a ServerStatusRequest lists, as velero's GetInstalledPluginInfo does (name, kind):
// the object stores (velero.io/aws, velero.io/azure, velero.io/file: the providers a BSL names), the built-in
// BackupItemActions and RestoreItemActions, kind by kind, each kind's in registration order.
std::vector<velero::PluginInfo> installed_plugins();

struct ServerStatusRequestOutcome {
  RequestAction action = RequestAction::none;
  velero::ServerStatusRequestStatus status;  // for update_status
  std::string message;                       // an unexpected phase
  bool retry = false;                        // Velero returns an error
  std::optional<std::chrono::seconds> requeue_after;  // Velero's RequeueAfter
};

// server_status_request_controller.go Reconcile, at `now`: phase "" or New → Processed with
// processedTimestamp now, serverVersion and plugins; Processed → remove once processedTimestamp + 1
// min is not after now (no processedTimestamp: remove; Velero would dereference nil), else requeue in
// 5 min; any other phase → "unexpected ServerStatusRequest phase", retried.
ServerStatusRequestOutcome process_server_status_request(const velero::ServerStatusRequest& request, Timestamp now);

// Lookups over the CRs given (the C ABI's and Python's process calls), found by name whatever the
// namespace; stores opened as open_store's default does, with `options`.
DownloadRequestLookups lookups_over(std::vector<velero::Backup> backups, std::vector<velero::Restore> restores,
                                    std::vector<velero::BackupStorageLocation> locations, LocationOptions options = {});

// The JSON forms of the outcomes (the C ABI, Python): {"action": "none" | "updateStatus" | "remove",
// "status": {…the status to write…}, "message", "retry", "requeueAfter": "5m0s" (server status only)}.
json::object to_json(const DownloadRequestOutcome& outcome);
json::object to_json(const ServerStatusRequestOutcome& outcome);

// One reconcile of the request `name` in `ns` against a cluster serving Velero's CRDs: GET, process
// (lookups from cluster_lookups), then a merge patch of the status (through .../status when the CRD
// has the status subresource) or the DELETE. A request that is gone gives none. Errors of the API
// server throw (kube::KubeError).
DownloadRequestOutcome reconcile_download_request(kube::KubeClient& client, const std::string& ns,
                                                  const std::string& name, Timestamp now,
                                                  const LocationOptions& options = {});
ServerStatusRequestOutcome reconcile_server_status_request(kube::KubeClient& client, const std::string& ns,
                                                           const std::string& name, Timestamp now);

}  // namespace requests
}  // namespace vbackup
