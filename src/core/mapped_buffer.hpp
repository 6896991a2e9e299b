// A byte buffer in its own anonymous memory mapping, for the multi-MiB parts of uploads (S3 parts,
// Azure blocks). Why not a std::string: glibc raises its mmap threshold to the size of the largest
// mapped chunk freed (up to 32 MiB), so once the first 5 MiB part is freed every later one comes
// from the heap, and freed parts stay resident until the free top of the heap passes twice that.
// That was 10-15 MiB of a backup's peak RSS against S3 (issue 17, docs/benchmarks.md "Issue 17,
// session 6"). A mapping goes back to the system when the buffer is destroyed, and its pages count
// only once written, so a 5 MiB buffer holding a 1 KiB object costs one page.
#pragma once

#include "vbackup/stream.hpp"

#include <cstddef>
#include <memory>
#include <string_view>

namespace vbackup::detail {

class MappedBuffer {
 public:
  MappedBuffer() = default;
  explicit MappedBuffer(std::size_t capacity);  // throws std::bad_alloc when the mapping fails
  ~MappedBuffer();
  MappedBuffer(MappedBuffer&& other) noexcept;
  MappedBuffer& operator=(MappedBuffer&& other) noexcept;
  MappedBuffer(const MappedBuffer&) = delete;
  MappedBuffer& operator=(const MappedBuffer&) = delete;

  // Appends; past the capacity the bytes move to a mapping of the size needed.
  void append(const void* data, std::size_t size);
  const char* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data_, size_}; }

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0, capacity_ = 0;
};

// Reads a shared buffer from its start (a request body that a retry reopens).
class MappedBufferInputStream final : public InputStream {
 public:
  explicit MappedBufferInputStream(std::shared_ptr<const MappedBuffer> data) : data_(std::move(data)) {}
  std::size_t read(void* buffer, std::size_t size) override;

 private:
  std::shared_ptr<const MappedBuffer> data_;
  std::size_t pos_ = 0;
};

}  // namespace vbackup::detail
