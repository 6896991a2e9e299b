// spec §7.3: requirements, their matching and canonical strings, and the Selector that ANDs them.
#include "parse.hpp"

#include "core/encoding.hpp"
#include "vbackup/error.hpp"
#include "labels/validation.hpp"

#include <algorithm>
#include <limits>

namespace vbackup::labels {

namespace detail {


Error selector_error(std::string_view whole, std::size_t position, std::string_view detail) {
  return invalid_input("selector " + go_quote(whole) + ": position " + std::to_string(position) + ": " +
                       std::string(detail));
}

std::optional<std::int64_t> parse_int64(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  // Accumulate as a negative number so that INT64_MIN fits.
  constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
  std::int64_t acc = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    int digit = c - '0';
    if (acc < (min + digit) / 10) return std::nullopt;
    acc = acc * 10 - digit;
  }
  if (!negative) {
    if (acc == min) return std::nullopt;
    return -acc;
  }
  return acc;
}

std::optional<std::string> requirement_error(std::string_view key, Operator op,
                                             const std::vector<std::string>& values) {
  // Same checks, order and wording as labels.NewRequirement.
  std::vector<std::string> errors;
  if (auto e = validation::qualified_name_error(key)) errors.push_back("key: " + *e);
  switch (op) {
    case Operator::in:
    case Operator::not_in:
      if (values.empty()) errors.emplace_back("values: for 'in', 'notin' operators, values set can't be empty");
      break;
    case Operator::equals:
    case Operator::double_equals:
    case Operator::not_equals:
      if (values.size() != 1) errors.emplace_back("values: exact-match compatibility requires one single value");
      break;
    case Operator::exists:
    case Operator::does_not_exist:
      if (!values.empty()) errors.emplace_back("values: values set must be empty for exists and does not exist");
      break;
    case Operator::greater_than:
    case Operator::less_than:
      if (values.size() != 1) errors.emplace_back("values: for 'Gt', 'Lt' operators, exactly one value is required");
      for (std::size_t i = 0; i < values.size(); ++i)
        if (!parse_int64(values[i]))
          errors.push_back("values[" + std::to_string(i) + "]: " + go_quote(values[i]) +
                           ": for 'Gt', 'Lt' operators, the value must be an integer");
      break;
    default:
      errors.emplace_back(
          "operator: Unsupported value: supported values: \"in\", \"notin\", \"=\", \"==\", \"!=\", "
          "\"gt\", \"lt\", \"exists\", \"!\"");
  }
  for (std::size_t i = 0; i < values.size(); ++i)
    if (auto e = validation::label_value_error(values[i]))
      errors.push_back("values[" + std::to_string(i) + "]: " + go_quote(values[i]) + ": " + *e);
  if (errors.empty()) return std::nullopt;
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    out += e;
  }
  return out;
}

}  // namespace detail

std::string_view to_string(Operator op) noexcept {
  switch (op) {
    case Operator::equals: return "=";
    case Operator::double_equals: return "==";
    case Operator::not_equals: return "!=";
    case Operator::in: return "in";
    case Operator::not_in: return "notin";
    case Operator::exists: return "exists";
    case Operator::does_not_exist: return "!";
    case Operator::greater_than: return "gt";
    case Operator::less_than: return "lt";
  }
  return "";
}

Requirement Requirement::make(std::string key, Operator op, std::vector<std::string> values) {
  if (auto e = detail::requirement_error(key, op, values))
    throw invalid_input("label requirement " + go_quote(key) + ": " + *e);
  // Upstream keeps the slice as given and sorts only when printing; matching treats it as a set.
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return Requirement{std::move(key), op, std::move(values)};
}

bool Requirement::matches(const LabelMap& labels) const {
  auto it = labels.find(key);
  const bool has = it != labels.end();
  auto has_value = [&] { return std::find(values.begin(), values.end(), it->second) != values.end(); };
  switch (op) {
    case Operator::in:
    case Operator::equals:
    case Operator::double_equals:
      return has && has_value();
    case Operator::not_in:
    case Operator::not_equals:
      return !has || !has_value();
    case Operator::exists:
      return has;
    case Operator::does_not_exist:
      return !has;
    case Operator::greater_than:
    case Operator::less_than: {
      // The label must parse as int64 too; a non-integer label never matches (spec §7.3).
      if (!has || values.size() != 1) return false;
      auto label = detail::parse_int64(it->second);
      auto bound = detail::parse_int64(values.front());
      if (!label || !bound) return false;
      return op == Operator::greater_than ? *label > *bound : *label < *bound;
    }
  }
  return false;
}

std::string Requirement::to_string() const {
  std::string out;
  if (op == Operator::does_not_exist) out += '!';
  out += key;
  switch (op) {
    case Operator::equals: out += '='; break;
    case Operator::double_equals: out += "=="; break;
    case Operator::not_equals: out += "!="; break;
    case Operator::in: out += " in "; break;
    case Operator::not_in: out += " notin "; break;
    case Operator::greater_than: out += '>'; break;
    case Operator::less_than: out += '<'; break;
    case Operator::exists:
    case Operator::does_not_exist: return out;
  }
  const bool set = op == Operator::in || op == Operator::not_in;
  if (set) out += '(';
  std::vector<std::string> sorted = values;  // a hand-built Requirement may not be sorted
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i) out += ',';
    out += sorted[i];
  }
  if (set) out += ')';
  return out;
}

Selector::Selector() = default;

Selector Selector::nothing() {
  Selector s;
  s.nothing_ = true;
  return s;
}

Selector Selector::parse(std::string_view text) {
  std::vector<Requirement> requirements;
  for (auto& parsed : detail::parse_requirements(text, 0, text))
    requirements.push_back(std::move(parsed.requirement));
  Selector s;
  s.requirements_ = std::move(requirements);  // already sorted by key
  return s;
}

Selector Selector::add(std::vector<Requirement> more) const {
  if (nothing_) return *this;
  Selector s = *this;
  for (auto& r : more) s.requirements_.push_back(std::move(r));
  // Go's sort.Sort is stable for up to 12 elements (insertion sort); beyond that equal keys may
  // come out in a different order than here, which changes String() but never matching.
  std::stable_sort(s.requirements_.begin(), s.requirements_.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
  return s;
}

bool Selector::matches(const LabelMap& labels) const {
  if (nothing_) return false;
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const Requirement& r) { return r.matches(labels); });
}

bool Selector::matches(const json::object* labels) const {
  LabelMap map;
  if (labels) {
    for (const auto& kv : *labels) {
      if (!kv.value().is_string()) {
        map.clear();  // NestedStringMap fails, GetLabels() returns nil
        break;
      }
      const auto& v = kv.value().get_string();
      map.emplace(std::string(kv.key()), std::string(v.data(), v.size()));
    }
  }
  return matches(map);
}

bool Selector::empty() const { return !nothing_ && requirements_.empty(); }

bool Selector::is_nothing() const { return nothing_; }

std::string Selector::to_string() const {
  std::string out;
  for (std::size_t i = 0; i < requirements_.size(); ++i) {
    if (i) out += ',';
    out += requirements_[i].to_string();
  }
  return out;
}

const std::vector<Requirement>& Selector::requirements() const { return requirements_; }

}  // namespace vbackup::labels
