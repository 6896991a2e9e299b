// Small accessors for the unstructured objects of the CSI flow (csi_snapshots.hpp).
#pragma once

#include "vbackup/json.hpp"

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

namespace vbackup::detail::csi_util {

// The value at a path of object keys, or nullptr.
inline const json::value* at(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::object* cur = &o;
  const json::value* v = nullptr;
  for (auto key : path) {
    if (!cur) return nullptr;
    v = cur->if_contains(key);
    if (!v) return nullptr;
    cur = v->if_object();
  }
  return v;
}
inline bool has(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::value* v = at(o, path);
  return v && !v->is_null();
}
// The string at a path, "" when absent or not a string.
inline std::string str(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::value* v = at(o, path);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}
inline std::map<std::string, std::string> string_map(const json::object& o) {
  std::map<std::string, std::string> m;
  for (const auto& kv : o) {
    if (kv.value().is_string()) m[std::string(kv.key())] = std::string(kv.value().get_string());
  }
  return m;
}
// Whether the comma-separated annotation `key` of `obj` lists `item` (backup.velero.io/backup-volumes).
inline bool annotation_lists(const json::object& obj, std::string_view key, std::string_view item) {
  const json::object* ann = json::metadata_map(obj, "annotations");
  std::string_view list = ann ? json::get_string(*ann, key) : std::string_view();
  while (!list.empty()) {
    auto comma = list.find(',');
    if (list.substr(0, comma) == item) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// metadata.<map>[key] = value, creating metadata and the map as needed.
inline void set_map_entry(json::object& obj, std::string_view map, std::string_view key, std::string_view value) {
  if (!obj["metadata"].is_object()) obj["metadata"] = json::object();
  json::object& md = obj["metadata"].as_object();
  if (!md[map].is_object()) md[map] = json::object();
  md[map].as_object()[key] = value;
}

}  // namespace vbackup::detail::csi_util
