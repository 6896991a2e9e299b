// libFuzzer target for the named-locations file (LocationsFile::load: YAML or JSON documents of
// BackupStorageLocation objects). The input is written to a private temporary file, as load reads
// a path. Invariants beyond "no crash": only vbackup::Error escapes; a file that loads has unique
// names and at most one default, and what save() writes loads again to the same names and default.
#include "vbackup/error.hpp"
#include "vbackup/location.hpp"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

using namespace vbackup;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::filesystem::path scratch() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("vbk-locations-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

std::string default_name(const LocationsFile& f) {
  const auto* d = f.default_location();
  return d ? d->metadata.name : std::string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = scratch() / "in.yaml";
  {
    std::ofstream out(in, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  LocationsFile file;
  try {
    file = LocationsFile::load(in);
  } catch (const Error&) {
    return 0;
  }
  std::set<std::string> names;
  int defaults = 0;
  for (const auto& l : file.locations()) {
    check(!l.metadata.name.empty());
    check(names.insert(l.metadata.name).second);
    if (l.spec.default_) ++defaults;
  }
  check(defaults <= 1);
  // A copy saved elsewhere loads back the same.
  const auto out = scratch() / "out.yaml";
  std::filesystem::remove(out);
  LocationsFile copy;
  try {
    copy = LocationsFile::load(out);
    for (const auto& l : file.locations()) copy.add(l);
    copy.save();
  } catch (const Error&) {
    return 0;  // e.g. a name Kubernetes refuses: add() says so
  }
  auto again = LocationsFile::load(out);
  check(again.locations().size() == file.locations().size());
  check(default_name(again) == default_name(file));
  return 0;
}
