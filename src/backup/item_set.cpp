#include "item_set.hpp"

#include "vbackup/error.hpp"

#include <algorithm>
#include <queue>

namespace vbackup::detail {

ItemSet::Slot ItemSet::hash(std::string_view key) {
  std::uint64_t a = 1469598103934665603ULL;  // FNV-1a
  std::uint64_t b = 0x9E3779B97F4A7C15ULL;   // a multiplicative mix with another seed
  for (unsigned char c : key) {
    a = (a ^ c) * 1099511628211ULL;
    b = (b + c) * 0xBF58476D1CE4E5B9ULL;
    b ^= b >> 31;
  }
  if (a == 0 && b == 0) a = 1;  // {0,0} marks an empty slot
  return {a, b};
}

std::size_t ItemSet::find(const Slot& h) const {
  std::size_t mask = slots_.size() - 1;
  std::size_t i = static_cast<std::size_t>(h.first ^ (h.second >> 17)) & mask;
  while (slots_[i] != Slot{0, 0} && slots_[i] != h) i = (i + 1) & mask;
  return i;
}

void ItemSet::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  for (const auto& s : old) {
    if (s != Slot{0, 0}) slots_[find(s)] = s;
  }
}

bool ItemSet::insert(std::string_view key) {
  if ((size_ + 1) * 2 > slots_.size()) grow();  // load ≤ 1/2 keeps probes short
  Slot h = hash(key);
  std::size_t i = find(h);
  if (slots_[i] == h) return false;
  slots_[i] = h;
  ++size_;
  return true;
}

bool ItemSet::contains(std::string_view key) const { return slots_[find(hash(key))] == hash(key); }

void ItemSet::erase(std::string_view key) {
  Slot h = hash(key);
  std::size_t i = find(h);
  if (slots_[i] != h) return;
  // Backward-shift deletion keeps linear probing correct without tombstones.
  std::size_t mask = slots_.size() - 1;
  slots_[i] = {0, 0};
  --size_;
  for (std::size_t j = (i + 1) & mask; slots_[j] != Slot{0, 0}; j = (j + 1) & mask) {
    Slot s = slots_[j];
    slots_[j] = {0, 0};
    slots_[find(s)] = s;
  }
}

SortedSpill::SortedSpill(std::size_t run_bytes) : run_bytes_(run_bytes) {}

SortedSpill::~SortedSpill() {
  for (auto* f : runs_) std::fclose(f);
}

void SortedSpill::add(std::string line) {
  current_bytes_ += line.size() + sizeof(std::string);
  current_.push_back(std::move(line));
  if (current_bytes_ >= run_bytes_) flush_run();
}

void SortedSpill::flush_run() {
  std::sort(current_.begin(), current_.end());
  std::FILE* f = std::tmpfile();
  if (!f) throw io_error("resource list: cannot create a temporary file");
  runs_.push_back(f);
  for (const auto& l : current_) {
    if (std::fwrite(l.data(), 1, l.size(), f) != l.size() || std::fputc('\n', f) == EOF) {
      throw io_error("resource list: cannot write a temporary file");
    }
  }
  if (std::fflush(f) != 0 || std::fseek(f, 0, SEEK_SET) != 0) throw io_error("resource list: temporary file");
  current_.clear();
  current_bytes_ = 0;
}

void SortedSpill::for_each_sorted(const std::function<void(std::string_view)>& each) {
  std::sort(current_.begin(), current_.end());
  if (runs_.empty()) {  // everything fitted in memory
    const std::string* last = nullptr;
    for (const auto& l : current_) {
      if (!last || *last != l) each(l);
      last = &l;
    }
    return;
  }
  if (!current_.empty()) flush_run();
  // k-way merge of the sorted runs.
  struct Head {
    std::string line;
    std::size_t run;
    bool operator>(const Head& o) const { return line > o.line; }
  };
  auto read_line = [&](std::size_t run, std::string& out) {
    out.clear();
    int c;
    while ((c = std::fgetc(runs_[run])) != EOF && c != '\n') out.push_back(static_cast<char>(c));
    return c != EOF;
  };
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  for (std::size_t r = 0; r < runs_.size(); ++r) {
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

}  // namespace vbackup::detail
