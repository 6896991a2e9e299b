// A bucket in memory, as Velero's pkg/persistence/in_memory_object_store.go is for its tests, but
// with the file store's contract: keys checked the same way, an upload invisible until commit,
// sorted listings without duplicates (Velero's fake returns a common prefix once per key under it),
// and signed URLs for keys that do not exist yet (Velero's fake refuses those).
#include "storage/object_key.hpp"
#include "vbackup/error.hpp"
#include "vbackup/storage.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

namespace vbackup::storage {
namespace {

using Bytes = std::shared_ptr<const std::string>;

// The objects of one store. A committed object is never modified, only replaced, so readers
// share its bytes without holding the lock.
struct Bucket {
  std::mutex mutex;
  std::map<std::string, Bytes> objects;  // sorted by key, as listings are
  std::map<std::string, Timestamp> modified;  // commit times, for list_object_info
};

class MemoryWriter final : public ObjectWriter {
 public:
  MemoryWriter(std::shared_ptr<Bucket> bucket, std::string key, std::string what, std::function<bool()> cancelled)
      : bucket_(std::move(bucket)), key_(std::move(key)), what_(std::move(what)), cancelled_(std::move(cancelled)) {}
  void write(const void* data, std::size_t size) override {
    if (committed_) throw Error(ErrorCode::storage, what_ + ": write after commit");
    buffer_.append(static_cast<const char*>(data), size);
    written_ += size;
  }
  void commit() override {
    if (committed_) return;
    if (cancelled_ && cancelled_()) throw Error(ErrorCode::cancelled, what_ + ": upload cancelled");
    auto bytes = std::make_shared<const std::string>(std::move(buffer_));
    std::lock_guard lock(bucket_->mutex);
    bucket_->objects[key_] = std::move(bytes);
    bucket_->modified[key_] = now_timestamp();
    committed_ = true;
  }
  std::uint64_t bytes_written() const override { return written_; }

 private:
  std::shared_ptr<Bucket> bucket_;
  std::string key_, what_;
  std::function<bool()> cancelled_;
  std::string buffer_;
  bool committed_ = false;
  std::uint64_t written_ = 0;
};

class MemoryReader final : public InputStream {
 public:
  MemoryReader(Bytes bytes, const ByteRange& range) : bytes_(std::move(bytes)) {
    pos_ = static_cast<std::size_t>(std::min<std::uint64_t>(range.offset, bytes_->size()));
    end_ = bytes_->size();
    if (range.length) end_ = static_cast<std::size_t>(std::min<std::uint64_t>(end_, pos_ + *range.length));
  }
  std::size_t read(void* buffer, std::size_t size) override {
    std::size_t n = std::min(size, end_ - pos_);
    std::memcpy(buffer, bytes_->data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  Bytes bytes_;
  std::size_t pos_ = 0, end_ = 0;
};

class MemoryStore final : public ObjectStore {
 public:
  explicit MemoryStore(std::string name) : name_(std::move(name)), bucket_(std::make_shared<Bucket>()) {}

  std::unique_ptr<ObjectWriter> open_write(const std::string& key) override {
    check_object_key(key, describe());
    return std::make_unique<MemoryWriter>(bucket_, key, describe() + ": " + key, cancel_check());
  }

  std::unique_ptr<InputStream> get(const std::string& key, const ByteRange& range) override {
    check_object_key(key, describe());
    Bytes bytes = find(key);
    if (!bytes) throw not_found(describe() + ": " + key + ": no such object");
    return cancellable(std::make_unique<MemoryReader>(std::move(bytes), range), describe() + ": " + key);
  }

  bool exists(const std::string& key) override {
    check_object_key(key, describe());
    return find(key) != nullptr;
  }

  // S3's ListObjects with a delimiter: each key under the prefix that has the delimiter after the
  // prefix gives the prefix up to and including that delimiter, once.
  std::vector<std::string> list_common_prefixes(const std::string& prefix, const std::string& delimiter) override {
    if (delimiter.empty()) throw invalid_input(describe() + ": empty delimiter");
    std::vector<std::string> out;
    std::lock_guard lock(bucket_->mutex);
    for (auto it = bucket_->objects.lower_bound(prefix); it != bucket_->objects.end(); ++it) {
      const std::string& key = it->first;
      if (!key.starts_with(prefix)) break;
      auto d = key.find(delimiter, prefix.size());
      if (d == std::string::npos) continue;
      std::string common = key.substr(0, d + delimiter.size());
      // The keys under one common prefix are adjacent in key order, and the common prefixes
      // come out sorted: none is a prefix of another (the part before the delimiter holds none).
      if (out.empty() || out.back() != common) out.push_back(std::move(common));
    }
    return out;
  }

  std::vector<std::string> list_objects(const std::string& prefix) override {
    std::vector<std::string> out;
    std::lock_guard lock(bucket_->mutex);
    for (auto it = bucket_->objects.lower_bound(prefix); it != bucket_->objects.end() && it->first.starts_with(prefix);
         ++it) {
      out.push_back(it->first);
    }
    return out;
  }

  std::vector<ObjectInfo> list_object_info(const std::string& prefix) override {
    std::vector<ObjectInfo> out;
    std::lock_guard lock(bucket_->mutex);
    for (auto it = bucket_->objects.lower_bound(prefix); it != bucket_->objects.end() && it->first.starts_with(prefix);
         ++it) {
      out.push_back(ObjectInfo{it->first, it->second->size(), bucket_->modified[it->first]});
    }
    return out;
  }

  void remove(const std::string& key) override {
    check_object_key(key, describe());
    std::lock_guard lock(bucket_->mutex);
    bucket_->objects.erase(key);  // a missing key is fine (S3 semantics)
    bucket_->modified.erase(key);
  }

  std::string signed_url(const std::string& key, std::chrono::seconds) override {
    check_object_key(key, describe());
    return describe() + "/" + key;
  }

  std::string describe() const override { return "memory://" + name_; }

 private:
  Bytes find(const std::string& key) {
    std::lock_guard lock(bucket_->mutex);
    auto it = bucket_->objects.find(key);
    return it == bucket_->objects.end() ? nullptr : it->second;
  }

  std::string name_;
  // Shared with writers, so a writer that outlives the store still has somewhere to commit.
  std::shared_ptr<Bucket> bucket_;
};

}  // namespace

std::unique_ptr<ObjectStore> open_memory_store(std::string name) {
  return std::make_unique<MemoryStore>(std::move(name));
}

}  // namespace vbackup::storage
