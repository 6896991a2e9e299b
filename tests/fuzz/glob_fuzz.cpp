// Fuzz target: glob compilation and matching (spec §5.1). The first line is the pattern, the rest
// the text; only vbackup::Error may escape compile, and match never throws.
#include "vbackup/error.hpp"
#include "filter/filter.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto nl = input.find('\n');
  std::string_view pattern = input.substr(0, nl);
  std::string_view text = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);
  try {
    auto g = vbackup::filter::Glob::compile(pattern);
    g.match(text);
    g.match(pattern);
  } catch (const vbackup::Error&) {
  }
  return 0;
}
