// The two YAML decodings Velero's resource modifiers use: sigs.k8s.io/yaml UnmarshalStrict into the
// modifier structs (decode_modifiers) and sigs.k8s.io/yaml YAMLToJSON for patchData (yaml_to_json).
#pragma once

#include "restore/modifiers/resource_modifiers.hpp"

#include <string_view>

namespace vbackup::restore::detail {

// yaml.YAMLToJSON (first document; duplicate keys allowed, the last wins): throws Error(invalid)
// naming `what`. An empty document is null.
json::value yaml_to_json(std::string_view text, std::string_view what, bool strict);

// yaml.UnmarshalStrict(text, &ResourceModifiers{}): fills version and rules, nothing validated yet.
void decode_modifiers(std::string_view text, std::string_view what, std::string& version,
                      std::vector<ResourceModifierRule>& rules);

// strconv.ParseFloat(s, 64) succeeds (Go syntax: sign, decimal or 0x hex with p exponent, underscores
// between digits, inf/infinity/nan; out of range fails).
bool go_parse_float_ok(std::string_view s);

// JSONPatch.ToString: the RFC 6902 operation text Velero builds from a `patches` entry.
std::string to_patch_text(const JSONPatch& p);

}  // namespace vbackup::restore::detail
