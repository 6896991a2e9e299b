#include "restore/plan/version_choice.hpp"

#include "vbackup/archive.hpp"

#include <algorithm>

namespace vbackup::restore {

namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// k8sPrioritySort: highest Kubernetes version priority first.
std::vector<std::string> by_kube_priority(std::vector<std::string> v) {
  std::stable_sort(v.begin(), v.end(),
                   [](const std::string& a, const std::string& b) { return compare_kube_versions(a, b) > 0; });
  return v;
}

VersionChoice pick(const ApiVersions& backup, std::string version, int priority, bool target_serves,
                   std::string reason) {
  VersionChoice c;
  c.version_dir = version == backup.preferred ? version + std::string(archive::kPreferredVersionSuffix) : version;
  c.version = std::move(version);
  c.priority = priority;
  c.target_serves = target_serves;
  c.reason = std::move(reason);
  return c;
}

VersionChoice fallback(const ApiVersions& backup, bool target_serves, std::string why) {
  if (backup.preferred.empty()) {
    // No "-preferredversion" directory (Velero would read "-preferredversion/…" and fail): the
    // un-versioned copy is the backup's preferred version by construction (spec §1.2).
    VersionChoice c;
    c.reason = why + "; the backup marks no preferred version: reading the un-versioned copy";
    return c;
  }
  return pick(backup, backup.preferred, -1, target_serves,
              why + "; using the backup's preferred version " + backup.preferred);
}

std::string_view group_of(std::string_view resource) {
  std::size_t dot = resource.find('.');
  return dot == std::string_view::npos ? std::string_view{} : resource.substr(dot + 1);
}

std::string_view plural_of(std::string_view resource) { return resource.substr(0, resource.find('.')); }

}  // namespace

UserVersionPriorities parse_user_version_priorities(std::string_view text) {
  UserVersionPriorities out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line;
    for (char c : text.substr(start, nl - start)) {
      if (c != ' ') line.push_back(c);  // formatUserPriorities removes every space
    }
    start = nl + 1;
    if (line.empty() || std::count(line.begin(), line.end(), '=') != 1) continue;
    std::size_t eq = line.find('=');
    if (eq == 0 || eq + 1 == line.size()) continue;
    std::vector<std::string> versions;
    std::size_t from = eq + 1;
    for (;;) {
      std::size_t comma = line.find(',', from);
      versions.push_back(line.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
      if (comma == std::string::npos) break;
      from = comma + 1;
    }
    out[line.substr(0, eq)] = std::move(versions);  // a later line for the same resource wins, as in Go's map
  }
  return out;
}

VersionChoice choose_version(const ApiVersions& backup, const ApiVersions& target,
                             const std::vector<std::string>& user_priority) {
  if (target.versions.empty()) {
    return fallback(backup, false, "the target does not serve the resource (yet)");
  }
  for (const std::string& v : user_priority) {
    if (contains(target.versions, v) && contains(backup.versions, v)) {
      return pick(backup, v, 0, true, "Priority 0: user-defined version " + v + " is in the backup and served");
    }
  }
  if (!target.preferred.empty() && contains(backup.versions, target.preferred)) {
    return pick(backup, target.preferred, 1, true,
                "Priority 1: the target's preferred version " + target.preferred + " is in the backup");
  }
  if (!backup.preferred.empty() && contains(target.versions, backup.preferred)) {
    return pick(backup, backup.preferred, 2, true,
                "Priority 2: the backup's preferred version " + backup.preferred + " is served by the target");
  }
  for (const std::string& v : by_kube_priority(target.versions)) {
    if (contains(backup.versions, v)) {
      return pick(backup, v, 3, true, "Priority 3: " + v + " is the highest version both sides have");
    }
  }
  return fallback(backup, false, "no version of the backup is served by the target");
}

ApiVersions archived_versions(const BackupContents& contents, std::string_view resource) {
  ApiVersions out;
  for (const std::string& dir : contents.version_dirs(resource)) {
    std::string_view v = dir;
    // ParseGroupVersions: strings.Contains(dir, "-preferredversion"), then TrimSuffix; directories
    // come sorted, so with several marked the last one wins, as in Velero's loop.
    if (v.find(archive::kPreferredVersionSuffix) != std::string_view::npos) {
      if (v.ends_with(archive::kPreferredVersionSuffix)) v.remove_suffix(archive::kPreferredVersionSuffix.size());
      out.preferred = std::string(v);
    }
    if (!contains(out.versions, v)) out.versions.emplace_back(v);
  }
  return out;
}

ApiVersions served_versions(const Discovery& target, std::string_view resource) {
  ApiVersions out;
  std::string_view group = group_of(resource), plural = plural_of(resource);
  const ApiGroup* g = target.group(group);
  if (!g) return out;
  for (const std::string& v : g->versions) {
    std::string gv = group.empty() ? v : std::string(group) + "/" + v;
    for (const ApiResource& r : target.resources(gv)) {
      if (r.name == plural) {
        out.versions.push_back(v);
        break;
      }
    }
  }
  if (const ApiResource* r = target.find(group, plural)) out.preferred = r->version;
  return out;
}

VersionChoice choose_version(const BackupContents& contents, std::string_view resource, const Discovery& target,
                             const UserVersionPriorities& user) {
  ApiVersions backup = archived_versions(contents, resource);
  // Velero: `ctx.backup.Status.FormatVersion >= "1.1.0"`, a string comparison; the archive's
  // metadata/version says the same.
  if (backup.versions.empty() || contents.format_version() < "1.1.0") {
    VersionChoice c;
    c.target_serves = !served_versions(target, resource).versions.empty();
    c.reason = backup.versions.empty() ? "no version directories in the backup: reading the un-versioned copy"
                                       : "format " + contents.format_version() + " backup: reading the un-versioned copy";
    return c;
  }
  auto it = user.find(resource);
  static const std::vector<std::string> none;
  return choose_version(backup, served_versions(target, resource), it == user.end() ? none : it->second);
}

}  // namespace vbackup::restore
