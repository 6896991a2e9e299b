// robfig/cron v3 (parser.go, spec.go, constantdelay.go) as Velero's schedule controller uses it:
// cron.ParseStandard and Schedule.Next. Go's time arithmetic that Next relies on (time.Date's
// normalisation and its choice of offset in DST gaps and overlaps, AddDate, Truncate) is modelled
// over the system tz database through Howard Hinnant's date/tz.h, so that DST behaves as in Go.
#include "schedule/cron_internal.hpp"

#include "core/encoding.hpp"
#include "vbackup/error.hpp"

#include <date/tz.h>

#include <charconv>
#include <climits>
#include <cstdio>

namespace vbackup::schedule {

namespace {

using std::chrono::seconds;
using Sec = std::chrono::sys_seconds;

// A parse failure carrying robfig's message; parse_cron adds Velero's "invalid schedule: ".
Error fail(std::string message) { return invalid_input(std::move(message)); }

// strconv.Atoi: an optional sign and decimal digits, nothing else; errors as Go words them.
long long atoi_go(std::string_view s) {
  auto syntax = [&] { return fail("strconv.Atoi: parsing " + go_quote(s) + ": invalid syntax"); };
  std::string_view d = s;
  bool neg = false;
  if (!d.empty() && (d[0] == '+' || d[0] == '-')) {
    neg = d[0] == '-';
    d.remove_prefix(1);
  }
  if (d.empty()) throw syntax();
  unsigned long long v = 0;
  bool overflow = false;
  for (char c : d) {
    if (c < '0' || c > '9') throw syntax();
    if (v > (ULLONG_MAX - 9) / 10) overflow = true;
    else v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (overflow || v > static_cast<unsigned long long>(LLONG_MAX) + (neg ? 1 : 0))
    throw fail("strconv.Atoi: parsing " + go_quote(s) + ": value out of range");
  return neg ? static_cast<long long>(0 - v) : static_cast<long long>(v);
}

// mustParseInt
unsigned long long must_parse_int(std::string_view expr) {
  long long num;
  try {
    num = atoi_go(expr);
  } catch (const Error& e) {
    throw fail("failed to parse int from " + std::string(expr) + ": " + e.what());
  }
  if (num < 0) throw fail("negative number (" + std::to_string(num) + ") not allowed: " + std::string(expr));
  return static_cast<unsigned long long>(num);  // Go's uint
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// parseIntOrName
unsigned long long parse_int_or_name(std::string_view expr, const detail::Bounds& r) {
  static constexpr std::string_view months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                "jul", "aug", "sep", "oct", "nov", "dec"};
  static constexpr std::string_view days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  std::string l = lower(expr);
  if (r.month_names)
    for (unsigned i = 0; i < 12; ++i)
      if (l == months[i]) return i + 1;
  if (r.dow_names)
    for (unsigned i = 0; i < 7; ++i)
      if (l == days[i]) return i;
  return must_parse_int(expr);
}

std::vector<std::string_view> split(std::string_view s, char sep) {  // strings.Split
  std::vector<std::string_view> out;
  for (;;) {
    auto p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

// unicode.IsSpace over UTF-8: the length of the space at s[i], 0 if none.
std::size_t space_at(std::string_view s, std::size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  auto at = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  if (c == 0xc2 && (at(1) == 0x85 || at(1) == 0xa0)) return 2;
  if (c == 0xe1 && at(1) == 0x9a && at(2) == 0x80) return 3;  // U+1680
  if (c == 0xe2 && at(1) == 0x80 && ((at(2) >= 0x80 && at(2) <= 0x8a) || at(2) == 0xa8 || at(2) == 0xa9 || at(2) == 0xaf))
    return 3;                                                     // U+2000–200A, 2028, 2029, 202F
  if (c == 0xe2 && at(1) == 0x81 && at(2) == 0x9f) return 3;    // U+205F
  if (c == 0xe3 && at(1) == 0x80 && at(2) == 0x80) return 3;    // U+3000
  return 0;
}

std::vector<std::string_view> fields(std::string_view s) {  // strings.Fields
  std::vector<std::string_view> out;
  std::size_t i = 0, start = std::string_view::npos;
  while (i < s.size()) {
    if (std::size_t n = space_at(s, i)) {
      if (start != std::string_view::npos) out.push_back(s.substr(start, i - start));
      start = std::string_view::npos;
      i += n;
    } else {
      if (start == std::string_view::npos) start = i;
      ++i;
    }
  }
  if (start != std::string_view::npos) out.push_back(s.substr(start));
  return out;
}

std::string go_slice(const std::vector<std::string_view>& v) {  // fmt %s of a []string
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + std::string(v[i]);
  return out + "]";
}

std::string_view trim_space(std::string_view s) {  // strings.TrimSpace
  while (!s.empty() && space_at(s, 0)) s.remove_prefix(space_at(s, 0));
  for (;;) {
    bool cut = false;
    for (std::size_t n = 1; n <= 3 && n <= s.size(); ++n)
      if (space_at(s, s.size() - n) == n) {
        s.remove_suffix(n);
        cut = true;
        break;
      }
    if (!cut) return s;
  }
}

// time.LoadLocation, as far as a schedule's zone goes: "" and "UTC" are UTC, "Local" is the
// server's zone (kept as ""), anything else must be in the tz database.
std::string load_location(std::string_view name) {
  if (name.empty() || name == "UTC") return "UTC";
  if (name == "Local") return "";
  if (name.find("..") != std::string_view::npos || name[0] == '/' || name[0] == '\\')
    throw fail("time: invalid location name");
  try {
    (void)date::locate_zone(name);
  } catch (const std::exception&) {
    throw fail("unknown time zone " + std::string(name));
  }
  return std::string(name);
}

CronSchedule descriptor(std::string_view d, std::string location) {
  using detail::all_bits;
  CronSchedule s;
  s.location = std::move(location);
  s.second = 1;  // 1 << seconds.min
  s.minute = 1;
  if (d == "@yearly" || d == "@annually") {
    s.hour = 1, s.dom = 1 << 1, s.month = 1 << 1, s.dow = all_bits(detail::dow_bounds);
  } else if (d == "@monthly") {
    s.hour = 1, s.dom = 1 << 1, s.month = all_bits(detail::months_bounds), s.dow = all_bits(detail::dow_bounds);
  } else if (d == "@weekly") {
    s.hour = 1, s.dom = all_bits(detail::dom_bounds), s.month = all_bits(detail::months_bounds), s.dow = 1;
  } else if (d == "@daily" || d == "@midnight") {
    s.hour = 1, s.dom = all_bits(detail::dom_bounds), s.month = all_bits(detail::months_bounds),
    s.dow = all_bits(detail::dow_bounds);
  } else if (d == "@hourly") {
    s.hour = all_bits(detail::hours_bounds), s.dom = all_bits(detail::dom_bounds),
    s.month = all_bits(detail::months_bounds), s.dow = all_bits(detail::dow_bounds);
  } else if (d.starts_with("@every ")) {
    std::chrono::nanoseconds dur;
    try {
      dur = parse_duration(d.substr(7));
    } catch (const Error& e) {
      throw fail("failed to parse duration " + std::string(d) + ": " + e.what());
    }
    // Every(): at least a second, rounded down to whole seconds. (The zone is ignored, as in robfig.)
    if (dur < std::chrono::seconds(1)) dur = std::chrono::seconds(1);
    CronSchedule every;
    every.kind = CronSchedule::Kind::every;
    every.delay = std::chrono::duration_cast<seconds>(dur);
    return every;
  } else {
    throw fail("unrecognized descriptor: " + std::string(d));
  }
  return s;
}

}  // namespace

namespace detail {

std::uint64_t get_bits(unsigned min, unsigned max, unsigned step) {
  std::uint64_t bits = 0;
  for (unsigned i = min; i <= max; i += step) bits |= std::uint64_t{1} << i;
  return bits;
}

std::uint64_t all_bits(const Bounds& r) { return get_bits(r.min, r.max, 1) | star_bit; }

std::uint64_t get_range(std::string_view expr, const Bounds& r) {
  auto range_and_step = split(expr, '/');
  auto low_and_high = split(range_and_step[0], '-');
  bool single_digit = low_and_high.size() == 1;
  unsigned long long start, end, step;
  std::uint64_t extra = 0;
  if (low_and_high[0] == "*" || low_and_high[0] == "?") {
    start = r.min, end = r.max, extra = star_bit;  // "*-5" is "*": robfig ignores the rest
  } else {
    start = parse_int_or_name(low_and_high[0], r);
    if (low_and_high.size() == 1) end = start;
    else if (low_and_high.size() == 2) end = parse_int_or_name(low_and_high[1], r);
    else throw fail("too many hyphens: " + std::string(expr));
  }
  if (range_and_step.size() == 1) {
    step = 1;
  } else if (range_and_step.size() == 2) {
    step = must_parse_int(range_and_step[1]);
    if (single_digit) end = r.max;  // "N/step" means "N-max/step"
    if (step > 1) extra = 0;
  } else {
    throw fail("too many slashes: " + std::string(expr));
  }
  auto e = std::string(expr);
  if (start < r.min)
    throw fail("beginning of range (" + std::to_string(start) + ") below minimum (" + std::to_string(r.min) + "): " + e);
  if (end > r.max)
    throw fail("end of range (" + std::to_string(end) + ") above maximum (" + std::to_string(r.max) + "): " + e);
  if (start > end)
    throw fail("beginning of range (" + std::to_string(start) + ") beyond end of range (" + std::to_string(end) +
               "): " + e);
  if (step == 0) throw fail("step of range should be a positive number: " + e);
  return get_bits(unsigned(start), unsigned(end), step > 64 ? 64u : unsigned(step)) | extra;
}

std::uint64_t get_field(std::string_view field, const Bounds& r) {
  std::uint64_t bits = 0;
  for (auto piece : split(field, ','))  // strings.FieldsFunc: empty pieces are dropped
    if (!piece.empty()) bits |= get_range(piece, r);
  return bits;
}

CronSchedule parse(std::string_view spec, bool seconds_field) {
  if (spec.empty()) throw fail("empty spec string");
  std::string location = "";  // time.Local
  if (spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=")) {
    auto i = spec.find(' ');
    // Go slices spec[eq+1:i] with i == -1 and panics; Velero recovers and records the panic.
    if (i == std::string_view::npos) throw fail("runtime error: slice bounds out of range [:-1]");
    auto eq = spec.find('=');
    auto name = spec.substr(eq + 1, i - eq - 1);
    try {
      location = load_location(name);
    } catch (const Error& e) {
      throw fail("provided bad location " + std::string(name) + ": " + e.what());
    }
    spec = trim_space(spec.substr(i));
  }
  if (spec.starts_with("@")) return descriptor(spec, location);

  auto f = fields(spec);
  std::size_t min = 5, max = seconds_field ? 6 : 5;
  if (f.size() < min || f.size() > max) {
    if (min == max)
      throw fail("expected exactly " + std::to_string(min) + " fields, found " + std::to_string(f.size()) + ": " +
                 go_slice(f));
    throw fail("expected " + std::to_string(min) + " to " + std::to_string(max) + " fields, found " +
               std::to_string(f.size()) + ": " + go_slice(f));
  }
  std::vector<std::string_view> six;
  if (seconds_field) {
    six = f;
    if (six.size() == 5) six.push_back("*");  // DowOptional
  } else {
    six = {"0"};
    six.insert(six.end(), f.begin(), f.end());
  }
  CronSchedule s;
  s.location = std::move(location);
  s.second = get_field(six[0], seconds_bounds);
  s.minute = get_field(six[1], minutes_bounds);
  s.hour = get_field(six[2], hours_bounds);
  s.dom = get_field(six[3], dom_bounds);
  s.month = get_field(six[4], months_bounds);
  s.dow = get_field(six[5], dow_bounds);
  return s;
}

}  // namespace detail

CronSchedule parse_cron(std::string_view expression) {
  try {
    return detail::parse(expression, false);
  } catch (const Error& e) {
    throw invalid_input("invalid schedule: " + std::string(e.what()));
  }
}

std::vector<std::string> validate_cron(std::string_view expression) {
  if (expression.empty()) return {"Schedule must be a non-empty valid Cron expression"};
  try {
    (void)parse_cron(expression);
  } catch (const Error& e) {
    return {e.what()};
  }
  return {};
}

// ---- Next ----------------------------------------------------------------------------------

namespace {

// A Go time.Time at whole seconds: an instant and a zone (nullptr = UTC).
struct GoTime {
  Sec unix;
  const date::time_zone* loc;
};

struct Civil {
  int year;
  unsigned month, day, hour, minute, second, weekday;
};

seconds offset_at(const date::time_zone* loc, Sec t) { return loc ? loc->get_info(t).offset : seconds{0}; }

Civil civil(const GoTime& t) {
  auto local = t.unix + offset_at(t.loc, t.unix);
  auto day = std::chrono::floor<date::days>(local);
  date::year_month_day ymd{date::sys_days{day.time_since_epoch()}};
  auto s = (local - day).count();
  return {int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()), unsigned(s / 3600), unsigned(s / 60 % 60),
          unsigned(s % 60), date::weekday{date::sys_days{day.time_since_epoch()}}.c_encoding()};
}

// time.Date: fields out of range are normalised (month 13 is January of the next year, day 32
// the 1st of the next month…), and a wall time is given the offset Go picks: the zone in effect at
// the wall time read as UTC, unless the instant that gives falls outside that zone's period, then
// the zone in effect there. In a DST gap this moves the time by the gap; in an overlap it is the
// earlier instant, except when the first offset is 0 (Go then keeps the wall time as UTC).
GoTime go_date(long long year, long long month, long long day, long long hour, long long min, long long sec,
               const date::time_zone* loc) {
  long long m = month - 1;
  long long y = year + (m >= 0 ? m / 12 : -((11 - m) / 12));
  m -= (y - year) * 12;
  auto first = date::sys_days{date::year{int(y)} / date::month{unsigned(m + 1)} / date::day{1}};
  Sec unix = Sec{first.time_since_epoch()} + date::days{day - 1} + std::chrono::hours{hour} +
             std::chrono::minutes{min} + seconds{sec};
  if (loc) {
    auto info = loc->get_info(unix);
    if (info.offset != seconds{0}) {
      auto offset = info.offset;
      Sec utc = unix - offset;
      if (utc < info.begin || utc >= info.end) offset = loc->get_info(utc).offset;
      unix -= offset;
    }
  }
  return {unix, loc};
}

GoTime add_date(const GoTime& t, int years, int months, int days) {  // time.AddDate
  auto c = civil(t);
  return go_date(c.year + years, static_cast<long long>(c.month) + months, static_cast<long long>(c.day) + days,
                 c.hour, c.minute, c.second, t.loc);
}

const date::time_zone* zone(std::string_view name) {
  if (name.empty() || name == "UTC") return nullptr;
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    throw invalid_input("time zone " + std::string(name) + ": unknown time zone");
  }
}

bool day_matches(const CronSchedule& s, const Civil& c) {
  bool dom_match = (std::uint64_t{1} << c.day) & s.dom;
  bool dow_match = (std::uint64_t{1} << c.weekday) & s.dow;
  if ((s.dom & star_bit) || (s.dow & star_bit)) return dom_match && dow_match;
  return dom_match || dow_match;
}

bool has(std::uint64_t bits, unsigned v) { return (std::uint64_t{1} << v) & bits; }

}  // namespace

std::optional<Timestamp> CronSchedule::next(Timestamp after, std::string_view local_zone) const {
  if (kind == Kind::every) return after + delay;  // ConstantDelaySchedule.Next (whole seconds)

  // SpecSchedule.Next, step by step.
  GoTime t{after, zone(location.empty() ? local_zone : std::string_view(location))};
  t.unix += seconds{1};  // the upcoming second
  bool added = false;
  int year_limit = civil(t).year + 5;

wrap:
  if (civil(t).year > year_limit) return std::nullopt;

  while (!has(month, civil(t).month)) {
    if (!added) {
      added = true;
      auto c = civil(t);
      t = go_date(c.year, c.month, 1, 0, 0, 0, t.loc);
    }
    t = add_date(t, 0, 1, 0);
    if (civil(t).month == 1) goto wrap;
  }

  while (!day_matches(*this, civil(t))) {
    if (!added) {
      added = true;
      auto c = civil(t);
      t = go_date(c.year, c.month, c.day, 0, 0, 0, t.loc);
    }
    t = add_date(t, 0, 0, 1);
    // Midnight may not exist (DST at 00:00): robfig moves back to the day's start or forward.
    auto h = civil(t).hour;
    if (h != 0) t.unix += h > 12 ? std::chrono::hours{24 - h} : -std::chrono::hours{h};
    if (civil(t).day == 1) goto wrap;
  }

  while (!has(hour, civil(t).hour)) {
    if (!added) {
      added = true;
      auto c = civil(t);
      t = go_date(c.year, c.month, c.day, c.hour, 0, 0, t.loc);
    }
    t.unix += std::chrono::hours{1};
    if (civil(t).hour == 0) goto wrap;
  }

  while (!has(minute, civil(t).minute)) {
    if (!added) {
      added = true;
      t.unix = std::chrono::floor<std::chrono::minutes>(t.unix);  // Truncate works on the instant
    }
    t.unix += std::chrono::minutes{1};
    if (civil(t).minute == 0) goto wrap;
  }

  while (!has(second, civil(t).second)) {
    added = true;
    t.unix += seconds{1};
    if (civil(t).second == 0) goto wrap;
  }
  return t.unix;
}

}  // namespace vbackup::schedule
