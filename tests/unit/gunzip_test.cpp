// GzipInflater (core/gunzip.hpp): ISA-L's inflate of RFC 1952 members, checked against real gzip's
// output and zlib's deflate, fed whole or a byte at a time.
#include "core/gunzip.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

using vbackup::detail::GzipInflater;

namespace {

std::string sample(std::size_t n, unsigned seed) {
  // JSON-like and compressible, with random bytes so that every kind of deflate block shows up.
  std::mt19937 rng(seed);
  static const char* words[] = {"{\"apiVersion\":", "\"v1\",", "\"kind\":", "\"ConfigMap\"", "metadata", "\"name\":", "}"};
  std::string s;
  while (s.size() < n) {
    if (rng() % 5 == 0) s.push_back(static_cast<char>(rng() & 0xFF));
    s += words[rng() % 7];
  }
  s.resize(n);
  return s;
}

// Real gzip on a named file: its header carries FNAME.
std::string real_gzip(const std::string& data, const char* level = "-6") {
  vbackup::testing::TempDir dir("gunzip");
  auto path = dir.write("object.json", data);
  std::string out;
  if (FILE* p = popen(("gzip -c " + std::string(level) + " " + path.string()).c_str(), "r")) {
    char buf[65536];
    while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    REQUIRE(pclose(p) == 0);
  }
  return out;
}

std::string raw_deflate(const std::string& data) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void put32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A member with every optional header field (RFC 1952 2.3.1: FEXTRA, FNAME, FCOMMENT, FHCRC).
std::string full_header_member(const std::string& data, bool good_hcrc = true) {
  std::string h = {'\x1f', '\x8b', '\x08', '\x1e', 0, 0, 0, 0, 0, '\x03'};
  h += std::string("\x06\x00", 2) + "AB\x02\x00xy";  // XLEN 6: subfield "AB" of 2 bytes
  h += std::string("backup.tar", 11);                // with its NUL
  h += std::string("a comment", 10);
  auto hcrc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(h.data()), static_cast<uInt>(h.size())));
  if (!good_hcrc) hcrc ^= 1;
  h.push_back(static_cast<char>(hcrc & 0xFF));
  h.push_back(static_cast<char>((hcrc >> 8) & 0xFF));
  h += raw_deflate(data);
  put32(h, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()))));
  put32(h, static_cast<std::uint32_t>(data.size()));
  return h;
}

struct Decoded {
  std::string out;
  std::vector<std::size_t> member_ends;  // input offsets where a member ended
  std::string error;
};

// Decodes all members of `gz`, handing the inflater `in_step` input and `out_step` output bytes at a time.
Decoded decode(const std::string& gz, std::size_t in_step, std::size_t out_step) {
  GzipInflater inflater;
  Decoded d;
  std::string buf(out_step, '\0');
  std::size_t pos = 0;
  int idle = 0;
  while (pos < gz.size()) {
    std::size_t n = std::min(in_step, gz.size() - pos);
    auto step = inflater.inflate(reinterpret_cast<const unsigned char*>(gz.data() + pos), n,
                                 reinterpret_cast<unsigned char*>(buf.data()), buf.size());
    pos += step.consumed;
    d.out.append(buf.data(), step.produced);
    if (step.error) {
      d.error = step.error;
      return d;
    }
    if (step.member_end) {
      d.member_ends.push_back(pos);
      inflater.next_member();
    }
    idle = (step.consumed || step.produced || step.member_end) ? 0 : idle + 1;
    REQUIRE_MESSAGE(idle < 2, "no progress at offset ", pos);
  }
  // The input is used up: output still held inside comes out, and the last member may end now.
  for (;;) {
    auto step = inflater.inflate(nullptr, 0, reinterpret_cast<unsigned char*>(buf.data()), buf.size());
    d.out.append(buf.data(), step.produced);
    if (step.error) d.error = step.error;
    if (step.member_end && (d.member_ends.empty() || d.member_ends.back() != pos)) d.member_ends.push_back(pos);
    if (step.produced == 0) break;
  }
  return d;
}

}  // namespace

TEST_CASE("gunzip: real gzip's members (FNAME set) decode to their bytes, whatever the input and output steps") {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{300000}}) {
    std::string data = sample(size, static_cast<unsigned>(size));
    for (const char* level : {"-1", "-9"}) {
      std::string gz = real_gzip(data, level);
      for (auto steps : {std::pair<std::size_t, std::size_t>{gz.size(), 1 << 20}, {1, 65536}, {7, 13}, {4096, 1},
                         {65536, 65536}}) {
        const std::size_t in_step = steps.first, out_step = steps.second;  // named, not bound: CAPTURE takes them
        if (size == 300000 && (in_step == 1 || out_step == 1)) continue;  // byte steps on the small ones
        Decoded d = decode(gz, in_step, out_step);
        CAPTURE(size);
        CAPTURE(in_step);
        CAPTURE(out_step);
        CHECK(d.error.empty());
        CHECK(d.out == data);
        CHECK(d.member_ends == std::vector<std::size_t>{gz.size()});
      }
    }
  }
}

TEST_CASE("gunzip: every optional header field (FEXTRA, FNAME, FCOMMENT, FHCRC) is read past; a bad FHCRC is an error") {
  std::string data = sample(5000, 3);
  std::string gz = full_header_member(data);
  for (std::size_t in_step : {gz.size(), std::size_t{1}, std::size_t{5}}) {
    Decoded d = decode(gz, in_step, 4096);
    CHECK(d.error.empty());
    CHECK(d.out == data);
  }
  CHECK_FALSE(decode(full_header_member(data, false), gz.size(), 4096).error.empty());
}

TEST_CASE("gunzip: a member ends exactly at its trailer, so the next member's bytes are the caller's") {
  std::string a = sample(70000, 1), b = sample(123, 2);
  std::string ga = real_gzip(a), gb = real_gzip(b, "-9");
  for (std::size_t in_step : {ga.size() + gb.size(), std::size_t{1}, std::size_t{3}, std::size_t{4096}}) {
    Decoded d = decode(ga + gb, in_step, 8192);
    CAPTURE(in_step);
    CHECK(d.error.empty());
    CHECK(d.out == a + b);
    CHECK(d.member_ends == std::vector<std::size_t>{ga.size(), ga.size() + gb.size()});
  }
}

TEST_CASE("gunzip: a wrong CRC-32 or length in the trailer, a flipped byte or no gzip at all is an error") {
  std::string data = sample(20000, 4);
  std::string gz = real_gzip(data);
  std::string bad_crc = gz, bad_len = gz;
  bad_crc[gz.size() - 8] ^= 0x01;
  bad_len[gz.size() - 1] ^= 0x01;
  CHECK(decode(bad_crc, gz.size(), 65536).error == "incorrect data check");
  CHECK_FALSE(decode(bad_len, gz.size(), 65536).error.empty());
  CHECK(decode("this is not gzip at all", 100, 100).error == "incorrect header check");
  std::size_t caught = 0;
  for (std::size_t i = 10; i < gz.size(); i += 97) {
    std::string bad = gz;
    bad[i] ^= 0x5a;
    Decoded d = decode(bad, 4096, 65536);
    if (!d.error.empty()) {
      ++caught;
    } else {
      // An accepted flip decodes to the same bytes (the trailer is verified), never to other ones.
      CHECK_MESSAGE(d.out == data, "flip at ", i);
    }
  }
  CHECK(caught > 0);
}

TEST_CASE("gunzip: a cut member never ends and never fails: the caller sees it is truncated") {
  std::string data = sample(3000, 5);
  std::string gz = real_gzip(data);
  for (std::size_t cut = 0; cut < gz.size(); ++cut) {
    Decoded d = decode(gz.substr(0, cut), 64, 1024);
    CAPTURE(cut);
    CHECK(d.error.empty());
    CHECK(d.member_ends.empty());
    CHECK(data.starts_with(d.out));
  }
}

TEST_CASE("gunzip: a Huffman code that leaves code space unused (zlib, Go, gzip refuse it) decodes only as its trailer says") {
  // Hand-made member: one dynamic block whose literal/length code gives 'A' one bit and end-of-block
  // two (a quarter of the code space unused), then "AAAA" and the trailer. ISA-L accepts such a code
  // (core/gunzip.hpp); what it decodes must still match the trailer's CRC-32 and length.
  const unsigned char member[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x05,
                                  0xc0, 0x01, 0x09, 0x00, 0x00, 0x00, 0x80, 0xa0, 0x6d, 0xfe, 0x3f,
                                  0x15, 0x10, 0xf1, 0x08, 0x0d, 0x9b, 0x04, 0x00, 0x00, 0x00};
  std::string gz(reinterpret_cast<const char*>(member), sizeof member);
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  unsigned char buf[64];
  z.next_in = const_cast<unsigned char*>(member);
  z.avail_in = sizeof member;
  z.next_out = buf;
  z.avail_out = sizeof buf;
  CHECK(inflate(&z, Z_FINISH) == Z_DATA_ERROR);  // the member really is one zlib refuses
  CHECK(std::string(z.msg ? z.msg : "") == "invalid literal/lengths set");
  inflateEnd(&z);
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, gz.size()}) {
    Decoded d = decode(gz, step, step);
    CAPTURE(step);
    CHECK(d.error.empty());
    CHECK(d.out == "AAAA");
    CHECK(d.member_ends == std::vector<std::size_t>{gz.size()});
  }
  std::string bad_crc = gz;
  bad_crc[gz.size() - 8] ^= 0x01;
  CHECK(decode(bad_crc, gz.size(), 64).error == "incorrect data check");
}
