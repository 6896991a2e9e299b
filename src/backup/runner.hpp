// The backup runner (runner.cpp: collection, per-item checks, actions and writing; run_backup.cpp:
// the run from defaults to the upload, with the CSI operations and finalize step of csi §1.5).
#pragma once

#include "backup/actions.hpp"
#include "backup/csi_snapshots.hpp"
#include "core/spilling_item_set.hpp"
#include "filter/filter.hpp"
#include "operations/operation_log.hpp"
#include "policies/resource_policies.hpp"

#include "vbackup/backup.hpp"
#include "vbackup/labels.hpp"
#include "vbackup/persistence.hpp"

#include <map>
#include <memory>
#include <optional>
#include <set>

namespace vbackup::detail {

class Runner {
 public:
  // `policies`: the Backup's resource policy (resolve_backup_resource_policies), if any.
  Runner(velero::Backup& backup, ClusterSource& source, storage::BackupStore& store, const BackupOptions& options,
         std::optional<policies::ResourcePolicies> policies);

  void run();

 private:
  struct Namespace {
    std::string name;
    json::object object;
  };

  void prepare_filters();
  void warn_unknown_resources();
  void warn_missing_namespaces();
  void collect();
  void collect_resource(const ApiResource& r);
  void estimate_total(const std::vector<ApiResource>& order);
  bool for_each_list(const ApiResource& r, const std::function<bool(const std::string& ns)>& each);
  std::int64_t estimated_total_ = 0;  // from the source's counts; 0 when it could not tell
  void back_up_ordered(const ApiResource& r);
  void list_into(const ApiResource& r, const std::string& ns);
  bool back_up(const ApiResource& r, json::object obj, bool must_include);
  std::string item_bytes_;  // back_up's marshalling buffer
  void back_up_namespaces();
  void back_up_crds();
  void progress();
  void record_error(const std::string& ns, const std::string& message, LogFields fields = {});
  void record_warning(const std::string& ns, const std::string& message, LogFields fields = {});
  std::optional<ApiResource> resource_by_gr(const std::string& gr);
  void run_passes();
  void finish_volumes();      // csi §1.5: wait for the item operations, phases, finalize
  void record_phase(std::string_view ok, std::string_view partially_failed);
  void upload_side_files();

  velero::Backup& b_;
  ClusterSource& source_;
  storage::BackupStore& store_;
  const BackupOptions& options_;
  OperationLog log_;
  BackupActionContext action_context_;
  std::optional<policies::ResourcePolicies> policies_;
  CsiSnapshots csi_;
  std::vector<std::unique_ptr<BackupItemAction>> actions_;

  std::unique_ptr<storage::ObjectWriter> tarball_;      // declared first: the archive writes into it
  std::unique_ptr<archive::ArchiveWriter> archive_;
  filter::NamespaceFilter namespaces_;
  std::unique_ptr<filter::ResourceFilter> resources_;
  std::vector<std::string> selectors_;  // one list call each (spec §5.10)
  std::vector<labels::Selector> namespace_selectors_;
  bool selector_set_ = false;
  bool full_backup_hint_ = false;  // the user's lists ask for a full backup (full_backup_requested, spec §9.1)
  std::vector<Namespace> cluster_namespaces_;
  // spec §5.8 check 6: the first 64Ki keys in memory (about 1.2 MiB), the rest on disk in the
  // system's temporary directory (issue 17: memory flat to 1M items and beyond).
  SpillingItemSet backed_up_;
  std::set<std::string> namespaces_with_items_;
  std::set<std::string> resources_with_items_;
  std::map<std::string, std::string> non_preferred_;  // group resource → version seen, for one warning each
  persistence::ResourceListWriter resource_list_;
  velero::Result errors_, warnings_;
  BackupProgress progress_;
  std::chrono::steady_clock::time_point last_record_ = std::chrono::steady_clock::now();
};

}  // namespace vbackup::detail
