// libFuzzer target for the cron parser (robfig/cron v3's ParseStandard as Velero's schedules use it).
// Invariants beyond "no crash": only vbackup::Error escapes; validate_cron agrees with parse_cron;
// an expression that parses has a next run strictly after the time given, or none within five
// years, and asking again from that run gives a later one.
#include "vbackup/error.hpp"
#include "vbackup/schedule.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace vbackup;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  schedule::CronSchedule cron;
  try {
    cron = schedule::parse_cron(text);
  } catch (const Error&) {
    check(!schedule::validate_cron(text).empty());
    return 0;
  }
  check(schedule::validate_cron(text).empty());
  // 2026-03-08 06:30:00 UTC: a US DST change day, where robfig's gap handling matters.
  const Timestamp after{std::chrono::seconds(1772951400)};
  try {
    auto next = cron.next(after);
    if (next) {
      check(*next > after);
      auto again = cron.next(*next);
      if (again) check(*again > *next);
    }
  } catch (const Error&) {
    // an unknown CRON_TZ zone is only found when the time is converted
  }
  return 0;
}
