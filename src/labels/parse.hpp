// Internal to src/labels: the selector parser shared by Selector::parse and the metav1 helpers, which
// need each requirement's position to point errors at the right token.
#pragma once

#include "vbackup/error.hpp"
#include "vbackup/labels.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::labels::detail {

struct ParsedRequirement {
  Requirement requirement;
  std::size_t key_position;       // 1-based byte position in the whole text
  std::size_t operator_position;  // of the operator token; of the key for exists, of "!" for !k
};

// labels.ParseToRequirements on `part`, which starts at byte `offset` of `whole` (the text errors
// quote). The result is stably sorted by key.
std::vector<ParsedRequirement> parse_requirements(std::string_view whole, std::size_t offset,
                                                  std::string_view part);

// `selector "<whole>": position <position>: <detail>`, with the input quoted like Go's %q.
Error selector_error(std::string_view whole, std::size_t position, std::string_view detail);

// "…" with control bytes escaped, for messages.

// strconv.ParseInt(s, 10, 64): optional sign, decimal digits, in range.
std::optional<std::int64_t> parse_int64(std::string_view s);

// The rules of labels.NewRequirement, checked on values as given (before duplicates collapse);
// nullopt when valid, else every violation joined by "; ".
std::optional<std::string> requirement_error(std::string_view key, Operator op,
                                             const std::vector<std::string>& values);

}  // namespace vbackup::labels::detail
