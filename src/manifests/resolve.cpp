// Facts from go-yaml v2 resolve.go (the copy sigs.k8s.io/yaml vendors as goyaml.v2) and Go's
// strconv; each function below names the Go rule it follows.
#include "manifests/resolve.hpp"

#include "core/encoding.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace vbackup::manifests::detail {
namespace {

constexpr std::string_view kStr = "tag:yaml.org,2002:str";
constexpr std::string_view kBool = "tag:yaml.org,2002:bool";
constexpr std::string_view kInt = "tag:yaml.org,2002:int";
constexpr std::string_view kFloat = "tag:yaml.org,2002:float";
constexpr std::string_view kNull = "tag:yaml.org,2002:null";
constexpr std::string_view kTimestamp = "tag:yaml.org,2002:timestamp";
constexpr std::string_view kBinary = "tag:yaml.org,2002:binary";

// resolve.go: the first byte hints at what a plain scalar may be.
char hint_of(std::string_view in) {
  if (in.empty()) return 'N';
  char c = in[0];
  if (c == '+' || c == '-') return 'S';
  if (c >= '0' && c <= '9') return 'D';
  if (std::string_view("yYnNtTfFoO~").find(c) != std::string_view::npos) return 'M';
  if (c == '.') return '.';
  return 0;
}

// resolve.go resolveMapList: the YAML 1.1 booleans (only these spellings), nulls and special floats.
bool lookup_map(std::string_view in, std::string_view& rtag, GoScalar& out) {
  static constexpr std::array<std::string_view, 11> kTrue = {
      "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static constexpr std::array<std::string_view, 11> kFalse = {
      "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  static constexpr std::array<std::string_view, 5> kNulls = {"", "~", "null", "Null", "NULL"};
  for (auto s : kTrue) if (in == s) { rtag = kBool; out.type = GoScalar::Type::boolean; out.boolean = true; return true; }
  for (auto s : kFalse) if (in == s) { rtag = kBool; out.type = GoScalar::Type::boolean; out.boolean = false; return true; }
  for (auto s : kNulls) if (in == s) { rtag = kNull; out.type = GoScalar::Type::null; return true; }
  double special = 0;
  if (in == ".nan" || in == ".NaN" || in == ".NAN") special = std::numeric_limits<double>::quiet_NaN();
  else if (in == ".inf" || in == ".Inf" || in == ".INF" || in == "+.inf" || in == "+.Inf" || in == "+.INF")
    special = std::numeric_limits<double>::infinity();
  else if (in == "-.inf" || in == "-.Inf" || in == "-.INF") special = -std::numeric_limits<double>::infinity();
  else return false;
  rtag = kFloat;
  out.type = GoScalar::Type::float64;
  out.float64 = special;
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return static_cast<char>(c | 0x20); }

// strconv.ParseUint(s, base, 64); base 0 reads the 0x / 0o / 0b / 0 prefixes. Like Go it reports
// a range error as soon as the value overflows, before looking at the remaining bytes.
ParseStatus parse_uint(std::string_view s, int base, std::uint64_t& out) {
  out = 0;
  if (s.empty()) return ParseStatus::syntax;
  if (base == 0) {
    base = 10;
    if (s[0] == '0') {
      if (s.size() >= 3 && lower(s[1]) == 'b') { base = 2; s.remove_prefix(2); }
      else if (s.size() >= 3 && lower(s[1]) == 'o') { base = 8; s.remove_prefix(2); }
      else if (s.size() >= 3 && lower(s[1]) == 'x') { base = 16; s.remove_prefix(2); }
      else { base = 8; s.remove_prefix(1); }
    }
  }
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t cutoff = max / static_cast<std::uint64_t>(base) + 1;
  std::uint64_t n = 0;
  for (char c : s) {
    int d;
    if (is_digit(c)) d = c - '0';
    else if (lower(c) >= 'a' && lower(c) <= 'z') d = lower(c) - 'a' + 10;
    else return ParseStatus::syntax;  // '_' never reaches here: resolve removes them first
    if (d >= base) return ParseStatus::syntax;
    if (n >= cutoff) { out = max; return ParseStatus::range; }
    n *= static_cast<std::uint64_t>(base);
    std::uint64_t n1 = n + static_cast<std::uint64_t>(d);
    if (n1 < n) { out = max; return ParseStatus::range; }
    n = n1;
  }
  out = n;
  return ParseStatus::ok;
}

// strconv.ParseInt(s, base, 64): an optional sign, then ParseUint.
ParseStatus parse_int(std::string_view s, int base, std::int64_t& out) {
  out = 0;
  if (s.empty()) return ParseStatus::syntax;
  bool neg = false;
  if (s[0] == '+') s.remove_prefix(1);
  else if (s[0] == '-') { neg = true; s.remove_prefix(1); }
  std::uint64_t un = 0;
  ParseStatus st = parse_uint(s, base, un);
  if (st == ParseStatus::syntax) return st;
  const std::uint64_t cutoff = std::uint64_t{1} << 63;
  if (!neg && un >= cutoff) return ParseStatus::range;
  if (neg && un > cutoff) return ParseStatus::range;
  out = neg ? static_cast<std::int64_t>(0 - un) : static_cast<std::int64_t>(un);
  return ParseStatus::ok;
}

// resolve.go yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool yaml_style_float(std::string_view s) {
  std::size_t i = 0, n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < n && s[i] == '.') {
    ++i;
    std::size_t d = i;
    while (i < n && is_digit(s[i])) ++i;
    if (i == d) return false;
  } else {
    std::size_t d = i;
    while (i < n && is_digit(s[i])) ++i;
    if (i == d) return false;
    if (i < n && s[i] == '.') {
      ++i;
      while (i < n && is_digit(s[i])) ++i;
    }
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t d = i;
    while (i < n && is_digit(s[i])) ++i;
    if (i == d) return false;
  }
  return i == n;
}

// strconv.ParseFloat(s, 64) for a string that yaml_style_float accepts: correctly rounded; an
// overflow is an error (Go: ErrRange), an underflow gives ±0 without error.
bool parse_float(std::string_view s, double& out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) { neg = s[0] == '-'; s.remove_prefix(1); }
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  if (r.ptr != s.data() + s.size()) return false;
  if (r.ec == std::errc::result_out_of_range) {
    // Decimal exponent of the leading significant digit decides between overflow and underflow.
    long exp10 = 0;
    std::size_t e = s.find_first_of("eE");
    if (e != std::string_view::npos) {
      std::string_view ex = s.substr(e + 1);
      bool eneg = !ex.empty() && ex[0] == '-';
      if (!ex.empty() && (ex[0] == '+' || ex[0] == '-')) ex.remove_prefix(1);
      for (char c : ex) exp10 = std::min(exp10 * 10 + (c - '0'), 100000L);
      if (eneg) exp10 = -exp10;
    }
    std::string_view mant = s.substr(0, e);
    std::size_t dot = mant.find('.');
    std::size_t first = mant.find_first_not_of("0.");
    long lead = dot == std::string_view::npos ? static_cast<long>(mant.size()) : static_cast<long>(dot);
    long pos = first == std::string_view::npos ? 0 : static_cast<long>(first);
    long magnitude = exp10 + (pos < lead ? lead - pos : lead - pos + 1);
    if (magnitude > 0) return false;
    v = 0;
  } else if (r.ec != std::errc()) {
    return false;
  }
  out = neg ? -v : v;
  return true;
}

// The value of a *big.Int (digits in base 2, 8 or 16) as Kubernetes reads it back from JSON: a
// float64 rounded to nearest, even on ties; infinity when it does not fit (Go then fails).
bool big_int_to_double(std::string_view s, double& out) {
  int bits_per_digit;
  if (s.size() < 3 || s[0] != '0') return false;
  switch (lower(s[1])) {
    case 'b': bits_per_digit = 1; break;
    case 'o': bits_per_digit = 3; break;
    case 'x': bits_per_digit = 4; break;
    default: return false;
  }
  int base = 1 << bits_per_digit;
  std::vector<bool> bits;
  for (char c : s.substr(2)) {
    int d;
    if (is_digit(c)) d = c - '0';
    else if (lower(c) >= 'a' && lower(c) <= 'z') d = lower(c) - 'a' + 10;
    else return false;
    if (d >= base) return false;
    for (int b = bits_per_digit - 1; b >= 0; --b) {
      bool bit = (d >> b) & 1;
      if (bits.empty() && !bit) continue;  // leading zeros
      bits.push_back(bit);
      if (bits.size() > 1100) break;  // far beyond float64's range; the exact tail no longer matters
    }
  }
  std::size_t len = bits.size();
  if (len > 1024) { out = std::numeric_limits<double>::infinity(); return true; }
  std::uint64_t mant = 0;
  std::size_t take = std::min<std::size_t>(len, 53);
  for (std::size_t i = 0; i < take; ++i) mant = (mant << 1) | bits[i];
  if (len > 53) {
    bool half = bits[53];
    bool sticky = false;
    for (std::size_t i = 54; i < len && !sticky; ++i) sticky = bits[i];
    if (half && (sticky || (mant & 1))) ++mant;
  }
  out = std::ldexp(static_cast<double>(mant), static_cast<int>(len - take));
  return true;
}

// time.Parse of go-yaml's allowedTimestampFormats, only consulted for an explicit !!timestamp:
// "2006-1-2T15:4:5.999999999Z07:00", the same with "t", "2006-1-2 15:4:5.999999999", "2006-1-2".
bool go_timestamp(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i != 4 || i == s.size() || s[i] != '-') return false;
  auto num = [&](std::size_t& p, int lo, int hi, int& v) {  // Go getnum(s, false): 1 or 2 digits
    if (p >= s.size() || !is_digit(s[p])) return false;
    v = s[p++] - '0';
    if (p < s.size() && is_digit(s[p])) v = v * 10 + (s[p++] - '0');
    return v >= lo && v <= hi;
  };
  int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  std::size_t p = 5;
  int month, day;
  if (!num(p, 1, 12, month) || p >= s.size() || s[p++] != '-' || !num(p, 1, 31, day)) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return false;
  if (p == s.size()) return true;  // "2006-1-2"
  char sep = s[p];
  bool zone;
  if (sep == 'T' || sep == 't') { zone = true; ++p; }
  else if (sep == ' ') { zone = false; while (p < s.size() && s[p] == ' ') ++p; }
  else return false;
  int h, m, sec;
  if (!num(p, 0, 23, h) || p >= s.size() || s[p++] != ':' || !num(p, 0, 59, m) || p >= s.size() ||
      s[p++] != ':' || !num(p, 0, 59, sec))
    return false;
  if (p + 1 < s.size() && (s[p] == '.' || s[p] == ',') && is_digit(s[p + 1])) {
    ++p;
    while (p < s.size() && is_digit(s[p])) ++p;
  }
  if (!zone) return p == s.size();
  if (p < s.size() && s[p] == 'Z') return p + 1 == s.size();
  // ±hh:mm
  if (s.size() - p != 6 || (s[p] != '+' && s[p] != '-') || s[p + 3] != ':') return false;
  if (!is_digit(s[p + 1]) || !is_digit(s[p + 2]) || !is_digit(s[p + 4]) || !is_digit(s[p + 5])) return false;
  return (s[p + 1] - '0') * 10 + (s[p + 2] - '0') <= 24 && (s[p + 4] - '0') * 10 + (s[p + 5] - '0') <= 60;
}

[[noreturn]] void cannot_decode(std::string_view rtag, std::string_view in, std::string_view tag) {
  throw std::invalid_argument("cannot decode " + short_tag(rtag) + " `" + std::string(in) + "` as a " +
                              short_tag(tag));
}

}  // namespace

ParseStatus go_parse_int(std::string_view s, std::int64_t& out) { return parse_int(s, 0, out); }
ParseStatus go_parse_uint(std::string_view s, std::uint64_t& out) { return parse_uint(s, 0, out); }

std::string short_tag(std::string_view tag) {
  if (tag.substr(0, kTagPrefix.size()) == kTagPrefix) return "!!" + std::string(tag.substr(kTagPrefix.size()));
  return std::string(tag);
}

GoScalar resolve_scalar(std::string_view tag, std::string_view in) {
  GoScalar out;
  // resolvableTag: any other tag (custom ones, !!binary, !!map on a scalar) keeps the text.
  if (!(tag.empty() || tag == kStr || tag == kBool || tag == kInt || tag == kFloat || tag == kNull ||
        tag == kTimestamp)) {
    out.type = GoScalar::Type::string;
    if (tag == kBinary) {
      auto bytes = vbackup::base64_decode(in);
      if (!bytes) throw std::invalid_argument("!!binary value contains invalid base64 data");
      out.text = coerce_utf8(*bytes);
    } else {
      out.text = std::string(in);
    }
    return out;
  }

  std::string_view rtag = kStr;
  bool done = false;
  char hint = hint_of(in);
  if (hint != 0 && tag != kStr) {
    done = lookup_map(in, rtag, out);
    if (!done && hint == '.') {
      double f;
      if (yaml_style_float(in) && parse_float(in, f)) {
        rtag = kFloat; out.type = GoScalar::Type::float64; out.float64 = f; done = true;
      }
    } else if (!done && (hint == 'D' || hint == 'S')) {
      if ((tag.empty() || tag == kTimestamp) && go_timestamp(in)) {
        // decoder.scalar: a timestamp decoded into interface{} stays the original string.
        rtag = kTimestamp; out.type = GoScalar::Type::string; out.text = std::string(in); done = true;
      }
      std::string plain;
      if (!done) for (char c : in) if (c != '_') plain.push_back(c);
      std::int64_t i;
      std::uint64_t u;
      double f;
      ParseStatus ust = ParseStatus::syntax;
      if (done) {
      } else if (parse_int(plain, 0, i) == ParseStatus::ok) {
        rtag = kInt; out.type = GoScalar::Type::int64; out.int64 = i; done = true;
      } else if ((ust = parse_uint(plain, 0, u)) == ParseStatus::ok) {
        rtag = kInt; out.type = GoScalar::Type::uint64; out.uint64 = u; done = true;
      } else if (yaml_style_float(plain) && parse_float(plain, f)) {
        rtag = kFloat; out.type = GoScalar::Type::float64; out.float64 = f; done = true;
      } else if (plain.size() >= 2 && plain[0] == '0' && plain[1] == 'b') {
        // Base 2 after the prefix, which also takes a sign there ("0b+101" is 5).
        if (parse_int(std::string_view(plain).substr(2), 2, i) == ParseStatus::ok) {
          rtag = kInt; out.type = GoScalar::Type::int64; out.int64 = i; done = true;
        } else if (parse_uint(std::string_view(plain).substr(2), 2, u) == ParseStatus::ok) {
          rtag = kInt; out.type = GoScalar::Type::uint64; out.uint64 = u; done = true;
        }
      } else if (plain.size() >= 3 && plain.compare(0, 3, "-0b") == 0) {
        if (parse_int("-" + plain.substr(3), 2, i) == ParseStatus::ok) {
          rtag = kInt; out.type = GoScalar::Type::int64; out.int64 = i; done = true;
        }
      }
      // The sigs.k8s.io fork of v2 keeps integers beyond 64 bits as *big.Int.
      if (!done && ust == ParseStatus::range && big_int_to_double(plain, f)) {
        rtag = kInt; out.type = GoScalar::Type::big_int; out.float64 = f; out.text = plain; done = true;
      }
    }
  }
  if (!done) {
    rtag = kStr;
    out.type = GoScalar::Type::string;
    out.text = std::string(in);
  }

  // The deferred check of resolve(): an explicit tag must match what the text resolved to, except
  // that !!float accepts an integer that fits int64.
  if (tag.empty() || tag == rtag || tag == kStr) {
    if (tag == kStr && out.type != GoScalar::Type::string) {
      out = GoScalar{};
      out.type = GoScalar::Type::string;
      out.text = std::string(in);
    }
    return out;
  }
  if (tag == kFloat && rtag == kInt && out.type == GoScalar::Type::int64) {
    out.type = GoScalar::Type::float64;
    out.float64 = static_cast<double>(out.int64);
    return out;
  }
  cannot_decode(rtag, in, tag);
}

std::string format_float_key(double f) {
  // FormatFloat(f, 'g', -1, 32): the shortest digits of float32(f); %e form when the exponent is
  // below -4 or at least 6 (the precision Go uses for this decision with shortest digits).
  if (std::isnan(f)) return ".nan";
  float f32 = static_cast<float>(f);
  if (std::isinf(f32)) return f32 > 0 ? ".inf" : "-.inf";
  std::string out;
  if (std::signbit(f32)) { out.push_back('-'); f32 = -f32; }
  if (f32 == 0) return out + "0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f32, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
  std::size_t e = sci.find('e');
  int exp = std::stoi(std::string(sci.substr(e + 1)));
  std::string digits;
  for (char c : sci.substr(0, e)) if (c != '.') digits.push_back(c);
  int nd = static_cast<int>(digits.size());
  if (exp < -4 || exp >= 6) {
    out += digits[0];
    if (nd > 1) { out.push_back('.'); out.append(digits, 1); }
    out.push_back('e');
    out.push_back(exp < 0 ? '-' : '+');
    int a = exp < 0 ? -exp : exp;
    if (a < 10) out.push_back('0');
    out += std::to_string(a);
    return out;
  }
  int dp = exp + 1;  // digits before the decimal point
  if (dp <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-dp), '0');
    out += digits;
  } else if (dp >= nd) {
    out += digits;
    out.append(static_cast<std::size_t>(dp - nd), '0');
  } else {
    out.append(digits, 0, static_cast<std::size_t>(dp));
    out.push_back('.');
    out.append(digits, static_cast<std::size_t>(dp));
  }
  return out;
}


std::string coerce_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    unsigned char c = b(0);
    std::size_t left = s.size() - i, n = 0;
    auto cont = [&](std::size_t k) { return k < left && (b(k) & 0xC0) == 0x80; };
    if (c < 0x80) n = 1;
    else if (c >= 0xC2 && c <= 0xDF && cont(1)) n = 2;
    else if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2) && !(c == 0xE0 && b(1) < 0xA0) &&
             !(c == 0xED && b(1) >= 0xA0)) n = 3;
    else if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3) && !(c == 0xF0 && b(1) < 0x90) &&
             !(c == 0xF4 && b(1) >= 0x90)) n = 4;
    if (n == 0) { out += "\xEF\xBF\xBD"; ++i; continue; }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace vbackup::manifests::detail
