// One restore in progress (Velero's restoreContext): the walk in restore order (restorer.cpp), the
// per-item pipeline of restore §2.3 (item.cpp) and the apply step with its existing-object rules and
// diff (apply.cpp). The runner (run_restore.cpp) validates, spools the tarball, runs this, and records.
#pragma once

#include "core/item_set.hpp"
#include "operations/operation_log.hpp"
#include "restore/actions/pv_decision.hpp"
#include "restore/actions/restore_item_action.hpp"
#include "vbackup/velero_volumes.hpp"
#include "restore/modifiers/resource_modifiers.hpp"
#include "restore/plan/backup_contents.hpp"
#include "core/disk_item_set.hpp"
#include "restore/plan/selection.hpp"
#include "restore/plan/version_choice.hpp"
#include "filter/filter.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/restore.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vbackup::detail {

// The actions' read-only view of the target (restore_item_action.hpp TargetLookup) over the port,
// with the plugin ConfigMaps' listing cached per restore (actions ask for every item).
class PortLookup final : public restore::TargetLookup {
 public:
  explicit PortLookup(ClusterTarget& target) : target_(target) {}
  std::optional<json::object> get(std::string_view group_resource, std::string_view ns, std::string_view name) override;
  std::vector<json::object> list(std::string_view group_resource, std::string_view ns, std::string_view selector) override;
  // A dry run or a diff creates nothing, yet a later action must see what the restore would have
  // created: the VolumeSnapshotClasses, restored before the contents whose class
  // csi-volumesnapshotcontent-restorer picks from the target (csi §2). Added to unselected lists.
  void planned(std::string_view group_resource, json::object object);

 private:
  const ApiResource* resolve(std::string_view group_resource);
  ClusterTarget& target_;
  std::mutex mu_;
  std::map<std::string, std::vector<json::object>> lists_;
  std::map<std::string, std::vector<json::object>, std::less<>> planned_;  // group resource → objects
};

// How one item ended, for the resource list and the plan.
enum class ItemOutcome { created, updated, unchanged, skipped, failed };

class Restorer {
 public:
  Restorer(velero::Restore& restore, const RestoreOptions& options, ClusterTarget& target,
           restore::BackupContents& contents, OperationLog& log);
  ~Restorer();

  // Sets up what needs the target (selection, modifiers, actions); validation problems found here
  // (a filter, a selector, a modifier or a policy that does not load) are returned.
  std::vector<std::string> prepare(const velero::Backup& backup, storage::BackupStore& store);
  // The walk: pass 1 (CRDs), discovery refreshed, pass 2 (everything else, in restore order).
  void run();
  // Velero's restore finalizer, patchDynamicPVWithVolumeInfo (finalize.cpp): whether there is
  // anything to do (a live restore that created claims of CSI-snapshotted or pod-volume-backed
  // volumes the volume info describes), and doing it.
  bool has_volumes_to_finalize() const;
  void finalize_volumes();

  velero::Result errors() const;
  velero::Result warnings() const;
  std::int64_t items_recorded() const { return recorded_.load(); }
  persistence::ResourceListWriter& resource_list() { return resource_list_; }

 private:
  struct Item {  // one archived item on its way
    std::string group_resource, source_namespace, target_namespace, name, version_dir;
    bool namespaced = true;
    bool additional = false, must_include = false;
    // Where the walk found the item in the spool (none: look the name up, as for additional items).
    std::optional<restore::BackupContents::EntryRef> at = std::nullopt;
  };

  // restorer.cpp
  void walk(const std::vector<std::string>& order, bool crds_only);
  void walk_resource(const std::string& group_resource);
  void restore_namespace_objects(const std::string& version_dir);
  void ensure_namespace(const std::string& target_ns, const std::string& source_ns);
  std::string map_namespace(const std::string& ns) const;
  void progress(const std::string& resource);
  void check_cancelled();

  // item.cpp
  void restore_item(Item item);
  bool restore_item_body(Item& item, json::object obj);
  const ApiResource* resolve(std::string_view api_version, std::string_view kind);

  // apply.cpp: the object as it will be created meets the target.
  void apply(const Item& item, const ApiResource& r, json::object obj, const std::optional<json::value>& status);
  void handle_existing(const Item& item, const ApiResource& r, const json::object& obj, const json::object& existing);
  void restore_status(const Item& item, const ApiResource& r, const json::object& obj, json::object created,
                      const json::value& status);

  // Bookkeeping: each recorded item once in the resource list and the plan.
  void record(const Item& item, std::string_view api_version_kind, std::string_view name, ItemOutcome outcome,
              std::string reason = {}, std::string diff = {});
  void plan_only(const Item& item, std::string_view api_version_kind, std::string_view action, std::string reason);
  void add_error(const std::string& ns, const std::string& message, LogFields fields = {});
  void add_warning(const std::string& ns, const std::string& message, LogFields fields = {});
  bool writes() const { return options_.mode == RestoreOptions::Mode::apply; }
  bool read_only_live() const { return !writes() && !target_.offline(); }

  velero::Restore& restore_;
  const RestoreOptions& options_;
  ClusterTarget& target_;
  restore::BackupContents& contents_;
  OperationLog& log_;
  PortLookup lookup_;
  std::unique_ptr<restore::RestoreSelection> selection_;
  std::optional<restore::ResourceModifiers> modifiers_;
  std::vector<std::unique_ptr<restore::RestoreItemAction>> actions_;
  std::unique_ptr<restore::ActionContext> action_context_;
  std::optional<filter::IncludesExcludes> status_filter_;
  json::array volume_infos_, volume_snapshots_, pod_volume_backups_, csi_volume_snapshots_;
  restore::BackupVolumeRecords volume_records_;
  std::vector<velero::BackupVolumeInfo> volume_info_list_;  // volume_infos_ parsed
  std::string backup_name_;
  std::optional<velero::Backup> backup_;  // the actions read it (restore::ActionContext::backup)

  mutable std::mutex mu_;  // everything below
  velero::Result errors_, warnings_;
  std::set<std::string, std::less<>> pvs_to_provision_;
  std::set<std::string> created_pvcs_;  // "<ns>/<name>" recorded created, for finalize_volumes
  std::set<std::string> namespaces_ensured_;
  std::map<std::string, std::optional<ApiResource>> resolved_;
  persistence::ResourceListWriter resource_list_;
  bool crds_changed_ = false;
  std::chrono::steady_clock::time_point last_record_ = std::chrono::steady_clock::now();
  // restore §2.3 step 4, keyed apiVersion/Kind|namespace|name: on disk under the spool directory
  // (issue 17), sized from the backup's item count. A lock of its own: an insert is a pread and a
  // pwrite, which mu_'s other users (record, progress) should not wait for.
  std::mutex restored_mu_;
  std::unique_ptr<vbackup::detail::DiskItemSet> restored_;
  std::mutex namespace_mu_;  // one namespace created at a time
  std::mutex callback_mu_;   // the caller's callbacks, one at a time
  std::atomic<std::int64_t> recorded_{0};
  std::atomic<bool> cancelled_{false};

  // ---- brief "s3-scale" (issue 17): Velero's informer cache, as names (apply.cpp) ----
  // True unless a LIST of the resource in the namespace showed no object of that name.
  bool may_exist(const ApiResource& r, const std::string& ns, const std::string& name);
  std::mutex existing_mu_;                     // the two below; held while a LIST fills them
  std::map<std::string, bool> existing_listed_;  // "<group resource>|<ns>": listed (false: the LIST failed)
  ItemSet existing_;                           // "<group resource>|<ns>|<name>" of the objects the LISTs saw
};

}  // namespace vbackup::detail
