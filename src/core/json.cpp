#include "vbackup/json.hpp"

#include "vbackup/error.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <iterator>
#include <charconv>
#include <cmath>
#include <vector>

namespace vbackup::json {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence at s[i], or 0 if the bytes there are not valid UTF-8.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  std::size_t n = s.size() - i;
  auto cont = [&](std::size_t k) { return (byte(i + k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return n >= 2 && cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (n < 3 || !cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && byte(i + 1) < 0xA0) return 0;   // overlong
    if (c == 0xED && byte(i + 1) >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (n < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && byte(i + 1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && byte(i + 1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// True for the bytes Go writes as they are: printable ASCII other than " \\ < > &.
constexpr bool plain_ascii_rule(unsigned char c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
}
constexpr auto kPlainAscii = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<std::size_t>(c)] = plain_ascii_rule(static_cast<unsigned char>(c));
  return t;
}();
inline bool plain_ascii(unsigned char c) { return kPlainAscii[c]; }

void write_string(std::string_view s, std::string& out) {
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    // Runs of bytes that need no escaping are copied at once (the common case).
    std::size_t run = i;
    while (run < s.size() && plain_ascii(static_cast<unsigned char>(s[run]))) ++run;
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      if (i == s.size()) break;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:  // < > & and the other control bytes
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
      }
      ++i;
      continue;
    }
    std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {  // Go replaces each invalid byte with U+FFFD
      out += "\\ufffd";
      ++i;
      continue;
    }
    // U+2028 and U+2029 (E2 80 A8 / E2 80 A9) break JavaScript parsers; Go escapes them.
    if (n == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.data() + i, n);
    }
    i += n;
  }
  out.push_back('"');
}

// encoding/json floatEncoder: the shortest digits that round-trip (strconv 'f'/'e' with precision
// -1), in 'f' form unless the magnitude is below 1e-6 or at least 1e21, then 'e' form with a
// two-digit negative exponent shortened ("1e-07" → "1e-7"). Go zero-pads the shortest digits in 'f'
// form (2^64 → "18446744073709552000"), so the fixed form is built from the scientific digits.
void write_double(double d, std::string& out) {
  if (!std::isfinite(d)) throw invalid_input("json: unsupported value: " + std::to_string(d));
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  double a = std::fabs(d);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    std::size_t n = sci.size();
    if (n >= 4 && sci[n - 4] == 'e' && sci[n - 3] == '-' && sci[n - 2] == '0') {
      out.append(sci.substr(0, n - 2));
      out.push_back(sci[n - 1]);
    } else {
      out.append(sci);
    }
    return;
  }
  // sci is "[-]d[.ddd]e±XX": collect the digits and the decimal exponent.
  std::size_t e = sci.find('e');
  std::string_view mantissa = sci.substr(0, e);
  int exponent = std::stoi(std::string(sci.substr(e + 1)));
  if (!mantissa.empty() && mantissa[0] == '-') {
    out.push_back('-');
    mantissa.remove_prefix(1);
  }
  std::string digits;
  for (char c : mantissa) if (c != '.') digits.push_back(c);
  if (digits == "0") { out.push_back('0'); return; }
  if (exponent >= 0) {
    std::size_t int_len = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= int_len) {
      out += digits;
      out.append(int_len - digits.size(), '0');
    } else {
      out.append(digits, 0, int_len);
      out.push_back('.');
      out.append(digits, int_len);
    }
  } else {
    out += "0.";
    out.append(static_cast<std::size_t>(-exponent - 1), '0');
    out += digits;
  }
}

void newline(std::string& out, const WriteOptions& opt, int depth) {
  if (opt.indent <= 0) return;
  out.push_back('\n');
  out.append(static_cast<std::size_t>(opt.indent * depth), ' ');
}

void write_object(const object& o, std::string& out, const WriteOptions& opt, int depth);

void write_value(const value& v, std::string& out, const WriteOptions& opt, int depth) {
  switch (v.kind()) {
    case boost::json::kind::null: out += "null"; return;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; return;
    case boost::json::kind::int64: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_int64());
      out.append(buf, r.ptr);
      return;
    }
    case boost::json::kind::uint64: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_uint64());
      out.append(buf, r.ptr);
      return;
    }
    case boost::json::kind::double_: write_double(v.get_double(), out); return;
    case boost::json::kind::string: write_string(v.get_string(), out); return;
    case boost::json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) { out += "[]"; return; }
      out.push_back('[');
      bool first = true;
      for (const auto& e : a) {
        if (!first) out.push_back(',');
        first = false;
        newline(out, opt, depth + 1);
        write_value(e, out, opt, depth + 1);
      }
      newline(out, opt, depth);
      out.push_back(']');
      return;
    }
    case boost::json::kind::object: write_object(v.get_object(), out, opt, depth); return;
  }
}

void write_object(const object& o, std::string& out, const WriteOptions& opt, int depth) {
  if (o.empty()) { out += "{}"; return; }
  // The members in output order; objects of up to 64 members (nearly all) sort on the stack.
  const boost::json::key_value_pair* small[64];
  std::vector<const boost::json::key_value_pair*> large;
  const boost::json::key_value_pair** members = small;
  if (o.size() > std::size(small)) {
    large.resize(o.size());
    members = large.data();
  }
  std::size_t n = 0;
  for (const auto& kv : o) members[n++] = &kv;
  if (opt.sort_keys) {
    std::sort(members, members + n, [](auto* a, auto* b) { return a->key() < b->key(); });  // bytewise, as Go sorts
  }
  out.push_back('{');
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out.push_back(',');
    newline(out, opt, depth + 1);
    write_string(members[i]->key(), out);
    out.push_back(':');
    if (opt.indent > 0) out.push_back(' ');
    write_value(members[i]->value(), out, opt, depth + 1);
  }
  newline(out, opt, depth);
  out.push_back('}');
}

// Kubernetes decodes numbers to int64 when they fit and float64 otherwise.
void normalize_numbers(value& v) {
  if (v.is_uint64()) {
    v = static_cast<double>(v.get_uint64());
  } else if (v.is_array()) {
    for (auto& e : v.get_array()) normalize_numbers(e);
  } else if (v.is_object()) {
    for (auto& kv : v.get_object()) normalize_numbers(kv.value());
  }
}

}  // namespace

void marshal_to(const value& v, std::string& out, const WriteOptions& options) {
  write_value(v, out, options, 0);
}

std::string marshal(const value& v, const WriteOptions& options) {
  std::string out;
  marshal_to(v, out, options);
  return out;
}

void marshal_to(const object& o, std::string& out, const WriteOptions& options) {
  write_object(o, out, options, 0);
}

std::string marshal(const object& o, const WriteOptions& options) {
  std::string out;
  marshal_to(o, out, options);
  return out;
}

value parse(std::string_view text, std::string_view what, boost::json::storage_ptr storage) {
  boost::json::parse_options opts;
  opts.max_depth = 1000;  // CRD schemas nest deeply; Go allows 10000
  boost::json::stream_parser parser({}, opts);
  parser.reset(std::move(storage));
  boost::system::error_code ec;
  std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (!ec && consumed < text.size()) {
    // Only whitespace may follow the value.
    std::size_t k = consumed;
    while (k < text.size() && (text[k] == ' ' || text[k] == '\n' || text[k] == '\r' || text[k] == '\t')) ++k;
    if (k < text.size()) {
      consumed = k;
      ec = boost::json::error::extra_data;
    }
  }
  if (!ec) parser.finish(ec);
  if (ec) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < consumed && i < text.size(); ++i) {
      if (text[i] == '\n') { ++line; col = 1; } else { ++col; }
    }
    throw invalid_input(std::string(what) + ": line " + std::to_string(line) + ", column " +
                        std::to_string(col) + ": invalid JSON: " + ec.message());
  }
  value v = parser.release();
  normalize_numbers(v);
  return v;
}

const object* find_object(const object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

const array* find_array(const object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_array() ? &it->value().get_array() : nullptr;
}

std::string_view get_string(const object& o, std::string_view key, std::string_view fallback) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return fallback;
  const auto& s = it->value().get_string();
  return {s.data(), s.size()};
}

std::string_view metadata_string(const object& obj, std::string_view key) {
  const object* md = find_object(obj, "metadata");
  return md ? get_string(*md, key) : std::string_view{};
}

const object* metadata_map(const object& obj, std::string_view key) {
  const object* md = find_object(obj, "metadata");
  return md ? find_object(*md, key) : nullptr;
}

}  // namespace vbackup::json
