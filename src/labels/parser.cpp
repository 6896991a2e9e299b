// spec §7.1–7.2: the lexer and recursive-descent parser of labels.Parse, token for token, including
// its quirks (keywords are plain identifiers wherever a key or value is expected; "(a,,b)" and "(,a)"
// hold ""; a NUL byte acts as end of input at the start of a token and is skipped right after one).
#include "parse.hpp"

#include "core/encoding.hpp"
#include "vbackup/error.hpp"
#include "labels/validation.hpp"

#include <algorithm>

namespace vbackup::labels::detail {

namespace {

enum class Tok {
  end, close_par, comma, bang, double_equals, equals, greater, identifier, in, less, not_equals,
  not_in, open_par
};

struct Token {
  Tok kind;
  std::string_view text;
  std::size_t offset;  // 0-based, within the part being parsed
};

bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_special(char c) {
  switch (c) {
    case '=': case '!': case '(': case ')': case ',': case '>': case '<': return true;
    default: return false;
  }
}

Tok special_kind(char c) {
  switch (c) {
    case '=': return Tok::equals;
    case '!': return Tok::bang;
    case '(': return Tok::open_par;
    case ')': return Tok::close_par;
    case ',': return Tok::comma;
    case '>': return Tok::greater;
    default: return Tok::less;
  }
}

std::vector<Token> lex(std::string_view s) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  const std::size_t n = s.size();
  for (;;) {
    while (i < n && is_whitespace(s[i])) ++i;
    // Go's lexer reads byte 0 as "end of string", so a NUL where a token would start ends the input.
    if (i >= n || s[i] == '\0') {
      tokens.push_back({Tok::end, {}, i});
      return tokens;
    }
    const std::size_t start = i;
    Tok kind;
    if (is_special(s[i])) {
      // Longest known operator: only "==" and "!=" have two characters.
      if (i + 1 < n && (s[i] == '=' || s[i] == '!') && s[i + 1] == '=') {
        kind = s[i] == '=' ? Tok::double_equals : Tok::not_equals;
        i += 2;
      } else {
        kind = special_kind(s[i]);
        i += 1;
      }
    } else {
      while (i < n && !is_special(s[i]) && !is_whitespace(s[i]) && s[i] != '\0') ++i;
      std::string_view word = s.substr(start, i - start);
      kind = word == "in" ? Tok::in : word == "notin" ? Tok::not_in : Tok::identifier;
    }
    tokens.push_back({kind, s.substr(start, i - start), start});
    // The byte that ended the token was consumed rather than pushed back when it was a NUL.
    if (i < n && s[i] == '\0') ++i;
  }
}

class Parser {
 public:
  Parser(std::string_view whole, std::size_t offset, std::string_view part)
      : whole_(whole), offset_(offset), tokens_(lex(part)) {}

  std::vector<ParsedRequirement> parse() {
    std::vector<ParsedRequirement> out;
    for (;;) {
      const Token t = lookahead(Context::values);
      if (t.kind == Tok::end) break;
      if (t.kind != Tok::identifier && t.kind != Tok::bang)
        fail(t, "expected '!', an identifier or end of input");
      out.push_back(parse_requirement());
      const Token after = consume(Context::values);
      if (after.kind == Tok::end) break;
      if (after.kind != Tok::comma) fail(after, "expected ',' or end of input");
      const Token next = lookahead(Context::values);
      if (next.kind != Tok::identifier && next.kind != Tok::bang)
        fail(next, "expected an identifier or '!' after ','");
    }
    // Deterministic order (spec §7.2); stable like Go's insertion sort for small selectors.
    std::stable_sort(out.begin(), out.end(), [](const ParsedRequirement& a, const ParsedRequirement& b) {
      return a.requirement.key < b.requirement.key;
    });
    return out;
  }

 private:
  // In the values context (everywhere except the operator position) "in" and "notin" are identifiers.
  enum class Context { key_and_operator, values };

  struct Value {
    std::string text;
    std::size_t offset;
  };

  Token view(const Token& t, Context context) const {
    Token v = t;
    if (context == Context::values && (t.kind == Tok::in || t.kind == Tok::not_in)) v.kind = Tok::identifier;
    return v;
  }
  Token lookahead(Context context) const { return view(tokens_[std::min(position_, tokens_.size() - 1)], context); }
  Token consume(Context context) {
    Token t = lookahead(context);
    if (position_ < tokens_.size() - 1) ++position_;  // never past the end token
    return t;
  }

  [[noreturn]] void fail(const Token& t, std::string_view expected) const {
    std::string found = t.kind == Tok::end ? "end of input" : "'" + std::string(t.text) + "'";
    throw selector_error(whole_, offset_ + t.offset + 1, "found " + found + ", " + std::string(expected));
  }
  [[noreturn]] void fail_at(std::size_t offset, const std::string& detail) const {
    throw selector_error(whole_, offset_ + offset + 1, detail);
  }

  ParsedRequirement parse_requirement() {
    std::optional<Operator> op;
    Token t = consume(Context::values);
    const std::size_t first = t.offset;
    if (t.kind == Tok::bang) {
      op = Operator::does_not_exist;
      t = consume(Context::values);
    }
    if (t.kind != Tok::identifier) fail(t, "expected an identifier");
    std::string key(t.text);
    if (auto e = validation::qualified_name_error(key)) fail_at(t.offset, "invalid label key " + go_quote(key) + ": " + *e);
    const std::size_t key_offset = t.offset;

    const Tok next = lookahead(Context::values).kind;
    if (!op && (next == Tok::end || next == Tok::comma)) op = Operator::exists;
    // "!k" ends the requirement whatever follows; the caller then rejects anything but ',' (so "!x=a").
    if (op) return {Requirement{std::move(key), *op, {}}, offset_ + key_offset + 1, offset_ + first + 1};

    const Token op_token = consume(Context::key_and_operator);
    const std::size_t op_offset = op_token.offset;
    switch (op_token.kind) {
      case Tok::in: op = Operator::in; break;
      case Tok::not_in: op = Operator::not_in; break;
      case Tok::equals: op = Operator::equals; break;
      case Tok::double_equals: op = Operator::double_equals; break;
      case Tok::not_equals: op = Operator::not_equals; break;
      case Tok::greater: op = Operator::greater_than; break;
      case Tok::less: op = Operator::less_than; break;
      default: fail(op_token, "expected one of in, notin, =, ==, !=, gt, lt");
    }
    std::vector<Value> values =
        (*op == Operator::in || *op == Operator::not_in) ? parse_values() : parse_exact_value();

    // labels.NewRequirement, reported at the token of the first offending value.
    if (*op == Operator::greater_than || *op == Operator::less_than) {
      if (!parse_int64(values.front().text))
        fail_at(values.front().offset, "value " + go_quote(values.front().text) +
                                           ": for 'Gt', 'Lt' operators, the value must be an integer");
    }
    std::sort(values.begin(), values.end(), [](const Value& a, const Value& b) { return a.text < b.text; });
    values.erase(std::unique(values.begin(), values.end(),
                             [](const Value& a, const Value& b) { return a.text == b.text; }),
                 values.end());
    std::vector<std::string> texts;
    for (auto& v : values) {
      if (auto e = validation::label_value_error(v.text))
        fail_at(v.offset, "invalid label value " + go_quote(v.text) + ": " + *e);
      texts.push_back(std::move(v.text));
    }
    return {Requirement{std::move(key), *op, std::move(texts)}, offset_ + key_offset + 1,
            offset_ + op_offset + 1};
  }

  // "(" values ")" where "()" is {""}.
  std::vector<Value> parse_values() {
    const Token open = consume(Context::values);
    if (open.kind != Tok::open_par) fail(open, "expected '('");
    const Token t = lookahead(Context::values);
    if (t.kind == Tok::close_par) {
      consume(Context::values);
      return {{"", t.offset}};
    }
    if (t.kind != Tok::identifier && t.kind != Tok::comma) fail(t, "expected ',', ')' or an identifier");
    std::vector<Value> values = parse_identifiers_list();
    consume(Context::values);  // the ')' that ended the list
    return values;
  }

  // Comma-separated, possibly empty identifiers; an empty item is "". Stops before ')'.
  std::vector<Value> parse_identifiers_list() {
    std::vector<Value> values;
    for (;;) {
      const Token t = consume(Context::values);
      if (t.kind == Tok::identifier) {
        values.push_back({std::string(t.text), t.offset});
        const Token next = lookahead(Context::values);
        if (next.kind == Tok::comma) continue;
        if (next.kind == Tok::close_par) return values;
        fail(next, "expected ',' or ')'");
      }
      if (t.kind != Tok::comma) fail(t, "expected ',' or an identifier");
      if (values.empty()) values.push_back({"", t.offset});  // "(,"
      const Token next = lookahead(Context::values);
      if (next.kind == Tok::close_par) {
        values.push_back({"", next.offset});  // ",)"
        return values;
      }
      if (next.kind == Tok::comma) {
        consume(Context::values);
        values.push_back({"", next.offset});  // ",,"
      }
    }
  }

  // The single value after =, ==, !=, >, <; nothing before ',' or the end means "".
  std::vector<Value> parse_exact_value() {
    const Token t = lookahead(Context::values);
    if (t.kind == Tok::end || t.kind == Tok::comma) return {{"", t.offset}};
    const Token v = consume(Context::values);
    if (v.kind != Tok::identifier) fail(v, "expected an identifier");
    return {{std::string(v.text), v.offset}};
  }

  std::string_view whole_;
  std::size_t offset_;
  std::vector<Token> tokens_;
  std::size_t position_ = 0;
};

}  // namespace

std::vector<ParsedRequirement> parse_requirements(std::string_view whole, std::size_t offset,
                                                  std::string_view part) {
  return Parser(whole, offset, part).parse();
}

}  // namespace vbackup::labels::detail
