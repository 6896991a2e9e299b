// ArchiveReader on arbitrary bytes (gzip, zstd or plain tar by magic): it may throw vbackup::Error,
// nothing else, and must neither crash nor allocate more than the body limit per entry.
// Differential between its two ways of reading a body: a pass with read_body (archive_read_data
// into one string) and a pass with copy_body (libarchive's blocks to a sink, holes filled) must see
// the same entries and the same bytes, and fail (Error(invalid)) at the same entry. A third pass
// alternates reading and skipping.
#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"
#include "vbackup/stream.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kLimit = 1 << 20;

struct Pass {
  std::vector<std::string> seen;  // path, then its body (or "" when not read)
  bool failed = false;
};

Pass read_all(const std::string& bytes, bool copy) {
  vbackup::StringInputStream in(bytes);
  Pass p;
  try {
    vbackup::archive::ArchiveReader reader(in, "fuzz.tar.gz");
    vbackup::archive::Entry entry;
    while (reader.next(entry)) {
      p.seen.push_back(entry.path);
      if (entry.size > kLimit) {
        reader.skip_body();
        p.seen.emplace_back();
        continue;
      }
      if (copy) {
        vbackup::StringOutputStream out;
        reader.copy_body(out);
        if (out.str().size() != entry.size) std::abort();  // a body is all of it or an error
        p.seen.push_back(out.take());
      } else {
        p.seen.push_back(reader.read_body(kLimit));
      }
    }
  } catch (const vbackup::Error& e) {
    if (e.code() != vbackup::ErrorCode::invalid) std::abort();
    p.failed = true;
    if (p.seen.size() % 2 == 1) p.seen.emplace_back();  // the body that failed
  }
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  Pass read = read_all(bytes, false), copied = read_all(bytes, true);
  // The failing entry's partial body is not compared: the two read in different steps.
  if (read.failed != copied.failed || read.seen.size() != copied.seen.size()) std::abort();
  std::size_t compare = read.seen.size() - (read.failed && !read.seen.empty() ? 1 : 0);
  for (std::size_t i = 0; i < compare; ++i) {
    if (read.seen[i] != copied.seen[i]) std::abort();
  }

  vbackup::StringInputStream in(bytes);
  try {
    vbackup::archive::ArchiveReader reader(in, "fuzz.tar.gz");
    vbackup::archive::Entry entry;
    int n = 0;
    while (reader.next(entry)) {
      // Alternate reading and skipping so both paths through libarchive are exercised.
      if (++n % 3 == 0) {
        reader.skip_body();
      } else {
        try {
          reader.read_body(kLimit);
        } catch (const vbackup::Error&) {
          // over the limit: carry on with the next entry, as a caller may
        }
      }
      (void)reader.format_version();
    }
  } catch (const vbackup::Error&) {
  }
  return 0;
}
