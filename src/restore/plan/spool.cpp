#include "restore/plan/spool.hpp"

#include "core/temp_file.hpp"
#include "vbackup/error.hpp"

#include <isa-l/crc.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <unistd.h>

namespace vbackup::restore::detail {

namespace {
// Blocks of 2 MiB: two of them (one filling, one in flight) hold what one 4 MiB block held before.
constexpr std::size_t kFlushAt = 2 << 20;
constexpr std::size_t kCompareBlock = 64 << 10;
}  // namespace

Spool::Spool(const std::filesystem::path& directory) : where_(directory.string()) {
  fd_ = ::vbackup::detail::create_unlinked_file(directory, "vbackup-spool-");
  if (fd_ < 0) fail("cannot create the spool file");
  pending_.reserve(kFlushAt + (64 << 10));
  writing_.reserve(kFlushAt + (64 << 10));
}

Spool::~Spool() {
  if (written_.valid()) written_.wait();  // the writer uses fd_ and writing_
  if (fd_ >= 0) ::close(fd_);
}

void Spool::fail(const std::string& what) const {
  throw io_error("restore spool in " + where_ + ": " + what + ": " + std::strerror(errno));
}

void Spool::append(const void* data, std::size_t n) {
  pending_.append(static_cast<const char*>(data), n);
  if (pending_.size() >= kFlushAt) hand_off();
}

void Spool::write_at(const std::string& bytes, std::uint64_t offset) const {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("cannot write");  // ENOSPC and friends
    done += static_cast<std::size_t>(w);
  }
}

void Spool::wait_written() {
  if (written_.valid()) written_.get();  // rethrows the writer's error
  writing_.clear();
}

void Spool::hand_off() {
  wait_written();
  std::swap(pending_, writing_);  // pending_ keeps the old block's capacity
  const std::uint64_t at = flushed_;
  flushed_ += writing_.size();
  // A thread per block: its start costs microseconds against the block's milliseconds.
  written_ = std::async(std::launch::async, [this, at] { write_at(writing_, at); });
}

void Spool::flush() {
  if (!pending_.empty()) hand_off();
  wait_written();
}

void Spool::truncate(std::uint64_t new_size) {
  if (new_size >= flushed_) {
    pending_.resize(static_cast<std::size_t>(new_size - flushed_));
    return;
  }
  wait_written();
  pending_.clear();
  if (::ftruncate(fd_, static_cast<off_t>(new_size)) != 0) fail("cannot truncate");
  flushed_ = new_size;
}

void Spool::read(std::uint64_t offset, void* buffer, std::size_t n) const {
  char* out = static_cast<char*>(buffer);
  std::size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail("cannot read");
    if (r == 0) {
      errno = EIO;
      fail("short read at offset " + std::to_string(offset + done));
    }
    done += static_cast<std::size_t>(r);
  }
}

void Spool::read_any(std::uint64_t offset, char* buffer, std::size_t n) const {
  // [0, file_end) in the file, [file_end, flushed_) in writing_, then pending_.
  const std::uint64_t file_end = flushed_ - writing_.size();
  auto take = [&](std::uint64_t end, auto&& copy) {
    if (n == 0 || offset >= end) return;
    auto k = static_cast<std::size_t>(std::min<std::uint64_t>(n, end - offset));
    copy(k);
    buffer += k;
    offset += k;
    n -= k;
  };
  take(file_end, [&](std::size_t k) { read(offset, buffer, k); });
  take(flushed_, [&](std::size_t k) { std::memcpy(buffer, writing_.data() + (offset - file_end), k); });
  if (n > 0) std::memcpy(buffer, pending_.data() + (offset - flushed_), n);
}

bool Spool::equal(std::uint64_t a, std::uint64_t b, std::uint64_t n) {
  if (a == b) return true;
  std::vector<char> x(static_cast<std::size_t>(std::min<std::uint64_t>(n, kCompareBlock)));
  std::vector<char> y(x.size());
  for (std::uint64_t done = 0; done < n;) {
    std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(n - done, x.size()));
    read_any(a + done, x.data(), step);
    read_any(b + done, y.data(), step);
    if (std::memcmp(x.data(), y.data(), step) != 0) return false;
    done += step;
  }
  return true;
}

void SpoolSink::write(const void* data, std::size_t size) {
  spool_.append(data, size);
  // ISA-L's CRC-32 (carry-less multiply, several times zlib's speed: every byte of the backup passes
  // here before the first item is restored); it takes a 64-bit length.
  crc_ = crc32_gzip_refl(crc_, static_cast<const unsigned char*>(data), size);
}

}  // namespace vbackup::restore::detail
