// Go durations and RFC 3339 timestamps (spec conventions). The vectors are Go's own, from
// src/time/time_test.go (durationTests, parseDurationTests, parseDurationErrorTests).
#include "test_helpers.hpp"
#include "vbackup/error.hpp"
#include "vbackup/time.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>

using namespace vbackup;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

std::string error_of(std::string_view text) {
  ErrorCode code{};
  std::string msg = testing::error_of([&] { parse_duration(text); }, &code);
  if (msg.empty()) return "no error";
  CHECK(code == ErrorCode::invalid);
  return msg;
}

}  // namespace

TEST_CASE("Go durationTests: Duration.String") {
  struct Case { const char* str; nanoseconds d; };
  const Case cases[] = {
      {"0s", 0ns},
      {"1ns", 1ns},
      {"1.1\xC2\xB5s", 1100ns},
      {"2.2ms", 2200us},
      {"3.3s", 3300ms},
      {"4m5s", 4min + 5s},
      {"4m5.001s", 4min + 5001ms},
      {"5h6m7.001s", 5h + 6min + 7001ms},
      {"8m0.000000001s", 8min + 1ns},
      {"2562047h47m16.854775807s", nanoseconds(kMax)},
      {"-2562047h47m16.854775808s", nanoseconds(kMin)},
  };
  for (const auto& c : cases) {
    CAPTURE(c.str);
    CHECK(format_duration(c.d) == c.str);
    if (c.d > 0ns) CHECK(format_duration(-c.d) == std::string("-") + c.str);
  }
}

TEST_CASE("spec conventions: the durations Velero writes") {
  CHECK(format_duration(720h) == "720h0m0s");
  CHECK(format_duration(10min) == "10m0s");
  CHECK(format_duration(4h) == "4h0m0s");
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(1us) == "1\xC2\xB5s");
  CHECK(format_duration(-90s) == "-1m30s");
}

TEST_CASE("Go parseDurationTests: ParseDuration") {
  struct Case { const char* in; nanoseconds want; };
  const Case cases[] = {
      // simple
      {"0", 0ns}, {"5s", 5s}, {"30s", 30s}, {"1478s", 1478s},
      // sign
      {"-5s", -5s}, {"+5s", 5s}, {"-0", 0ns}, {"+0", 0ns},
      // decimal
      {"5.0s", 5s}, {"5.6s", 5s + 600ms}, {"5.s", 5s}, {".5s", 500ms}, {"1.0s", 1s}, {"1.00s", 1s},
      {"1.004s", 1s + 4ms}, {"1.0040s", 1s + 4ms}, {"100.00100s", 100s + 1ms},
      // different units
      {"10ns", 10ns}, {"11us", 11us}, {"12\xC2\xB5s", 12us}, {"12\xCE\xBCs", 12us}, {"13ms", 13ms},
      {"14s", 14s}, {"15m", 15min}, {"16h", 16h},
      // composite durations
      {"3h30m", 3h + 30min}, {"10.5s4m", 4min + 10s + 500ms}, {"-2m3.4s", -(2min + 3s + 400ms)},
      {"1h2m3s4ms5us6ns", 1h + 2min + 3s + 4ms + 5us + 6ns}, {"39h9m14.425s", 39h + 9min + 14s + 425ms},
      // large value
      {"52763797000ns", 52763797000ns},
      // more than 9 digits after the decimal point (golang.org/issue/6617)
      {"0.3333333333333333333h", 20min},
      // 1<<53+1 cannot be stored precisely in a float64
      {"9007199254740993ns", nanoseconds((std::int64_t{1} << 53) + 1)},
      // largest duration that can be represented by int64 in nanoseconds
      {"9223372036854775807ns", nanoseconds(kMax)},
      {"9223372036854775.807us", nanoseconds(kMax)},
      {"9223372036s854ms775us807ns", nanoseconds(kMax)},
      {"-9223372036854775808ns", nanoseconds(kMin)},
      {"-9223372036854775.808us", nanoseconds(kMin)},
      {"-9223372036s854ms775us808ns", nanoseconds(kMin)},
      // largest negative round trip value (golang.org/issue/48629)
      {"-2562047h47m16.854775808s", nanoseconds(kMin)},
      // huge string (issue 15011)
      {"0.100000000000000000000h", 6min},
      // the first overflow check in leadingFraction
      {"0.830103483285477580700h", 49min + 48s + 372539827ns},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    CHECK(parse_duration(c.in) == c.want);
  }
}

TEST_CASE("Go parseDurationErrorTests: errors quote the input as Go does") {
  struct Case { std::string in; const char* expect; };
  const Case cases[] = {
      {"", R"("")"}, {"3", R"("3")"}, {"-", R"("-")"}, {"s", R"("s")"}, {".", R"(".")"},
      {"-.", R"("-.")"}, {".s", R"(".s")"}, {"+.s", R"("+.s")"}, {"1d", R"("1d")"},
      {"\x85\x85", R"("\x85\x85")"}, {"\xff" "ff", R"("\xffff")"},
      {"hello \xff" "ff world", R"("hello \xffff world")"},
      {"\xEF\xBF\xBD", R"("\xef\xbf\xbd")"},
      {"\xEF\xBF\xBD hello \xEF\xBF\xBD world", R"("\xef\xbf\xbd hello \xef\xbf\xbd world")"},
      // overflow
      {"9223372036854775810ns", R"("9223372036854775810ns")"},
      {"9223372036854775808ns", R"("9223372036854775808ns")"},
      {"-9223372036854775809ns", R"("-9223372036854775809ns")"},
      {"9223372036854776us", R"("9223372036854776us")"},
      {"3000000h", R"("3000000h")"},
      {"9223372036854775.808us", R"("9223372036854775.808us")"},
      {"9223372036854ms775us808ns", R"("9223372036854ms775us808ns")"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    std::string msg = error_of(c.in);
    CHECK(msg.find(c.expect) != std::string::npos);
  }
  CHECK(error_of("1d") == R"(time: unknown unit "d" in duration "1d")");
  CHECK(error_of("3") == R"(time: missing unit in duration "3")");
  CHECK(error_of("3000000h") == R"(time: invalid duration "3000000h")");
}

TEST_CASE("Go TestParseDurationRoundTrip: String then ParseDuration is the identity") {
  CHECK(parse_duration(format_duration(nanoseconds(kMax))) == nanoseconds(kMax));
  CHECK(parse_duration(format_duration(nanoseconds(kMin))) == nanoseconds(kMin));
  std::mt19937_64 rng(42);
  for (int i = 0; i < 1000; ++i) {
    nanoseconds d(static_cast<std::int64_t>(rng()));
    CAPTURE(d.count());
    CHECK(parse_duration(format_duration(d)) == d);
    nanoseconds small(static_cast<std::int64_t>(rng() % 100000000000ull));
    CHECK(parse_duration(format_duration(small)) == small);
  }
}

TEST_CASE("spec conventions: RFC 3339 timestamps are written in UTC with whole seconds") {
  const Timestamp t = sys_days{2023y / July / 25} + 5h + 34min + 38s;
  CHECK(format_rfc3339(t) == "2023-07-25T05:34:38Z");
  CHECK(parse_rfc3339("2023-07-25T05:34:38Z") == t);
  CHECK(format_rfc3339(Timestamp{}) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(sys_days{0y / January / 1}) == "0000-01-01T00:00:00Z");
  CHECK(format_rfc3339(sys_days{9999y / December / 31} + 86399s) == "9999-12-31T23:59:59Z");
}

TEST_CASE("RFC 3339: offsets are normalised to UTC and fractions truncated") {
  const Timestamp t = sys_days{2023y / July / 25} + 5h + 34min + 38s;
  CHECK(parse_rfc3339("2023-07-25T07:34:38+02:00") == t);
  CHECK(parse_rfc3339("2023-07-24T23:04:38-06:30") == t);
  CHECK(parse_rfc3339("2023-07-25T05:34:38.999999999Z") == t);
  CHECK(parse_rfc3339("2023-07-25T05:34:38,5Z") == t);  // Go accepts a comma too
  CHECK(parse_rfc3339("2023-07-25T5:34:38Z") == t);     // and a one-digit hour
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z") == sys_days{2024y / February / 29});
  // Go's examples (time_test.go jsonTests)
  CHECK(format_rfc3339(parse_rfc3339("9999-04-12T23:20:50.52Z")) == "9999-04-12T23:20:50Z");
  CHECK(format_rfc3339(parse_rfc3339("1996-12-19T16:39:57-08:00")) == "1996-12-20T00:39:57Z");
  CHECK(format_rfc3339(parse_rfc3339("2020-01-01T00:00:00+23:59")) == "2019-12-31T00:01:00Z");
}

TEST_CASE("RFC 3339: malformed timestamps are invalid input naming the text") {
  for (std::string_view bad :
       {"", "2023-07-25", "2023-07-25T05:34:38", "2023-07-25 05:34:38Z", "2023-7-25T05:34:38Z",
        "2023-07-25T05:34:38z", "2023-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2023-04-31T00:00:00Z",
        "2023-00-10T00:00:00Z", "2023-01-00T00:00:00Z", "2023-07-25T24:00:00Z", "2023-07-25T05:60:00Z",
        "2023-07-25T05:34:60Z", "2023-07-25T05:34:38+0200", "2023-07-25T05:34:38Z ", "2023-07-25T05:34:38.Z",
        "+2023-07-25T05:34:38Z", "2000-01-01T00:00:00+123:45", "0000-01-01T00:00:00+01:00"}) {
    CAPTURE(bad);
    try {
      parse_rfc3339(bad);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::invalid);
      CHECK(std::string(e.what()).starts_with("parsing time \""));
    }
  }
}
