// The type information strategic merge patch needs (what Go gets from reflection on k8s.io/api
// structs): for a type and a JSON field, the field's type, patchStrategy and patchMergeKey.
// Types are "shapes": s (scalar), m (map), o:<pkg>.<Struct>, p:o:<pkg>.<Struct> (a pointer),
// l:<element shape>.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::patch::detail {

struct Meta {
  std::string shape;  // the field's type (LookupPatchMetadataForStruct) or element type (…ForSlice)
  std::vector<std::string> strategies;
  std::string merge_key;
};

// reflect.Kind().String() of a shape ("struct", "slice", "map", "ptr", "string").
std::string kind_of(std::string_view shape);
// LookupPatchMetadataForStruct / LookupPatchMetadataForSlice; throw Error(invalid) with Go's messages.
Meta lookup_struct(std::string_view shape, std::string_view key);
Meta lookup_slice(std::string_view shape, std::string_view key);
// extractRetainKeysPatchStrategy: the strategy other than retainKeys ("" for none).
std::string patch_strategy(const std::vector<std::string>& strategies);

// The root shape of a kind of Velero's restore scheme, nullopt when the scheme does not know it.
std::optional<std::string> registered_root(std::string_view api_version, std::string_view kind);

// While alive, lookups on this thread use the table given as text (smp_types.inc's format): tests.
class ScopedTable {
 public:
  explicit ScopedTable(std::string_view text);
  ~ScopedTable();
  ScopedTable(const ScopedTable&) = delete;
  ScopedTable& operator=(const ScopedTable&) = delete;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace vbackup::patch::detail
