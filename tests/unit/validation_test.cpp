// spec §7.4: label keys and values, DNS-1123 names (k8s.io/apimachinery/pkg/util/validation).
#include "labels/validation.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace vbackup::validation;

static bool key_ok(std::string_view key) { return !qualified_name_error(key).has_value(); }
static bool value_ok(std::string_view value) { return !label_value_error(value).has_value(); }

TEST_CASE("spec §7.4: DNS-1123 label is 1-63 lower-case alphanumerics and inner dashes") {
  CHECK(is_dns1123_label("a"));
  CHECK(is_dns1123_label("my-name"));
  CHECK(is_dns1123_label("123-abc"));
  CHECK(is_dns1123_label(std::string(63, 'a')));
  CHECK_FALSE(is_dns1123_label(std::string(64, 'a')));
  CHECK_FALSE(is_dns1123_label(""));
  CHECK_FALSE(is_dns1123_label("-a"));
  CHECK_FALSE(is_dns1123_label("a-"));
  CHECK_FALSE(is_dns1123_label("A"));
  CHECK_FALSE(is_dns1123_label("a.b"));
  CHECK_FALSE(is_dns1123_label("a_b"));
}

TEST_CASE("spec §7.4: DNS-1123 subdomain is at most 253 characters of dot-separated labels") {
  CHECK(is_dns1123_subdomain("example.com"));
  CHECK(is_dns1123_subdomain("0.1.2.domain"));
  CHECK(is_dns1123_subdomain("a"));
  CHECK_FALSE(is_dns1123_subdomain(""));
  CHECK_FALSE(is_dns1123_subdomain("a..b"));
  CHECK_FALSE(is_dns1123_subdomain(".a"));
  CHECK_FALSE(is_dns1123_subdomain("a."));
  CHECK_FALSE(is_dns1123_subdomain("a.-b"));
  CHECK_FALSE(is_dns1123_subdomain("Example.com"));
  // Only the total length is limited (upstream has no per-label limit here).
  CHECK(is_dns1123_subdomain(std::string(100, 'a') + "." + std::string(100, 'b')));
  std::string s253 = std::string(125, 'a') + "." + std::string(127, 'b');
  REQUIRE(s253.size() == 253);
  CHECK(is_dns1123_subdomain(s253));
  CHECK_FALSE(is_dns1123_subdomain(s253 + "b"));
}

TEST_CASE("spec §7.4: key name part is 1-63 characters, mixed case, start and end alphanumeric") {
  CHECK(key_ok("x"));
  CHECK(key_ok("MyName"));
  CHECK(key_ok("my.name"));
  CHECK(key_ok("123-abc"));
  CHECK(key_ok("a_b-c.d"));
  CHECK(key_ok(std::string(63, 'a')));
  CHECK_FALSE(key_ok(std::string(64, 'a')));
  CHECK(*qualified_name_error(std::string(64, 'a')) == "name part must be no more than 63 characters");
  CHECK_FALSE(key_ok(""));
  CHECK_FALSE(key_ok("-a"));
  CHECK_FALSE(key_ok("a-"));
  CHECK_FALSE(key_ok("_a"));
  CHECK_FALSE(key_ok("a b"));
  CHECK_FALSE(key_ok("a|b"));
  CHECK_FALSE(key_ok("caf\xC3\xA9"));
}

TEST_CASE("spec §7.4: key prefix is a non-empty lower-case DNS-1123 subdomain of at most 253 characters") {
  CHECK(key_ok("example.com/MyName"));
  CHECK(key_ok("this-is-a-dns.domain.com/key-with-dash"));
  CHECK(key_ok("0.1.2.domain/99"));
  std::string p253 = std::string(125, 'a') + "." + std::string(127, 'b');
  CHECK(key_ok(p253 + "/name"));
  CHECK_FALSE(key_ok(p253 + "b/name"));
  CHECK(qualified_name_error(p253 + "b/name")->find("prefix part must be no more than 253 characters") == 0);
  // upper case is allowed in the name but not in the prefix
  CHECK_FALSE(key_ok("Example.com/name"));
  CHECK(qualified_name_error("Example.com/name")->find("prefix part a lowercase RFC 1123 subdomain") == 0);
  CHECK(*qualified_name_error("/name") == "prefix part must be non-empty");
  CHECK_FALSE(key_ok("example.com/"));
  CHECK(qualified_name_error("example.com/")->find("name part must be non-empty; name part must consist") == 0);
  // more than one '/'
  CHECK_FALSE(key_ok("a/b/c"));
  CHECK(qualified_name_error("a/b/c")->find("a valid label key must consist") == 0);
  // 254 characters without a prefix: the name part is too long
  CHECK_FALSE(key_ok(std::string(254, 'a')));
}

TEST_CASE("spec §7.4: a value is empty or at most 63 characters of the name form") {
  CHECK(value_ok(""));
  CHECK(value_ok("MyValue"));
  CHECK(value_ok("my_value"));
  CHECK(value_ok("12345"));
  CHECK(value_ok("10.10.100.1"));
  CHECK(value_ok(std::string(63, 'v')));
  CHECK_FALSE(value_ok(std::string(64, 'v')));
  CHECK(*label_value_error(std::string(64, 'v')) == "must be no more than 63 characters");
  CHECK_FALSE(value_ok(std::string(254, 'v')));
  CHECK_FALSE(value_ok("a b"));
  CHECK(label_value_error("a b")->find("a valid label must be an empty string or consist of") == 0);
  CHECK_FALSE(value_ok("-a"));
  CHECK_FALSE(value_ok("a."));
  CHECK_FALSE(value_ok("a/b"));
  CHECK_FALSE(value_ok("+5"));
  // too long and badly formed: both messages
  CHECK(label_value_error(std::string(64, '-'))->find("; ") != std::string::npos);
}
