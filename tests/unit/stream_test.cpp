// Streams and gzip (stream.hpp): Go's gzip header, and pigz-style parallel gzip read by real gunzip.
#include "test_helpers.hpp"
#include "vbackup/error.hpp"
#include "vbackup/stream.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

using namespace vbackup;

namespace {

std::string random_text(std::size_t n, unsigned seed) {
  // Compressible but not trivial: words from a small vocabulary with random bytes mixed in.
  std::mt19937 rng(seed);
  static const char* words[] = {"apiVersion", "kind", "metadata", "name", "namespace", "spec", "status", "{", "}", "\""};
  std::string s;
  while (s.size() < n) {
    if (rng() % 7 == 0) s.push_back(static_cast<char>(rng() & 0xFF));
    s += words[rng() % 10];
  }
  s.resize(n);
  return s;
}

std::string random_letters(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, 'a');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

std::string parallel_gzip(std::string_view data, unsigned threads, std::size_t block = 128 * 1024) {
  StringOutputStream out;
  ParallelGzipOutputStream gz(out, 3, threads, block);
  // Uneven writes, to cross block boundaries in every way.
  std::size_t i = 0, step = 1;
  while (i < data.size()) {
    std::size_t n = std::min(step, data.size() - i);
    gz.write(data.data() + i, n);
    i += n;
    step = step * 3 + 7;
  }
  gz.finish();
  return out.take();
}

// Runs the real gunzip on `gz`; returns its output and whether `gzip -t` passed.
std::pair<std::string, bool> real_gunzip(const std::string& gz) {
  testing::TempDir dir("stream");
  auto path = dir.write("x.gz", gz);
  bool ok = std::system(("gzip -t " + path.string() + " 2>/dev/null").c_str()) == 0;
  std::string out;
  if (FILE* p = popen(("gzip -dc " + path.string()).c_str(), "r")) {
    char buf[65536];
    while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    pclose(p);
  }
  return {out, ok};
}

}  // namespace

TEST_CASE("spec §1.1: gzip as Go's compress/gzip writes its header") {
  std::string gz = gzip_compress("hello");
  REQUIRE(gz.size() > 18);
  const unsigned char expected[10] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff};
  CHECK(gz.compare(0, 10, std::string(reinterpret_cast<const char*>(expected), 10)) == 0);
  CHECK(gzip_decompress(gz, 100, "t") == "hello");
}

TEST_CASE("parallel gzip: one member any gunzip reads, for every size around the block boundaries") {
  const std::size_t block = 64 * 1024;
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, block - 1, block, block + 1, 3 * block + 17, std::size_t{2} << 20}) {
    CAPTURE(n);
    std::string data = random_text(n, static_cast<unsigned>(n));
    std::string gz = parallel_gzip(data, 3, block);
    CHECK(gzip_decompress(gz, n + 1, "ours") == data);
    auto [out, tested] = real_gunzip(gz);
    CHECK(tested);
    CHECK(out == data);
  }
}

TEST_CASE("parallel gzip: recycled blocks (issue 17) keep nothing of the block before") {
  // Blocks that compress to nothing next to incompressible ones (whose output buffer has to grow):
  // every block reuses an earlier block's input, dictionary and output buffers.
  const std::size_t block = 32 * 1024;
  std::mt19937 rng(17);
  std::string data;
  for (int k = 0; k < 24; ++k) {
    if (k % 3 == 0) {
      data.append(block + 5 * k, '\0');
    } else {
      for (std::size_t i = 0; i < block + 7 * k; ++i) data.push_back(static_cast<char>(rng()));
    }
  }
  for (unsigned threads : {1u, 3u}) {
    CAPTURE(threads);
    std::string gz = parallel_gzip(data, threads, block);
    CHECK(gzip_decompress(gz, data.size() + 1, "ours") == data);
    auto [out, tested] = real_gunzip(gz);
    CHECK(tested);
    CHECK(out == data);
  }
  CHECK(parallel_gzip(data, 1, block) == parallel_gzip(data, 3, block));
}

TEST_CASE("parallel gzip: the bytes do not depend on the number of threads (reproducible backups)") {
  std::string data = random_text(1 << 20, 7);
  std::string one = parallel_gzip(data, 1);
  CHECK(parallel_gzip(data, 2) == one);
  CHECK(parallel_gzip(data, 5) == one);
}

TEST_CASE("parallel gzip: each block is primed with the 32 KiB before it (one stream, not independent blocks)") {
  // A 20 KB random chunk repeated: a block can only compress it by reaching into the block before.
  std::string chunk = random_letters(20000, 11), data;
  while (data.size() < (1u << 20)) data += chunk;
  std::string blocks = parallel_gzip(data, 2);
  std::string whole = parallel_gzip(data, 1, data.size() + 1);
  std::size_t unprimed = 0;
  for (std::size_t i = 0; i < data.size(); i += 128 * 1024) unprimed += parallel_gzip(data.substr(i, 128 * 1024), 1).size();
  CHECK(blocks.size() < whole.size() * 110 / 100);
  CHECK(blocks.size() * 3 < unprimed);  // fails if the dictionary is not set
}

TEST_CASE("parallel gzip: writing after finish is an error; destroying unfinished does not throw") {
  StringOutputStream out;
  {
    ParallelGzipOutputStream gz(out, 3, 2);
    gz.write("abc");
    gz.finish();
    CHECK_THROWS_AS(gz.write("x"), Error);
  }
  {
    StringOutputStream partial;
    ParallelGzipOutputStream gz(partial, 3, 2, 32 * 1024);
    std::string big = random_text(300 * 1024, 3);
    gz.write(big);
  }  // no finish: incomplete output, no exception, threads joined
}

TEST_CASE("parallel gzip: a failing sink surfaces as the sink's error") {
  struct Failing : OutputStream {
    using OutputStream::write;
    void write(const void*, std::size_t) override { throw Error(ErrorCode::storage, "sink broke"); }
  } sink;
  ParallelGzipOutputStream gz(sink, 3, 2, 32 * 1024);  // constructing does no I/O
  try {
    gz.write(random_text(200 * 1024, 5));
    gz.finish();
    FAIL("the sink's failure should have surfaced");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "sink broke");
  }
  CHECK_THROWS_AS(gz.write("more"), Error);  // failed for good
}

TEST_CASE("read_all enforces its limit and names the input") {
  StringInputStream in(std::string(100, 'x'));
  try {
    read_all(in, 10, "thing");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("thing") == 0);
  }
}

TEST_CASE("SharedBufferInputStream: every stream over one buffer replays it from the start (a retried request body)") {
  auto data = std::make_shared<const std::string>(random_letters(100000, 3));
  SharedBufferInputStream first(data);
  char buf[333];
  CHECK(first.read(buf, 10) == 10);
  CHECK(std::string(buf, 10) == data->substr(0, 10));
  // A second attempt starts over, whatever the first one read; the buffer is not copied.
  SharedBufferInputStream second(data);
  CHECK(read_all(second, data->size(), "part 1") == *data);
  CHECK(second.read(buf, sizeof buf) == 0);
  CHECK(read_all(first, data->size(), "part 1") == data->substr(10));
  CHECK(data.use_count() == 3);
  SharedBufferInputStream empty(std::make_shared<const std::string>());
  CHECK(empty.read(buf, sizeof buf) == 0);
}
