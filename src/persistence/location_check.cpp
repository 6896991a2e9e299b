// `backup-location check` and the check before a backup (location.hpp): whether the folder, bucket
// or container exists, Velero's validation, and whether a backup could be written — without
// changing anything: a file location's folder is looked at, not written; an object store gets a
// probe object that is removed at once.
#include "vbackup/location.hpp"

#include "vbackup/error.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

namespace fs = std::filesystem;

namespace vbackup {
namespace {

struct WriteCheck {
  std::string problem;  // "" = a backup could be written
  std::string note;     // something worth saying even so (a probe object that stayed)
};

std::string probe_key(const storage::BackupStore& store) {
  std::mt19937_64 rng{std::random_device{}()};
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(rng()));
  // A top-level object, not a folder: Velero's validation (top-level directories) never sees it.
  return store.root() + ".vbackup-write-probe-" + hex;
}

// The folder a file location writes into: the bucket folder and the prefix under it.
fs::path file_root(const storage::Location& location) {
  fs::path p = fs::absolute(location.bucket).lexically_normal();
  if (!location.prefix.empty()) p /= location.prefix;
  return p;
}

WriteCheck check_file_write(const storage::Location& location, bool create_folder) {
  fs::path folder = fs::absolute(location.bucket).lexically_normal();
  std::error_code ec;
  if (create_folder) {
    fs::create_directories(file_root(location), ec);
    if (ec) return {"cannot create the folder " + file_root(location).string() + ": " + ec.message(), {}};
  }
  if (!fs::exists(folder, ec)) return {"the folder " + folder.string() + " does not exist (a backup creates it)", {}};
  if (!fs::is_directory(folder, ec)) return {folder.string() + " is not a folder", {}};
  // The deepest existing folder on the way to <bucket>/<prefix> is where the first write goes.
  fs::path target = file_root(location);
  while (!fs::exists(target, ec) && target.has_parent_path() && target != target.parent_path()) target = target.parent_path();
  if (::faccessat(AT_FDCWD, target.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
    return {"the folder " + target.string() + " is not writable: " + std::strerror(errno), {}};
  }
  return {};
}

WriteCheck check_store_write(storage::BackupStore& store) {
  const std::string key = probe_key(store);
  try {
    store.objects().put(key, "");
  } catch (const Error& e) {
    return {std::string("a probe object cannot be written: ") + e.what(), {}};
  }
  try {
    store.objects().remove(key);
  } catch (const Error& e) {
    return {{}, "the probe object " + key + " was written but cannot be removed: " + e.what()};
  }
  return {};
}

WriteCheck check_write(const storage::Location& location, storage::BackupStore& store, bool create_folder) {
  if (location.read_only) return {"the location's accessMode is ReadOnly", {}};
  return location.provider == "file" ? check_file_write(location, create_folder) : check_store_write(store);
}

}  // namespace

std::string location_write_problem(const storage::Location& location, storage::BackupStore& store, bool create_folder) {
  std::string problem = check_write(location, store, create_folder).problem;
  return problem.empty() ? problem : "backup storage location " + location.url() + ": " + problem;
}

velero::BackupStorageLocationStatus check_location(OpenedLocation& location, Timestamp now) {
  velero::BackupStorageLocationStatus status;
  status.last_validation_time = now;
  status.phase = velero::location_phase::Unavailable;
  const auto& loc = location.location;
  if (loc.provider == "file") {
    fs::path folder = fs::absolute(loc.bucket).lexically_normal();
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) {
      status.message = fs::exists(folder, ec) ? folder.string() + " is not a folder"
                                              : "the folder " + folder.string() + " does not exist (a backup creates it)";
      return status;
    }
  }
  // spec §2.2: Velero's validation (a missing bucket or denied access shows here as the store's error).
  try {
    status.message = location.backups->validation_error();
  } catch (const Error& e) {
    status.message = e.what();
  }
  if (!status.message.empty()) return status;
  status.phase = velero::location_phase::Available;
  try {
    WriteCheck w = check_write(loc, *location.backups, false);
    if (!w.problem.empty()) {
      // Readable, not writable: restores work, backups would fail. The deprecated status.accessMode
      // says so in the BSL's own words.
      status.access_mode = std::string(velero::access_mode::ReadOnly);
      status.message = "read-only: " + w.problem;
    } else {
      status.message = w.note;
    }
  } catch (const Error& e) {
    status.access_mode = std::string(velero::access_mode::ReadOnly);
    status.message = std::string("read-only: ") + e.what();
  }
  return status;
}

}  // namespace vbackup
