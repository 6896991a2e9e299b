// The Backup CR in the cluster (kube.hpp BackupRecorder).
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"

namespace vbackup::kube {
namespace {

// The object as we send it: server-owned metadata left to the server.
json::object without_server_fields(const velero::Backup& backup) {
  json::object o = backup.to_json();
  if (auto* md = o.if_contains("metadata") ? o["metadata"].if_object() : nullptr) {
    for (const char* k : {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"}) md->erase(k);
  }
  return o;
}

}  // namespace

BackupRecorder::BackupRecorder(KubeClient& client) : client_(client) {}

void BackupRecorder::operator()(const velero::Backup& backup) {
  if (state_ == State::off) return;
  const std::string& ns = backup.metadata.namespace_;
  const std::string& name = backup.metadata.name;
  if (state_ == State::unknown) {
    const ApiResource* r = client_.discovery().find("velero.io", "backups");
    if (!r) {
      state_ = State::off;
      note_ = "the cluster has no velero.io/v1 Backup resource (Velero's CRDs are not installed): no Backup CR is kept";
      return;
    }
    resource_ = *r;
    try {
      client_.create(*resource_, without_server_fields(backup), ns);
      state_ = State::active;
    } catch (const KubeError& e) {
      if (e.reason() == Reason::already_exists) {
        throw Error(ErrorCode::already_exists, "a Backup named \"" + name + "\" already exists in namespace \"" + ns +
                                                   "\" of " + client_.config().server);
      }
      state_ = State::off;
      note_ = "the Backup CR could not be created in namespace \"" + ns + "\": " + e.what();
    }
    return;
  }
  try {
    client_.patch(*resource_, ns, name, PatchType::merge, json::marshal(without_server_fields(backup)));
  } catch (const Error& e) {
    note_ = "the Backup CR could not be updated: " + std::string(e.what());
  }
}

}  // namespace vbackup::kube
