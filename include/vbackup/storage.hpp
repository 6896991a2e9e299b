// Object storage, the source of truth (spec §2). An ObjectStore is one bucket (or container, or
// directory); BackupStore lays Velero's keys out over it under a prefix.
#pragma once

#include "vbackup/stream.hpp"
#include "vbackup/time.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vbackup::storage {

// A streamed upload. Nothing is visible under the key until commit() returns; destroying the
// writer without commit() discards the upload (a crash never leaves half an object).
class ObjectWriter : public OutputStream {
 public:
  using OutputStream::write;
  virtual void commit() = 0;
  virtual std::uint64_t bytes_written() const = 0;
};

struct ByteRange {
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> length;  // nullopt: to the end
};

// An object as a listing shows it, with what leftovers need to know their age.
struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::optional<Timestamp> last_modified;  // nullopt: the store does not say
};

// An upload begun and neither committed nor discarded: what a crash (SIGKILL, power loss) leaves
// behind, invisible to get() and the listings. The file store's temporary files and S3's
// unfinished multipart uploads (which S3 bills until aborted).
struct PendingUpload {
  std::string key;                     // the object it would have become
  std::string id;                      // the store's handle: the temporary file's key, S3's UploadId
  std::optional<Timestamp> last_written;  // the newest write (file mtime, S3's newest part or Initiated)
  std::uint64_t size = 0;              // bytes held, when the store says
};

// Velero's ObjectStore plugin contract (spec §2.9), bound to one bucket, and what this library
// adds for leftovers and cancellation.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  virtual std::unique_ptr<ObjectWriter> open_write(const std::string& key) = 0;
  void put(const std::string& key, std::string_view data);
  // Throws Error(not_found) when the key does not exist.
  virtual std::unique_ptr<InputStream> get(const std::string& key, const ByteRange& range = {}) = 0;
  std::string get_all(const std::string& key, std::size_t limit);
  virtual bool exists(const std::string& key) = 0;
  // Full prefixes ending with the delimiter (`backups/b1/`), sorted.
  virtual std::vector<std::string> list_common_prefixes(const std::string& prefix, const std::string& delimiter) = 0;
  // Every key under the prefix, sorted.
  virtual std::vector<std::string> list_objects(const std::string& prefix) = 0;
  // Removing a missing key is not an error (S3 semantics).
  virtual void remove(const std::string& key) = 0;
  // Velero's CreateSignedURL: a URL anyone holding it may GET for `ttl` (S3 presigned GET, Azure
  // read-only blob SAS). The file store refuses (Error(unsupported)): nothing else could read it.
  virtual std::string signed_url(const std::string& key, std::chrono::seconds ttl) = 0;
  // Where this store points, for messages; never contains credentials.
  virtual std::string describe() const = 0;

  // Every key under the prefix with its size and last-modified time, sorted by key. The default
  // has no times (a store that cannot say); the stores of this library all say.
  virtual std::vector<ObjectInfo> list_object_info(const std::string& prefix);
  // Uploads under the prefix that were begun and never committed or discarded, sorted by key. The
  // default reports none: the memory store has none, and Azure's uncommitted blocks cannot be
  // listed per blob cheaply (the service discards them by itself 7 days after the last Put Block).
  // Error(unsupported) from a server that cannot list them (the s3rver emulator).
  virtual std::vector<PendingUpload> list_pending_uploads(const std::string& prefix);
  // Discards one (deletes the temporary file, aborts the multipart upload); one already gone is fine.
  virtual void abort_pending_upload(const PendingUpload& upload);

  // A check the writers of this store make before every commit and while they wait on the network
  // (S3 parts, Azure blocks in flight): once it returns true, the upload is discarded and write()
  // or commit() throws Error(cancelled), so a cancel is noticed even when no progress callback runs
  // for a while. Set it before uploads start and only for work that a cancel may abandon whole (a
  // backup: run_backup removes what it had committed). It is called on the writer's thread.
  void set_cancel_check(std::function<bool()> check) { cancel_check_ = std::move(check); }
  bool cancel_requested() const { return cancel_check_ && cancel_check_(); }
  const std::function<bool()>& cancel_check() const { return cancel_check_; }
  // The same for downloads: every read() of a stream from get() makes it and throws
  // Error(cancelled) once it returns true (a restore downloading its backup before any item).
  void set_download_cancel_check(std::function<bool()> check) { download_cancel_check_ = std::move(check); }

 protected:
  // What each store's get() returns: `in` itself, or with a download cancel check, `in` wrapped.
  std::unique_ptr<InputStream> cancellable(std::unique_ptr<InputStream> in, const std::string& what) const;

 private:
  std::function<bool()> cancel_check_, download_cancel_check_;
};

// A directory used as a bucket: keys are relative paths. Writes go to a temporary file in the
// target directory, are fsynced and renamed into place.
std::unique_ptr<ObjectStore> open_file_store(const std::filesystem::path& root);

// A bucket in memory (Velero's in_memory_object_store.go), for tests and dry runs: the file
// store's contract (same keys, nothing visible until commit, sorted listings, removing a missing
// key is fine) without a disk. Safe to use from several threads; an open reader keeps the bytes it
// started with. signed_url gives "memory://<name>/<key>".
std::unique_ptr<ObjectStore> open_memory_store(std::string name = "memory");

// A BackupStorageLocation reduced to what opens a store (spec §2.1, §4.5): provider, bucket,
// prefix and the provider's config map with Velero's key names.
struct Location {
  std::string provider;  // "file", "aws", "azure"
  std::string bucket;    // directory for "file"
  std::string prefix;
  std::map<std::string, std::string> config;
  std::string name = "default";      // the BSL's name (labels, spec.storageLocation)
  bool read_only = false;            // accessMode ReadOnly
  // spec.credential's bytes (a key of a Secret in the Velero namespace), used as the content of the
  // credentials file would be (Velero's credentials file store writes them to one for the plugin):
  // AWS shared credentials for aws, KEY=VALUE lines for azure. Wins over config credentialsFile.
  // Never in url() or a message; credentials_source names it ("Secret velero/cloud-credentials, key cloud").
  std::string credentials, credentials_source;
  // issue 16 (brief s3-seal2): the BSL's annotation vbackup.io/encrypt-to (age recipients, as
  // written): every backup written to the location is encrypted to them too (run_backup).
  std::string encrypt_to;
  std::string url() const;           // canonical URL form, without credentials
};

// `file://DIR[?prefix=P]`, `s3://bucket[/prefix]?region=…`, `azure://container[/prefix]?storageAccount=…`.
// Errors name the URL and the problem. (vbackup::open_location_store in location.hpp opens the store.)
Location parse_location_url(std::string_view url);

// spec §2.1: Trim "/" from bucket and prefix; a bucket with "/" is refused unless it is an S3
// multi-region access point ARN. Throws Error(invalid) naming the bucket.
std::string normalize_bucket(std::string_view bucket);
std::string normalize_prefix(std::string_view prefix);

}  // namespace vbackup::storage
