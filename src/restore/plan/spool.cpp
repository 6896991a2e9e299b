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
constexpr std::size_t kFlushAt = 4 << 20;  // write in 4 MiB blocks
constexpr std::size_t kCompareBlock = 64 << 10;
}  // namespace

Spool::Spool(const std::filesystem::path& directory) : where_(directory.string()) {
  fd_ = ::vbackup::detail::create_unlinked_file(directory, "vbackup-spool-");
  if (fd_ < 0) fail("cannot create the spool file");
  pending_.reserve(kFlushAt + (64 << 10));
}

Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
}

void Spool::fail(const std::string& what) const {
  throw io_error("restore spool in " + where_ + ": " + what + ": " + std::strerror(errno));
}

void Spool::append(const void* data, std::size_t n) {
  pending_.append(static_cast<const char*>(data), n);
  if (pending_.size() >= kFlushAt) flush();
}

void Spool::flush() {
  std::size_t done = 0;
  while (done < pending_.size()) {
    ssize_t w = ::pwrite(fd_, pending_.data() + done, pending_.size() - done,
                         static_cast<off_t>(flushed_ + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("cannot write");  // ENOSPC and friends
    done += static_cast<std::size_t>(w);
  }
  flushed_ += pending_.size();
  pending_.clear();
}

void Spool::truncate(std::uint64_t new_size) {
  if (new_size >= flushed_) {
    pending_.resize(static_cast<std::size_t>(new_size - flushed_));
    return;
  }
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
  if (offset < flushed_) {
    std::size_t from_file = static_cast<std::size_t>(std::min<std::uint64_t>(n, flushed_ - offset));
    read(offset, buffer, from_file);
    buffer += from_file;
    offset += from_file;
    n -= from_file;
  }
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
