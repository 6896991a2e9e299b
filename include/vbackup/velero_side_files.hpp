// The side files next to a backup or restore in the bucket (spec §2.3, §2.4): gzip of
// json.NewEncoder(...).Encode(value), i.e. compact JSON followed by "\n"; a Go nil slice is `null`, so
// an empty list is the 29-byte gzip of "null\n". Key names of the files are the storage layout's, not
// this header's.
#pragma once

#include "vbackup/velero_meta.hpp"

#include <cstddef>

namespace vbackup::velero {

// Upper bound on the decompressed size of one side file; larger files are refused as invalid.
inline constexpr std::size_t side_file_limit = std::size_t{1} << 30;

// pkg/util/results Result: messages of a backup or restore by scope. JSON keys velero, cluster,
// namespaces in that order, all omitempty.
struct Result {
  std::vector<std::string> velero, cluster;
  std::map<std::string, std::vector<std::string>> namespaces;

  // Velero's Result.Add: an empty namespace means a cluster-scoped message.
  void add(std::string_view ns, std::string message);
  void add_velero(std::string message);
  void merge(const Result& other);
  std::size_t count() const;
  bool empty() const { return count() == 0; }

  static Result from_json(const json::object& o, std::string_view what, std::string_view path = {});
  json::object to_json() const;
};

struct Results {
  Result errors, warnings;
};

// <b>-results.gz / restore-<r>-results.gz: gzip of {"errors":…,"warnings":…} + "\n".
std::string encode_results(const Result& errors, const Result& warnings);
Results decode_results(std::string_view gzipped, std::string_view what);

// <b>-resource-list.json.gz / restore-<r>-resource-list.json.gz: {"apps/v1/Deployment": ["ns/name", …]},
// keys and values sorted (values are sorted on encode).
using ResourceList = std::map<std::string, std::vector<std::string>>;
std::string encode_resource_list(const ResourceList& list);
ResourceList decode_resource_list(std::string_view gzipped, std::string_view what);

// Any other side file (volume snapshots, pod volume backups, item operations, volume infos): gzip of
// compact JSON + "\n". Keys keep the value's insertion order (Go struct order when the value came from
// Go) unless options say otherwise; an empty array or null is written as `null`, as Go writes a nil slice.
std::string encode_json_gz(const json::value& value, const json::WriteOptions& options = {.sort_keys = false});
json::value decode_json_gz(std::string_view gzipped, std::string_view what);
// The list files: an array, or null (an empty list) which reads as an empty array.
json::array decode_json_list_gz(std::string_view gzipped, std::string_view what);

}  // namespace vbackup::velero
