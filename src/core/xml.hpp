// The small XML that object stores answer in (S3 ListBucketResult and Error, Azure EnumerationResults
// and Error), read with expat into a tree. Internal header: the S3 and Azure stores share it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vbackup::xml {

struct Element {
  std::string name;  // local name: a namespace prefix ("s3:Key") is dropped
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;  // character data directly inside this element, decoded and concatenated
  std::vector<Element> children;

  const Element* child(std::string_view child_name) const;          // the first, or nullptr
  std::vector<const Element*> all(std::string_view child_name) const;
  std::string child_text(std::string_view child_name) const;        // "" when absent
  std::optional<std::string> attribute(std::string_view attr_name) const;
};

// Parses a whole document. Malformed or truncated input, a DTD or entity declaration (refused, so
// no entity expansion can blow up), or nesting deeper than 64 levels throws Error(storage)
// "<what>: not valid XML (line L, column C): <reason>".
Element parse(std::string_view document, std::string_view what);

// Character data for a request body: & < > " ' escaped.
std::string escape(std::string_view text);

}  // namespace vbackup::xml
