// core's MappedBuffer, the part buffer of the S3 and Azure writers (issue 17: a backup to S3 under
// 64 MiB): bytes kept exactly, and memory back to the system as soon as a buffer is gone, which
// 5 MiB std::strings are not once glibc has raised its mmap threshold.
#include "core/mapped_buffer.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using vbackup::detail::MappedBuffer;
using vbackup::detail::MappedBufferInputStream;

using vbackup::testing::kRssMeaningful;
using vbackup::testing::rss_kib;

TEST_CASE("issue 17: a part buffer keeps its bytes, grows past its capacity, and moves") {
  MappedBuffer empty;
  CHECK(empty.empty());
  CHECK(empty.capacity() == 0);
  MappedBuffer b(10);
  b.append("hello", 5);
  b.append(" world", 6);  // past the capacity: moved to a larger mapping
  CHECK(b.view() == "hello world");
  CHECK(b.capacity() >= 11);
  MappedBuffer moved(std::move(b));
  CHECK(moved.view() == "hello world");
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move): a moved-from buffer is empty
  CHECK(b.capacity() == 0);
  b = std::move(moved);
  CHECK(b.view() == "hello world");
  b.append("", 0);
  CHECK(b.size() == 11);

  auto shared = std::make_shared<const MappedBuffer>(std::move(b));
  MappedBufferInputStream in(shared);
  char buf[4];
  std::string back;
  while (std::size_t n = in.read(buf, sizeof buf)) back.append(buf, n);
  CHECK(back == "hello world");
  MappedBufferInputStream again(shared);  // a retry reads from the start
  CHECK(again.read(buf, 4) == 4);
  CHECK(std::string(buf, 4) == "hell");
}

TEST_CASE("issue 17: part buffers written and dropped give their memory back at once") {
  std::string chunk(1 << 20, 'x');
  long base = rss_kib();
  for (int round = 0; round < 4; ++round) {
    std::vector<MappedBuffer> parts;
    for (int i = 0; i < 3; ++i) {
      parts.emplace_back(5 << 20);
      for (int m = 0; m < 5; ++m) parts.back().append(chunk.data(), chunk.size());
    }
    if (kRssMeaningful) CHECK(rss_kib() - base >= 14 * 1024);  // 15 MiB written: resident
  }
  if (kRssMeaningful) CHECK(rss_kib() - base < 1024);  // all gone again
  MappedBuffer small(5 << 20);
  small.append("x", 1);
  if (kRssMeaningful) CHECK(rss_kib() - base < 1024);  // a 5 MiB buffer holding one byte: one page
}
