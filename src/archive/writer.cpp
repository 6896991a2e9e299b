// ArchiveWriter: Go-framed tar (tar_header.hpp) → gzip | zstd → sink, streamed through a fixed
// staging buffer so memory does not depend on the archive's size.
#include "archive/compress.hpp"
#include "archive/tar_header.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"

#include <optional>
#include <variant>

namespace vbackup::archive {

namespace {

constexpr std::size_t kStagingSize = 64 * 1024;

// The same rules the reader applies, so everything written reads back under the same path.
void check_entry_path(std::string_view path) {
  auto fail = [&](std::string_view problem) {
    throw invalid_input("archive entry \"" + std::string(path) + "\": " + std::string(problem));
  };
  if (path.empty()) fail("path is empty");
  if (path.front() == '/') fail("path is absolute");
  if (path.find('\0') != std::string_view::npos) fail("path contains NUL");
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = path.find('/', start);
    std::string_view part = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (part.empty()) fail("path has an empty component");
    if (part == "." || part == "..") fail("path has a \".\" or \"..\" component");
    if (slash == std::string_view::npos) return;
    start = slash + 1;
  }
}

}  // namespace

struct ArchiveWriter::Impl {
  detail::CountingOutputStream counter;
  std::variant<ParallelGzipOutputStream, detail::ZstdOutputStream> compressor;
  std::string staging;
  std::uint64_t entries = 0;
  bool finished = false;
  // The first failure of the sink or the compressor (ENOSPC naming the file, say): every later call
  // repeats it, so the message that ends the backup is the cause, not "an earlier write failed".
  std::optional<Error> failure;
  EntryObserver observer;

  Impl(OutputStream& sink, Compression compression)
      : counter(sink),
        compressor(compression == Compression::gzip
                       ? std::variant<ParallelGzipOutputStream, detail::ZstdOutputStream>(std::in_place_index<0>, counter)
                       : std::variant<ParallelGzipOutputStream, detail::ZstdOutputStream>(std::in_place_index<1>, counter)) {
    staging.reserve(kStagingSize);
  }

  OutputStream& out() { return std::visit([](auto& c) -> OutputStream& { return c; }, compressor); }

  void flush_staging() {
    if (!staging.empty()) out().write(staging);
    staging.clear();
  }

  void put(std::string_view bytes) {
    if (staging.size() + bytes.size() > kStagingSize) {
      flush_staging();
      if (bytes.size() >= kStagingSize) {  // large bodies go straight to the compressor
        out().write(bytes);
        return;
      }
    }
    staging.append(bytes);
  }

  void check_open() const {
    if (failure) throw *failure;
    if (finished) throw Error(ErrorCode::generic, "archive writer: add after finish");
  }

  // A sink or compressor failure leaves the tar stream inconsistent: refuse further use.
  template <typename F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const Error& e) {
      failure = e;
      throw;
    } catch (const std::exception& e) {
      failure = Error(ErrorCode::generic, std::string("archive writer: ") + e.what());
      throw;
    } catch (...) {
      failure = Error(ErrorCode::generic, "archive writer: the output failed");
      throw;
    }
  }

  void add(std::string_view path, std::string_view bytes) {
    check_open();
    check_entry_path(path);
    guarded([&] {
      put(detail::go_file_header(path, bytes.size(), detail::go_now_seconds()));
      put(bytes);
      static constexpr char zeros[detail::kBlockSize] = {};
      put(std::string_view(zeros, detail::block_padding(bytes.size())));
    });
    ++entries;
    if (observer) observer(path, bytes);
  }
};

ArchiveWriter::ArchiveWriter(OutputStream& sink, Compression compression, std::string_view format_version,
                             EntryObserver observer)
    : impl_(std::make_unique<Impl>(sink, compression)) {
  impl_->observer = std::move(observer);
  // spec §1.2/§1.4: metadata/version is always the first entry.
  impl_->add(kVersionFile, std::string(format_version) + "\n");
}

ArchiveWriter::~ArchiveWriter() = default;
ArchiveWriter::ArchiveWriter(ArchiveWriter&&) noexcept = default;
ArchiveWriter& ArchiveWriter::operator=(ArchiveWriter&&) noexcept = default;

void ArchiveWriter::add_file(std::string_view path, std::string_view bytes) { impl_->add(path, bytes); }

void ArchiveWriter::add_item(std::string_view group_resource, std::string_view ns, std::string_view name,
                             std::string_view version_dir, std::string_view json_bytes) {
  impl_->add(item_path(group_resource, ns, name, version_dir), json_bytes);
}

void ArchiveWriter::finish() {
  Impl& s = *impl_;
  if (s.finished) return;
  if (s.failure) throw *s.failure;
  s.guarded([&] {
    // Go's tar Writer.Close: two zero blocks, no padding to a record size.
    static constexpr char zeros[2 * detail::kBlockSize] = {};
    s.put(std::string_view(zeros, sizeof zeros));
    s.flush_staging();
    std::visit([](auto& c) { c.finish(); }, s.compressor);
  });
  s.finished = true;
}

std::uint64_t ArchiveWriter::bytes_out() const { return impl_->counter.count(); }
std::uint64_t ArchiveWriter::entries() const { return impl_->entries; }

}  // namespace vbackup::archive
