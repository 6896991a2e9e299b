// libFuzzer target: <b>-itemoperations.json.gz and <b>-volumeinfo.json.gz (velero_volumes.hpp). The
// input is the JSON text inside the gzip; any bytes either fail with vbackup::Error or read as item
// operations / volume infos, which must then write, read and write again to the same bytes.
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/velero_side_files.hpp"
#include "vbackup/velero_volumes.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

// As backup_json_fuzz.cpp explains, a double kept as JSON may not print back byte for byte (Boost.JSON
// 1.81 parsing); such inputs are left out.
bool holds_double(const vbackup::json::value& v) {
  if (v.is_double()) return true;
  if (v.is_array()) {
    for (const auto& e : v.get_array())
      if (holds_double(e)) return true;
  } else if (v.is_object()) {
    for (const auto& kv : v.get_object())
      if (holds_double(kv.value())) return true;
  }
  return false;
}

template <class Decode, class Encode>
void round_trip(const std::string& gz, Decode decode, Encode encode) {
  std::string first;
  try {
    first = encode(decode(gz, "fuzz"));
  } catch (const vbackup::Error&) {
    return;  // rejected input
  }
  std::string second;
  try {
    second = encode(decode(first, "fuzz"));
  } catch (const vbackup::Error&) {
    std::abort();  // what we wrote must read back
  }
  if (first != second) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vbackup::velero;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string gz;
  try {
    vbackup::json::value v = vbackup::json::parse(text, "fuzz");
    if (holds_double(v)) return 0;
    gz = encode_json_gz(v);
  } catch (const vbackup::Error&) {
    return 0;
  }
  round_trip(gz, decode_item_operations, encode_item_operations);
  round_trip(gz, decode_volume_infos, encode_volume_infos);
  return 0;
}
