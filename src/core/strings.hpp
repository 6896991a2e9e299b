// Small string helpers used across components. Internal header.
#pragma once

#include <string>
#include <string_view>

namespace vbackup {

// Blank characters of a header value or a config line (RFC 9110 OWS).
inline constexpr std::string_view kBlanks = " \t";
// What trim_space removes: blanks and line ends.
inline constexpr std::string_view kLineSpace = " \t\r\n";
// C's isspace in the "C" locale (adds \v and \f).
inline constexpr std::string_view kCSpace = " \t\n\v\f\r";

// `s` without leading and trailing bytes from `chars` (a view into `s`).
std::string_view trim(std::string_view s, std::string_view chars);

// Token and namespace files as client-go reads them (strings.TrimSpace, here over " \t\r\n": the
// ASCII subset that appears in such files; \v, \f, U+0085 and U+00A0 are kept).
inline std::string trim_space(std::string_view s) { return std::string(trim(s, kLineSpace)); }

}  // namespace vbackup
