// libFuzzer target: Go durations and RFC 3339 timestamps. Whatever parses must format and parse back
// to the same value (Go's TestParseDurationRoundTrip); nothing but vbackup::Error may escape.
#include "vbackup/error.hpp"
#include "vbackup/time.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto d = vbackup::parse_duration(text);
    if (vbackup::parse_duration(vbackup::format_duration(d)) != d) std::abort();
  } catch (const vbackup::Error&) {
  }
  try {
    const auto t = vbackup::parse_rfc3339(text);
    if (vbackup::parse_rfc3339(vbackup::format_rfc3339(t)) != t) std::abort();
  } catch (const vbackup::Error&) {
  }
  return 0;
}
