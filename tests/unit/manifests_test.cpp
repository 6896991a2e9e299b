// Manifest reading, case by case: what the corpus does not cover. Expected values are what
// sigs.k8s.io/yaml (go-yaml v2) produces for the same input.
#include "test_helpers.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/manifests.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

using namespace vbackup;
using manifests::ManifestObject;

namespace {

struct Read {
  std::vector<ManifestObject> objects;
  std::vector<std::string> warnings;
};

Read read(std::string_view text, std::string_view source = "m.yaml") {
  Read r;
  manifests::read_manifests(
      text, source, [&](ManifestObject&& m) { r.objects.push_back(std::move(m)); },
      [&](const std::string& w) { r.warnings.push_back(w); });
  return r;
}

// The one object of a ConfigMap-like document, as Go JSON (keys sorted).
std::string one(std::string_view body) {
  Read r = read("apiVersion: v1\nkind: X\n" + std::string(body));
  REQUIRE(r.objects.size() == 1);
  json::object o = r.objects[0].object;
  o.erase("apiVersion");
  o.erase("kind");
  return json::marshal(o);
}

std::string error_of(std::string_view text, std::string_view source = "m.yaml") {
  ErrorCode code{};
  std::string msg = testing::error_of([&] { read(text, source); }, &code);
  if (msg.empty()) FAIL("no error for: " << text);
  CHECK(code == ErrorCode::invalid);
  return msg;
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("documents: index, line, empty documents and the `...` end marker") {
  Read r = read("---\napiVersion: v1\nkind: A\n---\n# nothing\n---\n\n\napiVersion: v1\nkind: B\n...\n---\n~\n---\n");
  REQUIRE(r.objects.size() == 2);
  CHECK(r.objects[0].document == 0);
  CHECK(r.objects[0].line == 2);
  CHECK(r.objects[0].source == "m.yaml");
  CHECK(r.objects[1].document == 2);  // document 1 has only a comment
  CHECK(r.objects[1].line == 9);
  CHECK(!r.objects[1].item);
  CHECK(read("").objects.empty());
  CHECK(read("# only a comment\n").objects.empty());
  CHECK(read("---\n").objects.empty());
}

TEST_CASE("YAML 1.1 booleans: exactly go-yaml v2's spellings") {
  CHECK(one("a: yes\nb: Yes\nc: YES\nd: on\ne: On\nf: ON\ng: y\nh: Y\ni: true\nj: True\nk: TRUE\n") ==
        R"({"a":true,"b":true,"c":true,"d":true,"e":true,"f":true,"g":true,"h":true,"i":true,"j":true,"k":true})");
  CHECK(one("a: no\nb: No\nc: NO\nd: off\ne: Off\nf: OFF\ng: n\nh: N\ni: false\nj: False\nk: FALSE\n") ==
        R"({"a":false,"b":false,"c":false,"d":false,"e":false,"f":false,"g":false,"h":false,"i":false,"j":false,"k":false})");
  // Mixed case is not in the table; quoted and block scalars are always strings.
  CHECK(one("a: yEs\nb: tRUE\nc: \"yes\"\nd: 'on'\ne: |-\n  no\n") ==
        R"({"a":"yEs","b":"tRUE","c":"yes","d":"on","e":"no"})");
}

TEST_CASE("YAML 1.1 integers: octal, hex, binary, separators, signs") {
  CHECK(one("a: 0755\nb: 0o17\nc: 0x1F\nd: 0X1f\ne: 0b101\nf: -0b101\ng: 1_000\nh: +12\ni: -0x10\nj: 0\nk: -0\n") ==
        R"({"a":493,"b":15,"c":31,"d":31,"e":5,"f":-5,"g":1000,"h":12,"i":-16,"j":0,"k":0})");
  // Not numbers: a leading underscore, a bad digit for the base, a bare prefix.
  CHECK(one("a: _1\nb: 0x\nc: 0b2\nd: 0xg\ne: 1,000\n") == R"({"a":"_1","b":"0x","c":"0b2","d":"0xg","e":"1,000"})");
  // 08 is no octal number, but it is a decimal float: 8.
  CHECK(one("a: 08\nb: 09.5\n") == R"({"a":8,"b":9.5})");
}

TEST_CASE("integers beyond 2^53 stay exact; beyond int64 they become float64 as Kubernetes reads them") {
  Read r = read("apiVersion: v1\nkind: X\na: 9007199254740993\nb: 9223372036854775807\nc: -9223372036854775808\n");
  const auto& o = r.objects.at(0).object;
  CHECK(o.at("a").as_int64() == 9007199254740993);
  CHECK(o.at("b").as_int64() == INT64_MAX);
  CHECK(o.at("c").as_int64() == INT64_MIN);
  CHECK(one("a: 9223372036854775808\nb: 18446744073709551615\nc: -9223372036854775809\n") ==
        R"({"a":9223372036854776000,"b":18446744073709552000,"c":-9223372036854776000})");
  // The sigs.k8s.io fork of go-yaml v2 keeps 0x/0o/0b integers beyond 64 bits as big.Int.
  CHECK(one("a: 0x10000000000000000\n") == R"({"a":18446744073709552000})");
  CHECK(one("a: -0x10000000000000000\n") == R"({"a":"-0x10000000000000000"})");
}

TEST_CASE("floats: YAML 1.1 forms; an integral float is an integer after the JSON round trip") {
  CHECK(one("a: 1.5\nb: .5\nc: -.5\nd: 1.\ne: 1e3\nf: 1.0\ng: -0.0\nh: 6.02e23\ni: 1e21\nj: 0.1\n") ==
        R"({"a":1.5,"b":0.5,"c":-0.5,"d":1,"e":1000,"f":1,"g":0,"h":6.02e+23,"i":1e+21,"j":0.1})");
  Read r = read("apiVersion: v1\nkind: X\na: 1.0\nb: 0.5\n");
  CHECK(r.objects[0].object.at("a").is_int64());
  CHECK(r.objects[0].object.at("b").is_double());
  // Out of float64 range: go-yaml keeps the text; sexagesimal numbers are not supported either.
  CHECK(one("a: 1e400\nb: 1:30\nc: .e3\nd: 1.5.0\n") == R"({"a":"1e400","b":"1:30","c":".e3","d":"1.5.0"})");
  // Underscores go before the number is parsed, so 1.5_0 is the float 1.5.
  CHECK(one("a: 1.5_0\n") == R"({"a":1.5})");
  CHECK(one("a: 1e-400\n") == R"({"a":0})");
  // Correctly rounded, also beyond 2^53 where the value makes the JSON round trip.
  CHECK(one("a: 9220368111111111111111\n") == R"({"a":9.220368111111111e+21})");
}

TEST_CASE(".inf and .nan cannot be encoded by Go's JSON: an error naming file and line") {
  std::string e = error_of("apiVersion: v1\nkind: X\nspec:\n  x: .inf\n", "deploy/app.yaml");
  CHECK(contains(e, "deploy/app.yaml: line 4, column 6: "));
  CHECK(contains(e, "infinity"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\nx: -.Inf\n"), "line 3"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\nx: .NaN\n"), "NaN"));
  // As a key .inf is just text.
  CHECK(one(".inf: a\n") == R"({".inf":"a"})");
}

TEST_CASE("null, timestamps and other plain scalars") {
  CHECK(one("a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: nULL\ng: \"\"\n") ==
        R"({"a":null,"b":null,"c":null,"d":null,"e":null,"f":"nULL","g":""})");
  // go-yaml decodes timestamps into interface{} as the original string.
  CHECK(one("a: 2021-09-14T23:39:01Z\nb: 2001-12-14\nc: 2001-12-14 21:59:43.10\n") ==
        R"({"a":"2021-09-14T23:39:01Z","b":"2001-12-14","c":"2001-12-14 21:59:43.10"})");
  CHECK(one("a: =\nb: <<\nc: -x\nd: x#y\ne: 1 # comment\n") == R"({"a":"=","b":"\u003c\u003c","c":"-x","d":"x#y","e":1})");
  // Beware: y and n are booleans even as keys (go-yaml v2 resolves keys like values).
  CHECK(one("y: 1\nn: 2\n") == R"({"false":2,"true":1})");
}

TEST_CASE("explicit tags") {
  CHECK(one("a: !!str 12\nb: !!int \"12\"\nc: !!float 1\nd: !!float \"1.5\"\ne: !!bool yes\nf: !!null ~\n"
            "g: !!str ~\nh: !!int 0x10\ni: !!binary aGVsbG8=\nj: !!str\nk: !!timestamp 2001-12-14\n") ==
        R"({"a":"12","b":12,"c":1,"d":1.5,"e":true,"f":null,"g":"~","h":16,"i":"hello","j":"","k":"2001-12-14"})");
  // !!map and !!seq, and tags go-yaml does not know, leave a scalar as text; on collections they
  // change nothing.
  CHECK(one("a: !!map foo\nb: !!seq 7\nc: !custom 12\nd: ! 12\ne: !!seq {x: 1}\nf: !!map [1]\n") ==
        R"({"a":"foo","b":"7","c":"12","d":"12","e":{"x":1},"f":[1]})");
  // %TAG directives expand handles.
  CHECK(one("a: !!str 1\n") == R"({"a":"1"})");
  Read r = read("%TAG !k! tag:yaml.org,2002:\n---\napiVersion: v1\nkind: X\na: !k!int \"7\"\n");
  CHECK(r.objects.at(0).object.at("a").as_int64() == 7);
  // A tag the value does not fit is go-yaml's error.
  CHECK(contains(error_of("apiVersion: v1\nkind: X\na: !!int abc\n"), "line 3, column 4: cannot decode !!str `abc` as a !!int"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\na: !!bool 1\n"), "cannot decode !!int `1` as a !!bool"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\na: !!null x\n"), "as a !!null"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\na: !!float 18446744073709551615\n"), "as a !!float"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\na: !!binary \"no base64!\"\n"), "invalid base64"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\na: !!timestamp soon\n"), "as a !!timestamp"));
}

TEST_CASE("anchors, aliases and merge keys") {
  CHECK(one("base: &b {x: 1, q: 2}\nm: *b\nl: &l [1, 2]\nw: [*l, *l]\ns: &s text\nt: *s\n") ==
        R"({"base":{"q":2,"x":1},"l":[1,2],"m":{"q":2,"x":1},"s":"text","t":"text","w":[[1,2],[1,2]]})");
  // A single map, explicit keys after `<<` override it.
  CHECK(one("b: &b {x: 1, q: 2}\nm:\n  <<: *b\n  q: 3\n") == R"({"b":{"q":2,"x":1},"m":{"q":3,"x":1}})");
  // A list of maps: earlier maps take precedence.
  CHECK(one("a: &a {x: 1}\nb: &b {x: 2, z: 3}\nm:\n  <<: [*a, *b]\n") ==
        R"({"a":{"x":1},"b":{"x":2,"z":3},"m":{"x":1,"z":3}})");
  // go-yaml v2 applies pairs in order: a `<<` after an explicit key overwrites it.
  CHECK(one("b: &b {q: 2}\nm: {q: 3, <<: *b}\n") == R"({"b":{"q":2},"m":{"q":2}})");
  // A quoted "<<" is an ordinary key; !!merge makes any "<<" a merge.
  CHECK(one("b: &b {q: 2}\nm: {\"<<\": *b}\nv: {!!merge <<: *b}\n") == R"({"b":{"q":2},"m":{"\u003c\u003c":{"q":2}},"v":{"q":2}})");
  CHECK(one("m:\n  <<: {x: 1}\n") == R"({"m":{"x":1}})");
  // Keys that come from merges are no duplicates.
  CHECK(read("apiVersion: v1\nkind: X\nb: &b {q: 2}\nm:\n  <<: *b\n  q: 3\n").warnings.empty());

  CHECK(contains(error_of("apiVersion: v1\nkind: X\nm: {<<: 1}\n"), "map merge requires map or sequence of maps"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\ns: &s [1]\nm: {<<: *s}\n"), "map merge requires map"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\nm: {<<: [{a: 1}, 2]}\n"), "map merge requires map"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\na: &a [*a]\n"), "anchor 'a' value contains itself"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\na: *nope\n"), "line 3, column 4: unknown anchor 'nope' referenced"));
  // A redefined anchor: aliases take the latest definition.
  CHECK(one("a: &x 1\nb: *x\nc: &x 2\nd: *x\n") == R"({"a":1,"b":1,"c":2,"d":2})");
}

TEST_CASE("alias bombs and deep nesting fail with a clear error instead of exhausting memory or stack") {
  std::string bomb = "apiVersion: v1\nkind: X\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 12; ++i) {
    std::string p = "a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*" + p + ", *" + p + ", *" + p + ", *" + p +
            ", *" + p + ", *" + p + ", *" + p + ", *" + p + ", *" + p + ", *" + p + "]\n";
  }
  CHECK(contains(error_of(bomb), "document contains excessive aliasing"));
  // Long strings copied by aliases are bounded too.
  std::string big(1 << 20, 'x');
  std::string text = "apiVersion: v1\nkind: X\ns: &s " + big + "\nl: [";
  for (int i = 0; i < 40; ++i) text += "*s, ";
  text += "*s]\n";
  CHECK(contains(error_of(text), "aliases expand to more than 16 MiB"));
  // Nesting: flow and block.
  CHECK(contains(error_of("apiVersion: v1\nkind: X\na: " + std::string(5000, '[') + std::string(5000, ']') + "\n"),
                 "m.yaml: line 3"));
  std::string deep = "apiVersion: v1\nkind: X\na:\n  ";
  for (int i = 0; i < 3000; ++i) deep += "- ";
  CHECK_THROWS_AS(read(deep + "x\n"), Error);
  // Aliases can nest what the parser saw as shallow: still bounded.
  std::string chain = "apiVersion: v1\nkind: X\nd0: &d0 " + std::string(400, '[') + std::string(400, ']') + "\n";
  for (int i = 1; i < 5; ++i)
    chain += "d" + std::to_string(i) + ": &d" + std::to_string(i) + " " + std::string(300, '[') + "*d" +
             std::to_string(i - 1) + std::string(300, ']') + "\n";
  CHECK(contains(error_of(chain), "nesting deeper than 1000 levels"));
}

TEST_CASE("non-string keys become strings as sigs.k8s.io/yaml formats them") {
  CHECK(one("1: a\n0x10: b\ntrue: c\nno: d\n1.5: e\n1e6: f\n100000: g\n0.1: h\n3.14159265358979: i\n-0.0: j\n1e-5: k\n") ==
        R"({"-0":"j","0.1":"h","1":"a","1.5":"e","100000":"g","16":"b","1e+06":"f","1e-05":"k","3.1415927":"i","false":"d","true":"c"})");
  CHECK(contains(error_of("apiVersion: v1\nkind: X\n~: a\n"), "line 3, column 1: a null mapping key"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\n18446744073709551615: a\n"), "unsupported map key"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\n[a]: b\n"), "invalid map key"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\n? {a: 1}\n: b\n"), "invalid map key"));
}

TEST_CASE("duplicate keys: the last value wins, with a warning naming file, line and key") {
  Read r = read("apiVersion: v1\nkind: X\nmetadata:\n  name: a\n  labels: {x: 1}\n  name: b\n", "dup.yaml");
  REQUIRE(r.objects.size() == 1);
  CHECK(json::metadata_string(r.objects[0].object, "name") == "b");
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] == "dup.yaml: line 6: duplicate key \"name\" (the last value is used)");
  // Keys that become the same string are duplicates too (1 and "1"); an anchored mapping warns once.
  CHECK(read("apiVersion: v1\nkind: X\n1: a\n\"1\": b\n").warnings.size() == 1);
  CHECK(read("apiVersion: v1\nkind: X\na: &a {k: 1, k: 2}\nb: *a\nc: *a\n").warnings.size() == 1);
}

TEST_CASE("%YAML directives, byte order mark, CRLF, block scalars") {
  CHECK(read("%YAML 1.1\n---\napiVersion: v1\nkind: X\n").objects.size() == 1);
  // go-yaml v2 accepts only YAML 1.1.
  CHECK(contains(error_of("%YAML 1.2\n---\napiVersion: v1\nkind: X\n"), "m.yaml: line 1, column 1: found incompatible YAML document"));
  Read bom = read("\xEF\xBB\xBF" "apiVersion: v1\r\nkind: X\r\ndata:\r\n  a: |\r\n    x\r\n    y\r\n  b: \"q\"\r\n");
  REQUIRE(bom.objects.size() == 1);
  CHECK(json::marshal(bom.objects[0].object) == R"({"apiVersion":"v1","data":{"a":"x\ny\n","b":"q"},"kind":"X"})");
  CHECK(one("a: |\n  x\n  y\nb: >\n  x\n  y\nc: |-\n  x\nd: |+\n  x\n\ne: >+\n  x\n\nf: >-\n  a\n\n  b\n") ==
        R"({"a":"x\ny\n","b":"x y\n","c":"x","d":"x\n\n","e":"x\n\n","f":"a\nb"})");
  CHECK(one("e: >+\n  x\n\n\n") == R"({"e":"x\n\n\n"})");
  CHECK(one("e: >+\n\n  x\n\n ") == R"({"e":"\nx\n\n"})");  // the last line has no line break
  CHECK(one("a: >+2\n   x\n\nb: >2+\n  x\n\n\nc: |+2\n  x\n\nd: >+\n\n") == R"({"a":" x\n\n","b":"x\n\n\n","c":"x\n\n","d":"\n"})");
  // A lone CR and NEL (U+0085) are line breaks in YAML 1.1, as for go-yaml.
  CHECK(one("a: 1\rb: |\r  x\r  y\rc: 2\xC2\x85" "d: 3\n") == R"({"a":1,"b":"x\ny\n","c":2,"d":3})");
  CHECK(one("a: \"\\u00e9\\x41\\t\\N\\_\"\nb: 'it''s'\n") == "{\"a\":\"\xC3\xA9" "A\\t\xC2\x85\xC2\xA0\",\"b\":\"it's\"}");
}

TEST_CASE("input that is not UTF-8, or not printable, is refused") {
  std::string utf16("\xFF\xFE" "a\0p\0i\0", 8);
  CHECK(contains(error_of(utf16, "w.yaml"), "w.yaml: the file is UTF-16"));
  CHECK(contains(error_of(std::string("a\0p\0i\0V\0", 8)), "UTF-16 or UTF-32"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\nname: caf\xE9\n"), "m.yaml: line 3, column 10: invalid UTF-8 (byte 0xE9)"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\nname: \x01\n"), "line 3, column 7: control characters are not allowed (U+0001)"));
}

TEST_CASE("malformed YAML: the message names file, line and column") {
  CHECK(error_of("apiVersion: v1\nkind: X\nmetadata: a: b\n", "manifests/app.yaml") ==
        "manifests/app.yaml: line 3, column 12: mapping values are not allowed here");
  CHECK(contains(error_of("apiVersion: v1\nkind: X\nx: [1, 2\n"), "m.yaml: line "));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\nx: \"open\n"), "line 4, column 1: found unexpected end of stream"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\nx: 'open\n"), "found unexpected end of stream"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\nx: \"a\\/b\"\n"), "line 3, column 6: found unknown escape character"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\nx: \"\\q\"\n"), "line 3"));
  // A line with no colon inside a block mapping (yaml-cpp alone would make it a key).
  CHECK(error_of("apiVersion: v1\nkind: X\nmetadata:\n  name: x\n  labels\n") ==
        "m.yaml: line 5, column 3: could not find expected ':'");
  // A first line indented deeper than the rest: yaml-cpp alone would split the document in two.
  CHECK(contains(error_of("  apiVersion: v1\nkind: X\n"), "m.yaml: line 1: the object has no kind"));
  CHECK(contains(error_of("apiVersion: v1\nkind: X\n...\napiVersion: v1\nkind: Y\n"),
                 "m.yaml: line 4, column 1: did not find expected <document start>"));
  // A key at the very end of the input, without a line break, is fine.
  CHECK(read("apiVersion: v1\nkind: X\ndata:").objects.at(0).object.at("data").is_null());
  // A stray ',' outside any collection.
  CHECK(contains(error_of(" ,!"), "m.yaml: line 1, column 2: did not find expected node content"));
}

TEST_CASE("a document must be a Kubernetes object") {
  CHECK(error_of("- a\n- b\n") ==
        "m.yaml: line 1: document 0 is a sequence, not a Kubernetes object (a mapping with apiVersion and kind)");
  CHECK(contains(error_of("apiVersion: v1\nkind: X\n---\njust text\n"), "m.yaml: line 4: document 1 is a string"));
  CHECK(contains(error_of("apiVersion: v1\nmetadata: {name: a}\n"), "m.yaml: line 1: the object has no kind"));
  CHECK(contains(error_of("kind: X\n"), "the object has no apiVersion"));
  CHECK(contains(error_of("apiVersion: 1\nkind: X\n"), "apiVersion must be a string, not a number"));
  CHECK(contains(error_of("apiVersion: v1\nkind: \"\"\n"), "kind is empty"));
  CHECK(contains(error_of("{}"), "the object has no apiVersion"));
}

TEST_CASE("*List documents are expanded into their items") {
  Read r = read("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
                "- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n");
  REQUIRE(r.objects.size() == 2);
  CHECK(r.objects[0].item == 0);
  CHECK(r.objects[1].item == 1);
  CHECK(json::get_string(r.objects[1].object, "kind") == "Secret");
  CHECK(r.objects[1].line == 1);
  // Items without apiVersion and kind take them from the list, as Kubernetes' list decoding does.
  Read typed = read("apiVersion: v1\nkind: ConfigMapList\nitems:\n- metadata: {name: a}\n");
  REQUIRE(typed.objects.size() == 1);
  CHECK(json::get_string(typed.objects[0].object, "kind") == "ConfigMap");
  CHECK(json::get_string(typed.objects[0].object, "apiVersion") == "v1");
  CHECK(read("apiVersion: v1\nkind: List\nitems: []\n").objects.empty());
  CHECK(read("apiVersion: v1\nkind: List\nitems: null\n").objects.size() == 1);  // as the corpus counts it
  // `items` on a kind that is no List is an ordinary field.
  CHECK(read("apiVersion: v1\nkind: Thing\nitems: [1, 2]\n").objects.size() == 1);
  CHECK(contains(error_of("apiVersion: v1\nkind: List\nitems:\n- 7\n"), "m.yaml: line 1: items[0]: an item is a number"));
  CHECK(contains(error_of("apiVersion: v1\nkind: List\nitems:\n- {kind: A}\n"), "items[0]: the object has no apiVersion"));
  CHECK(contains(error_of("apiVersion: v1\nkind: List\nitems: {a: 1}\n"), "must be a sequence"));
}

TEST_CASE("JSON files, one or more values; JSON that is really YAML and YAML that is JSON") {
  Read r = read("{\"apiVersion\": \"v1\", \"kind\": \"A\", \"n\": 1.0, \"big\": 1685906000388294100, \"s\": \"<&>\"}\n"
                "  {\"apiVersion\": \"v1\", \"kind\": \"B\"}",
                "x.json");
  REQUIRE(r.objects.size() == 2);
  CHECK(r.objects[0].object.at("big").as_int64() == 1685906000388294100);
  CHECK(json::marshal(r.objects[0].object) ==
        R"({"apiVersion":"v1","big":1685906000388294100,"kind":"A","n":1,"s":"\u003c\u0026\u003e"})");
  CHECK(r.objects[1].document == 1);
  CHECK(r.objects[1].line == 2);
  // Flow-style YAML in a .json file.
  Read y = read("{apiVersion: v1, kind: A, x: yes}", "y.json");
  REQUIRE(y.objects.size() == 1);
  CHECK(y.objects[0].object.at("x").as_bool());
  // A YAML file holding JSON.
  CHECK(read("\n{\"apiVersion\": \"v1\", \"kind\": \"A\"}\n", "j.yaml").objects.size() == 1);
  CHECK(contains(error_of("[{\"apiVersion\": \"v1\", \"kind\": \"A\"}]", "l.json"), "document 0 is a sequence"));
  std::string e = error_of("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"A\",\n  \"x\": [1,\n", "bad.json");
  CHECK(contains(e, "bad.json: line "));
  CHECK(contains(e, "invalid JSON"));
  CHECK(contains(e, "read as YAML"));
  CHECK(contains(error_of("{\"apiVersion\": \"v1\", \"kind\": \"A\", \"x\": 1e400}", "n.json"),
                 "n.json: line 1: a number is out of range"));
  Read list = read(R"({"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"A"}]})");
  REQUIRE(list.objects.size() == 1);
  CHECK(list.objects[0].item == 0);
}

TEST_CASE("find_manifest_files: kubectl apply -f DIR -R") {
  namespace fs = std::filesystem;
  testing::TempDir tmp("manifests");
  const fs::path& dir = tmp.path;
  for (const char* f : {"b.yaml", "a-b.yaml", "a/b.yaml", "a/c.yml", "a/d.json", ".hidden/e.yaml", "f.YAML", "g.txt",
                        "sub/dir/h.yaml"}) {
    tmp.write(f, "apiVersion: v1\nkind: ConfigMap\n");
  }
  std::vector<fs::path> got = manifests::find_manifest_files(dir);
  std::vector<std::string> rel;
  for (const auto& p : got) rel.push_back(fs::relative(p, dir).generic_string());
  CHECK(rel == std::vector<std::string>{".hidden/e.yaml", "a/b.yaml", "a/c.yml", "a/d.json", "a-b.yaml", "b.yaml",
                                        "sub/dir/h.yaml"});
  CHECK(manifests::find_manifest_files(dir / "g.txt") == std::vector<fs::path>{dir / "g.txt"});
  try {
    manifests::find_manifest_files(dir / "missing");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::not_found);
  }
  int objects = 0;
  for (const auto& p : got) manifests::read_manifest_file(p, [&](ManifestObject&& m) { ++objects; CHECK(m.source == p.string()); }, {});
  CHECK(objects == 7);
  try {
    manifests::read_manifest_file(dir / "missing.yaml", [](ManifestObject&&) {}, {});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::io);
  }
}

TEST_CASE("to_yaml: multi-line strings read back exactly (literal block only where `|` keeps them)") {
  // A literal block "|" clips to one final newline and takes its indentation from the first line:
  // every other multi-line string is written double-quoted with escapes.
  for (std::string s : {"a\nb", "a\nb\n", "a\nb\n\n", "\nleading", " indented\nsecond\n", "tab\tand\nCR\r\n",
                        "line\n  more indented\n", "x\n\n\ny\n", "bell\a\n"}) {
    json::object o{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"data", json::object{{"k", s}}}};
    std::string yaml = manifests::to_yaml(o);
    Read r = read(yaml);
    REQUIRE(r.objects.size() == 1);
    CHECK_MESSAGE(r.objects[0].object.at("data").at("k").as_string() == s, yaml);
  }
  // Velero's CRD descriptions end without a newline: no "|" block then.
  CHECK(manifests::to_yaml(json::object{{"d", "a\nb"}}).find('|') == std::string::npos);
  CHECK(manifests::to_yaml(json::object{{"d", "a\nb\n"}}).rfind("d: |\n  a\n  b\n", 0) == 0);
}
