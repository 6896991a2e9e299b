#include "manifests/yaml_tree.hpp"

#include "manifests/yaml_source.hpp"

#include "vbackup/error.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <unordered_map>

namespace vbackup::manifests::detail {
namespace {

// Builds the node tree of one document from yaml-cpp's events.
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(Document& doc, std::string_view source, const SourceLines& lines)
      : doc_(doc), source_(source), lines_(lines) {}

  void OnDocumentStart(const YAML::Mark& mark) override { start_ = mark; }
  const YAML::Mark& start() const { return start_; }
  void OnDocumentEnd() override {}
  void OnAnchor(const YAML::Mark&, const std::string& name) override { pending_anchor_ = name; }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { add(Node::Kind::null, mark, anchor); }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node* n = add(Node::Kind::alias, mark, YAML::NullAnchor);
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) throw invalid_input(where(source_, mark.line, mark.column) + "unknown anchor referenced");
    n->target = it->second.first;
    n->anchor = it->second.second;
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node* n = add(Node::Kind::scalar, mark, anchor);
    n->value = value;
    // yaml-cpp reports "?" for an untagged plain scalar and "!" for an untagged quoted or block
    // scalar; go-yaml decodes both "!" forms as strings.
    if (tag == "?") n->implicit = true;
    else if (tag != "!") n->tag = tag;
    if (!n->implicit) {
      check_quoted(lines_, mark.line, mark.column, source_);
      repair_escapes(n->value);
      if (!value.empty() && value.back() == '\n') fix_folded_keep(lines_, mark.line, mark.column, n->value);
    }
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(add(Node::Kind::sequence, mark, anchor), mark);
  }
  void OnSequenceEnd() override { stack_.pop_back(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    // go-yaml ignores the tag of a collection when decoding into interface{}.
    Node* n = add(Node::Kind::mapping, mark, anchor);
    n->flow = style == YAML::EmitterStyle::Flow;
    open(n, mark);
  }
  void OnMapEnd() override {
    // yaml-cpp takes a lone scalar line in a block mapping ("a: 1\noops\nb: 2") for a key with a
    // null value, reported at the key's own position; libyaml, and so kubectl, refuse it. (An
    // explicit "? key" has its null value at the "?", a flow mapping may omit values.)
    const Node& m = *stack_.back();
    for (std::size_t i = 0; !m.flow && i + 1 < m.children.size(); i += 2) {
      const Node& k = *m.children[i];
      const Node& v = *m.children[i + 1];
      if (v.kind == Node::Kind::null && k.kind == Node::Kind::scalar && k.implicit && v.line == k.line &&
          v.column == k.column && !followed_by_colon(k))
        throw invalid_input(where(source_, k.line, k.column) + "could not find expected ':'");
    }
    stack_.pop_back();
  }

 private:
  // Whether a plain key is followed by its ':' on its line (a key at the very end of the input
  // also gets its null value at its own position).
  bool followed_by_colon(const Node& key) const {
    std::string_view line = lines_.line(key.line);
    std::size_t p = content_column(lines_, key.line, key.column);
    if (line.substr(p, key.value.size()) != key.value) return true;  // not as written: do not judge
    p = line.find_first_not_of(" \t", p + key.value.size());
    return p != std::string_view::npos && line[p] == ':';
  }

  Node* add(Node::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    Node& n = doc_.nodes.emplace_back();
    n.kind = kind;
    n.line = mark.line;
    n.column = mark.column;
    if (stack_.empty()) doc_.root = &n;
    else stack_.back()->children.push_back(&n);
    if (anchor != YAML::NullAnchor) anchors_[anchor] = {&n, pending_anchor_};
    pending_anchor_.clear();
    return &n;
  }

  void open(Node* n, const YAML::Mark& mark) {
    if (static_cast<int>(stack_.size()) >= kMaxDepth)
      throw invalid_input(where(source_, mark.line, mark.column) + "nesting deeper than " +
                          std::to_string(kMaxDepth) + " levels");
    stack_.push_back(n);
  }

  Document& doc_;
  std::string_view source_;
  const SourceLines& lines_;
  std::vector<Node*> stack_;
  std::unordered_map<YAML::anchor_t, std::pair<const Node*, std::string>> anchors_;
  std::string pending_anchor_;
  YAML::Mark start_;
};

// yaml-cpp's messages, said the way go-yaml (libyaml) and kubectl users know them.
std::string explain(const std::string& msg) {
  static const std::pair<std::string_view, std::string_view> kTable[] = {
      {"illegal map value", "mapping values are not allowed here"},
      {"end of map not found", "did not find expected key"},
      {"end of sequence not found", "did not find expected '-' indicator"},
      {"end of map flow not found", "did not find expected ',' or '}'"},
      {"end of sequence flow not found", "did not find expected ',' or ']'"},
      {"illegal EOF in scalar", "found unexpected end of stream in a quoted scalar"},
      {"illegal block entry", "block sequence entries are not allowed here"},
  };
  for (const auto& [from, to] : kTable)
    if (msg == from) return std::string(to);
  return msg;
}

// libyaml reads a lone CR and NEL (U+0085) as line breaks and turns them into "\n" (reader
// yaml_parser_read_line); yaml-cpp keeps them as content. Turning them into "\n" first makes
// the two agree. (LS and PS are line breaks for libyaml too, but kept as they are in scalars.)
std::string_view normalize_line_breaks(std::string_view text, std::string& storage) {
  bool lone_cr = false, nel = false;
  for (std::size_t i = 0; i < text.size() && !(lone_cr && nel); ++i) {
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) lone_cr = true;
    if (text[i] == '\xC2' && i + 1 < text.size() && text[i + 1] == '\x85') nel = true;
  }
  if (!lone_cr && !nel) return text;
  storage.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) {
      storage.push_back('\n');
    } else if (text[i] == '\xC2' && i + 1 < text.size() && text[i + 1] == '\x85') {
      storage.push_back('\n');
      ++i;
    } else {
      storage.push_back(text[i]);
    }
  }
  return storage;
}

}  // namespace

std::string where(std::string_view source, int line, int column) {
  return std::string(source) + ": line " + std::to_string(line + 1) + ", column " + std::to_string(column + 1) + ": ";
}

void parse_yaml_stream(std::string_view original, std::string_view source,
                       const std::function<void(Document&, int)>& on_document) {
  std::string normalized;
  std::string_view text = normalize_line_breaks(original, normalized);
  SourceLines lines(text);
  check_yaml_directives(lines, source);
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  int index = 0;
  int last_pos = -1;
  while (true) {
    Document doc;
    try {
      TreeBuilder builder(doc, source, lines);
      if (!parser.HandleNextDocument(builder)) break;
      // yaml-cpp leaves a stray ',' ']' or '}' outside any collection where it is and reports an
      // empty document there again and again; go-yaml refuses it.
      if (builder.start().pos == last_pos)
        throw invalid_input(where(source, builder.start().line, builder.start().column) +
                            "did not find expected node content");
      last_pos = builder.start().pos;
      // Only the first document may start without `---` (libyaml's parser); yaml-cpp also starts
      // a new document where the indentation falls below the first line's ("  a: 1\nb: 2").
      const YAML::Mark& start = builder.start();
      if (index > 0 && lines.line(start.line).substr(static_cast<std::size_t>(start.column), 3) != "---")
        throw invalid_input(where(source, start.line, start.column) + "did not find expected <document start>");
    } catch (const YAML::DeepRecursion& e) {
      throw invalid_input(where(source, e.mark.line, e.mark.column) + "nesting too deep");
    } catch (const YAML::Exception& e) {
      if (e.mark.is_null()) throw invalid_input(std::string(source) + ": " + explain(e.msg));
      if (e.msg.rfind(YAML::ErrorMsg::UNKNOWN_ANCHOR, 0) == 0) {  // name the alias, as go-yaml does
        std::string_view at = lines.line(e.mark.line).substr(static_cast<std::size_t>(e.mark.column));
        if (!at.empty() && at[0] == '*') at.remove_prefix(1);
        at = at.substr(0, at.find_first_of(" \t\r,[]{}"));
        throw invalid_input(where(source, e.mark.line, e.mark.column) + "unknown anchor '" + std::string(at) +
                            "' referenced");
      }
      throw invalid_input(where(source, e.mark.line, e.mark.column) + explain(e.msg));
    }
    on_document(doc, index++);
  }
}

}  // namespace vbackup::manifests::detail
