// JSON as sigs.k8s.io/yaml prints it (JSONToYAML over go-yaml v2): block style, keys sorted, two
// spaces, and a string quoted exactly when the reader's own scalar rules (resolve.cpp, go-yaml v2's
// resolve) would read it back as something else — "yes", "0755", "1e3", "null", "" — or when
// surrounding spaces would be lost. yaml-cpp's emitter decides the rest (indicator characters,
// ": ", " #"), and multi-line strings become literal blocks.
#include "manifests/resolve.hpp"
#include "vbackup/json.hpp"
#include "vbackup/manifests.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <stdexcept>

namespace vbackup::manifests {
namespace {

bool needs_quotes(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return true;
  try {
    return detail::resolve_scalar({}, s).type != detail::GoScalar::Type::string;
  } catch (const std::invalid_argument&) {
    return true;
  }
}

bool literal_keeps(const std::string& s) {
  if (s.size() < 2 || s.back() != '\n' || s[s.size() - 2] == '\n') return false;
  if (s.front() == ' ' || s.front() == '\n') return false;
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

void emit(YAML::Emitter& e, const json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: e << YAML::Null; break;
    case boost::json::kind::bool_: e << (v.get_bool() ? "true" : "false"); break;
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: e << json::marshal(v); break;
    case boost::json::kind::string: {
      std::string s(v.get_string());
      if (s.find('\n') != std::string::npos) {
        // yaml-cpp writes a literal block as "|" (clip): it reads back with exactly one final
        // newline. go-yaml would write "|-" or "|+"; where "|" cannot keep the string (no final
        // newline, several, a first line that starts with a space, carriage returns or other
        // control characters), a double-quoted string with escapes keeps it exactly.
        e << (literal_keeps(s) ? YAML::Literal : YAML::DoubleQuoted);
      } else if (needs_quotes(s)) {
        e << YAML::DoubleQuoted;
      }
      e << s;
      break;
    }
    case boost::json::kind::array:
      if (v.get_array().empty()) {
        e << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        break;
      }
      e << YAML::BeginSeq;
      for (const auto& x : v.get_array()) emit(e, x);
      e << YAML::EndSeq;
      break;
    case boost::json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        e << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        break;
      }
      std::vector<const boost::json::key_value_pair*> kv;
      for (const auto& p : o) kv.push_back(&p);
      std::sort(kv.begin(), kv.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
      e << YAML::BeginMap;
      for (const auto* p : kv) {
        std::string key(p->key());
        e << YAML::Key;
        if (needs_quotes(key)) e << YAML::DoubleQuoted;
        e << key << YAML::Value;
        emit(e, p->value());
      }
      e << YAML::EndMap;
      break;
    }
  }
}

}  // namespace

std::string to_yaml(const json::value& v) {
  YAML::Emitter e;
  e.SetIndent(2);
  e << YAML::Block;
  emit(e, v);
  return std::string(e.c_str()) + "\n";
}

}  // namespace vbackup::manifests
