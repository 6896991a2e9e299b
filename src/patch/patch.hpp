// Patching JSON documents the way Velero and Kubernetes do: RFC 6902 JSON Patch and RFC 7386 merge
// patch with github.com/evanphx/json-patch/v5 (v5.9.11, Velero's pin) semantics, Kubernetes strategic
// merge patch (k8s.io/apimachinery v0.36.0 pkg/util/strategicpatch) on the types of Velero's scheme,
// and, for humans, a structural equality and a unified diff of two objects.
//
// Every function takes and returns boost::json values; nothing here knows Velero's restore.
#pragma once

#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::patch {

// ---- RFC 6902 JSON Patch (evanphx/json-patch v5 patch.go) --------------------------------------

// The sentinel errors of evanphx/json-patch that callers test with errors.Is: Velero's resource
// modifiers treat test_failed (and, in `matches`, missing) as "did not match" rather than an error.
enum class Failure {
  test_failed,    // jsonpatch.ErrTestFailed
  missing,        // jsonpatch.ErrMissing: a path (or its parent) that is not in the document
  invalid_index,  // jsonpatch.ErrInvalidIndex: an array index out of range
  invalid,        // jsonpatch.ErrInvalid: not JSON, or a document that is not an object or array
  other,          // anything else: a bad operation, a non-numeric array index, ...
};

class PatchError : public Error {
 public:
  PatchError(Failure failure, const std::string& message) : Error(ErrorCode::invalid, message), failure_(failure) {}
  Failure failure() const noexcept { return failure_; }

 private:
  Failure failure_;
};

// One decoded operation. A member that is absent or JSON null is nullopt (Go decodes both to a nil
// *json.RawMessage); `value_text` is the operation's value as written, which `test` compares
// (evanphx compares scalars by their compact JSON text: 1 and 1.0 differ).
struct Operation {
  std::string op;  // the "op" member, "unknown" when absent or not a string (Operation.Kind)
  std::optional<std::string> path, from;
  bool has_value = false;   // a "value" member exists (null included)
  json::value value;        // null when absent
  std::string value_text;   // compact JSON text of value ("null" when absent)
};

class JsonPatch {
 public:
  // jsonpatch.DecodePatch: a JSON array of operation objects, each validated (add/replace need
  // `value`, move/copy need a string `from`, every op needs a string `path`, op must be one of the
  // six lower-case names). Throws PatchError naming `what` and the operation.
  static JsonPatch decode(std::string_view text, std::string_view what);

  // Patch.Apply with the default ApplyOptions (negative indices allowed, no path creation on add,
  // remove of a missing path is an error). `doc` must be an object or an array. The input is not
  // changed; a failure leaves no partial result. Throws PatchError.
  json::value apply(const json::value& doc) const;

  const std::vector<Operation>& operations() const { return operations_; }

 private:
  std::vector<Operation> operations_;
};

// jsonpatch.Equal's notion of equality between a document value and JSON text as evanphx's `test`
// applies it: objects by members, arrays by elements, strings by decoded value, every other scalar
// by its compact text against the Go encoding of `doc` (json::marshal).
bool evanphx_equal(const json::value& doc, std::string_view text);

// ---- RFC 7386 merge patch (evanphx/json-patch v5 merge.go) --------------------------------------

// jsonpatch.MergePatch(doc, patch): RFC 7386, except that, as evanphx does, nulls are also pruned
// from objects nested in arrays that the patch brings in. A patch that is not an object is the
// result as it is; a doc that is JSON null throws Error(invalid) "Invalid JSON Document".
json::value apply_merge_patch(const json::value& doc, const json::value& patch);

// jsonpatch.CreateMergePatch(from, to): the merge patch that turns `from` into `to` (members removed
// become null, objects are diffed recursively, arrays and scalars are replaced when they differ; a
// number differs when its Go encoding does). Two arrays give an array of per-element patches of the
// same length. Throws Error(invalid) for mismatched kinds ("Mismatched JSON Documents") or arrays of
// different lengths.
json::value create_merge_patch(const json::value& from, const json::value& to);

// ---- Kubernetes strategic merge patch ------------------------------------------------------------

// True when Velero's scheme (the restore client's: core/v1, apps/v1, batch/v1, velero.io v1 and
// v2alpha1, snapshot.storage.k8s.io/v1, groupsnapshot.storage.k8s.io/v1beta2) knows the kind.
bool strategic_type_known(std::string_view api_version, std::string_view kind);

// strategicpatch.StrategicMergeMapPatch(original, patch, <the Go type of apiVersion/kind>): merge
// keys and strategies from the k8s.io/api struct tags (smp_types.inc), `$patch: replace|delete|merge`,
// `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`, `$retainKeys`. An unknown kind throws
// Error(invalid) 'no kind "<kind>" is registered for version "<apiVersion>"'; a malformed patch
// throws Error(invalid) with apimachinery's message.
json::object apply_strategic_merge_patch(const json::object& original, const json::object& patch,
                                         std::string_view api_version, std::string_view kind);

// ---- For humans -----------------------------------------------------------------------------------

// Structural equality where numbers compare by value (1 == 1.0 == 1e0) and object member order does
// not matter. Strings, booleans and nulls compare as they are.
bool semantic_equal(const json::value& a, const json::value& b);

enum class DiffFormat { yaml, json };

// A unified diff (diff -u) of the two values rendered one field per line, keys sorted: YAML (block
// style, strings quoted when YAML would read them otherwise) or JSON indented by two spaces. Empty
// when the renderings are equal. `context` lines surround each change.
std::string unified_diff(const json::value& from, const json::value& to, std::string_view from_name,
                         std::string_view to_name, DiffFormat format = DiffFormat::yaml, int context = 3);

// The rendering unified_diff compares, one string per line.
std::vector<std::string> render_lines(const json::value& v, DiffFormat format);

}  // namespace vbackup::patch
