// The backup's "already backed up" set (spec §5.8 check 6, Velero's backedUpItems keyed
// apiVersion/Kind|namespace|name) in memory that stops growing (issue 17: backup RSS flat from 10k
// to 1M items): the first `memory_items` keys go to an in-memory ItemSet (about 18 bytes a key, no
// system call), every later key to a DiskItemSet in `directory` (a few KiB of memory, one pread and
// one pwrite an insert, on the page cache). A backup of up to memory_items items never touches disk.
#pragma once

#include "core/disk_item_set.hpp"
#include "core/item_set.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace vbackup::detail {

class SpillingItemSet {
 public:
  // 64Ki keys in memory: about 1.2 MiB, at most.
  static constexpr std::size_t kDefaultMemoryItems = 1 << 16;
  // The disk part's size without an estimate (expect(0)): a million keys.
  static constexpr std::uint64_t kUnknownDiskItems = 1 << 20;

  // `directory`: where the disk part's files go once the memory part is full (empty: the system's
  // temporary directory, TMPDIR); created unlinked, as the restore's (core/temp_file.hpp).
  explicit SpillingItemSet(std::size_t memory_items = kDefaultMemoryItems, std::filesystem::path directory = {});

  // Inserts the key; false if it was there. Throws Error(io) naming the directory when the disk
  // part cannot be created or written.
  bool insert(std::string_view key);
  bool contains(std::string_view key) const;
  void erase(std::string_view key);
  std::uint64_t size() const { return memory_.size() + (disk_ ? disk_->size() : 0); }

  // The number of items the operation expects in all (its estimate), to size the disk table once
  // instead of doubling it on the way (0: unknown).
  void expect(std::uint64_t items) { expected_ = items; }

  bool spilled() const { return disk_ != nullptr; }
  std::size_t memory_size() const { return memory_.size(); }
  const DiskItemSet* disk() const { return disk_.get(); }  // nullptr until spilled

 private:
  std::size_t memory_items_;
  std::filesystem::path directory_;
  std::uint64_t expected_ = 0;
  ItemSet memory_;
  std::unique_ptr<DiskItemSet> disk_;
};

}  // namespace vbackup::detail
