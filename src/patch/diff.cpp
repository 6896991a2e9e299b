// Structural equality and a unified diff of two JSON values, for `restore --diff` and `backup diff`:
// what a person reads, so keys are sorted and each field is one line.
#include "patch/patch.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <regex>

namespace vbackup::patch {
namespace {

bool number_equal(const json::value& a, const json::value& b) {
  // Integers compare exactly; a double equals an integer only when it holds that integer's value.
  if (a.is_double() || b.is_double()) {
    double x = a.to_number<double>(), y = b.to_number<double>();
    if (x != y) return false;
    if (a.is_double() && b.is_double()) return true;
    const json::value& i = a.is_double() ? b : a;
    double d = a.is_double() ? x : y;
    if (d != std::floor(d) || std::fabs(d) > 9.3e18) return false;
    return i.is_int64() ? static_cast<std::int64_t>(d) == i.get_int64()
                        : d >= 0 && static_cast<std::uint64_t>(d) == i.get_uint64();
  }
  if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
  if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
  const json::value& s = a.is_int64() ? a : b;  // one int64, one uint64
  const json::value& u = a.is_int64() ? b : a;
  return s.get_int64() >= 0 && static_cast<std::uint64_t>(s.get_int64()) == u.get_uint64();
}

std::vector<const boost::json::key_value_pair*> sorted_members(const json::object& o) {
  std::vector<const boost::json::key_value_pair*> kv;
  for (const auto& p : o) kv.push_back(&p);
  std::sort(kv.begin(), kv.end(), [](auto* x, auto* y) { return x->key() < y->key(); });
  return kv;
}

// A string is written plain in YAML only when a YAML 1.1 reader would read it back as that string.
bool yaml_plain(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  static const std::regex special(
      R"(^(~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$|^[-+]?(\.[0-9]|[0-9])|^[-?:,\[\]{}#&*!|>'"%@`]|: | #|[\x00-\x1f\x7f])");
  return !std::regex_search(s.begin(), s.end(), special);
}

std::string yaml_scalar(const json::value& v) {
  if (v.is_null()) return "null";
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (v.is_string()) {
    std::string_view s = v.get_string();
    return yaml_plain(s) ? std::string(s) : json::marshal(v);  // JSON quoting is valid YAML
  }
  return json::marshal(v);
}

bool empty_container(const json::value& v) {
  return (v.is_object() && v.get_object().empty()) || (v.is_array() && v.get_array().empty());
}

void render_yaml(const json::value& v, const std::string& indent, std::vector<std::string>& out);

// The lines of a value written after "key:" or "- ": scalars and empty containers on the same line.
void render_yaml_member(std::string head, const json::value& v, const std::string& indent, bool in_list,
                        std::vector<std::string>& out) {
  if (v.is_object() && !v.get_object().empty()) {
    if (in_list) {
      // "- a: 1" then the other keys aligned under "a".
      std::vector<std::string> inner;
      render_yaml(v, indent + "  ", inner);
      inner.front() = head + " " + inner.front().substr(indent.size() + 2);
      out.insert(out.end(), inner.begin(), inner.end());
      return;
    }
    out.push_back(head);
    render_yaml(v, indent + "  ", out);
  } else if (v.is_array() && !v.get_array().empty()) {
    out.push_back(head);
    render_yaml(v, in_list ? indent + "  " : indent, out);
  } else {
    out.push_back(head + " " + (empty_container(v) ? std::string(v.is_object() ? "{}" : "[]") : yaml_scalar(v)));
  }
}

void render_yaml(const json::value& v, const std::string& indent, std::vector<std::string>& out) {
  if (v.is_object() && !v.get_object().empty()) {
    for (const auto* kv : sorted_members(v.get_object())) {
      json::value key(kv->key());
      render_yaml_member(indent + yaml_scalar(key) + ":", kv->value(), indent, false, out);
    }
  } else if (v.is_array() && !v.get_array().empty()) {
    for (const auto& e : v.get_array()) render_yaml_member(indent + "-", e, indent, true, out);
  } else {
    out.push_back(indent + (empty_container(v) ? std::string(v.is_object() ? "{}" : "[]") : yaml_scalar(v)));
  }
}

void render_json(const json::value& v, const std::string& indent, const std::string& head, bool comma,
                 std::vector<std::string>& out) {
  std::string tail = comma ? "," : "";
  if (v.is_object() && !v.get_object().empty()) {
    out.push_back(indent + head + "{");
    auto kv = sorted_members(v.get_object());
    for (std::size_t i = 0; i < kv.size(); ++i) {
      render_json(kv[i]->value(), indent + "  ", json::marshal(json::value(kv[i]->key())) + ": ", i + 1 < kv.size(), out);
    }
    out.push_back(indent + "}" + tail);
  } else if (v.is_array() && !v.get_array().empty()) {
    out.push_back(indent + head + "[");
    const auto& a = v.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) render_json(a[i], indent + "  ", "", i + 1 < a.size(), out);
    out.push_back(indent + "]" + tail);
  } else {
    out.push_back(indent + head + json::marshal(v) + tail);
  }
}

// Myers' O(ND) shortest edit script as a list of (kind, line): ' ' kept, '-' removed, '+' added.
std::vector<std::pair<char, std::size_t>> edit_script(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const long n = static_cast<long>(a.size()), m = static_cast<long>(b.size()), max = n + m;
  std::vector<long> v(2 * max + 2, 0);
  std::vector<std::vector<long>> trace;
  long d_end = 0;
  for (long d = 0; d <= max; ++d) {
    trace.push_back(v);
    bool done = false;
    for (long k = -d; k <= d; k += 2) {
      long x = (k == -d || (k != d && v[k - 1 + max] < v[k + 1 + max])) ? v[k + 1 + max] : v[k - 1 + max] + 1;
      long y = x - k;
      while (x < n && y < m && a[x] == b[y]) ++x, ++y;
      v[k + max] = x;
      if (x >= n && y >= m) {
        done = true;
        break;
      }
    }
    if (done) {
      d_end = d;
      break;
    }
  }
  std::vector<std::pair<char, std::size_t>> script;
  long x = n, y = m;
  for (long d = d_end; d > 0; --d) {
    const auto& pv = trace[d];
    long k = x - y;
    long prev_k = (k == -d || (k != d && pv[k - 1 + max] < pv[k + 1 + max])) ? k + 1 : k - 1;
    long prev_x = pv[prev_k + max], prev_y = prev_x - prev_k;
    while (x > prev_x && y > prev_y) script.emplace_back(' ', --x), --y;
    if (x == prev_x) script.emplace_back('+', --y);
    else script.emplace_back('-', --x);
  }
  while (x > 0) script.emplace_back(' ', --x), --y;
  std::reverse(script.begin(), script.end());
  return script;
}

}  // namespace

bool semantic_equal(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return number_equal(a, b);
  if (a.kind() != b.kind()) return false;
  if (a.is_object()) {
    const auto& ao = a.get_object();
    const auto& bo = b.get_object();
    if (ao.size() != bo.size()) return false;
    for (const auto& kv : ao) {
      auto it = bo.find(kv.key());
      if (it == bo.end() || !semantic_equal(kv.value(), it->value())) return false;
    }
    return true;
  }
  if (a.is_array()) {
    const auto& aa = a.get_array();
    const auto& ba = b.get_array();
    if (aa.size() != ba.size()) return false;
    for (std::size_t i = 0; i < aa.size(); ++i) {
      if (!semantic_equal(aa[i], ba[i])) return false;
    }
    return true;
  }
  return a == b;
}

std::vector<std::string> render_lines(const json::value& v, DiffFormat format) {
  std::vector<std::string> out;
  if (format == DiffFormat::yaml) render_yaml(v, "", out);
  else render_json(v, "", "", false, out);
  return out;
}

std::string unified_diff(const json::value& from, const json::value& to, std::string_view from_name,
                         std::string_view to_name, DiffFormat format, int context) {
  std::vector<std::string> a = render_lines(from, format), b = render_lines(to, format);
  if (a == b) return {};
  auto script = edit_script(a, b);
  std::string out = "--- " + std::string(from_name) + "\n+++ " + std::string(to_name) + "\n";
  const std::size_t ctx = static_cast<std::size_t>(std::max(context, 0));
  std::size_t i = 0;
  while (i < script.size()) {
    if (script[i].first == ' ') {
      ++i;
      continue;
    }
    // A hunk: from `ctx` lines before this change to `ctx` lines after the last change that is at
    // most 2*ctx kept lines further on.
    std::size_t start = i >= ctx ? i - ctx : 0, end = i;
    for (std::size_t j = i; j < script.size(); ++j) {
      if (script[j].first != ' ') end = j;
      else if (j - end > 2 * ctx) break;
    }
    std::size_t stop = std::min(script.size(), end + ctx + 1);
    // Line numbers of the hunk in each file (1-based; a side without lines starts at the line before).
    std::size_t a_line = 0, b_line = 0, a_count = 0, b_count = 0;
    for (std::size_t j = 0; j < start; ++j) {
      if (script[j].first != '+') ++a_line;
      if (script[j].first != '-') ++b_line;
    }
    std::string body;
    for (std::size_t j = start; j < stop; ++j) {
      char kind = script[j].first;
      const std::string& line = kind == '+' ? b[script[j].second] : a[script[j].second];
      if (kind != '+') ++a_count;
      if (kind != '-') ++b_count;
      body += kind;
      body += line;
      body += '\n';
    }
    auto range = [](std::size_t line, std::size_t count) {
      std::string r = std::to_string(count == 0 ? line : line + 1);
      if (count != 1) r += "," + std::to_string(count);
      return r;
    };
    out += "@@ -" + range(a_line, a_count) + " +" + range(b_line, b_count) + " @@\n" + body;
    i = stop;
  }
  return out;
}

}  // namespace vbackup::patch
