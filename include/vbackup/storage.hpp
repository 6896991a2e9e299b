// Object storage, the source of truth (spec §2). An ObjectStore is one bucket (or container, or
// directory); BackupStore lays Velero's keys out over it under a prefix.
#pragma once

#include "vbackup/stream.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
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

// Velero's ObjectStore plugin contract (spec §2.9), bound to one bucket.
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
  virtual std::string signed_url(const std::string& key, std::chrono::seconds ttl) = 0;
  // Where this store points, for messages; never contains credentials.
  virtual std::string describe() const = 0;
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
