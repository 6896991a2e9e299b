// What the C ABI and Python hand over and get back: lookups over given CRs, outcomes as JSON.
#include "vbackup/requests.hpp"

namespace vbackup::requests {

namespace {

template <class T>
std::optional<T> by_name(const std::vector<T>& items, const std::string& name) {
  for (const auto& i : items) {
    if (i.metadata.name == name) return i;
  }
  return std::nullopt;
}

std::string_view action_name(RequestAction a) {
  switch (a) {
    case RequestAction::update_status: return "updateStatus";
    case RequestAction::remove: return "remove";
    case RequestAction::none: break;
  }
  return "none";
}

}  // namespace

DownloadRequestLookups lookups_over(std::vector<velero::Backup> backups, std::vector<velero::Restore> restores,
                                    std::vector<velero::BackupStorageLocation> locations, LocationOptions options) {
  DownloadRequestLookups l;
  l.backup = [b = std::move(backups)](const std::string&, const std::string& name) { return by_name(b, name); };
  l.restore = [r = std::move(restores)](const std::string&, const std::string& name) { return by_name(r, name); };
  l.location = [s = std::move(locations)](const std::string&, const std::string& name) { return by_name(s, name); };
  l.open_store = [options = std::move(options)](const velero::BackupStorageLocation& bsl) {
    storage::Location location = location_from_bsl(bsl);
    std::shared_ptr<storage::ObjectStore> objects = open_location_store(location, options);
    return std::make_shared<storage::BackupStore>(std::move(objects), location.prefix);
  };
  return l;
}

json::object to_json(const DownloadRequestOutcome& outcome) {
  return json::object{{"action", action_name(outcome.action)},
                      {"status", outcome.status.to_json()},
                      {"message", outcome.message},
                      {"retry", outcome.retry}};
}

json::object to_json(const ServerStatusRequestOutcome& outcome) {
  json::object o{{"action", action_name(outcome.action)},
                 {"status", outcome.status.to_json()},
                 {"message", outcome.message},
                 {"retry", outcome.retry}};
  if (outcome.requeue_after) o["requeueAfter"] = format_duration(*outcome.requeue_after);
  return o;
}

}  // namespace vbackup::requests
