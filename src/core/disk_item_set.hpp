// A set of item keys on disk: the restore's "already restored" set of restore §2.3 step 4
// (Velero's restoreContext.restoredItems, keyed apiVersion/Kind|namespace|name) and, past a bound,
// the backup's "already backed up" set of spec §5.8 check 6 (SpillingItemSet), issue 17: memory flat
// from 10k to 1M items.
//
// An open-addressing table of 16-byte slots {64-bit key hash, offset + 1 of the key} in one file,
// and the keys themselves appended to a second file. A hash match is confirmed by reading the key
// back and comparing it, so two keys whose hashes collide are still told apart: the answer is exact,
// unlike core's ItemSet (hashes only, about 18 bytes an item in memory).
//
// Memory is a few KiB whatever the item count: slots are read and written with pread/pwrite (page
// cache, not RSS; no mmap, whose touched pages would count), keys go through a 64 KiB buffer. The
// table is sized from the expected item count at load 1/2 and doubles if more come. Both files are
// created with mkstemp in the given directory (the restore's --spool-dir) and unlinked at once:
// nothing is left behind on success, failure, cancel or a crash.
//
// Why no Bloom filter in front: every insert has to find its empty slot on disk anyway, and each
// item is inserted once, so a filter would save no read while costing memory that grows with the
// item count (about 1.2 bytes an item at 1% false positives).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace vbackup::detail {

class DiskItemSet {
 public:
  // Throws Error(io) naming the directory when the files cannot be created. `file_prefix` names
  // the files in the directory (mkstemp's "<prefix>XXXXXX"), `what` the set in messages.
  DiskItemSet(const std::filesystem::path& directory, std::uint64_t expected_items,
              std::string file_prefix = "vbackup-restored-", std::string what = "restored-items set");
  ~DiskItemSet();
  DiskItemSet(const DiskItemSet&) = delete;
  DiskItemSet& operator=(const DiskItemSet&) = delete;

  // Inserts the key; false if it was there. Not thread-safe: the restorer holds its lock.
  bool insert(std::string_view key);
  bool contains(std::string_view key) const;
  // Removes the key if present (the backup forgets an item whose action failed, spec §5.8). The
  // slot becomes a tombstone that probes walk past; it counts against the load until the next growth.
  void erase(std::string_view key);
  std::uint64_t size() const { return size_; }
  std::uint64_t capacity() const { return capacity_; }  // slots in the table file

  // Test hook, before the first insert: the 64-bit key hash, so that tests can force collisions
  // (nullptr: the default).
  using HashFunction = std::uint64_t (*)(std::string_view);
  void set_hash_for_testing(HashFunction hash) { hash_ = hash; }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint64_t key = 0;  // offset + 1 of the key record in the key file; 0 = empty, kTombstone = erased
  };
  static constexpr std::uint64_t kTombstone = ~std::uint64_t{0};
  struct Probe {  // where probing for a key ended
    std::uint64_t index;
    bool found;
  };
  std::uint64_t hash(std::string_view key) const;
  Probe probe(std::uint64_t h, std::string_view key) const;
  void write_slot(int fd, std::uint64_t index, const Slot& slot) const;
  bool key_equals(std::uint64_t record, std::string_view key) const;
  std::uint64_t append_key(std::string_view key);
  void grow();
  void read_at(int fd, std::uint64_t offset, void* buffer, std::size_t n) const;
  void write_at(int fd, std::uint64_t offset, const void* buffer, std::size_t n) const;
  int create_file() const;
  [[noreturn]] void fail(const std::string& what) const;

  std::string where_;  // the directory, for messages
  std::string prefix_, what_;
  int table_fd_ = -1, keys_fd_ = -1;
  std::uint64_t capacity_ = 0;  // a power of two
  std::uint64_t size_ = 0;
  std::uint64_t used_ = 0;  // slots not empty: the keys and the tombstones (the load)
  std::uint64_t keys_flushed_ = 0;  // bytes of the key file on disk; pending_ follows them
  std::string pending_;
  HashFunction hash_ = nullptr;
};

}  // namespace vbackup::detail
