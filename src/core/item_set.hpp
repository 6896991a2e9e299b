// Bookkeeping that grows with the number of items of an operation, kept small (issue 6: memory must
// not grow with object count beyond a few bytes per item):
// - ItemSet: "already backed up" (spec §5.8 check 6), "already restored" (restore §2.3 step 4) as
//   128-bit hashes in an open-addressing table, 12 bytes a slot, instead of the keys themselves;
// - SortedSpill: lines spilled to a temporary file in sorted runs and merged back in order, for
//   the resource lists of backups and restores, which must come out sorted (spec §2.3, restore §2.11).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vbackup::detail {

class ItemSet {
 public:
  // Inserts the key; false if it was there. A false "already there" needs two keys to agree on
  // 104 bits of hash (8 choosing the sub-table, 96 stored): about 1 in 10^15 at 10 million items.
  bool insert(std::string_view key);
  bool contains(std::string_view key) const;
  void erase(std::string_view key);
  std::size_t size() const { return size_; }

 private:
  // 12 bytes a slot; {0,0,0} = empty.
  struct Slot {
    std::uint32_t w[3];
    bool empty() const { return (w[0] | w[1] | w[2]) == 0; }
    bool operator==(const Slot&) const = default;
  };
  struct Hashed {
    unsigned table;
    std::uint64_t position;  // where in the sub-table probing starts
    Slot slot;
  };
  // 256 sub-tables grow one at a time, each by half when 4/5 full: memory follows the item count
  // smoothly (about 18 bytes an item), and growing never copies more than one sub-table.
  struct Table {
    std::vector<Slot> slots = std::vector<Slot>(8);
    std::size_t size = 0;
  };
  static Hashed hash(std::string_view key);
  static Hashed stored(const Slot& s);
  static std::size_t find(const Table& t, const Hashed& h);  // the slot holding h, or the empty one where it goes
  static void grow(Table& t);
  std::vector<Table> tables_ = std::vector<Table>(256);
  std::size_t size_ = 0;
};

// Lines are kept in one arena (no allocation per line) up to run_bytes, then sorted and spilled:
// memory is bounded by run_bytes whatever the number of lines. Run files go to `directory` (a
// restore's spool directory, issue 17; empty: the system's temporary directory, as std::tmpfile),
// unlinked at once: nothing stays there, whatever happens.
class SortedSpill {
 public:
  explicit SortedSpill(std::size_t run_bytes = 1 << 20, std::filesystem::path directory = {});
  ~SortedSpill();
  void add(std::string line);  // no '\n' inside
  // Calls `each` with every line in bytewise order, duplicates removed. Once.
  void for_each_sorted(const std::function<void(std::string_view)>& each);
  // Run files open now (0 while everything fits in run_bytes). Never more than kFanIn per level
  // (issue 17): every kFanIn runs of one level are merged into one of the next, so a billion
  // lines need a handful of levels, not a file descriptor per megabyte.
  std::size_t spilled_runs() const { return runs_.size(); }
  // Lines held in memory now (the current run), never more than run_bytes allows (brief s3-seal2).
  std::size_t resident_lines() const { return spans_.size(); }
  static constexpr std::size_t kFanIn = 64;

 private:
  void flush_run();
  void sort_current();
  std::FILE* create_run_file() const;  // Error(io) naming the directory when it cannot
  std::string_view line(std::size_t i) const { return {arena_.data() + spans_[i].first, spans_[i].second}; }
  std::size_t run_bytes_;
  std::filesystem::path directory_;
  std::string arena_;                                          // the current run's lines, back to back
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans_;  // offset and length of each
  void compact();
  struct Run {
    std::FILE* file;
    int level;  // 0: written from memory; n: merged from kFanIn runs of level n - 1
  };
  std::vector<Run> runs_;  // levels never increase along the vector
};

// Fields of a SortedSpill line that sorts as its fields would, one after the other: each field
// escaped (bytes below 0x10 as 0x02 and the byte + 0x10, which keeps their bytewise order and keeps
// '\n' out), followed by kSortSeparator (0x01, below any escaped byte), so a field that is a prefix
// of another sorts first. Numbers as sort_hex (fixed width) sort as numbers.
inline constexpr char kSortSeparator = '\x01';
void append_sort_field(std::string& line, std::string_view field);
void append_sort_hex(std::string& line, std::uint64_t value, int digits = 16);
// The fields of a line back, unescaped (numbers stay hex: parse_sort_hex).
std::vector<std::string> split_sort_line(std::string_view line);
std::uint64_t parse_sort_hex(std::string_view hex);

}  // namespace vbackup::detail
