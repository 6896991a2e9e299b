// The PATCH bodies the API server accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
// strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch) for built-in kinds.
// Failures throw PatchError; the handler answers them as the server does.
#pragma once

#include "vbackup/json.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

namespace vbackup::kubetest {

class PatchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// RFC 7386: objects merge recursively, null removes a key, anything else replaces.
json::value merge_patch(json::value target, const json::value& patch);

// RFC 6902 operations add, remove, replace, move, copy and test, applied in order; paths are JSON
// pointers (RFC 6901, "~0" "~1", "-" appends).
json::value json_patch(json::value target, const json::value& operations);

// Strategic merge patch for objects of `kind` (a built-in kind): like a merge patch, except that
// lists declared `patchStrategy: merge` in the Kubernetes API types (containers, env, volumes,
// ports, volumeMounts, finalizers, conditions, ...) merge element by element on their merge key;
// the directives $patch (replace, delete, merge), $retainKeys, $setElementOrder/<list> and
// $deleteFromPrimitiveList/<list> are honoured. Other lists are replaced, as upstream does.
json::value strategic_merge_patch(json::value target, const json::value& patch, std::string_view kind);

}  // namespace vbackup::kubetest
