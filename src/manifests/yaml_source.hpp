// Checks and repairs that read the YAML source text itself: where yaml-cpp's result differs from
// libyaml's (whose Go port is go-yaml v2's parser) for input kubectl users write.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vbackup::manifests::detail {

// The lines of the input. Lines and columns are 0-based; yaml-cpp counts columns in bytes.
class SourceLines {
 public:
  explicit SourceLines(std::string_view text);
  int count() const { return static_cast<int>(starts_.size()); }
  std::string_view text() const { return text_; }
  std::string_view line(int l) const;  // without its line break
  std::size_t offset(int l) const;     // of the line's first byte
  int line_of(std::size_t pos) const;

 private:
  std::string_view text_;
  std::vector<std::size_t> starts_;
};

// go-yaml v2 (parserc.go) accepts only `%YAML 1.1`; yaml-cpp takes any 1.x.
void check_yaml_directives(const SourceLines& lines, std::string_view source);

// Where a node's content starts on its line: past its properties (tag, anchor).
std::size_t content_column(const SourceLines& lines, int line, int column);

// The quoted scalar starting at (line, column), if any, must be closed and use only YAML 1.1
// escapes: yaml-cpp accepts a quoted scalar cut off by the end of the input, and "\/".
void check_quoted(const SourceLines& lines, int line, int column, std::string_view source);

// yaml-cpp writes the escapes \N and \_ as the single bytes 0x85 and 0xA0 instead of the UTF-8 of
// U+0085 and U+00A0. The input is valid UTF-8, so a byte that is not can only come from there.
void repair_escapes(std::string& value);

// yaml-cpp drops one line break from a folded scalar with keep chomping (`>+`) that ends in empty
// lines ("x\n\n" comes out as "x\n"); this gives the value back its 1 + trailing-empty-lines breaks.
void fix_folded_keep(const SourceLines& lines, int line, int column, std::string& value);

}  // namespace vbackup::manifests::detail
