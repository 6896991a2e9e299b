// The ServerStatusRequest controller (Velero's pkg/controller/server_status_request_controller.go)
// and the plugin list it reports (internal/velero/serverstatusrequest.go GetInstalledPluginInfo).
#include "vbackup/requests.hpp"

#include "restore/actions/restore_item_action.hpp"
#include "vbackup/version.hpp"

#include <algorithm>

namespace vbackup::requests {

std::string server_version() { return std::string("v") + version(); }

std::vector<velero::PluginInfo> installed_plugins() {
  std::vector<velero::PluginInfo> out;
  auto add = [&](std::string_view name, std::string_view kind) {
    velero::PluginInfo p;
    p.name = name;
    p.kind = kind;
    out.push_back(std::move(p));
  };
  // The providers a BackupStorageLocation may name (location_from_bsl strips "velero.io/").
  for (std::string_view name : {"velero.io/aws", "velero.io/azure", "velero.io/file"}) add(name, "ObjectStore");
  // src/backup/actions.cpp builtin_backup_item_actions (tests/unit/requests_test.cpp checks the two agree).
  for (std::string_view name : {"velero.io/pod", "velero.io/pv", "velero.io/service-account"}) add(name, "BackupItemAction");
  for (const auto& action : restore::builtin_restore_item_actions()) add(action->name(), "RestoreItemAction");
  // Velero walks a Go map of kinds (random order); `velero plugin get` sorts by kind, then name.
  std::sort(out.begin(), out.end(), [](const velero::PluginInfo& a, const velero::PluginInfo& b) {
    return a.kind != b.kind ? a.kind < b.kind : a.name < b.name;
  });
  return out;
}

ServerStatusRequestOutcome process_server_status_request(const velero::ServerStatusRequest& request, Timestamp now) {
  namespace phase = velero::server_status_request_phase;
  ServerStatusRequestOutcome out;
  const velero::ServerStatusRequestStatus& st = request.status;
  if (st.phase.empty() || st.phase == phase::New) {
    out.action = RequestAction::update_status;
    out.status = st;
    out.status.server_version = server_version();
    out.status.phase = phase::Processed;
    out.status.processed_timestamp = now;
    out.status.plugins = installed_plugins();
    out.requeue_after = server_status_request_resync_period;
    return out;
  }
  if (st.phase == phase::Processed) {
    // expiration.After(now): kept while processedTimestamp + 1 min is later than now.
    if (st.processed_timestamp && *st.processed_timestamp + server_status_request_ttl > now) {
      out.requeue_after = server_status_request_resync_period;
      return out;
    }
    out.action = RequestAction::remove;
    return out;
  }
  out.message = "unexpected ServerStatusRequest phase";  // Velero's error, returned: requeued
  out.retry = true;
  return out;
}

}  // namespace vbackup::requests
