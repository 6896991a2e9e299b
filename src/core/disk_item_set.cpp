#include "core/disk_item_set.hpp"

#include "core/hash_mix.hpp"
#include "core/temp_file.hpp"
#include "vbackup/error.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <functional>
#include <vector>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

namespace vbackup::detail {

namespace {
constexpr std::uint64_t kMinCapacity = 1024;
constexpr std::size_t kProbeBlock = 16;       // slots read at once while probing (256 bytes)
constexpr std::size_t kGrowBlock = 4096;      // slots read at once while rehashing (64 KiB)
constexpr std::size_t kKeyFlushAt = 64 << 10;  // the key file's write buffer
}  // namespace

DiskItemSet::DiskItemSet(const std::filesystem::path& directory, std::uint64_t expected_items,
                         std::string file_prefix, std::string what)
    : where_(directory.string()), prefix_(std::move(file_prefix)), what_(std::move(what)) {
  // Load at most 1/2: linear probes stay within one 256-byte read.
  capacity_ = std::bit_ceil(std::max(kMinCapacity, expected_items * 2));
  table_fd_ = create_file();
  try {
    keys_fd_ = create_file();
    if (::ftruncate(table_fd_, static_cast<off_t>(capacity_ * sizeof(Slot))) != 0) fail("cannot size the table file");
  } catch (...) {
    ::close(table_fd_);
    if (keys_fd_ >= 0) ::close(keys_fd_);
    throw;
  }
}

DiskItemSet::~DiskItemSet() {
  ::close(table_fd_);
  ::close(keys_fd_);
}

int DiskItemSet::create_file() const {
  int fd = ::vbackup::detail::create_unlinked_file(where_, prefix_);
  if (fd < 0) fail("cannot create a file");
  return fd;
}

void DiskItemSet::fail(const std::string& what) const {
  throw io_error(what_ + " in " + where_ + ": " + what + ": " + std::strerror(errno));
}

void DiskItemSet::read_at(int fd, std::uint64_t offset, void* buffer, std::size_t n) const {
  auto* p = static_cast<char*>(buffer);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r == 0) errno = EIO;
      fail("cannot read");
    }
    p += r;
    n -= static_cast<std::size_t>(r);
    offset += static_cast<std::uint64_t>(r);
  }
}

void DiskItemSet::write_at(int fd, std::uint64_t offset, const void* buffer, std::size_t n) const {
  const auto* p = static_cast<const char*>(buffer);
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("cannot write");  // ENOSPC and friends
    p += w;
    n -= static_cast<std::size_t>(w);
    offset += static_cast<std::uint64_t>(w);
  }
}

std::uint64_t DiskItemSet::hash(std::string_view key) const {
  return hash_ ? hash_(key) : ::vbackup::detail::fmix64(std::hash<std::string_view>{}(key));
}

void DiskItemSet::write_slot(int fd, std::uint64_t index, const Slot& slot) const {
  write_at(fd, index * sizeof(Slot), &slot, sizeof(Slot));
}

// A key record: u32 length, then the bytes. Either wholly on disk or wholly in pending_.
bool DiskItemSet::key_equals(std::uint64_t record, std::string_view key) const {
  std::uint32_t length = 0;
  if (record >= keys_flushed_) {
    const char* p = pending_.data() + (record - keys_flushed_);
    std::memcpy(&length, p, sizeof length);
    return length == key.size() && std::memcmp(p + sizeof length, key.data(), key.size()) == 0;
  }
  read_at(keys_fd_, record, &length, sizeof length);
  if (length != key.size()) return false;
  std::string stored(length, '\0');
  read_at(keys_fd_, record + sizeof length, stored.data(), length);
  return stored == key;
}

std::uint64_t DiskItemSet::append_key(std::string_view key) {
  std::uint64_t record = keys_flushed_ + pending_.size();
  auto length = static_cast<std::uint32_t>(key.size());
  pending_.append(reinterpret_cast<const char*>(&length), sizeof length);
  pending_.append(key);
  if (pending_.size() >= kKeyFlushAt) {
    write_at(keys_fd_, keys_flushed_, pending_.data(), pending_.size());
    keys_flushed_ += pending_.size();
    pending_.clear();
  }
  return record;
}

// Linear probing from the hash's home slot: the slot holding the key, or the empty slot where it goes.
DiskItemSet::Probe DiskItemSet::probe(std::uint64_t h, std::string_view key) const {
  Slot block[kProbeBlock];
  std::uint64_t i = h & (capacity_ - 1);
  for (;;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kProbeBlock, capacity_ - i));
    read_at(table_fd_, i * sizeof(Slot), block, n * sizeof(Slot));
    for (std::size_t j = 0; j < n; ++j, ++i) {
      if (block[j].key == 0) return {i, false};
      // Equal hashes are confirmed on the key itself: a collision is a different key, probed past,
      // as is a tombstone.
      if (block[j].hash == h && block[j].key != kTombstone && key_equals(block[j].key - 1, key)) return {i, true};
    }
    if (i == capacity_) i = 0;  // the load bound guarantees an empty slot somewhere
  }
}

bool DiskItemSet::contains(std::string_view key) const { return probe(hash(key), key).found; }

bool DiskItemSet::insert(std::string_view key) {
  if (key.size() > UINT32_MAX) throw invalid_input(what_ + ": a key longer than 4 GiB");
  if ((used_ + 1) * 2 > capacity_) grow();
  std::uint64_t h = hash(key);
  Probe p = probe(h, key);
  if (p.found) return false;
  write_slot(table_fd_, p.index, {h, append_key(key) + 1});
  ++size_;
  ++used_;
  return true;
}

void DiskItemSet::erase(std::string_view key) {
  std::uint64_t h = hash(key);
  Probe p = probe(h, key);
  if (!p.found) return;
  // A tombstone, not an empty slot: keys probed past this one must stay reachable. Its key record
  // stays in the key file (never read again).
  write_slot(table_fd_, p.index, {h, kTombstone});
  --size_;
}

// More items than expected: a table twice the size in a new file, filled from the old one read in
// order. The keys stay where they are (slots keep their offsets). When tombstones make most of the
// load, the table is rebuilt at its size instead.
void DiskItemSet::grow() {
  std::uint64_t capacity = (size_ + 1) * 4 > capacity_ ? capacity_ * 2 : capacity_;
  int fd = create_file();
  try {
    if (::ftruncate(fd, static_cast<off_t>(capacity * sizeof(Slot))) != 0) fail("cannot size the table file");
    std::vector<Slot> block(kGrowBlock);
    for (std::uint64_t begin = 0; begin < capacity_; begin += kGrowBlock) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kGrowBlock, capacity_ - begin));
      read_at(table_fd_, begin * sizeof(Slot), block.data(), n * sizeof(Slot));
      for (std::size_t j = 0; j < n; ++j) {
        if (block[j].key == 0 || block[j].key == kTombstone) continue;  // tombstones are dropped here
        // Keys in the table are distinct: only an empty slot is looked for.
        for (std::uint64_t i = block[j].hash & (capacity - 1);; i = (i + 1) & (capacity - 1)) {
          Slot s;
          read_at(fd, i * sizeof(Slot), &s, sizeof s);
          if (s.key == 0) {
            write_slot(fd, i, block[j]);
            break;
          }
        }
      }
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(table_fd_);
  table_fd_ = fd;
  capacity_ = capacity;
  used_ = size_;
}

}  // namespace vbackup::detail
