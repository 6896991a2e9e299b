// Deleting a backup's CSI snapshots (csi §3): Velero's DeleteItemAction
// velero.io/csi-volumesnapshotcontent-delete (internal/delete/actions/csi/volumesnapshotcontent_action.go)
// run over the VolumeSnapshotContent items of the tarball (internal/delete/delete_item_action_handler.go),
// and the controller's fallback when there is no tarball (deleteCSIVolumeSnapshotsIfAny, which runs
// pkg/util/csi CleanupVolumeSnapshot on each VolumeSnapshot labelled with the backup).
#include "deletion/common.hpp"

#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"
#include "vbackup/velero_meta.hpp"
#include "vbackup/velero_side_files.hpp"

#include <cstdio>
#include <map>
#include <random>
#include <thread>

namespace vbackup::deletion {

using detail::say;

namespace {

constexpr std::string_view kSnapshotGroup = "snapshot.storage.k8s.io";
constexpr std::string_view kContents = "volumesnapshotcontents.snapshot.storage.k8s.io";
constexpr std::size_t kItemLimit = 16 << 20;  // a content is a few KB

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// uuid.NewRandom(): version 4, variant 10.
std::string uuid4() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  unsigned char b[16];
  for (int i = 0; i < 16; i += 8) {
    std::uint64_t r = rng();
    for (int j = 0; j < 8; ++j) b[i + j] = static_cast<unsigned char>(r >> (8 * j));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

// kubeutil.HasBackupLabel: labels[velero.io/backup-name] == label.GetValidName(backup).
bool has_backup_label(const json::object& o, const std::string& backup) {
  const json::object* l = json::metadata_map(o, "labels");
  return l && json::get_string(*l, velero::label::backup_name) == velero::get_valid_name(backup);
}

std::string status_string(const json::object& o, std::string_view key) {
  const json::object* st = json::find_object(o, "status");
  return st ? std::string(json::get_string(*st, key)) : std::string();
}

// The temporary content Velero creates from the backed-up one: its metadata (labels, annotations,
// finalizers...) without what the API server owns, spec.deletionPolicy Delete, spec.source the
// snapshot handle alone, volumeSnapshotRef to a VolumeSnapshot that cannot exist, no class.
json::object temporary_content(const CsiSnapshotContent& c, const std::string& name) {
  json::object meta;
  if (const json::object* m = json::find_object(c.item, "metadata")) meta = *m;
  for (const char* k : {"uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                        "generation", "managedFields", "selfLink", "generateName", "namespace"}) {
    meta.erase(k);
  }
  meta["name"] = name;
  json::object spec;
  if (const json::object* s = json::find_object(c.item, "spec")) spec = *s;
  spec["deletionPolicy"] = "Delete";
  spec["source"] = json::object{{"snapshotHandle", c.handle}};
  const std::string uid(json::metadata_string(c.item, "uid"));
  spec["volumeSnapshotRef"] = json::object{{"apiVersion", "snapshot.storage.k8s.io/v1"},
                                           {"kind", "VolumeSnapshot"},
                                           {"namespace", "ns-" + uid},
                                           {"name", "name-" + uid}};
  // "make the deletion independent of the VolumeSnapshotClass"
  spec.erase("volumeSnapshotClassName");
  return json::object{{"apiVersion", "snapshot.storage.k8s.io/v1"},
                      {"kind", "VolumeSnapshotContent"},
                      {"metadata", std::move(meta)},
                      {"spec", std::move(spec)}};
}

class CsiDeleter {
 public:
  CsiDeleter(kube::KubeClient& client, const std::string& backup, const CsiDeletionOptions& options,
             CsiSnapshotDeletion& out)
      : client_(client), backup_(backup), options_(options), out_(out),
        contents_(client.discovery().find(kSnapshotGroup, "volumesnapshotcontents")),
        snapshots_(client.discovery().find(kSnapshotGroup, "volumesnapshots")) {}

  // The DeleteItemAction on one content; an error is Velero's plugin error for the item.
  void delete_content(const CsiSnapshotContent& c);
  // deleteCSIVolumeSnapshotsIfAny.
  void cleanup_volume_snapshots();

 private:
  bool try_delete_original(const CsiSnapshotContent& c);
  void set_delete_policy(const std::string& content) {
    client_.patch(*contents_, "", content, kube::PatchType::merge,
                  R"({"spec":{"deletionPolicy":"Delete"}})");
  }

  kube::KubeClient& client_;
  const std::string& backup_;
  const CsiDeletionOptions& options_;
  CsiSnapshotDeletion& out_;
  const ApiResource* contents_;
  const ApiResource* snapshots_;
};

// tryDeleteOriginalVSC (velero PR #9628): a backup of Velero ≤ 1.15 left its content in the cluster,
// Retain; set to Delete and deleted, the driver deletes the snapshot. Any failure: the temporary way.
bool CsiDeleter::try_delete_original(const CsiSnapshotContent& c) {
  std::optional<json::object> existing;
  try {
    existing = client_.try_get(*contents_, "", c.name);
  } catch (const std::exception& e) {
    say(options_.log, "Error looking up original VolumeSnapshotContent " + c.name + ", will use temp VSC flow: " +
                          detail::error_text(e));
    return false;
  }
  if (!existing) return false;
  if (!has_backup_label(*existing, backup_)) {
    say(options_.log, "Original VolumeSnapshotContent " + c.name + " in cluster does not belong to backup " + backup_ +
                          ", skipping direct deletion");
    return false;
  }
  try {
    const json::object* spec = json::find_object(*existing, "spec");
    if (!spec || json::get_string(*spec, "deletionPolicy") != "Delete") set_delete_policy(c.name);
    client_.remove(*contents_, "", c.name);
  } catch (const std::exception& e) {
    if (!detail::is_not_found(e)) {
      say(options_.log, "Failed to delete original VolumeSnapshotContent " + c.name + ", will use temp VSC flow: " +
                            detail::error_text(e));
      return false;
    }
  }
  say(options_.log, "Deleted original VolumeSnapshotContent " + c.name +
                        " with DeletionPolicy=Delete, CSI driver will remove cloud snapshot");
  out_.legacy_contents.push_back(c.name);
  return true;
}

void CsiDeleter::delete_content(const CsiSnapshotContent& c) {
  say(options_.log, "Deleting VolumeSnapshotContent " + c.name);
  if (!contents_) {
    throw Error(ErrorCode::unsupported, "fail to create VolumeSnapshotContent for " + c.name + ": the cluster " +
                                            client_.config().server +
                                            " does not serve snapshot.storage.k8s.io/v1 volumesnapshotcontents");
  }
  if (try_delete_original(c)) return;
  const std::string name = "vsc-" + uuid4();
  try {
    client_.create(*contents_, temporary_content(c, name));
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kube, "fail to create VolumeSnapshotContent " + name + ": " + detail::error_text(e));
  }
  say(options_.log, "Created temp VolumeSnapshotContent " + name +
                        " with DeletionPolicy=Delete to trigger cloud snapshot cleanup");
  std::this_thread::sleep_for(options_.temporary_content_gap);
  try {
    client_.remove(*contents_, "", name);
  } catch (const std::exception& e) {
    // The handle may already be gone (velero#9579): the driver's answer is its business, not ours.
    if (!detail::is_not_found(e)) throw Error(ErrorCode::kube, detail::error_text(e));
  }
  out_.temporary_contents.push_back(name);
  say(options_.log, "Successfully triggered deletion of VolumeSnapshotContent " + name + " and its cloud snapshot");
}

void CsiDeleter::cleanup_volume_snapshots() {
  say(options_.log, "Cleaning up CSI volumesnapshots");
  if (!snapshots_) return;  // no snapshot API: nothing can be left
  std::vector<std::pair<std::string, std::string>> found;
  try {
    ListOptions lo;
    lo.label_selector = std::string(velero::label::backup_name) + "=" + velero::get_valid_name(backup_);
    client_.list(*snapshots_, lo, [&](json::object&& o) {
      found.emplace_back(json::metadata_string(o, "namespace"), json::metadata_string(o, "name"));
    });
  } catch (const std::exception& e) {
    say(options_.log, "Could not list volume snapshots, abort: " + detail::error_text(e));
    return;
  }
  // CleanupVolumeSnapshot: the bound content to Delete (so the storage snapshot goes), then the snapshot.
  for (const auto& [ns, name] : found) {
    say(options_.log, "Deleting Volumesnapshot " + ns + "/" + name);
    std::optional<json::object> vs;
    try {
      vs = client_.try_get(*snapshots_, ns, name);
    } catch (const std::exception&) {
    }
    if (!vs) continue;
    const std::string bound = status_string(*vs, "boundVolumeSnapshotContentName");
    if (!bound.empty() && contents_) {
      try {
        set_delete_policy(bound);
      } catch (const std::exception& e) {
        say(options_.log, "Failed to patch DeletionPolicy of volume snapshot " + ns + "/" + name + ": " +
                              detail::error_text(e));
      }
    }
    try {
      client_.remove(*snapshots_, ns, name);
      out_.cleaned_volume_snapshots.push_back(ns + "/" + name);
    } catch (const std::exception& e) {
      say(options_.log, "Failed to delete volumesnapshot " + ns + "/" + name + ": " + detail::error_text(e));
    }
  }
}

}  // namespace

json::object CsiSnapshotDeletion::to_json() const {
  std::vector<std::string> handles;
  for (const auto& c : contents) handles.push_back(c.handle);
  // Lists only when not empty, as Velero's omitempty: a request's "errors" stay its own.
  json::object o{{"snapshotHandles", strings(handles)}};
  for (const auto& [key, list] : {std::pair<const char*, const std::vector<std::string>*>{"legacyContents", &legacy_contents},
                                  {"temporaryContents", &temporary_contents},
                                  {"cleanedVolumeSnapshots", &cleaned_volume_snapshots},
                                  {"handlesNotDeleted", &handles_not_deleted},
                                  {"errors", &errors}}) {
    if (!list->empty()) o[key] = strings(*list);
  }
  if (!tarball_found) o["tarballFound"] = false;
  if (!failure.empty()) o["failure"] = failure;
  if (!note.empty()) o["note"] = note;
  return o;
}

std::vector<CsiSnapshotContent> backup_csi_snapshot_contents(storage::BackupStore& store, const std::string& backup) {
  const std::string key = store.backup_contents_key(backup);
  if (!store.objects().exists(key)) {
    throw not_found("backup \"" + backup + "\" has no tarball (" + key + ") in " + store.objects().describe());
  }
  auto in = store.objects().get(key);
  archive::ArchiveReader reader(*in, key);
  std::map<std::string, CsiSnapshotContent> by_name;  // a later duplicate wins, as on extraction
  archive::Entry e;
  while (reader.next(e)) {
    // Velero's archive parser reads the un-versioned copy (resources/<gr>/cluster/<name>.json).
    if (!e.item || e.item->resource != kContents || !e.item->cluster_scoped || !e.item->version_dir.empty()) {
      reader.skip_body();
      continue;
    }
    const std::string what = key + ": " + e.path;
    json::value v = json::parse(reader.read_body(kItemLimit), what);
    if (!v.is_object()) throw invalid_input(what + ": not a JSON object");
    CsiSnapshotContent c;
    c.item = std::move(v.as_object());
    if (!has_backup_label(c.item, backup)) continue;  // "was not taken by backup", skipped
    c.name = std::string(json::metadata_string(c.item, "name"));
    if (c.name.empty()) c.name = e.item->name;
    c.handle = status_string(c.item, "snapshotHandle");
    if (const json::object* spec = json::find_object(c.item, "spec")) c.driver = json::get_string(*spec, "driver");
    by_name[e.item->name] = std::move(c);
  }
  std::vector<CsiSnapshotContent> out;
  for (auto& [_, c] : by_name) out.push_back(std::move(c));
  return out;
}

namespace {

// Ours: the backup's resource list (<b>-resource-list.json.gz, every item the backup holds) says
// whether the tarball has any VolumeSnapshotContent, so a backup without one is not downloaded
// whole for nothing (Velero always downloads it). Absent or unreadable: the tarball decides.
bool listed_without_contents(storage::BackupStore& store, const std::string& backup) {
  try {
    const std::string key = store.backup_resource_list_key(backup);
    if (!store.objects().exists(key)) return false;
    const auto list = velero::decode_resource_list(store.objects().get_all(key, velero::side_file_limit), key);
    for (const auto& [gvk, items] : list) {
      if (gvk.starts_with("snapshot.storage.k8s.io/") && gvk.ends_with("/VolumeSnapshotContent")) return false;
    }
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

CsiSnapshotDeletion delete_csi_snapshots(kube::KubeClient* client, storage::BackupStore& store,
                                         const std::string& backup, const CsiDeletionOptions& options) {
  CsiSnapshotDeletion out;
  const std::string key = store.backup_contents_key(backup);
  bool found = false;
  try {
    found = store.objects().exists(key);
    if (found && listed_without_contents(store, backup)) return out;
    if (found) out.contents = backup_csi_snapshot_contents(store, backup);
  } catch (const std::exception& e) {
    if (!found) {
      // The download failed (not a missing tarball): Velero cleans up what it can and keeps the backup
      // so that the deletion is retried.
      say(options.log, "Unable to download tarball for backup " + backup + ", skipping associated DeleteItemAction plugins");
      if (client) CsiDeleter(*client, backup, options, out).cleanup_volume_snapshots();
      out.tarball_found = false;
      out.errors.push_back("error downloading backup tarball, CSI snapshot cleanup was skipped: " + std::string(e.what()));
      return out;
    }
    // InvokeDeleteActions' "error extracting backup" / "Could not unmarshal item".
    if (options.unreadable_tarball_fails) {
      out.failure = "error invoking delete item actions: error extracting backup: " + std::string(e.what());
      return out;
    }
    out.tarball_found = false;
    out.contents.clear();
    if (client) CsiDeleter(*client, backup, options, out).cleanup_volume_snapshots();
    out.note = "the tarball could not be read (" + std::string(e.what()) +
               "): the CSI snapshots it may name were not deleted";
    say(options.log, out.note);
    return out;
  }
  if (!found) {
    // "for backups which failed before tarball object could be uploaded we do offline cleanup"
    out.tarball_found = false;
    say(options.log, "Unable to download tarball for backup " + backup + ", skipping associated DeleteItemAction plugins");
    if (client) CsiDeleter(*client, backup, options, out).cleanup_volume_snapshots();
    return out;
  }
  if (!client) {
    // Ours: a location without a cluster has no CSI driver to ask; say so, with the handles, never silently.
    for (const auto& c : out.contents) out.handles_not_deleted.push_back(c.handle);
    if (!out.contents.empty()) {
      std::string list;
      for (const auto& h : out.handles_not_deleted) list += (list.empty() ? "" : ", ") + h;
      out.note = "storage snapshots were not deleted (no cluster to delete them through; delete them with the CSI "
                 "driver's storage, or delete the backup with a kubeconfig): " + list;
      say(options.log, out.note);
    }
    return out;
  }
  CsiDeleter deleter(*client, backup, options, out);
  std::vector<std::string> errs;
  for (const auto& c : out.contents) {
    try {
      deleter.delete_content(c);
    } catch (const std::exception& e) {
      // Keep looping so one failure does not stop the others, but the deletion must not go on.
      say(options.log, "plugin error: " + std::string(e.what()));
      errs.push_back("error executing DeleteItemAction for " + std::string(kContents) + " " + c.name + ": " + e.what());
      out.handles_not_deleted.push_back(c.handle);
    }
  }
  if (!errs.empty()) {
    // kubeerrs.NewAggregate: one error as itself, several as "[e1, e2]".
    std::string agg = errs.size() == 1 ? errs[0] : "[";
    if (errs.size() > 1) {
      for (std::size_t i = 0; i < errs.size(); ++i) agg += (i ? ", " : "") + errs[i];
      agg += "]";
    }
    out.failure = "error invoking delete item actions: " + agg;
  }
  return out;
}

}  // namespace vbackup::deletion
