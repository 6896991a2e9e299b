// libFuzzer target: any bytes through the manifest reader. The only exception allowed out is
// vbackup::Error (yaml-cpp's own exceptions must be converted inside the library).
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/manifests.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    vbackup::manifests::read_manifests(
        text, "fuzz.yaml",
        [](vbackup::manifests::ManifestObject&& m) {
          // What a backup does next with the object: Go JSON bytes.
          (void)vbackup::json::marshal(m.object);
        },
        [](const std::string&) {});
  } catch (const vbackup::Error&) {
  }
  return 0;
}
