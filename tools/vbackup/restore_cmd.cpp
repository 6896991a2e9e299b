// vbackup restore create|get|describe|logs|delete: velero's restore commands (pkg/cmd/cli/restore)
// mapped onto the library's restore glue (create_restore) and the restores recorded in the location
// (persistence.hpp). Velero's server flags that shape a restore are options of `restore create`.
#include "commands.hpp"
#include "interrupt.hpp"
#include "filter_flags.hpp"
#include "output.hpp"
#include "seal_cmd.hpp"

#include "vbackup/error.hpp"
#include "vbackup/labels.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/restore.hpp"

#include "vbackup/server.hpp"

#include <CLI/CLI.hpp>

#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

namespace vbackup::cli {
namespace {

struct CreateFlags {
  OpenFlags open;  // issue 16: --identity, --skip-verify, --require-signature, --allowed-signers, --principal
  std::string name, from_backup, from_schedule;
  FilterFlags filters;
  std::vector<std::string> namespace_mappings, status_include_resources, status_exclude_resources;
  std::string restore_volumes, preserve_nodeports;
  std::string existing_resource_policy, item_operation_timeout;
  std::string resource_modifier_configmap, resource_policies_configmap;
  std::vector<std::string> labels, annotations;
  bool wait = false, submit = false;
  std::string output;
  // Velero's server flags.
  std::string restore_resource_priorities, resource_timeout;
  std::uint64_t max_backup_extraction_size = 0;  // MB, as velero's
  double client_qps = 0;
  int client_burst = 0;
  // Ours.
  bool dry_run = false, diff = false, quiet = false;
  std::string output_dir, resource_modifier_file, resource_policy_file, from_file, spool_dir;
  int parallel = 8;
  std::string record_in_cluster = "auto";
};

// velero restore create's default name: <backup or schedule>-<YYYYMMDDhhmmss>, local time.
std::string default_name(const std::string& source) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return source + "-" + buf;
}

// The Restore: from --from-file (strictly: a key Velero does not know is an error), then the flags
// given on top of it.
velero::Restore restore_from_flags(const Common& c, const CreateFlags& f) {
  velero::Restore r;
  if (!f.from_file.empty()) r = velero::Restore::from_json(read_resource_file("--from-file", f.from_file, "Restore"), f.from_file);
  auto& s = r.spec;
  if (!f.from_backup.empty() || !f.from_schedule.empty()) {
    s.backup_name = f.from_backup;
    s.schedule_name = f.from_schedule;
  }
  // velero's CreateOptions.Validate.
  if (s.backup_name.empty() == s.schedule_name.empty()) {
    throw invalid_input("either a backup or schedule must be specified, but not both (--from-backup, --from-schedule)");
  }
  if (!f.name.empty()) r.metadata.name = f.name;
  if (r.metadata.name.empty()) r.metadata.name = default_name(s.backup_name.empty() ? s.schedule_name : s.backup_name);
  r.metadata.namespace_ = c.velero_namespace;
  for (auto& [k, v] : parse_map("--labels", f.labels)) r.metadata.labels[k] = v;
  for (auto& [k, v] : parse_map("--annotations", f.annotations)) r.metadata.annotations[k] = v;
  f.filters.apply(s);
  for (auto& [k, v] : parse_map("--namespace-mappings", f.namespace_mappings, ':')) s.namespace_mapping[k] = v;
  if (auto v = parse_optional_bool("--restore-volumes", f.restore_volumes)) s.restore_pvs = v;
  if (auto v = parse_optional_bool("--preserve-nodeports", f.preserve_nodeports)) s.preserve_node_ports = v;
  if (!f.existing_resource_policy.empty() && f.existing_resource_policy != velero::existing_resource_policy::none &&
      f.existing_resource_policy != velero::existing_resource_policy::update) {
    throw invalid_input("--existing-resource-policy: expected none or update, not \"" + f.existing_resource_policy + "\"");
  }
  if (!f.existing_resource_policy.empty()) s.existing_resource_policy = f.existing_resource_policy;
  // velero sets restoreStatus only when --status-include-resources is given.
  if (!f.status_include_resources.empty()) {
    s.restore_status = velero::RestoreStatusSpec{f.status_include_resources, f.status_exclude_resources, {}};
  }
  if (!f.resource_modifier_configmap.empty()) {
    s.resource_modifier = velero::TypedLocalObjectReference{std::string(), "ConfigMap", f.resource_modifier_configmap, {}};
  }
  if (!f.resource_policies_configmap.empty()) {
    s.extra["resourcePolicy"] = json::object{{"kind", "configmap"}, {"name", f.resource_policies_configmap}};
  }
  if (!f.item_operation_timeout.empty()) {
    s.item_operation_timeout = parse_duration_flag("--item-operation-timeout", f.item_operation_timeout);
  }
  return r;
}

RestoreOptions options_from_flags(const Common& c, const CreateFlags& f) {
  RestoreOptions o;
  o.velero_namespace = c.velero_namespace;
  o.strict_spec = !f.from_file.empty();
  o.mode = f.diff ? RestoreOptions::Mode::diff : f.dry_run ? RestoreOptions::Mode::dry_run : RestoreOptions::Mode::apply;
  o.include_names = f.filters.include_names;
  if (!f.resource_modifier_file.empty()) o.resource_modifiers = read_flag_file("--resource-modifier-file", f.resource_modifier_file);
  if (!f.resource_policy_file.empty()) o.resource_policy = read_flag_file("--resource-policy-file", f.resource_policy_file);
  o.restore_resource_priorities = f.restore_resource_priorities;
  if (f.max_backup_extraction_size > 0) o.max_extraction_size = f.max_backup_extraction_size * 1024 * 1024;
  if (!f.resource_timeout.empty()) {
    o.resource_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        parse_duration_flag("--resource-timeout", f.resource_timeout));
  }
  if (f.parallel < 1) throw invalid_input("--parallel: expected a number of at least 1, not " + std::to_string(f.parallel));
  o.parallel = f.parallel;
  o.spool_dir = f.spool_dir;  // empty: the system's temporary directory (issue 17)
  record_in_cluster(f.record_in_cluster, o);
  o.seal = open_options(f.open);
  return o;
}

// The plan of a dry run or a diff: the table (then each diff), or one json/yaml document.
void print_plan(const velero::Restore& restore, const std::vector<RestorePlanItem>& plan, const std::string& output,
                const std::string& output_dir) {
  if (output == "json" || output == "yaml") {
    json::array items;
    for (const auto& p : plan) items.push_back(p.to_json());
    print_object(std::cout, json::object{{"restore", restore.to_json()}, {"items", std::move(items)}}, output);
    return;
  }
  print_plan_table(std::cout, plan);
  for (const auto& p : plan) {
    if (p.diff.empty()) continue;
    std::cout << "\n" << p.diff << (p.diff.back() == '\n' ? "" : "\n");
  }
  std::cout << "\nRestore \"" << restore.metadata.name << "\" from backup \"" << restore.spec.backup_name
            << "\", not run: " << plan_summary(plan) << ".\n";
  if (!output_dir.empty() && std::filesystem::is_directory(output_dir)) {
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(output_dir)) ++files;
    std::size_t crds = 0;
    for (const auto& p : plan) crds += p.action == "create" && p.group_resource == "customresourcedefinitions.apiextensions.k8s.io";
    std::cout << "Wrote " << files << " manifests to " << output_dir << ": `kubectl apply -f " << output_dir
              << "` replays the restore";
    // kubectl checks every object against what the server served when it started: a custom resource
    // whose CRD the folder creates is refused until a second pass.
    if (crds) std::cout << " (it creates " << crds << " CustomResourceDefinition" << (crds > 1 ? "s" : "")
                        << ": apply again once established, for the custom resources)";
    std::cout << ".\n";
  }
}

int restore_create(const Common& c, const CreateFlags& f) {
  auto restore = restore_from_flags(c, f);
  const bool planning = f.dry_run || f.diff;
  if (!f.output.empty()) check_output(f.output, planning);
  if (!planning && !f.output.empty()) {
    // velero: "For create commands, display the object but do not send it to the server."
    print_object(std::cout, restore.to_json(), f.output);
    return 0;
  }
  if (f.submit) {
    if (planning) throw invalid_input("--submit: a running server restores; --dry-run and --diff run here");
    return submit_operation(c, "restores", restore.to_json(), f.wait);
  }
  if (!f.output_dir.empty() && !f.dry_run) throw invalid_input("--output-dir: goes with --dry-run");
  auto options = options_from_flags(c, f);
  auto store = open_store(c);
  // A real restore and a diff need the cluster; a dry run uses one only when it is named.
  std::unique_ptr<Cluster> cluster;
  if (!f.dry_run || f.diff || c.cluster_named()) {
    ClusterOptions co;
    co.qps = f.client_qps;
    co.burst = f.client_burst;
    cluster = open_cluster(c, co);
  }
  std::vector<RestorePlanItem> plan;
  if (planning) options.on_plan = [&plan](const RestorePlanItem& p) { plan.push_back(p); };
  ProgressBar bar(f.quiet || planning);
  RestoreProgress last;
  auto render = [&](double seconds, std::size_t width) { return restore_progress_line(last, seconds, width); };
  // SIGINT/SIGTERM cancel (interrupt.hpp): between items, and while the backup downloads. Uploads
  // are not checked: a cancelled restore still writes its log, results and record (Failed).
  Interrupt interrupt(bar.enabled());
  store.objects->set_download_cancel_check(&Interrupt::requested);
  options.on_progress = [&](const RestoreProgress& p) {
    last = p;
    if (Interrupt::requested()) return false;  // the bar stays as it was; the message follows it
    bar.update(render);
    return true;
  };
  const std::string name = restore.metadata.name;
  RestoreRun run;
  try {
    run = create_restore(cluster.get(), store, std::move(restore), std::move(options), f.output_dir);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::cancelled || !Interrupt::requested()) throw;
    interrupt.announce();
    std::cerr << "vbackup: restore \"" << name << "\" cancelled"
              << (planning ? " (a dry run: the cluster was not changed)"
                           : "; the objects restored so far stay in the cluster (`vbackup restore describe " + name +
                                 " --details`)")
              << "\n";
    return Interrupt::exit_status();
  }
  bar.finish(render);
  if (!run.note.empty()) std::cerr << "Note: " << run.note << "\n";
  const auto& r = run.result.restore;
  const auto& st = r.status;
  namespace phase = velero::restore_phase;
  if (st.phase == phase::FailedValidation) {
    std::cerr << "An error occurred: restore " << r.metadata.name << " failed validation:\n";
    for (const auto& e : st.validation_errors) std::cerr << "  " << e << "\n";
    return 1;
  }
  if (!run.result.outcome.ok()) {
    std::cerr << "An error occurred: " << run.result.outcome.message << "\n";
    return 1;
  }
  if (planning) {
    print_plan(r, plan, f.output.empty() ? "table" : f.output, f.output_dir);
  } else {
    std::int64_t items = st.progress ? st.progress->items_restored : 0;
    std::cout << "Restore \"" << r.metadata.name << "\" completed with status: " << st.phase << " (" << items
              << " items, " << st.errors << " errors, " << st.warnings << " warnings, from backup \""
              << r.spec.backup_name << "\").\n";
    std::cout << "Run `vbackup restore describe " << r.metadata.name << " --details` for more details.\n";
  }
  return st.phase == phase::PartiallyFailed ? 2 : 0;
}

std::vector<velero::Restore> select_restores(storage::BackupStore& store, const std::vector<std::string>& names,
                                             const std::string& selector) {
  std::vector<velero::Restore> restores;
  if (!names.empty()) {
    for (const auto& n : names) restores.push_back(get_restore(store, n));
    return restores;
  }
  restores = list_restores(store);
  if (!selector.empty()) {
    auto sel = labels::Selector::parse(selector);
    std::erase_if(restores, [&](const velero::Restore& r) {
      return !sel.matches(labels::LabelMap(r.metadata.labels.begin(), r.metadata.labels.end()));
    });
  }
  return restores;
}

struct ReadFlags {
  std::vector<std::string> names;
  std::string name, output, selector;
  bool details = false, all = false, confirm = false, show_labels = false, from_cluster = false;
};

int restore_get(const Common& c, const ReadFlags& f) {
  std::string output = f.output.empty() ? "table" : f.output;
  check_output(output, true);
  std::vector<velero::Restore> restores;
  if (f.from_cluster) {
    // velero restore get: the Restore CRs of the Velero namespace.
    kube::KubeClient client(kube::load_rest_config(c.connect()));
    for (auto& o : server::list_crs(client, c.velero_namespace, "restores", f.names, f.selector))
      restores.push_back(velero::Restore::from_json(o, "Restore " + std::string(json::metadata_string(o, "name"))));
  } else {
    auto store = open_store(c);
    restores = select_restores(*store.backups, f.names, f.selector);
  }
  if (output == "table") {
    print_restore_table(std::cout, restores, f.show_labels);
    return 0;
  }
  json::array items;
  for (const auto& r : restores) items.push_back(r.to_json());
  print_list(std::cout, std::move(items), "RestoreList", f.names.size() == 1, output);
  return 0;
}

int restore_describe(const Common& c, const ReadFlags& f) {
  if (!f.output.empty()) check_output(f.output, false);
  auto store = open_store(c);
  std::vector<std::string> names = f.names;
  if (names.empty()) {
    for (const auto& r : select_restores(*store.backups, {}, f.selector)) names.push_back(r.metadata.name);
  }
  bool first = true;
  for (const auto& n : names) {
    // The results are read whatever --details says: velero shows errors and warnings always.
    auto d = describe_restore(*store.backups, n, true);
    if (!f.output.empty()) {
      if (!f.details) d.has_resource_list = false;
      print_object(std::cout, d.to_json(), f.output);
      continue;
    }
    if (!first) std::cout << "\n\n";
    print_restore_description(std::cout, d, f.details);
    first = false;
  }
  return 0;
}

int restore_delete(const Common& c, const ReadFlags& f) {
  check_selection("restore", f.names, f.all, f.selector);  // velero's SelectOptions
  auto store = open_store(c);
  // Named restores are deleted where they are: the location, and the Restore CR when a cluster is
  // named (--kubeconfig, --kubecontext, $KUBECONFIG); --all and --selector pick from the location.
  std::vector<std::string> names = f.names;
  if (names.empty()) {
    for (const auto& r : select_restores(*store.backups, {}, f.selector)) names.push_back(r.metadata.name);
  }
  if (names.empty()) {
    std::cout << "No restores found\n";
    return 0;
  }
  if (!confirmed("restore delete", f.confirm)) return 0;
  std::unique_ptr<Cluster> cluster;
  if (c.cluster_named()) cluster = open_cluster(c);
  for (const auto& n : names) {
    auto d = delete_restore(*store.backups, n, cluster.get(), c.velero_namespace);
    std::cout << "Restore \"" << n << "\" deleted (" << d.objects.size() << " objects"
              << (d.cr_deleted ? ", and its Restore CR in namespace " + c.velero_namespace : std::string()) << ").\n";
    if (!d.note.empty()) std::cerr << "Note: " << d.note << "\n";
  }
  return 0;
}

void add_create(CLI::App& restore, const Common& common, int& rc) {
  auto f = std::make_shared<CreateFlags>();
  auto* create = restore.add_subcommand("create", "Create a restore from a backup, or plan one (--dry-run, --diff)");
  create->fallthrough();
  create->add_option("name", f->name, "Restore name (default: <backup or schedule>-<YYYYMMDDhhmmss>)");
  create->add_option("--from-backup", f->from_backup, "Backup to restore from");
  create->add_option("--from-schedule", f->from_schedule, "Schedule to restore from: its newest Completed backup");
  create->add_option("--from-file", f->from_file, "A Restore (YAML or JSON, as -o yaml prints it) to run; flags given too override its fields. A key Velero does not know is an error");
  f->filters.add_to(*create);
  create->add_option("--namespace-mappings", f->namespace_mappings, "Namespace mappings from name in the backup to desired restored name in the form src1:dst1,src2:dst2,...")->delimiter(',');
  add_optional_bool(*create, "--restore-volumes", f->restore_volumes, "Whether to restore volumes from snapshots (CSI: a PVC provisioned from its VolumeSnapshot; "
                    "false: an empty PVC)");
  add_optional_bool(*create, "--preserve-nodeports", f->preserve_nodeports, "Whether to preserve nodeports of Services when restoring");
  create->add_option("--existing-resource-policy", f->existing_resource_policy, "What to do with objects that exist: none (default) or update");
  create->add_option("--status-include-resources", f->status_include_resources, "Resources whose status is restored, formatted as resource.group")->delimiter(',');
  create->add_option("--status-exclude-resources", f->status_exclude_resources, "Resources whose status is not restored")->delimiter(',');
  create->add_option("--resource-modifier-configmap", f->resource_modifier_configmap, "ConfigMap in the Velero namespace of the cluster holding resource modifier rules");
  create->add_option("--resource-policies-configmap", f->resource_policies_configmap, "ConfigMap in the Velero namespace of the cluster holding restore resource filter policies");
  create->add_option("--resource-modifier-file", f->resource_modifier_file, "Resource modifier rules (Velero's format, or a ConfigMap holding them) from a file");
  create->add_option("--resource-policy-file", f->resource_policy_file, "Restore resource filter policies (Velero's format, or a ConfigMap holding them) from a file");
  create->add_option("--item-operation-timeout", f->item_operation_timeout, "How long to wait for async plugin operations before timeout (default 4h)");
  create->add_option("--labels", f->labels, "Labels to apply to the restore (key=value)")->delimiter(',');
  create->add_option("--annotations", f->annotations, "Annotations to apply to the restore (key=value)")->delimiter(',');
  create->add_flag("-w,--wait", f->wait, "Wait for the operation to complete (without --submit vbackup always waits)");
  create->add_flag("--submit", f->submit,
                   "Create the Restore CR for a running `vbackup server` (or Velero) to carry out, as velero does");
  create->add_option("-o,--output", f->output, "Print the Restore (json|yaml) instead of running it; with --dry-run or --diff, the plan as table, json or yaml");
  create->add_flag("--dry-run", f->dry_run, "Plan the restore and write nothing: each object with its action and reason, in restore order. Uses the cluster only when --kubeconfig, --kubecontext or $KUBECONFIG names one; otherwise plans against an empty cluster");
  create->add_flag("--diff", f->diff, "Compare with the cluster without writing: create, unchanged, update (with a unified diff) or skip for each object");
  create->add_option("--output-dir", f->output_dir, "With --dry-run: write every object as restored, one YAML file each in restore order (for kubectl apply -f DIR); the folder must be empty or absent");
  create->add_option("--parallel", f->parallel, "Objects of one priority group created at once (1 = one after the other, as Velero)")->capture_default_str();
  create->add_option("--spool-dir", f->spool_dir, "Where the backup is spooled while it is restored (default: the system's temporary directory)");
  create->add_flag("-q,--quiet", f->quiet, "No progress output");
  add_record_flag(*create, f->record_in_cluster, "Restore");
  create->add_option("--restore-resource-priorities", f->restore_resource_priorities, "Velero server flag: the restore order, high priorities, then '-', then low priorities (a,b,-,c)");
  create->add_option("--max-backup-extraction-size", f->max_backup_extraction_size, "Velero server flag: maximum size of a backup extraction in megabytes (default 16 GB)");
  create->add_option("--client-qps", f->client_qps, "Velero server flag: requests per second to the Kubernetes API once the burst is spent");
  create->add_option("--client-burst", f->client_burst, "Velero server flag: requests to the Kubernetes API in a short period");
  create->add_option("--resource-timeout", f->resource_timeout, "Velero server flag: how long a restored CRD may take to be ready (default 10m)");
  create->footer(
      "Interrupting: SIGINT (Ctrl-C) or SIGTERM cancels the restore between items (or while the backup downloads); "
      "what it restored stays in the cluster, and its log, results and record (Failed) are written. A second "
      "signal quits at once.\n"
      "Exit status: 0 Completed, 2 PartiallyFailed, 1 failed, 130 interrupted by SIGINT, 143 by SIGTERM.");
  add_identity_flag(*create, f->open);
  add_verify_flags(*create, f->open, true);
  create->callback([&common, &rc, f] { rc = restore_create(common, *f); });
}

}  // namespace

void add_restore_commands(CLI::App& app, const Common& common, int& rc) {
  auto* restore = app.add_subcommand("restore", "Work with restores");
  restore->require_subcommand(1);
  restore->fallthrough();
  add_create(*restore, common, rc);

  auto f = std::make_shared<ReadFlags>();
  auto* get = restore->add_subcommand("get", "Get restores recorded in the storage location");
  get->fallthrough();
  get->add_option("names", f->names, "Restore names (default: all)");
  get->add_option("-o,--output", f->output, "table (default), json or yaml");
  get->add_option("-l,--selector", f->selector, "Only show restores whose labels match this selector");
  get->add_flag("--show-labels", f->show_labels, "Show labels in the last column");
  get->add_flag("--from-cluster", f->from_cluster,
                "Read the Restore CRs of the Velero namespace (velero's view; --kubeconfig) instead of the location");
  get->callback([&common, &rc, f] { rc = restore_get(common, *f); });

  auto* describe = restore->add_subcommand("describe", "Describe restores");
  describe->fallthrough();
  describe->add_option("names", f->names, "Restore names (default: all)");
  describe->add_flag("--details", f->details, "Show the restored resource list");
  describe->add_option("-l,--selector", f->selector, "Only describe restores whose labels match this selector");
  describe->add_option("-o,--output", f->output, "json or yaml instead of text (the Restore, its results and, with --details, its resource list)");
  describe->callback([&common, &rc, f] { rc = restore_describe(common, *f); });

  auto* logs = restore->add_subcommand("logs", "Show a restore's log");
  logs->fallthrough();
  logs->add_option("name", f->name, "Restore name")->required();
  logs->callback([&common, &rc, f] {
    auto store = open_store(common);
    std::cout << restore_logs(*store.backups, f->name);
    rc = 0;
  });

  auto* del = restore->add_subcommand("delete", "Delete restores (their files under restores/ in the storage location, and "
                                      "their Restore CRs when a cluster is named: --kubeconfig, --kubecontext, $KUBECONFIG)");
  del->fallthrough();
  del->add_option("names", f->names, "Restore names");
  del->add_flag("--all", f->all, "Delete all restores");
  del->add_option("-l,--selector", f->selector, "Delete all restores matching this label selector");
  del->add_flag("--confirm", f->confirm, "Confirm deletion (without it, a terminal is asked; anything else refused)");
  del->callback([&common, &rc, f] { rc = restore_delete(common, *f); });
}

}  // namespace vbackup::cli
