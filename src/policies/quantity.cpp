// Velero's parseCapacity (volume_resources.go) over core's parse_quantity.
#include "policies/volume_policies.hpp"

#include "vbackup/error.hpp"

#include <cctype>

namespace vbackup::policies {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::pair<long double, long double> parse_capacity(std::string_view text) {
  std::string cap = text.empty() ? std::string(",") : std::string(text);
  std::size_t comma = cap.find(',');
  if (comma == std::string::npos || cap.find(',', comma + 1) != std::string::npos) {
    throw invalid_input("wrong format of Capacity " + cap);
  }
  auto side = [&](std::string_view raw) -> long double {
    std::string_view v = trim(raw);
    if (v.empty()) return 0;  // "10Gi,": that side is 0, no bound
    try {
      return parse_quantity(v, "");
    } catch (const Error& e) {
      throw invalid_input("wrong format of Capacity " + std::string(raw) + " with err " + e.what());
    }
  };
  std::string_view all(cap);
  return {side(all.substr(0, comma)), side(all.substr(comma + 1))};
}

}  // namespace vbackup::policies
