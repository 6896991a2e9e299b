// Checks and repairs that read the YAML source text itself, where yaml-cpp's behaviour differs
// from libyaml's (the C original of go-yaml v2's parser) in ways kubectl users would notice.
#include "manifests/yaml_source.hpp"

#include "manifests/yaml_tree.hpp"
#include "vbackup/error.hpp"

#include <algorithm>
#include <cstdio>

namespace vbackup::manifests::detail {

SourceLines::SourceLines(std::string_view text) : text_(text) {
  starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts_.push_back(i + 1);
}

std::size_t SourceLines::offset(int l) const {
  return l < count() ? starts_[static_cast<std::size_t>(l)] : text_.size();
}

int SourceLines::line_of(std::size_t pos) const {
  return static_cast<int>(std::upper_bound(starts_.begin(), starts_.end(), pos) - starts_.begin()) - 1;
}

std::string_view SourceLines::line(int l) const {
  if (l < 0 || l >= count()) return {};
  std::size_t b = starts_[static_cast<std::size_t>(l)];
  std::size_t e = l + 1 < count() ? starts_[static_cast<std::size_t>(l) + 1] - 1 : text_.size();
  return text_.substr(b, e - b);
}

void check_text(std::string_view text, std::string_view source, bool yaml) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  if (text.size() >= 2 && ((byte(0) == 0xFF && byte(1) == 0xFE) || (byte(0) == 0xFE && byte(1) == 0xFF)))
    throw invalid_input(std::string(source) + ": the file is UTF-16 (it starts with a UTF-16 byte order mark); "
                        "only UTF-8 manifests are supported");
  if (text.size() >= 2 && (byte(0) == 0 || byte(1) == 0))
    throw invalid_input(std::string(source) + ": the file is UTF-16 or UTF-32 (it has NUL bytes among its first "
                        "characters); only UTF-8 manifests are supported");
  int line = 0, column = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    unsigned char c = byte(i);
    std::size_t left = text.size() - i, n = 0;
    char32_t cp = c;
    auto cont = [&](std::size_t k) { return k < left && (byte(i + k) & 0xC0) == 0x80; };
    if (c < 0x80) n = 1;
    else if (c >= 0xC2 && c <= 0xDF && cont(1)) { n = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2)) { n = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3)) { n = 4; cp = c & 0x07; }
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
    bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
    bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    if (n == 0 || overlong || surrogate || cp > 0x10FFFF) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", c);
      throw invalid_input(where(source, line, column) + "invalid UTF-8 (byte " + hex +
                          "); only UTF-8 manifests are supported");
    }
    // go-yaml's reader accepts only printable characters (YAML 1.1 §5.1).
    bool printable = cp == 0x09 || cp == 0x0A || cp == 0x0D || (cp >= 0x20 && cp <= 0x7E) || cp == 0x85 ||
                     (cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
                     (cp >= 0x10000 && cp <= 0x10FFFF);
    if (yaml && !printable) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(cp));
      throw invalid_input(where(source, line, column) + "control characters are not allowed (" + hex + ")");
    }
    if (c == '\n') { ++line; column = 0; } else { ++column; }
    i += n;
  }
}

// go-yaml v2 (parserc.go) accepts only `%YAML 1.1`; yaml-cpp would take any 1.x.
void check_yaml_directives(const SourceLines& lines, std::string_view source) {
  for (int l = 0; l < lines.count(); ++l) {
    std::string_view line = lines.line(l);
    if (line.substr(0, 5) != "%YAML" || line.size() < 6 || (line[5] != ' ' && line[5] != '\t')) continue;
    std::size_t p = line.find_first_not_of(" \t", 5);
    long major = -1, minor = -1;
    auto number = [&](long& v) {
      std::size_t start = p;
      v = 0;
      while (p < line.size() && line[p] >= '0' && line[p] <= '9' && p - start < 9) v = v * 10 + (line[p++] - '0');
      return p > start;
    };
    bool ok = p != std::string_view::npos && number(major) && p < line.size() && line[p++] == '.' && number(minor);
    if (ok && (major != 1 || minor != 1)) throw invalid_input(where(source, l, 0) + "found incompatible YAML document (only %YAML 1.1 is accepted)");
  }
}

// Where the node's content starts on its line: past its properties (tag, anchor).
std::size_t content_column(const SourceLines& lines, int line, int column) {
  std::string_view header = lines.line(line);
  std::size_t p = static_cast<std::size_t>(column);  // yaml-cpp counts columns in bytes
  while (p < header.size()) {
    if (header[p] == ' ' || header[p] == '\t') { ++p; continue; }
    if (header[p] == '!' || header[p] == '&') {
      while (p < header.size() && header[p] != ' ' && header[p] != '\t') ++p;
      continue;
    }
    break;
  }
  return p;
}


// yaml-cpp accepts a quoted scalar cut off by the end of the input, and the YAML 1.2 escape
// "\/"; go-yaml's scanner refuses both. Scan the quoted scalar in the source to do the same.
void check_quoted(const SourceLines& lines, int line, int column, std::string_view source) {
  std::string_view text = lines.text();
  std::size_t p = lines.offset(line) + content_column(lines, line, column);
  if (p >= text.size() || (text[p] != '"' && text[p] != '\'')) return;
  char quote = text[p++];
  auto fail = [&](std::size_t at, const char* msg) {
    int l = lines.line_of(at);
    throw invalid_input(where(source, l, static_cast<int>(at - lines.offset(l))) + msg);
  };
  while (p < text.size()) {
    char c = text[p];
    if (quote == '\'') {
      if (c == '\'') {
        if (p + 1 < text.size() && text[p + 1] == '\'') { p += 2; continue; }
        return;
      }
      ++p;
      continue;
    }
    if (c == '"') return;
    if (c == '\\' && p + 1 < text.size()) {
      // scannerc.go yaml_parser_scan_flow_scalar: the escapes YAML 1.1 defines.
      char e = text[p + 1];
      if (std::string_view("0abt\tnvfre \"'\\N_LP\r\n").find(e) != std::string_view::npos) { p += 2; continue; }
      if (e == 'x' || e == 'u' || e == 'U') { p += 2; continue; }  // yaml-cpp checks the hex digits
      fail(p, "found unknown escape character while parsing a quoted scalar");
    }
    ++p;
  }
  fail(text.size(), "found unexpected end of stream while scanning a quoted scalar");
}


// yaml-cpp writes the escapes \N and \_ as the single bytes 0x85 and 0xA0 instead of the UTF-8
// of U+0085 and U+00A0. The input is valid UTF-8, so a byte that is not can only come from there.
void repair_escapes(std::string& v) {
  bool bad = false;
  for (std::size_t i = 0; i < v.size() && !bad;) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    std::size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    for (std::size_t k = 1; n && k < n; ++k)
      if (i + k >= v.size() || (static_cast<unsigned char>(v[i + k]) & 0xC0) != 0x80) n = 0;
    if (n == 0) bad = true;
    i += n;
  }
  if (!bad) return;
  std::string out;
  for (std::size_t i = 0; i < v.size();) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    std::size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    for (std::size_t k = 1; n && k < n; ++k)
      if (i + k >= v.size() || (static_cast<unsigned char>(v[i + k]) & 0xC0) != 0x80) n = 0;
    if (n == 0) {  // Latin-1 byte to UTF-8
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
      ++i;
    } else {
      out.append(v, i, n);
      i += n;
    }
  }
  v = std::move(out);
}


// yaml-cpp drops one line break from a folded scalar with keep chomping (`>+`) that ends in
// empty lines: "x\n\n" comes out as "x\n". Count the trailing empty lines in the source and
// give the value the 1 + that many line breaks YAML (and go-yaml) keep.
void fix_folded_keep(const SourceLines& lines, int line, int column, std::string& value) {
  std::string_view header = lines.line(line);
  std::size_t p = content_column(lines, line, column);
  if (p >= header.size() || header[p] != '>') return;
  std::size_t q = p + 1;
  bool keep = false;
  for (; q < header.size() && (header[q] == '+' || header[q] == '-' || (header[q] >= '1' && header[q] <= '9')); ++q)
    if (header[q] == '+') keep = true;
  if (!keep) return;
  // Only a scalar with content folds; its first non-blank line then sets the indentation, and
  // the scan below stays within the scalar.
  std::size_t last = value.find_last_not_of('\n');
  if (last == std::string::npos) return;
  // The content lines: up to the first non-blank line indented less than the first content line.
  int indent = -1, trailing_empty = 0;
  for (int l = line + 1; l < lines.count(); ++l) {
    std::string_view text = lines.line(l);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    std::size_t spaces = text.find_first_not_of(' ');
    bool blank = spaces == std::string_view::npos;
    if (blank) spaces = text.size();
    if (blank && l == lines.count() - 1) break;  // no line break after the last line
    if (indent < 0) {
      if (blank) { ++trailing_empty; continue; }
      indent = static_cast<int>(spaces);
      trailing_empty = 0;
      continue;
    }
    if (blank && static_cast<int>(spaces) <= indent) { ++trailing_empty; continue; }
    if (!blank && static_cast<int>(spaces) < indent) break;
    trailing_empty = 0;
  }
  if (indent < 0) return;
  value.resize(last + 1);
  value.append(static_cast<std::size_t>(1 + trailing_empty), '\n');
}

}  // namespace vbackup::manifests::detail
