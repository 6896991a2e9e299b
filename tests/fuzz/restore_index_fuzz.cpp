// libFuzzer target: the restore index (src/restore/plan/backup_contents + spool, restore §2.1, §2.11).
// Arbitrary bytes (gzip, zstd or plain tar) either fail with vbackup::Error or index; what indexes
// must list and read back every item it lists, and its counts must agree with the listings.
#include "restore/plan/backup_contents.hpp"
#include "vbackup/error.hpp"
#include "vbackup/stream.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

void walk(const vbackup::restore::BackupContents& contents) {
  std::uint64_t unversioned = 0;
  for (const std::string& resource : contents.resources()) {
    std::vector<std::string> dirs = contents.version_dirs(resource);
    dirs.insert(dirs.begin(), std::string());
    for (const std::string& dir : dirs) {
      for (const std::string& ns : contents.namespaces(resource, dir)) {
        std::vector<std::string> names = contents.items(resource, ns, dir);
        if (names.size() != contents.item_count(resource, ns, dir)) std::abort();
        if (dir.empty()) unversioned += names.size();
        for (const std::string& name : names) {
          // a listed item must read back
          if (!contents.read(resource, ns, name, dir)) std::abort();
        }
      }
    }
  }
  if (unversioned != contents.total_items()) std::abort();
  (void)contents.all_namespaces();
  (void)contents.notes();
  (void)contents.warnings();
  (void)contents.format_version();
  if (contents.spool_bytes() > contents.extracted_bytes()) std::abort();  // dedup only shrinks
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path spool_dir = std::filesystem::temp_directory_path();
  vbackup::StringInputStream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    // A small cap, so the fuzzer also reaches Velero's "decompressed backup exceeds" path.
    vbackup::restore::BackupContents contents(in, "fuzz.tar.gz", spool_dir, std::uint64_t(4) << 20);
    walk(contents);
  } catch (const vbackup::Error&) {
  }
  return 0;
}
