// Shared pieces of src/deletion (common.hpp).
#include "deletion/common.hpp"

#include "vbackup/error.hpp"
#include "vbackup/velero_meta.hpp"

namespace vbackup::deletion::detail {


Timestamp clock_now(const std::optional<Timestamp>& now) {
  return now ? *now : now_timestamp();
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
  const ApiResource& r = vbackup::velero_resource(client, "deletebackuprequests", "DeleteBackupRequest");
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
