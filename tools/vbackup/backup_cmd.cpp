// vbackup backup create|get|describe|download|delete|logs and backup-location check: velero's
// commands over the library's backup glue (create_backup) and persistence.
#include "commands.hpp"
#include "interrupt.hpp"
#include "leftovers_cmd.hpp"
#include "output.hpp"
#include "seal_cmd.hpp"

#include "vbackup/backup.hpp"
#include "vbackup/deletion.hpp"
#include "vbackup/error.hpp"
#include "vbackup/labels.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/server.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

namespace vbackup::cli {
namespace {

struct CreateFlags {
  std::string name;
  std::vector<std::string> from_manifests;
  std::string default_namespace = "default";
  std::vector<std::string> include_namespaces, exclude_namespaces, include_resources, exclude_resources;
  std::vector<std::string> include_cluster_scoped, exclude_cluster_scoped, include_namespace_scoped,
      exclude_namespace_scoped;
  std::string include_cluster_resources;
  std::string selector, or_selector;
  std::string ttl;
  std::string compression = "gzip";
  std::vector<std::string> labels, annotations;
  std::vector<std::string> ordered_resources;
  std::string snapshot_volumes, default_volumes_to_fs_backup, snapshot_move_data;
  std::string csi_snapshot_timeout, item_operation_timeout, resource_policies_configmap;
  std::string output, from_file;
  bool quiet = false, wait = false, submit = false;
  std::string record_in_cluster = "auto";
  SealFlags seal;  // issue 16
};

int backup_create(const Common& c, const CreateFlags& f) {
  // The Backup: from --from-file (strictly: a key Velero does not know is an error), then the flags
  // given on top of it.
  velero::Backup b;
  if (!f.from_file.empty()) b = velero::Backup::from_json(read_resource_file("--from-file", f.from_file, "Backup"), f.from_file);
  if (!f.name.empty()) b.metadata.name = f.name;
  if (b.metadata.name.empty()) throw invalid_input("backup create: name the backup (NAME, or metadata.name in --from-file)");
  for (auto& [k, v] : parse_map("--labels", f.labels)) b.metadata.labels[k] = v;
  for (auto& [k, v] : parse_map("--annotations", f.annotations)) b.metadata.annotations[k] = v;
  auto& s = b.spec;
  auto set = [](std::vector<std::string>& field, const std::vector<std::string>& flag) {
    if (!flag.empty()) field = flag;
  };
  set(s.included_namespaces, f.include_namespaces);
  set(s.excluded_namespaces, f.exclude_namespaces);
  set(s.included_resources, f.include_resources);
  set(s.excluded_resources, f.exclude_resources);
  set(s.included_cluster_scoped_resources, f.include_cluster_scoped);
  set(s.excluded_cluster_scoped_resources, f.exclude_cluster_scoped);
  set(s.included_namespace_scoped_resources, f.include_namespace_scoped);
  set(s.excluded_namespace_scoped_resources, f.exclude_namespace_scoped);
  if (auto v = parse_optional_bool("--include-cluster-resources", f.include_cluster_resources)) s.include_cluster_resources = v;
  if (auto v = parse_optional_bool("--snapshot-volumes", f.snapshot_volumes)) s.snapshot_volumes = v;
  if (auto v = parse_optional_bool("--default-volumes-to-fs-backup", f.default_volumes_to_fs_backup)) {
    s.default_volumes_to_fs_backup = v;
  }
  if (auto v = parse_optional_bool("--snapshot-move-data", f.snapshot_move_data)) s.snapshot_move_data = v;
  if (!f.csi_snapshot_timeout.empty()) {
    s.csi_snapshot_timeout = parse_duration_flag("--csi-snapshot-timeout", f.csi_snapshot_timeout);
  }
  if (!f.item_operation_timeout.empty()) {
    s.item_operation_timeout = parse_duration_flag("--item-operation-timeout", f.item_operation_timeout);
  }
  if (!f.resource_policies_configmap.empty()) {  // velero: spec.resourcePolicy {kind: configmap, name}
    velero::TypedLocalObjectReference ref;
    ref.kind = "configmap";
    ref.name = f.resource_policies_configmap;
    s.resource_policy = ref;
  }
  if (!f.selector.empty()) s.label_selector = json::value(labels::parse_to_label_selector(f.selector));
  if (!f.or_selector.empty()) {
    s.or_label_selectors.clear();
    for (auto& ls : labels::parse_or_selectors(f.or_selector)) s.or_label_selectors.push_back(std::move(ls));
  }
  if (!f.ttl.empty()) s.ttl = parse_duration_flag("--ttl", f.ttl);
  for (auto& [k, v] : parse_map("--ordered-resources", f.ordered_resources)) s.ordered_resources[k] = v;
  BackupOptions options;
  options.velero_namespace = c.velero_namespace;
  options.compression = parse_compression(f.compression, "--compression");
  record_in_cluster(f.record_in_cluster, options);
  options.strict_spec = !f.from_file.empty();
  options.seal = seal_options(f.seal);
  if (!f.output.empty()) {
    // velero: "For create commands, display the object but do not send it to the server."
    check_output(f.output, false);
    b.metadata.namespace_ = c.velero_namespace;
    print_object(std::cout, b.to_json(), f.output);
    return 0;
  }
  if (f.submit) {
    if (!f.from_manifests.empty()) throw invalid_input("--submit: a running server backs up its cluster, not --from-manifests");
    // velero's --storage-location names the BackupStorageLocation CR the server uses.
    if (b.spec.storage_location.empty()) b.spec.storage_location = c.storage_location;
    return submit_operation(c, "backups", b.to_json(), f.wait);
  }
  // Also in the backup's warnings; said here first, before any work.
  if (auto w = compression_warning(options.compression, b.metadata.name); !w.empty()) std::cerr << "Warning: " << w << "\n";
  auto store = open_store(c);
  // Before the cluster is opened: a location that cannot take the backup fails it now (the library
  // checks again before it reads the cluster, for every surface).
  if (auto problem = location_write_problem(store.location, *store.backups, true); !problem.empty()) {
    throw Error(ErrorCode::storage, "backup " + b.metadata.name + " failed: " + problem);
  }
  // The source: a folder of manifests, or the cluster of the kubeconfig (--kubeconfig, --kubecontext).
  ClusterOptions cluster_options;
  cluster_options.manifests.assign(f.from_manifests.begin(), f.from_manifests.end());
  cluster_options.default_namespace = f.default_namespace;
  auto cluster = open_cluster(c, cluster_options);
  ProgressBar bar(f.quiet);
  BackupProgress last;
  auto render = [&](double seconds, std::size_t width) { return progress_line(last, seconds, width); };
  // SIGINT/SIGTERM cancel (interrupt.hpp): between items, and in the uploads (a slow tarball).
  Interrupt interrupt(bar.enabled());
  store.objects->set_cancel_check(&Interrupt::requested);
  options.on_progress = [&](const BackupProgress& p) {
    last = p;
    if (Interrupt::requested()) return false;  // the bar stays as it was; the message follows it
    bar.update(render);
    return true;
  };
  const std::string name = b.metadata.name;
  BackupRun run;
  try {
    run = create_backup(*cluster, store, std::move(b), options);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::cancelled || !Interrupt::requested()) throw;
    interrupt.announce();
    std::cerr << "vbackup: backup \"" << name << "\" cancelled; what it had uploaded was removed from "
              << store.location.url() << "\n";
    return Interrupt::exit_status();
  }
  bar.finish(render);  // the final figures stay on screen
  if (Interrupt::requested()) {
    std::cerr << "vbackup: the interrupt came after the backup was written; it is complete and kept\n";
  }
  if (!run.note.empty()) std::cerr << "Note: " << run.note << "\n";
  const auto& st = run.result.backup.status;
  namespace phase = velero::backup_phase;
  if (st.phase == phase::FailedValidation) {
    std::cerr << "An error occurred: backup " << name << " failed validation:\n";
    for (const auto& e : st.validation_errors) std::cerr << "  " << e << "\n";
    return 1;
  }
  if (st.phase == phase::Failed) {
    std::cerr << "An error occurred: backup " << name << " failed: " << st.failure_reason << "\n";
    return 1;
  }
  std::int64_t items = st.progress ? st.progress->items_backed_up : 0;
  std::cout << "Backup \"" << name << "\" " << st.phase << ": " << items << " items, " << st.errors
            << " errors, " << st.warnings << " warnings, in " << store.location.url() << ".\n";
  std::cout << "Run `vbackup backup describe " << name << " --details` for more details.\n";
  return st.phase == phase::PartiallyFailed ? 2 : 0;
}

int backup_get(const Common& c, const std::vector<std::string>& names, const std::string& output, const std::string& selector,
               bool show_labels, bool from_cluster) {
  check_output(output, true);
  std::vector<velero::Backup> backups;
  if (from_cluster) {
    // velero backup get: the Backup CRs of the Velero namespace (what a server records).
    kube::KubeClient client(kube::load_rest_config(c.connect()));
    for (auto& o : server::list_crs(client, c.velero_namespace, "backups", names, selector))
      backups.push_back(velero::Backup::from_json(o, "Backup " + std::string(json::metadata_string(o, "name"))));
  }
  if (!from_cluster) {
    auto store = open_store(c);
    if (names.empty()) {
      backups = list_backups(*store.backups);
    } else {
      for (const auto& n : names) backups.push_back(get_backup(*store.backups, n));
    }
  }
  if (!selector.empty() && !from_cluster) {
    auto sel = labels::Selector::parse(selector);
    std::erase_if(backups, [&](const velero::Backup& b) {
      return !sel.matches(labels::LabelMap(b.metadata.labels.begin(), b.metadata.labels.end()));
    });
  }
  if (output == "table") {
    print_backup_table(std::cout, backups, now(), show_labels);
    return 0;
  }
  json::array items;
  for (const auto& b : backups) items.push_back(b.to_json());
  print_list(std::cout, std::move(items), "BackupList", names.size() == 1, output);
  return 0;
}

int backup_describe(const Common& c, const std::vector<std::string>& names, bool details, const std::string& output,
                    const OpenFlags& open) {
  if (!output.empty()) check_output(output, false);
  auto store = open_store(c);
  std::vector<std::string> list = names.empty() ? store.backups->list_backups() : names;
  bool first = true;
  for (const auto& n : list) {
    // The side files are read without --details too: velero's describe shows the volumes either way.
    auto view = sealing::open_sealed(*store.backups, n, open_options(open));  // issue 16: decrypted, checked
    auto d = describe_backup(view, n, true);
    if (!output.empty()) {
      // With --details, the side files too (resource list, results, volume info, item operations).
      print_object(std::cout, details ? json::value(d.to_json()) : json::value(d.backup.to_json()), output);
      continue;
    }
    if (!first) std::cout << "\n\n";
    print_backup_description(std::cout, d, details);
    first = false;
  }
  return 0;
}

int backup_download(const Common& c, const std::string& name, std::string output, bool force, const OpenFlags& open) {
  auto store = open_store(c);
  if (output.empty()) {
    // velero's default file name; a zstd backup (ours) gets the extension of what it holds.
    bool zstd = recorded_compression(get_backup(*store.backups, name)) == archive::Compression::zstd;
    output = name + (zstd ? "-data.tar.zst" : "-data.tar.gz");
  }
  if (std::filesystem::exists(output) && !force) {
    throw Error(ErrorCode::already_exists, "file " + output + " already exists, remove it or use --force");
  }
  auto view = sealing::open_sealed(*store.backups, name, open_options(open));  // issue 16: decrypted, checked
  download_backup(view, name, output);
  std::cout << "Backup " << name << " has been successfully downloaded to " << std::filesystem::absolute(output).string()
            << "\n";
  return 0;
}

int backup_delete(const Common& c, const std::vector<std::string>& names, bool all, const std::string& selector,
                  bool confirm) {
  check_selection("backup", names, all, selector);  // velero's SelectOptions
  auto store = open_store(c);
  std::vector<std::string> list = all ? store.backups->list_backups() : names;
  if (!selector.empty()) {
    auto sel = labels::Selector::parse(selector);
    for (const auto& b : list_backups(*store.backups)) {
      if (sel.matches(labels::LabelMap(b.metadata.labels.begin(), b.metadata.labels.end()))) list.push_back(b.metadata.name);
    }
  }
  if (list.empty()) {
    std::cout << "No backups found\n";
    return 0;
  }
  for (const auto& n : list) check_writable(store.location, "delete backup " + n);  // spec §2.2 accessMode
  if (!confirmed("backup delete", confirm)) return 0;
  // The recorded Backup CR goes too when a cluster is named (--kubeconfig, --kubecontext, $KUBECONFIG).
  std::unique_ptr<Cluster> cluster;
  if (c.cluster_named()) cluster = open_cluster(c);
  for (const auto& n : list) {
    // csi §3: the backup's storage snapshots first, through the cluster's CSI driver (the library call
    // a DeleteBackupRequest uses); without a cluster, a note names the snapshots left in storage.
    deletion::CsiDeletionOptions csi_options;
    csi_options.unreadable_tarball_fails = false;  // a killed backup's half tarball still goes
    auto csi = deletion::delete_csi_snapshots(cluster && cluster->live() ? cluster->client() : nullptr, *store.backups,
                                              n, csi_options);
    if (!csi.ok()) {
      std::string why = csi.failure;
      for (const auto& e : csi.errors) why += (why.empty() ? "" : "; ") + e;
      throw Error(ErrorCode::kube, "backup " + n + ": " + why + " (the backup was not deleted)");
    }
    if (!csi.note.empty()) std::cerr << "Note: backup " << n << ": " << csi.note << "\n";
    if (std::size_t k = csi.temporary_contents.size() + csi.legacy_contents.size()) {
      std::string handles;
      for (const auto& s : csi.contents) handles += (handles.empty() ? "" : ", ") + s.handle;
      std::cout << "Backup \"" << n << "\": deletion of " << k << " CSI snapshots requested (" << handles << ").\n";
    }
    auto d = delete_backup(*store.backups, n, cluster.get(), c.velero_namespace);
    std::cout << "Backup \"" << n << "\" deleted (" << d.objects.size() << " objects"
              << (d.cr_deleted ? ", and its Backup CR in namespace " + c.velero_namespace : std::string()) << ").\n";
    if (!d.note.empty()) std::cerr << "Note: " << d.note << "\n";
  }
  return 0;
}

}  // namespace

CLI::App* add_backup_commands(CLI::App& app, const Common& common, int& rc) {
  auto* backup = app.add_subcommand("backup", "Work with backups");
  backup->require_subcommand(1);
  backup->fallthrough();

  auto cf = std::make_shared<CreateFlags>();
  auto* create = backup->add_subcommand("create", "Create a backup");
  create->fallthrough();
  create->add_option("name", cf->name, "Backup name (required unless --from-file names it)");
  create->add_option("--from-file", cf->from_file,
                     "A Backup (YAML or JSON, as -o yaml prints it) to run; flags given too override its fields. "
                     "A key Velero does not know is an error");
  create->add_option("--from-manifests", cf->from_manifests,
                     "Back up a directory or file of YAML/JSON manifests instead of the cluster")
      ->delimiter(',');
  create->add_option("--default-namespace", cf->default_namespace,
                     "Namespace of namespaced manifests that name none (as kubectl -n)")->capture_default_str();
  create->add_option("--include-namespaces", cf->include_namespaces, "Namespaces to include (globs; default *)")->delimiter(',');
  create->add_option("--exclude-namespaces", cf->exclude_namespaces, "Namespaces to exclude (globs)")->delimiter(',');
  create->add_option("--include-resources", cf->include_resources, "Resources to include (old filter model)")->delimiter(',');
  create->add_option("--exclude-resources", cf->exclude_resources, "Resources to exclude (old filter model)")->delimiter(',');
  add_optional_bool(*create, "--include-cluster-resources", cf->include_cluster_resources,
                    "Include cluster-scoped resources; auto: all of them when every namespace is included, "
                    "else those the included items bring (their PVs, CRDs)");
  create->add_option("--include-cluster-scoped-resources", cf->include_cluster_scoped, "Cluster-scoped resources to include")->delimiter(',');
  create->add_option("--exclude-cluster-scoped-resources", cf->exclude_cluster_scoped, "Cluster-scoped resources to exclude")->delimiter(',');
  create->add_option("--include-namespace-scoped-resources", cf->include_namespace_scoped, "Namespace-scoped resources to include")->delimiter(',');
  create->add_option("--exclude-namespace-scoped-resources", cf->exclude_namespace_scoped, "Namespace-scoped resources to exclude")->delimiter(',');
  create->add_option("-l,--selector", cf->selector, "Only back up resources matching this label selector");
  create->add_option("--or-selector", cf->or_selector, "Back up resources matching at least one selector, separated by ' or '");
  create->add_option("--ttl", cf->ttl, "How long before the backup can be garbage collected (default 720h0m0s)");
  create->add_option("--compression", cf->compression,
                     "Tarball compression: gzip, or zstd (ours: a Velero server cannot restore a zstd backup)")
      ->capture_default_str();
  create->add_option("--labels", cf->labels, "Labels to apply to the backup (key=value)")->delimiter(',');
  create->add_option("--annotations", cf->annotations, "Annotations to apply to the backup (key=value)")->delimiter(',');
  create->add_option("--ordered-resources", cf->ordered_resources, "Backup order of items: resource=ns/name,… (repeat per resource)");
  add_optional_bool(*create, "--snapshot-volumes", cf->snapshot_volumes,
                    "Take CSI snapshots of the PersistentVolumes (csi §1; unset: true). Velero-native snapshotters are "
                    "not supported");
  create->add_option("--csi-snapshot-timeout", cf->csi_snapshot_timeout,
                     "How long to wait for CSI snapshot creation before timeout (default 10m)");
  create->add_option("--item-operation-timeout", cf->item_operation_timeout,
                     "How long to wait for async plugin operations (CSI snapshots becoming ready) before timeout (default 4h)");
  create->add_option("--resource-policies-configmap", cf->resource_policies_configmap,
                     "Reference to the resource policies ConfigMap (in the Velero namespace) that the backup uses");
  add_optional_bool(*create, "--snapshot-move-data", cf->snapshot_move_data,
                    "Specify whether snapshot data should be moved (the data mover needs a node agent, which this "
                    "project does not have: such volumes fail)");
  add_optional_bool(*create, "--default-volumes-to-fs-backup", cf->default_volumes_to_fs_backup,
                    "Recorded in the spec; volume data is not backed up");
  create->add_option("-o,--output", cf->output, "Print the Backup (json|yaml) instead of running it");
  create->add_flag("-q,--quiet", cf->quiet, "No progress output");
  add_record_flag(*create, cf->record_in_cluster, "Backup");
  create->add_flag("-w,--wait", cf->wait, "Wait for the operation to complete (without --submit vbackup always waits)");
  add_seal_flags(*create, cf->seal);
  create->add_flag("--submit", cf->submit,
                   "Create the Backup CR for a running `vbackup server` (or Velero) to carry out, as velero does");
  create->footer(
      "Interrupting: SIGINT (Ctrl-C) or SIGTERM cancels the backup and removes what it had uploaded (the file "
      "store's temporary files; S3's multipart upload is aborted; Azure's uncommitted blocks cannot be deleted and "
      "expire by themselves after 7 days). A second signal quits at once; `vbackup backup-location check --prune` "
      "removes what that, or a crash, leaves.\n"
      "Exit status: 0 Completed, 2 PartiallyFailed, 1 failed, 130 interrupted by SIGINT, 143 by SIGTERM.");
  create->callback([&common, &rc, cf] { rc = backup_create(common, *cf); });

  struct ListFlags {
    std::vector<std::string> names;
    std::string output = "table", selector, describe_output, file;
    std::string name;
    bool details = false, force = false, all = false, confirm = false, show_labels = false, from_cluster = false;
    OpenFlags open;  // issue 16: --identity
  };
  auto lf = std::make_shared<ListFlags>();
  auto* get = backup->add_subcommand("get", "Get backups");
  get->fallthrough();
  get->add_option("names", lf->names, "Backup names (default: all)");
  get->add_option("-o,--output", lf->output, "table, json or yaml")->capture_default_str();
  get->add_option("-l,--selector", lf->selector, "Only show backups whose labels match this selector");
  get->add_flag("--show-labels", lf->show_labels, "Show labels in the last column");
  get->add_flag("--from-cluster", lf->from_cluster,
                "Read the Backup CRs of the Velero namespace (velero's view; --kubeconfig) instead of the location");
  get->callback([&common, &rc, lf] {
    rc = backup_get(common, lf->names, lf->output, lf->selector, lf->show_labels, lf->from_cluster);
  });

  auto* describe = backup->add_subcommand("describe", "Describe backups");
  describe->fallthrough();
  describe->add_option("names", lf->names, "Backup names (default: all)");
  describe->add_flag("--details", lf->details, "Show the resource list and the errors and warnings of each backup");
  describe->add_option("-o,--output", lf->describe_output, "json or yaml instead of text");
  add_identity_flag(*describe, lf->open);
  describe->callback([&common, &rc, lf] {
    rc = backup_describe(common, lf->names, lf->details, lf->describe_output, lf->open);
  });

  auto* download = backup->add_subcommand("download", "Download a backup's tarball");
  download->fallthrough();
  download->add_option("name", lf->name, "Backup name")->required();
  download->add_option("-o,--output", lf->file, "File to write (default NAME-data.tar.gz; NAME-data.tar.zst for a zstd backup)");
  download->add_flag("--force", lf->force, "Overwrite the file if it exists");
  add_identity_flag(*download, lf->open);
  download->callback([&common, &rc, lf] { rc = backup_download(common, lf->name, lf->file, lf->force, lf->open); });

  auto* del = backup->add_subcommand("delete", "Delete backups from the storage location (a folder without "
                                              "velero-backup.json too, and uploads left unfinished in it), and "
                                              "their Backup CRs from the cluster when one is named (--kubeconfig, "
                                              "--kubecontext, $KUBECONFIG)");
  del->fallthrough();
  del->add_option("names", lf->names, "Backup names");
  del->add_flag("--all", lf->all, "Delete all backups");
  del->add_option("-l,--selector", lf->selector, "Delete all backups matching this label selector");
  del->add_flag("--confirm", lf->confirm, "Confirm deletion (without it, a terminal is asked; anything else refused)");
  // velero backup delete: a DeleteBackupRequest for a running server (deletion_cmd.cpp).
  auto submit = std::make_shared<std::pair<bool, bool>>();
  del->add_flag("--submit", submit->first, "Create a DeleteBackupRequest for a running server instead of deleting "
                                           "(velero's behaviour): the backups are the cluster's Backup CRs");
  del->add_flag("--wait", submit->second, "With --submit: wait until the Backup CRs are gone");
  del->callback([&common, &rc, lf, submit] {
    if (submit->second && !submit->first) throw invalid_input("--wait: only with --submit");
    // With a vbackup server running in the named cluster (its Lease held), deletion goes through it,
    // as velero backup delete always does: the server deletes the backup with its restores.
    if (!submit->first && common.cluster_named()) {
      try {
        kube::KubeClient client(kube::load_rest_config(common.connect()));
        if (auto holder = server::running_server(client, common.velero_namespace)) {
          std::cerr << "vbackup: a vbackup server runs in the cluster (" << *holder
                    << "): submitting DeleteBackupRequests to it\n";
          submit->first = true;
        }
      } catch (const Error&) {
        // no cluster to ask: the files are deleted directly, as without a server
      }
    }
    rc = submit->first ? submit_backup_deletion(common, lf->names, lf->all, lf->selector, lf->confirm, submit->second)
                       : backup_delete(common, lf->names, lf->all, lf->selector, lf->confirm);
  });

  auto* logs = backup->add_subcommand("logs", "Show a backup's log");
  logs->fallthrough();
  logs->add_option("name", lf->name, "Backup name")->required();
  add_identity_flag(*logs, lf->open);
  logs->callback([&common, &rc, lf] {
    auto store = open_store(common);
    auto view = sealing::open_sealed(*store.backups, lf->name, open_options(lf->open));  // issue 16
    std::cout << backup_logs(view, lf->name);
    rc = 0;
  });
  add_seal_commands(*backup, common, rc);  // issue 16: backup verify|rekey
  return backup;
}

void add_location_commands(CLI::App& app, const Common& common, int& rc) {
  auto* bsl = app.add_subcommand("backup-location", "Work with backup storage locations");
  bsl->require_subcommand(1);
  bsl->fallthrough();
  auto output = std::make_shared<std::string>();
  auto* check = bsl->add_subcommand("check", "Check a location without changing it: Available, Available (read-only), or "
                                             "Unavailable and why (exit status 1); and report what interrupted work left behind");
  check->fallthrough();
  check->add_option("-o,--output", *output, "Print the BackupStorageLocation status as json or yaml");
  auto leftovers = std::make_shared<LeftoverFlags>();
  add_leftover_flags(*check, *leftovers);
  check->callback([&common, &rc, output, leftovers] {
    if (!output->empty()) check_output(*output, false);
    auto store = open_store(common);
    auto status = check_location(store, now());
    const bool available = status.phase == velero::location_phase::Available;
    if (!output->empty()) {
      print_object(std::cout, status.to_json(), *output);
    } else if (available && status.access_mode == velero::access_mode::ReadOnly) {
      std::string_view why = status.message;
      if (why.starts_with("read-only: ")) why.remove_prefix(11);
      std::cout << store.location.url() << ": Available (read-only): " << why << "\n";
    } else if (available) {
      std::cout << store.location.url() << ": Available" << (status.message.empty() ? "" : " (" + status.message + ")") << "\n";
    } else {
      std::cout << store.location.url() << ": Unavailable: " << status.message << "\n";
    }
    rc = available ? 0 : 1;
    // Leftovers (leftovers_cmd.hpp): on stderr when stdout carries -o json|yaml.
    if (available && !report_leftovers(output->empty() ? std::cout : std::cerr, *store.backups, *leftovers)) rc = 1;
  });
}

}  // namespace vbackup::cli
