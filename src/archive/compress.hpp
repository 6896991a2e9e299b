// Compression streams for the tarball. Gzip output is core's ParallelGzipOutputStream (Go's header,
// spec §1.1; pigz-style blocks); zstd is ours (Velero only writes gzip). Input decoding is done here
// rather than by libarchive's filters so that the gzip CRC-32/length trailer and the zstd content checksum are verified, as Go's
// compress/gzip reader verifies them.
#pragma once

#include "vbackup/stream.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace vbackup::archive::detail {

// zstd frame through the streaming API: level 3 (ZSTD_CLEVEL_DEFAULT, what the zstd CLI uses) with
// the content checksum on, as the CLI writes it, so `zstd -t` and our reader detect corruption.
class ZstdOutputStream final : public OutputStream {
 public:
  explicit ZstdOutputStream(OutputStream& sink, int level = 3);
  ~ZstdOutputStream() override;
  using OutputStream::write;
  void write(const void* data, std::size_t size) override;
  void finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Counts the bytes that pass through to `sink`.
class CountingOutputStream final : public OutputStream {
 public:
  explicit CountingOutputStream(OutputStream& sink) : sink_(&sink) {}
  using OutputStream::write;
  void write(const void* data, std::size_t size) override {
    sink_->write(data, size);
    count_ += size;
  }
  std::uint64_t count() const { return count_; }

 private:
  OutputStream* sink_;
  std::uint64_t count_ = 0;
};

// Decodes `source` by its magic bytes: gzip (1f 8b; concatenated members read on, as Go's
// multistream reader does), zstd (28 b5 2f fd; concatenated frames), anything else passed through
// as uncompressed tar. Throws Error(invalid) saying what is wrong ("truncated gzip data"); the
// caller adds which archive and entry.
// Bytes after the last gzip member or zstd frame that do not start another one end the stream.
class DecodingInputStream final : public InputStream {
 public:
  explicit DecodingInputStream(InputStream& source);
  ~DecodingInputStream() override;
  std::size_t read(void* buffer, std::size_t size) override;
  const char* format() const;  // "gzip", "zstd" or "uncompressed"

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vbackup::archive::detail
