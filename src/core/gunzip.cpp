#include "core/gunzip.hpp"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <cstdint>

namespace vbackup::detail {

struct GzipInflater::State {
  inflate_state z;  // about 85 KiB: tables and the history window
  bool ended = false;
  bool failed = false;
  // The header is read here, not by ISA-L: its own header reader (ISA-L 2.30) loses its place when
  // optional fields (FEXTRA, FNAME, FCOMMENT) arrive split across calls. ISA-L verifies the trailer.
  enum class Header { fixed, xlen, extra, name, comment, hcrc, done } header = Header::fixed;
  unsigned char flags = 0;
  std::size_t need = 10;  // bytes left of the fixed part, XLEN, the extra field or the header CRC
  std::uint32_t extra_len = 0;
  std::uint32_t crc = 0;  // of the header bytes so far, for FHCRC
  std::uint32_t stored_hcrc = 0;

  void reset() {
    isal_inflate_init(&z);
    z.crc_flag = ISAL_GZIP_NO_HDR_VER;  // raw deflate, then the CRC-32 and ISIZE verified
    ended = failed = false;
    header = Header::fixed;
    need = 10;
    flags = 0;
    extra_len = crc = stored_hcrc = 0;
  }

  // Reads header bytes from in; returns how many it took, or sets error.
  std::size_t read_header(const unsigned char* in, std::size_t n, const char*& error);
};

namespace {

constexpr unsigned char kFhcrc = 0x02, kFextra = 0x04, kFname = 0x08, kFcomment = 0x10;

// zlib's words for the same faults, so that errors read alike whichever library decoded.
const char* message(int rc) {
  switch (rc) {
    case ISAL_INVALID_BLOCK: return "invalid block type";
    case ISAL_INVALID_SYMBOL: return "invalid code";
    case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER: return "incorrect header check";
    case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
    case ISAL_NEED_DICT: return "need dictionary";
    default: return "invalid data";
  }
}

}  // namespace

// RFC 1952 2.3: ID1 ID2 CM FLG MTIME(4) XFL OS, then [XLEN extra] [name NUL] [comment NUL] [CRC16].
std::size_t GzipInflater::State::read_header(const unsigned char* in, std::size_t n, const char*& error) {
  std::size_t i = 0;
  auto take = [&] {
    unsigned char c = in[i++];
    if (header != Header::hcrc) crc = crc32_gzip_refl(crc, &c, 1);
    return c;
  };
  while (i < n && header != Header::done) {
    switch (header) {
      case Header::fixed: {
        std::size_t at = 10 - need;
        unsigned char c = take();
        if ((at == 0 && c != 0x1f) || (at == 1 && c != 0x8b)) {
          error = "incorrect header check";
          return i;
        }
        if (at == 2 && c != 8) {
          error = "unknown compression method";
          return i;
        }
        if (at == 3) {
          if (c & 0xe0) {
            error = "unknown header flags set";
            return i;
          }
          flags = c;
        }
        if (--need == 0) {
          header = (flags & kFextra) ? Header::xlen : Header::name;
          need = 2;  // XLEN's two bytes (ignored by the states after it)
        }
        break;
      }
      case Header::xlen:
        extra_len |= std::uint32_t{take()} << (8 * (2 - need));
        if (--need == 0) {
          header = Header::extra;
          need = extra_len;
        }
        break;
      case Header::extra: {
        std::size_t k = std::min(need, n - i);
        crc = crc32_gzip_refl(crc, in + i, k);
        i += k;
        need -= k;
        break;
      }
      // The states below are entered only when their part is present (the steps after the switch).
      case Header::name:
        if (take() == 0) header = Header::comment;
        break;
      case Header::comment:
        if (take() == 0) {
          header = Header::hcrc;
          need = 2;
        }
        break;
      case Header::hcrc:
        stored_hcrc |= std::uint32_t{take()} << (8 * (2 - need));
        --need;
        break;
      case Header::done: break;
    }
    // Zero-length steps: an extra field of XLEN 0, the optional parts that are absent, the end.
    if (header == Header::extra && need == 0) header = Header::name;
    if (header == Header::name && !(flags & kFname)) header = Header::comment;
    if (header == Header::comment && !(flags & kFcomment)) {
      header = Header::hcrc;
      need = 2;
    }
    if (header == Header::hcrc && (!(flags & kFhcrc) || need == 0)) {
      if ((flags & kFhcrc) && stored_hcrc != (crc & 0xffff)) {
        error = "header crc mismatch";
        return i;
      }
      header = Header::done;
    }
  }
  return i;
}

GzipInflater::GzipInflater() : state_(std::make_unique<State>()) { state_->reset(); }

GzipInflater::~GzipInflater() = default;

void GzipInflater::next_member() { state_->reset(); }

GzipInflater::Step GzipInflater::inflate(const unsigned char* in, std::size_t in_size, unsigned char* out,
                                         std::size_t out_size) {
  Step step;
  State& s = *state_;
  if (s.ended) {
    step.member_end = true;
    return step;
  }
  if (s.failed) {
    step.error = "invalid data";
    return step;
  }
  // ISA-L counts in 32 bits: hand it at most 1 GiB at a time.
  constexpr std::size_t kMax = std::size_t{1} << 30;
  if (s.header != State::Header::done) {
    step.consumed = s.read_header(in, in_size, step.error);
    if (step.error) {
      s.failed = true;
      return step;
    }
    in += step.consumed;
    in_size -= step.consumed;
    if (s.header != State::Header::done) return step;
  }
  inflate_state& z = s.z;
  z.next_in = const_cast<unsigned char*>(in);  // ISA-L's field is not const; it does not write there
  z.avail_in = static_cast<std::uint32_t>(std::min(in_size, kMax));
  z.next_out = out;
  z.avail_out = static_cast<std::uint32_t>(std::min(out_size, kMax));
  const std::uint32_t avail_in = z.avail_in;
  int rc = isal_inflate(&z);
  step.consumed += avail_in - z.avail_in;
  step.produced = static_cast<std::size_t>(z.next_out - out);
  if (rc < 0 || rc == ISAL_NEED_DICT) {
    s.failed = true;
    step.error = message(rc);
    return step;
  }
  if (z.block_state == ISAL_BLOCK_FINISH) {
    s.ended = true;
    step.member_end = true;
  } else if (step.consumed == 0 && step.produced == 0 && in_size > 0 && out_size > 0) {
    s.failed = true;  // input and room, and nothing moved: it never will
    step.error = "inflate made no progress";
  }
  return step;
}

}  // namespace vbackup::detail
