// Go's time.ParseDuration / Duration.String and the RFC 3339 form of metav1.Time. The duration rules
// follow Go's src/time/format.go and time.go exactly, including where Go uses float64 for fractions
// (so "0.3333333333333333333h" is 20m0s in both) and where it reports overflow.
#include "vbackup/time.hpp"

#include "vbackup/error.hpp"

#include <array>
#include <cstdint>
#include <cstdio>

namespace vbackup {
namespace {

constexpr std::uint64_t kSign = std::uint64_t{1} << 63;

// Go's time.quote: ASCII printable text as is (with \" and \\ escaped), every other byte as \xNN.
std::string quote(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x80 || c < 0x20) {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    } else {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Go's leadingInt: the digits at the front of s; false on overflow past 1<<63.
bool leading_int(std::string_view& s, std::uint64_t& x) {
  x = 0;
  std::size_t i = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (x > kSign / 10) return false;
    x = x * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (x > kSign) return false;
  }
  s.remove_prefix(i);
  return true;
}

// Go's leadingFraction: digits after the point; digits beyond int64 precision are consumed but ignored.
void leading_fraction(std::string_view& s, std::uint64_t& x, double& scale) {
  x = 0;
  scale = 1;
  bool overflow = false;
  std::size_t i = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (overflow) continue;
    if (x > (kSign - 1) / 10) {
      overflow = true;
      continue;
    }
    std::uint64_t y = x * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (y > kSign) {
      overflow = true;
      continue;
    }
    x = y;
    scale *= 10;
  }
  s.remove_prefix(i);
}

std::uint64_t unit_nanoseconds(std::string_view u) {
  if (u == "ns") return 1;
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") return 1000;  // U+00B5, U+03BC
  if (u == "ms") return 1000 * 1000;
  if (u == "s") return 1000 * 1000 * 1000;
  if (u == "m") return 60ull * 1000 * 1000 * 1000;
  if (u == "h") return 3600ull * 1000 * 1000 * 1000;
  return 0;
}

Error invalid_duration(std::string_view orig) {
  return invalid_input("time: invalid duration " + quote(orig));
}

// Go's fmtFrac: writes the fraction of v/10^prec backwards into buf ending at w, omitting trailing
// zeros and the point when the fraction is zero; returns v/10^prec.
std::uint64_t fmt_frac(char* buf, std::size_t& w, std::uint64_t v, int prec) {
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    char digit = static_cast<char>(v % 10);
    print = print || digit != 0;
    if (print) buf[--w] = static_cast<char>('0' + digit);
    v /= 10;
  }
  if (print) buf[--w] = '.';
  return v;
}

void fmt_int(char* buf, std::size_t& w, std::uint64_t v) {
  if (v == 0) {
    buf[--w] = '0';
    return;
  }
  while (v > 0) {
    buf[--w] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

[[noreturn]] void bad_time(std::string_view text, std::string_view problem) {
  throw invalid_input("parsing time " + quote(text) + " as RFC 3339: " + std::string(problem));
}

// Exactly n digits at s[pos…]; advances pos.
int fixed_digits(std::string_view text, std::size_t& pos, int n, std::string_view field) {
  int v = 0;
  for (int i = 0; i < n; ++i, ++pos) {
    if (pos >= text.size() || !is_digit(text[pos])) bad_time(text, "cannot parse " + std::string(field));
    v = v * 10 + (text[pos] - '0');
  }
  return v;
}

void expect_char(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) bad_time(text, std::string("expected '") + c + "'");
  ++pos;
}

}  // namespace

std::chrono::nanoseconds parse_duration(std::string_view text) {
  const std::string_view orig = text;
  std::string_view s = text;
  std::uint64_t d = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) throw invalid_duration(orig);
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) throw invalid_duration(orig);
    std::size_t before = s.size();
    std::uint64_t v = 0;
    if (!leading_int(s, v)) throw invalid_duration(orig);
    bool pre = before != s.size();

    std::uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      before = s.size();
      leading_fraction(s, f, scale);
      post = before != s.size();
    }
    if (!pre && !post) throw invalid_duration(orig);  // no digits, e.g. ".s"

    std::size_t i = 0;
    while (i < s.size() && s[i] != '.' && !is_digit(s[i])) ++i;
    if (i == 0) throw invalid_input("time: missing unit in duration " + quote(orig));
    std::string_view u = s.substr(0, i);
    s.remove_prefix(i);
    std::uint64_t unit = unit_nanoseconds(u);
    if (unit == 0) {
      throw invalid_input("time: unknown unit " + quote(u) + " in duration " + quote(orig));
    }
    if (v > kSign / unit) throw invalid_duration(orig);
    v *= unit;
    if (f > 0) {
      // Go computes the fraction in float64 to stay nanosecond-accurate for fractions of hours;
      // the product is below 3.6e12, so the conversion is exact and in range.
      v += static_cast<std::uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kSign) throw invalid_duration(orig);
    }
    d += v;
    if (d > kSign) throw invalid_duration(orig);
  }
  if (neg) return std::chrono::nanoseconds(static_cast<std::int64_t>(0 - d));  // wraps to INT64_MIN
  if (d > kSign - 1) throw invalid_duration(orig);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(d));
}

std::string format_duration(std::chrono::nanoseconds duration) {
  std::array<char, 32> buf{};
  std::size_t w = buf.size();
  const std::int64_t d = duration.count();
  std::uint64_t u = static_cast<std::uint64_t>(d);
  const bool neg = d < 0;
  if (neg) u = 0 - u;

  if (u < 1000000000ull) {
    // Below one second Go switches to the largest sub-second unit: "1.5ms", "1µs", "10ns".
    int prec = 0;
    buf[--w] = 's';
    if (u == 0) {
      buf[--w] = '0';
      return std::string(buf.data() + w, buf.size() - w);
    } else if (u < 1000ull) {
      prec = 0;
      buf[--w] = 'n';
    } else if (u < 1000000ull) {
      prec = 3;
      buf[--w] = '\xB5';  // "µ" = C2 B5, written backwards
      buf[--w] = '\xC2';
    } else {
      prec = 6;
      buf[--w] = 'm';
    }
    u = fmt_frac(buf.data(), w, u, prec);
    fmt_int(buf.data(), w, u);
  } else {
    buf[--w] = 's';
    u = fmt_frac(buf.data(), w, u, 9);
    fmt_int(buf.data(), w, u % 60);  // seconds
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      fmt_int(buf.data(), w, u % 60);  // minutes
      u /= 60;
      if (u > 0) {
        buf[--w] = 'h';
        fmt_int(buf.data(), w, u);
      }
    }
  }
  if (neg) buf[--w] = '-';
  return std::string(buf.data() + w, buf.size() - w);
}

Timestamp parse_rfc3339(std::string_view text) {
  // Layout "2006-01-02T15:04:05Z07:00" with Go's parsing rules: a four-digit year, two-digit month,
  // day, minute and second, a one- or two-digit hour, optional fraction after the seconds.
  std::size_t pos = 0;
  int year = fixed_digits(text, pos, 4, "year");
  expect_char(text, pos, '-');
  int month = fixed_digits(text, pos, 2, "month");
  expect_char(text, pos, '-');
  int day = fixed_digits(text, pos, 2, "day");
  expect_char(text, pos, 'T');
  if (pos >= text.size() || !is_digit(text[pos])) bad_time(text, "cannot parse hour");
  int hour = text[pos++] - '0';
  if (pos < text.size() && is_digit(text[pos])) hour = hour * 10 + (text[pos++] - '0');
  expect_char(text, pos, ':');
  int minute = fixed_digits(text, pos, 2, "minute");
  expect_char(text, pos, ':');
  int second = fixed_digits(text, pos, 2, "second");
  if (pos + 1 < text.size() && (text[pos] == '.' || text[pos] == ',') && is_digit(text[pos + 1])) {
    ++pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;  // truncated: metav1.Time keeps seconds
  }
  int offset_seconds = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos++] == '-' ? -1 : 1;
    int oh = fixed_digits(text, pos, 2, "time zone");
    expect_char(text, pos, ':');
    int om = fixed_digits(text, pos, 2, "time zone");
    offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    bad_time(text, "cannot parse time zone");
  }
  if (pos != text.size()) bad_time(text, "extra text after the time zone");

  if (month < 1 || month > 12) bad_time(text, "month out of range");
  if (hour > 23) bad_time(text, "hour out of range");
  if (minute > 59) bad_time(text, "minute out of range");
  if (second > 59) bad_time(text, "second out of range");
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (day < 1 || !ymd.ok()) bad_time(text, "day out of range");
  Timestamp t = sys_days{ymd} + hours{hour} + minutes{minute} + seconds{second} - seconds{offset_seconds};
  const int utc_year = static_cast<int>(year_month_day{floor<days>(t)}.year());
  if (utc_year < 0 || utc_year > 9999) bad_time(text, "year outside of range [0,9999] in UTC");
  return t;
}

Timestamp now_timestamp() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

std::string format_rfc3339(Timestamp t) {
  using namespace std::chrono;
  const sys_days day_point = floor<days>(t);
  const year_month_day ymd{day_point};
  const hh_mm_ss<seconds> hms{t - day_point};
  char buf[48];
  const int year = static_cast<int>(ymd.year());
  // Go pads the year to four digits after any minus sign ("-0001").
  const char* sign = year < 0 ? "-" : "";
  std::snprintf(buf, sizeof buf, "%s%04d-%02u-%02uT%02d:%02d:%02dZ", sign, year < 0 ? -year : year,
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

}  // namespace vbackup
