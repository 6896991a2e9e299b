// One YAML document's node tree decoded as go-yaml v2 decodes into interface{} (aliases, merge
// keys, scalar resolution) and made JSON as sigs.k8s.io/yaml YAMLToJSON and Kubernetes' JSON
// decoding would: keys become strings, integral floats become integers, NaN and infinities fail.
#pragma once

#include "manifests/yaml_tree.hpp"
#include "vbackup/json.hpp"
#include "vbackup/manifests.hpp"

namespace vbackup::manifests::detail {

// Throws Error(invalid) naming source, line and column. Duplicate keys warn through on_warning.
json::value to_json(const Document& doc, std::string_view source, const WarningCallback& on_warning);

}  // namespace vbackup::manifests::detail
