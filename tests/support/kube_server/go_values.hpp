// Values as the API server prints them in field errors (k8s.io/apimachinery util/validation/field
// Error.ErrorBody, v1.26): strings with %q, other values with Go's %#v. A restore compares these
// texts (Velero matches "provided port is already allocated" in every cause), so they are kept exact.
#pragma once

#include "kube_server/status.hpp"
#include "vbackup/json.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace vbackup::kubetest {

std::string go_quote(std::string_view s);                      // "a\"b" (%q)
std::string go_string_slice(const std::vector<std::string>& v);  // []string{"a", "b"}; empty: []string(nil)
std::string go_string_slice(const json::array* v);             // the strings of a JSON array, as above
std::string go_string_map(const json::object* m);              // map[string]string{"a":"b"} (keys sorted)
// *metav1.LabelSelector printed with %#v: v1.LabelSelector{MatchLabels:map[string]string{...},
// MatchExpressions:[]v1.LabelSelectorRequirement(nil)}.
std::string go_label_selector(const json::object* selector);

// Causes of the field.ErrorList constructors: Invalid, Required, Forbidden, NotSupported, Duplicate.
Cause invalid_cause(std::string field, std::string_view printed_value, std::string_view detail);
Cause required_cause(std::string field, std::string_view detail = {});
Cause forbidden_cause(std::string field, std::string_view detail);
Cause not_supported_cause(std::string field, std::string_view value, const std::vector<std::string>& supported);
Cause duplicate_cause(std::string field, std::string_view value);

}  // namespace vbackup::kubetest
