// spec §1.3: item JSON is Go encoding/json.Marshal of the unstructured map. Expected bytes below
// are what Go 1.22+ prints for the same input.
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace vbackup;

static std::string go(std::string_view json_text) {
  return json::marshal(json::parse(json_text, "test"));
}

TEST_CASE("spec §1.3: compact with keys sorted bytewise at every level") {
  CHECK(go(R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","labels":{"b":"1","B":"2","a":"3"}}})") ==
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"B":"2","a":"3","b":"1"},"name":"a"}})");
  // bytewise: uppercase before lowercase, "a.b" before "a/b" before "aa"
  CHECK(go(R"({"aa":1,"a/b":2,"a.b":3,"Z":4})") == R"({"Z":4,"a.b":3,"a/b":2,"aa":1})");
  CHECK(go(R"([{"b":1,"a":[{"d":1,"c":2}]}])") == R"([{"a":[{"c":2,"d":1}],"b":1}])");
  CHECK(go("{ }") == "{}");
  CHECK(go("[ ]") == "[]");
}

TEST_CASE("spec §1.3: HTML-sensitive characters and line separators are escaped") {
  CHECK(go(R"({"a":"<b>&amp;</b>"})") == R"({"a":"\u003cb\u003e\u0026amp;\u003c/b\u003e"})");
  CHECK(go("{\"a\":\"x\xE2\x80\xA8y\xE2\x80\xA9z\"}") == R"({"a":"x\u2028y\u2029z"})");
  // keys are escaped the same way
  CHECK(go(R"({"<k>":1})") == R"({"\u003ck\u003e":1})");
}

TEST_CASE("control characters use Go's short escapes, others \\u00XX lower-case hex") {
  CHECK(go(R"({"a":"\b\f\n\r\t\u0001\u001f\"\\/"})") == R"({"a":"\b\f\n\r\t\u0001\u001f\"\\/"})");
  CHECK(go(R"("\u007f")") == "\"\x7f\"");  // DEL is not escaped by Go
}

TEST_CASE("non-ASCII text passes through; invalid UTF-8 becomes U+FFFD") {
  CHECK(go(R"({"name":"caf\u00e9 ✓"})") == "{\"name\":\"caf\xC3\xA9 \xE2\x9C\x93\"}");
  json::value v = json::string("a\xFF" "b\xC3");
  CHECK(json::marshal(v) == R"("a\ufffdb\ufffd")");
  json::value surrogate = json::string("\xED\xA0\x80");  // CESU surrogate, not valid UTF-8
  CHECK(json::marshal(surrogate) == R"("\ufffd\ufffd\ufffd")");
}

TEST_CASE("numbers: integers stay integers, floats in Go's shortest form") {
  CHECK(go("[0,-1,9223372036854775807,-9223372036854775808]") ==
        "[0,-1,9223372036854775807,-9223372036854775808]");
  CHECK(go("1685906000388294100") == "1685906000388294100");  // above 2^53, exact (corpus quirk)
  CHECK(go("[0.5,0.15,1.0,100.25,-2.5]") == "[0.5,0.15,1,100.25,-2.5]");
  CHECK(go("[1e21,1e20,0.000001,0.0000001,1.5e-7,123456789e30]") ==
        "[1e+21,100000000000000000000,0.000001,1e-7,1.5e-7,1.23456789e+38]");
  // above int64: Kubernetes decodes to float64
  CHECK(go("18446744073709551615") == "18446744073709552000");
}

TEST_CASE("MarshalIndent keeps field order when asked and indents by two spaces") {
  json::value v = json::parse(R"({"kind":"Backup","apiVersion":"velero.io/v1","spec":{"a":[],"b":{},"c":[1,2]}})", "t");
  std::string out = json::marshal(v, {.sort_keys = false, .indent = 2});
  CHECK(out ==
        "{\n  \"kind\": \"Backup\",\n  \"apiVersion\": \"velero.io/v1\",\n  \"spec\": {\n    \"a\": [],\n"
        "    \"b\": {},\n    \"c\": [\n      1,\n      2\n    ]\n  }\n}");
}

TEST_CASE("parse errors name the input, line and column") {
  try {
    json::parse("{\n  \"a\": 1,\n  \"b\" 2\n}", "manifests/x.json");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid);
    CHECK(std::string(e.what()).starts_with("manifests/x.json: line 3, column 7: invalid JSON"));
  }
  CHECK_THROWS_AS(json::parse("{} x", "t"), Error);
  CHECK_THROWS_AS(json::parse("", "t"), Error);
  CHECK_THROWS_AS(json::parse("[1,", "t"), Error);
}

TEST_CASE("duplicate keys keep the last value, as Go's decoder does") {
  CHECK(go(R"({"a":1,"b":2,"a":3})") == R"({"a":3,"b":2})");
}

TEST_CASE("NaN and infinities are refused, as Go refuses them") {
  CHECK_THROWS_AS(json::marshal(json::value(std::numeric_limits<double>::infinity())), Error);
  CHECK_THROWS_AS(json::marshal(json::value(std::nan(""))), Error);
}

TEST_CASE("deep nesting within Go's limits parses") {
  std::string deep(200, '[');
  deep += std::string(200, ']');
  CHECK(go(deep) == deep);
}

TEST_CASE("floats in 'f' form use the shortest digits, zero-padded as Go pads them") {
  auto f = [](double d) { return json::marshal(json::value(d)); };
  CHECK(f(0.0) == "0");
  CHECK(f(-0.0) == "-0");
  CHECK(f(1e20) == "100000000000000000000");
  CHECK(f(123456.789) == "123456.789");
  CHECK(f(0.1 + 0.2) == "0.30000000000000004");
  CHECK(f(-0.00123) == "-0.00123");
  CHECK(f(1e-6) == "0.000001");
  CHECK(f(9.999e20) == "999900000000000000000");
  CHECK(f(2.5e-10) == "2.5e-10");
  CHECK(f(-1e300) == "-1e+300");
}

// encoding.hpp: the Go text encodings beside the JSON ones.
#include "core/encoding.hpp"

TEST_CASE("strconv.Quote escapes as Go does") {
  CHECK(go_quote("plain") == "\"plain\"");
  CHECK(go_quote("a\"b\\c") == R"("a\"b\\c")");
  CHECK(go_quote("\a\b\f\n\r\t\v") == R"("\a\b\f\n\r\t\v")");
  CHECK(go_quote(std::string("\x01\x7f", 2)) == R"("\x01\x7f")");
  CHECK(go_quote("caf\xC3\xA9") == "\"caf\xC3\xA9\"");  // printable UTF-8 kept
  CHECK(go_quote("\xFF") == R"("\xff")");                 // invalid UTF-8 as a byte
  CHECK(go_quote("\xC2\x85") == R"("\u0085")");           // C1 control
}

TEST_CASE("base64 StdEncoding as Go encodes and decodes it") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_decode("Zm9vYmFy") == std::optional<std::string>("foobar"));
  CHECK(base64_decode("Zm9v\r\nYmE=") == std::optional<std::string>("fooba"));  // CR/LF ignored
  CHECK(base64_decode("Zg==") == std::optional<std::string>("f"));
  CHECK_FALSE(base64_decode("Zg="));     // not padded
  CHECK_FALSE(base64_decode("Z==="));    // padding too early
  CHECK_FALSE(base64_decode("Zg==Zg==")); // data after padding
  CHECK_FALSE(base64_decode("Zm9*"));    // not the alphabet
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  CHECK(base64_decode(base64_encode(all)) == std::optional<std::string>(all));
}
