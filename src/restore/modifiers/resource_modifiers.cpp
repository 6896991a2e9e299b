// Velero internal/resourcemodifiers (resource_modifiers.go, resource_modifiers_validator.go,
// json_patch.go, json_merge_patch.go, strategic_merge_patch.go) at velero-io/velero d2241adb.
#include "restore/modifiers/resource_modifiers.hpp"

#include "patch/patch.hpp"
#include "restore/modifiers/decode.hpp"
#include "restore/modifiers/go_regexp.hpp"
#include "vbackup/error.hpp"
#include "filter/filter.hpp"
#include "vbackup/labels.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

namespace vbackup::restore {

struct ResourceModifiers::Compiled {
  filter::Glob group_resource;
  std::optional<detail::GoRegexp> name_regex;
  std::optional<labels::Selector> selector;
  filter::IncludesExcludes namespaces;
  std::string matches_patch;  // the `test` patch text of `matches`, "" when there are none
};

namespace {

std::string lower(std::string_view s) {
  std::string l(s);
  for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l;
}

// addQuotes: whether the value goes into the patch text inside quotes (and its text there).
bool add_quotes(std::string& value) {
  if (value.empty()) return true;
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
    return true;
  }
  if (value == "\"") {  // HasPrefix and HasSuffix both hold for a lone quote: trimmed to ""
    value.clear();
    return true;
  }
  if (value == "null") return false;
  std::string l = lower(value);
  if (l == "true" || l == "false") return false;
  if (value.front() == '{' || value.front() == '[') return false;
  return !detail::go_parse_float_ok(value);
}

}  // namespace

// JSONPatch.ToString: the fields are pasted into the text without JSON escaping, as Velero does, so a
// value holding `"` or `\` changes the patch (or makes it invalid JSON).
std::string detail::to_patch_text(const JSONPatch& p) {
  std::string value = p.value;
  bool quoted = add_quotes(value);
  std::string out = "{\"op\": \"" + p.operation + "\", \"from\": \"" + p.from + "\", \"path\": \"" + p.path + "\", \"value\": ";
  out += quoted ? "\"" + value + "\"" : value;
  return out + "}";
}

namespace {

using detail::to_patch_text;

std::string patch_array_text(const std::vector<JSONPatch>& patches) {
  std::string out = "[";
  for (std::size_t i = 0; i < patches.size(); ++i) {
    if (i > 0) out += ",\n\t";
    out += to_patch_text(patches[i]);
  }
  return out + "]";
}

// Unstructured.UnmarshalJSON of a patched object: it must be an object with a non-empty string kind.
json::object require_kind(json::value v, const char* error_prefix) {
  if (!v.is_object()) {
    throw invalid_input(std::string(error_prefix) + "json: cannot unmarshal " + (v.is_array() ? "array" : "value") +
                        " into Go value of type map[string]interface {}");
  }
  const json::object& o = v.get_object();
  auto it = o.find("kind");
  if (it == o.end() || !it->value().is_string() || it->value().get_string().empty()) {
    throw invalid_input(std::string(error_prefix) + "Object 'Kind' is missing in '" + json::marshal(v) + "'");
  }
  return std::move(v.get_object());
}

void validate(const std::string& version, const std::vector<ResourceModifierRule>& rules, std::string_view what) {
  auto fail = [&](const std::string& m) { throw invalid_input(std::string(what) + ": " + m); };
  if (lower(version) != "v1") fail("unsupported resource modifier version " + version);
  if (rules.empty()) fail("resource modifier rules cannot be empty");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    std::string at = "resourceModifierRules[" + std::to_string(i) + "]: ";
    if (r.conditions.group_resource.empty()) fail(at + "groupResource cannot be empty");
    int kinds = !r.patches.empty() + !r.merge_patches.empty() + !r.strategic_patches.empty();
    if (kinds >= 2) fail(at + "only one of patches, mergePatches, strategicPatches can be specified");
    for (const auto& p : r.patches) {
      if (p.operation.empty()) fail(at + "operation cannot be empty");
      std::string op = lower(p.operation);
      if (op != "add" && op != "remove" && op != "replace" && op != "test" && op != "move" && op != "copy") {
        fail(at + "unsupported operation " + p.operation);
      }
      if (p.path.empty()) fail(at + "path cannot be empty");
    }
  }
}

ResourceModifiers::Compiled compile(const ResourceModifierRule& r, std::size_t index, std::string_view what) {
  std::string at = std::string(what) + ": resourceModifierRules[" + std::to_string(index) + "].conditions.";
  auto rethrow = [&](const char* field, const Error& e) { throw Error(e.code(), at + field + ": " + e.what()); };
  ResourceModifiers::Compiled c{filter::Glob::compile(""), std::nullopt, std::nullopt, {}, {}};
  try {
    c.group_resource = filter::Glob::compile(r.conditions.group_resource, U".");
  } catch (const Error& e) {
    rethrow("groupResource", e);
  }
  if (!r.conditions.resource_name_regex.empty()) {
    try {
      c.name_regex = detail::GoRegexp::compile(r.conditions.resource_name_regex);
    } catch (const Error& e) {
      rethrow("resourceNameRegex", e);
    }
  }
  if (r.conditions.label_selector) {
    try {
      c.selector = labels::from_label_selector(json::value(*r.conditions.label_selector));
    } catch (const Error& e) {
      rethrow("labelSelector", e);
    }
  }
  c.namespaces = filter::IncludesExcludes(r.conditions.namespaces, {});
  std::vector<JSONPatch> tests;
  for (std::size_t i = 0; i < r.conditions.matches.size(); ++i) {
    const MatchRule& m = r.conditions.matches[i];
    if (m.path.empty()) throw invalid_input(at + "matches[" + std::to_string(i) + "]: path is required for match rule");
    tests.push_back({"test", "", m.path, m.value});
  }
  if (!tests.empty()) c.matches_patch = patch_array_text(tests);
  return c;
}

// rule.match: the namespace (source namespace, namespaced objects only), the groupResource glob,
// the name regexp, the label selector, then `matches` as JSON-patch tests. Returns an error message
// or "" with `matched` set.
std::string match(const ResourceModifiers::Compiled& c, const json::object& obj, std::string_view group_resource,
                  std::string_view source_namespace, bool& matched) {
  matched = false;
  if (!source_namespace.empty() && !c.namespaces.should_include(source_namespace)) return {};
  if (!c.group_resource.match(group_resource)) return {};
  if (c.name_regex && !c.name_regex->match(json::metadata_string(obj, "name"))) return {};
  if (c.selector && !c.selector->matches(json::metadata_map(obj, "labels"))) return {};
  if (!c.matches_patch.empty()) {
    patch::JsonPatch tests;
    try {
      tests = patch::JsonPatch::decode(c.matches_patch, "matches");
    } catch (const patch::PatchError& e) {
      return std::string("error in decoding json patch ") + e.what();
    }
    try {
      tests.apply(json::value(obj));
    } catch (const patch::PatchError& e) {
      // ErrTestFailed and ErrMissing mean "does not match"; any other failure is an error.
      if (e.failure() == patch::Failure::test_failed || e.failure() == patch::Failure::missing) return {};
      return e.what();
    }
  }
  matched = true;
  return {};
}

// JSONPatcher.Patch: a failing `test` leaves the object as it is, without error.
void apply_json_patches(const ResourceModifierRule& r, json::object& obj) {
  patch::JsonPatch p;
  try {
    p = patch::JsonPatch::decode(patch_array_text(r.patches), "patches");
  } catch (const patch::PatchError& e) {
    throw invalid_input(std::string("error in applying JSON Patch error in decoding json patch ") + e.what());
  }
  json::value result;
  try {
    result = p.apply(json::value(obj));
  } catch (const patch::PatchError& e) {
    if (e.failure() == patch::Failure::test_failed) return;
    throw invalid_input(std::string("error in applying JSON Patch ") + e.what());
  }
  obj = require_kind(std::move(result), "error in unmarshalling modified object ");
}

// JSONMergePatcher.Patch: each patchData in turn (YAML or JSON), then the object must keep a kind.
void apply_merge_patches(const ResourceModifierRule& r, json::object& obj) {
  json::value doc(obj);
  for (const std::string& data : r.merge_patches) {
    json::value p;
    try {
      p = detail::yaml_to_json(data, "patchData", false);
    } catch (const Error& e) {
      throw invalid_input(std::string("error in converting YAML to JSON ") + e.what());
    }
    try {
      doc = patch::apply_merge_patch(doc, p);
    } catch (const Error& e) {
      throw invalid_input(std::string("error in applying JSON Patch: ") + e.what());
    }
  }
  obj = require_kind(std::move(doc), "error in unmarshalling modified object ");
}

// StrategicMergePatcher.Patch: the type comes from the object's apiVersion and kind before patching.
void apply_strategic_patches(const ResourceModifierRule& r, json::object& obj) {
  std::string api_version(json::get_string(obj, "apiVersion"));
  std::string kind(json::get_string(obj, "kind"));
  if (!patch::strategic_type_known(api_version, kind)) {
    throw invalid_input("no kind \"" + kind + "\" is registered for version \"" + api_version + "\" in scheme");
  }
  json::object updated = obj;
  for (const std::string& data : r.strategic_patches) {
    json::value p;
    try {
      p = detail::yaml_to_json(data, "patchData", false);
    } catch (const Error& e) {
      throw invalid_input(std::string("error in converting YAML to JSON ") + e.what());
    }
    if (p.is_null()) p = json::object();  // UnmarshalStrict of null leaves an empty patch
    if (!p.is_object()) {
      throw invalid_input(std::string("error in applying Strategic Patch json: cannot unmarshal ") +
                          (p.is_array() ? "array" : "value") + " into Go value of type map[string]interface {}");
    }
    try {
      updated = patch::apply_strategic_merge_patch(updated, p.get_object(), api_version, kind);
    } catch (const Error& e) {
      throw invalid_input(std::string("error in applying Strategic Patch ") + e.what());
    }
    updated = require_kind(json::value(std::move(updated)), "error in applying Strategic Patch ");
  }
  obj = std::move(updated);
}

}  // namespace

ResourceModifiers ResourceModifiers::parse_text(std::string_view text, std::string_view what) {
  ResourceModifiers m;
  try {
    detail::decode_modifiers(text, what, m.version_, m.rules_);
  } catch (const Error& e) {
    throw invalid_input(std::string("failed to decode yaml data into resource modifiers: ") + e.what());
  }
  validate(m.version_, m.rules_, what);
  auto compiled = std::make_shared<std::vector<Compiled>>();
  for (std::size_t i = 0; i < m.rules_.size(); ++i) compiled->push_back(compile(m.rules_[i], i, what));
  m.compiled_ = std::move(compiled);
  return m;
}

ResourceModifiers ResourceModifiers::parse(const json::object& configmap_or_data, std::string_view what) {
  const json::object* data = &configmap_or_data;
  if (json::get_string(configmap_or_data, "kind") == "ConfigMap") {
    static const json::object empty;
    data = json::find_object(configmap_or_data, "data");
    if (!data) data = &empty;
  }
  if (data->size() != 1) {
    throw invalid_input(std::string(what) + ": illegal resource modifiers configmap: it must have exactly one data key, not " +
                        std::to_string(data->size()));
  }
  const json::value& v = data->begin()->value();
  if (!v.is_string()) throw invalid_input(std::string(what) + ": data." + std::string(data->begin()->key()) + ": expected string");
  return parse_text(v.get_string(), what);
}

ResourceModifiers ResourceModifiers::from_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(path.string() + ": cannot read the resource modifier file");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::string what = path.string();
  // A ConfigMap manifest carries the document in its one data value.
  json::value doc;
  try {
    doc = detail::yaml_to_json(text, what, false);
  } catch (const Error&) {
    // Not even YAML: parse_text reports it with Velero's wording.
  }
  if (doc.is_object() && json::get_string(doc.get_object(), "kind") == "ConfigMap") return parse(doc.get_object(), what);
  return parse_text(text, what);
}

std::vector<std::string> ResourceModifiers::apply(json::object& obj, std::string_view group_resource,
                                                  std::string_view source_namespace) const {
  std::vector<std::string> errors;
  // With more than one rule every rule is matched against the object as it was before any patch.
  std::optional<json::object> origin_copy;
  if (rules_.size() > 1) origin_copy = obj;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const ResourceModifierRule& r = rules_[i];
    const json::object& origin = origin_copy ? *origin_copy : obj;
    bool matched = false;
    std::string err = match((*compiled_)[i], origin, group_resource, source_namespace, matched);
    std::string prefix = "resource modifier rule " + std::to_string(i) + ": ";
    if (!err.empty()) {
      errors.push_back(prefix + err);
      continue;
    }
    if (!matched) continue;
    try {
      if (!r.patches.empty()) apply_json_patches(r, obj);
      else if (!r.merge_patches.empty()) apply_merge_patches(r, obj);
      else if (!r.strategic_patches.empty()) apply_strategic_patches(r, obj);
      else throw invalid_input("no patch data found");
    } catch (const Error& e) {
      errors.push_back(prefix + "error in applying patch " + e.what());
    }
  }
  return errors;
}

}  // namespace vbackup::restore
