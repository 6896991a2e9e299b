// libFuzzer target for the checksum manifest's strict parser (docs/crypto.md). Invariants beyond
// "no crash": only vbackup::Error escapes; what parses is written canonically, and that text parses
// to the same manifest and writes the same bytes; a manifest compared with itself has no difference.
#include "vbackup/crypto.hpp"
#include "vbackup/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace vbackup;
using namespace vbackup::crypto;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ChecksumManifest m;
  try {
    m = ChecksumManifest::parse(text, "fuzz");
  } catch (const Error&) {
    return 0;
  }
  std::string canonical = m.to_json();
  ChecksumManifest again = ChecksumManifest::parse(canonical, "canonical");
  check(again.to_json() == canonical);
  check(m.compare(again).empty() && again.compare(m).empty());
  return 0;
}
