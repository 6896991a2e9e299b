// What every operation (backup, restore, and the ones to come) shares: the callbacks a caller
// plugs in, the typed outcome every surface maps to its own (an exit status, a vbk_status, an
// exception), and the keeping of Velero's custom resource in the cluster while the operation runs.
#pragma once

#include "vbackup/discovery.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/time.hpp"

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace vbackup {

namespace kube {
class KubeClient;
}

// Whether an operation keeps its velero.io/v1 custom resource in a live cluster (CrRecorder): the
// CLI's --record-in-cluster, the C options' "recordInCluster", Python's record_in_cluster=.
enum class RecordInCluster {
  automatic,  // when the cluster serves the velero.io CRD of the kind (Velero is installed)
  always,     // and the operation fails, saying why, when its CR cannot be created
  never,
};
// "auto", "true" or "false"; anything else is Error(invalid) naming `what` (a flag, an options key).
RecordInCluster parse_record_in_cluster(std::string_view value, std::string_view what);

// The callbacks of one operation, and what it shares about its custom resource; Progress is the operation's progress type (BackupProgress,
// RestoreProgress) and Record its velero.io/v1 resource (velero::Backup, velero::Restore). All run
// on the calling thread, or serialised (a restore's workers never call them at once).
template <class Progress, class Record>
struct OperationCallbacks {
  // After every item and at phase changes; return false to cancel: Error(cancelled) is thrown and
  // nothing of the operation stays in storage.
  std::function<bool(const Progress&)> on_progress;
  // Every line of the operation's log (also uploaded as its -logs.gz), for callers that show it.
  std::function<void(std::string_view level, std::string_view line)> on_log;
  // The resource as it stands: once processing starts (phase InProgress), at most once a second
  // while items go on, and with the final status. Velero keeps its CR current this way; see
  // CrRecorder. An Error thrown here at the start fails the operation.
  std::function<void(const Record&)> on_record;
  // The clock; tests pin it.
  std::function<Timestamp()> now;
  // Whether create_backup / create_restore keep the CR in a live cluster (CrRecorder).
  RecordInCluster record_in_cluster = RecordInCluster::automatic;
  // Once, when the CR has been created in the cluster: a sentence saying so ("recording Backup
  // velero/NAME in the cluster (velero.io CRDs are installed)"), which the CLI prints on stderr.
  std::function<void(const std::string& announcement)> on_recording;
  // The CR already exists in the cluster (a server carrying out a Backup or Restore that a user
  // created, as Velero's controllers do): the recorder updates that one instead of creating it.
  bool record_existing = false;
};

// How an operation ended, typed, so that no surface has to read failureReason text: ok for
// Completed and PartiallyFailed (item errors are in the results), else the category of the failure
// (invalid for FailedValidation, already_exists for a name taken, storage, kube, cancelled, …) and
// a one-line message naming the operation.
struct Outcome {
  ErrorCode code = ErrorCode::ok;
  std::string message;
  bool ok() const { return code == ErrorCode::ok; }
};

// Keeps a velero.io/v1 custom resource (Backup, Restore, …) current in the cluster while an
// operation runs, as Velero's controllers do, so `kubectl get backups -n velero` shows it: plug
// record() into on_record (through to_json()), and call settle() once the operation is over.
//
// The first record() creates the CR in its namespace, never phase-less (a running Velero server
// takes a Backup without a phase as New and runs it): the operation records InProgress or
// FailedValidation first. When the CRD defines the status subresource (discovery lists
// "<plural>/status"), status goes through PUT .../status after the object is written without it;
// a CR whose first status cannot be written is deleted again. Otherwise the whole object is
// written (POST, then merge patches). A CR of that name already in the cluster is
// Error(already_exists), with a message saying how to remove it when it is stale.
//
// Without the velero.io CRD of that kind, without the namespace, or when the API server refuses,
// RecordInCluster::automatic records nothing and note() says why; always throws Error naming the
// cause. Later failures to update never throw: they are kept in note(), and settle() writes the
// final state again.
class CrRecorder {
 public:
  // resource: the plural of the kind in velero.io ("backups", "restores"); kind: "Backup".
  CrRecorder(kube::KubeClient& client, std::string resource, std::string kind,
             RecordInCluster mode = RecordInCluster::automatic);
  ~CrRecorder();
  // Once, when the CR has been created (OperationCallbacks::on_recording).
  void on_recording(std::function<void(const std::string&)> announce);
  // The first record() updates the CR of that name already in the cluster (read then) instead of
  // creating one: a server carrying out a CR someone created. Error(not_found) when it is gone.
  void adopt_existing() { adopt_ = true; }
  void record(const json::object& cr);
  // Leaves the CR in a terminal phase (Completed, PartiallyFailed, Failed, FailedValidation),
  // whatever ended the operation: the last record again when it did not land, or, when the
  // operation stopped before a terminal record (an exception), phase Failed with `failure_reason`
  // and completionTimestamp `now`. What cannot be written is said in note(), with how to remove it.
  void settle(std::string_view failure_reason, Timestamp now);
  // settle() after an operation threw `error`: failureReason "cancelled" for Error(cancelled), the
  // Error's message, or "internal error[: what]" for anything else.
  void settle(std::exception_ptr error, Timestamp now);
  bool active() const;
  const std::string& note() const { return note_; }

 private:
  struct State;
  void start(const json::object& cr);
  bool write(const json::object& cr);
  kube::KubeClient& client_;
  std::string resource_, kind_;
  RecordInCluster mode_;
  bool adopt_ = false;
  std::unique_ptr<State> state_;
  std::string note_;
};

// The velero.io/v1 resource `plural` as the cluster serves it, discovery refreshed once when it is
// absent (Velero's CRDs installed since). Error(unsupported) otherwise, in the words of
// velero_crds_missing.
const ApiResource& velero_resource(kube::KubeClient& client, std::string_view plural, std::string_view kind);
// "the cluster <server> has no velero.io/v1 <Kind> resource (<plural>.velero.io: Velero's CRDs are not
// installed; `vbackup install --crds-only` installs them)".
std::string velero_crds_missing(kube::KubeClient& client, std::string_view plural, std::string_view kind);

// Deletes the recorded velero.io/v1 `resource` ("backups", "restores") `name` in `ns`: true when
// one was deleted, false when there is none or the cluster serves no such CRD. Other failures
// throw (kube::KubeError).
bool delete_recorded_cr(kube::KubeClient& client, std::string_view resource, const std::string& ns,
                        const std::string& name);

}  // namespace vbackup
