// spec §5.1: gobwas/glob compiled without separators, as Velero's globStringSet does.
#include "vbackup/error.hpp"
#include "filter/filter.hpp"

#include <doctest/doctest.h>

using vbackup::Error;
using vbackup::filter::Glob;

static bool m(const char* pattern, const char* text) { return Glob::compile(pattern).match(text); }

TEST_CASE("spec §5.1: * matches any run of characters including . and /") {
  CHECK(m("*", ""));
  CHECK(m("*", "anything/at.all"));
  CHECK(m("*.example.com", "foo.example.com"));
  CHECK(m("*.example.com", "a.b.example.com"));
  CHECK_FALSE(m("*.example.com", "example.com"));
  CHECK(m("kube-*", "kube-system"));
  CHECK_FALSE(m("kube-*", "my-kube-system"));
  CHECK(m("a*b*c", "abc"));
  CHECK(m("a*b*c", "aXbYc"));
  CHECK_FALSE(m("a*b*c", "aXbY"));
  CHECK(m("**", "x/y"));                // super-asterisk is the same without separators
  CHECK(m("a**z", "abcz"));
}

TEST_CASE("spec §5.1: whole-string, case-sensitive matching") {
  CHECK(m("pods", "pods"));
  CHECK_FALSE(m("pods", "Pods"));
  CHECK_FALSE(m("pod", "pods"));
  CHECK(m("", ""));
  CHECK_FALSE(m("", "x"));
}

TEST_CASE("spec §5.1: ? matches exactly one character (a code point)") {
  CHECK(m("?at", "cat"));
  CHECK_FALSE(m("?at", "at"));
  CHECK_FALSE(m("?at", "flat"));
  CHECK(m("caf?", "café"));  // é is two bytes, one character
}

TEST_CASE("spec §5.1: character sets and ranges") {
  CHECK(m("[abc]at", "bat"));
  CHECK_FALSE(m("[abc]at", "dat"));
  CHECK(m("[!abc]at", "dat"));
  CHECK_FALSE(m("[!abc]at", "cat"));
  CHECK(m("ns-[0-9]", "ns-7"));
  CHECK_FALSE(m("ns-[0-9]", "ns-x"));
  CHECK(m("ns-[!0-9]", "ns-x"));
  CHECK(m("[\\]]", "]"));  // escaped ] inside a list
}

TEST_CASE("spec §5.1: {a,b} alternatives, nested; , and } are literal outside braces") {
  CHECK(m("{cat,bat}", "bat"));
  CHECK_FALSE(m("{cat,bat}", "rat"));
  CHECK(m("{a,b{c,d}}e", "bde"));
  CHECK(m("{a,b{c,d}}e", "ae"));
  CHECK_FALSE(m("{a,b{c,d}}e", "be"));
  CHECK(m("x{,y}", "x"));
  CHECK(m("a,b", "a,b"));
  CHECK(m("a}", "a}"));
  CHECK(m("{a,b", "b"));  // gobwas closes an unclosed { at the end
}

TEST_CASE("spec §5.1: backslash escapes a special character") {
  CHECK(m("\\*", "*"));
  CHECK_FALSE(m("\\*", "x"));
  CHECK(m("a\\?", "a?"));
  CHECK(m("a\\", "a"));  // a trailing backslash is dropped
}

TEST_CASE("patterns gobwas refuses are errors that name the pattern and position") {
  for (const char* bad : {"[", "[a", "[]", "[!]", "[z-a]", "[a-b", "x[a-]", "\xFF"}) {
    CAPTURE(bad);
    try {
      Glob::compile(bad);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("glob pattern") != std::string::npos);
      CHECK(std::string(e.what()).find("position") != std::string::npos);
    }
  }
}

TEST_CASE("matching stays linear on patterns that make backtracking matchers explode") {
  std::string text(5000, 'a');
  CHECK_FALSE(m("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", text.c_str()));
  CHECK(m("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*", text.c_str()));
}

// brief "patch": gobwas glob.Compile(pattern, '.') as Velero's resource modifiers compile groupResource
// (restore §2.10): `*` and `?` stop at a separator, `**` crosses it.
TEST_CASE("restore §2.10 groupResource globs: separators stop * and ?, not **") {
  auto g = [](std::string_view p) { return vbackup::filter::Glob::compile(p, U"."); };
  CHECK(g("*").match("pods"));
  CHECK_FALSE(g("*").match("deployments.apps"));
  CHECK(g("*.apps").match("deployments.apps"));
  CHECK_FALSE(g("*.apps").match("foo.bar.apps"));
  CHECK(g("**").match("foo.bar.apps"));
  CHECK(g("**.apps").match("foo.bar.apps"));
  CHECK(g("deployments.*").match("deployments.apps"));
  CHECK(g("?ods").match("pods"));
  CHECK_FALSE(g("pods?apps").match("pods.apps"));
  CHECK(g("{pods,*.apps}").match("deployments.apps"));
  CHECK(g("[!a]ods").match("pods"));
  CHECK(g("[!a]ods").match(".ods"));  // a set is not limited by separators, as in gobwas
  CHECK(g("*").match(""));
  CHECK(vbackup::filter::Glob::compile("*").match("deployments.apps"));  // no separators: as before
}
