// spec §7: label selectors. The numbered vectors are spec §7.5 (from upstream pkg/labels/selector_test.go).
#include "test_helpers.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/labels.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace vbackup;
using namespace vbackup::labels;

namespace {

std::string canonical(std::string_view text) { return Selector::parse(text).to_string(); }

// The message of the Error(invalid) that parsing throws, or "<no error>".
std::string parse_error(std::string_view text) {
  try {
    Selector::parse(text);
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid);
    return e.what();
  }
  return "<no error>";
}

// True when parsing fails and the message points at `position`.
bool fails_at(std::string_view text, int position) {
  std::string message = parse_error(text);
  bool ok = message.find(": position " + std::to_string(position) + ": ") != std::string::npos;
  if (!ok) MESSAGE("parse of \"", std::string(text), "\" gave: ", message);
  return ok;
}

bool matches(std::string_view selector, const LabelMap& labels) { return Selector::parse(selector).matches(labels); }

Requirement req(std::string key, Operator op, std::vector<std::string> values = {}) {
  return Requirement::make(std::move(key), op, std::move(values));
}

std::string error_of(auto&& f) {
  ErrorCode code{};
  std::string msg = testing::error_of([&] { f(); }, &code);
  if (msg.empty()) return "<no error>";
  CHECK(code == ErrorCode::invalid);
  return msg;
}

json::value js(std::string_view text) { return json::parse(text, "test"); }

}  // namespace

// --- spec §7.5 parse vectors ------------------------------------------------------------------------

TEST_CASE("spec §7.5 #1-#3: simple selectors re-stringify to themselves") {
  CHECK(canonical("x=a,y=b,z=c") == "x=a,y=b,z=c");
  CHECK(Selector::parse("").empty());
  CHECK(canonical("") == "");
  CHECK(Selector::parse("").matches(LabelMap{{"x", "y"}}));
  CHECK(canonical("x!=a,y=b") == "x!=a,y=b");
}

TEST_CASE("spec §7.5 #4-#6: a missing value after = is the empty string") {
  auto s = Selector::parse("x=");
  REQUIRE(s.requirements().size() == 1);
  CHECK(s.requirements()[0] == Requirement{"x", Operator::equals, {""}});
  CHECK(s.to_string() == "x=");
  CHECK(canonical("x= ") == "x=");
  CHECK(canonical("x=,z= ") == "x=,z=");
  CHECK(canonical("x= ,z= ") == "x=,z=");
}

TEST_CASE("spec §7.5 #7-#8: !x, x>1, x>1,z<5") {
  CHECK(Selector::parse("!x").requirements()[0] == Requirement{"x", Operator::does_not_exist, {}});
  CHECK(canonical("!x") == "!x");
  CHECK(Selector::parse("x>1").requirements()[0] == Requirement{"x", Operator::greater_than, {"1"}});
  auto s = Selector::parse("x>1,z<5");
  CHECK(s.requirements()[1] == Requirement{"z", Operator::less_than, {"5"}});
  CHECK(s.to_string() == "x>1,z<5");
}

TEST_CASE("spec §7.5 #9-#12: errors carry the position of the offending token") {
  // '|' is not special, so "a||y" is one identifier; it is rejected as a label value first.
  CHECK(fails_at("x=a||y=b", 3));
  CHECK(parse_error("x=a||y=b").find("invalid label value \"a||y\"") != std::string::npos);
  CHECK(fails_at("x==a==b", 5));
  CHECK(parse_error("x==a==b") ==
        "selector \"x==a==b\": position 5: found '==', expected ',' or end of input");
  CHECK(fails_at("!x=a", 3));
  CHECK(fails_at("x<a", 3));
  CHECK(parse_error("x<a").find("must be an integer") != std::string::npos);
}

TEST_CASE("spec §7.5 #13-#16: whitespace, prefixed keys and dotted values") {
  CHECK(Selector::parse("\rx").requirements()[0] == Requirement{"x", Operator::exists, {}});
  CHECK(Selector::parse("this-is-a-dns.domain.com/key-with-dash").requirements()[0] ==
        Requirement{"this-is-a-dns.domain.com/key-with-dash", Operator::exists, {}});
  CHECK(Selector::parse("this-is-another-dns.domain.com/key-with-dash in (so,what)").requirements()[0] ==
        Requirement{"this-is-another-dns.domain.com/key-with-dash", Operator::in, {"so", "what"}});
  CHECK(Selector::parse("0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)").requirements()[0] ==
        Requirement{"0.1.2.domain/99", Operator::not_in, {"10.10.100.1", "tick.tack.clock"}});
}

TEST_CASE("spec §7.5 #17: tabs and newlines are whitespace") {
  CHECK(Selector::parse("foo  in\t (abc)").requirements()[0] == Requirement{"foo", Operator::in, {"abc"}});
  CHECK(Selector::parse("x notin\n (abc)").requirements()[0] == Requirement{"x", Operator::not_in, {"abc"}});
  CHECK(canonical("x  notin\t\t(abc,def)") == "x notin (abc,def)");
}

TEST_CASE("spec §7.5 #18-#21: value sets collapse duplicates and keep empty items") {
  CHECK(Selector::parse("x in (abc,)").requirements()[0] == Requirement{"x", Operator::in, {"", "abc"}});
  CHECK(Selector::parse("x in (abc,abc)").requirements()[0] == Requirement{"x", Operator::in, {"abc"}});
  CHECK(Selector::parse("x in ()").requirements()[0] == Requirement{"x", Operator::in, {""}});
  CHECK(Selector::parse("x notin ( )").requirements()[0] == Requirement{"x", Operator::not_in, {""}});
  CHECK(canonical("x in ()") == "x in ()");
  CHECK(Selector::parse("x in (a,,a,,a,,a)").requirements()[0] == Requirement{"x", Operator::in, {"", "a"}});
  CHECK(canonical("x in (a,,a,,a,,a)") == "x in (,a)");
}

TEST_CASE("spec §7.5 #21 corrected: upstream rejects \",,\" right before ')'") {
  // The spec lists "x in (a,,a,,a,,a,,)" as ok, but parseIdentifiersList consumes the second comma
  // of ",," and then finds ')' where it wants ',' or an identifier. Kubernetes' parser (and so the
  // API server) rejects it; we follow the code. One or three commas before ')' are fine.
  CHECK(fails_at("x in (a,,a,,a,,a,,)", 19));
  CHECK(parse_error("x in (a,,)").find("found ')', expected ',' or an identifier") != std::string::npos);
  CHECK(fails_at("x in (,,)", 9));
  CHECK(canonical("x in (a,)") == "x in (,a)");
  CHECK(canonical("x in (a,,,)") == "x in (,a)");
  CHECK(canonical("x in (,)") == "x in ()");
}

TEST_CASE("spec §7.5 #22: sorted requirements") {
  auto s = Selector::parse("x notin (abc,,def),bar,z in (),w");
  REQUIRE(s.requirements().size() == 4);
  CHECK(s.requirements()[0] == Requirement{"bar", Operator::exists, {}});
  CHECK(s.requirements()[1] == Requirement{"w", Operator::exists, {}});
  CHECK(s.requirements()[2] == Requirement{"x", Operator::not_in, {"", "abc", "def"}});
  CHECK(s.requirements()[3] == Requirement{"z", Operator::in, {""}});
  CHECK(s.to_string() == "bar,w,x notin (,abc,def),z in ()");
  // deterministic parse (TestDeterministicParse)
  CHECK(Selector::parse("x=a,a=x") == Selector::parse("a=x,x=a"));
  CHECK(canonical("x=a,a=x") == "a=x,x=a");
}

TEST_CASE("spec §7.5 #23-#25: leading empty item, trailing space, keywords as values") {
  CHECK(Selector::parse("x notin (, a)").requirements()[0] == Requirement{"x", Operator::not_in, {"", "a"}});
  CHECK(Selector::parse("a ").requirements()[0] == Requirement{"a", Operator::exists, {}});
  CHECK(Selector::parse("a in (x,y,notin, z,in)").requirements()[0] ==
        Requirement{"a", Operator::in, {"in", "notin", "x", "y", "z"}});
}

TEST_CASE("spec §7.5 #26-#31: malformed selectors") {
  CHECK(fails_at("x,,y", 3));
  CHECK(fails_at(",x,y", 1));
  CHECK(fails_at("x nott in (y)", 3));
  CHECK(parse_error("x nott in (y)").find("found 'nott', expected one of in, notin, =, ==, !=, gt, lt") !=
        std::string::npos);
  CHECK(fails_at("a in (xyz),", 12));
  CHECK(parse_error("a in (xyz),").find("found end of input") != std::string::npos);
  CHECK(fails_at("a in (xyz)b notin ()", 11));
  CHECK(fails_at("a in (xyz abc)", 11));
  CHECK(fails_at("a notin(", 9));
  CHECK(fails_at("a (", 3));
  CHECK(fails_at("(", 1));
  CHECK(parse_error("x in (a") == "selector \"x in (a\": position 8: found end of input, expected ',' or ')'");
}

TEST_CASE("spec §7.5 #32: equals, not-equals and a set together") {
  auto s = Selector::parse("x=a,y!=b,z in (h,i,j)");
  REQUIRE(s.requirements().size() == 3);
  CHECK(s.requirements()[0] == Requirement{"x", Operator::equals, {"a"}});
  CHECK(s.requirements()[1] == Requirement{"y", Operator::not_equals, {"b"}});
  CHECK(s.requirements()[2] == Requirement{"z", Operator::in, {"h", "i", "j"}});
}

// --- grammar details the vectors do not show -----------------------------------------------------------

TEST_CASE("spec §7.1: keywords are plain identifiers wherever a key or value is expected") {
  CHECK(canonical("in") == "in");
  CHECK(canonical("!notin") == "!notin");
  CHECK(canonical("notin=in") == "notin=in");
  CHECK(canonical("in in (in),notin notin (notin)") == "in in (in),notin notin (notin)");
  CHECK(fails_at("x in in", 6));  // after the operator a '(' is required
}

TEST_CASE("spec §7.1: special characters lex greedily into the longest operator") {
  CHECK(canonical("x==a") == "x==a");
  CHECK(canonical("x!=a") == "x!=a");
  CHECK(fails_at("x===a", 4));   // "==" then "=" where a value is expected
  CHECK(fails_at("x=!a", 3));    // "=" then "!"
  CHECK(fails_at("x<=1", 3));    // "<" then "=": no "<=" operator
  CHECK(fails_at("x=(a)", 3));
}

TEST_CASE("spec §7.4: keys are validated while parsing, values when the requirement is built") {
  CHECK(fails_at("Example.com/x", 1));
  CHECK(parse_error("Example.com/x").find("invalid label key \"Example.com/x\": prefix part") != std::string::npos);
  CHECK(fails_at("x=y,a/b/c", 5));
  CHECK(fails_at("x in (ok,-bad)", 10));
  CHECK(fails_at("x=" + std::string(64, 'v'), 3));
  CHECK(fails_at("x>-1", 3));   // ParseInt accepts it but "-1" is not a label value
  CHECK(fails_at("x>+1", 3));
  CHECK(fails_at("x>", 3));     // "" is not an integer
  CHECK(fails_at("x>99999999999999999999", 3));
  CHECK(canonical("x<9223372036854775807") == "x<9223372036854775807");
  CHECK(canonical("x>007") == "x>007");
}

TEST_CASE("Go lexer quirk: NUL ends the input where a token starts and is skipped right after one") {
  CHECK(canonical(std::string("x \0garbage((", 12)) == "x");
  CHECK(canonical(std::string("\0x", 2)) == "");
  CHECK(canonical(std::string("x=\0y", 4)) == "x=y");
  CHECK(canonical(std::string("x\0=y", 4)) == "x=y");
  CHECK(fails_at(std::string("x\0y", 3), 3));
  // messages escape control bytes
  CHECK(parse_error(std::string("(\x01", 2)).find("selector \"(\\x01\": position 1") == 0);
}

// --- spec §7.3 matching ------------------------------------------------------------------------------

TEST_CASE("spec §7.5 matching vectors") {
  CHECK(matches("", {{"x", "y"}}));
  CHECK(matches("x=y", {{"x", "y"}}));
  CHECK(matches("x=y,z=w", {{"x", "y"}, {"z", "w"}}));
  CHECK(matches("x!=y,z!=w", {{"x", "z"}, {"z", "a"}}));
  CHECK_FALSE(matches("x!=y,z!=w", {{"x", "z"}, {"z", "w"}}));
  CHECK(matches("notin=in", {{"notin", "in"}}));
  CHECK(matches("x", {{"x", "z"}}));
  CHECK_FALSE(matches("x", {{"y", "z"}}));
  CHECK(matches("!x", {{"y", "z"}}));
  CHECK_FALSE(matches("!x", {{"x", "z"}}));
  CHECK(matches("x>1", {{"x", "2"}}));
  CHECK_FALSE(matches("x>1", {{"x", "0"}}));
  CHECK(matches("x<1", {{"x", "0"}}));
  CHECK_FALSE(matches("x<1", {{"x", "2"}}));
  CHECK_FALSE(matches("x=z", {}));
  CHECK_FALSE(matches("x=y", {{"x", "z"}}));
  CHECK_FALSE(matches("x=y,z=w", {{"x", "w"}, {"z", "w"}}));
  const LabelMap set{{"foo", "bar"}, {"baz", "blah"}};
  CHECK(matches("foo=bar", set));
  CHECK(matches("baz=blah", set));
  CHECK(matches("foo=bar,baz=blah", set));
  CHECK_FALSE(matches("foo=blah", set));
  CHECK_FALSE(matches("baz=bar", set));
  CHECK_FALSE(matches("foo=bar,foobar=bar,baz=blah", set));
}

TEST_CASE("spec §7.5 requirement matching vectors") {
  const LabelMap xy{{"x", "foo"}, {"y", "baz"}};
  CHECK(Selector().add({req("x", Operator::in, {"foo"}), req("y", Operator::not_in, {"alpha"})}).matches(xy));
  CHECK_FALSE(Selector().add({req("x", Operator::in, {"foo"}), req("y", Operator::in, {"alpha"})}).matches(xy));
  const LabelMap y_empty{{"y", ""}};
  CHECK(Selector().add({req("x", Operator::not_in, {""}), req("y", Operator::exists)}).matches(y_empty));
  CHECK(Selector().add({req("x", Operator::does_not_exist), req("y", Operator::exists)}).matches(y_empty));
  CHECK_FALSE(Selector().add({req("x", Operator::not_in, {""}), req("y", Operator::does_not_exist)}).matches(y_empty));
  CHECK_FALSE(Selector().add({req("x", Operator::in, {""})}).matches(LabelMap{{"y", "baz"}}));
  CHECK(Selector().add({req("z", Operator::greater_than, {"1"})}).matches(LabelMap{{"z", "2"}}));
  CHECK_FALSE(Selector().add({req("z", Operator::greater_than, {"1"})}).matches(LabelMap{{"z", "v2"}}));
}

TEST_CASE("spec §7.3: gt/lt compare label values parsed like strconv.ParseInt") {
  CHECK(matches("x>1", {{"x", "+2"}}));  // ParseInt accepts a sign
  CHECK(matches("x<1", {{"x", "-5"}}));
  CHECK_FALSE(matches("x>1", {{"x", "2.0"}}));
  CHECK_FALSE(matches("x>1", {{"x", ""}}));
  CHECK_FALSE(matches("x>1", {{"x", "99999999999999999999"}}));
  CHECK_FALSE(matches("x>1", {}));
  CHECK(matches("x<0", {{"x", "-9223372036854775808"}}));
}

TEST_CASE("spec §7.3: nothing() matches nothing; Selector() matches everything") {
  CHECK(Selector().empty());
  CHECK(Selector().matches(LabelMap{}));
  auto none = Selector::nothing();
  CHECK(none.is_nothing());
  CHECK_FALSE(none.empty());
  CHECK_FALSE(none.matches(LabelMap{}));
  CHECK(none.to_string() == "");
  CHECK(none.add({req("x", Operator::exists)}).is_nothing());
  CHECK_FALSE(Selector::parse("x").empty());
}

TEST_CASE("matching metadata.labels of an object") {
  auto obj = js(R"({"metadata":{"labels":{"app":"web","tier":"fe"}}})").as_object();
  const json::object* labels = json::metadata_map(obj, "labels");
  CHECK(Selector::parse("app=web,tier in (fe,be)").matches(labels));
  CHECK_FALSE(Selector::parse("app=db").matches(labels));
  // no labels
  CHECK(Selector::parse("!app").matches(nullptr));
  CHECK(Selector().matches(nullptr));
  CHECK_FALSE(Selector::parse("app").matches(nullptr));
  CHECK_FALSE(Selector::nothing().matches(nullptr));
  // a non-string value makes unstructured GetLabels() return no labels at all
  auto odd = js(R"({"app":"web","replicas":3})").as_object();
  CHECK_FALSE(Selector::parse("app=web").matches(&odd));
  CHECK(Selector::parse("!app").matches(&odd));
}

// --- spec §7.5 constructor vectors and canonical strings ------------------------------------------------

TEST_CASE("spec §7.5 constructor vectors (labels.NewRequirement)") {
  CHECK(error_of([] { req("x", Operator::in, {}); }).find("values set can't be empty") != std::string::npos);
  CHECK(error_of([] { req("x", Operator::not_in, {}); }) != "<no error>");
  CHECK_NOTHROW(req("x", Operator::in, {"foo"}));
  CHECK_NOTHROW(req("x", Operator::not_in, {"foo"}));
  CHECK_NOTHROW(req("x", Operator::exists));
  CHECK_NOTHROW(req("x", Operator::does_not_exist));
  CHECK_NOTHROW(req("1foo", Operator::in, {"bar"}));
  CHECK_NOTHROW(req("1234", Operator::in, {"bar"}));
  CHECK_NOTHROW(req("y", Operator::greater_than, {"1"}));
  CHECK_NOTHROW(req("z", Operator::less_than, {"6"}));
  CHECK(error_of([] { req("foo", Operator::greater_than, {"bar"}); }).find("must be an integer") != std::string::npos);
  CHECK(error_of([] { req("barz", Operator::less_than, {"blah"}); }) != "<no error>");
  CHECK(error_of([] { req("y", Operator::greater_than, {}); }).find("exactly one value") != std::string::npos);
  CHECK(error_of([] { req(std::string(254, 'a'), Operator::exists); }).find("key: name part") != std::string::npos);
  CHECK(error_of([] { req("x", Operator::equals, {"a", "b"}); }).find("one single value") != std::string::npos);
  CHECK(error_of([] { req("x", Operator::equals, {"a", "a"}); }) != "<no error>");  // counted before dedup
  CHECK(error_of([] { req("x", Operator::exists, {"a"}); }).find("must be empty") != std::string::npos);
  CHECK(error_of([] { req("x", Operator::equals, {std::string(254, 'v')}); }).find("63 characters") != std::string::npos);
  CHECK(error_of([] { req("x", Operator::equals, {"a b"}); }).find("values[0]: \"a b\"") != std::string::npos);
  CHECK(error_of([] { req("x", static_cast<Operator>(99), {"a"}); }).find("Unsupported value") != std::string::npos);
  // every violation is reported
  CHECK(error_of([] { req("-x", Operator::in, {}); }).find("key: name part") == std::string("label requirement \"-x\": ").size());
  // values are kept as a sorted set
  CHECK(req("x", Operator::in, {"b", "a", "b"}).values == std::vector<std::string>{"a", "b"});
}

TEST_CASE("spec §7.5 canonical strings (TestToString)") {
  CHECK(Selector()
            .add({req("x", Operator::in, {"abc", "def"}), req("y", Operator::not_in, {"jkl"}), req("z", Operator::exists)})
            .to_string() == "x in (abc,def),y notin (jkl),z");
  CHECK(Selector()
            .add({req("x", Operator::not_in, {"abc", "def"}), req("y", Operator::not_equals, {"jkl"}),
                  req("z", Operator::does_not_exist)})
            .to_string() == "x notin (abc,def),y!=jkl,!z");
  CHECK(Selector()
            .add({req("x", Operator::not_in, {"abc"}), req("y", Operator::in, {"jkl", "mno"}),
                  req("z", Operator::not_in, {""})})
            .to_string() == "x notin (abc),y in (jkl,mno),z notin ()");
  CHECK(Selector()
            .add({req("x", Operator::equals, {"abc"}), req("y", Operator::double_equals, {"jkl"}),
                  req("z", Operator::not_equals, {"a"}), req("z", Operator::exists)})
            .to_string() == "x=abc,y==jkl,z!=a,z");
  CHECK(Selector()
            .add({req("x", Operator::greater_than, {"2"}), req("y", Operator::less_than, {"8"}), req("z", Operator::exists)})
            .to_string() == "x>2,y<8,z");
  // each canonical string parses back to itself
  for (const char* s : {"x in (abc,def),y notin (jkl),z", "x notin (abc,def),y!=jkl,!z",
                        "x notin (abc),y in (jkl,mno),z notin ()", "x=abc,y==jkl,z!=a,z", "x>2,y<8,z"})
    CHECK(canonical(s) == s);
}

TEST_CASE("selection operator strings") {
  CHECK(to_string(Operator::equals) == "=");
  CHECK(to_string(Operator::does_not_exist) == "!");
  CHECK(to_string(Operator::greater_than) == "gt");
  CHECK(to_string(Operator::not_in) == "notin");
}

// --- spec §7.3 metav1.LabelSelector ------------------------------------------------------------------

TEST_CASE("spec §7.3: LabelSelectorAsSelector: nil matches nothing, {} matches everything") {
  auto nil = from_label_selector(js("null"));
  CHECK(nil.is_nothing());
  CHECK_FALSE(nil.matches(LabelMap{{"a", "b"}}));
  auto all = from_label_selector(js("{}"));
  CHECK(all.empty());
  CHECK(all.matches(LabelMap{{"a", "b"}}));
  CHECK(from_label_selector(js(R"({"matchLabels":null,"matchExpressions":[]})")).empty());
  CHECK(from_label_selector(js(R"({"matchLabels":{}})")).empty());
}

TEST_CASE("spec §7.3: LabelSelectorAsSelector: matchLabels and matchExpressions are ANDed, sorted by key") {
  auto s = from_label_selector(js(R"({
    "matchLabels": {"tier": "fe", "app": "web"},
    "matchExpressions": [
      {"key": "env", "operator": "In", "values": ["prod", "dev"]},
      {"key": "app", "operator": "Exists"},
      {"key": "legacy", "operator": "DoesNotExist"},
      {"key": "zone", "operator": "NotIn", "values": ["b", "a", "b"]}]})"));
  CHECK(s.to_string() == "app=web,app,env in (dev,prod),!legacy,tier=fe,zone notin (a,b)");
  CHECK(s.matches(LabelMap{{"app", "web"}, {"tier", "fe"}, {"env", "dev"}}));
  CHECK_FALSE(s.matches(LabelMap{{"app", "web"}, {"tier", "fe"}, {"env", "qa"}}));
  CHECK_FALSE(s.matches(LabelMap{{"app", "web"}, {"tier", "fe"}, {"env", "dev"}, {"legacy", ""}}));
  CHECK_FALSE(s.matches(LabelMap{{"app", "web"}, {"tier", "fe"}, {"env", "dev"}, {"zone", "a"}}));
}

TEST_CASE("spec §7.3: LabelSelectorAsSelector rejects other operators and invalid requirements") {
  auto bad_op = error_of([] { from_label_selector(js(R"({"matchExpressions":[{"key":"x","operator":"Gt","values":["1"]}]})")); });
  CHECK(bad_op == "label selector: matchExpressions[0].operator: \"Gt\" is not a valid pod selector operator");
  CHECK(error_of([] { from_label_selector(js(R"({"matchExpressions":[{"key":"x","operator":"in","values":["a"]}]})")); }) !=
        "<no error>");  // operator names are case-sensitive
  CHECK(error_of([] { from_label_selector(js(R"({"matchExpressions":[{"key":"x"}]})")); }).find("\"\" is not a valid") !=
        std::string::npos);
  CHECK(error_of([] { from_label_selector(js(R"({"matchExpressions":[{"key":"x","operator":"In"}]})")); })
            .find("values set can't be empty") != std::string::npos);
  CHECK(error_of([] { from_label_selector(js(R"({"matchExpressions":[{"key":"x","operator":"Exists","values":["a"]}]})")); }) !=
        "<no error>");
  CHECK(error_of([] { from_label_selector(js(R"({"matchLabels":{"Bad.Prefix/x":"a"}})")); })
            .find("label selector: matchLabels[\"Bad.Prefix/x\"]: key: prefix part") == 0);
  CHECK(error_of([] { from_label_selector(js(R"({"matchLabels":{"x":"a b"}})")); }) != "<no error>");
  // JSON that is not a LabelSelector at all
  CHECK(error_of([] { from_label_selector(js(R"({"matchLabels":["a"]})")); }) == "label selector: matchLabels: expected object");
  CHECK(error_of([] { from_label_selector(js(R"({"matchLabels":{"a":1}})")); }) != "<no error>");
  CHECK(error_of([] { from_label_selector(js(R"({"matchExpressions":[{"key":"x","operator":"In","values":"a"}]})")); }) !=
        "<no error>");
  CHECK(error_of([] { from_label_selector(js("\"app=web\"")); }) != "<no error>");
}

TEST_CASE("spec §7.3: FormatLabelSelector prints <none> for empty and <error> for invalid selectors") {
  CHECK(format_label_selector(js("null")) == "<none>");
  CHECK(format_label_selector(js("{}")) == "<none>");  // spec §5.10 quirk: the API server rejects it
  CHECK(format_label_selector(js(R"({"matchLabels":{"app":"web"}})")) == "app=web");
  CHECK(format_label_selector(js(R"({"matchLabels":{"b":"2","a":"1"},"matchExpressions":[{"key":"c","operator":"In","values":["y","x"]}]})")) ==
        "a=1,b=2,c in (x,y)");
  CHECK(format_label_selector(js(R"({"matchExpressions":[{"key":"x","operator":"Bogus"}]})")) == "<error>");
  CHECK(format_label_selector(js(R"({"matchLabels":{"x":"-"}})")) == "<error>");
  CHECK_THROWS_AS(format_label_selector(js(R"({"matchLabels":7})")), Error);
}

TEST_CASE("spec §7.3: ParseToLabelSelector (CLI --selector)") {
  CHECK(json::marshal(parse_to_label_selector("app=web,tier in (fe,be),!legacy,env")) ==
        R"({"matchExpressions":[{"key":"env","operator":"Exists"},{"key":"legacy","operator":"DoesNotExist"},)"
        R"({"key":"tier","operator":"In","values":["be","fe"]}],"matchLabels":{"app":"web"}})");
  CHECK(json::marshal(parse_to_label_selector("")) == "{}");
  CHECK(json::marshal(parse_to_label_selector("x==a")) == R"({"matchLabels":{"x":"a"}})");
  CHECK(json::marshal(parse_to_label_selector("x=a,x=b")) == R"({"matchLabels":{"x":"b"}})");
  CHECK(json::marshal(parse_to_label_selector("x notin ()")) ==
        R"({"matchExpressions":[{"key":"x","operator":"NotIn","values":[""]}]})");
  // and back again
  for (const char* s : {"app=web,tier in (fe,be),!legacy,env", "x notin (,a)", "a=b"})
    CHECK(from_label_selector(parse_to_label_selector(s)).to_string() == canonical(s));
}

TEST_CASE("spec §7.3: ParseToLabelSelector rejects !=, > and <") {
  CHECK(error_of([] { parse_to_label_selector("a=b,x!=a"); }) ==
        "selector \"a=b,x!=a\": position 6: \"!=\" is not a valid label selector operator");
  CHECK(error_of([] { parse_to_label_selector("x>1"); }) ==
        "selector \"x>1\": position 2: \"gt\" isn't supported in label selectors");
  CHECK(error_of([] { parse_to_label_selector("x<1"); }).find("\"lt\" isn't supported") != std::string::npos);
  CHECK(error_of([] { parse_to_label_selector("x in (a"); }).find("position 8") != std::string::npos);
}

TEST_CASE("velero --or-selector splits on the literal \" or \"") {
  auto two = parse_or_selectors("k1=v1 or k2=v2");
  REQUIRE(two.size() == 2);
  CHECK(json::marshal(two[0]) == R"({"matchLabels":{"k1":"v1"}})");
  CHECK(json::marshal(two[1]) == R"({"matchLabels":{"k2":"v2"}})");
  auto groups = parse_or_selectors("k1=v1,k2=v2 or a1=b1,a2=b2");
  REQUIRE(groups.size() == 2);
  CHECK(format_label_selector(groups[0]) == "k1=v1,k2=v2");
  CHECK(format_label_selector(groups[1]) == "a1=b1,a2=b2");
  CHECK(parse_or_selectors("a or b in (x) or !c").size() == 3);
  // strings.Split: "" is one empty part, an empty part is the empty selector
  auto empty = parse_or_selectors("");
  REQUIRE(empty.size() == 1);
  CHECK(empty[0].empty());
  auto trailing = parse_or_selectors("a or ");
  REQUIRE(trailing.size() == 2);
  CHECK(trailing[1].empty());
  // only the spaced word splits; "or" elsewhere is part of the selector text
  CHECK(parse_or_selectors("color=red").size() == 1);
  CHECK(error_of([] { parse_or_selectors("a or"); }).find("position 3: found 'or'") != std::string::npos);
  // positions count from the start of the whole flag value
  CHECK(error_of([] { parse_or_selectors("k1=v1 or x in (a"); }) ==
        "selector \"k1=v1 or x in (a\": position 17: found end of input, expected ',' or ')'");
  CHECK(error_of([] { parse_or_selectors("x or y!=z"); }).find("position 7: \"!=\"") != std::string::npos);
}
