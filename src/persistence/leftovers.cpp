// Finding and pruning what interrupted work left in a location (leftovers.hpp). Only backups/ and
// restores/ are looked at: they are what this library writes, and the other top-level folders
// (kopia/, restic/) belong to Velero's data movers, whose uploads are none of our business.
#include "vbackup/leftovers.hpp"

#include "vbackup/error.hpp"

#include <algorithm>

namespace vbackup {
namespace {

std::optional<std::chrono::seconds> age_of(std::optional<Timestamp> written, Timestamp now) {
  if (!written) return std::nullopt;
  return std::max(std::chrono::seconds(0), now - *written);  // a clock ahead of ours is "now"
}

// The name after `base` ("backups/") up to the next '/', "" if none.
std::string name_under(const std::string& key, const std::string& base) {
  if (!key.starts_with(base)) return "";
  std::string rest = key.substr(base.size());
  auto slash = rest.find('/');
  return slash == std::string::npos ? "" : rest.substr(0, slash);
}

bool ends_with_any(const std::string& key, std::initializer_list<std::string_view> suffixes) {
  return std::any_of(suffixes.begin(), suffixes.end(), [&](std::string_view s) { return key.ends_with(s); });
}

// A folder's objects summed up: count, bytes, and the age of the newest (unknown if any is).
Leftover folder(Leftover::Kind kind, const std::string& dir, const std::string& name,
                const std::vector<storage::ObjectInfo>& objects, Timestamp now) {
  Leftover l;
  l.kind = kind;
  l.key = dir;
  l.name = name;
  l.objects = objects.size();
  std::optional<Timestamp> newest;
  bool unknown = false;
  for (const auto& o : objects) {
    l.bytes += o.size;
    if (!o.last_modified) unknown = true;
    else if (!newest || *o.last_modified > *newest) newest = o.last_modified;
  }
  if (!unknown) l.age = age_of(newest, now);
  return l;
}

}  // namespace

std::string_view to_string(Leftover::Kind kind) {
  switch (kind) {
    case Leftover::Kind::upload: return "upload";
    case Leftover::Kind::backup: return "backup";
    case Leftover::Kind::restore: return "restore";
  }
  return "?";
}

json::object Leftover::to_json() const {
  json::object o{{"kind", to_string(kind)}, {"key", key}};
  if (kind == Kind::upload) o["uploadId"] = upload_id;
  o["name"] = name;
  if (age) o["ageSeconds"] = static_cast<std::int64_t>(age->count());
  o["bytes"] = bytes;
  if (kind != Kind::upload) o["objects"] = static_cast<std::uint64_t>(objects);
  return o;
}

std::vector<Leftover> find_leftovers(storage::BackupStore& store, Timestamp now) {
  storage::ObjectStore& objects = store.objects();
  const std::string backups = store.root() + "backups/", restores = store.root() + "restores/";
  std::vector<Leftover> out;
  for (const std::string& base : {backups, restores}) {
    std::vector<storage::PendingUpload> uploads;
    try {
      uploads = objects.list_pending_uploads(base);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::unsupported) throw;  // a server that cannot list them reports none
    }
    for (const auto& u : uploads) {
      Leftover l;
      l.kind = Leftover::Kind::upload;
      l.key = u.key;
      l.upload_id = u.id;
      l.name = name_under(u.key, base);
      l.age = age_of(u.last_written, now);
      l.bytes = u.size;
      out.push_back(std::move(l));
    }
  }
  // spec §2.7: a folder is a backup only with its velero-backup.json. Heptio Ark's ark-backup.json
  // (spec §2.5) marks a legacy backup, which is not ours to remove.
  for (const auto& dir : objects.list_common_prefixes(backups, "/")) {
    std::string name = name_under(dir, backups);
    if (name.empty() || objects.exists(dir + "velero-backup.json") || objects.exists(dir + "ark-backup.json")) continue;
    auto infos = objects.list_object_info(dir);
    if (!infos.empty()) out.push_back(folder(Leftover::Kind::backup, dir, name, infos, now));
  }
  for (const auto& dir : objects.list_common_prefixes(restores, "/")) {
    std::string name = name_under(dir, restores);
    if (name.empty() || objects.exists(dir + "velero-restore.json")) continue;
    auto infos = objects.list_object_info(dir);
    // Velero's restores have no record of ours; they have results (every version writes them right
    // after the log) and since v1.11 item operations, since v1.14 volume info (spec §2.4).
    bool velero_like = std::any_of(infos.begin(), infos.end(), [](const storage::ObjectInfo& o) {
      return ends_with_any(o.key, {"-results.gz", "-itemoperations.json.gz", "-volumeinfo.json.gz"});
    });
    if (!infos.empty() && !velero_like) out.push_back(folder(Leftover::Kind::restore, dir, name, infos, now));
  }
  return out;
}

PruneResult prune_leftovers(storage::BackupStore& store, Timestamp now, std::chrono::seconds grace) {
  if (grace.count() < 0) throw invalid_input("prune: the grace period must not be negative");
  PruneResult result;
  storage::ObjectStore& objects = store.objects();
  for (auto& l : find_leftovers(store, now)) {
    if (!l.age || *l.age < grace) {
      result.kept.push_back(std::move(l));
      continue;
    }
    try {
      if (l.kind == Leftover::Kind::upload) {
        objects.abort_pending_upload(storage::PendingUpload{l.key, l.upload_id, std::nullopt, l.bytes});
      } else {
        // Checked again: a backup or restore that finished since it was found keeps its folder.
        std::string record = l.key + (l.kind == Leftover::Kind::backup ? "velero-backup.json" : "velero-restore.json");
        if (objects.exists(record)) {
          result.kept.push_back(std::move(l));
          continue;
        }
        for (const auto& key : objects.list_objects(l.key)) objects.remove(key);
      }
      result.removed.push_back(std::move(l));
    } catch (const Error& e) {
      result.errors.push_back(std::string(to_string(l.kind)) + " " + l.key + ": " + e.what());
    }
  }
  return result;
}

}  // namespace vbackup
