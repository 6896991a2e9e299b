// The backup request: defaults and validation (request.hpp).
#include "backup/request.hpp"

#include "vbackup/error.hpp"
#include "vbackup/labels.hpp"
#include "labels/validation.hpp"
#include "vbackup/velero.hpp"

#include <algorithm>
#include <random>

namespace vbackup::detail {
namespace {

constexpr std::string_view kVolumeSnapshots = "volumesnapshots.snapshot.storage.k8s.io";
constexpr std::string_view kVolumeSnapshotContents = "volumesnapshotcontents.snapshot.storage.k8s.io";

void append_unique(std::vector<std::string>& v, std::string_view s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.emplace_back(s);
}

void erase_value(std::vector<std::string>& v, std::string_view s) {
  v.erase(std::remove(v.begin(), v.end(), s), v.end());
}

}  // namespace

std::string random_uid() {
  std::random_device rd;
  std::mt19937_64 rng(rd());
  std::uint64_t a = rng(), b = rng();
  char buf[37];
  // RFC 4122 version 4 layout, as the API server assigns uids.
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFF),
                static_cast<unsigned>(((b >> 48) & 0x3FFF) | 0x8000), static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

filter::ResourceFilterSpec filter_spec(const velero::BackupSpec& s) {
  filter::ResourceFilterSpec f;
  f.included_resources = s.included_resources;
  f.excluded_resources = s.excluded_resources;
  f.include_cluster_resources = s.include_cluster_resources;
  f.included_cluster_scoped_resources = s.included_cluster_scoped_resources;
  f.excluded_cluster_scoped_resources = s.excluded_cluster_scoped_resources;
  f.included_namespace_scoped_resources = s.included_namespace_scoped_resources;
  f.excluded_namespace_scoped_resources = s.excluded_namespace_scoped_resources;
  return f;
}

// Whether the user's own resource lists meet the scoped model's full-backup condition (spec §5.7):
// the scoped model applies, no cluster-scoped lists, namespace-scoped lists that include everything
// (empty, or exactly ["*"]). Decided before the auto-excludes are appended, which would otherwise
// always defeat it (spec §9.1; see ScopeIncludesExcludes in includes_excludes.cpp). The namespace
// half of the condition is left to the filter, which sees the exclude-label additions: an
// includedNamespaces of ["*"] (what the velero CLI sends by default) is as unfiltered as [].
bool full_backup_requested(const velero::BackupSpec& s) {
  auto everything = [](const std::vector<std::string>& includes, const std::vector<std::string>& excludes) {
    return excludes.empty() && std::all_of(includes.begin(), includes.end(), [](const std::string& x) { return x == "*"; });
  };
  return !filter::use_old_resource_filters(filter_spec(s)) && s.included_cluster_scoped_resources.empty() &&
         s.excluded_cluster_scoped_resources.empty() &&
         everything(s.included_namespace_scoped_resources, s.excluded_namespace_scoped_resources);
}

// spec §4.2 validation (backup_controller.go), messages worded as Velero words them.
std::vector<std::string> validate_backup(const velero::Backup& b, const storage::Location& location) {
  std::vector<std::string> errs;
  const auto& s = b.spec;
  auto prefixed = [&](const char* what, const std::vector<std::string>& list) {
    for (const auto& e : list) errs.push_back(std::string("Invalid included/excluded ") + what + " lists: " + e);
  };
  if (b.metadata.name.empty()) {
    errs.push_back("metadata.name: a backup needs a name");
  } else if (!validation::is_dns1123_subdomain(b.metadata.name)) {
    errs.push_back("metadata.name \"" + b.metadata.name +
                   "\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                   "'.', and must start and end with an alphanumeric character");
  }
  if (location.read_only) {
    errs.push_back("backup can't be created because backup storage location " + location.name +
                   " is currently in read-only mode");
  }
  bool old_filters = !s.included_resources.empty() || !s.excluded_resources.empty() || s.include_cluster_resources;
  bool new_filters = !s.included_cluster_scoped_resources.empty() || !s.excluded_cluster_scoped_resources.empty() ||
                     !s.included_namespace_scoped_resources.empty() || !s.excluded_namespace_scoped_resources.empty();
  if (old_filters && new_filters) {
    errs.push_back(
        "include-resources, exclude-resources and include-cluster-resources are old filter parameters.\n"
        "include-cluster-scoped-resources, exclude-cluster-scoped-resources, include-namespace-scoped-resources and "
        "exclude-namespace-scoped-resources are new filter parameters.\nThey cannot be used together");
  }
  prefixed("resource", filter::validate_includes_excludes(s.included_resources, s.excluded_resources));
  prefixed("namespace", filter::validate_namespace_includes_excludes(s.included_namespaces, s.excluded_namespaces));
  prefixed("cluster-scoped resource", filter::validate_scoped_includes_excludes(s.included_cluster_scoped_resources,
                                                                                s.excluded_cluster_scoped_resources));
  prefixed("namespace-scoped resource", filter::validate_scoped_includes_excludes(
                                            s.included_namespace_scoped_resources, s.excluded_namespace_scoped_resources));
  if (s.label_selector && !s.label_selector->is_null() && !s.or_label_selectors.empty()) {
    errs.push_back("encountered labelSelector as well as orLabelSelectors in backup spec, only one can be specified");
  }
  auto check_selector = [&](const json::value& ls, const std::string& where) {
    try {
      labels::from_label_selector(ls);
    } catch (const Error& e) {
      errs.push_back(where + ": " + e.what());
    }
  };
  if (s.label_selector) check_selector(*s.label_selector, "spec.labelSelector");
  for (std::size_t i = 0; i < s.or_label_selectors.size(); ++i) {
    check_selector(s.or_label_selectors[i], "spec.orLabelSelectors[" + std::to_string(i) + "]");
  }
  // What this library does not do is refused, never silently skipped. (A configmap resourcePolicy
  // is read by run_backup: policies::resolve_backup_resource_policies, csi §1.1.3.)
  if (auto* resources = json::find_array(s.hooks, "resources"); resources && !resources->empty()) {
    errs.push_back("spec.hooks: backup hooks (commands run in pods) are not supported by libvbackup yet");
  }
  return errs;
}

void apply_backup_defaults(velero::Backup& b, const std::optional<ServerVersion>& source_version) {
  auto& s = b.spec;
  // spec §4.1, §4.2, §5.4.
  if (s.included_namespaces.empty()) s.included_namespaces = {"*"};
  if (s.ttl.count() == 0) s.ttl = velero::default_backup_ttl;
  if (s.volume_group_snapshot_label_key.empty()) s.volume_group_snapshot_label_key = velero::label::default_volume_group;
  if (s.csi_snapshot_timeout.count() == 0) s.csi_snapshot_timeout = std::chrono::minutes(10);
  if (s.item_operation_timeout.count() == 0) s.item_operation_timeout = std::chrono::hours(4);
  if (!s.default_volumes_to_fs_backup) s.default_volumes_to_fs_backup = false;
  if (!s.snapshot_move_data) s.snapshot_move_data = false;
  if (filter::use_old_resource_filters(filter_spec(s))) {
    for (auto gr : {kVolumeSnapshots, kVolumeSnapshotContents}) {
      erase_value(s.included_resources, gr);
      append_unique(s.excluded_resources, gr);
    }
  } else {
    erase_value(s.included_namespace_scoped_resources, kVolumeSnapshots);
    append_unique(s.excluded_namespace_scoped_resources, kVolumeSnapshots);
    erase_value(s.included_cluster_scoped_resources, kVolumeSnapshotContents);
    append_unique(s.excluded_cluster_scoped_resources, kVolumeSnapshotContents);
  }
  b.metadata.labels[std::string(velero::label::storage_location)] = velero::get_valid_name(s.storage_location);
  b.metadata.annotations[std::string(velero::annotation::resource_timeout)] = "10m0s";
  if (const auto& v = source_version) {
    b.metadata.annotations[std::string(velero::annotation::source_cluster_k8s_gitversion)] = v->git_version;
    b.metadata.annotations[std::string(velero::annotation::source_cluster_k8s_major_version)] = v->major;
    b.metadata.annotations[std::string(velero::annotation::source_cluster_k8s_minor_version)] = v->minor;
  }
}

}  // namespace vbackup::detail
