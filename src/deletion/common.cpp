// Shared pieces of src/deletion (common.hpp).
#include "deletion/common.hpp"

#include "vbackup/error.hpp"
#include "vbackup/velero_meta.hpp"

namespace vbackup::deletion::detail {

const ApiResource& velero_resource(kube::KubeClient& client, std::string_view plural, std::string_view kind) {
  if (const ApiResource* r = client.discovery().find("velero.io", plural)) return *r;
  throw Error(ErrorCode::unsupported, "the cluster " + client.config().server + " has no velero.io/v1 " +
                                          std::string(kind) + " CRD (" + std::string(plural) +
                                          ".velero.io): install Velero's CRDs first");
}

Timestamp clock_now(const std::optional<Timestamp>& now) {
  return now ? *now : std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string error_text(const std::exception& e) {
  if (const auto* k = dynamic_cast<const kube::KubeError*>(&e)) return k->status_message();
  return e.what();
}

bool is_not_found(const std::exception& e) {
  const auto* k = dynamic_cast<const kube::KubeError*>(&e);
  return k && k->reason() == kube::Reason::not_found;
}

velero::DeleteBackupRequest create_delete_backup_request(kube::KubeClient& client,
                                                         const velero::DeleteBackupRequest& request) {
  const ApiResource& r = velero_resource(client, "deletebackuprequests", "DeleteBackupRequest");
  const bool generated = request.metadata.name.empty() && !request.metadata.generate_name.empty();
  for (int attempt = 1;; ++attempt) {
    try {
      json::object created = client.create(r, request.to_json(), request.metadata.namespace_);
      return velero::DeleteBackupRequest::from_json(created, "the DeleteBackupRequest created");
    } catch (const kube::KubeError& e) {
      // retry.OnError(retry.DefaultRetry, apierrors.IsAlreadyExists, …): 5 steps.
      if (!generated || e.reason() != kube::Reason::already_exists || attempt >= 5) throw;
    }
  }
}

void say(const std::function<void(std::string_view)>& log, const std::string& line) {
  if (log) log(line);
}

}  // namespace vbackup::deletion::detail
