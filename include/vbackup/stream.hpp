// Byte streams between stages (libarchive-style callbacks as interfaces): a stage pushes into an
// OutputStream or pulls from an InputStream, so no stage holds a whole archive or listing.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace vbackup {

class InputStream {
 public:
  virtual ~InputStream() = default;
  // Reads up to `size` bytes; returns 0 only at the end. Throws Error on failure.
  virtual std::size_t read(void* buffer, std::size_t size) = 0;
};

class OutputStream {
 public:
  virtual ~OutputStream() = default;
  virtual void write(const void* data, std::size_t size) = 0;
  void write(std::string_view s) { write(s.data(), s.size()); }
};

// Reads everything left in `in`; throws Error(invalid) naming `what` if more than `limit` bytes.
std::string read_all(InputStream& in, std::size_t limit, std::string_view what);

class StringInputStream final : public InputStream {
 public:
  explicit StringInputStream(std::string data) : data_(std::move(data)) {}
  std::size_t read(void* buffer, std::size_t size) override;

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

// A read-only view of a shared, immutable buffer: each stream starts at the beginning, so a
// request body (an S3 part, an Azure block) can be sent again on retry without a copy.
class SharedBufferInputStream final : public InputStream {
 public:
  explicit SharedBufferInputStream(std::shared_ptr<const std::string> data) : data_(std::move(data)) {}
  std::size_t read(void* buffer, std::size_t size) override;

 private:
  std::shared_ptr<const std::string> data_;
  std::size_t pos_ = 0;
};

class StringOutputStream final : public OutputStream {
 public:
  using OutputStream::write;
  void write(const void* data, std::size_t size) override {
    data_.append(static_cast<const char*>(data), size);
  }
  const std::string& str() const { return data_; }
  std::string take() { return std::move(data_); }

 private:
  std::string data_;
};

// A local file opened for reading; errors name the path.
std::unique_ptr<InputStream> open_file(const std::filesystem::path& path);

// Gzip compression as Go's compress/gzip writes it (default level 6, no name, mtime 0, OS 255), used
// for the side files of a backup (spec §2.3). `sink` receives the compressed bytes.
class GzipOutputStream final : public OutputStream {
 public:
  explicit GzipOutputStream(OutputStream& sink, int level = 6);
  ~GzipOutputStream() override;
  using OutputStream::write;
  void write(const void* data, std::size_t size) override;
  void finish();  // writes the trailer; further writes throw

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Gzip compressed on several threads, as pigz writes it: the input is cut into blocks compressed
// independently (each primed with the previous 32 KiB as dictionary, ended with a sync flush) and
// concatenated into ONE gzip member that any gunzip reads. The output depends only on the level and
// block size, not on the number of threads, so a backup is reproducible. Memory is bounded by the
// blocks in flight (about 2 × threads × block size). Only the calling thread writes to `sink`.
class ParallelGzipOutputStream final : public OutputStream {
 public:
  // level: ISA-L's 0–3. The default, 1, is 14x zlib level 6's speed on a backup tarball for 7% more
  // bytes (level 3: 4x for 4%; docs/benchmarks.md). threads = 0: one per hardware thread, at most 8.
  explicit ParallelGzipOutputStream(OutputStream& sink, int level = 1, unsigned threads = 0,
                                    std::size_t block_size = 128 * 1024);
  ~ParallelGzipOutputStream() override;  // without finish() the output is incomplete; never throws
  using OutputStream::write;
  void write(const void* data, std::size_t size) override;
  void finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string gzip_compress(std::string_view data, int level = 6);
// Decompresses a whole gzip member; throws Error(invalid) naming `what` on corrupt input or when
// the output would exceed `limit` bytes.
std::string gzip_decompress(std::string_view data, std::size_t limit, std::string_view what);

}  // namespace vbackup
