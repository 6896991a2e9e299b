#include "format/fields.hpp"

#include "core/encoding.hpp"
#include "vbackup/error.hpp"

#include <algorithm>
#include <array>

namespace vbackup::velero::detail {
namespace {

std::string prefix(std::string_view what, std::string_view path) {
  std::string out(what);
  if (!path.empty()) {
    if (!out.empty()) out += ": ";
    out += path;
  }
  return out;
}

[[noreturn]] void fail_at(std::string_view what, std::string_view path, std::string_view problem) {
  std::string where = prefix(what, path);
  throw invalid_input(where.empty() ? std::string(problem) : where + ": " + std::string(problem));
}

std::string string_at(const json::value& v, std::string_view what, std::string_view path) {
  if (!v.is_string()) fail_at(what, path, "expected string");
  return std::string(v.get_string());
}

}  // namespace

std::string join_path(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

const json::object& expect_object(const json::value& v, std::string_view what, std::string_view path) {
  if (!v.is_object()) fail_at(what, path, "expected object");
  return v.get_object();
}

Reader::Reader(const json::object& o, std::string_view what, std::string_view path)
    : o_(o), what_(what), path_(path) {}

void Reader::fail(std::string_view key, std::string_view problem) const {
  fail_at(what_, path(key), problem);
}

const json::value* Reader::take(std::string_view key) {
  taken_.emplace_back(key);
  auto it = o_.find(key);
  if (it == o_.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

std::string Reader::string(std::string_view key) {
  const json::value* v = take(key);
  return v ? string_at(*v, what_, path(key)) : std::string();
}

std::optional<std::string> Reader::optional_string(std::string_view key) {
  const json::value* v = take(key);
  if (!v) return std::nullopt;
  return string_at(*v, what_, path(key));
}

bool Reader::boolean(std::string_view key) { return optional_bool(key).value_or(false); }

std::optional<bool> Reader::optional_bool(std::string_view key) {
  const json::value* v = take(key);
  if (!v) return std::nullopt;
  if (!v->is_bool()) fail(key, "expected boolean");
  return v->get_bool();
}

std::int64_t Reader::integer(std::string_view key) { return optional_integer(key).value_or(0); }

std::optional<std::int64_t> Reader::optional_integer(std::string_view key) {
  const json::value* v = take(key);
  if (!v) return std::nullopt;
  // json::parse keeps integers that fit int64 as int64; anything else (1.5, 1e3, 2^64) Go refuses too.
  if (!v->is_int64()) fail(key, "expected integer");
  return v->get_int64();
}

std::vector<std::string> Reader::strings(std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = take(key);
  if (!v) return out;
  if (!v->is_array()) fail(key, "expected array of strings");
  const auto& a = v->get_array();
  out.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    // Go decodes a null element of []string as "".
    if (a[i].is_null()) {
      out.emplace_back();
      continue;
    }
    out.push_back(string_at(a[i], what_, path(key) + "[" + std::to_string(i) + "]"));
  }
  return out;
}

std::map<std::string, std::string> Reader::string_map(std::string_view key) {
  std::map<std::string, std::string> out;
  const json::value* v = take(key);
  if (!v) return out;
  if (!v->is_object()) fail(key, "expected object of strings");
  for (const auto& kv : v->get_object()) {
    const std::string sub = path(key) + "." + std::string(kv.key());
    out[std::string(kv.key())] = kv.value().is_null() ? std::string() : string_at(kv.value(), what_, sub);
  }
  return out;
}

std::optional<Timestamp> Reader::time(std::string_view key) {
  auto s = optional_string(key);
  if (!s) return std::nullopt;
  try {
    return parse_rfc3339(*s);
  } catch (const Error& e) {
    fail(key, e.what());
  }
}

std::chrono::nanoseconds Reader::duration(std::string_view key) {
  return optional_duration(key).value_or(std::chrono::nanoseconds(0));
}

std::optional<std::chrono::nanoseconds> Reader::optional_duration(std::string_view key) {
  auto s = optional_string(key);
  if (!s) return std::nullopt;
  try {
    return parse_duration(*s);
  } catch (const Error& e) {
    fail(key, e.what());
  }
}

std::string Reader::bytes(std::string_view key) {
  std::string s = string(key);
  auto out = vbackup::base64_decode(s);
  if (!out) fail(key, "invalid base64 data");
  return *out;
}

const json::object* Reader::object(std::string_view key) {
  const json::value* v = take(key);
  if (!v) return nullptr;
  return &expect_object(*v, what_, path(key));
}

json::array Reader::array(std::string_view key) {
  const json::value* v = take(key);
  if (!v) return {};
  if (!v->is_array()) fail(key, "expected array");
  return v->get_array();
}

std::optional<json::value> Reader::raw(std::string_view key) {
  const json::value* v = take(key);
  if (!v) return std::nullopt;
  return *v;
}

json::object Reader::rest() const {
  json::object out;
  for (const auto& kv : o_) {
    if (std::find(taken_.begin(), taken_.end(), kv.key()) == taken_.end()) out.emplace(kv.key(), kv.value());
  }
  return out;
}

std::optional<json::value> optional_object(Reader& r, std::string_view key) {
  if (const json::object* o = r.object(key)) return json::value(*o);
  return std::nullopt;
}

json::array object_list(Reader& r, std::string_view key) {
  json::array a = r.array(key);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_null()) expect_object(a[i], r.what(), r.path(key) + "[" + std::to_string(i) + "]");
  }
  return a;
}

void put_string(json::object& o, std::string_view key, const std::string& s) {
  if (!s.empty()) o[key] = s;
}

void put_int(json::object& o, std::string_view key, std::int64_t v) {
  if (v != 0) o[key] = v;
}

void put_bool(json::object& o, std::string_view key, bool v) {
  if (v) o[key] = true;
}

void put_optional_bool(json::object& o, std::string_view key, const std::optional<bool>& v) {
  if (v) o[key] = *v;
}

void put_strings(json::object& o, std::string_view key, const std::vector<std::string>& v) {
  if (v.empty()) return;
  json::array a;
  a.reserve(v.size());
  for (const auto& s : v) a.emplace_back(s);
  o[key] = std::move(a);
}

void put_string_map(json::object& o, std::string_view key, const std::map<std::string, std::string>& m) {
  if (m.empty()) return;
  json::object out;
  for (const auto& [k, v] : m) out[k] = v;  // std::map order is Go's bytewise key order
  o[key] = std::move(out);
}

void put_time(json::object& o, std::string_view key, const std::optional<Timestamp>& t) {
  if (t) o[key] = format_rfc3339(*t);
}

void put_optional_duration(json::object& o, std::string_view key,
                           const std::optional<std::chrono::nanoseconds>& d) {
  if (d) o[key] = format_duration(*d);
}

void put_raw(json::object& o, std::string_view key, const std::optional<json::value>& v) {
  if (v && !v->is_null()) o[key] = *v;
}

void put_array(json::object& o, std::string_view key, const json::array& a) {
  if (!a.empty()) o[key] = a;
}

void put_duration(json::object& o, std::string_view key, std::chrono::nanoseconds d) {
  o[key] = format_duration(d);
}

void put_extra(json::object& o, const json::object& extra) {
  for (const auto& kv : extra) o.emplace(kv.key(), kv.value());
}


void check_type(const json::object& o, std::string_view kind, std::string_view what, bool required) {
  auto check = [&](std::string_view key, std::string_view want) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) {
      if (required) fail_at(what, key, "missing, expected \"" + std::string(want) + "\"");
      return;
    }
    std::string got = string_at(it->value(), what, key);
    if (got != want) fail_at(what, key, "expected \"" + std::string(want) + "\", got \"" + got + "\"");
  };
  check("apiVersion", "velero.io/v1");
  check("kind", kind);
}

json::object type_meta(std::string_view kind) {
  json::object o;
  o["kind"] = kind;
  o["apiVersion"] = "velero.io/v1";
  return o;
}

}  // namespace vbackup::velero::detail
