// Velero entry paths (spec §1.2 construction, §1.5 how restore reads them back).
#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"

#include <vector>

namespace vbackup::archive {

namespace {

constexpr std::string_view kResourcesDir = "resources";
constexpr std::string_view kClusterScopedDir = "cluster";
constexpr std::string_view kNamespaceScopedDir = "namespaces";
constexpr std::string_view kJsonSuffix = ".json";

// A path segment Kubernetes accepts as a name (apimachinery IsValidPathSegmentName) and that
// survives Go's filepath.Join unchanged.
void check_component(std::string_view value, std::string_view field, bool may_be_empty) {
  auto fail = [&](std::string_view problem) {
    throw invalid_input("archive item path: " + std::string(field) + " \"" + std::string(value) + "\": " +
                        std::string(problem));
  };
  if (value.empty()) {
    if (!may_be_empty) fail("must not be empty");
    return;
  }
  if (value == "." || value == "..") fail("must not be \".\" or \"..\"");
  if (value.find('/') != std::string_view::npos) fail("must not contain '/'");
  if (value.find('\0') != std::string_view::npos) fail("must not contain NUL");
}

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

}  // namespace

std::string item_path(std::string_view group_resource, std::string_view ns, std::string_view name,
                      std::string_view version_dir) {
  check_component(group_resource, "group resource", false);
  check_component(ns, "namespace", true);
  check_component(name, "name", false);
  check_component(version_dir, "version directory", true);
  if (version_dir == kClusterScopedDir || version_dir == kNamespaceScopedDir) {
    throw invalid_input("archive item path: version directory \"" + std::string(version_dir) +
                        "\": would read back as a scope directory");
  }

  // filepath.Join("resources", GR, versionPath, scopeDir, namespace, name+".json"): empty parts vanish.
  std::string path;
  path.reserve(kResourcesDir.size() + group_resource.size() + version_dir.size() + ns.size() + name.size() + 32);
  path.append(kResourcesDir).append("/").append(group_resource).append("/");
  if (!version_dir.empty()) path.append(version_dir).append("/");
  if (ns.empty()) {
    path.append(kClusterScopedDir).append("/");
  } else {
    path.append(kNamespaceScopedDir).append("/").append(ns).append("/");
  }
  path.append(name).append(kJsonSuffix);
  return path;
}

std::string ItemPath::version() const {
  std::string_view v = version_dir;
  if (v.ends_with(kPreferredVersionSuffix)) v.remove_suffix(kPreferredVersionSuffix.size());
  return std::string(v);
}

bool ItemPath::preferred() const { return std::string_view(version_dir).ends_with(kPreferredVersionSuffix); }

std::optional<ItemPath> parse_item_path(std::string_view path) {
  std::vector<std::string_view> parts = split(path);
  if (parts.size() < 4 || parts.size() > 6 || parts[0] != kResourcesDir) return std::nullopt;
  for (std::string_view p : parts) {
    if (p.empty()) return std::nullopt;
  }

  ItemPath item;
  item.resource = parts[1];
  // parts[2] is the scope directory of an un-versioned copy, or else a version directory
  // (ParseGroupVersions: every child of resources/<GR>/ other than cluster and namespaces).
  std::size_t scope = 2;
  if (parts[2] != kClusterScopedDir && parts[2] != kNamespaceScopedDir) {
    item.version_dir = parts[2];
    scope = 3;
  }
  std::size_t file;
  if (parts[scope] == kClusterScopedDir) {
    file = scope + 1;
    item.cluster_scoped = true;
  } else if (parts[scope] == kNamespaceScopedDir) {
    item.namespace_ = parts.size() > scope + 1 ? parts[scope + 1] : std::string_view{};
    file = scope + 2;
  } else {
    return std::nullopt;  // a version directory holding something other than a scope directory
  }
  // Exactly one file below the scope (namespace) directory: deeper paths are sub-directories the
  // parser ignores, shallower ones are files where a directory is expected.
  if (parts.size() != file + 1) return std::nullopt;
  std::string_view name = parts[file];
  // The parser trims ".json" and restore re-appends it to open the file, so only *.json files are
  // restorable items.
  if (!name.ends_with(kJsonSuffix) || name.size() == kJsonSuffix.size()) return std::nullopt;
  name.remove_suffix(kJsonSuffix.size());
  item.name = name;
  return item;
}

}  // namespace vbackup::archive
