// spec §7.3: metav1.LabelSelector (the JSON form Velero stores) to and from selectors, and the velero
// CLI's --selector / --or-selector parsing.
#include "parse.hpp"

#include "core/encoding.hpp"
#include "vbackup/error.hpp"

namespace vbackup::labels {

namespace {

// A LabelSelector as Go would decode it: null fields and null strings are their zero values.
struct Expression {
  std::string key;
  std::string op;
  std::vector<std::string> values;
};
struct Decoded {
  std::vector<std::pair<std::string, std::string>> match_labels;
  std::vector<Expression> match_expressions;
};

[[noreturn]] void shape_error(const std::string& where, const char* expected) {
  throw invalid_input("label selector: " + where + ": expected " + expected);
}

std::string decode_string(const json::value& v, const std::string& where) {
  if (v.is_null()) return {};
  if (!v.is_string()) shape_error(where, "string");
  const auto& s = v.get_string();
  return std::string(s.data(), s.size());
}

// nullopt for a JSON null (a nil *LabelSelector). Throws for anything Go could not decode.
std::optional<Decoded> decode(const json::value& selector) {
  if (selector.is_null()) return std::nullopt;
  if (!selector.is_object()) shape_error("value", "object or null");
  const json::object& o = selector.get_object();
  Decoded d;
  if (auto it = o.find("matchLabels"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_object()) shape_error("matchLabels", "object");
    for (const auto& kv : it->value().get_object()) {
      std::string key(kv.key());
      d.match_labels.emplace_back(key, decode_string(kv.value(), "matchLabels[" + go_quote(key) + "]"));
    }
  }
  if (auto it = o.find("matchExpressions"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_array()) shape_error("matchExpressions", "array");
    std::size_t i = 0;
    for (const auto& e : it->value().get_array()) {
      const std::string where = "matchExpressions[" + std::to_string(i++) + "]";
      Expression x;
      if (!e.is_null()) {
        if (!e.is_object()) shape_error(where, "object");
        const json::object& eo = e.get_object();
        if (auto f = eo.find("key"); f != eo.end()) x.key = decode_string(f->value(), where + ".key");
        if (auto f = eo.find("operator"); f != eo.end()) x.op = decode_string(f->value(), where + ".operator");
        if (auto f = eo.find("values"); f != eo.end() && !f->value().is_null()) {
          if (!f->value().is_array()) shape_error(where + ".values", "array");
          std::size_t j = 0;
          for (const auto& v : f->value().get_array())
            x.values.push_back(decode_string(v, where + ".values[" + std::to_string(j++) + "]"));
        }
      }
      d.match_expressions.push_back(std::move(x));
    }
  }
  return d;
}

Requirement requirement_at(const std::string& where, std::string key, Operator op, std::vector<std::string> values) {
  if (auto e = detail::requirement_error(key, op, values)) throw invalid_input("label selector: " + where + ": " + *e);
  return Requirement::make(std::move(key), op, std::move(values));
}

// LabelSelectorAsSelector on a decoded, non-nil selector.
Selector as_selector(const Decoded& d) {
  if (d.match_labels.empty() && d.match_expressions.empty()) return Selector();
  std::vector<Requirement> requirements;
  for (const auto& [key, value] : d.match_labels)
    requirements.push_back(requirement_at("matchLabels[" + go_quote(key) + "]", key, Operator::equals, {value}));
  for (std::size_t i = 0; i < d.match_expressions.size(); ++i) {
    const Expression& x = d.match_expressions[i];
    const std::string where = "matchExpressions[" + std::to_string(i) + "]";
    Operator op;
    if (x.op == "In") op = Operator::in;
    else if (x.op == "NotIn") op = Operator::not_in;
    else if (x.op == "Exists") op = Operator::exists;
    else if (x.op == "DoesNotExist") op = Operator::does_not_exist;
    else throw invalid_input("label selector: " + where + ".operator: " + go_quote(x.op) +
                             " is not a valid pod selector operator");
    requirements.push_back(requirement_at(where, x.key, op, x.values));
  }
  return Selector().add(std::move(requirements));
}

json::object to_label_selector(std::string_view whole, std::size_t offset, std::string_view part) {
  json::object match_labels;
  json::array match_expressions;
  for (auto& parsed : detail::parse_requirements(whole, offset, part)) {
    Requirement& r = parsed.requirement;
    const char* op = nullptr;
    switch (r.op) {
      case Operator::equals:
      case Operator::double_equals:
        match_labels[r.key] = r.values.front();  // a later "k=…" overwrites an earlier one
        continue;
      case Operator::in: op = "In"; break;
      case Operator::not_in: op = "NotIn"; break;
      case Operator::exists: op = "Exists"; break;
      case Operator::does_not_exist: op = "DoesNotExist"; break;
      case Operator::greater_than:
      case Operator::less_than:
        throw detail::selector_error(whole, parsed.operator_position,
                                     go_quote(to_string(r.op)) + " isn't supported in label selectors");
      default:  // "!=": valid for labels.Parse, but LabelSelector has no such operator
        throw detail::selector_error(whole, parsed.operator_position,
                                     go_quote(to_string(r.op)) + " is not a valid label selector operator");
    }
    json::object expression;
    expression["key"] = r.key;
    expression["operator"] = op;
    if (!r.values.empty()) {  // `values,omitempty`
      json::array values;
      for (auto& v : r.values) values.emplace_back(v);
      expression["values"] = std::move(values);
    }
    match_expressions.emplace_back(std::move(expression));
  }
  json::object out;  // both fields are omitempty
  if (!match_labels.empty()) out["matchLabels"] = std::move(match_labels);
  if (!match_expressions.empty()) out["matchExpressions"] = std::move(match_expressions);
  return out;
}

}  // namespace

Selector from_label_selector(const json::value& label_selector) {
  auto decoded = decode(label_selector);
  return decoded ? as_selector(*decoded) : Selector::nothing();
}

json::object parse_to_label_selector(std::string_view text) { return to_label_selector(text, 0, text); }

std::string format_label_selector(const json::value& label_selector) {
  auto decoded = decode(label_selector);
  std::string out;
  if (decoded) {
    try {
      out = as_selector(*decoded).to_string();
    } catch (const Error&) {
      return "<error>";
    }
  }
  return out.empty() ? "<none>" : out;  // nil → Nothing() prints "" as well
}

std::vector<json::object> parse_or_selectors(std::string_view text) {
  static constexpr std::string_view separator = " or ";
  std::vector<json::object> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = text.find(separator, start);
    const std::size_t end = at == std::string_view::npos ? text.size() : at;
    out.push_back(to_label_selector(text, start, text.substr(start, end - start)));
    if (at == std::string_view::npos) return out;
    start = at + separator.size();
  }
}

}  // namespace vbackup::labels
