// The spool of a backup being restored: one anonymous append-only file holding every item's bytes
// back to back, read with pread at the offsets the index keeps (backup_contents.hpp says why one
// file and not Velero's extracted tree).
//
// The file is created with mkstemp in the given directory and unlinked at once, so it disappears
// when the Spool is destroyed, when an exception unwinds past it, and even when the process is
// killed. Reads (read) are const and safe from several threads once appending is over.
//
// Appended bytes are written in 2 MiB blocks on a thread of their own while the next block fills
// (issue 17: the copy into the page cache was a twentieth of a restore's CPU, on the serial spool
// phase's thread while the API server waits). One block at most is in flight; flush() waits for it.
#pragma once

#include "vbackup/stream.hpp"

#include <cstdint>
#include <filesystem>
#include <future>
#include <string>

namespace vbackup::restore::detail {

class Spool {
 public:
  // Throws Error(io) naming the directory when the file cannot be created.
  explicit Spool(const std::filesystem::path& directory);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  std::uint64_t size() const { return flushed_ + pending_.size(); }

  // Appending: writes go through a buffer of a few MiB; flush() before the first read(). A write
  // that failed on the writer thread is thrown by the next append, truncate, equal or flush.
  void append(const void* data, std::size_t n);
  void truncate(std::uint64_t new_size);  // drops the tail from new_size on (new_size <= size())
  // Whether the n bytes at a and at b are the same; works on flushed and buffered bytes alike.
  bool equal(std::uint64_t a, std::uint64_t b, std::uint64_t n);
  void flush();

  // n bytes at offset into buffer; Error(io) naming the spool on a short read.
  void read(std::uint64_t offset, void* buffer, std::size_t n) const;

 private:
  void read_any(std::uint64_t offset, char* buffer, std::size_t n) const;  // file or buffers
  void hand_off();      // pending_ becomes the block in flight
  void wait_written();  // the block in flight is in the file (or its error thrown)
  void write_at(const std::string& bytes, std::uint64_t offset) const;
  [[noreturn]] void fail(const std::string& what) const;

  int fd_ = -1;
  std::string where_;    // the directory, for messages
  std::string pending_;  // appended bytes not yet handed to the writer
  std::string writing_;  // the block in flight: the bytes just before pending_
  std::future<void> written_;  // valid while writing_ is in flight
  std::uint64_t flushed_ = 0;  // bytes handed off: in the file or in writing_
};

// An OutputStream appending to the spool and keeping the CRC-32 of what it wrote, so that two
// item bodies can be compared cheaply before they are compared byte by byte.
class SpoolSink final : public OutputStream {
 public:
  explicit SpoolSink(Spool& spool) : spool_(spool) {}
  using OutputStream::write;
  void write(const void* data, std::size_t size) override;
  std::uint32_t crc() const { return crc_; }

 private:
  Spool& spool_;
  std::uint32_t crc_ = 0;
};

}  // namespace vbackup::restore::detail
