// AWS Signature Version 4 (header signing and presigned URLs), as the AWS documentation's
// "Create a signed AWS API request" and S3's "Authenticating Requests (AWS Signature Version 4)"
// describe it. Internal to the S3 store; tests/unit/sigv4_test.cpp checks it against the
// published test vectors.
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

namespace vbackup::s3 {

using Params = std::vector<std::pair<std::string, std::string>>;

// Digests (raw bytes) and hex.
std::string sha256(std::string_view data);
std::string sha256_hex(std::string_view data);
using vbackup::hmac_sha256;  // core/hmac.hpp
std::string hex(std::string_view raw);

// SigV4's UriEncode: every byte but A–Z a–z 0–9 - . _ ~ as %XY (upper-case hex); '/' kept only
// when `keep_slash` (object key paths). core/percent.hpp's encoder.
inline std::string uri_encode(std::string_view s, bool keep_slash) {
  return vbackup::percent_encode(s, keep_slash ? "/" : "");
}
// Percent-decoding of a query component ('+' stays '+', as S3 reads it; a malformed escape is
// kept as is).
inline std::string uri_decode(std::string_view s) { return *vbackup::percent_decode(s, {.strict = false}); }

// "20150830T123600Z" of a time point (UTC).
std::string amz_date(std::chrono::system_clock::time_point t);

// A request as the signer sees it: the path already encoded as sent, query parameters decoded,
// the headers to sign (any case, any order; values are trimmed and inner runs of spaces folded).
struct SigningRequest {
  std::string method;
  std::string canonical_uri = "/";
  Params query;
  Params headers;
  std::string payload_hash;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
  // Set: the canonical query string is this, not the encoding of `query` (see
  // raw_canonical_query_string).
  std::optional<std::string> canonical_query;
};

struct Scope {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region;
  std::string service;  // "s3"
  std::string amz_date; // "20150830T123600Z"
  std::string date() const { return amz_date.substr(0, 8); }
  std::string credential_scope() const { return date() + "/" + region + "/" + service + "/aws4_request"; }
};

// The intermediate strings, exposed for tests and for debugging a SignatureDoesNotMatch.
std::string canonical_query_string(const Params& query);
// The query as sent, its pairs sorted but not re-encoded: how moto server (5.x) recomputes the
// signature, which is not what AWS does (AWS encodes '/' as %2F, moto keeps it raw).
std::string raw_canonical_query_string(std::string_view sent_query);
std::string canonical_request(const SigningRequest& request, std::string* signed_headers = nullptr);
std::string string_to_sign(const Scope& scope, std::string_view canonical_request);
std::string signature(const Scope& scope, std::string_view string_to_sign);

// The Authorization header value of a request.
std::string authorization(const SigningRequest& request, const Scope& scope);

// Presigning (query-string authentication): returns the query parameters to append to the URL
// (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, optional
// X-Amz-Security-Token, X-Amz-Signature), already encoded, "&"-joined, in canonical order.
// `request.query` holds any other parameters; `request.headers` at least host. The payload is
// UNSIGNED-PAYLOAD, as S3 requires for presigned URLs.
std::string presign_query(SigningRequest request, const Scope& scope, std::chrono::seconds expires,
                          std::string_view session_token = {});

}  // namespace vbackup::s3
