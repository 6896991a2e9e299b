// ArchiveReader: source → DecodingInputStream (gzip | zstd | plain) → libarchive's tar parser
// (read callbacks; ustar, pax and GNU headers) → regular files, as Velero's extractor sees them
// (spec §1.1 "Readers").
#include "archive/compress.hpp"
#include "archive/read_ahead.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

namespace vbackup::archive {

namespace {

constexpr std::size_t kVersionFileLimit = 1024;
constexpr std::string_view kNoFile = "path names no file";

std::string quote_path(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Velero joins each name under a temp dir and refuses what escapes it (zip slip). We refuse any
// ".." and any absolute path outright, and clean the rest the way filepath.Join does ("./a//b" →
// "a/b"). Returns the problem, or "" with `clean` set.
std::string clean_entry_path(std::string_view raw, std::string& clean) {
  if (raw.empty()) return "path is empty";
  if (raw.front() == '/') return "path is absolute";
  clean.clear();
  int depth = 0;
  bool dotdot = false;
  std::size_t start = 0;
  while (start <= raw.size()) {
    std::size_t slash = raw.find('/', start);
    if (slash == std::string_view::npos) slash = raw.size();
    std::string_view part = raw.substr(start, slash - start);
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      dotdot = true;
      if (--depth < 0) return "path escapes the archive";
      continue;
    }
    ++depth;
    if (!clean.empty()) clean.push_back('/');
    clean.append(part);
  }
  if (dotdot) return "path has a \"..\" component";
  if (clean.empty()) return std::string(kNoFile);
  return {};
}

}  // namespace

struct ArchiveReader::Impl {
  std::string what;
  detail::DecodingInputStream decoded;
  std::unique_ptr<detail::ReadAhead> ahead;  // decoding on a thread of its own (decode_ahead); before `ar` goes
  std::unique_ptr<::archive, int (*)(::archive*)> ar{archive_read_new(), &archive_read_free};
  std::vector<char> block = std::vector<char>(64 * 1024);
  std::exception_ptr callback_error;  // an exception may not cross libarchive's C frames
  std::string current;                // path of the current entry, "" before the first
  std::uint64_t current_size = 0;
  bool current_sparse = false;  // a sparse entry (GNU or PAX): its body has holes
  bool body_pending = false;
  bool at_end = false;
  std::string version_raw;  // metadata/version body, kept for read_body
  bool version_cached = false;
  std::string format_version;
  std::optional<Error> failure;  // errors are sticky: a reader that failed once stays failed

  Impl(InputStream& source, std::string w, bool decode_ahead)
      : what(std::move(w)), decoded(source), ahead(decode_ahead ? std::make_unique<detail::ReadAhead>(decoded) : nullptr) {
    if (!ar) throw Error(ErrorCode::generic, what + ": cannot create a tar reader");
    archive_read_support_format_tar(ar.get());  // ustar, pax, GNU, v7; decompression is ours
    if (archive_read_open(ar.get(), this, nullptr, &Impl::read_callback, nullptr) != ARCHIVE_OK) {
      if (callback_error) fail("at the start");
      const char* msg = archive_error_string(ar.get());
      throw invalid_input(what + ": not a tar archive (" + decoded.format() + " data" +
                          (msg ? std::string(": ") + msg : std::string()) + ")");
    }
  }

  static la_ssize_t read_callback(::archive* a, void* self, const void** buffer) {
    auto* impl = static_cast<Impl*>(self);
    try {
      if (impl->ahead) {
        std::string_view b = impl->ahead->next();
        *buffer = b.data();
        return static_cast<la_ssize_t>(b.size());
      }
      std::size_t n = impl->decoded.read(impl->block.data(), impl->block.size());
      *buffer = impl->block.data();
      return static_cast<la_ssize_t>(n);
    } catch (...) {
      impl->callback_error = std::current_exception();
      archive_set_error(a, EIO, "source failed");
      return -1;
    }
  }

  std::string location() const { return current.empty() ? std::string("at the first entry") : "entry " + quote_path(current); }
  std::string after_location() const {
    return current.empty() ? std::string("at the first entry") : "after entry " + quote_path(current);
  }

  // Reports an error from libarchive or from our callback, naming the archive and the entry.
  [[noreturn]] void fail(const std::string& where) {
    at_end = true;
    if (callback_error) {
      std::exception_ptr e = std::exchange(callback_error, nullptr);
      try {
        std::rethrow_exception(e);
      } catch (const Error& err) {
        throw Error(err.code(), what + ": " + where + ": " + err.what());
      } catch (const std::exception& err) {
        throw Error(ErrorCode::generic, what + ": " + where + ": " + err.what());
      }
    }
    const char* msg = archive_error_string(ar.get());
    throw invalid_input(what + ": " + where + ": " + (msg ? msg : "corrupt tar data"));
  }

  // Reads a compressed stream to its end so the gzip CRC-32/length or zstd checksum is verified:
  // a cut or corrupted trailer is an error, not a silent success. Plain tar has nothing to check.
  void drain_compressed() {
    if (std::string_view(decoded.format()) == "uncompressed") return;
    try {
      if (ahead) {
        while (!ahead->next().empty()) {
        }
      } else {
        while (decoded.read(block.data(), block.size()) > 0) {
        }
      }
    } catch (...) {
      callback_error = std::current_exception();
      fail(after_location());
    }
  }

  bool next(Entry& entry) {
    if (at_end) return false;
    for (;;) {
      archive_entry* e = nullptr;
      int rc = archive_read_next_header(ar.get(), &e);
      body_pending = false;
      version_cached = false;
      if (rc == ARCHIVE_EOF) {
        if (callback_error) fail(after_location());  // libarchive may stop on a failed read-ahead
        drain_compressed();
        at_end = true;
        return false;
      }
      // ARCHIVE_WARN: e.g. a name that does not convert to the locale; the raw bytes are kept.
      if ((rc != ARCHIVE_OK && rc != ARCHIVE_WARN) || callback_error) fail(after_location());

      const char* raw = archive_entry_pathname_utf8(e);
      if (!raw) raw = archive_entry_pathname(e);
      // Velero writes TypeReg files and creates TypeDir directories; every other type, hard
      // links included, is ignored (spec §1.1). Hostile names are refused whatever the type;
      // a directory may name the root ("./").
      bool regular = archive_entry_filetype(e) == AE_IFREG && archive_entry_hardlink(e) == nullptr;
      std::string path;
      std::string problem = clean_entry_path(raw ? std::string_view(raw) : std::string_view{}, path);
      if (!problem.empty() && (regular || problem != kNoFile)) {
        current = raw ? raw : "";
        throw invalid_input(what + ": entry " + quote_path(current) + ": " + problem);
      }
      if (!regular) continue;
      current = path;
      if (archive_entry_size(e) < 0) throw invalid_input(what + ": " + location() + ": negative size");

      entry.path = path;
      entry.size = static_cast<std::uint64_t>(archive_entry_size(e));
      entry.is_version_file = path == kVersionFile;
      entry.item = parse_item_path(path);
      current_size = entry.size;
      current_sparse = archive_entry_sparse_count(e) > 0;
      body_pending = true;
      if (entry.is_version_file) {
        version_raw = read_data(kVersionFileLimit);
        version_cached = true;
        std::string_view v = version_raw;
        while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
        format_version = v;
      }
      return true;
    }
  }

  std::string read_data(std::size_t limit) {
    if (current_size > limit) {
      throw invalid_input(what + ": " + location() + ": " + std::to_string(current_size) +
                          " bytes, larger than the limit of " + std::to_string(limit));
    }
    std::string out;
    out.resize(static_cast<std::size_t>(current_size));
    std::size_t got = 0;
    while (got < out.size()) {
      la_ssize_t n = archive_read_data(ar.get(), out.data() + got, out.size() - got);
      if (n < 0 || callback_error) fail(location());
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got != out.size()) {
      throw invalid_input(what + ": " + location() + ": truncated: " + std::to_string(got) + " of " +
                          std::to_string(out.size()) + " bytes");
    }
    body_pending = false;
    return out;
  }

  std::string read_body(std::size_t limit) {
    if (version_cached) {
      version_cached = false;
      if (version_raw.size() > limit) {
        throw invalid_input(what + ": " + location() + ": " + std::to_string(version_raw.size()) +
                            " bytes, larger than the limit of " + std::to_string(limit));
      }
      return std::move(version_raw);
    }
    if (!body_pending) throw Error(ErrorCode::generic, what + ": " + location() + ": no body to read");
    return read_data(limit);
  }

  void copy_body(OutputStream& sink) {
    if (version_cached) {
      version_cached = false;
      sink.write(version_raw);
      return;
    }
    if (!body_pending) throw Error(ErrorCode::generic, what + ": " + location() + ": no body to read");
    // libarchive's own blocks, not a copy (issue 17: every byte of a restore's backup passes here
    // before the first item). A sparse entry's holes come as offsets that jump: zeros, as
    // archive_read_data gives them.
    static constexpr char kZeros[4096] = {};
    std::uint64_t got = 0;
    auto zeros = [&](std::uint64_t hole) {  // a hole of the entry, up to where its data goes on
      for (got += hole; hole > 0;) {
        auto k = static_cast<std::size_t>(std::min<std::uint64_t>(hole, sizeof kZeros));
        sink.write(kZeros, k);
        hole -= k;
      }
    };
    for (;;) {
      const void* data = nullptr;
      std::size_t n = 0;
      la_int64_t offset = 0;
      int rc = archive_read_data_block(ar.get(), &data, &n, &offset);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_OK || callback_error) fail(location());
      if (offset < 0 || static_cast<std::uint64_t>(offset) < got || static_cast<std::uint64_t>(offset) > current_size ||
          n > current_size - static_cast<std::uint64_t>(offset)) {
        throw invalid_input(what + ": " + location() + ": a data block outside the entry's " +
                            std::to_string(current_size) + " bytes");
      }
      zeros(static_cast<std::uint64_t>(offset) - got);
      if (n > 0) sink.write(data, n);
      got += n;
    }
    // A sparse entry may end in a hole that no block reports. Only then: any other short body is
    // a truncated archive.
    if (current_sparse) zeros(current_size - got);
    if (got != current_size) {
      throw invalid_input(what + ": " + location() + ": truncated: " + std::to_string(got) + " of " +
                          std::to_string(current_size) + " bytes");
    }
    body_pending = false;
  }

  void skip_body() {
    version_cached = false;
    if (!body_pending) return;
    body_pending = false;
    if (archive_read_data_skip(ar.get()) != ARCHIVE_OK || callback_error) fail(location());
  }
};

ArchiveReader::ArchiveReader(InputStream& source, std::string what, bool decode_ahead)
    : impl_(std::make_unique<Impl>(source, std::move(what), decode_ahead)) {}
ArchiveReader::~ArchiveReader() = default;
ArchiveReader::ArchiveReader(ArchiveReader&&) noexcept = default;
ArchiveReader& ArchiveReader::operator=(ArchiveReader&&) noexcept = default;

namespace {
template <typename F>
auto sticky(std::optional<Error>& failure, F&& f) {
  if (failure) throw *failure;
  try {
    return f();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::generic) failure = e;  // misuse (a second read_body) is not sticky
    throw;
  }
}
}  // namespace

bool ArchiveReader::next(Entry& entry) {
  return sticky(impl_->failure, [&] { return impl_->next(entry); });
}
std::string ArchiveReader::read_body(std::size_t limit) {
  return sticky(impl_->failure, [&] { return impl_->read_body(limit); });
}
void ArchiveReader::copy_body(OutputStream& sink) {
  sticky(impl_->failure, [&] { impl_->copy_body(sink); });
}
void ArchiveReader::skip_body() {
  sticky(impl_->failure, [&] { impl_->skip_body(); });
}
std::string_view ArchiveReader::format_version() const { return impl_->format_version; }

}  // namespace vbackup::archive
