// Fuzz target: the object stores' XML reader (core/xml.hpp). Only vbackup::Error may escape.
#include "core/xml.hpp"
#include "vbackup/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto root = vbackup::xml::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    (void)root.child_text("Key");
  } catch (const vbackup::Error&) {
  }
  return 0;
}
