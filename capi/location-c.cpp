// vbk_location: opening and checking a backup storage location (vbackup.h "locations").
#include "capi_internal.hpp"

using namespace vbackup::capi;

extern "C" {

vbk_status vbk_location_open(const char* location, vbk_location** out) {
  VBK_REQUIRE(out);
  *out = nullptr;
  VBK_REQUIRE(location);
  return guarded([&] {
    *out = new vbk_location{vbackup::open_location(location)};
    return VBK_OK;
  });
}

void vbk_location_close(vbk_location* location) { delete location; }

vbk_status vbk_locations_list(char** locations_json) {
  VBK_REQUIRE(locations_json);
  *locations_json = nullptr;
  return guarded([&] {
    vbackup::json::array out;
    auto file = vbackup::LocationsFile::load();
    for (const auto& l : file.locations()) out.push_back(l.to_json());
    *locations_json = dup(pretty(out));
    return VBK_OK;
  });
}

vbk_status vbk_location_check(vbk_location* location, char** status_json) {
  VBK_REQUIRE(status_json);
  *status_json = nullptr;
  VBK_REQUIRE(location);
  return guarded([&] {
    auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    *status_json = dup(pretty(vbackup::check_location(*location, now).to_json()));
    return VBK_OK;
  });
}

}  // extern "C"
