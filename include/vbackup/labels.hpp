// Kubernetes label selectors (k8s.io/apimachinery/pkg/labels and the metav1.LabelSelector helpers),
// spec §7. Velero passes selectors to list calls as strings and evaluates restore-side selectors on
// archived objects; both go through this header.
//
// Errors: bad input throws vbackup::Error(ErrorCode::invalid) whose message names the input and, for
// selector text, the 1-based byte position of the offending token, e.g.
//   selector "x in (a": position 8: found end of input, expected ',' or ')'
#pragma once

#include "vbackup/json.hpp"

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::labels {

using LabelMap = std::map<std::string, std::string, std::less<>>;

// selection.Operator. The comments give the upstream operator string (see to_string below).
enum class Operator {
  equals,          // "="
  double_equals,   // "=="
  not_equals,      // "!="
  in,              // "in"
  not_in,          // "notin"
  exists,          // "exists"
  does_not_exist,  // "!"
  greater_than,    // "gt"
  less_than,       // "lt"
};

// The selection.Operator string ("=", "==", "!=", "in", "notin", "exists", "!", "gt", "lt").
std::string_view to_string(Operator op) noexcept;

struct Requirement {
  std::string key;
  Operator op = Operator::exists;
  std::vector<std::string> values;  // sorted, unique

  // labels.NewRequirement: the key must be a qualified name; in/notin need ≥1 value; =, ==, != need
  // exactly one; exists/! need none; gt/lt need exactly one base-10 int64; every value must be a
  // valid label value. The count is checked before duplicates collapse (so {"a","a"} is not one value
  // for "="). Throws Error(invalid) naming the key and every violated rule.
  static Requirement make(std::string key, Operator op, std::vector<std::string> values);

  bool matches(const LabelMap& labels) const;
  // "k", "!k", "k=v", "k==v", "k!=v", "k>n", "k<n", "k in (a,b)", "k notin (a,b)"; an empty-string
  // value prints as nothing, so {""} prints as "()".
  std::string to_string() const;

  friend bool operator==(const Requirement&, const Requirement&) = default;
};

class Selector {
 public:
  Selector();  // labels.Everything(): no requirements, matches every label set

  // labels.Parse: the grammar of spec §7.1–7.2, validated as §7.4, requirements stably sorted by key.
  // As in Go, a NUL byte at the start of a token ends the input and one right after a token is skipped.
  static Selector parse(std::string_view text);
  static Selector nothing();  // labels.Nothing(): what a nil LabelSelector converts to

  // Requirements are ANDed; an empty selector matches everything, `nothing` matches nothing.
  bool matches(const LabelMap& labels) const;
  // `labels` is an object's metadata.labels (nullptr = no labels). As unstructured GetLabels() does,
  // a map holding any non-string value counts as no labels at all.
  bool matches(const json::object* labels) const;

  // Selector.Add: a copy with `more` appended and all requirements stably sorted by key; nothing()
  // stays nothing.
  Selector add(std::vector<Requirement> more) const;

  bool empty() const;  // no requirements and not `nothing` (Selector.Empty())
  bool is_nothing() const;
  std::string to_string() const;  // Selector.String(): requirements joined by ","; "" for nothing
  const std::vector<Requirement>& requirements() const;

  friend bool operator==(const Selector&, const Selector&) = default;

 private:
  std::vector<Requirement> requirements_;
  bool nothing_ = false;
};

// metav1.LabelSelectorAsSelector on a LabelSelector in JSON form
// ({"matchLabels":{k:v},"matchExpressions":[{"key":k,"operator":"In","values":[…]}]}).
// null → nothing(); no matchLabels and no matchExpressions → everything; matchLabels become "=";
// In/NotIn/Exists/DoesNotExist map to in/notin/exists/!; any other operator, an invalid key or value,
// or a value that is not of the LabelSelector shape throws Error(invalid).
Selector from_label_selector(const json::value& label_selector);

// metav1.ParseToLabelSelector (the CLI --selector): "="/"==" → matchLabels (a later duplicate key
// wins), in/notin/exists/! → matchExpressions in key order with sorted values. Throws Error(invalid)
// for a parse error and, like upstream, for "!=", ">" and "<". The result is what Go marshals:
// empty matchLabels / matchExpressions / values are omitted, so "" gives {}.
json::object parse_to_label_selector(std::string_view text);

// metav1.FormatLabelSelector: the canonical string, "<none>" when it would be empty (null and {}
// included), "<error>" when LabelSelectorAsSelector rejects the selector. Throws Error(invalid) only
// when the JSON does not have the LabelSelector shape at all (Go would fail decoding it earlier).
std::string format_label_selector(const json::value& label_selector);

// The velero CLI --or-selector: the text split on every literal " or " (strings.Split, so "" is one
// empty part) and each part parsed with parse_to_label_selector. Error positions count from the start
// of the whole text.
std::vector<json::object> parse_or_selectors(std::string_view text);

}  // namespace vbackup::labels
