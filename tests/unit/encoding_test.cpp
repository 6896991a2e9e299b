// The text encodings of src/core shared by every URL and signature: percent-encoding with the
// bytes each caller keeps (AWS SigV4's UriEncode, Azure's blob URLs and SAS, location URLs, the
// Kubernetes client), query strings, HMAC-SHA256 (RFC 4231) and trimming.
#include "core/hmac.hpp"
#include "core/percent.hpp"
#include "core/strings.hpp"
#include "core/encoding.hpp"
#include "vbackup/error.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace vbackup;

namespace {

std::string hex(std::string_view raw) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) out += {digits[c >> 4], digits[c & 15]};
  return out;
}

std::string query_error(std::string_view query, const QueryParsing& how) {
  try {
    parse_query(query, "storage location \"x\"", how);
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid);
    return e.what();
  }
  return "<no error>";
}

}  // namespace

// --- percent-encoding --------------------------------------------------------------------------

TEST_CASE("percent_encode: RFC 3986 unreserved bytes stay, every other byte is %XY in upper-case hex") {
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode("a b/c+d=é") == "a%20b%2Fc%2Bd%3D%C3%A9");
  CHECK(percent_encode(std::string("\0\x7f\xff", 3)) == "%00%7F%FF");
  CHECK(percent_encode("").empty());
}

TEST_CASE("percent_encode: SigV4 UriEncode (AWS \"Create a canonical request\") — '/' kept only in key paths") {
  // The S3 object key path keeps '/'; a query value encodes it (%2F), as does a bucket name.
  CHECK(percent_encode("backups/b 1/é", "/") == "backups/b%201/%C3%A9");
  CHECK(percent_encode("backups/b1/") == "backups%2Fb1%2F");
  // Sub-delimiters that other encoders keep are encoded (the SigV4 test suite's get-vanilla-ut8-query
  // and S3's "test$file.text" example).
  CHECK(percent_encode("!'()*", "/") == "%21%27%28%29%2A");
  CHECK(percent_encode("test$file.text", "/") == "test%24file.text");
  CHECK(percent_encode("a b+c=d") == "a%20b%2Bc%3Dd");
}

TEST_CASE("percent_encode: Azure blob URLs keep '/', SAS values and block ids encode base64's + / =") {
  // Service::blob_url: the blob name's '/' separates virtual directories and stays.
  CHECK(percent_encode("backups/b1/b1-logs.gz", "/") == "backups/b1/b1-logs.gz");
  // sas_query: sig=<base64 HMAC> and blockid=<base64> are query values.
  CHECK(percent_encode("W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=") ==
        "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM%3D");
  CHECK(percent_encode("YWJj+/=") == "YWJj%2B%2F%3D");
  CHECK(percent_encode("2024-05-01T10:00:00Z") == "2024-05-01T10%3A00%3A00Z");
}

TEST_CASE("percent_encode: a location URL's query keeps '/' and ':' (Location::url)") {
  CHECK(percent_encode("http://127.0.0.1:9000/x y", "/:") == "http://127.0.0.1:9000/x%20y");
  CHECK(percent_encode("a&b=c", "/:") == "a%26b%3Dc");
}

TEST_CASE("percent_encode: kept bytes are ASCII only; a byte >= 0x80 is always encoded") {
  CHECK(percent_encode("\xc3\xa9", "\xc3\xa9") == "%C3%A9");
}

TEST_CASE("percent_decode: strict (Azure names, location URLs) refuses a '%' without two hex digits") {
  CHECK(percent_decode("a%2Fb%2fc") == "a/b/c");
  CHECK(percent_decode("a+b") == "a+b");  // '+' is not a space in a URL path or an RFC 3986 query
  CHECK(percent_decode("") == "");
  CHECK_FALSE(percent_decode("%G1").has_value());
  CHECK_FALSE(percent_decode("%4").has_value());
  CHECK_FALSE(percent_decode("abc%").has_value());
  CHECK(percent_decode("%C3%A9") == "é");
}

TEST_CASE("percent_decode: lenient (S3 reads a query so) keeps a malformed escape; form encoding reads '+' as space") {
  PercentDecoding lenient{.strict = false, .plus_is_space = false};
  CHECK(percent_decode("a%2Fb%2fc+d%", lenient) == "a/b/c+d%");
  CHECK(percent_decode("%G1%4", lenient) == "%G1%4");
  PercentDecoding form{.strict = false, .plus_is_space = true};
  CHECK(percent_decode("a+b%2B", form) == "a b+");
}

TEST_CASE("percent_encode and percent_decode round-trip every byte") {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  CHECK(percent_decode(percent_encode(all)) == all);
  CHECK(percent_decode(percent_encode(all, "/:")) == all);
}

// --- query strings -----------------------------------------------------------------------------

TEST_CASE("parse_query: pairs decoded in their order, empty pairs skipped, a name alone has an empty value") {
  QueryParams q = parse_query("comp=block&&blockid=YWJj%2B%2F%3D&prefix=a%20b&uploads&x=1&x=2", "t");
  QueryParams want = {{"comp", "block"}, {"blockid", "YWJj+/="}, {"prefix", "a b"}, {"uploads", ""},
                      {"x", "1"},        {"x", "2"}};
  CHECK(q == want);
  CHECK(parse_query("", "t").empty());
  CHECK(parse_query("&&", "t").empty());
  CHECK(parse_query("a==b", "t") == QueryParams{{"a", "=b"}});
}

TEST_CASE("parse_query: strict decoding and require_value give errors that name the input") {
  CHECK(query_error("region=us%G0", {}) == "storage location \"x\": bad percent-encoding");
  QueryParsing location{.decoding = {}, .require_value = true};
  CHECK(query_error("region=x&s3ForcePathStyle", location) ==
        "storage location \"x\": query parameter \"s3ForcePathStyle\" is not key=value");
  CHECK(query_error("=x", location) == "storage location \"x\": query parameter \"=x\" is not key=value");
  CHECK(query_error("a=", location) == "<no error>");  // an empty value is a value
}

TEST_CASE("parse_query: lenient form decoding, as Go's url.ParseQuery reads the test API server's queries") {
  QueryParsing form{.decoding = {.strict = false, .plus_is_space = true}, .require_value = false};
  CHECK(parse_query("labelSelector=app+in+(a,b)&limit=%", "t", form) ==
        QueryParams{{"labelSelector", "app in (a,b)"}, {"limit", "%"}});
}

// --- HMAC-SHA256 -------------------------------------------------------------------------------

TEST_CASE("hmac_sha256: RFC 4231 test cases 1-7") {
  CHECK(hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(hex(hmac_sha256(std::string(20, '\xaa'), std::string(50, '\xdd'))) ==
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  std::string key4;
  for (char c = 1; c <= 25; ++c) key4.push_back(c);
  CHECK(hex(hmac_sha256(key4, std::string(50, '\xcd'))) ==
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // Test case 5 checks the first 128 bits only.
  CHECK(hex(hmac_sha256(std::string(20, '\x0c'), "Test With Truncation")).substr(0, 32) ==
        "a3b6167473100ee06e0c796c2955552b");
  // Keys longer than SHA-256's 64-byte block are hashed first.
  CHECK(hex(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(hex(hmac_sha256(std::string(131, '\xaa'),
                        "This is a test using a larger than block-size key and a larger than block-size data. "
                        "The key needs to be hashed before being used by the HMAC algorithm.")) ==
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  CHECK(hmac_sha256("", "").size() == 32);
}

TEST_CASE("hmac_sha256_base64: Azure's signature form is base64 of the same 32 bytes (RFC 4231 case 2)") {
  CHECK(hmac_sha256_base64("Jefe", "what do ya want for nothing?") == "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
  CHECK(hmac_sha256_base64("k", "m") == base64_encode(hmac_sha256("k", "m")));
}

// --- trimming ----------------------------------------------------------------------------------

TEST_CASE("trim_space: a token file's surrounding blanks and line ends go (client-go reads tokens so)") {
  CHECK(trim_space(" \t token-abc\r\n\n") == "token-abc");
  CHECK(trim_space("a b") == "a b");
  CHECK(trim_space(" \r\n\t").empty());
  CHECK(trim_space("").empty());
  CHECK(trim_space("\vx\f") == "\vx\f");  // only " \t\r\n"
}

TEST_CASE("trim: the caller's set (header values: blanks only; C isspace: also \\v \\f)") {
  CHECK(trim(" \t 30 \t", kBlanks) == "30");
  CHECK(trim("\r\n30\r\n", kBlanks) == "\r\n30\r\n");
  CHECK(trim("\v key = v \f\n", kCSpace) == "key = v");
}
