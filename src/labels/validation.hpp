// Kubernetes name and label validation (k8s.io/apimachinery/pkg/util/validation), spec §7.4.
// Hand-written checks equivalent to the upstream regular expressions; lengths are in bytes, as in Go.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vbackup::validation {

// RFC 1123 label: 1–63 characters, [a-z0-9]([-a-z0-9]*[a-z0-9])? (IsDNS1123Label).
bool is_dns1123_label(std::string_view value);

// RFC 1123 subdomain: 1–253 characters, dot-separated labels of the form above. Like upstream
// (IsDNS1123Subdomain) the single labels are not limited to 63 characters; only the total is.
bool is_dns1123_subdomain(std::string_view value);

// Label key ("qualified name", IsQualifiedName): [prefix "/"] name, the prefix a DNS-1123 subdomain,
// the name 1–63 characters of ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]. nullopt when valid, else the
// upstream messages joined by "; " (e.g. "name part must be no more than 63 characters").
std::optional<std::string> qualified_name_error(std::string_view key);

// Label value (IsValidLabelValue): empty, or at most 63 characters of the key-name form.
std::optional<std::string> label_value_error(std::string_view value);

}  // namespace vbackup::validation
