// Helpers shared by the patch implementations: JSON text as Go's encoding/json.RawMessage keeps it
// (evanphx/json-patch compares scalars by their text), and Go's strconv.Atoi.
#pragma once

#include "vbackup/json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vbackup::patch::detail {

// One JSON value of already validated text, split one level down without decoding.
struct RawValue {
  enum class Kind { object, array, string, scalar } kind = Kind::scalar;
  std::string_view text;                                      // the value's own text, trimmed
  std::vector<std::pair<std::string, std::string_view>> members;  // object: decoded key, raw value
  std::vector<std::string_view> elements;                    // array
};

// Splits `text` (one valid JSON value, surrounding whitespace allowed). Object members keep their
// order; a duplicate key appears twice (callers take the last, as a Go map does).
RawValue split_raw(std::string_view text);

// json.Compact: `text` without the whitespace between tokens.
std::string compact(std::string_view text);

// strconv.Atoi on a 64-bit platform: [+-]?[0-9]+ within int64; nullopt on a syntax or range error.
std::optional<std::int64_t> go_atoi(std::string_view s);

// The last member named `key` of a split object, if any.
const std::string_view* find_member(const RawValue& v, std::string_view key);

}  // namespace vbackup::patch::detail
