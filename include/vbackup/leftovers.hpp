// What interrupted work left in a location: a process killed (SIGKILL, power loss) in the middle of
// a backup or restore cannot clean up, and leaves uploads never committed (the file store's
// temporary files, S3's unfinished multipart uploads) and, in the last seconds, folders without
// their record. No reader sees them (`backup get` lists only folders with velero-backup.json), but
// they take space (S3 bills unfinished uploads until aborted). A cancel (a callback returning false,
// SIGINT/SIGTERM in the CLI) cleans up by itself and leaves none.
#pragma once

#include "vbackup/json.hpp"
#include "vbackup/layout.hpp"
#include "vbackup/time.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vbackup {

struct Leftover {
  enum class Kind {
    upload,   // an upload begun and never committed, under backups/ or restores/
    backup,   // backups/<b>/ holding objects but no velero-backup.json (nor Ark's ark-backup.json)
    restore,  // restores/<r>/ holding a log but no velero-restore.json and no results: a restore of
              // ours cut short (Velero writes results right after the log, and never our record, so a
              // folder with results is Velero's and is left alone)
  };
  Kind kind = Kind::upload;
  std::string key;        // upload: the object it would have become; folders: "<root>backups/<b>/"
  std::string upload_id;  // upload: the store's handle (S3 UploadId, the temporary file's key)
  std::string name;       // the backup or restore it belongs to ("" when the key says none)
  // Since the newest write (a file's mtime, S3's newest part, a folder's newest object); nullopt
  // when the store does not say, and then it is never pruned.
  std::optional<std::chrono::seconds> age;
  std::uint64_t bytes = 0;
  std::size_t objects = 0;  // folders: objects in it

  // {"kind": "upload"|"backup"|"restore", "key", "uploadId" (uploads), "name", "ageSeconds" (when
  // known), "bytes", "objects" (folders)}: what the C API and Python hand out.
  json::object to_json() const;
};

std::string_view to_string(Leftover::Kind kind);

// Every leftover under the location's root, uploads first, each group sorted by key. `now` gives
// the ages. Throws Error(storage) when the store cannot be listed.
std::vector<Leftover> find_leftovers(storage::BackupStore& store, Timestamp now);

struct PruneResult {
  std::vector<Leftover> removed;
  std::vector<Leftover> kept;       // younger than the grace period, or of unknown age
  std::vector<std::string> errors;  // one line per leftover that could not be removed
};

// Removes the leftovers at least `grace` old (aborts the uploads, deletes the folders) and says what
// it kept. The grace period protects work still running: a backup writing its tarball keeps its
// upload young, and one finishing writes its folder's objects just before the record (a folder
// is checked again for its record right before it is deleted).
PruneResult prune_leftovers(storage::BackupStore& store, Timestamp now,
                            std::chrono::seconds grace = std::chrono::hours(1));

}  // namespace vbackup
