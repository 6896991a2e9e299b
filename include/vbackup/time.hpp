// Go durations and RFC 3339 timestamps, as Velero writes them into its custom resources (spec
// conventions: "720h0m0s", "2023-07-25T05:34:38Z"). Errors are Error(invalid) naming the text.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace vbackup {

// Go's time.ParseDuration: an optional sign, then one or more decimal numbers, each with an optional
// fraction and a unit (ns, us, µs, μs, ms, s, m, h — no "d"), e.g. "1h30m", "1.5s", "-2m3.4s"; "0"
// alone needs no unit. Overflow of int64 nanoseconds is an error, as in Go.
std::chrono::nanoseconds parse_duration(std::string_view text);

// Go's Duration.String: "720h0m0s", "10m0s", "1.5s", "0s", "1µs" (U+00B5), "-1m30s".
std::string format_duration(std::chrono::nanoseconds d);

// A Kubernetes metav1.Time as stored: UTC, whole seconds.
using Timestamp = std::chrono::sys_seconds;

// time.Parse(time.RFC3339, text) as metav1.Time decodes it: "2006-01-02T15:04:05Z" or with an offset
// ("+02:00"), fractional seconds ('.' or ',') allowed. The result is normalised to UTC and truncated
// to seconds (metav1.Time marshals whole seconds). Results outside the years 0000–9999 are refused
// because they could not be written back as RFC 3339.
Timestamp parse_rfc3339(std::string_view text);

// metav1.Now() as a Timestamp: the current time, UTC, whole seconds.
Timestamp now_timestamp();

// metav1.Time marshalling: t.UTC().Format(time.RFC3339), e.g. "2023-07-25T05:34:38Z".
std::string format_rfc3339(Timestamp t);

}  // namespace vbackup
