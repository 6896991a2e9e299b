#include "archive/compress.hpp"

#include "core/gunzip.hpp"
#include "vbackup/error.hpp"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

namespace vbackup::archive::detail {

// ---------------------------------------------------------------------------------------------
// zstd output

struct ZstdOutputStream::State {
  OutputStream* sink = nullptr;
  ZSTD_CCtx* cctx = nullptr;
  std::vector<char> out = std::vector<char>(ZSTD_CStreamOutSize());
  bool finished = false;

  void pump(ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
    for (;;) {
      ZSTD_outBuffer ob{out.data(), out.size(), 0};
      std::size_t remaining = ZSTD_compressStream2(cctx, &ob, &in, mode);
      if (ZSTD_isError(remaining)) {
        throw Error(ErrorCode::generic, std::string("zstd: compression failed: ") + ZSTD_getErrorName(remaining));
      }
      if (ob.pos) sink->write(out.data(), ob.pos);
      bool done = mode == ZSTD_e_continue ? in.pos == in.size : remaining == 0;
      if (done) return;
    }
  }
};

ZstdOutputStream::ZstdOutputStream(OutputStream& sink, int level) : state_(std::make_unique<State>()) {
  state_->sink = &sink;
  state_->cctx = ZSTD_createCCtx();
  if (!state_->cctx) throw Error(ErrorCode::generic, "zstd: cannot create a compression context");
  ZSTD_CCtx_setParameter(state_->cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(state_->cctx, ZSTD_c_checksumFlag, 1);
}

ZstdOutputStream::~ZstdOutputStream() { ZSTD_freeCCtx(state_->cctx); }

void ZstdOutputStream::write(const void* data, std::size_t size) {
  if (state_->finished) throw Error(ErrorCode::generic, "zstd: write after finish");
  ZSTD_inBuffer in{data, size, 0};
  state_->pump(in, ZSTD_e_continue);
}

void ZstdOutputStream::finish() {
  if (state_->finished) return;
  ZSTD_inBuffer in{nullptr, 0, 0};
  state_->pump(in, ZSTD_e_end);
  state_->finished = true;
}

// ---------------------------------------------------------------------------------------------
// Decoding input

namespace {

enum class Kind { undecided, tar, gzip, zstd };

constexpr unsigned char kGzipMagic[] = {0x1f, 0x8b};
constexpr unsigned char kZstdMagic[] = {0x28, 0xb5, 0x2f, 0xfd};

bool starts_with(const unsigned char* p, std::size_t n, const unsigned char* magic, std::size_t m) {
  return n >= m && std::memcmp(p, magic, m) == 0;
}

// zstd skippable frames (magic 0x184D2A50..5F, little endian) may sit between frames.
bool zstd_frame_start(const unsigned char* p, std::size_t n) {
  return starts_with(p, n, kZstdMagic, 4) || (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18);
}

}  // namespace

struct DecodingInputStream::State {
  InputStream* source = nullptr;
  Kind kind = Kind::undecided;
  std::vector<unsigned char> buf = std::vector<unsigned char>(1 << 16);
  std::size_t pos = 0, len = 0;
  bool source_eof = false;
  bool done = false;
  std::optional<vbackup::detail::GzipInflater> gz;
  ZSTD_DCtx* dctx = nullptr;
  // An error found after some good output is reported on the next read, so the tar parser sees
  // the good bytes first and the error is attributed to the entry where the data went bad.
  std::string deferred_error;

  std::size_t fail_after(std::size_t produced, std::string problem) {
    if (produced == 0) throw invalid_input(problem);
    deferred_error = std::move(problem);
    return produced;
  }

  std::size_t available() const { return len - pos; }

  // Makes at least n bytes available unless the source ends first; returns what is available.
  std::size_t ensure(std::size_t n) {
    if (available() >= n || source_eof) return available();
    if (pos > 0) {
      std::memmove(buf.data(), buf.data() + pos, available());
      len -= pos;
      pos = 0;
    }
    while (len < n && !source_eof) {
      std::size_t got = source->read(buf.data() + len, buf.size() - len);
      if (got == 0) source_eof = true;
      len += got;
    }
    return available();
  }

  void decide() {
    ensure(4);
    const unsigned char* p = buf.data() + pos;
    if (starts_with(p, available(), kGzipMagic, 2)) {
      kind = Kind::gzip;
      gz.emplace();
    } else if (starts_with(p, available(), kZstdMagic, 4)) {
      kind = Kind::zstd;
      dctx = ZSTD_createDCtx();
      if (!dctx) throw Error(ErrorCode::generic, "zstd: cannot create a decompression context");
    } else {
      kind = Kind::tar;
    }
  }

  std::size_t read_tar(unsigned char* out, std::size_t size) {
    if (available() > 0) {
      std::size_t n = std::min(size, available());
      std::memcpy(out, buf.data() + pos, n);
      pos += n;
      return n;
    }
    if (source_eof) return 0;
    std::size_t n = source->read(out, size);
    if (n == 0) source_eof = true;
    return n;
  }

  std::size_t read_gzip(unsigned char* out, std::size_t size) {
    for (;;) {
      if (done) return 0;
      if (available() == 0) ensure(1);
      auto step = gz->inflate(buf.data() + pos, available(), out, size);
      pos += step.consumed;
      if (step.error) return fail_after(step.produced, std::string("corrupt gzip data: ") + step.error);
      if (step.member_end) {
        // Go's gzip.Reader is multistream: another member may follow.
        if (ensure(2) >= 2 && starts_with(buf.data() + pos, available(), kGzipMagic, 2)) {
          gz->next_member();
        } else {
          done = true;
        }
        if (step.produced) return step.produced;
        continue;
      }
      if (step.produced) return step.produced;
      if (available() == 0 && source_eof) throw invalid_input("truncated gzip data");
    }
  }

  std::size_t read_zstd(unsigned char* out, std::size_t size) {
    for (;;) {
      if (done) return 0;
      if (available() == 0) ensure(1);
      ZSTD_inBuffer in{buf.data() + pos, available(), 0};
      ZSTD_outBuffer ob{out, size, 0};
      std::size_t ret = ZSTD_decompressStream(dctx, &ob, &in);
      pos += in.pos;
      if (ZSTD_isError(ret)) return fail_after(ob.pos, std::string("corrupt zstd data: ") + ZSTD_getErrorName(ret));
      if (ret == 0) {
        // A frame ended; concatenated frames decode as one stream, as the zstd CLI does.
        if (!(ensure(4) >= 4 && zstd_frame_start(buf.data() + pos, available()))) done = true;
        if (ob.pos) return ob.pos;
        continue;
      }
      if (ob.pos) return ob.pos;
      if (in.pos == 0 && available() == 0 && source_eof) throw invalid_input("truncated zstd data");
      if (in.pos == 0 && available() > 0) throw invalid_input("corrupt zstd data: no progress");
    }
  }
};

DecodingInputStream::DecodingInputStream(InputStream& source) : state_(std::make_unique<State>()) {
  state_->source = &source;
}

DecodingInputStream::~DecodingInputStream() {
  ZSTD_freeDCtx(state_->dctx);
}

std::size_t DecodingInputStream::read(void* buffer, std::size_t size) {
  if (size == 0) return 0;
  State& s = *state_;
  if (!s.deferred_error.empty()) throw invalid_input(s.deferred_error);
  try {
    if (s.kind == Kind::undecided) s.decide();
    auto* out = static_cast<unsigned char*>(buffer);
    switch (s.kind) {
      case Kind::gzip: return s.read_gzip(out, size);
      case Kind::zstd: return s.read_zstd(out, size);
      default: return s.read_tar(out, size);
    }
  } catch (const Error& e) {
    if (e.code() == ErrorCode::invalid) s.deferred_error = e.what();  // bad data stays bad
    throw;
  }
}

const char* DecodingInputStream::format() const {
  switch (state_->kind) {
    case Kind::gzip: return "gzip";
    case Kind::zstd: return "zstd";
    default: return "uncompressed";
  }
}

}  // namespace vbackup::archive::detail
