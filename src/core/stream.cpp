#include "vbackup/stream.hpp"

#include "vbackup/error.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vbackup {

std::string read_all(InputStream& in, std::size_t limit, std::string_view what) {
  std::string out;
  char buf[65536];
  for (;;) {
    std::size_t n = in.read(buf, sizeof buf);
    if (n == 0) return out;
    if (out.size() + n > limit) {
      throw invalid_input(std::string(what) + ": larger than the limit of " + std::to_string(limit) +
                          " bytes");
    }
    out.append(buf, n);
  }
}

std::size_t StringInputStream::read(void* buffer, std::size_t size) {
  std::size_t n = std::min(size, data_.size() - pos_);
  std::memcpy(buffer, data_.data() + pos_, n);
  pos_ += n;
  return n;
}

std::size_t SharedBufferInputStream::read(void* buffer, std::size_t size) {
  std::size_t n = std::min(size, data_->size() - pos_);
  std::memcpy(buffer, data_->data() + pos_, n);
  pos_ += n;
  return n;
}

namespace {

class FileInputStream final : public InputStream {
 public:
  explicit FileInputStream(const std::filesystem::path& path) : path_(path) {
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) throw io_error(path.string() + ": cannot open: " + std::strerror(errno));
  }
  ~FileInputStream() override { std::fclose(file_); }
  std::size_t read(void* buffer, std::size_t size) override {
    std::size_t n = std::fread(buffer, 1, size, file_);
    if (n < size && std::ferror(file_)) throw io_error(path_.string() + ": read failed: " + std::strerror(errno));
    return n;
  }

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
};

}  // namespace

std::unique_ptr<InputStream> open_file(const std::filesystem::path& path) {
  return std::make_unique<FileInputStream>(path);
}

struct GzipOutputStream::State {
  OutputStream* sink;
  z_stream z{};
  gz_header header{};  // zero: text 0, mtime 0, no extra, name or comment
  bool finished = false;
  unsigned char out[65536];

  void pump(int flush) {
    do {
      z.next_out = out;
      z.avail_out = sizeof out;
      int rc = deflate(&z, flush);
      if (rc == Z_STREAM_ERROR) throw Error(ErrorCode::generic, "gzip: deflate failed");
      std::size_t have = sizeof out - z.avail_out;
      if (have) sink->write(out, have);
    } while (z.avail_out == 0);
  }
};

GzipOutputStream::GzipOutputStream(OutputStream& sink, int level) : state_(std::make_unique<State>()) {
  state_->sink = &sink;
  // windowBits 15 + 16 selects the gzip wrapper; zlib's default header has mtime 0, no name, and
  // OS 3; Go writes OS 255 ("unknown"), so set the header explicitly.
  if (deflateInit2(&state_->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw Error(ErrorCode::generic, "gzip: cannot initialise deflate");
  }
  state_->header.os = 255;
  deflateSetHeader(&state_->z, &state_->header);
}

GzipOutputStream::~GzipOutputStream() { deflateEnd(&state_->z); }

void GzipOutputStream::write(const void* data, std::size_t size) {
  if (state_->finished) throw Error(ErrorCode::generic, "gzip: write after finish");
  const unsigned char* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    uInt chunk = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    state_->z.next_in = const_cast<unsigned char*>(p);
    state_->z.avail_in = chunk;
    state_->pump(Z_NO_FLUSH);
    p += chunk;
    size -= chunk;
  }
}

void GzipOutputStream::finish() {
  if (state_->finished) return;
  state_->z.next_in = nullptr;
  state_->z.avail_in = 0;
  state_->pump(Z_FINISH);
  state_->finished = true;
}

std::string gzip_compress(std::string_view data, int level) {
  StringOutputStream out;
  GzipOutputStream gz(out, level);
  gz.write(data);
  gz.finish();
  return out.take();
}

std::string gzip_decompress(std::string_view data, std::size_t limit, std::string_view what) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) throw Error(ErrorCode::generic, "gzip: cannot initialise inflate");
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  unsigned char buf[65536];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = buf;
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      throw invalid_input(std::string(what) + ": not valid gzip data" + (z.msg ? std::string(": ") + z.msg : ""));
    }
    std::size_t have = sizeof buf - z.avail_out;
    if (out.size() + have > limit) {
      inflateEnd(&z);
      throw invalid_input(std::string(what) + ": decompresses to more than " + std::to_string(limit) + " bytes");
    }
    out.append(reinterpret_cast<char*>(buf), have);
    if (rc == Z_OK && have == 0 && z.avail_in == 0) {
      inflateEnd(&z);
      throw invalid_input(std::string(what) + ": truncated gzip data");
    }
  }
  inflateEnd(&z);
  return out;
}

}  // namespace vbackup
