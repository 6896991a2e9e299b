// Small helpers of the test API server: query strings, base64, gzip, UUIDs, timestamps.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace vbackup::kubetest {

// Go's url.ParseQuery: '&'-separated pairs, '+' is a space, %XX decoded; the first value of a
// repeated key wins (what Request.URL.Query().Get returns). Malformed escapes are kept verbatim.
std::map<std::string, std::string, std::less<>> parse_query(std::string_view query);
std::string percent_decode(std::string_view text, bool plus_is_space);
std::string percent_encode(std::string_view text);  // RFC 3986 unreserved kept

// base64.StdEncoding / base64.RawURLEncoding (continue tokens). decode returns false on bad input.
std::string base64_encode(std::string_view bytes, bool url_raw = false);
bool base64_decode(std::string_view text, std::string& out, bool url_raw = false);

// A gzip member (RFC 1952) of `body` at zlib level `level` (the API server uses 1, BestSpeed).
std::string gzip_compress(std::string_view body, int level = 1);
// Inflates gzip data (tests and benchmarks read compressed answers with it); throws on bad data.
std::string gzip_decompress(std::string_view data);

// A random version-4 UUID ("6ba7b810-9dad-41d1-80b4-00c04fd430c8").
std::string random_uuid();
// Five characters of the API server's generateName alphabet (no vowels, no 0/1/3).
std::string random_name_suffix();
// The current time as metav1.Time marshals it ("2024-05-01T10:00:00Z").
std::string now_rfc3339();

}  // namespace vbackup::kubetest
