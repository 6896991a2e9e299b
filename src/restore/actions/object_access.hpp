// Internal: typed access into the unstructured objects restore actions edit. Velero converts an item to
// its Go type (runtime.DefaultUnstructuredConverter) and fails the action when a field has the wrong JSON
// type; these helpers fail the same way, with Error(invalid) "<what>: <path>: expected <type>", where
// `what` names the item (resource_id) and `path` the field ("spec.ports[0].nodePort"). Absent and null
// read as absent, as Go leaves such a field at its zero value.
#pragma once

#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vbackup::restore::detail {

// Velero's getResourceID: "<group_resource>/<namespace>/<name>", or "<group_resource>/<name>" when
// cluster-scoped.
std::string resource_id(std::string_view group_resource, std::string_view ns, std::string_view name);

// "spec" + "ports" → "spec.ports"; "" + "spec" → "spec".
std::string join(std::string_view path, std::string_view key);
std::string index(std::string_view path, std::size_t i);  // "spec.ports" + 0 → "spec.ports[0]"

[[noreturn]] void fail(std::string_view what, std::string_view path, std::string_view problem);

// The value under key as the named type; nullptr / nullopt when absent or null.
json::object* object_field(json::object& o, std::string_view key, std::string_view what, std::string_view path);
const json::object* object_field(const json::object& o, std::string_view key, std::string_view what,
                                 std::string_view path);
json::array* array_field(json::object& o, std::string_view key, std::string_view what, std::string_view path);
const json::array* array_field(const json::object& o, std::string_view key, std::string_view what,
                               std::string_view path);
std::optional<std::string_view> string_field(const json::object& o, std::string_view key, std::string_view what,
                                             std::string_view path);
// An integer (a double with an integral value counts, as JSON numbers decode to float64 in Go maps).
std::optional<std::int64_t> int_field(const json::object& o, std::string_view key, std::string_view what,
                                      std::string_view path);
std::optional<bool> bool_field(const json::object& o, std::string_view key, std::string_view what,
                               std::string_view path);

// An element of an array that must be an object.
json::object& object_element(json::value& v, std::string_view what, std::string_view path);
const json::object& object_element(const json::value& v, std::string_view what, std::string_view path);

// metadata of an item: Error(invalid) "<what>: metadata not found" when absent, as Velero's resetMetadata.
json::object& metadata(json::object& item, std::string_view what);
// metadata.labels / metadata.annotations, nullptr when absent or null.
json::object* metadata_map(json::object& item, std::string_view key, std::string_view what);
const json::object* metadata_map(const json::object& item, std::string_view key, std::string_view what);
// The string value of a label or annotation ("" when absent).
std::string_view map_string(const json::object* map, std::string_view key);

// Go's omitempty after a typed round trip: drop key when its value is null, {} or [].
void erase_if_empty(json::object& o, std::string_view key);

// Go's strings.TrimSpace for ASCII white space (all the inputs here are ASCII: image names, class names).
std::string_view trim_space(std::string_view s);
// Go's strings.Replace(s, old, new, -1), including its rule for an empty `old` (a match before every
// UTF-8 sequence and at the end).
std::string replace_all(std::string_view s, std::string_view old, std::string_view replacement);

}  // namespace vbackup::restore::detail
