// Go's regexp (RE2 syntax) for `resourceNameRegex`, on top of std::regex (ECMAScript). The pattern
// is translated so that what both accept means the same; what RE2 refuses is refused with Go's
// message, and the few RE2 constructs ECMAScript cannot express are refused as unsupported:
//   * kept: literals, ., classes incl. [[:alpha:]], \d \w \s \b (ASCII, as in RE2), anchors ^ $ \A \z,
//     groups (?:…) (?P<n>…) (?<n>…), alternation, * + ? {n} {n,} {n,m} and their lazy forms, \Q…\E,
//     leading flags (?i) (?s) (?m) and their combinations;
//   * RE2 errors: backreferences, lookaround, nested repetition (a**), repeat counts over 1000,
//     unknown escapes, unbalanced brackets;
//   * unsupported here: \p{…} Unicode classes, flags anywhere but at the start, non-ASCII bytes in a
//     class. Non-ASCII text elsewhere matches byte for byte (Kubernetes names are ASCII).
#pragma once

#include <regex>
#include <string>
#include <string_view>

namespace vbackup::restore::detail {

class GoRegexp {
 public:
  // Throws Error(invalid) "error parsing regexp: <reason>: `<fragment>`" (Go's wording) or
  // Error(unsupported) for a construct this translation does not carry.
  static GoRegexp compile(std::string_view pattern);
  // regexp.MatchString: true when the pattern matches anywhere in `text` (not anchored).
  bool match(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }
  const std::string& ecmascript() const { return translated_; }

 private:
  std::string pattern_, translated_;
  std::regex re_;
};

}  // namespace vbackup::restore::detail
