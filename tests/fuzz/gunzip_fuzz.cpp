// libFuzzer target for GzipInflater (src/core/gunzip.cpp: our gzip header reader, ISA-L's inflate and
// trailer check), differential against zlib's gzip inflate (windowBits 15 + 16), which reads the same
// first member. Invariants beyond "no crash": what zlib decodes to the end of the member (header,
// data, CRC-32 and length verified), ours decodes to the same bytes and ends at the same input offset,
// fed in any steps; and what ours ends, zlib ends too, with one known exception: ISA-L accepts a
// Huffman code that does not fill its code space (an "incomplete" literal/length or distance set),
// which zlib and Go's compress/flate reject. Then the trailer must still vouch for our bytes: zlib's
// own CRC-32 of them and their length equal the trailer's (core/gunzip.hpp says why we accept it).
// The first input byte picks the step sizes.
#include "core/gunzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

constexpr std::size_t kMaxOut = 4 << 20;  // a bomb stops here for both

struct Result {
  bool ended = false;  // the member ended, trailer verified
  bool failed = false;
  std::size_t consumed = 0;
  std::string out;
  std::string why;  // zlib's message when it failed
};

// zlib's words for a Huffman code that over- or under-fills its code space (inflate.c).
bool code_set_refused(const std::string& why) {
  return why == "invalid literal/lengths set" || why == "invalid distances set" || why == "invalid code lengths set";
}

std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}

Result with_zlib(const std::uint8_t* data, std::size_t size) {
  Result r;
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) std::abort();
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  unsigned char buf[65536];
  for (;;) {
    z.next_out = buf;
    z.avail_out = sizeof buf;
    int rc = inflate(&z, Z_NO_FLUSH);
    r.out.append(reinterpret_cast<char*>(buf), sizeof buf - z.avail_out);
    if (rc == Z_STREAM_END) {
      r.ended = true;
      break;
    }
    if (rc != Z_OK) {
      r.failed = rc != Z_BUF_ERROR;
      if (z.msg) r.why = z.msg;
      break;
    }
    if (r.out.size() >= kMaxOut) break;
  }
  r.consumed = size - z.avail_in;
  inflateEnd(&z);
  return r;
}

Result with_isal(const std::uint8_t* data, std::size_t size, std::size_t in_step, std::size_t out_step) {
  Result r;
  vbackup::detail::GzipInflater gz;
  std::string buf(out_step, '\0');
  int idle = 0;
  for (;;) {
    std::size_t n = std::min(in_step, size - r.consumed);
    auto step = gz.inflate(data + r.consumed, n, reinterpret_cast<unsigned char*>(buf.data()), buf.size());
    r.consumed += step.consumed;
    r.out.append(buf.data(), step.produced);
    if (step.error) {
      r.failed = true;
      break;
    }
    if (step.member_end) {
      r.ended = true;
      break;
    }
    if (r.out.size() >= kMaxOut) break;
    idle = (step.consumed || step.produced) ? 0 : idle + 1;
    if (idle > 1) break;  // input used up, nothing more comes out
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const std::size_t kSteps[] = {1, 3, 64, 4096, std::size_t{1} << 30};
  std::size_t in_step = kSteps[data[0] % 5], out_step = kSteps[(data[0] / 5) % 4];
  ++data;
  --size;
  Result z = with_zlib(data, size);
  Result i = with_isal(data, size, in_step, out_step);
  std::size_t common = std::min({z.out.size(), i.out.size(), kMaxOut});
  if (z.out.compare(0, common, i.out, 0, common) != 0) std::abort();  // never different bytes
  if (z.ended && !(i.ended && i.consumed == z.consumed && i.out == z.out)) std::abort();
  if (i.ended && !z.ended) {
    if (!z.failed || !code_set_refused(z.why) || i.consumed < 18) std::abort();
    const std::uint8_t* trailer = data + i.consumed - 8;
    auto crc = crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(i.out.data()), static_cast<uInt>(i.out.size()));
    if (le32(trailer) != crc || le32(trailer + 4) != static_cast<std::uint32_t>(i.out.size())) std::abort();
  }
  return 0;
}
