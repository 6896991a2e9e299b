#include "restore/modifiers/go_regexp.hpp"

#include "vbackup/error.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace vbackup::restore::detail {
namespace {

[[noreturn]] void re2_error(const std::string& reason, std::string_view fragment) {
  throw invalid_input("error parsing regexp: " + reason + ": `" + std::string(fragment) + "`");
}

[[noreturn]] void unsupported(std::string_view pattern, const std::string& what) {
  throw Error(ErrorCode::unsupported, "regexp `" + std::string(pattern) + "`: " + what +
                                          " is valid in Go but not supported by vbackup");
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Translator {
 public:
  explicit Translator(std::string_view p) : p_(p) {}

  std::string run(std::regex::flag_type& flags) {
    leading_flags(flags);
    while (i_ < p_.size()) {
      char c = p_[i_];
      switch (c) {
        case '\\': escape(false); break;
        case '[': char_class(); break;
        case '.':
          out_ += dot_all_ ? "[\\s\\S]" : "[^\\n]";  // RE2's . never matches \n (ECMAScript's also skips \r)
          ++i_;
          after_atom();
          break;
        case '(': group(); break;
        case ')': {
          if (depth_ == 0) re2_error("unexpected )", p_);
          --depth_;
          out_ += ')';
          ++i_;
          long inner = level_max_.back();
          level_max_.pop_back();
          after_atom(inner);
          break;
        }
        case '*': case '+': case '?': repetition_error(); break;
        case '{':
          if (repeat_length(i_) == 0) {  // not a valid repetition: a literal brace, as in RE2
            out_ += "\\{";
            ++i_;
            after_atom();
          } else {
            re2_error("missing argument to repetition operator", p_.substr(i_, repeat_length(i_)));
          }
          break;
        case '|': case '^': case '$':
          out_ += c;
          ++i_;
          break;
        default:
          if (static_cast<unsigned char>(c) >= 0x80) {
            out_ += c;
            ++i_;
            // A multi-byte character: quantifying it would quantify its last byte only.
            while (i_ < p_.size() && (static_cast<unsigned char>(p_[i_]) & 0xC0) == 0x80) out_ += p_[i_++];
            if (i_ < p_.size() && (p_[i_] == '*' || p_[i_] == '+' || p_[i_] == '?' || repeat_length(i_) > 0)) {
              unsupported(p_, "a repeated non-ASCII character");
            }
            break;
          }
          if (c == '}' || c == ']') out_ += '\\';
          out_ += c;
          ++i_;
          after_atom();
      }
    }
    if (depth_ > 0) re2_error("missing closing )", p_);
    return out_;
  }

 private:
  // (?flags) at the very start of the pattern, possibly repeated.
  void leading_flags(std::regex::flag_type& flags) {
    while (p_.substr(i_, 2) == "(?") {
      std::size_t j = i_ + 2;
      std::string set;
      while (j < p_.size() && (p_[j] == 'i' || p_[j] == 's' || p_[j] == 'm' || p_[j] == 'U')) set += p_[j++];
      if (set.empty() || j >= p_.size() || p_[j] != ')') return;
      for (char f : set) {
        if (f == 'i') flags |= std::regex::icase;
        else if (f == 's') dot_all_ = true;
        else if (f == 'm') flags |= std::regex::multiline;
        else unsupported(p_, "the U (ungreedy) flag");
      }
      i_ = j + 1;
    }
  }

  // Length of a valid {n}, {n,} or {n,m} at s[at] (0 if there is none); counts above 1000 are Go errors.
  std::size_t repeat_length(std::size_t at) const {
    if (at >= p_.size() || p_[at] != '{') return 0;
    std::size_t j = at + 1;
    auto number = [&](long& n) {
      std::size_t start = j;
      n = 0;
      while (j < p_.size() && is_digit(p_[j])) {
        if (n <= 100000) n = n * 10 + (p_[j] - '0');
        ++j;
      }
      return j > start;
    };
    long lo = 0, hi = -1;
    if (!number(lo)) return 0;
    if (j < p_.size() && p_[j] == ',') {
      ++j;
      if (j < p_.size() && is_digit(p_[j])) number(hi);
      else hi = -2;  // {n,}
    } else {
      hi = lo;
    }
    if (j >= p_.size() || p_[j] != '}') return 0;
    std::size_t len = j + 1 - at;
    if (lo > 1000 || hi > 1000 || (hi >= 0 && hi < lo)) re2_error("invalid repeat count", p_.substr(at, len));
    return len;
  }

  // Largest {n,m} count of a repetition, nested counts multiplied (Go: "expression too large" past 1000).
  long repeat_factor(std::size_t at, std::size_t len) const {
    if (p_[at] != '{') return 1;
    std::string_view body = p_.substr(at + 1, len - 2);
    std::size_t comma = body.find(',');
    std::string_view hi = comma == std::string_view::npos ? body : body.substr(comma + 1);
    if (hi.empty()) hi = body.substr(0, comma);
    return std::stol(std::string(hi));
  }

  // After an atom: at most one repetition operator, optionally lazy. `inner` is the repetition
  // factor inside the atom (a group's largest).
  void after_atom(long inner = 1) {
    long factor = inner;
    struct Record {
      Translator* t;
      long& f;
      ~Record() { t->level_max_.back() = std::max(t->level_max_.back(), f); }
    } record{this, factor};
    if (i_ >= p_.size()) return;
    std::size_t start = i_;
    std::size_t len = 0;
    char c = p_[i_];
    if (c == '*' || c == '+' || c == '?') len = 1;
    else len = repeat_length(i_);
    if (len == 0) return;
    factor = inner * repeat_factor(i_, len);
    if (factor > 1000) re2_error("expression too large", p_);
    out_ += p_.substr(i_, len);
    i_ += len;
    if (i_ < p_.size() && p_[i_] == '?') out_ += p_[i_++];
    // A second operator is "invalid nested repetition operator" in Go.
    if (i_ < p_.size()) {
      char d = p_[i_];
      std::size_t l2 = (d == '*' || d == '+' || d == '?') ? 1 : repeat_length(i_);
      if (l2 > 0) re2_error("invalid nested repetition operator", p_.substr(start, i_ + l2 - start));
    }
  }

  void repetition_error() { re2_error("missing argument to repetition operator", p_.substr(i_, 1)); }

  void group() {
    std::string_view rest = p_.substr(i_);
    std::size_t skip = 1;
    if (rest.substr(0, 2) == "(?") {
      if (rest.substr(0, 3) == "(?:") {
        skip = 3;
        out_ += "(?:";
      } else if (rest.substr(0, 4) == "(?P<" || (rest.substr(0, 3) == "(?<" && rest.substr(0, 4) != "(?<=" && rest.substr(0, 4) != "(?<!")) {
        std::size_t close = rest.find('>');
        if (close == std::string_view::npos) re2_error("invalid named capture", rest);
        skip = close + 1;
        out_ += '(';
      } else if (rest.substr(0, 3) == "(?=" || rest.substr(0, 3) == "(?!" || rest.substr(0, 4) == "(?<=" || rest.substr(0, 4) == "(?<!") {
        re2_error("invalid or unsupported Perl syntax", rest.substr(0, 3));
      } else {
        unsupported(p_, "a flag group other than leading (?i)(?s)(?m)");
      }
    } else {
      out_ += '(';
    }
    i_ += skip;
    if (++depth_ > 1000) re2_error("expression nests too deeply", p_);
    level_max_.push_back(1);
  }

  // An escape at p_[i_] == '\\'; inside a class when `in_class`.
  void escape(bool in_class) {
    if (i_ + 1 >= p_.size()) re2_error("trailing backslash at end of expression", "");
    char e = p_[i_ + 1];
    std::string_view frag = p_.substr(i_, 2);
    i_ += 2;
    switch (e) {
      case 'd': case 'D': case 'w': case 'W': out_ += '\\'; out_ += e; break;
      case 's': out_ += in_class ? "\\t\\n\\f\\r " : "[\\t\\n\\f\\r ]"; break;  // RE2's \s has no \v
      case 'S':
        if (in_class) unsupported(p_, "\\S inside a class");
        out_ += "[^\\t\\n\\f\\r ]";
        break;
      case 'b': case 'B':
        if (in_class) re2_error("invalid escape sequence", frag);
        out_ += '\\';
        out_ += e;
        break;
      case 'A': case 'z':
        if (in_class) re2_error("invalid escape sequence", frag);
        // Without (?m) ^ and $ anchor at the text's ends in both syntaxes.
        if (e == 'A') out_ += "^";
        else out_ += "$(?![\\s\\S])";
        break;
      case 'a': out_ += "\\x07"; break;
      case 'f': case 't': case 'n': case 'r': case 'v': out_ += '\\'; out_ += e; break;
      case 'x': hex_escape(frag); break;
      case 'p': case 'P': unsupported(p_, "a Unicode class (\\p)"); break;
      case 'Q': {
        std::size_t end = p_.find("\\E", i_);
        std::string_view lit = p_.substr(i_, end == std::string_view::npos ? std::string_view::npos : end - i_);
        for (char c : lit) {
          if (!std::isalnum(static_cast<unsigned char>(c))) out_ += '\\';
          out_ += c;
        }
        i_ = end == std::string_view::npos ? p_.size() : end + 2;
        break;
      }
      default:
        // Escaped punctuation is the character itself; an escaped letter or digit RE2 does not know
        // (backreferences included) is an error.
        if (std::isalnum(static_cast<unsigned char>(e)) || static_cast<unsigned char>(e) >= 0x80) {
          re2_error("invalid escape sequence", frag);
        }
        out_ += '\\';
        out_ += e;
    }
    if (!in_class) after_atom();
  }

  void hex_escape(std::string_view frag) {
    std::string digits;
    if (i_ < p_.size() && p_[i_] == '{') {
      std::size_t close = p_.find('}', i_);
      if (close == std::string_view::npos) re2_error("invalid escape sequence", frag);
      digits = std::string(p_.substr(i_ + 1, close - i_ - 1));
      i_ = close + 1;
    } else {
      digits = std::string(p_.substr(i_, 2));
      i_ += digits.size();
    }
    if (digits.empty() || digits.size() > 8 ||
        digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      re2_error("invalid escape sequence", frag);
    }
    unsigned long v = std::stoul(digits, nullptr, 16);
    if (v > 0x7F) unsupported(p_, "a non-ASCII \\x escape");
    static const char hex[] = "0123456789abcdef";
    out_ += "\\x";
    out_ += hex[v >> 4];
    out_ += hex[v & 0xF];
  }

  void char_class() {
    std::size_t open = i_;
    out_ += '[';
    ++i_;
    if (i_ < p_.size() && p_[i_] == '^') out_ += p_[i_++];
    bool first = true;
    while (i_ < p_.size() && (p_[i_] != ']' || first)) {
      char c = p_[i_];
      first = false;
      if (c == '\\') {
        escape(true);
        continue;
      }
      if (c == '[' && p_.substr(i_, 2) == "[:") {
        std::size_t close = p_.find(":]", i_);
        if (close != std::string_view::npos) {
          out_ += p_.substr(i_, close + 2 - i_);
          i_ = close + 2;
          continue;
        }
      }
      if (static_cast<unsigned char>(c) >= 0x80) unsupported(p_, "a non-ASCII character in a class");
      if (c == '[' || c == ']') out_ += '\\';
      out_ += c;
      ++i_;
    }
    if (i_ >= p_.size()) re2_error("missing closing ]", p_.substr(open));
    out_ += ']';
    ++i_;
    after_atom();
  }

  std::string_view p_;
  std::size_t i_ = 0;
  int depth_ = 0;
  std::vector<long> level_max_{1};  // per open group: the largest repetition factor inside it
  bool dot_all_ = false;
  std::string out_;
};

}  // namespace

GoRegexp GoRegexp::compile(std::string_view pattern) {
  GoRegexp r;
  r.pattern_ = std::string(pattern);
  std::regex::flag_type flags = std::regex::ECMAScript;
#ifdef __GLIBCXX__
  // libstdc++'s breadth-first executor: matching time stays polynomial as with RE2 (there are no
  // backreferences, which it cannot run), so a rule like (a*)*b cannot stall a restore.
  flags |= std::regex_constants::__polynomial;
#endif
  r.translated_ = Translator(pattern).run(flags);
  try {
    r.re_ = std::regex(r.translated_, flags);
  } catch (const std::regex_error& e) {
    // Something RE2 accepts that the translation did not anticipate.
    throw Error(ErrorCode::unsupported,
                "regexp `" + r.pattern_ + "`: not supported by vbackup's regexp engine (" + e.what() + ")");
  }
  return r;
}

bool GoRegexp::match(std::string_view text) const {
  return std::regex_search(text.begin(), text.end(), re_);
}

}  // namespace vbackup::restore::detail
