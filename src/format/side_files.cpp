// Side files of a backup or restore (spec §2.3, §2.4): gzip(json.NewEncoder.Encode(v)) = compact JSON
// and "\n". Result follows pkg/util/results/result.go (velero, cluster, namespaces; all omitempty).
#include "vbackup/velero_side_files.hpp"

#include "format/fields.hpp"
#include "vbackup/error.hpp"
#include "vbackup/stream.hpp"

#include <algorithm>

namespace vbackup::velero {

using detail::Reader;

namespace {

std::string encode_line(const json::value& v, const json::WriteOptions& options) {
  std::string text = json::marshal(v, options);
  text.push_back('\n');  // json.Encoder terminates each value with a newline
  return gzip_compress(text);
}

json::value decode(std::string_view gzipped, std::string_view what) {
  return json::parse(gzip_decompress(gzipped, side_file_limit, what), what);
}

json::array string_array(const std::vector<std::string>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

void Result::add(std::string_view ns, std::string message) {
  if (ns.empty()) {
    cluster.push_back(std::move(message));
  } else {
    namespaces[std::string(ns)].push_back(std::move(message));
  }
}

void Result::add_velero(std::string message) { velero.push_back(std::move(message)); }

void Result::merge(const Result& other) {
  cluster.insert(cluster.end(), other.cluster.begin(), other.cluster.end());
  velero.insert(velero.end(), other.velero.begin(), other.velero.end());
  for (const auto& [ns, messages] : other.namespaces) {
    auto& mine = namespaces[ns];
    mine.insert(mine.end(), messages.begin(), messages.end());
  }
}

std::size_t Result::count() const {
  std::size_t n = velero.size() + cluster.size();
  for (const auto& [ns, messages] : namespaces) n += messages.size();
  return n;
}

Result Result::from_json(const json::object& o, std::string_view what, std::string_view path) {
  Reader r(o, what, path);
  Result result;
  result.velero = r.strings("velero");
  result.cluster = r.strings("cluster");
  if (const json::object* ns = r.object("namespaces")) {
    Reader nr(*ns, what, r.path("namespaces"));
    for (const auto& kv : *ns) {
      std::string key(kv.key());
      result.namespaces[key] = nr.strings(key);
    }
  }
  return result;  // Result has no room for unknown keys; Velero drops them too
}

json::object Result::to_json() const {
  json::object o;
  detail::put_strings(o, "velero", velero);
  detail::put_strings(o, "cluster", cluster);
  if (!namespaces.empty()) {
    json::object ns;
    for (const auto& [name, messages] : namespaces) {
      // A map value is a plain []string: a nil one is null.
      if (messages.empty()) {
        ns[name] = nullptr;
      } else {
        ns[name] = string_array(messages);
      }
    }
    o["namespaces"] = std::move(ns);
  }
  return o;
}

std::string encode_results(const Result& errors, const Result& warnings) {
  // map[string]results.Result: keys sorted ("errors" < "warnings"), each Result in struct order.
  json::object o;
  o["errors"] = errors.to_json();
  o["warnings"] = warnings.to_json();
  return encode_line(o, {.sort_keys = false});
}

Results decode_results(std::string_view gzipped, std::string_view what) {
  json::value v = decode(gzipped, what);
  Results results;
  if (v.is_null()) return results;
  Reader r(detail::expect_object(v, what, {}), what, {});
  if (const json::object* e = r.object("errors")) results.errors = Result::from_json(*e, what, "errors");
  if (const json::object* w = r.object("warnings")) results.warnings = Result::from_json(*w, what, "warnings");
  return results;
}

std::string encode_resource_list(const ResourceList& list) {
  json::object o;
  for (const auto& [key, items] : list) {
    std::vector<std::string> sorted = items;
    std::sort(sorted.begin(), sorted.end());
    o[key] = string_array(sorted);
  }
  return encode_line(o, {.sort_keys = false});
}

ResourceList decode_resource_list(std::string_view gzipped, std::string_view what) {
  json::value v = decode(gzipped, what);
  ResourceList list;
  if (v.is_null()) return list;
  const json::object& o = detail::expect_object(v, what, {});
  Reader r(o, what, {});
  for (const auto& kv : o) {
    std::string key(kv.key());
    list[key] = r.strings(key);
  }
  return list;
}

std::string encode_json_gz(const json::value& value, const json::WriteOptions& options) {
  if (value.is_array() && value.get_array().empty()) return encode_line(nullptr, options);  // nil slice
  return encode_line(value, options);
}

json::value decode_json_gz(std::string_view gzipped, std::string_view what) { return decode(gzipped, what); }

json::array decode_json_list_gz(std::string_view gzipped, std::string_view what) {
  json::value v = decode(gzipped, what);
  if (v.is_null()) return {};
  if (!v.is_array()) throw invalid_input(std::string(what) + ": expected a JSON array");
  return std::move(v.get_array());
}

}  // namespace vbackup::velero
