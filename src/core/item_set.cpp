#include "core/item_set.hpp"

#include "core/hash_mix.hpp"
#include "core/temp_file.hpp"

#include "vbackup/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <queue>

#include <unistd.h>

namespace vbackup::detail {

namespace {

// Maps a 64-bit hash onto [0, n) by a multiply-high (Lemire's fastrange): n need not be a power of two.
std::size_t reduce(std::uint64_t h, std::size_t n) {
  return static_cast<std::size_t>((static_cast<unsigned __int128>(h) * n) >> 64);
}

}  // namespace

ItemSet::Hashed ItemSet::hash(std::string_view key) {
  std::uint64_t a = 1469598103934665603ULL;  // FNV-1a
  std::uint64_t b = 0x9E3779B97F4A7C15ULL;   // a multiplicative mix with another seed
  for (unsigned char c : key) {
    a = (a ^ c) * 1099511628211ULL;
    b = (b + c) * 0xBF58476D1CE4E5B9ULL;
    b ^= b >> 31;
  }
  a = fmix64(a);
  b = fmix64(b ^ key.size());
  Hashed h{static_cast<unsigned>(b >> 56), a,
           {{static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(a >> 32), static_cast<std::uint32_t>(b)}}};
  if (h.slot.empty()) h.slot.w[2] = 1;
  return h;
}

// A stored slot, hashed again: its probe start is the 64 bits it keeps (the sub-table is implied).
ItemSet::Hashed ItemSet::stored(const Slot& s) {
  return {0, static_cast<std::uint64_t>(s.w[1]) << 32 | s.w[0], s};
}

std::size_t ItemSet::find(const Table& t, const Hashed& h) {
  std::size_t n = t.slots.size();
  std::size_t i = reduce(h.position, n);
  while (!t.slots[i].empty() && t.slots[i] != h.slot) {
    if (++i == n) i = 0;
  }
  return i;
}

void ItemSet::grow(Table& t) {
  std::vector<Slot> old(t.slots.size() + t.slots.size() / 2);
  old.swap(t.slots);
  for (const auto& s : old) {
    if (s.empty()) continue;
    t.slots[find(t, stored(s))] = s;
  }
}

bool ItemSet::insert(std::string_view key) {
  Hashed h = hash(key);
  Table& t = tables_[h.table];
  if ((t.size + 1) * 5 > t.slots.size() * 4) grow(t);  // load ≤ 4/5 keeps linear probes short
  std::size_t i = find(t, h);
  if (t.slots[i] == h.slot) return false;
  t.slots[i] = h.slot;
  ++t.size;
  ++size_;
  return true;
}

bool ItemSet::contains(std::string_view key) const {
  Hashed h = hash(key);
  const Table& t = tables_[h.table];
  return t.slots[find(t, h)] == h.slot;
}

void ItemSet::erase(std::string_view key) {
  Hashed h = hash(key);
  Table& t = tables_[h.table];
  std::size_t i = find(t, h);
  if (t.slots[i] != h.slot) return;
  // Backward-shift deletion keeps linear probing correct without tombstones.
  std::size_t n = t.slots.size();
  auto next = [n](std::size_t j) { return j + 1 == n ? 0 : j + 1; };
  t.slots[i] = {};
  --t.size;
  --size_;
  for (std::size_t j = next(i); !t.slots[j].empty(); j = next(j)) {
    Slot s = t.slots[j];
    t.slots[j] = {};
    t.slots[find(t, stored(s))] = s;
  }
}

SortedSpill::SortedSpill(std::size_t run_bytes, std::filesystem::path directory)
    : run_bytes_(run_bytes), directory_(std::move(directory)) {}

std::FILE* SortedSpill::create_run_file() const {
  if (directory_.empty()) {
    if (std::FILE* f = std::tmpfile()) return f;
    throw io_error(std::string("resource list: cannot create a temporary file: ") + std::strerror(errno));
  }
  int fd = create_unlinked_file(directory_, "vbackup-sort-");
  std::FILE* f = fd >= 0 ? ::fdopen(fd, "w+b") : nullptr;
  if (!f) {
    int e = errno;
    if (fd >= 0) ::close(fd);
    throw io_error("resource list: cannot create a temporary file in " + directory_.string() + ": " + std::strerror(e));
  }
  return f;
}

SortedSpill::~SortedSpill() {
  for (auto& r : runs_) std::fclose(r.file);
}

void SortedSpill::add(std::string line) {
  if (arena_.size() + line.size() > UINT32_MAX) flush_run();
  spans_.emplace_back(static_cast<std::uint32_t>(arena_.size()), static_cast<std::uint32_t>(line.size()));
  arena_ += line;
  if (arena_.size() + spans_.size() * sizeof(spans_[0]) >= run_bytes_) flush_run();
}

void SortedSpill::sort_current() {
  std::sort(spans_.begin(), spans_.end(), [this](const auto& a, const auto& b) {
    return std::string_view(arena_.data() + a.first, a.second) < std::string_view(arena_.data() + b.first, b.second);
  });
}

void SortedSpill::flush_run() {
  sort_current();
  std::FILE* f = create_run_file();
  runs_.push_back({f, 0});
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    std::string_view l = line(i);
    if (std::fwrite(l.data(), 1, l.size(), f) != l.size() || std::fputc('\n', f) == EOF) {
      throw io_error("resource list: cannot write a temporary file");
    }
  }
  if (std::fflush(f) != 0 || std::fseek(f, 0, SEEK_SET) != 0) throw io_error("resource list: temporary file");
  arena_.clear();  // capacity kept: the next run reuses it
  spans_.clear();
  compact();
}

namespace {

// k-way merge of sorted run files (each read from where it is), duplicates removed.
void merge_runs(const std::vector<std::FILE*>& runs, const std::function<void(std::string_view)>& each) {
  struct Head {
    std::string line;
    std::size_t run;
    bool operator>(const Head& o) const { return line > o.line; }
  };
  // getc_unlocked: one thread reads a run; fgetc's lock per byte was 1% of a backup's samples.
  auto read_line = [&](std::size_t run, std::string& out) {
    out.clear();
    int c;
    while ((c = getc_unlocked(runs[run])) != EOF && c != '\n') out.push_back(static_cast<char>(c));
    return c != EOF;
  };
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    Head h{{}, r};
    if (read_line(r, h.line)) heads.push(std::move(h));
  }
  std::string last;
  bool any = false;
  while (!heads.empty()) {
    Head h = heads.top();
    heads.pop();
    if (!any || h.line != last) each(h.line);
    last = h.line;
    any = true;
    if (read_line(h.run, h.line)) heads.push(std::move(h));
  }
}

}  // namespace

void SortedSpill::compact() {
  while (runs_.size() >= kFanIn) {
    std::size_t first = runs_.size() - kFanIn;
    int level = runs_.back().level;
    if (runs_[first].level != level) return;  // fewer than kFanIn runs of the newest level
    std::FILE* merged = create_run_file();
    std::vector<std::FILE*> inputs;
    for (std::size_t i = first; i < runs_.size(); ++i) inputs.push_back(runs_[i].file);
    try {
      merge_runs(inputs, [&](std::string_view l) {
        if (std::fwrite(l.data(), 1, l.size(), merged) != l.size() || std::fputc('\n', merged) == EOF) {
          throw io_error("resource list: cannot write a temporary file");
        }
      });
      if (std::fflush(merged) != 0 || std::fseek(merged, 0, SEEK_SET) != 0) throw io_error("resource list: temporary file");
    } catch (...) {
      std::fclose(merged);
      throw;
    }
    for (auto* f : inputs) std::fclose(f);
    runs_.resize(first);
    runs_.push_back({merged, level + 1});
  }
}

void SortedSpill::for_each_sorted(const std::function<void(std::string_view)>& each) {
  if (runs_.empty()) {  // everything fitted in memory
    sort_current();
    std::string_view last;
    for (std::size_t i = 0; i < spans_.size(); ++i) {
      if (i == 0 || line(i) != last) each(line(i));
      last = line(i);
    }
    return;
  }
  if (!spans_.empty()) flush_run();
  std::vector<std::FILE*> files;
  for (const auto& r : runs_) files.push_back(r.file);
  merge_runs(files, each);
}

void append_sort_field(std::string& line, std::string_view field) {
  for (char c : field) {
    if (static_cast<unsigned char>(c) < 0x10) {
      line.push_back('\x02');
      line.push_back(static_cast<char>(c + 0x10));
    } else {
      line.push_back(c);
    }
  }
  line.push_back(kSortSeparator);
}

void append_sort_hex(std::string& line, std::uint64_t value, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) line.push_back(kDigits[(value >> shift) & 0xF]);
  line.push_back(kSortSeparator);
}

std::vector<std::string> split_sort_line(std::string_view line) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == kSortSeparator) {
      if (i + 1 < line.size()) out.emplace_back();
    } else if (line[i] == '\x02' && i + 1 < line.size()) {
      out.back().push_back(static_cast<char>(line[++i] - 0x10));
    } else {
      out.back().push_back(line[i]);
    }
  }
  return out;
}

std::uint64_t parse_sort_hex(std::string_view hex) {
  std::uint64_t v = 0;
  for (char c : hex) v = (v << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  return v;
}

}  // namespace vbackup::detail
