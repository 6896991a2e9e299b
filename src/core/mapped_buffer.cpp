#include "core/mapped_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include <sys/mman.h>

namespace vbackup::detail {

MappedBuffer::MappedBuffer(std::size_t capacity) {
  if (capacity == 0) return;
  void* p = ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  data_ = static_cast<char*>(p);
  capacity_ = capacity;
}

MappedBuffer::~MappedBuffer() {
  if (data_) ::munmap(data_, capacity_);
}

MappedBuffer::MappedBuffer(MappedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

MappedBuffer& MappedBuffer::operator=(MappedBuffer&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(data_, capacity_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

void MappedBuffer::append(const void* data, std::size_t size) {
  if (size == 0) return;
  if (size_ + size > capacity_) {
    MappedBuffer bigger(std::max(size_ + size, capacity_ * 2));
    if (size_) std::memcpy(bigger.data_, data_, size_);
    bigger.size_ = size_;
    *this = std::move(bigger);
  }
  std::memcpy(data_ + size_, data, size);
  size_ += size;
}

std::size_t MappedBufferInputStream::read(void* buffer, std::size_t size) {
  std::size_t n = std::min(size, data_->size() - pos_);
  if (n == 0) return 0;  // an empty buffer has no mapping: memcpy from nullptr is undefined even for 0 bytes
  std::memcpy(buffer, data_->data() + pos_, n);
  pos_ += n;
  return n;
}

}  // namespace vbackup::detail
