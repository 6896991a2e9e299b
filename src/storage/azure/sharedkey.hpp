// Azure Storage "Shared Key" authorization and service SAS, as pure functions over a request
// description (no HTTP types), so they can be checked against Microsoft's documented strings and
// against an independent client without a network. Internal header.
//
// References: learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key (the
// string-to-sign, canonicalized headers and resource, 2009-09-19+ format) and
// .../create-service-sas (the 2020-12-06+ string-to-sign).
#pragma once

#include "core/hmac.hpp"
#include "core/percent.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vbackup::storage::azure {

// The request as Shared Key sees it.
struct SignInput {
  std::string method;                                        // "GET", "PUT", …
  std::string path;                                          // URL path exactly as sent (percent-encoded), "" = "/"
  std::vector<std::pair<std::string, std::string>> query;    // decoded names and values, any order
  std::vector<std::pair<std::string, std::string>> headers;  // every header field, any case, any order
};

// "x-ms-a:v\nx-ms-b:w\n": x-ms-* headers, names lower-cased and sorted, values trimmed with runs of
// whitespace folded to one space.
std::string canonicalized_headers(const SignInput& in);
// "/" + account + path, then "\n<name>:<v1>,<v2>" per query parameter (names lower-cased and sorted,
// values sorted). For the emulator's path-style URL the path starts with the account again, which
// is why its resource names the account twice (test-infrastructure.md §4); no special case needed.
std::string canonicalized_resource(std::string_view account, const SignInput& in);
// VERB, the eleven standard header lines (Content-Length empty when 0, version 2015-02-21+), the
// canonicalized headers and the canonicalized resource.
std::string string_to_sign(std::string_view account, const SignInput& in);

// Base64 of HMAC-SHA256(key, message) (core/hmac.hpp); `key` is the decoded account key.
using vbackup::hmac_sha256_base64;
// "SharedKey <account>:<signature>".
std::string authorization_header(std::string_view account, std::string_view key, const SignInput& in);

// "Sun, 11 Oct 2009 21:49:13 GMT" (RFC 1123, English names whatever the locale).
std::string rfc1123_date(std::chrono::system_clock::time_point t);
// The reverse, for Last-Modified in listings: nullopt for anything but that exact form.
std::optional<std::chrono::sys_seconds> parse_rfc1123_date(std::string_view text);
// "2009-10-11T21:49:13Z", the SAS time format.
std::string iso8601_seconds(std::chrono::system_clock::time_point t);

// A read-only service SAS for one blob (signedResource "b"), version `version` (2020-12-06 format).
struct ServiceSas {
  std::string permissions = "r";
  std::string start;     // iso8601_seconds
  std::string expiry;
  std::string protocol;  // "https" or "https,http"
  std::string version;
  std::string account, container, blob;  // blob name unencoded
};
std::string sas_string_to_sign(const ServiceSas& sas);
// "sv=…&st=…&se=…&sr=b&sp=r&spr=…&sig=…", values percent-encoded.
std::string sas_query(const ServiceSas& sas, std::string_view key);

// RFC 3986 percent-encoding (unreserved kept; '/' kept when keep_slash) and its inverse ('+' is
// not a space): core/percent.hpp's. decode returns false on a malformed escape.
inline std::string url_encode(std::string_view s, bool keep_slash) {
  return vbackup::percent_encode(s, keep_slash ? "/" : "");
}
inline bool url_decode(std::string_view s, std::string& out) {
  std::optional<std::string> d = vbackup::percent_decode(s);
  out = d ? std::move(*d) : std::string();
  return d.has_value();
}

// Splits "path?query" into the SignInput's path and decoded query pairs; false on a bad escape.
bool split_target(std::string_view target, std::string& path,
                  std::vector<std::pair<std::string, std::string>>& query);

// MD5 of the bytes, base64 (the Content-MD5 header).
std::string content_md5(std::string_view bytes);

// Overwrites a string's bytes before it is released (account keys).
void wipe(std::string& secret) noexcept;

}  // namespace vbackup::storage::azure
