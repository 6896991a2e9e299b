// A YAML stream parsed by yaml-cpp into one node tree per document: the same shape go-yaml v2's
// parser.go builds (scalars with their tag and plainness, aliases pointing at their anchored node)
// so that convert.cpp can decode it with go-yaml's rules.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::manifests::detail {

struct Node {
  enum class Kind { null, scalar, mapping, sequence, alias };
  Kind kind = Kind::null;
  // Scalars: `implicit` for a plain scalar without a tag (resolved by its text); otherwise `tag`
  // is the explicit tag in full form, or empty for a quoted/block scalar or the "!" tag (strings).
  bool implicit = false;
  bool flow = false;  // a mapping or sequence written in flow style ({…}, […])
  std::string tag;
  std::string value;
  int line = 0, column = 0;      // 0-based, where the node starts
  std::vector<Node*> children;   // mapping: key, value, key, value…
  const Node* target = nullptr;  // alias: the anchored node
  std::string anchor;            // alias: the anchor name
};

struct Document {
  std::deque<Node> nodes;  // owns every node of the document
  Node* root = nullptr;    // null for an empty document
};

inline constexpr int kMaxDepth = 1000;  // nesting levels a document may have (json::parse allows as many)

// Throws Error(invalid) naming source, line and column unless the bytes are UTF-8 (UTF-16 and
// UTF-32 are recognised and named); with `yaml`, also unless every character is printable, as
// go-yaml's reader requires.
void check_text(std::string_view text, std::string_view source, bool yaml);

// Parses the YAML stream, calling on_document for each document in order with its 0-based index
// (a `---` followed by nothing is an empty document). Throws Error(invalid) on a syntax error.
void parse_yaml_stream(std::string_view text, std::string_view source,
                       const std::function<void(Document&, int index)>& on_document);

// "manifests/app.yaml: line 3, column 7: " (1-based from 0-based line and column).
std::string where(std::string_view source, int line, int column);

}  // namespace vbackup::manifests::detail
