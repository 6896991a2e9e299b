// Cron expressions as Velero parses them (spec §4.4: robfig/cron v3 ParseStandard). The vectors are
// robfig/cron v3.0.1's own (parser_test.go, spec_test.go, constantdelay_test.go), restated as facts;
// times without a zone are UTC (robfig reads them in time.Local, the Velero pod's UTC). Where robfig
// uses its test parser with a seconds field, so do we (detail::parse(…, true)).
#include "schedule/cron_internal.hpp"
#include "vbackup/error.hpp"

#include <date/date.h>
#include <doctest/doctest.h>

#include <sstream>

using namespace vbackup;
using namespace vbackup::schedule;
using detail::all_bits;

namespace {

// "Mon Jul 9 14:45 2012", "Mon Jul 9 14:45:05 2012" (UTC) or RFC 3339 with a "-0500" offset. The
// weekday is skipped, as Go's time.Parse skips it (robfig's "Wed Jul 10 2012" was a Tuesday).
Timestamp T(const std::string& text) {
  for (const char* layout : {"%b %d %H:%M:%S %Y", "%b %d %H:%M %Y", "%Y-%m-%dT%H:%M:%S%z"}) {
    std::istringstream in(text[0] >= 'A' ? text.substr(4) : text);
    date::sys_seconds t;
    in >> date::parse(layout, t);
    if (!in.fail()) return t;
  }
  FAIL("bad test time " << text);
  return {};
}

std::string S(std::optional<Timestamp> t) { return t ? format_rfc3339(*t) : "zero"; }

std::string parse_error(std::string_view expr) {
  try {
    (void)parse_cron(expr);
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid);
    return e.what();
  }
  return "";
}

CronSchedule every5min(std::string loc) {
  CronSchedule s;
  s.second = 1, s.minute = 1 << 5, s.hour = all_bits(detail::hours_bounds), s.dom = all_bits(detail::dom_bounds);
  s.month = all_bits(detail::months_bounds), s.dow = all_bits(detail::dow_bounds), s.location = std::move(loc);
  return s;
}

void check_same(const CronSchedule& a, const CronSchedule& b) {
  CHECK(int(a.kind) == int(b.kind));
  CHECK(a.second == b.second);
  CHECK(a.minute == b.minute);
  CHECK(a.hour == b.hour);
  CHECK(a.dom == b.dom);
  CHECK(a.month == b.month);
  CHECK(a.dow == b.dow);
  CHECK(a.location == b.location);
  CHECK(a.delay == b.delay);
}

}  // namespace

TEST_CASE("robfig TestRange: ranges, steps and the star bit") {
  struct Case {
    const char* expr;
    unsigned min, max;
    std::uint64_t expected;
    const char* err;
  };
  const Case cases[] = {
      {"5", 0, 7, 1 << 5, ""}, {"0", 0, 7, 1 << 0, ""}, {"7", 0, 7, 1 << 7, ""},
      {"5-5", 0, 7, 1 << 5, ""}, {"5-6", 0, 7, 1 << 5 | 1 << 6, ""}, {"5-7", 0, 7, 1 << 5 | 1 << 6 | 1 << 7, ""},
      {"5-6/2", 0, 7, 1 << 5, ""}, {"5-7/2", 0, 7, 1 << 5 | 1 << 7, ""}, {"5-7/1", 0, 7, 1 << 5 | 1 << 6 | 1 << 7, ""},
      {"*", 1, 3, 1 << 1 | 1 << 2 | 1 << 3 | star_bit, ""}, {"*/2", 1, 3, 1 << 1 | 1 << 3, ""},
      {"5--5", 0, 0, 0, "too many hyphens: 5--5"},
      {"jan-x", 0, 0, 0, "failed to parse int from jan: strconv.Atoi: parsing \"jan\": invalid syntax"},
      {"2-x", 1, 5, 0, "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"},
      {"*/-12", 0, 0, 0, "negative number (-12) not allowed: -12"},
      {"*//2", 0, 0, 0, "too many slashes: *//2"},
      {"1", 3, 5, 0, "beginning of range (1) below minimum (3): 1"},
      {"6", 3, 5, 0, "end of range (6) above maximum (5): 6"},
      {"5-3", 3, 5, 0, "beginning of range (5) beyond end of range (3): 5-3"},
      {"*/0", 0, 0, 0, "step of range should be a positive number: */0"},
  };
  for (const auto& c : cases) {
    std::string expr = c.expr;
    CAPTURE(expr);
    if (*c.err) {
      CHECK_THROWS_WITH_AS(detail::get_range(c.expr, {c.min, c.max}), c.err, Error);
    } else {
      CHECK(detail::get_range(c.expr, {c.min, c.max}) == c.expected);
    }
  }
}

TEST_CASE("robfig TestField, TestAll, TestBits") {
  CHECK(detail::get_field("5", {1, 7}) == 1 << 5);
  CHECK(detail::get_field("5,6", {1, 7}) == (1 << 5 | 1 << 6));
  CHECK(detail::get_field("5,6,7", {1, 7}) == (1 << 5 | 1 << 6 | 1 << 7));
  CHECK(detail::get_field("1,5-7/2,3", {1, 7}) == (1 << 1 | 1 << 5 | 1 << 7 | 1 << 3));
  CHECK(detail::get_field("5,,6", {1, 7}) == (1 << 5 | 1 << 6));  // strings.FieldsFunc drops empty pieces

  CHECK(all_bits(detail::minutes_bounds) == (0xfffffffffffffffULL | star_bit));
  CHECK(all_bits(detail::hours_bounds) == (0xffffffULL | star_bit));
  CHECK(all_bits(detail::dom_bounds) == (0xfffffffeULL | star_bit));
  CHECK(all_bits(detail::months_bounds) == (0x1ffeULL | star_bit));
  CHECK(all_bits(detail::dow_bounds) == (0x7fULL | star_bit));

  CHECK(detail::get_bits(0, 0, 1) == 0x1);
  CHECK(detail::get_bits(1, 1, 1) == 0x2);
  CHECK(detail::get_bits(1, 5, 2) == 0x2a);
  CHECK(detail::get_bits(1, 4, 2) == 0xa);
}

TEST_CASE("robfig TestParseSchedule and TestStandardSpecSchedule: what an expression parses to") {
  check_same(parse_cron("5 * * * *"), every5min(""));
  check_same(parse_cron("CRON_TZ=UTC  5 * * * *"), every5min("UTC"));
  check_same(detail::parse("0 5 * * * *", true), every5min(""));
  check_same(detail::parse("CRON_TZ=UTC  0 5 * * * *", true), every5min("UTC"));
  check_same(detail::parse("CRON_TZ=Asia/Tokyo 0 5 * * * *", true), every5min("Asia/Tokyo"));
  CronSchedule every;
  every.kind = CronSchedule::Kind::every;
  every.delay = std::chrono::minutes(5);
  check_same(parse_cron("@every 5m"), every);

  CronSchedule midnight = every5min("");
  midnight.minute = 1, midnight.hour = 1;
  check_same(parse_cron("@midnight"), midnight);
  midnight.location = "UTC";
  check_same(parse_cron("TZ=UTC  @midnight"), midnight);
  midnight.location = "Asia/Tokyo";
  check_same(parse_cron("TZ=Asia/Tokyo @midnight"), midnight);

  CronSchedule annual = every5min("");
  annual.minute = 1, annual.hour = 1, annual.dom = 1 << 1, annual.month = 1 << 1;
  check_same(parse_cron("@yearly"), annual);
  check_same(parse_cron("@annually"), annual);

  CronSchedule star_second = every5min("");
  star_second.second = all_bits(detail::seconds_bounds);
  check_same(detail::parse("* 5 * * * *", true), star_second);
  // robfig TestOptionalSecondSchedule's DowOptional reading of five fields: seconds first.
  CronSchedule five = every5min("");
  five.second = 1 << 5;
  check_same(detail::parse("5 5 * * *", true), five);
}

TEST_CASE("spec §4.4 cron errors: Velero's validationErrors, robfig's words") {
  // TestStandardSpecSchedule / TestErrors / TestSlash0NoHang
  CHECK(parse_error("5 j * * *") == "invalid schedule: failed to parse int from j: strconv.Atoi: parsing \"j\": invalid syntax");
  CHECK(parse_error("* * * *") == "invalid schedule: expected exactly 5 fields, found 4: [* * * *]");
  CHECK(parse_error("xyz") == "invalid schedule: expected exactly 5 fields, found 1: [xyz]");
  CHECK(parse_error("60 0 * * *") == "invalid schedule: end of range (60) above maximum (59): 60");
  CHECK(parse_error("0 60 * * *") == "invalid schedule: end of range (60) above maximum (23): 60");
  CHECK(parse_error("0 0 * * XYZ") ==
        "invalid schedule: failed to parse int from XYZ: strconv.Atoi: parsing \"XYZ\": invalid syntax");
  CHECK(parse_error("TZ=America/New_York 15/0 * * * *") ==
        "invalid schedule: step of range should be a positive number: 15/0");
  // TestParseScheduleErrors (descriptors)
  CHECK(parse_error("@every Xm") == "invalid schedule: failed to parse duration @every Xm: time: invalid duration \"Xm\"");
  CHECK(parse_error("@unrecognized") == "invalid schedule: unrecognized descriptor: @unrecognized");
  CHECK_THROWS_WITH_AS(detail::parse("* * * *", true), "expected 5 to 6 fields, found 4: [* * * *]", Error);
}

TEST_CASE("spec §4.4 cron errors: zones, the empty expression, Go's panic Velero records") {
  CHECK(validate_cron("") == std::vector<std::string>{"Schedule must be a non-empty valid Cron expression"});
  CHECK(validate_cron("0 1 * * *").empty());
  CHECK(parse_error("TZ=Mars/Olympus 0 1 * * *") ==
        "invalid schedule: provided bad location Mars/Olympus: unknown time zone Mars/Olympus");
  CHECK(parse_error("CRON_TZ=../etc/passwd 0 1 * * *") ==
        "invalid schedule: provided bad location ../etc/passwd: time: invalid location name");
  // No space after the zone: robfig slices spec[eq+1:-1], Go panics, Velero recovers and records it.
  CHECK(parse_error("CRON_TZ=UTC") == "invalid schedule: runtime error: slice bounds out of range [:-1]");
  CHECK(parse_error("TZ=UTC ") == "invalid schedule: expected exactly 5 fields, found 0: []");
  CHECK(parse_error("@daily ") == "invalid schedule: unrecognized descriptor: @daily ");
  CHECK(parse_error(" @daily") == "invalid schedule: expected exactly 5 fields, found 1: [@daily]");
  CHECK(parse_error("1-2-3 * * * *") == "invalid schedule: too many hyphens: 1-2-3");
  CHECK(parse_error("0 0 * * 7") == "invalid schedule: end of range (7) above maximum (6): 7");
  CHECK(parse_error("0 0 0 * *") == "invalid schedule: beginning of range (0) below minimum (1): 0");
  CHECK(parse_error("99999999999 * * * *") == "invalid schedule: end of range (99999999999) above maximum (59): 99999999999");
  CHECK(parse_cron("TZ= 0 1 * * *").location == "UTC");  // LoadLocation("") is UTC
  CHECK(parse_cron("0 1 * JAN-mar Mon-FRI").month == (1 << 1 | 1 << 2 | 1 << 3));
  CHECK(parse_cron("*-5 * * * *").minute == all_bits(detail::minutes_bounds));  // robfig ignores "-5" after "*"
  CHECK(parse_cron("0\t1 * *\n*").hour == 1 << 1);                            // strings.Fields
}

TEST_CASE("robfig TestActivation: Next(t - 1s) == t, the day-of-month / day-of-week OR rule") {
  struct Case {
    const char *time, *spec;
    bool expected;
  };
  const Case cases[] = {
      {"Mon Jul 9 15:00 2012", "0/15 * * * *", true}, {"Mon Jul 9 15:45 2012", "0/15 * * * *", true},
      {"Mon Jul 9 15:40 2012", "0/15 * * * *", false}, {"Mon Jul 9 15:05 2012", "5/15 * * * *", true},
      {"Mon Jul 9 15:20 2012", "5/15 * * * *", true}, {"Mon Jul 9 15:50 2012", "5/15 * * * *", true},
      {"Sun Jul 15 15:00 2012", "0/15 * * Jul *", true}, {"Sun Jul 15 15:00 2012", "0/15 * * Jun *", false},
      {"Sun Jul 15 08:30 2012", "30 08 ? Jul Sun", true}, {"Sun Jul 15 08:30 2012", "30 08 15 Jul ?", true},
      {"Mon Jul 16 08:30 2012", "30 08 ? Jul Sun", false}, {"Mon Jul 16 08:30 2012", "30 08 15 Jul ?", false},
      {"Mon Jul 9 15:00 2012", "@hourly", true}, {"Mon Jul 9 15:04 2012", "@hourly", false},
      {"Mon Jul 9 15:00 2012", "@daily", false}, {"Mon Jul 9 00:00 2012", "@daily", true},
      {"Mon Jul 9 00:00 2012", "@weekly", false}, {"Sun Jul 8 00:00 2012", "@weekly", true},
      {"Sun Jul 8 01:00 2012", "@weekly", false}, {"Sun Jul 8 00:00 2012", "@monthly", false},
      {"Sun Jul 1 00:00 2012", "@monthly", true},
      // both day fields restricted: either matches
      {"Sun Jul 15 00:00 2012", "* * 1,15 * Sun", true}, {"Fri Jun 15 00:00 2012", "* * 1,15 * Sun", true},
      {"Wed Aug 1 00:00 2012", "* * 1,15 * Sun", true}, {"Sun Jul 15 00:00 2012", "* * */10 * Sun", true},
      // one of them a star: both must match
      {"Sun Jul 15 00:00 2012", "* * * * Mon", false}, {"Mon Jul 9 00:00 2012", "* * 1,15 * *", false},
      {"Sun Jul 15 00:00 2012", "* * 1,15 * *", true}, {"Sun Jul 15 00:00 2012", "* * */2 * Sun", true},
  };
  for (const auto& c : cases) {
    std::string spec = c.spec, time = c.time;
    CAPTURE(spec);
    CAPTURE(time);
    auto t = T(c.time);
    CHECK((parse_cron(c.spec).next(t - std::chrono::seconds(1)) == t) == c.expected);
  }
}

TEST_CASE("robfig TestNext: wraps, leap years, DST gaps and overlaps (America/New_York, Sao_Paulo)") {
  struct Case {
    const char *time, *spec, *expected;
    const char* local = "UTC";
  };
  const char* ny = "America/New_York";
  const Case cases[] = {
      {"Mon Jul 9 14:45 2012", "0 0/15 * * * *", "Mon Jul 9 15:00 2012"},
      {"Mon Jul 9 14:59 2012", "0 0/15 * * * *", "Mon Jul 9 15:00 2012"},
      {"Mon Jul 9 14:59:59 2012", "0 0/15 * * * *", "Mon Jul 9 15:00 2012"},
      {"Mon Jul 9 15:45 2012", "0 20-35/15 * * * *", "Mon Jul 9 16:20 2012"},
      {"Mon Jul 9 23:46 2012", "0 */15 * * * *", "Tue Jul 10 00:00 2012"},
      {"Mon Jul 9 23:45 2012", "0 20-35/15 * * * *", "Tue Jul 10 00:20 2012"},
      {"Mon Jul 9 23:35:51 2012", "15/35 20-35/15 * * * *", "Tue Jul 10 00:20:15 2012"},
      {"Mon Jul 9 23:35:51 2012", "15/35 20-35/15 1/2 * * *", "Tue Jul 10 01:20:15 2012"},
      {"Mon Jul 9 23:35:51 2012", "15/35 20-35/15 10-12 * * *", "Tue Jul 10 10:20:15 2012"},
      {"Mon Jul 9 23:35:51 2012", "15/35 20-35/15 1/2 */2 * *", "Thu Jul 11 01:20:15 2012"},
      {"Mon Jul 9 23:35:51 2012", "15/35 20-35/15 * 9-20 * *", "Wed Jul 10 00:20:15 2012"},
      {"Mon Jul 9 23:35:51 2012", "15/35 20-35/15 * 9-20 Jul *", "Wed Jul 10 00:20:15 2012"},
      {"Mon Jul 9 23:35 2012", "0 0 0 9 Apr-Oct ?", "Thu Aug 9 00:00 2012"},
      {"Mon Jul 9 23:35 2012", "0 0 0 */5 Apr,Aug,Oct Mon", "Tue Aug 1 00:00 2012"},
      {"Mon Jul 9 23:35 2012", "0 0 0 */5 Oct Mon", "Mon Oct 1 00:00 2012"},
      {"Mon Jul 9 23:35 2012", "0 0 0 * Feb Mon", "Mon Feb 4 00:00 2013"},
      {"Mon Jul 9 23:35 2012", "0 0 0 * Feb Mon/2", "Fri Feb 1 00:00 2013"},
      {"Mon Dec 31 23:59:45 2012", "0 * * * * *", "Tue Jan 1 00:00:00 2013"},
      {"Mon Jul 9 23:35 2012", "0 0 0 29 Feb ?", "Mon Feb 29 00:00 2016"},
      // 2am EST (-5) → 3am EDT (-4)
      {"2012-03-11T00:00:00-0500", "TZ=America/New_York 0 30 2 11 Mar ?", "2013-03-11T02:30:00-0400"},
      {"2012-03-11T00:00:00-0500", "TZ=America/New_York 0 0 * * * ?", "2012-03-11T01:00:00-0500"},
      {"2012-03-11T01:00:00-0500", "TZ=America/New_York 0 0 * * * ?", "2012-03-11T03:00:00-0400"},
      {"2012-03-11T03:00:00-0400", "TZ=America/New_York 0 0 * * * ?", "2012-03-11T04:00:00-0400"},
      {"2012-03-11T04:00:00-0400", "TZ=America/New_York 0 0 * * * ?", "2012-03-11T05:00:00-0400"},
      {"2012-03-11T00:00:00-0500", "CRON_TZ=America/New_York 0 0 * * * ?", "2012-03-11T01:00:00-0500"},
      {"2012-03-11T01:00:00-0500", "CRON_TZ=America/New_York 0 0 * * * ?", "2012-03-11T03:00:00-0400"},
      {"2012-03-11T03:00:00-0400", "CRON_TZ=America/New_York 0 0 * * * ?", "2012-03-11T04:00:00-0400"},
      {"2012-03-11T04:00:00-0400", "CRON_TZ=America/New_York 0 0 * * * ?", "2012-03-11T05:00:00-0400"},
      {"2012-03-11T00:00:00-0500", "TZ=America/New_York 0 0 1 * * ?", "2012-03-11T01:00:00-0500"},
      {"2012-03-11T01:00:00-0500", "TZ=America/New_York 0 0 1 * * ?", "2012-03-12T01:00:00-0400"},
      {"2012-03-11T00:00:00-0500", "TZ=America/New_York 0 0 2 * * ?", "2012-03-12T02:00:00-0400"},  // skipped
      // 2am EDT (-4) → 1am EST (-5)
      {"2012-11-04T00:00:00-0400", "TZ=America/New_York 0 30 2 04 Nov ?", "2012-11-04T02:30:00-0500"},
      {"2012-11-04T01:45:00-0400", "TZ=America/New_York 0 30 1 04 Nov ?", "2012-11-04T01:30:00-0500"},
      {"2012-11-04T00:00:00-0400", "TZ=America/New_York 0 0 * * * ?", "2012-11-04T01:00:00-0400"},
      {"2012-11-04T01:00:00-0400", "TZ=America/New_York 0 0 * * * ?", "2012-11-04T01:00:00-0500"},
      {"2012-11-04T01:00:00-0500", "TZ=America/New_York 0 0 * * * ?", "2012-11-04T02:00:00-0500"},
      {"2012-11-04T00:00:00-0400", "TZ=America/New_York 0 0 1 * * ?", "2012-11-04T01:00:00-0400"},  // twice
      {"2012-11-04T01:00:00-0400", "TZ=America/New_York 0 0 1 * * ?", "2012-11-04T01:00:00-0500"},
      {"2012-11-04T01:00:00-0500", "TZ=America/New_York 0 0 1 * * ?", "2012-11-05T01:00:00-0500"},
      {"2012-11-04T00:00:00-0400", "TZ=America/New_York 0 0 2 * * ?", "2012-11-04T02:00:00-0500"},
      {"2012-11-04T02:00:00-0500", "TZ=America/New_York 0 0 2 * * ?", "2012-11-05T02:00:00-0500"},
      {"2012-11-04T00:00:00-0400", "TZ=America/New_York 0 0 3 * * ?", "2012-11-04T03:00:00-0500"},
      {"2012-11-04T03:00:00-0500", "TZ=America/New_York 0 0 3 * * ?", "2012-11-05T03:00:00-0500"},
      // the same without CRON_TZ, the time itself in New York (Go's time.Local schedules)
      {"2012-11-04T00:00:00-0400", "0 0 * * * ?", "2012-11-04T01:00:00-0400", ny},
      {"2012-11-04T01:00:00-0400", "0 0 * * * ?", "2012-11-04T01:00:00-0500", ny},
      {"2012-11-04T01:00:00-0500", "0 0 * * * ?", "2012-11-04T02:00:00-0500", ny},
      {"2012-11-04T00:00:00-0400", "0 0 1 * * ?", "2012-11-04T01:00:00-0400", ny},
      {"2012-11-04T01:00:00-0400", "0 0 1 * * ?", "2012-11-04T01:00:00-0500", ny},
      {"2012-11-04T01:00:00-0500", "0 0 1 * * ?", "2012-11-05T01:00:00-0500", ny},
      {"2012-11-04T00:00:00-0400", "0 0 2 * * ?", "2012-11-04T02:00:00-0500", ny},
      {"2012-11-04T02:00:00-0500", "0 0 2 * * ?", "2012-11-05T02:00:00-0500", ny},
      {"2012-11-04T00:00:00-0400", "0 0 3 * * ?", "2012-11-04T03:00:00-0500", ny},
      {"2012-11-04T03:00:00-0500", "0 0 3 * * ?", "2012-11-05T03:00:00-0500", ny},
      {"2012-11-04T00:00:00-0400", "0 0 3 3 * ?", "2012-12-03T03:00:00-0500", ny},  // monthly
      // midnight that does not exist (robfig issue 157)
      {"2018-10-17T05:00:00-0400", "TZ=America/Sao_Paulo 0 0 9 10 * ?", "2018-11-10T06:00:00-0500"},
      {"2018-02-14T05:00:00-0500", "TZ=America/Sao_Paulo 0 0 9 22 * ?", "2018-02-22T07:00:00-0500"},
  };
  for (const auto& c : cases) {
    std::string spec = c.spec, time = c.time;
    CAPTURE(spec);
    CAPTURE(time);
    CHECK(S(detail::parse(c.spec, true).next(T(c.time), c.local)) == S(T(c.expected)));
  }
  // Unsatisfiable: no time within five years, Go's zero time.
  CHECK_FALSE(detail::parse("0 0 0 30 Feb ?", true).next(T("Mon Jul 9 23:35 2012")));
  CHECK_FALSE(parse_cron("0 0 31 Apr ?").next(T("Mon Jul 9 23:35 2012")));
}

TEST_CASE("robfig TestNextWithTz: an expression without a zone follows the time's zone") {
  const char* kolkata = "Asia/Kolkata";  // +05:30 since 1945, robfig's fixed +0530
  CHECK(S(parse_cron("14 14 * * *").next(T("2016-01-03T13:09:03+0530"), kolkata)) == S(T("2016-01-03T14:14:00+0530")));
  CHECK(S(parse_cron("14 14 * * ?").next(T("2016-01-03T04:09:03+0530"), kolkata)) == S(T("2016-01-03T14:14:00+0530")));
  CHECK(S(parse_cron("14 14 * * *").next(T("2016-01-03T14:09:03+0530"), kolkata)) == S(T("2016-01-03T14:14:00+0530")));
  CHECK(S(parse_cron("14 14 * * ?").next(T("2016-01-03T14:00:00+0530"), kolkata)) == S(T("2016-01-03T14:14:00+0530")));
  // In UTC the same expression is 14:14 UTC.
  CHECK(S(parse_cron("14 14 * * *").next(T("2016-01-03T13:09:03+0530"))) == "2016-01-03T14:14:00Z");
  // A CRON_TZ zone wins over the time's.
  CHECK(S(parse_cron("CRON_TZ=UTC 14 14 * * *").next(T("2016-01-03T13:09:03+0530"), kolkata)) ==
        "2016-01-03T14:14:00Z");
  CHECK_THROWS_AS(parse_cron("0 1 * * *").next(T("Mon Jul 9 14:45 2012"), "Nowhere/Land"), Error);
}

TEST_CASE("robfig TestConstantDelayNext: @every in whole seconds, at least one") {
  auto every = [](const char* d) { return parse_cron(std::string("@every ") + d); };
  CHECK(S(every("15m0.00000005s").next(T("Mon Jul 9 14:45 2012"))) == S(T("Mon Jul 9 15:00 2012")));
  CHECK(S(every("15m").next(T("Mon Jul 9 14:59 2012"))) == S(T("Mon Jul 9 15:14 2012")));
  CHECK(S(every("15m").next(T("Mon Jul 9 14:59:59 2012"))) == S(T("Mon Jul 9 15:14:59 2012")));
  CHECK(S(every("35m").next(T("Mon Jul 9 15:45 2012"))) == S(T("Mon Jul 9 16:20 2012")));
  CHECK(S(every("14m").next(T("Mon Jul 9 23:46 2012"))) == S(T("Tue Jul 10 00:00 2012")));
  CHECK(S(every("44m24s").next(T("Mon Jul 9 23:35:51 2012"))) == S(T("Tue Jul 10 00:20:15 2012")));
  CHECK(S(every("25h44m24s").next(T("Mon Jul 9 23:35:51 2012"))) == S(T("Thu Jul 11 01:20:15 2012")));
  CHECK(S(every("2184h25m").next(T("Mon Jul 9 23:35 2012"))) == S(T("Thu Oct 9 00:00 2012")));
  CHECK(S(every("15s").next(T("Mon Dec 31 23:59:45 2012"))) == S(T("Tue Jan 1 00:00:00 2013")));
  CHECK(S(every("15ms").next(T("Mon Jul 9 14:45:00 2012"))) == S(T("Mon Jul 9 14:45:01 2012")));
  CHECK(every("1s").delay == std::chrono::seconds(1));
  CHECK(every("-5m").delay == std::chrono::seconds(1));
  CHECK(every("1h30m").delay == std::chrono::seconds(5400));
  // The zone is ignored for @every, as robfig ignores it.
  CHECK(parse_cron("CRON_TZ=Asia/Tokyo @every 1h").kind == CronSchedule::Kind::every);
}

TEST_CASE("spec §4.4 descriptors in a zone: @daily at the zone's midnight") {
  CHECK(S(parse_cron("CRON_TZ=Asia/Tokyo @daily").next(T("2024-05-01T10:00:00+0000"))) == "2024-05-01T15:00:00Z");
  CHECK(S(parse_cron("@weekly").next(T("2024-05-01T10:00:00+0000"))) == "2024-05-05T00:00:00Z");  // Sunday
  CHECK(S(parse_cron("@yearly").next(T("2024-05-01T10:00:00+0000"))) == "2025-01-01T00:00:00Z");
  CHECK(S(parse_cron("@monthly").next(T("2024-05-01T10:00:00+0000"))) == "2024-06-01T00:00:00Z");
  CHECK(S(parse_cron("@hourly").next(T("2024-05-01T10:00:00+0000"))) == "2024-05-01T11:00:00Z");
  // A DST rule far from the fat TZif transitions still applies (New York, 2036).
  CHECK(S(parse_cron("CRON_TZ=America/New_York 0 12 1 7 *").next(T("2036-01-01T00:00:00+0000"))) ==
        "2036-07-01T16:00:00Z");
}

TEST_CASE("bad input never crashes: random expressions parse or fail with Velero's prefix; next() is after") {
  // Tokens robfig's grammar is made of, and some it is not, in random fields.
  const char* tokens[] = {"*", "?", "0", "1", "5", "7", "12", "23", "31", "59", "60", "-", "/", ",", "jan", "MON",
                          "x", "*/2", "1-5", "5-1", "@daily", "@every", " ", "\t", "TZ=", "CRON_TZ=UTC ", "-1", "99999999999999999999"};
  std::uint64_t seed = 12345;
  auto rnd = [&](std::uint64_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % n;
  };
  const Timestamp t0 = T("2024-02-28T23:59:30+0000");
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string expr;
    for (std::uint64_t k = 0, n = 1 + rnd(12); k < n; ++k) expr += tokens[rnd(std::size(tokens))];
    CAPTURE(expr);
    try {
      auto s = parse_cron(expr);
      ++parsed;
      if (auto n = s.next(t0)) {
        CHECK(*n > t0);
        if (s.kind == CronSchedule::Kind::spec) CHECK(s.next(*n - std::chrono::seconds(1)) == n);  // an activation
      }
    } catch (const Error& e) {
      CHECK(std::string_view(e.what()).starts_with("invalid schedule: "));
    }
  }
  CHECK(parsed > 0);
}
