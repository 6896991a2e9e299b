// What the GC and the deletion of src/deletion share: the velero.io resources of a cluster, the
// clock, Velero's words for API errors, a request created with generateName.
#pragma once

#include "vbackup/operation.hpp"
#include "vbackup/deletion.hpp"
#include "vbackup/discovery.hpp"
#include "vbackup/json.hpp"

#include <string>
#include <string_view>

namespace vbackup::deletion::detail {

// The velero.io resource `plural` the cluster serves; Error(unsupported) naming the server and
// the CRD when it does not (the CRDs are installed by `vbackup install` or Velero's).

Timestamp clock_now(const std::optional<Timestamp>& now);

// The message of an error as client-go prints it (the Status message for an API error), which is
// what Velero writes into status.errors.
std::string error_text(const std::exception& e);

bool is_not_found(const std::exception& e);

// client.CreateRetryGenerateName: POST, and again (up to 5 times, retry.DefaultRetry) while the
// generated name is taken. Returns the request as created.
velero::DeleteBackupRequest create_delete_backup_request(kube::KubeClient& client,
                                                         const velero::DeleteBackupRequest& request);

void say(const std::function<void(std::string_view)>& log, const std::string& line);

}  // namespace vbackup::deletion::detail
