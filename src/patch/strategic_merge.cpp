// Kubernetes strategic merge patch, applied as k8s.io/apimachinery v0.36.0
// pkg/util/strategicpatch/patch.go StrategicMergeMapPatch does it (MergeParallelList and
// IgnoreUnmatchedNulls on), with the struct tags of smp_types.inc standing in for Go reflection
// (PatchMetaFromStruct and the forked encoding/json field lookup).
//
// Go iterates maps in random order; here the patch's members are taken in their order. Kubernetes'
// own patches never make the outcome depend on it.
#include "patch/go_sort.hpp"
#include "patch/patch.hpp"
#include "patch/smp_schema.hpp"
#include "patch/strategic_detail.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <functional>

namespace vbackup::patch {
namespace {

using detail::go_stable_sort;
using detail::kind_of;
using detail::lookup_slice;
using detail::lookup_struct;
using detail::Meta;
using detail::patch_strategy;

[[noreturn]] void fail(const std::string& m) { throw invalid_input(m); }

// ---- Go dynamic types of decoded JSON ------------------------------------------------------------

// reflect.TypeOf: nil, map, slice, string, bool, int64, float64.
int go_type(const json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return 0;
    case boost::json::kind::object: return 1;
    case boost::json::kind::array: return 2;
    case boost::json::kind::string: return 3;
    case boost::json::kind::bool_: return 4;
    case boost::json::kind::int64: return 5;
    default: return 6;  // float64 (a uint64 only arises beyond int64, where Kubernetes has float64)
  }
}

// interface{} == for the scalars it can compare (maps and slices would panic in Go).
bool go_equal(const json::value& a, const json::value& b) {
  if (go_type(a) != go_type(b) || a.is_structured()) return false;
  return a == b;
}

const char* go_type_name(const json::value& v) {
  static const char* names[] = {"<nil>", "map[string]interface {}", "[]interface {}", "string", "bool", "int64", "float64"};
  return names[go_type(v)];
}

[[noreturn]] void bad_arg_type(const char* expected, const json::value& actual) {
  fail(std::string("expected a ") + expected + ", but received a " + go_type_name(actual));
}

std::string go_print(const json::value& v) { return json::marshal(v); }  // %v, approximately

[[noreturn]] void no_merge_key(const json::value& m, const std::string& key) {
  fail("map: " + go_print(m) + " does not contain declared merge key: " + key);
}

const std::string kDirective = "$patch";
const std::string kDeleteFromPrimitiveList = "$deleteFromPrimitiveList";
const std::string kSetElementOrder = "$setElementOrder";
const std::string kRetainKeys = "$retainKeys";

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string extract_key(std::string_view s, const std::string& prefix, const char* error) {
  std::size_t slash = s.find('/');
  if (slash == std::string_view::npos || s.substr(0, slash) != prefix) fail(error);
  return std::string(s.substr(slash + 1));
}

// ---- The merge -------------------------------------------------------------------------------------

json::object merge_map(json::object original, json::object patch, std::string_view schema);

void discard_nulls(json::value& v) {
  if (v.is_object()) {
    auto& o = v.get_object();
    for (auto it = o.begin(); it != o.end();) {
      if (it->value().is_null()) {
        it = o.erase(it);
      } else {
        discard_nulls(it->value());
        ++it;
      }
    }
  } else if (v.is_array()) {
    for (auto& e : v.get_array()) discard_nulls(e);
  }
}

// removeDirectives: drops maps holding $patch (and members or elements that are such maps).
bool remove_directives(json::value& v) {
  if (v.is_object()) {
    auto& o = v.get_object();
    if (o.contains(kDirective)) return false;
    for (auto it = o.begin(); it != o.end();) {
      if (!remove_directives(it->value())) it = o.erase(it);
      else ++it;
    }
  } else if (v.is_array()) {
    json::array kept;
    for (auto& e : v.get_array()) {
      if (remove_directives(e)) kept.push_back(std::move(e));
    }
    v = std::move(kept);
  }
  return true;
}

// sliceElementType: the Go type shared by every element (lists of lists are refused).
int slice_element_type(const json::array& a, const json::array& b) {
  int t = -1;
  for (const json::array* l : {&a, &b}) {
    for (const auto& v : *l) {
      int ct = go_type(v);
      if (t < 0) {
        if (ct == 0) fail("list element types are not identical: a list holds null");  // Go would panic
        if (ct == 2) fail("lists of lists are not supported");
        t = ct;
      } else if (t != ct) {
        fail("list element types are not identical: " + go_print(a) + " " + go_print(b));
      }
    }
  }
  if (t < 0) fail("no elements in any of the given slices");
  return t;
}

// index: position of v in l, comparing merge-key values for maps and the items otherwise.
long index_of(const json::array& l, const json::value& v, const std::string& key, bool maps) {
  auto val = [&](const json::value& item) -> json::value {
    if (!maps) return item;
    if (!item.is_object()) return nullptr;
    auto it = item.get_object().find(key);
    return it == item.get_object().end() ? json::value(nullptr) : it->value();
  };
  json::value want = val(v);
  for (std::size_t i = 0; i < l.size(); ++i) {
    json::value got = val(l[i]);
    if ((want.is_null() && got.is_null()) || go_equal(want, got)) return static_cast<long>(i);
  }
  return -1;
}

void validate_merge_keys(const std::string& key, const json::array& l) {
  for (const auto& item : l) {
    if (!item.is_object()) bad_arg_type("map[string]interface {}", item);
    if (!item.get_object().contains(key)) no_merge_key(item, key);
  }
}

// normalizeSliceOrder: sort by `order` (items with $patch: delete go last, for maps).
json::array normalize_slice_order(json::array to_sort, const json::array& order, const std::string& key, bool maps) {
  std::vector<json::value> items(to_sort.begin(), to_sort.end()), deletes;
  if (maps) {
    validate_merge_keys(key, to_sort);
    validate_merge_keys(key, order);
    std::vector<json::value> keep;
    for (auto& v : items) {
      auto it = v.get_object().find(kDirective);
      bool del = it != v.get_object().end() && it->value().is_string() && it->value().get_string() == "delete";
      (del ? deletes : keep).push_back(std::move(v));
    }
    items = std::move(keep);
  }
  go_stable_sort(items, [&](const json::value& x, const json::value& y) {
    long ix = index_of(order, x, key, maps);
    if (ix >= 0) {
      long iy = index_of(order, y, key, maps);
      if (iy >= 0) return ix < iy;
    }
    return true;
  });
  json::array out(items.begin(), items.end());
  for (auto& v : deletes) out.push_back(std::move(v));
  return out;
}

// normalizeElementOrder + mergeSortedSlice.
json::array normalize_element_order(json::array patch, json::array server_only, const json::array& patch_order,
                                    const json::array& server_order, const std::string& key, bool maps) {
  json::array right = normalize_slice_order(std::move(patch), patch_order, key, maps);
  json::array left = normalize_slice_order(std::move(server_only), server_order, key, maps);
  json::array s;
  std::size_t i = 0, j = 0;
  while (i < left.size() || j < right.size()) {
    if (i >= left.size()) {
      s.push_back(right[j++]);
    } else if (j >= right.size()) {
      s.push_back(left[i++]);
    } else {
      long li = index_of(server_order, left[i], key, maps), ri = index_of(server_order, right[j], key, maps);
      if (li >= 0 && ri >= 0 && li < ri) s.push_back(left[i++]);
      else s.push_back(right[j++]);
    }
  }
  return s;
}

// findMapInSliceBasedOnKeyValue.
long find_map(const json::array& l, const std::string& key, const json::value& value) {
  for (std::size_t k = 0; k < l.size(); ++k) {
    if (!l[k].is_object()) fail("value for key " + std::to_string(k) + " is not a map");
    auto it = l[k].get_object().find(key);
    if (it != l[k].get_object().end() && ((it->value().is_null() && value.is_null()) || go_equal(it->value(), value))) {
      return static_cast<long>(k);
    }
  }
  return -1;
}

// partitionPrimitivesByPresentInList / partitionMapsByPresentInList.
void partition(const json::array& merged, const json::array& by, const std::string& key, json::array& in,
               json::array& out) {
  for (const auto& v : merged) {
    bool found;
    if (key.empty()) {
      found = std::any_of(by.begin(), by.end(), [&](const json::value& b) { return go_equal(b, v) || (b.is_null() && v.is_null()); });
    } else {
      if (!v.is_object()) bad_arg_type("map[string]interface {}", v);
      auto it = v.get_object().find(key);
      if (it == v.get_object().end()) no_merge_key(v, key);
      found = find_map(by, key, it->value()) >= 0;
    }
    (found ? in : out).push_back(v);
  }
}

// `view`, when given, receives what the caller's `original` slice shows afterwards: Go deletes list
// elements in place and appends into the freed slots of the same array (Velero's lists come from
// DeepCopyJSON, so their capacity is their length), and $setElementOrder then orders by that view.
json::array merge_slice(json::array original, json::array patch, const std::string& schema, const std::string& key,
                        bool is_delete_list, json::array* view = nullptr) {
  if (view) *view = original;
  if (original.empty() && patch.empty()) return original;
  const std::size_t cap = original.size();
  std::size_t len = cap;  // the Go slice length over the shared array `*view`
  int t = slice_element_type(original, patch);
  bool maps = t == 1;
  json::array merged;
  if (!maps) {
    if (is_delete_list) {
      // deleteFromSlice: the parallel $deleteFromPrimitiveList list.
      json::array kept;
      for (const auto& v : original) {
        if (std::none_of(patch.begin(), patch.end(), [&](const json::value& d) { return go_equal(d, v); })) kept.push_back(v);
      }
      return kept;
    }
    // append, then deduplicateScalars (which swaps duplicates with the tail, as Go does).
    std::vector<json::value> s(original.begin(), original.end());
    s.insert(s.end(), patch.begin(), patch.end());
    bool shared = patch.empty();  // append(original) without new items keeps the same array
    long length = static_cast<long>(s.size()) - 1;
    for (long i = 0; i < length; ++i) {
      for (long j = i + 1; j <= length; ++j) {
        if (go_equal(s[i], s[j])) {
          s[j] = s[length];
          if (shared && view) (*view)[j] = s[j];
          s.resize(length);
          --length;
          --j;
        }
      }
    }
    merged = json::array(s.begin(), s.end());
  } else {
    if (key.empty()) fail("cannot merge lists without merge key for " + kind_of(schema));
    // mergeSliceWithSpecialElements.
    json::array plain;
    bool replace = false;
    for (const auto& v : patch) {
      const auto& m = v.get_object();
      auto d = m.find(kDirective);
      if (d == m.end()) {
        plain.push_back(v);
        continue;
      }
      const json::value& dir = d->value();
      if (dir.is_string() && dir.get_string() == "delete") {
        auto mv = m.find(key);
        if (mv == m.end()) no_merge_key(v, key);
        for (long at; (at = find_map(original, key, mv->value())) >= 0;) {
          original.erase(original.begin() + at);
          if (view) {  // append(original[:at], original[at+1:]...) shifts the shared array in place
            for (std::size_t i = static_cast<std::size_t>(at); i + 1 < len; ++i) (*view)[i] = (*view)[i + 1];
            --len;
          }
        }
      } else if (dir.is_string() && dir.get_string() == "replace") {
        replace = true;
      } else if (dir.is_string() && dir.get_string() == "merge") {
        fail("merging lists cannot yet be specified in the patch");
      } else {
        fail("unknown patch type: " + go_print(dir) + " in map: " + go_print(v));
      }
    }
    if (replace) {
      original = std::move(plain);
      plain.clear();
      view = nullptr;  // a new array: the caller's stays as it is
    }
    patch = std::move(plain);
    // mergeSliceWithoutSpecialElements.
    merged = original;
    for (const auto& v : patch) {
      auto mv = v.get_object().find(key);
      if (mv == v.get_object().end()) no_merge_key(v, key);
      long at = find_map(merged, key, mv->value());
      if (at >= 0) {
        // Go writes the merged map into the shared array; `original` keeps serving as the order by
        // merge key, which the merge does not change.
        merged[at] = merge_map(merged[at].get_object(), v.get_object(), schema);
      } else {
        merged.push_back(v);
        if (view && len < cap) (*view)[len] = v;  // appended into a freed slot of the shared array
        ++len;
      }
    }
  }
  json::array in, out;
  partition(merged, patch, maps ? key : std::string(), in, out);
  return normalize_element_order(std::move(in), std::move(out), patch, original, maps ? key : std::string(), maps);
}

json::value merge_slice_handler(json::value original, json::value patch, const std::string& schema,
                                const std::string& strategy, const std::string& key, bool is_delete_list,
                                json::array* view = nullptr) {
  if (!original.is_array()) bad_arg_type("[]interface {}", original);
  if (!patch.is_array()) bad_arg_type("[]interface {}", patch);
  if (strategy == "merge" || is_delete_list) {
    return merge_slice(std::move(original.get_array()), std::move(patch.get_array()), schema, key, is_delete_list, view);
  }
  return patch;
}

// applyRetainKeysDirective.
void apply_retain_keys(json::object& original, json::object& patch) {
  auto it = patch.find(kRetainKeys);
  if (it == patch.end()) return;
  json::value retain = it->value();
  patch.erase(kRetainKeys);
  if (!retain.is_array()) fail("invalid patch format of retainKeys");
  auto listed = [&](std::string_view k) {
    return std::any_of(retain.get_array().begin(), retain.get_array().end(),
                       [&](const json::value& v) { return v.is_string() && v.get_string() == k; });
  };
  for (const auto& kv : patch) {
    if (kv.value().is_null() || starts_with(kv.key(), kDeleteFromPrimitiveList) || starts_with(kv.key(), kSetElementOrder)) continue;
    if (!listed(kv.key())) fail("invalid patch format of retainKeys");
  }
  for (auto o = original.begin(); o != original.end();) {
    if (!listed(o->key())) o = original.erase(o);
    else ++o;
  }
}

// mergePatchIntoOriginal: each $setElementOrder/<list> with its list.
void merge_set_element_order(json::object& original, json::object& patch, const std::string& schema) {
  std::vector<std::string> keys;
  for (const auto& kv : patch) {
    if (starts_with(kv.key(), kSetElementOrder)) keys.emplace_back(kv.key());
  }
  for (const std::string& k : keys) {
    auto pit = patch.find(k);
    if (pit == patch.end()) continue;  // removed as another directive's list
    json::value order = pit->value();
    patch.erase(k);
    if (!order.is_array()) bad_arg_type("[]interface {}", order);
    std::string list_key = extract_key(k, kSetElementOrder, "invalid patch format of setElementOrder list");
    auto oit = original.find(list_key);
    auto lit = patch.find(list_key);
    bool found_original = oit != original.end(), found_patch = lit != patch.end();
    json::array original_list, patch_list;
    if (found_original) {
      if (!oit->value().is_array()) bad_arg_type("[]interface {}", oit->value());
      original_list = oit->value().get_array();
    }
    if (found_patch) {
      if (!lit->value().is_array()) bad_arg_type("[]interface {}", lit->value());
      patch_list = lit->value().get_array();
    }
    Meta meta = lookup_slice(schema, list_key);
    std::string strategy = patch_strategy(meta.strategies);
    // validatePatchWithSetOrderList: the patch's items appear in the order list, in its order.
    const json::array& set_order = order.get_array();
    if (!set_order.empty() && !patch_list.empty()) {
      json::array non_delete;
      for (const auto& v : patch_list) {
        if (!meta.merge_key.empty()) {
          if (!v.is_object()) bad_arg_type("map[string]interface {}", v);
          auto d = v.get_object().find(kDirective);
          if (d != v.get_object().end() && d->value().is_string() && d->value().get_string() == "delete") continue;
        }
        non_delete.push_back(v);
      }
      std::size_t pi = 0, si = 0;
      while (pi < non_delete.size() && si < set_order.size()) {
        const json::value& pv = non_delete[pi];
        if (pv.is_object() && pv.get_object().contains(kDirective)) {
          ++pi;
          continue;
        }
        bool same;
        if (meta.merge_key.empty()) {
          same = go_equal(pv, set_order[si]) || (pv.is_null() && set_order[si].is_null());
        } else {
          if (!pv.is_object()) bad_arg_type("map[string]interface {}", pv);
          if (!set_order[si].is_object()) bad_arg_type("map[string]interface {}", set_order[si]);
          auto a = pv.get_object().find(meta.merge_key);
          auto b = set_order[si].get_object().find(meta.merge_key);
          if (a == pv.get_object().end()) no_merge_key(pv, meta.merge_key);
          if (b == set_order[si].get_object().end()) no_merge_key(set_order[si], meta.merge_key);
          same = go_equal(a->value(), b->value()) || (a->value().is_null() && b->value().is_null());
        }
        if (same) ++pi;
        ++si;
      }
      if (pi < non_delete.size() && si >= set_order.size()) {
        fail("The order in patch list:\n" + go_print(json::value(patch_list)) + "\n doesn't match " + kSetElementOrder +
             " list:\n" + go_print(order) + "\n");
      }
    }
    json::array merged;
    if (found_original && !found_patch) {
      merged = original_list;
    } else if (!found_original && found_patch) {
      json::value v = patch_list;
      remove_directives(v);
      merged = v.get_array();
    } else if (found_original && found_patch) {
      json::array view = original_list;
      json::value m = merge_slice_handler(original_list, patch_list, meta.shape, strategy, meta.merge_key, false, &view);
      original_list = std::move(view);
      if (!m.is_array()) bad_arg_type("[]interface {}", m);
      merged = m.get_array();
    } else {
      continue;
    }
    json::array in, out;
    partition(merged, set_order, meta.merge_key, in, out);
    int t = slice_element_type(original_list, patch_list);
    original[list_key] = normalize_element_order(std::move(in), std::move(out), set_order, original_list,
                                                 meta.merge_key, t == 1);
    patch.erase(list_key);
  }
}

json::object merge_map(json::object original, json::object patch, std::string_view schema_view) {
  std::string schema(schema_view);
  if (auto d = patch.find(kDirective); d != patch.end()) {
    // handleDirectiveInMergeMap.
    const json::value& dir = d->value();
    if (dir.is_string() && dir.get_string() == "replace") {
      patch.erase(kDirective);
      return patch;
    }
    if (dir.is_string() && dir.get_string() == "delete") return {};
    fail("unknown patch type: " + go_print(dir) + " in map: " + go_print(json::value(patch)));
  }
  apply_retain_keys(original, patch);
  merge_set_element_order(original, patch, schema);
  for (auto& kv : patch) {
    std::string k(kv.key());
    json::value& patch_v = kv.value();
    bool is_delete_list = false;
    if (starts_with(k, kDeleteFromPrimitiveList)) {
      k = extract_key(k, kDeleteFromPrimitiveList, "invalid patch format of primitive list");
      is_delete_list = true;
    }
    if (patch_v.is_null()) {
      original.erase(k);
      continue;  // IgnoreUnmatchedNulls
    }
    auto it = original.find(k);
    if (it == original.end() || go_type(it->value()) != go_type(patch_v)) {
      if (!is_delete_list) {
        discard_nulls(patch_v);
        json::value v = patch_v;
        if (remove_directives(v)) original[k] = std::move(v);
        else original.erase(k);
      }
      continue;
    }
    if (patch_v.is_object()) {
      Meta meta = lookup_struct(schema, k);
      std::string strategy = patch_strategy(meta.strategies);
      if (strategy != "replace") {
        it->value() = merge_map(std::move(it->value().get_object()), patch_v.get_object(), meta.shape);
      } else {
        it->value() = patch_v;
      }
    } else if (patch_v.is_array()) {
      Meta meta = lookup_slice(schema, k);
      std::string strategy = patch_strategy(meta.strategies);
      it->value() = merge_slice_handler(std::move(it->value()), patch_v, meta.shape, strategy, meta.merge_key, is_delete_list);
    } else {
      json::value v = patch_v;
      if (remove_directives(v)) it->value() = std::move(v);
      else original.erase(k);
    }
  }
  return original;
}

}  // namespace

json::object detail::apply_strategic_merge_patch_with_table(std::string_view table_text, std::string_view root_struct,
                                                            const json::object& original, const json::object& patch) {
  ScopedTable use(table_text);
  return merge_map(original, patch, "o:" + std::string(root_struct));
}

bool strategic_type_known(std::string_view api_version, std::string_view kind) {
  return detail::registered_root(api_version, kind).has_value();
}

json::object apply_strategic_merge_patch(const json::object& original, const json::object& patch,
                                         std::string_view api_version, std::string_view kind) {
  auto root = detail::registered_root(api_version, kind);
  if (!root) {
    throw invalid_input("no kind \"" + std::string(kind) + "\" is registered for version \"" + std::string(api_version) +
                        "\" in Velero's scheme");
  }
  return merge_map(original, patch, *root);
}

}  // namespace vbackup::patch
