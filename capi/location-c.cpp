// vbk_location: opening and checking a backup storage location (vbackup.h "locations").
#include "capi_internal.hpp"

#include "vbackup/leftovers.hpp"

using namespace vbackup::capi;
namespace json = vbackup::json;

namespace {
vbackup::Timestamp now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }
}  // namespace

extern "C" {

vbk_status vbk_location_open(const char* location, vbk_location** out) {
  VBK_REQUIRE(out);
  *out = nullptr;
  VBK_REQUIRE(location);
  return guarded([&] {
    *out = new vbk_location{vbackup::open_location(location)};
    register_handle(*out, HandleKind::location);
    return VBK_OK;
  });
}

void vbk_location_close(vbk_location* location) {
  if (!location) return;
  // A second close (or a pointer never opened) is reported, not a double free.
  if (!unregister_handle(location)) {
    fail(VBK_EINVALID, "vbk_location_close: location is not an open vbk_location (closed twice, or never opened)");
    return;
  }
  succeed();
  delete location;
}

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
    *status_json = dup(pretty(vbackup::check_location(*location, now()).to_json()));
    return VBK_OK;
  });
}

vbk_status vbk_location_leftovers(vbk_location* location, char** leftovers_json) {
  VBK_REQUIRE(leftovers_json);
  *leftovers_json = nullptr;
  VBK_REQUIRE(location);
  return guarded([&] {
    json::array out;
    for (const auto& l : vbackup::find_leftovers(*location->backups, now())) out.push_back(l.to_json());
    *leftovers_json = dup(pretty(out));
    return VBK_OK;
  });
}

vbk_status vbk_location_prune(vbk_location* location, const char* options_json, char** result_json) {
  VBK_REQUIRE(result_json);
  *result_json = nullptr;
  VBK_REQUIRE(location);
  return guarded([&] {
    auto o = parse_options(options_json, "prune options", {"grace"});
    std::chrono::seconds grace = std::chrono::hours(1);
    if (auto g = string_option(o, "grace", "prune options")) {
      try {
        grace = std::chrono::duration_cast<std::chrono::seconds>(vbackup::parse_duration(*g));
      } catch (const vbackup::Error& e) {
        throw vbackup::invalid_input(std::string("prune options: grace: ") + e.what());
      }
    }
    auto result = vbackup::prune_leftovers(*location->backups, now(), grace);
    auto list = [](const std::vector<vbackup::Leftover>& ls) {
      json::array a;
      for (const auto& l : ls) a.push_back(l.to_json());
      return a;
    };
    json::array errors;
    for (const auto& e : result.errors) errors.emplace_back(e);
    *result_json = dup(pretty(json::object{{"removed", list(result.removed)}, {"kept", list(result.kept)},
                                           {"errors", std::move(errors)}}));
    return VBK_OK;
  });
}

}  // extern "C"
