// Percent-encoding (RFC 3986 §2.1) and query strings: the one implementation behind every URL the
// library builds or reads (S3's SigV4 UriEncode, Azure's Shared Key and SAS, the Kubernetes client,
// location URLs). Internal header. The callers differ only in the bytes they keep, which they
// pass explicitly.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vbackup {

// Kept by every caller: RFC 3986 unreserved, A–Z a–z 0–9 - . _ ~ (also AWS SigV4's UriEncode set).
// Every other byte, and every byte >= 0x80, becomes %XY with upper-case hex, unless it is in
// `keep`: "/" for object-key paths (SigV4 keys, Azure blob names, Kubernetes paths), "/:" for the
// values of a location URL's query.
std::string percent_encode(std::string_view s, std::string_view keep = {});

struct PercentDecoding {
  // A '%' not followed by two hex digits makes the input malformed (nullopt); false: the '%' is
  // kept as a plain byte, as S3 reads a query and Go's net/url does not.
  bool strict = true;
  bool plus_is_space = false;  // application/x-www-form-urlencoded ('+' is a space)
};

// The bytes of a percent-encoded string (either hex case); nullopt when strict and malformed.
std::optional<std::string> percent_decode(std::string_view s, PercentDecoding how = {});

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct QueryParsing {
  PercentDecoding decoding;
  // A pair without '=' or with an empty name ("a", "=v") is an error; false: "a" is ("a", "").
  bool require_value = false;
};

// "a=1&b&&c=%20": decoded (name, value) pairs in their order; empty pairs are skipped. Throws
// Error(invalid) "<what>: bad percent-encoding" or "<what>: query parameter \"<pair>\" is not
// key=value".
QueryParams parse_query(std::string_view query, std::string_view what, const QueryParsing& how = {});

}  // namespace vbackup
