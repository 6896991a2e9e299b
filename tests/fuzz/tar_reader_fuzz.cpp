// ArchiveReader on arbitrary bytes (gzip, zstd or plain tar by magic): it may throw vbackup::Error,
// nothing else, and must neither crash nor allocate more than the body limit per entry.
#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"
#include "vbackup/stream.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vbackup::StringInputStream in(std::string(reinterpret_cast<const char*>(data), size));
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
          reader.read_body(1 << 20);
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
