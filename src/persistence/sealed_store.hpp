// The ObjectStore decorator behind sealing.hpp: one backup's folder sealed on write, opened and
// checked on read. Internal to persistence (sealing.cpp, sealing_verify.cpp).
#pragma once

#include "core/item_set.hpp"
#include "vbackup/crypto.hpp"
#include "vbackup/sealing.hpp"
#include "vbackup/storage.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

// OpenSSL's EVP_MD_CTX and EVP_MD (Sha256Digester), without its headers here.
struct evp_md_ctx_st;
struct evp_md_st;

namespace vbackup::sealing::detail {

inline constexpr std::string_view age_magic = "age-encryption.org/v1\n";

std::string base_name(const std::string& key);
std::string checksums_name(const std::string& backup);  // <b>-checksums.json

// Item entries of a checksum manifest, sorted by (tarball, path) on disk (issue 17: memory bounded
// whatever the number of items). `side` tells expected (0) from actual (1) entries when verifying.
// Each entry is one compact SortedSpill line, its SHA-256 as 32 binary bytes (hex only when the
// manifest is written: issue 17 session 6, the per-item strings of a backup off its critical path).
class ItemSpill {
 public:
  // An entry as stored: views valid during the call of for_each_raw's callback only.
  struct RawEntry {
    std::string_view file, path;
    std::uint64_t size = 0;
    const unsigned char* sha256 = nullptr;  // 32 bytes
    int side = 0;
  };
  void add(const crypto::ChecksumEntry& e, int side = 0);  // e.sha256: 64 lower-case hex digits
  void add(std::string_view file, std::string_view path, std::uint64_t size, const unsigned char* sha256, int side = 0);
  // Every entry in (file, path, side) order, entries equal byte for byte once. Once.
  void for_each(const std::function<void(const crypto::ChecksumEntry&, int side)>& each);
  void for_each_raw(const std::function<void(const RawEntry&)>& each);
  std::uint64_t added(int side) const { return added_[side ? 1 : 0]; }
  std::uint64_t seen(int side) const { return seen_[side ? 1 : 0]; }
  std::size_t spilled_runs() const { return spill_.spilled_runs(); }

 private:
  ::vbackup::detail::SortedSpill spill_;
  std::string line_;  // the line being built (its capacity reused)
  std::uint64_t added_[2] = {0, 0}, seen_[2] = {0, 0};
};

// SHA-256 of many small buffers with one context and one fetched algorithm, reused: no allocation
// and no algorithm lookup per item (OpenSSL 3's EVP_DigestInit_ex fetches SHA-256 on every call).
class Sha256Digester {
 public:
  Sha256Digester();
  ~Sha256Digester();
  Sha256Digester(const Sha256Digester&) = delete;
  Sha256Digester& operator=(const Sha256Digester&) = delete;
  void digest(std::string_view bytes, unsigned char* out32);

 private:
  ::evp_md_ctx_st* ctx_ = nullptr;
  ::evp_md_st* md_ = nullptr;
};

// The items of a backup being written, hashed on a thread of its own (issue 17, session 6: the
// backup's main thread only copies each item into a batch). Batches go through a bounded queue
// (at most `max_batches` of about `batch_bytes` each, an item larger than that alone in one), so
// memory does not grow with the items or with a slow hasher. The worker hands each item's path,
// size and SHA-256 to `sink` (SealedStore: its ItemSpill), in the order added; a failure there is
// rethrown by the next add() or by finish(). An item with the bytes of the one added before it (the
// backup writes each item twice) is compared, not copied, and keeps that item's digest.
class ItemHasher {
 public:
  using Sink = std::function<void(std::string_view path, std::uint64_t size, const unsigned char* sha256)>;
  explicit ItemHasher(Sink sink, std::size_t batch_bytes = 128 * 1024, std::size_t max_batches = 4);
  ~ItemHasher();  // stops the worker; items not hashed yet are dropped (the backup failed or was cancelled)
  ItemHasher(const ItemHasher&) = delete;
  ItemHasher& operator=(const ItemHasher&) = delete;
  // From one thread at a time (SealedStore::record_item holds its lock).
  void add(std::string_view path, std::string_view bytes);
  // Every item added went to the sink when it returns; rethrows the worker's failure. Once.
  void finish();
  std::size_t batches() const { return batches_; }  // batches allocated: never more than max_batches

 private:
  struct Batch;
  void run();
  void hand_over(std::unique_lock<std::mutex>& lock);  // current_ to the queue; a free batch back
  void rethrow_locked();
  Sink sink_;
  const std::size_t batch_bytes_, max_batches_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Batch>> full_, free_;
  std::unique_ptr<Batch> current_;
  std::size_t batches_ = 0;
  bool stop_ = false, done_ = false, finished_ = false;
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};  // error_ is set (read without the lock by add())
  std::thread worker_;
};

// The manifest's JSON as crypto::ChecksumManifest::to_json writes it, byte for byte, the items
// streamed from `items` (side 0; nullptr: none).
void write_manifest(OutputStream& out, std::vector<crypto::ChecksumEntry> files, ItemSpill* items);
// The items' part of that JSON (each entry after "\n    " or ",\n    ") in chunks to `out`; false: none.
bool write_items(ItemSpill& items, const std::function<void(std::string_view)>& out);
// The items' part rendered ahead (issue 17, session 6: once the tarball is committed, off the backup's
// thread) into an unlinked temporary file, then copied into the manifest by write_manifest.
struct PreparedItems {
  std::FILE* file = nullptr;
  bool any = false;
  PreparedItems() = default;
  PreparedItems(const PreparedItems&) = delete;
  PreparedItems& operator=(const PreparedItems&) = delete;
  ~PreparedItems();
};
std::unique_ptr<PreparedItems> prepare_items(ItemSpill& items);
void write_manifest(OutputStream& out, std::vector<crypto::ChecksumEntry> files, PreparedItems& items);

// A stored manifest parsed as a stream, as strictly as ChecksumManifest::parse: the files kept
// (sorted), the items added to `items` (side 0) or, with nullptr, only checked and counted.
struct ParsedManifest {
  std::vector<crypto::ChecksumEntry> files;
  std::uint64_t items = 0;
};
ParsedManifest read_manifest(InputStream& in, std::string_view what, ItemSpill* items);

// The differences of the actual items (side 1) from the expected ones (side 0), worded as
// ChecksumManifest::compare words them.
std::vector<std::string> compare_items(ItemSpill& items);

// Reads a stored object: hashes the bytes as stored and, at their end, compares them with `expected`
// (when given); replays the bytes sniffed for the age magic.
class HashingInput final : public InputStream {
 public:
  HashingInput(std::unique_ptr<InputStream> raw, std::string key, std::optional<crypto::ChecksumEntry> expected);
  std::size_t read(void* buffer, std::size_t size) override;
  bool is_age();  // sniffs the first bytes (kept for read())
  // Reads to the end; the difference from `expected` ("" when none or nothing expected).
  std::string finish();
  const std::string& key() const { return key_; }
  // Once the end was read (finish()): the size and SHA-256 of the bytes as stored.
  std::uint64_t found_size() const { return found_size_; }
  const std::string& found_sha256() const { return found_sha256_; }

 private:
  std::size_t raw_read(void* buffer, std::size_t size);
  std::unique_ptr<InputStream> raw_;
  std::string key_;
  std::optional<crypto::ChecksumEntry> expected_;
  crypto::Sha256 hash_;
  std::string sniffed_;
  std::size_t sniff_pos_ = 0;
  bool sniffed_done_ = false, ended_ = false;
  std::optional<std::string> problem_;
  std::uint64_t found_size_ = 0;
  std::string found_sha256_;
};

// What get() returns for an object of the sealed folder: the stored bytes hashed, decrypted when age.
class SealedInput final : public InputStream {
 public:
  SealedInput(std::unique_ptr<HashingInput> raw, const std::vector<crypto::AgeIdentity>& identities,
              std::vector<std::string> expected_fingerprints);
  std::size_t read(void* buffer, std::size_t size) override;
  std::string finish() { return raw_->finish(); }
  bool encrypted() const { return decryptor_ != nullptr; }

 private:
  std::unique_ptr<HashingInput> raw_;
  std::unique_ptr<crypto::AgeDecryptor> decryptor_;
};

class SealedStore final : public storage::ObjectStore {
 public:
  SealedStore(std::shared_ptr<storage::ObjectStore> inner, std::string root, std::string backup);
  ~SealedStore() override;  // waits for the items' rendering when one runs
  // Writing.
  void set_seal(SealOptions options) { seal_ = std::move(options); writing_ = true; }
  void record_item(std::string_view path, std::string_view bytes);
  void write_seal(velero::Backup& backup);
  // Reading.
  void set_open(OpenOptions options) { open_ = std::move(options); }
  std::vector<std::string> warnings();
  // The manifest as velero-backup.json pins it (loaded once); nullopt without one.
  // Its files only: the items stream through expected_items() (issue 17).
  const std::optional<crypto::ChecksumManifest>& expected();
  // Before expected(): keep the manifest's items (side 0 of expected_items()), for verify.
  void want_items() { want_items_ = true; }
  ItemSpill* expected_items() { expected(); return items_.get(); }
  const std::vector<std::string>& recorded_fingerprints() { expected(); return fingerprints_; }
  bool signature_verified() { expected(); return signature_verified_; }
  const OpenOptions& open_options() const { return open_; }
  // get() without the manifest check (verify and rekey compare by themselves).
  std::unique_ptr<SealedInput> open_unchecked(const std::string& key);
  // The canonical form of velero-backup.json that the manifest hashes (see sealing.cpp).
  static std::string canonical_record(std::string_view record_json, std::string_view what);
  const std::string& dir() const { return dir_; }
  const std::string& backup() const { return backup_; }
  storage::ObjectStore& inner() { return *inner_; }

  std::unique_ptr<storage::ObjectWriter> open_write(const std::string& key) override;
  std::unique_ptr<InputStream> get(const std::string& key, const storage::ByteRange& range = {}) override;
  bool exists(const std::string& key) override { return inner_->exists(key); }
  std::vector<std::string> list_common_prefixes(const std::string& p, const std::string& d) override {
    return inner_->list_common_prefixes(p, d);
  }
  std::vector<std::string> list_objects(const std::string& prefix) override { return inner_->list_objects(prefix); }
  void remove(const std::string& key) override { inner_->remove(key); }
  std::string signed_url(const std::string& key, std::chrono::seconds ttl) override;
  std::string describe() const override { return inner_->describe(); }
  std::vector<storage::ObjectInfo> list_object_info(const std::string& prefix) override {
    return inner_->list_object_info(prefix);
  }
  std::vector<storage::PendingUpload> list_pending_uploads(const std::string& prefix) override {
    return inner_->list_pending_uploads(prefix);
  }
  void abort_pending_upload(const storage::PendingUpload& u) override { inner_->abort_pending_upload(u); }

  bool sealed_key(const std::string& key) const;  // under the folder, not velero-backup.json
  void record_file(const crypto::ChecksumEntry& entry);

 private:
  void load();
  std::shared_ptr<storage::ObjectStore> inner_;
  std::string dir_, backup_, record_key_, manifest_key_, signature_key_, tarball_key_;
  bool writing_ = false;
  SealOptions seal_;
  OpenOptions open_;
  std::mutex mutex_;
  std::map<std::string, crypto::ChecksumEntry> files_;
  std::unique_ptr<ItemSpill> items_;  // written items, or the manifest's items read (want_items_)
  std::unique_ptr<ItemHasher> hasher_;  // while writing: items on their way to items_
  // Once the tarball is committed: the items' JSON rendered on a thread of its own, for write_seal.
  bool items_closed_ = false;
  std::thread preparing_;
  std::unique_ptr<PreparedItems> prepared_;
  std::exception_ptr prepare_error_;
  bool loaded_ = false, signature_verified_ = false, want_items_ = false;
  std::optional<crypto::ChecksumManifest> expected_;
  std::vector<std::string> fingerprints_, warnings_;
};

SealedStore* sealed_store(storage::BackupStore& store);  // nullptr for an unsealed view

}  // namespace vbackup::sealing::detail
