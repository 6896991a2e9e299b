// What the API server checks and fills in on the objects it stores: metadata validation (names,
// labels, annotations), per-kind defaults, and the field selectors each resource supports.
#pragma once

#include "kube_server/status.hpp"
#include "kube_server/store.hpp"
#include "vbackup/json.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace vbackup::kubetest {

// ObjectMeta validation of a create or update: metadata.name (DNS-1123 subdomain; label for
// namespaces, DNS-1035 label for services), labels and annotation keys and values.
std::vector<Cause> validate_metadata(const json::object& metadata, std::string_view table);

// Defaults the API server applies on write: a Secret's stringData folded into data (base64) and
// its type defaulted to Opaque; a Namespace's kubernetes.io/metadata.name label and, on create, its
// "kubernetes" finalizer and Active phase; PersistentVolume(Claim) volumeMode Filesystem, a PV's
// reclaim policy Retain and hostPath type "", and on create the kubernetes.io/pv(c)-protection
// finalizer (admission), which delete removes at once, as the protection controller does for a
// volume no pod uses (resources.cpp).
void apply_kind_defaults(std::string_view table, json::object& object, bool creating);

// Field paths usable in field selectors besides metadata.name and metadata.namespace (pods:
// spec.nodeName, status.phase, ...; events: involvedObject.*, reason, type; secrets: type).
const std::vector<std::string>& selectable_fields(std::string_view table);
// Parses `path=value,path!=value,...`; unknown paths are a 400 BadRequest as upstream.
FieldSelector parse_field_selector(std::string_view text, std::string_view table);

}  // namespace vbackup::kubetest
