// robfig/cron v3 internals the tests check against robfig's own vectors (parser_test.go,
// spec_test.go): the field parser with bounds, and the parser with a seconds field (robfig's
// tests use `NewParser(Second | Minute | Hour | Dom | Month | DowOptional | Descriptor)`).
#pragma once

#include "vbackup/schedule.hpp"

#include <cstdint>
#include <string_view>

namespace vbackup::schedule::detail {

struct Bounds {
  unsigned min, max;
  bool month_names = false, dow_names = false;
};
inline constexpr Bounds seconds_bounds{0, 59}, minutes_bounds{0, 59}, hours_bounds{0, 23}, dom_bounds{1, 31},
    months_bounds{1, 12, true, false}, dow_bounds{0, 6, false, true};

// getRange / getField / getBits / all; errors are Error(invalid) with robfig's text (no prefix).
std::uint64_t get_range(std::string_view expr, const Bounds& r);
std::uint64_t get_field(std::string_view field, const Bounds& r);
std::uint64_t get_bits(unsigned min, unsigned max, unsigned step);
std::uint64_t all_bits(const Bounds& r);

// Parser.Parse: standard (ParseStandard) or with robfig's test parser's leading seconds field
// (6 fields, the day of week optional). Errors carry robfig's message without Velero's prefix.
CronSchedule parse(std::string_view spec, bool seconds_field);

}  // namespace vbackup::schedule::detail
