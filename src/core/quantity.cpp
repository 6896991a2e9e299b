// resource.ParseQuantity (k8s.io/apimachinery/pkg/api/resource), as far as ordering two quantities
// needs it: a signed decimal number and a suffix (binary Ki…Ei, decimal n u m k M G T P E, or an
// exponent e3 / E-2). A long double orders any two quantities exactly enough; the messages are
// apimachinery's.
#include "core/quantity.hpp"

#include "vbackup/error.hpp"

#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <string>

namespace vbackup {

namespace {

constexpr const char* kFormat =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

bool digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

long double parse_quantity(std::string_view text, std::string_view what) {
  auto fail = [&](const std::string& why) { return invalid_input(std::string(what) + why); };
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  bool digit = false;
  std::size_t dots = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    digit |= text[i] != '.';
    dots += text[i] == '.';
    ++i;
  }
  if (!digit || dots > 1) throw fail(kFormat);
  long double value = 0;
  try {
    value = std::stold(std::string(text.substr(0, i)));
  } catch (const std::exception&) {
    throw fail(kFormat);
  }
  const std::string_view suffix = text.substr(i);
  static const std::map<std::string_view, long double> units = {
      {"", 1},         {"n", 1e-9L},    {"u", 1e-6L},    {"m", 1e-3L},    {"k", 1e3L},     {"M", 1e6L},
      {"G", 1e9L},     {"T", 1e12L},    {"P", 1e15L},    {"E", 1e18L},    {"Ki", 0x1p10L}, {"Mi", 0x1p20L},
      {"Gi", 0x1p30L}, {"Ti", 0x1p40L}, {"Pi", 0x1p50L}, {"Ei", 0x1p60L}};
  if (auto u = units.find(suffix); u != units.end()) return value * u->second;
  if (suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    std::string_view exp = suffix.substr(1);
    bool sign = exp[0] == '+' || exp[0] == '-';
    if (digits(exp.substr(sign ? 1 : 0)) && exp.size() < 12) {
      return value * std::pow(10.0L, std::stold(std::string(exp)));
    }
  }
  for (char c : suffix) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && !std::strchr("eEinumkKMGTP+-", c)) throw fail(kFormat);
  }
  throw fail("unable to parse quantity's suffix");
}

}  // namespace vbackup
