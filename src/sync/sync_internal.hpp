// What the sync room's files share.
#pragma once

#include "vbackup/discovery.hpp"
#include "vbackup/kube.hpp"

#include <string_view>

namespace vbackup::sync_detail {

// The velero.io resource `plural`; Error(unsupported) naming `kind` when the cluster lacks the CRD.
// Whether the CRD defines the status subresource (discovery lists "<plural>/status").
bool has_status_subresource(kube::KubeClient& client, const ApiResource& resource);

}  // namespace vbackup::sync_detail
