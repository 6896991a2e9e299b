#include "restore/actions/object_access.hpp"

#include <cmath>

namespace vbackup::restore::detail {

namespace {

const char* kind_name(const json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::object: return "object";
    case boost::json::kind::array: return "array";
    case boost::json::kind::string: return "string";
    case boost::json::kind::bool_: return "boolean";
    case boost::json::kind::null: return "null";
    default: return "number";
  }
}

[[noreturn]] void wrong_type(const json::value& v, std::string_view expected, std::string_view what,
                             std::string_view path) {
  fail(what, path, "expected " + std::string(expected) + ", found " + kind_name(v));
}

const json::value* present(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

}  // namespace

std::string resource_id(std::string_view group_resource, std::string_view ns, std::string_view name) {
  std::string id(group_resource);
  if (!ns.empty()) id.append("/").append(ns);
  id.append("/").append(name);
  return id;
}

std::string join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out.push_back('.');
  out.append(key);
  return out;
}

std::string index(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

void fail(std::string_view what, std::string_view path, std::string_view problem) {
  std::string message(what);
  if (!path.empty()) message.append(": ").append(path);
  message.append(": ").append(problem);
  throw Error(ErrorCode::invalid, message);
}

json::object* object_field(json::object& o, std::string_view key, std::string_view what, std::string_view path) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return nullptr;
  if (!it->value().is_object()) wrong_type(it->value(), "object", what, join(path, key));
  return &it->value().get_object();
}

const json::object* object_field(const json::object& o, std::string_view key, std::string_view what,
                                 std::string_view path) {
  return object_field(const_cast<json::object&>(o), key, what, path);
}

json::array* array_field(json::object& o, std::string_view key, std::string_view what, std::string_view path) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return nullptr;
  if (!it->value().is_array()) wrong_type(it->value(), "array", what, join(path, key));
  return &it->value().get_array();
}

const json::array* array_field(const json::object& o, std::string_view key, std::string_view what,
                               std::string_view path) {
  return array_field(const_cast<json::object&>(o), key, what, path);
}

std::optional<std::string_view> string_field(const json::object& o, std::string_view key, std::string_view what,
                                             std::string_view path) {
  const json::value* v = present(o, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) wrong_type(*v, "string", what, join(path, key));
  return std::string_view(v->get_string().data(), v->get_string().size());
}

std::optional<std::int64_t> int_field(const json::object& o, std::string_view key, std::string_view what,
                                      std::string_view path) {
  const json::value* v = present(o, key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  if (v->is_double()) {
    double d = v->get_double();
    if (std::trunc(d) == d && std::fabs(d) < 9.2e18) return static_cast<std::int64_t>(d);
  }
  wrong_type(*v, "integer", what, join(path, key));
}

std::optional<bool> bool_field(const json::object& o, std::string_view key, std::string_view what,
                               std::string_view path) {
  const json::value* v = present(o, key);
  if (!v) return std::nullopt;
  if (!v->is_bool()) wrong_type(*v, "boolean", what, join(path, key));
  return v->get_bool();
}

json::object& object_element(json::value& v, std::string_view what, std::string_view path) {
  if (!v.is_object()) wrong_type(v, "object", what, path);
  return v.get_object();
}

const json::object& object_element(const json::value& v, std::string_view what, std::string_view path) {
  if (!v.is_object()) wrong_type(v, "object", what, path);
  return v.get_object();
}

json::object& metadata(json::object& item, std::string_view what) {
  auto it = item.find("metadata");
  if (it == item.end()) fail(what, "", "metadata not found");
  if (!it->value().is_object()) wrong_type(it->value(), "object", what, "metadata");
  return it->value().get_object();
}

json::object* metadata_map(json::object& item, std::string_view key, std::string_view what) {
  json::object* md = object_field(item, "metadata", what, "");
  if (!md) return nullptr;
  json::object* map = object_field(*md, key, what, "metadata");
  if (map) {
    for (const auto& kv : *map) {
      if (!kv.value().is_string()) wrong_type(kv.value(), "string", what, join(join("metadata", key), kv.key()));
    }
  }
  return map;
}

const json::object* metadata_map(const json::object& item, std::string_view key, std::string_view what) {
  return metadata_map(const_cast<json::object&>(item), key, what);
}

std::string_view map_string(const json::object* map, std::string_view key) {
  return map ? json::get_string(*map, key) : std::string_view{};
}

void erase_if_empty(json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return;
  const json::value& v = it->value();
  if (v.is_null() || (v.is_object() && v.get_object().empty()) || (v.is_array() && v.get_array().empty())) {
    o.stable_erase(it);
  }
}

std::string_view trim_space(std::string_view s) {
  constexpr std::string_view ws = " \t\n\v\f\r";
  auto first = s.find_first_not_of(ws);
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(ws);
  return s.substr(first, last - first + 1);
}

std::string replace_all(std::string_view s, std::string_view old, std::string_view replacement) {
  std::string out;
  if (old.empty()) {
    // Go: a match at the start and after each UTF-8 sequence (continuation bytes do not start one).
    for (char c : s) {
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) out.append(replacement);
      out.push_back(c);
    }
    out.append(replacement);
    return out;
  }
  std::size_t pos = 0;
  for (;;) {
    std::size_t found = s.find(old, pos);
    if (found == std::string_view::npos) break;
    out.append(s.substr(pos, found - pos)).append(replacement);
    pos = found + old.size();
  }
  out.append(s.substr(pos));
  return out;
}

}  // namespace vbackup::restore::detail
