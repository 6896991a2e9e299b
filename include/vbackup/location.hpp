// A backup storage location from whatever a user hands over: a URL, a BackupStorageLocation
// (velero.io/v1) as JSON or YAML text, or the path of a file holding one.
#pragma once

#include "vbackup/layout.hpp"
#include "vbackup/storage.hpp"
#include "vbackup/velero_location.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace vbackup {

struct LocationOptions;

// spec §2.1, §4.5: provider, bucket, prefix and config of a BSL. Velero's provider names are
// accepted with and without the "velero.io/" prefix ("aws", "velero.io/azure"); "file" is ours.
// spec.credential needs options.secret_key (a cluster to read the Secret from): without it the BSL
// must name its credentials file in spec.config.credentialsFile, else Error(unsupported).
storage::Location location_from_bsl(const velero::BackupStorageLocation& bsl);
storage::Location location_from_bsl(const velero::BackupStorageLocation& bsl, const LocationOptions& options);

// spec §2.2 accessMode: ReadOnly: nothing may write to the location (backups, deletion, GC).
// Error(invalid) naming the BSL and the operation ("backup storage location \"default\" is in
// read-only mode (spec.accessMode: ReadOnly): cannot delete backup b1"); nothing for ReadWrite.
void check_writable(const velero::BackupStorageLocation& bsl, std::string_view operation);
void check_writable(const storage::Location& location, std::string_view operation);

// ---- named locations: velero's BackupStorageLocations by name ----------------------------------

// The file named locations live in: $VBACKUP_CONFIG, else $XDG_CONFIG_HOME/vbackup/locations.yaml,
// else $HOME/.config/vbackup/locations.yaml.
std::filesystem::path default_locations_file();

// The named locations of one file: velero.io/v1 BackupStorageLocation objects (YAML documents or a
// List), each named, at most one marked spec.default: true. The velero CLI's rules for changing them.
class LocationsFile {
 public:
  // Reads the file; a missing one is an empty list. Error(invalid) naming the file for an object
  // that is not a BackupStorageLocation, one without a name, a name twice, or two defaults.
  static LocationsFile load(std::filesystem::path path = default_locations_file());

  const std::filesystem::path& path() const { return path_; }
  const std::vector<velero::BackupStorageLocation>& locations() const { return locations_; }
  const velero::BackupStorageLocation* find(std::string_view name) const;  // nullptr when absent
  const velero::BackupStorageLocation* default_location() const;          // nullptr when none

  // velero backup-location create: Error(already_exists) when the name is taken, Error(invalid)
  // for a name Kubernetes would refuse or a second default ("there is already exist default backup
  // storage location, please unset it first or do not set --default flag").
  void add(velero::BackupStorageLocation location);
  // velero backup-location set --default[=false]: Error(not_found) for no such name; Error(invalid)
  // when another location is the default ("please unset them first"). False when it already was.
  bool set_default(std::string_view name, bool is_default);
  // velero backup-location set: replaces the location of the same name where it stands; the same
  // errors as set_default.
  void update(velero::BackupStorageLocation location);
  // False when there is no such name.
  bool remove(std::string_view name);
  // Writes the file atomically (a temporary file renamed), mode 0600 (a location may name a
  // credentials file), creating its folder.
  void save() const;

 private:
  std::filesystem::path path_;
  std::vector<velero::BackupStorageLocation> locations_;
};

// How a location is found and opened beyond what its text says.
struct LocationOptions {
  // Overrides the location's requestTimeout config key (default 1m): the longest one request to the
  // object store may wait, its retries included; 0 = no limit.
  std::optional<std::chrono::milliseconds> request_timeout;
  // A line for the user when a request to the store has waited 5 s without an answer.
  std::function<void(std::string_view line)> notice;
  // Where names are looked up: this file (empty: default_locations_file()), then, when set, the
  // cluster's BackupStorageLocation CRs in the Velero namespace (the CLI lists them when a cluster
  // is named).
  std::filesystem::path locations_file;
  std::function<std::vector<velero::BackupStorageLocation>()> cluster_locations;
  // The bytes of a key of a Secret in the Velero namespace (a BSL's spec.credential), as Velero's
  // credentials store reads them; Error naming the Secret and key when missing. Set when a cluster
  // is given (vbackup::secret_key_reader in sync.hpp).
  std::function<std::string(const velero::SecretKeySelector&)> secret_key;
};

// A URL ("file://…", "s3://…", "azure://…"), BSL JSON/YAML text, a path to a BSL file, the name of
// a location (the locations file, then the cluster's), or "" for the default location (the one
// marked spec.default: true). Error(not_found) for a name found nowhere, saying where it looked.
storage::Location load_location(std::string_view location, const LocationOptions& options = {});

// The object store a location names: the file store, S3 (and S3-compatible), or Azure Blob.
std::unique_ptr<storage::ObjectStore> open_location_store(const storage::Location& location,
                                                          const LocationOptions& options = {});

// A location ready for use: what load_location() read, its store, and Velero's layout over it.
struct OpenedLocation {
  storage::Location location;
  std::shared_ptr<storage::ObjectStore> objects;
  std::unique_ptr<storage::BackupStore> backups;
};
OpenedLocation open_location(std::string_view location, const LocationOptions& options = {});

// spec §2.2, the BSL controller's validation: phase Available, or Unavailable with the reason (an
// invalid top-level directory, or the store's error, e.g. a missing bucket or denied access);
// lastValidationTime = now. Never throws for a store problem: that is what Unavailable reports.
velero::BackupStorageLocationStatus check_location(storage::BackupStore& store, Timestamp now);

// `backup-location check`, which changes nothing: Unavailable when the folder (file), bucket or
// container does not exist or fails the validation above; else Available, with status.accessMode
// "ReadOnly" and message "read-only: <why>" when a backup could not be written (a folder that is
// not writable, a store that refuses a probe object — written and removed at once — or a BSL whose
// accessMode is ReadOnly).
velero::BackupStorageLocationStatus check_location(OpenedLocation& location, Timestamp now);

// Why a backup could not be written to the location ("backup storage location <url>: …"), "" when
// it could. With `create_folder`, a file location's folder is created first (as a backup's first
// write would); an object store gets the probe object.
std::string location_write_problem(const storage::Location& location, storage::BackupStore& store, bool create_folder);

}  // namespace vbackup
