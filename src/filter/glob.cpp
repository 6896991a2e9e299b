// gobwas/glob (v0.2.3, the version Velero pins) re-implemented, with or without separators:
// the same lexer rules (which characters break text, ranges, `{…}` only special inside braces,
// escapes, an unclosed `{` closed at the end) compiled to an NFA, so matching is linear.
#include "vbackup/error.hpp"
#include "filter/filter.hpp"

#include <algorithm>

namespace vbackup::filter {

struct Glob::State {
  enum Kind { literal, any_one, set, star, split, match } kind;
  char32_t ch = 0;                            // literal
  std::vector<std::pair<char32_t, char32_t>> ranges;  // set: inclusive ranges
  bool negated = false;                       // set
  bool super = false;                         // star from `**`: crosses separators
  std::vector<int> out;                       // successor(s); star: out[0] is the epsilon exit
};

namespace {

// One code point of UTF-8 text; invalid bytes decode to U+FFFD with width 1, as Go does.
char32_t decode(std::string_view s, std::size_t& i, bool* invalid = nullptr) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  auto bad = [&]() { if (invalid) *invalid = true; ++i; return char32_t{0xFFFD}; };
  if (c < 0x80) { ++i; return c; }
  if (c >= 0xC2 && c <= 0xDF && cont(1)) {
    char32_t r = ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3F);
    i += 2;
    return r;
  }
  if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2)) {
    char32_t r = ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3F);
    if (r < 0x800 || (r >= 0xD800 && r <= 0xDFFF)) return bad();
    i += 3;
    return r;
  }
  if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    char32_t r = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3F);
    if (r < 0x10000 || r > 0x10FFFF) return bad();
    i += 4;
    return r;
  }
  return bad();
}

// AST of a pattern: a sequence of nodes; an any-of node holds alternative sequences.
struct Node {
  enum Kind { text, any, single, range, any_of } kind;
  std::u32string chars;                                 // text, or the list of a range
  std::vector<std::pair<char32_t, char32_t>> ranges;     // range
  bool negated = false;
  std::vector<std::vector<Node>> alternatives;           // any_of
  bool super = false;                                   // any: written `**`
};

class Parser {
 public:
  explicit Parser(std::string_view p) : p_(p) {}

  std::vector<Node> parse() {
    std::vector<Node> root;
    // Stack of open `{`: each entry is the any-of node's owner sequence being built.
    std::vector<std::vector<Node>*> seq_stack{&root};
    std::vector<Node*> anyof_stack;
    while (pos_ < p_.size()) {
      std::size_t at = pos_;
      char c = p_[pos_];
      bool in_terms = !anyof_stack.empty();
      if (c == '{') {
        ++pos_;
        seq_stack.back()->push_back(Node{Node::any_of, {}, {}, false, {}, false});
        Node* a = &seq_stack.back()->back();
        a->alternatives.emplace_back();
        anyof_stack.push_back(a);
        seq_stack.push_back(&a->alternatives.back());
      } else if (c == ',' && in_terms) {
        ++pos_;
        Node* a = anyof_stack.back();
        seq_stack.pop_back();
        a->alternatives.emplace_back();
        seq_stack.push_back(&a->alternatives.back());
      } else if (c == '}' && in_terms) {
        ++pos_;
        anyof_stack.pop_back();
        seq_stack.pop_back();
      } else if (c == '[') {
        ++pos_;
        seq_stack.back()->push_back(parse_range(at));
      } else if (c == '?') {
        ++pos_;
        seq_stack.back()->push_back(Node{Node::single, {}, {}, false, {}, false});
      } else if (c == '*') {
        ++pos_;
        bool super = pos_ < p_.size() && p_[pos_] == '*';  // `**` (super) is `*` without separators
        if (super) ++pos_;
        seq_stack.back()->push_back(Node{Node::any, {}, {}, false, {}, super});
      } else {
        std::u32string text = read_text(in_terms ? std::u32string_view(U"?*[{},") : std::u32string_view(U"?*[{"));
        if (!text.empty()) seq_stack.back()->push_back(Node{Node::text, std::move(text), {}, false, {}, false});
      }
    }
    // An unclosed `{` is closed at the end of the pattern, as gobwas's parser does.
    return root;
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& what) {
    throw invalid_input("glob pattern \"" + std::string(p_) + "\": position " + std::to_string(at + 1) + ": " + what);
  }

  char32_t read_rune(std::size_t at) {
    bool invalid = false;
    char32_t r = decode(p_, pos_, &invalid);
    if (invalid) fail(at, "could not read rune");
    return r;
  }

  // Text up to (not including) an unescaped breaker; `\` escapes the next character, a trailing
  // `\` is dropped.
  std::u32string read_text(std::u32string_view breakers) {
    std::u32string data;
    bool escaped = false;
    while (pos_ < p_.size()) {
      std::size_t at = pos_;
      char32_t r = read_rune(at);
      if (!escaped) {
        if (r == U'\\') { escaped = true; continue; }
        if (breakers.find(r) != std::u32string_view::npos) { pos_ = at; break; }
      }
      escaped = false;
      data.push_back(r);
    }
    return data;
  }

  Node parse_range(std::size_t open_at) {
    Node n{Node::range, {}, {}, false, {}, false};
    bool seen_not = false;
    char32_t lo = 0, hi = 0;
    std::u32string chars;
    // gobwas lexer: optional `!`, then `lo-hi` or a list (text up to `]`), then `]`.
    for (;;) {
      if (pos_ >= p_.size()) fail(open_at, "unexpected end of input");
      std::size_t at = pos_;
      char32_t r = read_rune(at);
      if (!seen_not && r == U'!') {
        n.negated = true;
        seen_not = true;
        continue;
      }
      if (pos_ < p_.size() && p_[pos_] == '-') {
        ++pos_;
        lo = r;
        if (pos_ >= p_.size()) fail(open_at, "unexpected end of input");
        hi = read_rune(pos_);
      } else {
        pos_ = at;
        chars = read_text(U"]");
      }
      if (pos_ >= p_.size()) fail(open_at, "unexpected end of input");
      std::size_t close_at = pos_;
      if (read_rune(close_at) != U']') fail(close_at, "expected close range character");
      break;
    }
    bool is_range = lo != 0 && hi != 0;
    bool is_chars = !chars.empty();
    if (is_range && hi < lo) fail(open_at, "hi character should be greater than lo");
    if (is_range == is_chars) fail(open_at, "could not parse range");
    if (is_range) {
      n.ranges.emplace_back(lo, hi);
    } else {
      for (char32_t c : chars) n.ranges.emplace_back(c, c);
    }
    return n;
  }

  std::string_view p_;
  std::size_t pos_ = 0;
};

class Builder {
 public:
  explicit Builder(std::vector<Glob::State>& states) : states_(states) {}

  int add(Glob::State s) {
    states_.push_back(std::move(s));
    return static_cast<int>(states_.size()) - 1;
  }

  int build(const std::vector<Node>& seq, int next) {
    int cur = next;
    for (auto it = seq.rbegin(); it != seq.rend(); ++it) cur = build_node(*it, cur);
    return cur;
  }

 private:
  int build_node(const Node& n, int next) {
    switch (n.kind) {
      case Node::text: {
        int cur = next;
        for (auto it = n.chars.rbegin(); it != n.chars.rend(); ++it) {
          cur = add({Glob::State::literal, *it, {}, false, false, {cur}});
        }
        return cur;
      }
      case Node::any: return add({Glob::State::star, 0, {}, false, n.super, {next}});
      case Node::single: return add({Glob::State::any_one, 0, {}, false, false, {next}});
      case Node::range: return add({Glob::State::set, 0, n.ranges, n.negated, false, {next}});
      case Node::any_of: {
        Glob::State s{Glob::State::split, 0, {}, false, false, {}};
        for (const auto& alt : n.alternatives) s.out.push_back(build(alt, next));
        return add(std::move(s));
      }
    }
    return next;
  }

  std::vector<Glob::State>& states_;
};

}  // namespace

Glob Glob::compile(std::string_view pattern) { return compile(pattern, {}); }

Glob Glob::compile(std::string_view pattern, std::u32string_view separators) {
  std::vector<Node> ast = Parser(pattern).parse();
  auto states = std::make_shared<std::vector<State>>();
  Builder b(*states);
  int match = b.add({State::match, 0, {}, false, false, {}});
  Glob g;
  g.pattern_ = std::string(pattern);
  g.separators_ = std::u32string(separators);
  g.start_ = b.build(ast, match);
  g.states_ = std::move(states);
  return g;
}

bool Glob::match(std::string_view text) const {
  const auto& st = *states_;
  std::vector<int> current, next, stack;
  std::vector<std::size_t> seen(st.size(), 0);
  std::size_t generation = 1;
  // Adds s and everything reachable from it without consuming a character.
  auto close = [&](int s0, std::vector<int>& set) {
    stack.push_back(s0);
    while (!stack.empty()) {
      int s = stack.back();
      stack.pop_back();
      if (seen[s] == generation) continue;
      seen[s] = generation;
      const State& state = st[s];
      if (state.kind == State::split) {
        for (int o : state.out) stack.push_back(o);
      } else {
        set.push_back(s);
        if (state.kind == State::star) stack.push_back(state.out[0]);
      }
    }
  };
  close(start_, current);
  std::size_t i = 0;
  while (i < text.size()) {
    if (current.empty()) return false;
    char32_t c = decode(text, i);
    // gobwas: `*` (match.Any) and `?` (match.Single) stop at a separator; `**` (match.Super) does not.
    bool separator = separators_.find(c) != std::u32string::npos;
    ++generation;
    next.clear();
    for (int s : current) {
      const State& state = st[s];
      switch (state.kind) {
        case State::literal: if (state.ch == c) close(state.out[0], next); break;
        case State::any_one: if (!separator) close(state.out[0], next); break;
        case State::set: {
          bool in = std::any_of(state.ranges.begin(), state.ranges.end(),
                                [&](auto r) { return c >= r.first && c <= r.second; });
          if (in != state.negated) close(state.out[0], next);
          break;
        }
        case State::star: if (!separator || state.super) close(s, next); break;
        default: break;
      }
    }
    std::swap(current, next);
  }
  return std::any_of(current.begin(), current.end(), [&](int s) { return st[s].kind == State::match; });
}

}  // namespace vbackup::filter
