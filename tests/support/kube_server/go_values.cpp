#include "kube_server/go_values.hpp"

#include <algorithm>
#include <cstdio>

namespace vbackup::kubetest {

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string go_string_slice(const std::vector<std::string>& v) {
  if (v.empty()) return "[]string(nil)";
  std::string out = "[]string{";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + go_quote(v[i]);
  return out + "}";
}

std::string go_string_slice(const json::array* v) {
  std::vector<std::string> strings;
  if (v)
    for (const json::value& e : *v) strings.push_back(e.is_string() ? std::string(e.get_string()) : json::marshal(e));
  return go_string_slice(strings);
}

std::string go_string_map(const json::object* m) {
  if (!m) return "map[string]string(nil)";
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& [k, v] : *m) entries.emplace_back(std::string(k), v.is_string() ? std::string(v.get_string()) : json::marshal(v));
  std::sort(entries.begin(), entries.end());  // fmt prints maps with sorted keys
  std::string out = "map[string]string{";
  for (std::size_t i = 0; i < entries.size(); ++i)
    out += (i ? ", " : "") + go_quote(entries[i].first) + ":" + go_quote(entries[i].second);
  return out + "}";
}

std::string go_label_selector(const json::object* selector) {
  if (!selector) return "null";
  const json::object* labels = json::find_object(*selector, "matchLabels");
  const json::array* expressions = json::find_array(*selector, "matchExpressions");
  std::string out = "v1.LabelSelector{MatchLabels:" + go_string_map(labels) + ", MatchExpressions:";
  if (!expressions || expressions->empty()) {
    out += "[]v1.LabelSelectorRequirement(nil)";
  } else {
    out += "[]v1.LabelSelectorRequirement{";
    for (std::size_t i = 0; i < expressions->size(); ++i) {
      const json::value& e = (*expressions)[i];
      const json::object empty;
      const json::object& o = e.is_object() ? e.get_object() : empty;
      out += (i ? ", " : "") + std::string("v1.LabelSelectorRequirement{Key:") + go_quote(json::get_string(o, "key")) +
             ", Operator:" + go_quote(json::get_string(o, "operator")) + ", Values:" +
             go_string_slice(json::find_array(o, "values")) + "}";
    }
    out += "}";
  }
  return out + "}";
}

Cause invalid_cause(std::string field, std::string_view printed_value, std::string_view detail) {
  std::string message = "Invalid value: " + std::string(printed_value);
  if (!detail.empty()) message += ": " + std::string(detail);
  return {"FieldValueInvalid", std::move(message), std::move(field)};
}

Cause required_cause(std::string field, std::string_view detail) {
  std::string message = "Required value";
  if (!detail.empty()) message += ": " + std::string(detail);
  return {"FieldValueRequired", std::move(message), std::move(field)};
}

Cause forbidden_cause(std::string field, std::string_view detail) {
  return {"FieldValueForbidden", "Forbidden: " + std::string(detail), std::move(field)};
}

Cause not_supported_cause(std::string field, std::string_view value, const std::vector<std::string>& supported) {
  std::string message = "Unsupported value: " + go_quote(value);
  for (std::size_t i = 0; i < supported.size(); ++i) message += (i ? ", " : ": supported values: ") + go_quote(supported[i]);
  return {"FieldValueNotSupported", std::move(message), std::move(field)};
}

Cause duplicate_cause(std::string field, std::string_view value) {
  return {"FieldValueDuplicate", "Duplicate value: " + go_quote(value), std::move(field)};
}

}  // namespace vbackup::kubetest
