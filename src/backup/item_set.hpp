// The runner's bookkeeping that grows with the number of items, kept small (issue 6: memory must
// not grow with object count beyond a few bytes per item):
// - ItemSet: "already backed up" (spec §5.8 check 6) as 128-bit hashes in an open-addressing
//   table, 16 bytes a slot, instead of the keys themselves;
// - SortedSpill: lines spilled to a temporary file in sorted runs and merged back in order, for
//   the resource list, which must come out sorted (spec §2.3).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vbackup::detail {

class ItemSet {
 public:
  // Inserts the key; false if it was there. Two independent 64-bit hashes: a false "already there"
  // needs a 128-bit collision.
  bool insert(std::string_view key);
  bool contains(std::string_view key) const;
  void erase(std::string_view key);
  std::size_t size() const { return size_; }

 private:
  using Slot = std::pair<std::uint64_t, std::uint64_t>;  // {0,0} = empty
  static Slot hash(std::string_view key);
  std::size_t find(const Slot& h) const;  // the slot holding h, or the empty slot where it goes
  void grow();
  std::vector<Slot> slots_ = std::vector<Slot>(1024);
  std::size_t size_ = 0;
};

class SortedSpill {
 public:
  explicit SortedSpill(std::size_t run_bytes = 8 << 20);
  ~SortedSpill();
  void add(std::string line);  // no '\n' inside
  // Calls `each` with every line in bytewise order, duplicates removed. Once.
  void for_each_sorted(const std::function<void(std::string_view)>& each);

 private:
  void flush_run();
  std::size_t run_bytes_;
  std::vector<std::string> current_;
  std::size_t current_bytes_ = 0;
  std::vector<std::FILE*> runs_;
};

}  // namespace vbackup::detail
