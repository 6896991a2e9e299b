// What every operation (backup, restore, and the ones to come) shares: the callbacks a caller
// plugs in, the typed outcome every surface maps to its own (an exit status, a vbk_status, an
// exception), and the keeping of Velero's custom resource in the cluster while the operation runs.
#pragma once

#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/time.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace vbackup {

namespace kube {
class KubeClient;
}

// The callbacks of one operation; Progress is the operation's progress type (BackupProgress,
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
// record() into on_record (through to_json()). The first call creates the CR in its namespace and
// throws Error(already_exists) if one of that name exists; later calls merge-patch it. Without the
// velero.io CRD of that kind, or without the namespace, it does nothing and note() says why: the
// operation still runs. Later failures to update are kept in note(), not thrown.
class CrRecorder {
 public:
  // resource: the plural of the kind in velero.io ("backups", "restores"); kind: "Backup".
  CrRecorder(kube::KubeClient& client, std::string resource, std::string kind);
  ~CrRecorder();
  void record(const json::object& cr);
  bool active() const;
  const std::string& note() const { return note_; }

 private:
  struct State;
  kube::KubeClient& client_;
  std::string resource_, kind_;
  std::unique_ptr<State> state_;
  std::string note_;
};

}  // namespace vbackup
