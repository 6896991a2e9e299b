#include "patch/json_text.hpp"

#include "vbackup/error.hpp"

#include <limits>

namespace vbackup::patch::detail {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

// End (one past) of the string token starting at s[i] == '"'.
std::size_t skip_string(std::string_view s, std::size_t i) {
  ++i;
  while (i < s.size() && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
  return i + 1;
}

// End of the value starting at s[i] (the text is valid JSON).
std::size_t skip_value(std::string_view s, std::size_t i) {
  char c = s[i];
  if (c == '"') return skip_string(s, i);
  if (c == '{' || c == '[') {
    int depth = 0;
    while (i < s.size()) {
      char d = s[i];
      if (d == '"') {
        i = skip_string(s, i);
        continue;
      }
      if (d == '{' || d == '[') ++depth;
      if (d == '}' || d == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return i;
  }
  while (i < s.size() && !is_space(s[i]) && s[i] != ',' && s[i] != '}' && s[i] != ']') ++i;
  return i;
}

}  // namespace

RawValue split_raw(std::string_view text) {
  RawValue v;
  std::size_t i = skip_space(text, 0);
  std::size_t end = i < text.size() ? skip_value(text, i) : i;
  v.text = text.substr(i, end - i);
  if (v.text.empty()) return v;
  char c = v.text.front();
  if (c == '"') {
    v.kind = RawValue::Kind::string;
    return v;
  }
  if (c != '{' && c != '[') return v;
  v.kind = c == '{' ? RawValue::Kind::object : RawValue::Kind::array;
  std::string_view s = v.text;
  std::size_t p = skip_space(s, 1);
  while (p < s.size() && s[p] != '}' && s[p] != ']') {
    std::string key;
    if (v.kind == RawValue::Kind::object) {
      std::size_t key_end = skip_string(s, p);
      key = json::parse(s.substr(p, key_end - p), "object key").as_string().c_str();
      p = skip_space(s, key_end) + 1;  // ':'
      p = skip_space(s, p);
    }
    std::size_t value_end = skip_value(s, p);
    std::string_view raw = s.substr(p, value_end - p);
    if (v.kind == RawValue::Kind::object) {
      v.members.emplace_back(std::move(key), raw);
    } else {
      v.elements.push_back(raw);
    }
    p = skip_space(s, value_end);
    if (p < s.size() && s[p] == ',') p = skip_space(s, p + 1);
  }
  return v;
}

std::string compact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      std::size_t e = skip_string(text, i);
      out.append(text.substr(i, e - i));
      i = e;
    } else {
      if (!is_space(c)) out.push_back(c);
      ++i;
    }
  }
  return out;
}

std::optional<std::int64_t> go_atoi(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  // Accumulate as a negative number so that INT64_MIN fits.
  std::int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    int d = c - '0';
    if (n < (std::numeric_limits<std::int64_t>::min() + d) / 10) return std::nullopt;
    n = n * 10 - d;
  }
  if (!negative) {
    if (n == std::numeric_limits<std::int64_t>::min()) return std::nullopt;
    n = -n;
  }
  return n;
}

const std::string_view* find_member(const RawValue& v, std::string_view key) {
  const std::string_view* found = nullptr;
  for (const auto& [k, raw] : v.members) {
    if (k == key) found = &raw;
  }
  return found;
}

}  // namespace vbackup::patch::detail
