// JSON as Velero and Kubernetes write it. Objects are boost::json values; this header adds the two
// Go encodings that matter for byte compatibility (spec §1.3, §2.3) and a parser whose errors name
// the input and the line and column.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace vbackup::json {

using boost::json::array;
using boost::json::object;
using boost::json::string;
using boost::json::value;

struct WriteOptions {
  // Go marshals maps (unstructured objects) with keys sorted bytewise; typed structs in field order.
  bool sort_keys = true;
  // 0 = compact (json.Marshal); 2 = json.MarshalIndent(v, "", "  ").
  int indent = 0;
};

// Go encoding/json bytes for v: `<` `>` `&` U+2028 U+2029 escaped as \u003c…, \b \f \n \r \t short
// escapes (Go ≥ 1.22), other control bytes as \u00XX, invalid UTF-8 as \ufffd, integers as integers,
// floats in Go's shortest 'f'/'e' form. Throws Error(invalid) for NaN or infinities (Go refuses them).
std::string marshal(const value& v, const WriteOptions& options = {});
std::string marshal(const object& o, const WriteOptions& options = {});  // without copying o into a value
// Appends to out (whose capacity a caller can reuse across calls).
void marshal_to(const value& v, std::string& out, const WriteOptions& options = {});
void marshal_to(const object& o, std::string& out, const WriteOptions& options = {});

// Parses one JSON text the way Kubernetes decodes unstructured objects: integers that fit int64 stay
// integers, larger ones become doubles; duplicate keys keep the last value. `what` names the input in
// errors ("manifests/app.json: line 3, column 7: expected ','").
// `storage` is where the result lives: a monotonic resource makes parsing a LIST page one bump
// allocation per value, freed at once when the last object from it goes.
value parse(std::string_view text, std::string_view what, boost::json::storage_ptr storage = {});
// A first block size for a monotonic resource that will hold the tree parsed from `text` (about
// three times the text): one allocation for it, where the resource's default (1 KiB, doubling) took
// five for a 4 KB object.
inline std::size_t tree_size_hint(std::string_view text) { return text.size() * 3 + 1024; }

// Small accessors for the unstructured objects everything here passes around.
const object* find_object(const object& o, std::string_view key);
const array* find_array(const object& o, std::string_view key);
std::string_view get_string(const object& o, std::string_view key, std::string_view fallback = {});
// metadata.<key> of a Kubernetes object, "" if absent.
std::string_view metadata_string(const object& obj, std::string_view key);
const object* metadata_map(const object& obj, std::string_view key);  // labels, annotations

}  // namespace vbackup::json
