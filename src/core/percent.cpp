#include "core/percent.hpp"

#include "vbackup/error.hpp"

namespace vbackup {
namespace {

// ASCII only, whatever the C locale says (std::isalnum would keep Latin-1 letters under a
// Latin-1 locale, which a Python host process may have set).
bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_encode(std::string_view s, std::string_view keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (unreserved(c) || (c < 0x80 && keep.find(static_cast<char>(c)) != std::string_view::npos)) {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view s, PercentDecoding how) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
      if (how.strict) return std::nullopt;
    }
    out.push_back(how.plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

QueryParams parse_query(std::string_view query, std::string_view what, const QueryParsing& how) {
  auto decode = [&](std::string_view s) {
    std::optional<std::string> d = percent_decode(s, how.decoding);
    if (!d) throw invalid_input(std::string(what) + ": bad percent-encoding");
    return std::move(*d);
  };
  QueryParams out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    if (how.require_value && (eq == std::string_view::npos || eq == 0)) {
      throw invalid_input(std::string(what) + ": query parameter \"" + std::string(pair) + "\" is not key=value");
    }
    std::string name = decode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1));
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

}  // namespace vbackup
