// Backups: create, and read what the location holds (vbackup.h "backups").
#include "capi_internal.hpp"

#include "vbackup/deletion.hpp"
#include "vbackup/persistence.hpp"

using namespace vbackup::capi;
namespace json = vbackup::json;

extern "C" {

vbk_status vbk_backup_create(vbk_cluster* cluster, vbk_location* location, const char* backup_json,
                             const char* options_json, const vbk_callbacks* callbacks, char** backup_out) {
  if (backup_out) *backup_out = nullptr;
  VBK_REQUIRE(cluster);
  VBK_REQUIRE(location);
  VBK_REQUIRE(backup_json);
  return guarded([&] {
    auto backup = vbackup::velero::Backup::from_json(parse_object(backup_json, "backup"), "backup");
    auto o = parse_options(options_json, "backup options", {"compression", "veleroNamespace", "recordInCluster", "strictSpec",
                                                              // brief s3-seal (issue 16)
                                                              "encryptTo", "passphrase", "signKeyFile"});
    vbackup::BackupOptions options;
    if (auto* s = o.if_contains("strictSpec")) {
      if (!s->is_bool()) throw vbackup::invalid_input("backup options: strictSpec: expected true or false");
      options.strict_spec = s->get_bool();
    }
    if (auto* c = o.if_contains("compression")) {
      if (!c->is_string()) throw vbackup::invalid_input("backup options: compression: expected a string");
      options.compression = vbackup::parse_compression(c->get_string(), "backup options: compression");
    }
    if (auto ns = json::get_string(o, "veleroNamespace"); !ns.empty()) options.velero_namespace = ns;
    options.record_in_cluster = record_option(o, "backup options");
    vbackup::sealing::seal_options_from_json(o, "backup options", options.seal);
    map_callbacks(callbacks, options);
    auto run = vbackup::create_backup(*cluster->cluster, *location, std::move(backup), options);
    if (backup_out) *backup_out = dup(pretty(run.result.backup.to_json()));
    const auto& outcome = run.result.outcome;
    return outcome.ok() ? VBK_OK
                        : fail(static_cast<vbk_status>(outcome.code),
                               outcome_message(outcome.message, run.result.backup.status,
                                               "backup " + run.result.backup.metadata.name));
  });
}

vbk_status vbk_backup_list(vbk_location* location, char** backups_json) {
  VBK_REQUIRE(backups_json);
  *backups_json = nullptr;
  VBK_REQUIRE(location);
  return guarded([&] {
    json::array out;
    for (const auto& b : vbackup::list_backups(*location->backups)) out.push_back(b.to_json());
    *backups_json = dup(pretty(out));
    return VBK_OK;
  });
}

vbk_status vbk_backup_get(vbk_location* location, const char* name, char** backup_json) {
  VBK_REQUIRE(backup_json);
  *backup_json = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    *backup_json = dup(pretty(vbackup::get_backup(*location->backups, name).to_json()));
    return VBK_OK;
  });
}

vbk_status vbk_backup_describe(vbk_location* location, const char* name, int details, char** json_out) {
  VBK_REQUIRE(json_out);
  *json_out = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    *json_out = dup(pretty(vbackup::describe_backup(*location->backups, name, details != 0).to_json()));
    return VBK_OK;
  });
}

vbk_status vbk_backup_logs(vbk_location* location, const char* name, char** log_out) {
  VBK_REQUIRE(log_out);
  *log_out = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    *log_out = dup(vbackup::backup_logs(*location->backups, name));
    return VBK_OK;
  });
}

vbk_status vbk_backup_download(vbk_location* location, const char* name, const char* path) {
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  VBK_REQUIRE(path);
  return guarded([&] {
    vbackup::download_backup(*location->backups, name, path);
    return VBK_OK;
  });
}

vbk_status vbk_backup_delete(vbk_location* location, const char* name) {
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    vbackup::check_writable(location->location, std::string("delete backup ") + name);  // spec §2.2 accessMode
    // csi §3: without a cluster and without a result, the storage snapshots would be left silently.
    vbackup::deletion::CsiDeletionOptions csi_options;
    csi_options.unreadable_tarball_fails = false;
    auto csi = vbackup::deletion::delete_csi_snapshots(nullptr, *location->backups, name, csi_options);
    if (!csi.handles_not_deleted.empty()) {
      throw vbackup::Error(vbackup::ErrorCode::unsupported,
                           std::string("backup ") + name + ": " + csi.note +
                               "; vbk_backup_delete cannot say so: use vbk_backup_delete_recorded (with a cluster "
                               "to delete them)");
    }
    vbackup::delete_backup(*location->backups, name);
    return VBK_OK;
  });
}

vbk_status vbk_backup_delete_recorded(vbk_location* location, vbk_cluster* cluster, const char* name,
                                      const char* options_json, char** result_json) {
  if (result_json) *result_json = nullptr;
  VBK_OPTIONAL_HANDLE(cluster);
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    auto o = parse_options(options_json, "delete options", {"veleroNamespace"});
    std::string ns(json::get_string(o, "veleroNamespace"));
    if (ns.empty()) ns = "velero";
    vbackup::check_writable(location->location, std::string("delete backup ") + name);  // spec §2.2 accessMode
    // csi §3: the storage snapshots first (the library call of a DeleteBackupRequest); a failure keeps
    // the backup. Without a live cluster they are left, and the result says so.
    vbackup::Cluster* c = cluster ? cluster->cluster.get() : nullptr;
    vbackup::deletion::CsiDeletionOptions csi_options;
    csi_options.unreadable_tarball_fails = false;  // a killed backup's half tarball still goes
    auto csi = vbackup::deletion::delete_csi_snapshots(c && c->live() ? c->client() : nullptr, *location->backups, name,
                                                       csi_options);
    if (!csi.ok()) {
      std::string why = csi.failure;
      for (const auto& e : csi.errors) why += (why.empty() ? "" : "; ") + e;
      throw vbackup::Error(vbackup::ErrorCode::kube, std::string("backup ") + name + ": " + why + " (the backup was not deleted)");
    }
    auto d = vbackup::delete_backup(*location->backups, name, c, ns);
    json::object result{{"objects", d.objects.size()}, {"crDeleted", d.cr_deleted}};
    if (!d.note.empty()) result["note"] = d.note;
    if (!csi.contents.empty() || !csi.cleaned_volume_snapshots.empty() || !csi.note.empty()) {
      result["csiSnapshots"] = csi.to_json();
    }
    if (result_json) *result_json = dup(pretty(result));
    return VBK_OK;
  });
}

// ---- brief s3-seal (issue 16): verify and rekey --------------------------------------------------

vbk_status vbk_backup_verify(vbk_location* location, const char* name, const char* options_json, char** result_json) {
  VBK_REQUIRE(result_json);
  *result_json = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    auto o = parse_options(options_json, "verify options", {"identityFile", "identities", "allowedSignersFile",
                                                            "allowedSigners", "principal", "requireSignature"});
    vbackup::sealing::OpenOptions open;
    vbackup::sealing::open_options_from_json(o, "verify options", open);
    *result_json = dup(pretty(vbackup::sealing::verify_backup(*location->backups, name, open).to_json()));
    return VBK_OK;
  });
}

vbk_status vbk_backup_rekey(vbk_location* location, const char* name, const char* options_json, char** result_json) {
  if (result_json) *result_json = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    auto o = parse_options(options_json, "rekey options",
                           {"identityFile", "identities", "encryptTo", "passphrase", "signKeyFile"});
    vbackup::sealing::OpenOptions open;
    vbackup::sealing::open_options_from_json(o, "rekey options", open);
    vbackup::sealing::SealOptions seal;
    vbackup::sealing::seal_options_from_json(o, "rekey options", seal);
    vbackup::check_writable(location->location, std::string("rekey backup ") + name);  // spec §2.2 accessMode
    auto r = vbackup::sealing::rekey_backup(*location->backups, name, open.identities, seal);
    if (result_json) *result_json = dup(pretty(r.to_json()));
    return VBK_OK;
  });
}

}  // extern "C"
