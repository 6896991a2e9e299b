// Manifest files to Kubernetes objects: YAML streams and JSON, *List expansion, the apiVersion/kind
// check, and the file walk of `kubectl apply -f DIR -R`.
#include "vbackup/manifests.hpp"

#include "manifests/convert.hpp"
#include "manifests/yaml_tree.hpp"
#include "vbackup/error.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <system_error>

namespace vbackup::manifests {
namespace {

using detail::where;

std::string at_line(std::string_view source, int line) {
  return std::string(source) + ": line " + std::to_string(line) + ": ";
}

const char* type_name(const json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::array: return "a sequence";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::object: return "a mapping";
    case boost::json::kind::null: return "null";
    default: return "a number";
  }
}

// kubectl refuses objects without apiVersion or kind ("Object 'Kind' is missing"); both must be
// non-empty strings.
void check_type_meta(const json::object& o, const std::string& what) {
  for (std::string_view field : {"apiVersion", "kind"}) {
    auto it = o.find(field);
    if (it == o.end() || it->value().is_null())
      throw invalid_input(what + "the object has no " + std::string(field));
    if (!it->value().is_string())
      throw invalid_input(what + std::string(field) + " must be a string, not " + type_name(it->value()));
    if (it->value().get_string().empty()) throw invalid_input(what + std::string(field) + " is empty");
  }
}

class Emitter {
 public:
  Emitter(std::string_view source, const ObjectCallback& on_object) : source_(source), on_object_(on_object) {}

  // One decoded document: skipped when null, expanded when a *List with an `items` array.
  void document(json::value v, int index, int line) {
    if (v.is_null()) return;
    std::string what = at_line(source_, line);
    if (!v.is_object())
      throw invalid_input(what + "document " + std::to_string(index) + " is " + type_name(v) +
                          ", not a Kubernetes object (a mapping with apiVersion and kind)");
    json::object& obj = v.get_object();
    check_type_meta(obj, what);
    std::string_view kind = obj.at("kind").get_string();
    auto items = obj.find("items");
    bool is_list = kind.size() >= 4 && kind.substr(kind.size() - 4) == "List" && items != obj.end() &&
                   !items->value().is_null();
    if (!is_list) {
      emit(std::move(obj), index, std::nullopt, line);
      return;
    }
    if (!items->value().is_array())
      throw invalid_input(what + "items of a " + std::string(kind) + " must be a sequence, not " +
                          type_name(items->value()));
    // Kubernetes' unstructured list decoding: an item with neither kind nor apiVersion takes the
    // list's apiVersion and the list kind without "List".
    json::string list_api_version = obj.at("apiVersion").get_string();
    json::string item_kind(kind.substr(0, kind.size() - 4));
    json::array& arr = items->value().get_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
      std::string item_what = what + "items[" + std::to_string(i) + "]: ";
      if (!arr[i].is_object())
        throw invalid_input(item_what + "an item is " + std::string(type_name(arr[i])) + ", not a mapping");
      json::object& item = arr[i].get_object();
      if (!item.contains("kind") && !item.contains("apiVersion")) {
        item["apiVersion"] = list_api_version;
        item["kind"] = item_kind;
      }
      check_type_meta(item, item_what);
    }
    for (std::size_t i = 0; i < arr.size(); ++i)
      emit(std::move(arr[i].get_object()), index, static_cast<int>(i), line);
  }

 private:
  void emit(json::object&& o, int index, std::optional<int> item, int line) {
    ManifestObject m;
    m.object = std::move(o);
    m.source = std::string(source_);
    m.document = index;
    m.item = item;
    m.line = line;
    on_object_(std::move(m));
  }

  std::string_view source_;
  const ObjectCallback& on_object_;
};

int line_of(std::string_view text, std::size_t pos) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

// Where the JSON value starting at `pos` ends (just past its closing bracket), or npos if it does
// not close; json::parse then reports the problem.
std::size_t json_value_end(std::string_view text, std::size_t pos) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = pos; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

// boost::json reads 1e400 as infinity; Go's decoder refuses a number beyond float64.
bool all_finite(const json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_: return std::isfinite(v.get_double());
    case boost::json::kind::array:
      for (const auto& e : v.get_array()) if (!all_finite(e)) return false;
      return true;
    case boost::json::kind::object:
      for (const auto& kv : v.get_object()) if (!all_finite(kv.value())) return false;
      return true;
    default: return true;
  }
}

struct JsonDocument {
  json::value value;
  int line;
};

// A JSON stream as kubectl's decoder reads it: one or more values one after the other.
std::vector<JsonDocument> parse_json_stream(std::string_view text, std::string_view source) {
  std::vector<JsonDocument> docs;
  constexpr std::string_view kSpace = " \t\r\n";
  std::size_t pos = text.find_first_not_of(kSpace);
  while (pos != std::string_view::npos) {
    std::size_t end = json_value_end(text, pos);
    if (end == std::string_view::npos || text[pos] != '{') end = text.size();
    // Pad with the newlines and spaces before the value so that json::parse counts lines and
    // columns from the start of the file.
    std::size_t line_start = text.rfind('\n', pos);
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    int line = line_of(text, pos);
    std::string padded(static_cast<std::size_t>(line - 1), '\n');
    padded.append(pos - line_start, ' ');
    padded.append(text.substr(pos, end - pos));
    docs.push_back({json::parse(padded, source), line});
    pos = text.find_first_not_of(kSpace, end);
  }
  return docs;
}

void read_yaml(std::string_view text, std::string_view source, Emitter& emitter, const WarningCallback& on_warning) {
  detail::check_text(text, source, true);
  detail::parse_yaml_stream(text, source, [&](detail::Document& doc, int index) {
    if (!doc.root) return;
    emitter.document(detail::to_json(doc, source, on_warning), index, doc.root->line + 1);
  });
}

}  // namespace

void read_manifests(std::string_view text, std::string_view source, const ObjectCallback& on_object,
                    const WarningCallback& on_warning) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  detail::check_text(text, source, false);
  Emitter emitter(source, on_object);
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') {
    read_yaml(text, source, emitter, on_warning);
    return;
  }
  // kubectl decodes input that starts with '{' as JSON. JSON is YAML too, so a flow-style YAML
  // file that is not valid JSON is read as YAML; if neither works, both problems are reported.
  std::vector<JsonDocument> docs;
  try {
    docs = parse_json_stream(text, source);
  } catch (const Error& json_error) {
    try {
      read_yaml(text, source, emitter, on_warning);
      return;
    } catch (const Error& yaml_error) {
      std::string yaml_msg = yaml_error.what();
      if (yaml_msg.rfind(std::string(source) + ": ", 0) == 0) yaml_msg.erase(0, source.size() + 2);
      throw invalid_input(std::string(json_error.what()) + " (read as YAML: " + yaml_msg + ")");
    }
  }
  for (const auto& d : docs)
    if (!all_finite(d.value)) throw invalid_input(at_line(source, d.line) + "a number is out of range for a float64");
  for (std::size_t i = 0; i < docs.size(); ++i)
    emitter.document(std::move(docs[i].value), static_cast<int>(i), docs[i].line);
}

void read_manifest_file(const std::filesystem::path& path, const ObjectCallback& on_object,
                        const WarningCallback& on_warning) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(path.string() + ": cannot open the file");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw io_error(path.string() + ": cannot read the file");
  read_manifests(buf.str(), path.string(), on_object, on_warning);
}

std::vector<std::filesystem::path> find_manifest_files(const std::filesystem::path& dir_or_file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::status(dir_or_file, ec);
  if (ec || !fs::exists(st)) throw not_found(dir_or_file.string() + ": no such file or directory");
  if (!fs::is_directory(st)) return {dir_or_file};
  // kubectl's FileExtensions, compared case-sensitively; filepath.Walk does not follow symlinked
  // folders but reads symlinked files.
  std::vector<fs::path> files;
  try {
    for (const auto& entry : fs::recursive_directory_iterator(dir_or_file)) {
      std::string ext = entry.path().extension().string();
      if ((ext == ".yaml" || ext == ".yml" || ext == ".json") && entry.is_regular_file()) files.push_back(entry.path());
    }
  } catch (const fs::filesystem_error& e) {
    throw io_error(dir_or_file.string() + ": " + e.what());
  }
  // path's operator< compares element by element, which is the order filepath.Walk visits in
  // ("a/b.yaml" before "a-b.yaml").
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace vbackup::manifests
