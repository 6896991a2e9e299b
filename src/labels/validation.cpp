// spec §7.4: the upstream checks are regular expressions; these loops accept exactly the same strings.
#include "labels/validation.hpp"

#include <vector>

namespace vbackup::validation {

namespace {

constexpr std::size_t dns1123_label_max = 63;
constexpr std::size_t dns1123_subdomain_max = 253;
constexpr std::size_t label_name_max = 63;  // key name part and value

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// [a-z0-9]([-a-z0-9]*[a-z0-9])? with no length limit.
bool matches_dns1123_label_form(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  for (char c : s)
    if (!is_lower_alnum(c) && c != '-') return false;
  return true;
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*
bool matches_dns1123_subdomain_form(std::string_view s) {
  for (;;) {
    auto dot = s.find('.');
    if (!matches_dns1123_label_form(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool matches_label_name_form(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s)
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

const char* const name_form_message =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')";

std::optional<std::string> join(const std::vector<std::string>& errors) {
  if (errors.empty()) return std::nullopt;
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    out += e;
  }
  return out;
}

}  // namespace

bool is_dns1123_label(std::string_view value) {
  return value.size() <= dns1123_label_max && matches_dns1123_label_form(value);
}

bool is_dns1123_subdomain(std::string_view value) {
  return value.size() <= dns1123_subdomain_max && matches_dns1123_subdomain_form(value);
}

std::optional<std::string> qualified_name_error(std::string_view key) {
  // Message order and wording follow IsQualifiedName: prefix problems first, then the name's.
  std::vector<std::string> errors;
  std::string_view name = key;
  if (auto slash = key.find('/'); slash != std::string_view::npos) {
    if (key.find('/', slash + 1) != std::string_view::npos)
      return std::string("a valid label key ") + name_form_message +
             " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty()) {
      errors.emplace_back("prefix part must be non-empty");
    } else {
      if (prefix.size() > dns1123_subdomain_max)
        errors.emplace_back("prefix part must be no more than 253 characters");
      if (!matches_dns1123_subdomain_form(prefix))
        errors.emplace_back(
            "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
            "characters, '-' or '.', and must start and end with an alphanumeric character "
            "(e.g. 'example.com')");
    }
  }
  if (name.empty())
    errors.emplace_back("name part must be non-empty");
  else if (name.size() > label_name_max)
    errors.emplace_back("name part must be no more than 63 characters");
  if (!matches_label_name_form(name)) errors.emplace_back(std::string("name part ") + name_form_message);
  return join(errors);
}

std::optional<std::string> label_value_error(std::string_view value) {
  std::vector<std::string> errors;
  if (value.size() > label_name_max) errors.emplace_back("must be no more than 63 characters");
  if (!value.empty() && !matches_label_name_form(value))
    errors.emplace_back(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
        "'.', and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value' or "
        "'12345')");
  return join(errors);
}

}  // namespace vbackup::validation
