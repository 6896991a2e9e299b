// sigs.k8s.io/yaml v1.6 (go-yaml v2 underneath) as Velero uses it for resource modifiers. The YAML is
// read by src/manifests (go-yaml v2 rules); the typed decoding below is Go's encoding/json with
// DisallowUnknownFields over Velero's structs (internal/resourcemodifiers/*.go): keys are taken in
// sorted order (YAMLToJSON marshals a map), a key matches its field exactly or else case-insensitively,
// and a YAML number or boolean in a string field becomes its text (convertToJSONableObject).
#include "restore/modifiers/decode.hpp"

#include "manifests/convert.hpp"
#include "manifests/yaml_tree.hpp"
#include "vbackup/error.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace vbackup::restore::detail {
namespace {

// ---- The Go types ------------------------------------------------------------------------------

struct Struct;
struct Field {
  const char* name;  // the json tag
  enum Kind { string, string_list, string_map, object, object_list, object_ptr } kind;
  const Struct* type = nullptr;
};
struct Struct {
  const char* go_name;
  std::vector<Field> fields;
};

const Struct kRequirement{"v1.LabelSelectorRequirement",
                          {{"key", Field::string}, {"operator", Field::string}, {"values", Field::string_list}}};
const Struct kLabelSelector{"v1.LabelSelector",
                            {{"matchLabels", Field::string_map}, {"matchExpressions", Field::object_list, &kRequirement}}};
const Struct kMatchRule{"resourcemodifiers.MatchRule", {{"path", Field::string}, {"value", Field::string}}};
const Struct kConditions{"resourcemodifiers.Conditions",
                         {{"namespaces", Field::string_list},
                          {"groupResource", Field::string},
                          {"resourceNameRegex", Field::string},
                          {"labelSelector", Field::object_ptr, &kLabelSelector},
                          {"matches", Field::object_list, &kMatchRule}}};
const Struct kJSONPatch{"resourcemodifiers.JSONPatch",
                        {{"operation", Field::string}, {"from", Field::string}, {"path", Field::string}, {"value", Field::string}}};
const Struct kPatchData{"resourcemodifiers.JSONMergePatch", {{"patchData", Field::string}}};
const Struct kStrategicData{"resourcemodifiers.StrategicMergePatch", {{"patchData", Field::string}}};
const Struct kRule{"resourcemodifiers.ResourceModifierRule",
                   {{"conditions", Field::object, &kConditions},
                    {"patches", Field::object_list, &kJSONPatch},
                    {"mergePatches", Field::object_list, &kPatchData},
                    {"strategicPatches", Field::object_list, &kStrategicData}}};
const Struct kModifiers{"resourcemodifiers.ResourceModifiers",
                        {{"version", Field::string}, {"resourceModifierRules", Field::object_list, &kRule}}};

const char* json_kind(const json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::string: return "string";
    case boost::json::kind::bool_: return "bool";
    case boost::json::kind::array: return "array";
    case boost::json::kind::object: return "object";
    case boost::json::kind::null: return "null";
    default: return "number";
  }
}

bool ascii_equal_fold(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// strconv.FormatFloat(f, 'g', -1, 32): the shortest float32 digits, %e form for exponents < -4 or >= 6
// (the shortest 'g' form uses precision 6 for that choice).
std::string format_float32(double d) {
  float f = static_cast<float>(d);
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  if (std::isnan(f)) return "NaN";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string sci(buf, r.ptr);  // d[.ddd]e±XX
  std::size_t e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  std::string mant = sci.substr(0, e);
  bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant) if (c != '.') digits += c;
  std::string out = neg ? "-" : "";
  if (exp < -4 || exp >= 6) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exp < 0 ? "e-" : "e+";
    std::string x = std::to_string(std::abs(exp));
    if (x.size() < 2) x = "0" + x;
    return out + x;
  }
  if (exp < 0) return out + "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
  std::size_t int_len = static_cast<std::size_t>(exp) + 1;
  if (digits.size() <= int_len) return out + digits + std::string(int_len - digits.size(), '0');
  return out + digits.substr(0, int_len) + "." + digits.substr(int_len);
}

class Decoder {
 public:
  explicit Decoder(std::string_view what) : what_(what) {}

  [[noreturn]] void fail(const std::string& path, const std::string& problem) const {
    throw invalid_input(std::string(what_) + ": " + (path.empty() ? "" : path + ": ") + problem);
  }

  // A value for a Go string field: strings as they are, numbers and booleans as their text.
  std::optional<std::string> string_value(const json::value& v, const std::string& path, const char* go_type) const {
    switch (v.kind()) {
      case boost::json::kind::null: return std::nullopt;  // null leaves a Go string unset
      case boost::json::kind::string: return std::string(v.get_string());
      case boost::json::kind::bool_: return v.get_bool() ? "true" : "false";
      case boost::json::kind::int64: return std::to_string(v.get_int64());
      case boost::json::kind::uint64: return std::to_string(v.get_uint64());
      case boost::json::kind::double_: return format_float32(v.get_double());
      default: fail(path, std::string("cannot unmarshal ") + json_kind(v) + " into Go value of type " + go_type);
    }
  }

  // The struct as canonical JSON: fields under their tag names, strings coerced.
  json::object decode_struct(const json::value& v, const Struct& s, const std::string& path) const {
    json::object out;
    if (v.is_null()) return out;
    if (!v.is_object()) fail(path, std::string("cannot unmarshal ") + json_kind(v) + " into Go value of type " + s.go_name);
    const json::object& o = v.get_object();
    std::vector<std::string_view> keys;
    for (const auto& kv : o) keys.push_back(kv.key());
    std::sort(keys.begin(), keys.end());
    for (std::string_view key : keys) {
      const Field* f = nullptr;
      for (const Field& candidate : s.fields) {
        if (key == candidate.name) {
          f = &candidate;
          break;
        }
        if (!f && ascii_equal_fold(key, candidate.name)) f = &candidate;
      }
      std::string field_path = path.empty() ? std::string(key) : path + "." + std::string(key);
      if (!f) fail(path, "unknown field \"" + std::string(key) + "\"");
      const json::value& fv = o.at(key);
      if (fv.is_null()) {
        out.erase(f->name);  // null resets the field to its zero value
        continue;
      }
      out[f->name] = decode_field(fv, *f, field_path);
    }
    return out;
  }

 private:
  json::value decode_field(const json::value& v, const Field& f, const std::string& path) const {
    switch (f.kind) {
      case Field::string: {
        auto s = string_value(v, path, "string");
        return s ? json::value(*s) : json::value(nullptr);
      }
      case Field::string_list: {
        if (!v.is_array()) fail(path, std::string("cannot unmarshal ") + json_kind(v) + " into Go value of type []string");
        json::array a;
        for (std::size_t i = 0; i < v.get_array().size(); ++i) {
          auto s = string_value(v.get_array()[i], path + "[" + std::to_string(i) + "]", "string");
          a.push_back(json::value(s.value_or("")));
        }
        return a;
      }
      case Field::string_map: {
        if (!v.is_object()) fail(path, std::string("cannot unmarshal ") + json_kind(v) + " into Go value of type map[string]string");
        json::object m;
        for (const auto& kv : v.get_object()) {
          auto s = string_value(kv.value(), path + "." + std::string(kv.key()), "string");
          m[kv.key()] = s.value_or("");
        }
        return m;
      }
      case Field::object:
      case Field::object_ptr: return decode_struct(v, *f.type, path);
      case Field::object_list: {
        if (!v.is_array()) fail(path, std::string("cannot unmarshal ") + json_kind(v) + " into Go value of type []" + f.type->go_name);
        json::array a;
        for (std::size_t i = 0; i < v.get_array().size(); ++i) {
          a.push_back(decode_struct(v.get_array()[i], *f.type, path + "[" + std::to_string(i) + "]"));
        }
        return a;
      }
    }
    return nullptr;
  }

  std::string_view what_;
};

std::string get(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? std::string() : std::string(it->value().as_string());
}

const json::array& list(const json::object& o, std::string_view key) {
  static const json::array empty;
  auto it = o.find(key);
  return it == o.end() ? empty : it->value().as_array();
}

bool digits_with_underscores(std::string_view s, bool hex) {
  // strconv underscoreOK: underscores only between digits (a base prefix counts as a digit).
  char saw = '^';
  if (hex) {
    s.remove_prefix(2);
    saw = '0';
  }
  for (char c : s) {
    bool digit = (c >= '0' && c <= '9') || (hex && std::isxdigit(static_cast<unsigned char>(c)));
    if (digit) saw = '0';
    else if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
    } else {
      if (saw == '_') return false;
      saw = '!';
    }
  }
  return saw != '_';
}

}  // namespace

json::value yaml_to_json(std::string_view text, std::string_view what, bool strict) {
  manifests::detail::check_text(text, what, true);
  json::value result;
  bool first = true;
  manifests::WarningCallback on_warning;
  if (strict) {
    // go-yaml v2 UnmarshalStrict: a key already set in the map is an error.
    on_warning = [](const std::string& warning) { throw invalid_input(warning); };
  }
  manifests::detail::parse_yaml_stream(text, what, [&](manifests::detail::Document& doc, int) {
    if (!first) return;  // yaml.Unmarshal decodes the first document only
    first = false;
    result = manifests::detail::to_json(doc, what, on_warning);
  });
  return result;
}

void decode_modifiers(std::string_view text, std::string_view what, std::string& version,
                      std::vector<ResourceModifierRule>& rules) {
  json::value doc = yaml_to_json(text, what, true);
  Decoder d(what);
  json::object top = d.decode_struct(doc, kModifiers, "");
  version = get(top, "version");
  for (const auto& r : list(top, "resourceModifierRules")) {
    const json::object& ro = r.as_object();
    ResourceModifierRule rule;
    auto c_it = ro.find("conditions");
    if (c_it != ro.end()) {
      const json::object& c = c_it->value().as_object();
      for (const auto& ns : list(c, "namespaces")) rule.conditions.namespaces.emplace_back(ns.as_string());
      rule.conditions.group_resource = get(c, "groupResource");
      rule.conditions.resource_name_regex = get(c, "resourceNameRegex");
      if (auto it = c.find("labelSelector"); it != c.end()) rule.conditions.label_selector = it->value().as_object();
      for (const auto& m : list(c, "matches")) {
        rule.conditions.matches.push_back({get(m.as_object(), "path"), get(m.as_object(), "value")});
      }
    }
    for (const auto& p : list(ro, "patches")) {
      const json::object& po = p.as_object();
      rule.patches.push_back({get(po, "operation"), get(po, "from"), get(po, "path"), get(po, "value")});
    }
    for (const auto& p : list(ro, "mergePatches")) rule.merge_patches.push_back(get(p.as_object(), "patchData"));
    for (const auto& p : list(ro, "strategicPatches")) rule.strategic_patches.push_back(get(p.as_object(), "patchData"));
    rules.push_back(std::move(rule));
  }
}

bool go_parse_float_ok(std::string_view s) {
  std::string_view body = s;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  auto lower = [](std::string_view x) {
    std::string l(x);
    for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return l;
  };
  std::string l = lower(body);
  if (l == "inf" || l == "infinity") return true;
  if (l == "nan") return body.size() == s.size();  // no sign before nan
  if (l.empty()) return false;
  bool hex = l.size() > 2 && l[0] == '0' && l[1] == 'x';
  std::string_view digits = hex ? std::string_view(l).substr(2) : std::string_view(l);
  // mantissa [.fraction] then the exponent (e for decimal, p required for hex).
  std::size_t i = 0;
  bool seen_digit = false, seen_dot = false;
  auto is_mant = [&](char c) { return (c >= '0' && c <= '9') || (hex && c >= 'a' && c <= 'f'); };
  for (; i < digits.size(); ++i) {
    char c = digits[i];
    if (is_mant(c)) seen_digit = true;
    else if (c == '_') continue;
    else if (c == '.' && !seen_dot) seen_dot = true;
    else break;
  }
  if (!seen_digit) return false;
  char exp_char = hex ? 'p' : 'e';
  bool has_exp = false;
  if (i < digits.size() && digits[i] == exp_char) {
    ++i;
    if (i < digits.size() && (digits[i] == '+' || digits[i] == '-')) ++i;
    bool exp_digit = false;
    for (; i < digits.size() && ((digits[i] >= '0' && digits[i] <= '9') || digits[i] == '_'); ++i) {
      if (digits[i] != '_') exp_digit = true;
    }
    if (!exp_digit) return false;
    has_exp = true;
  }
  if (i != digits.size()) return false;
  if (hex && !has_exp) return false;  // "hexadecimal mantissa requires a 'p' exponent"
  std::string_view number = std::string_view(l);
  if (number.find('_') != std::string_view::npos && !digits_with_underscores(number, hex)) return false;
  // Range: an overflow to ±Inf is an error (ErrRange); underflow to 0 is not.
  std::string plain;
  for (char c : l) if (c != '_') plain += c;
  double v = std::strtod(plain.c_str(), nullptr);
  return std::isfinite(v);
}

}  // namespace vbackup::restore::detail
