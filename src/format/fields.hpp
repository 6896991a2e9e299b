// Reading and writing the fields of one Velero JSON object the way Go's encoding/json does for a typed
// struct: Reader takes known keys (type errors name the key path) and leaves the rest as `extra`;
// the put_* writers apply omitempty.
#pragma once

#include "vbackup/json.hpp"
#include "vbackup/time.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::velero::detail {

std::string join_path(std::string_view path, std::string_view key);

// The object at `v`, or Error(invalid) "<what>: <path>: expected object".
const json::object& expect_object(const json::value& v, std::string_view what, std::string_view path);

class Reader {
 public:
  Reader(const json::object& o, std::string_view what, std::string_view path);

  // Absent and null read as the zero value, as Go leaves the field untouched.
  std::string string(std::string_view key);
  std::optional<std::string> optional_string(std::string_view key);
  bool boolean(std::string_view key);
  std::optional<bool> optional_bool(std::string_view key);
  std::int64_t integer(std::string_view key);
  std::optional<std::int64_t> optional_integer(std::string_view key);
  std::vector<std::string> strings(std::string_view key);
  std::map<std::string, std::string> string_map(std::string_view key);
  std::optional<Timestamp> time(std::string_view key);
  std::chrono::nanoseconds duration(std::string_view key);
  std::optional<std::chrono::nanoseconds> optional_duration(std::string_view key);
  std::string bytes(std::string_view key);  // Go []byte: standard base64
  // A nested object (nullptr when absent or null) or array, and anything kept as JSON.
  const json::object* object(std::string_view key);
  json::array array(std::string_view key);
  std::optional<json::value> raw(std::string_view key);

  std::string path(std::string_view key) const { return join_path(path_, key); }
  std::string_view what() const { return what_; }
  [[noreturn]] void fail(std::string_view key, std::string_view problem) const;
  // The keys not taken, in input order.
  json::object rest() const;

 private:
  const json::value* take(std::string_view key);

  const json::object& o_;
  std::string_view what_;
  std::string path_;
  std::vector<std::string> taken_;
};

// Nested structs kept as JSON: an object (nullopt when absent or null), a list of objects (or nulls).
std::optional<json::value> optional_object(Reader& r, std::string_view key);
json::array object_list(Reader& r, std::string_view key);

// omitempty writers: nothing is written for "", 0, false, empty lists and maps, nullopt.
void put_string(json::object& o, std::string_view key, const std::string& s);
void put_int(json::object& o, std::string_view key, std::int64_t v);
void put_bool(json::object& o, std::string_view key, bool v);
void put_optional_bool(json::object& o, std::string_view key, const std::optional<bool>& v);
void put_strings(json::object& o, std::string_view key, const std::vector<std::string>& v);
void put_string_map(json::object& o, std::string_view key, const std::map<std::string, std::string>& m);
void put_time(json::object& o, std::string_view key, const std::optional<Timestamp>& t);
void put_optional_duration(json::object& o, std::string_view key,
                           const std::optional<std::chrono::nanoseconds>& d);
void put_raw(json::object& o, std::string_view key, const std::optional<json::value>& v);
void put_array(json::object& o, std::string_view key, const json::array& a);
// metav1.Duration is a struct: omitempty never drops it.
void put_duration(json::object& o, std::string_view key, std::chrono::nanoseconds d);
// Unknown keys after the known ones; a key already written wins.
void put_extra(json::object& o, const json::object& extra);


// Top-level resources: checks kind/apiVersion when present (`required` makes them mandatory).
void check_type(const json::object& o, std::string_view kind, std::string_view what, bool required);
json::object type_meta(std::string_view kind);

}  // namespace vbackup::velero::detail
