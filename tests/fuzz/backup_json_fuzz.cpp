// libFuzzer target: velero-backup.json. Any bytes either fail with vbackup::Error or read as a Backup;
// a Backup must then write, read and write again to the same bytes.
//
// Floating-point numbers can only sit in fields kept as JSON (the typed fields refuse them), and
// json::parse (Boost.JSON 1.81) does not round every decimal correctly, so "6e+66" may read back as a
// neighbouring double and print differently. Until src/core/json.cpp parses numbers exactly, outputs
// holding a double are only required to read back, not to be byte-stable.
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/velero_backup.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

bool holds_double(const vbackup::json::value& v) {
  if (v.is_double()) return true;
  if (v.is_array()) {
    for (const auto& e : v.get_array()) {
      if (holds_double(e)) return true;
    }
  } else if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      if (holds_double(kv.value())) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vbackup::velero;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string first;
  try {
    first = write_backup_json(read_backup_json(text, "fuzz"));
  } catch (const vbackup::Error&) {
    return 0;  // rejected input, or a value Go cannot write either (an infinite number)
  }
  std::string second;
  try {
    second = write_backup_json(read_backup_json(first, "fuzz"));
  } catch (const vbackup::Error&) {
    std::abort();  // what we wrote must read back
  }
  if (first != second && !holds_double(vbackup::json::parse(first, "fuzz"))) std::abort();
  return 0;
}
