// Restores: create (apply, dry run, diff), and read what the location recorded of them
// (vbackup.h "restores"). Argument mapping onto create_restore and persistence.hpp.
#include "capi_internal.hpp"

#include "vbackup/persistence.hpp"
#include "vbackup/time.hpp"

using namespace vbackup::capi;
namespace json = vbackup::json;

namespace {

constexpr std::string_view kWhat = "restore options";

vbackup::RestoreOptions::Mode parse_mode(const std::string& mode) {
  using Mode = vbackup::RestoreOptions::Mode;
  if (mode == "apply") return Mode::apply;
  if (mode == "dryRun") return Mode::dry_run;
  if (mode == "diff") return Mode::diff;
  throw vbackup::invalid_input("restore options: mode: \"" + mode + "\" is not apply, dryRun or diff");
}

// options_json (vbackup.h vbk_restore_create) onto RestoreOptions; the output folder apart, as
// create_restore takes it.
vbackup::RestoreOptions parse_restore_options(const char* options_json, bool live, std::filesystem::path& output_dir) {
  auto o = parse_options(options_json, kWhat,
                         {"mode", "outputDir", "includeNames", "resourceModifiers", "resourcePolicy",
                          "restoreResourcePriorities", "maxBackupExtractionSize", "resourceTimeout", "parallel",
                          "spoolDir", "veleroNamespace", "recordInCluster", "strictSpec",
                          // brief s3-seal (issue 16)
                          "identityFile", "identities", "allowedSignersFile", "allowedSigners", "principal",
                          "requireSignature", "skipVerify"});
  vbackup::RestoreOptions options;
  vbackup::sealing::open_options_from_json(o, kWhat, options.seal);
  if (auto* s = o.if_contains("strictSpec")) {
    if (!s->is_bool()) throw vbackup::invalid_input("restore options: strictSpec: expected true or false");
    options.strict_spec = s->get_bool();
  }
  // No cluster (or a folder of manifests) can only be planned against.
  options.mode = live ? vbackup::RestoreOptions::Mode::apply : vbackup::RestoreOptions::Mode::dry_run;
  if (auto m = string_option(o, "mode", kWhat)) options.mode = parse_mode(*m);
  if (auto d = string_option(o, "outputDir", kWhat)) {
    if (d->empty()) throw vbackup::invalid_input("restore options: outputDir: must not be empty");
    output_dir = *d;
  }
  if (auto names = strings_option(o, "includeNames", kWhat)) options.include_names = std::move(*names);
  if (auto m = string_option(o, "resourceModifiers", kWhat)) options.resource_modifiers = std::move(*m);
  if (auto p = string_option(o, "resourcePolicy", kWhat)) options.resource_policy = std::move(*p);
  if (const json::value* p = o.if_contains("restoreResourcePriorities")) {
    // Velero's server flag is one comma-separated string; a JSON array of its parts is the same.
    if (p->is_string()) {
      options.restore_resource_priorities = std::string(p->get_string());
    } else {
      auto parts = strings_option(o, "restoreResourcePriorities", kWhat);
      for (const auto& part : *parts) {
        options.restore_resource_priorities += (options.restore_resource_priorities.empty() ? "" : ",") + part;
      }
    }
  }
  if (auto mb = int_option(o, "maxBackupExtractionSize", kWhat)) {
    // Velero's --max-backup-extraction-size is in megabytes, and 0 (or less) keeps the 16 GiB default
    // (pkg/cmd/server/server.go: SetMaxExtractionSize(MB * 1024 * 1024) only when > 0).
    if (*mb > (std::int64_t(1) << 43)) throw vbackup::invalid_input("restore options: maxBackupExtractionSize: too large");
    if (*mb > 0) options.max_extraction_size = static_cast<std::uint64_t>(*mb) << 20;
  }
  if (auto t = string_option(o, "resourceTimeout", kWhat)) {
    auto d = vbackup::parse_duration(*t);
    if (d.count() <= 0) throw vbackup::invalid_input("restore options: resourceTimeout: \"" + *t + "\" is not positive");
    options.resource_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(d);
  }
  if (auto n = int_option(o, "parallel", kWhat)) {
    if (*n < 1 || *n > 1024) throw vbackup::invalid_input("restore options: parallel: " + std::to_string(*n) + " is not 1 to 1024");
    options.parallel = static_cast<int>(*n);
  }
  // Issue 17: where the tarball, its index and the restored set are spooled (default: the system's
  // temporary directory, also when empty); one that cannot hold them fails the restore, naming it.
  if (auto d = string_option(o, "spoolDir", kWhat)) options.spool_dir = *d;
  if (auto ns = string_option(o, "veleroNamespace", kWhat); ns && !ns->empty()) options.velero_namespace = *ns;
  options.record_in_cluster = record_option(o, kWhat);
  return options;
}

}  // namespace

extern "C" {

vbk_status vbk_restore_create(vbk_cluster* cluster, vbk_location* location, const char* restore_json,
                              const char* options_json, const vbk_callbacks* callbacks, char** restore_out) {
  if (restore_out) *restore_out = nullptr;
  VBK_OPTIONAL_HANDLE(cluster);
  VBK_REQUIRE(location);
  VBK_REQUIRE(restore_json);
  return guarded([&] {
    auto restore = vbackup::velero::Restore::from_json(parse_object(restore_json, "restore"), "restore");
    vbackup::Cluster* c = cluster ? cluster->cluster.get() : nullptr;
    std::filesystem::path output_dir;
    auto options = parse_restore_options(options_json, c && c->live(), output_dir);
    map_callbacks(callbacks, options);
    auto run = vbackup::create_restore(c, *location, std::move(restore), std::move(options), output_dir);
    if (restore_out) *restore_out = dup(pretty(run.result.restore.to_json()));
    const auto& outcome = run.result.outcome;  // typed: never read from failureReason
    return outcome.ok() ? VBK_OK
                        : fail(static_cast<vbk_status>(outcome.code),
                               outcome_message(outcome.message, run.result.restore.status,
                                               "restore " + run.result.restore.metadata.name));
  });
}

vbk_status vbk_restore_list(vbk_location* location, char** restores_json) {
  VBK_REQUIRE(restores_json);
  *restores_json = nullptr;
  VBK_REQUIRE(location);
  return guarded([&] {
    json::array out;
    for (const auto& r : vbackup::list_restores(*location->backups)) out.push_back(r.to_json());
    *restores_json = dup(pretty(out));
    return VBK_OK;
  });
}

vbk_status vbk_restore_get(vbk_location* location, const char* name, char** restore_json) {
  VBK_REQUIRE(restore_json);
  *restore_json = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    *restore_json = dup(pretty(vbackup::get_restore(*location->backups, name).to_json()));
    return VBK_OK;
  });
}

vbk_status vbk_restore_describe(vbk_location* location, const char* name, int details, char** json_out) {
  VBK_REQUIRE(json_out);
  *json_out = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    *json_out = dup(pretty(vbackup::describe_restore(*location->backups, name, details != 0).to_json()));
    return VBK_OK;
  });
}

vbk_status vbk_restore_logs(vbk_location* location, const char* name, char** log_out) {
  VBK_REQUIRE(log_out);
  *log_out = nullptr;
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    *log_out = dup(vbackup::restore_logs(*location->backups, name));
    return VBK_OK;
  });
}

vbk_status vbk_restore_delete(vbk_location* location, const char* name) {
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    vbackup::delete_restore(*location->backups, name);
    return VBK_OK;
  });
}

vbk_status vbk_restore_delete_recorded(vbk_location* location, vbk_cluster* cluster, const char* name,
                                       const char* options_json, char** result_json) {
  if (result_json) *result_json = nullptr;
  VBK_OPTIONAL_HANDLE(cluster);
  VBK_REQUIRE(location);
  VBK_REQUIRE(name);
  return guarded([&] {
    auto o = parse_options(options_json, "delete options", {"veleroNamespace"});
    std::string ns(json::get_string(o, "veleroNamespace"));
    if (ns.empty()) ns = "velero";
    auto d = vbackup::delete_restore(*location->backups, name, cluster ? cluster->cluster.get() : nullptr, ns);
    json::object result{{"objects", d.objects.size()}, {"crDeleted", d.cr_deleted}};
    if (!d.note.empty()) result["note"] = d.note;
    if (result_json) *result_json = dup(pretty(result));
    return VBK_OK;
  });
}

}  // extern "C"
