// libFuzzer target for the checksum manifest's streaming reader (src/persistence/sealing_manifest.cpp,
// issue 17: the items are never all in memory), differential against the strict in-memory parser
// (crypto::ChecksumManifest::parse). Invariants beyond "no crash": only vbackup::Error escapes; what
// the strict parser accepts, the stream reader accepts with the same files and items, and
// write_manifest streams it back byte for byte as ChecksumManifest::to_json writes it. (The stream
// reader may accept an item listed twice, which only verify's merge reports: not checked the other way.)
#include "persistence/sealed_store.hpp"
#include "vbackup/crypto.hpp"
#include "vbackup/error.hpp"
#include "vbackup/stream.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

using namespace vbackup;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}

class StringSink final : public OutputStream {
 public:
  using OutputStream::write;
  void write(const void* data, std::size_t size) override { out.append(static_cast<const char*>(data), size); }
  std::string out;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::optional<crypto::ChecksumManifest> strict;
  try {
    strict = crypto::ChecksumManifest::parse(text, "fuzz");
  } catch (const Error&) {
  }
  sealing::detail::ItemSpill spill;
  sealing::detail::ParsedManifest streamed;
  try {
    StringInputStream in(text);
    streamed = sealing::detail::read_manifest(in, "fuzz", &spill);
  } catch (const Error&) {
    check(!strict);  // the strict parser accepted what the stream reader refused
    return 0;
  }
  if (!strict) return 0;
  check(streamed.items == strict->items.size());
  check(streamed.files.size() == strict->files.size());
  for (std::size_t i = 0; i < streamed.files.size(); ++i) {
    check(streamed.files[i].file == strict->files[i].file && streamed.files[i].size == strict->files[i].size &&
          streamed.files[i].sha256 == strict->files[i].sha256);
  }
  StringSink sink;
  sealing::detail::write_manifest(sink, streamed.files, &spill);
  check(sink.out == strict->to_json());
  return 0;
}
