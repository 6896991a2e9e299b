// The discovery model: groups, versions and APIResourceLists, and the queries on them.
#include "vbackup/discovery.hpp"

#include "discovery/preferred.hpp"
#include "vbackup/error.hpp"

#include <algorithm>
#include <cstdint>
#include <map>

namespace vbackup {

using discovery_detail::join_group_version;

namespace discovery_detail {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string join_group_version(std::string_view group, std::string_view version) {
  if (group.empty()) return std::string(version);
  std::string out(group);
  out += '/';
  out += version;
  return out;
}

std::vector<PreferredList> preferred_lists(const Discovery& discovery) {
  std::vector<PreferredList> out;
  for (const ApiGroup& group : discovery.groups()) {
    const std::size_t first = out.size();
    std::map<std::string_view, const ApiResource*> chosen;  // resource name -> entry picked
    for (const std::string& version : group.versions) {
      const auto& list = discovery.resources(join_group_version(group.name, version));
      out.push_back({&group, version, {}});
      for (const ApiResource& r : list) {
        if (r.is_subresource()) continue;
        auto it = chosen.find(r.name);
        if (it != chosen.end() && version != group.preferred_version) continue;
        chosen[r.name] = &r;
      }
    }
    // client-go groups the picks by version through a Go map (order unspecified); list order is
    // the deterministic choice.
    for (std::size_t i = first; i < out.size(); ++i) {
      const auto& list = discovery.resources(join_group_version(group.name, out[i].version));
      for (const ApiResource& r : list) {
        if (r.is_subresource()) continue;
        auto it = chosen.find(r.name);
        if (it != chosen.end() && it->second == &r) out[i].resources.push_back(&r);
      }
    }
  }
  return out;
}

}  // namespace discovery_detail

// --- ApiResource ---------------------------------------------------------------------------------

std::string ApiResource::group_resource() const {
  if (group.empty()) return name;
  return name + "." + group;
}

std::string ApiResource::group_version() const { return join_group_version(group, version); }

bool ApiResource::is_subresource() const { return name.find('/') != std::string::npos; }

bool ApiResource::has_verb(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

bool ApiResource::backupable() const {
  return !is_subresource() && has_verb("list") && has_verb("create") && has_verb("get") && has_verb("delete");
}

// --- Discovery -----------------------------------------------------------------------------------

static const std::vector<ApiResource> no_resources;

void Discovery::add_group(ApiGroup group) {
  const std::string what = group.name.empty() ? std::string("core group") : "group \"" + group.name + "\"";
  if (this->group(group.name)) throw invalid_input("discovery: " + what + " added twice");
  if (group.versions.empty()) throw invalid_input("discovery: " + what + ": no versions");
  for (std::size_t i = 0; i < group.versions.size(); ++i) {
    if (group.versions[i].empty()) throw invalid_input("discovery: " + what + ": empty version");
    if (std::find(group.versions.begin(), group.versions.begin() + i, group.versions[i]) !=
        group.versions.begin() + i)
      throw invalid_input("discovery: " + what + ": version \"" + group.versions[i] + "\" listed twice");
  }
  if (group.preferred_version.empty()) group.preferred_version = group.versions.front();
  if (std::find(group.versions.begin(), group.versions.end(), group.preferred_version) == group.versions.end())
    throw invalid_input("discovery: " + what + ": preferred version \"" + group.preferred_version +
                        "\" is not one of its versions");
  for (const std::string& v : group.versions) lists_.try_emplace(join_group_version(group.name, v));
  groups_.push_back(std::move(group));
}

void Discovery::add_resources(std::string_view group_version, std::vector<ApiResource> resources) {
  auto it = lists_.find(group_version);
  if (it == lists_.end())
    throw invalid_input("discovery: group version \"" + std::string(group_version) +
                        "\" was not added with add_group");
  std::string_view group, version = group_version;
  if (auto slash = group_version.find('/'); slash != std::string_view::npos) {
    group = group_version.substr(0, slash);
    version = group_version.substr(slash + 1);
  }
  for (ApiResource& r : resources) {
    if (r.name.empty()) throw invalid_input("discovery: " + std::string(group_version) + ": resource without a name");
    r.group = std::string(group);
    r.version = std::string(version);
    it->second.push_back(std::move(r));
  }
}

const ApiGroup* Discovery::group(std::string_view name) const {
  for (const ApiGroup& g : groups_)
    if (g.name == name) return &g;
  return nullptr;
}

const std::vector<ApiResource>& Discovery::resources(std::string_view group_version) const {
  auto it = lists_.find(group_version);
  return it == lists_.end() ? no_resources : it->second;
}

bool Discovery::is_preferred(std::string_view group, std::string_view version) const {
  const ApiGroup* g = this->group(group);
  return g && g->preferred_version == version;
}

std::vector<ApiResource> Discovery::preferred_resources() const {
  std::vector<ApiResource> out;
  for (const auto& list : discovery_detail::preferred_lists(*this))
    for (const ApiResource* r : list.resources) out.push_back(*r);
  return out;
}

const ApiResource* Discovery::find_in(std::string_view group, std::string_view version,
                                      std::string_view name) const {
  for (const ApiResource& r : resources(join_group_version(group, version)))
    if (r.name == name) return &r;
  return nullptr;
}

const ApiResource* Discovery::find(std::string_view group, std::string_view resource) const {
  const ApiGroup* g = this->group(group);
  if (!g) return nullptr;
  if (const ApiResource* r = find_in(group, g->preferred_version, resource)) return r;
  for (const std::string& v : g->versions)
    if (const ApiResource* r = find_in(group, v, resource)) return r;
  return nullptr;
}

const ApiResource* Discovery::find_kind(std::string_view api_version, std::string_view kind) const {
  for (const ApiResource& r : resources(api_version))
    if (!r.is_subresource() && r.kind == kind) return &r;
  return nullptr;
}

// --- Kubernetes version priority -------------------------------------------------------------------

namespace {

enum class VersionType { alpha = 0, beta = 1, ga = 2 };

struct KubeVersion {
  std::int64_t major = 0, minor = 0;
  VersionType type = VersionType::ga;
};

// Digits of a Go strconv.Atoi argument; false when empty or out of int64 range.
bool parse_digits(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const int d = c - '0';
    if (v > (INT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

// ^v([\d]+)(?:(alpha|beta)([\d]+))?$ as in apimachinery's parseKubeVersion.
bool parse_kube_version(std::string_view s, KubeVersion& out) {
  if (s.size() < 2 || s[0] != 'v') return false;
  s.remove_prefix(1);
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (!parse_digits(s.substr(0, i), out.major)) return false;
  std::string_view rest = s.substr(i);
  if (rest.empty()) {
    out.type = VersionType::ga;
    out.minor = 0;
    return true;
  }
  if (rest.starts_with("alpha")) {
    out.type = VersionType::alpha;
    rest.remove_prefix(5);
  } else if (rest.starts_with("beta")) {
    out.type = VersionType::beta;
    rest.remove_prefix(4);
  } else {
    return false;
  }
  return parse_digits(rest, out.minor);
}

template <class T>
int sign_of_difference(T a, T b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

}  // namespace

int compare_kube_versions(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  KubeVersion va, vb;
  const bool ka = parse_kube_version(a, va);
  const bool kb = parse_kube_version(b, vb);
  if (!ka && !kb) return sign_of_difference(b, a);  // strings.Compare(v2, v1)
  if (!ka) return -1;
  if (!kb) return 1;
  if (va.type != vb.type) return sign_of_difference(static_cast<int>(va.type), static_cast<int>(vb.type));
  if (va.major != vb.major) return sign_of_difference(va.major, vb.major);
  return sign_of_difference(va.minor, vb.minor);
}

}  // namespace vbackup
