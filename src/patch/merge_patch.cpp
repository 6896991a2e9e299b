// RFC 7386 JSON merge patch as github.com/evanphx/json-patch/v5 v5.9.11 merge.go applies and creates
// it (jsonpatch.MergePatch, jsonpatch.CreateMergePatch). Velero applies `mergePatches` of resource
// modifiers with the first and computes the restore's `update` patches with the second.
#include "patch/patch.hpp"

#include <boost/json.hpp>

namespace vbackup::patch {
namespace {

void prune_nulls(json::value& v);

// pruneDocNulls: drops null members, recursing into the others.
void prune_object_nulls(json::object& o) {
  for (auto it = o.begin(); it != o.end();) {
    if (it->value().is_null()) {
      it = o.erase(it);
    } else {
      prune_nulls(it->value());
      ++it;
    }
  }
}

// pruneNulls: objects lose their null members at every depth, also inside arrays; an array's own
// null elements stay (pruneAryNulls keeps them).
void prune_nulls(json::value& v) {
  if (v.is_object()) {
    prune_object_nulls(v.get_object());
  } else if (v.is_array()) {
    for (auto& e : v.get_array()) {
      if (!e.is_null()) prune_nulls(e);
    }
  }
}

void merge_docs(json::object& doc, const json::object& patch);

// merge(cur, patch): a non-object current value is replaced by the pruned patch; a non-object patch
// replaces as it is; two objects merge.
json::value merge(json::value cur, const json::value& patch) {
  if (!cur.is_object()) {
    json::value p = patch;
    prune_nulls(p);
    return p;
  }
  if (!patch.is_object()) return patch;
  merge_docs(cur.get_object(), patch.get_object());
  return cur;
}

// mergeDocs with mergeMerge=false. Go iterates the patch map in random order; the outcome does not
// depend on it, and new members are appended in patch order here.
void merge_docs(json::object& doc, const json::object& patch) {
  for (const auto& kv : patch) {
    const json::value& v = kv.value();
    if (v.is_null()) {
      doc.erase(kv.key());
      continue;
    }
    auto it = doc.find(kv.key());
    if (it == doc.end() || it->value().is_null()) {
      json::value p = v;
      prune_nulls(p);
      doc[kv.key()] = std::move(p);
    } else {
      it->value() = merge(std::move(it->value()), v);
    }
  }
}

// matchesValue: numbers compare by their JSON text (the v5 decoder keeps json.Number), so the Go
// encoding of each side is compared.
bool matches_value(const json::value& a, const json::value& b);

bool same_kind(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return true;
  return a.kind() == b.kind();
}

bool matches_value(const json::value& a, const json::value& b) {
  if (!same_kind(a, b)) return false;
  switch (a.kind()) {
    case boost::json::kind::null: return true;
    case boost::json::kind::bool_: return a.get_bool() == b.get_bool();
    case boost::json::kind::string: return a.get_string() == b.get_string();
    case boost::json::kind::object: {
      const auto& ao = a.get_object();
      const auto& bo = b.get_object();
      if (ao.size() != bo.size()) return false;
      for (const auto& kv : bo) {
        auto it = ao.find(kv.key());
        if (it == ao.end() || !matches_value(it->value(), kv.value())) return false;
      }
      return true;
    }
    case boost::json::kind::array: {
      const auto& aa = a.get_array();
      const auto& ba = b.get_array();
      if (aa.size() != ba.size()) return false;
      for (std::size_t i = 0; i < aa.size(); ++i) {
        if (!matches_value(aa[i], ba[i])) return false;
      }
      return true;
    }
    default: return json::marshal(a) == json::marshal(b);
  }
}

// getDiff(a, b): members of b that are new or changed, then members of a missing from b as null.
// Keys are sorted, as Go's json.Marshal of the map writes them.
json::object get_diff(const json::object& a, const json::object& b) {
  json::object into;
  for (const auto& kv : b) {
    const json::value& bv = kv.value();
    auto it = a.find(kv.key());
    if (it == a.end() || !same_kind(it->value(), bv)) {
      into[kv.key()] = bv;
      continue;
    }
    const json::value& av = it->value();
    if (av.is_object()) {
      json::object d = get_diff(av.get_object(), bv.get_object());
      if (!d.empty()) into[kv.key()] = std::move(d);
    } else if (!matches_value(av, bv)) {
      into[kv.key()] = bv;
    }
  }
  for (const auto& kv : a) {
    if (b.find(kv.key()) == b.end()) into[kv.key()] = nullptr;
  }
  std::vector<std::string> keys;
  for (const auto& kv : into) keys.emplace_back(kv.key());
  std::sort(keys.begin(), keys.end());
  json::object sorted;
  for (const auto& k : keys) sorted[k] = std::move(into[k]);
  return sorted;
}

const json::object& as_doc(const json::value& v, const json::object& empty) {
  // createObjectMergePatch unmarshals into a map: null is an empty map, anything else an error.
  if (v.is_null()) return empty;
  if (!v.is_object()) throw invalid_input("Invalid JSON Document");
  return v.get_object();
}

}  // namespace

json::value apply_merge_patch(const json::value& doc, const json::value& patch) {
  if (doc.is_null()) throw invalid_input("Invalid JSON Document");
  if (!patch.is_object()) {
    // A patch that is not an object is the result: an array with nulls pruned inside its objects,
    // a scalar (or null) as it is.
    json::value p = patch;
    if (p.is_array()) prune_nulls(p);
    return p;
  }
  if (!doc.is_object()) {
    json::value p = patch;
    prune_nulls(p);
    return p;
  }
  json::value result = doc;
  merge_docs(result.get_object(), patch.get_object());
  return result;
}

json::value create_merge_patch(const json::value& from, const json::value& to) {
  static const json::object empty;
  if (from.is_array() && to.is_array()) {
    const auto& fa = from.get_array();
    const auto& ta = to.get_array();
    if (fa.size() != ta.size()) throw invalid_input("Invalid JSON Document");
    json::array out;
    for (std::size_t i = 0; i < fa.size(); ++i) out.push_back(get_diff(as_doc(fa[i], empty), as_doc(ta[i], empty)));
    return out;
  }
  if (from.is_array() || to.is_array()) throw invalid_input("Mismatched JSON Documents");
  return get_diff(as_doc(from, empty), as_doc(to, empty));
}

}  // namespace vbackup::patch
