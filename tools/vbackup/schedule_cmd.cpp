// vbackup schedule create|get|describe|pause|unpause|delete: velero's commands (pkg/cmd/cli/schedule)
// over the Schedule CRs of the cluster, with Velero's flags, table and describe text. The rules of
// running a schedule are the library's (schedule.hpp); `vbackup server` carries them out.
#include "commands.hpp"
#include "output.hpp"

#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/labels.hpp"
#include "vbackup/sealing.hpp"
#include "vbackup/schedule.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <sstream>

namespace vbackup::cli {
namespace {

ApiResource schedules() {
  ApiResource r;
  r.group = "velero.io";
  r.version = "v1";
  r.name = "schedules";
  r.singular = "schedule";
  r.kind = "Schedule";
  return r;
}

// velero schedule create: the backup create flags that make the template, and the schedule's own.
struct CreateFlags {
  std::string name, schedule;
  std::vector<std::string> include_namespaces, exclude_namespaces, include_resources, exclude_resources;
  std::vector<std::string> include_cluster_scoped, exclude_cluster_scoped, include_namespace_scoped,
      exclude_namespace_scoped;
  std::string include_cluster_resources, snapshot_volumes, default_volumes_to_fs_backup, snapshot_move_data,
      skip_immediately;
  std::string selector, or_selector, ttl, csi_snapshot_timeout, item_operation_timeout;
  std::string resource_policies_configmap, data_mover, output;
  std::vector<std::string> labels, ordered_resources, volume_snapshot_locations;
  bool use_owner_references = false, paused = false;
  std::vector<std::string> encrypt_to;  // issue 16: the annotation vbackup.io/encrypt-to
};

// An object storage location's name for spec.storageLocation; the global --storage-location also
// takes URLs and files, which a Schedule cannot name.
std::string bsl_name(const std::string& v) {
  if (v.empty() || v.find("://") != std::string::npos || v.find('/') != std::string::npos || v.ends_with(".yaml") ||
      v.ends_with(".json") || v.ends_with(".yml"))
    return {};
  return v;
}

velero::Schedule build(const Common& c, const CreateFlags& f) {
  if (f.name.empty()) throw invalid_input("schedule create: NAME is required");
  if (f.schedule.empty()) throw invalid_input("--schedule is required");
  // Velero creates the Schedule and its server marks it FailedValidation; refusing it here says the
  // same thing at once.
  if (auto errs = schedule::validate_cron(f.schedule); !errs.empty())
    throw invalid_input("--schedule \"" + f.schedule + "\": " + errs.front());
  velero::Schedule s;
  s.metadata.namespace_ = c.velero_namespace;
  s.metadata.name = f.name;
  s.metadata.labels = parse_map("--labels", f.labels);
  if (!f.encrypt_to.empty()) {
    // issue 16: an annotation, not a spec field (Velero's CRDs prune unknown spec fields); its Backups
    // take the Schedule's annotations and are encrypted to these recipients.
    std::string list;
    for (const auto& r : f.encrypt_to) {
      crypto::AgeRecipient::parse(r, "--encrypt-to");  // a bad recipient fails now, named
      list += (list.empty() ? "" : ",") + r;
    }
    s.metadata.annotations[std::string(sealing::encrypt_to_annotation)] = list;
  }
  auto& t = s.spec.template_;
  t.included_namespaces = f.include_namespaces.empty() ? std::vector<std::string>{"*"} : f.include_namespaces;
  t.excluded_namespaces = f.exclude_namespaces;
  t.included_resources = f.include_resources;
  t.excluded_resources = f.exclude_resources;
  t.included_cluster_scoped_resources = f.include_cluster_scoped;
  t.excluded_cluster_scoped_resources = f.exclude_cluster_scoped;
  t.included_namespace_scoped_resources = f.include_namespace_scoped;
  t.excluded_namespace_scoped_resources = f.exclude_namespace_scoped;
  t.include_cluster_resources = parse_optional_bool("--include-cluster-resources", f.include_cluster_resources);
  t.snapshot_volumes = parse_optional_bool("--snapshot-volumes", f.snapshot_volumes);
  t.default_volumes_to_fs_backup = parse_optional_bool("--default-volumes-to-fs-backup", f.default_volumes_to_fs_backup);
  t.snapshot_move_data = parse_optional_bool("--snapshot-move-data", f.snapshot_move_data);
  if (!f.selector.empty()) t.label_selector = json::value(labels::parse_to_label_selector(f.selector));
  if (!f.or_selector.empty())
    for (auto& ls : labels::parse_or_selectors(f.or_selector)) t.or_label_selectors.push_back(std::move(ls));
  if (!f.ttl.empty()) t.ttl = parse_duration_flag("--ttl", f.ttl);
  if (!f.csi_snapshot_timeout.empty()) t.csi_snapshot_timeout = parse_duration_flag("--csi-snapshot-timeout", f.csi_snapshot_timeout);
  if (!f.item_operation_timeout.empty())
    t.item_operation_timeout = parse_duration_flag("--item-operation-timeout", f.item_operation_timeout);
  t.storage_location = bsl_name(c.storage_location);
  t.volume_snapshot_locations = f.volume_snapshot_locations;
  for (auto& [k, v] : parse_map("--ordered-resources", f.ordered_resources)) t.ordered_resources[k] = v;
  t.datamover = f.data_mover;
  if (!f.resource_policies_configmap.empty()) {
    velero::TypedLocalObjectReference ref;
    ref.kind = "configmap";
    ref.name = f.resource_policies_configmap;
    t.resource_policy = ref;
  }
  s.spec.schedule = f.schedule;
  s.spec.use_owner_references_in_backup = f.use_owner_references;  // velero always writes it
  s.spec.paused = f.paused;
  s.spec.skip_immediately = parse_optional_bool("--skip-immediately", f.skip_immediately);
  return s;
}

kube::KubeClient& client_of(std::unique_ptr<Cluster>& cluster) {
  if (!cluster->live()) throw invalid_input("schedule: a cluster is needed (--kubeconfig, --kubecontext, $KUBECONFIG)");
  return *cluster->client();
}

int schedule_create(const Common& c, const CreateFlags& f) {
  auto s = build(c, f);
  if (!f.output.empty()) {  // velero: display the object, do not send it
    check_output(f.output, false);
    print_object(std::cout, s.to_json(), f.output);
    return 0;
  }
  auto cluster = open_cluster(c);
  try {
    client_of(cluster).create(schedules(), s.to_json(), c.velero_namespace);
  } catch (const kube::KubeError& e) {
    if (e.reason() != kube::Reason::not_found) throw;
    throw not_found("schedule create: " + e.status_message() + " (the Schedule needs Velero's CRDs and the namespace \"" +
                    c.velero_namespace + "\" in the cluster)");
  }
  std::cout << "Schedule \"" << s.metadata.name << "\" created successfully.\n";
  return 0;
}

// The schedules named (in the Velero namespace), or those matching the selector in `list_ns`
// ("" = every namespace, as velero's get and pause list).
std::vector<velero::Schedule> select(kube::KubeClient& client, const Common& c, const std::vector<std::string>& names,
                                     const std::string& selector, const std::string& list_ns) {
  std::vector<velero::Schedule> out;
  if (!names.empty()) {
    for (const auto& n : names)
      out.push_back(velero::Schedule::from_json(client.get(schedules(), c.velero_namespace, n), "schedule " + n));
    return out;
  }
  if (!selector.empty()) (void)labels::Selector::parse(selector);  // a bad selector names itself
  ListOptions o;
  o.namespace_ = list_ns;
  o.label_selector = selector;
  client.list(schedules(), o, [&](json::object&& item) {
    out.push_back(velero::Schedule::from_json(item, "schedule " + std::string(json::metadata_string(item, "name"))));
  });
  return out;
}

// apimachinery duration.ShortHumanDuration, as velero's humanReadableTimeFromNow uses it.
std::string short_duration(std::chrono::seconds d) {
  auto s = d.count();
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 60) return std::to_string(s) + "s";
  if (s / 60 < 60) return std::to_string(s / 60) + "m";
  auto h = s / 3600;
  if (h < 24) return std::to_string(h) + "h";
  if (h < 24 * 365) return std::to_string(h / 24) + "d";
  return std::to_string(h / 24 / 365) + "y";
}

std::string time_from_now(const std::optional<Timestamp>& when, Timestamp now) {
  if (!when) return "n/a";
  return *when >= now ? short_duration(*when - now) : short_duration(now - *when) + " ago";
}

void print_schedule_table(std::ostream& out, const std::vector<velero::Schedule>& list, Timestamp now, bool show_labels) {
  std::vector<std::vector<std::string>> rows{
      {"NAME", "STATUS", "CREATED", "SCHEDULE", "BACKUP TTL", "LAST BACKUP", "SELECTOR", "PAUSED"}};
  if (show_labels) rows[0].push_back("LABELS");
  for (const auto& s : list) {
    const auto& t = s.spec.template_;
    rows.push_back({s.metadata.name, s.status.phase.empty() ? "New" : s.status.phase,
                    s.metadata.creation_timestamp ? format_time(*s.metadata.creation_timestamp) : "0001-01-01 00:00:00 +0000 UTC",
                    s.spec.schedule, format_duration(t.ttl), time_from_now(s.status.last_backup, now),
                    labels::format_label_selector(t.label_selector.value_or(json::value(nullptr))),
                    s.spec.paused ? "true" : "false"});
    if (show_labels) rows.back().push_back(labels_cell(s.metadata.labels));
  }
  print_table(out, rows);
}

std::string list_or_star(const std::vector<std::string>& v, const char* empty = "<none>") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? empty : s;
}

std::string optional_bool(const std::optional<bool>& b) { return b ? (*b ? "true" : "false") : "auto"; }

// velero's DescribeSchedule (metadata, phase, validation errors, paused, schedule, the template,
// last backup), through tabwriter as velero's Describer.
void print_schedule_description(std::ostream& out, const velero::Schedule& s) {
  std::ostringstream d;
  d << "Name:\t" << s.metadata.name << "\nNamespace:\t" << s.metadata.namespace_ << "\n";
  d << "Labels:\t" << labels_cell(s.metadata.labels) << "\nAnnotations:\t" << labels_cell(s.metadata.annotations) << "\n";
  d << "\nPhase:\t" << (s.status.phase.empty() ? "New" : s.status.phase) << "\n";
  if (!s.status.validation_errors.empty()) {
    d << "\nValidation errors:";
    for (const auto& e : s.status.validation_errors) d << "\t" << e << "\n";
  }
  d << "\nPaused:\t" << (s.spec.paused ? "true" : "false") << "\n";
  d << "\nSchedule:\t" << s.spec.schedule << "\n\nBackup Template:\n";
  const auto& t = s.spec.template_;
  d << "\tNamespaces:\n\t  Included:\t" << list_or_star(t.included_namespaces, "*") << "\n\t  Excluded:\t"
    << list_or_star(t.excluded_namespaces) << "\n";
  d << "\n\tResources:\n\t  Included:\t" << list_or_star(t.included_resources, "*") << "\n\t  Excluded:\t"
    << list_or_star(t.excluded_resources) << "\n\t  Cluster-scoped:\t" << optional_bool(t.include_cluster_resources) << "\n";
  d << "\n\tLabel selector:\t" << labels::format_label_selector(t.label_selector.value_or(json::value(nullptr))) << "\n";
  d << "\n\tStorage Location:\t" << t.storage_location << "\n";
  d << "\n\tVelero-Native Snapshot PVs:\t" << optional_bool(t.snapshot_volumes) << "\n";
  d << "\n\tTTL:\t" << format_duration(t.ttl) << "\n";
  const json::value* hooks = t.hooks.if_contains("resources");
  d << "\n\tHooks:\t" << (hooks && hooks->is_array() && !hooks->get_array().empty() ? "<set>" : "<none>") << "\n";
  d << "\nLast Backup:\t"
    << (s.status.last_backup ? format_time(*s.status.last_backup) : std::string("<never>")) << "\n";
  if (s.status.last_skipped) d << "Last Skipped:\t" << format_time(*s.status.last_skipped) << "\n";
  out << tabwrite(d.str());
}

struct SelectFlags {
  std::vector<std::string> names;
  std::string output = "table", describe_output, selector, skip_immediately;
  bool all = false, confirm = false, show_labels = false;
};

int schedule_pause(const Common& c, const SelectFlags& f, bool paused) {
  check_selection("schedule", f.names, f.all, f.selector);
  auto cluster = open_cluster(c);
  auto& client = client_of(cluster);
  auto skip = parse_optional_bool("--skip-immediately", f.skip_immediately);
  auto list = select(client, c, f.names, f.selector, "");
  if (list.empty()) {
    std::cout << "No schedules found\n";
    return 0;
  }
  const char* msg = paused ? "paused" : "unpaused";
  for (const auto& s : list) {
    if (s.spec.paused == paused) {
      std::cout << "Schedule " << s.metadata.name << " is already " << msg << ", skip\n";
      continue;
    }
    // velero sets spec.paused and replaces spec.skipImmediately with the flag's value (nil if unset).
    json::object spec{{"paused", paused}};
    spec["skipImmediately"] = skip ? json::value(*skip) : json::value(nullptr);
    client.patch(schedules(), s.metadata.namespace_, s.metadata.name, kube::PatchType::merge,
                 json::marshal(json::object{{"spec", spec}}));
    std::cout << "Schedule " << s.metadata.name << " " << msg << " successfully\n";
  }
  return 0;
}

int schedule_delete(const Common& c, const SelectFlags& f) {
  check_selection("schedule", f.names, f.all, f.selector);
  if (!confirmed("delete schedules", f.confirm)) return 0;
  auto cluster = open_cluster(c);
  auto& client = client_of(cluster);
  auto list = select(client, c, f.names, f.selector, c.velero_namespace);
  if (list.empty()) {
    std::cout << "No schedules found\n";
    return 0;
  }
  for (const auto& s : list) {
    client.remove(schedules(), s.metadata.namespace_, s.metadata.name);
    std::cout << "Schedule deleted: " << s.metadata.name << "\n";
  }
  return 0;
}

}  // namespace

void add_schedule_commands(CLI::App& app, const Common& common, int& rc) {
  auto* sched = app.add_subcommand("schedule", "Work with schedules");
  sched->require_subcommand(1);
  sched->fallthrough();

  auto cf = std::make_shared<CreateFlags>();
  auto* create = sched->add_subcommand("create", "Create a schedule");
  create->fallthrough();
  create->add_option("name", cf->name, "Schedule name")->required();
  create->add_option("--schedule", cf->schedule,
                     "A cron expression specifying a recurring schedule for this backup to run (five fields, in UTC "
                     "unless CRON_TZ=<zone> precedes them; @daily, @every 6h, …)");
  create->add_option("--include-namespaces", cf->include_namespaces, "Namespaces to include (default *)")->delimiter(',');
  create->add_option("--exclude-namespaces", cf->exclude_namespaces, "Namespaces to exclude")->delimiter(',');
  create->add_option("--include-resources", cf->include_resources, "Resources to include")->delimiter(',');
  create->add_option("--exclude-resources", cf->exclude_resources, "Resources to exclude")->delimiter(',');
  create->add_option("--include-cluster-scoped-resources", cf->include_cluster_scoped, "Cluster-scoped resources to include")->delimiter(',');
  create->add_option("--exclude-cluster-scoped-resources", cf->exclude_cluster_scoped, "Cluster-scoped resources to exclude")->delimiter(',');
  create->add_option("--include-namespace-scoped-resources", cf->include_namespace_scoped, "Namespace-scoped resources to include")->delimiter(',');
  create->add_option("--exclude-namespace-scoped-resources", cf->exclude_namespace_scoped, "Namespace-scoped resources to exclude")->delimiter(',');
  add_optional_bool(*create, "--include-cluster-resources", cf->include_cluster_resources, "Include cluster-scoped resources");
  create->add_option("-l,--selector", cf->selector, "Only back up resources matching this label selector");
  create->add_option("--or-selector", cf->or_selector, "Back up resources matching at least one selector, separated by ' or '");
  create->add_option("--ttl", cf->ttl, "How long before a backup can be garbage collected (0s: the server's default, 720h)");
  create->add_option("--labels", cf->labels, "Labels to apply to the schedule (key=value)")->delimiter(',');
  create->add_option("--encrypt-to", cf->encrypt_to,
                     "Encrypt this schedule's backups to this age recipient (repeatable; the annotation vbackup.io/encrypt-to)");
  create->add_option("--ordered-resources", cf->ordered_resources, "Backup order of items: resource=ns/name,…");
  create->add_option("--volume-snapshot-locations", cf->volume_snapshot_locations, "Volume snapshot locations")->delimiter(',');
  add_optional_bool(*create, "--snapshot-volumes", cf->snapshot_volumes, "Take snapshots of PersistentVolumes");
  add_optional_bool(*create, "--default-volumes-to-fs-backup", cf->default_volumes_to_fs_backup, "Use pod volume file system backup by default");
  add_optional_bool(*create, "--snapshot-move-data", cf->snapshot_move_data, "Move snapshot data to the backup storage");
  create->add_option("--csi-snapshot-timeout", cf->csi_snapshot_timeout, "How long to wait for CSI snapshots");
  create->add_option("--item-operation-timeout", cf->item_operation_timeout, "How long to wait for async plugin operations");
  create->add_option("--resource-policies-configmap", cf->resource_policies_configmap, "A ConfigMap of resource policies");
  create->add_option("--data-mover", cf->data_mover, "The data mover to use");
  create->add_flag("--use-owner-references-in-backup", cf->use_owner_references,
                   "Put an owner reference to the schedule on its backups (deleting the schedule deletes them too)");
  create->add_flag("--paused", cf->paused, "Create the schedule paused");
  add_optional_bool(*create, "--skip-immediately", cf->skip_immediately,
                    "Skip the first run when due at once (default: the server's --schedule-skip-immediately)");
  create->add_option("-o,--output", cf->output, "Print the Schedule (json|yaml) instead of creating it; needs no cluster");
  create->footer("The schedule's backups go to the BackupStorageLocation named by --storage-location (a name), else "
                 "the server's default.");
  create->callback([&common, &rc, cf] { rc = schedule_create(common, *cf); });

  auto sf = std::make_shared<SelectFlags>();
  auto* get = sched->add_subcommand("get", "Get schedules");
  get->fallthrough();
  get->add_option("names", sf->names, "Schedule names (default: all, in every namespace, as velero lists them)");
  get->add_option("-o,--output", sf->output, "table, json or yaml")->capture_default_str();
  get->add_option("-l,--selector", sf->selector, "Only show schedules matching this label selector");
  get->add_flag("--show-labels", sf->show_labels, "Show labels in the last column");
  get->callback([&common, &rc, sf] {
    check_output(sf->output, true);
    auto cluster = open_cluster(common);
    auto list = select(client_of(cluster), common, sf->names, sf->selector, "");
    if (sf->output == "table") {
      print_schedule_table(std::cout, list, now(), sf->show_labels);
    } else {
      json::array items;
      for (const auto& s : list) items.push_back(s.to_json());
      print_list(std::cout, std::move(items), "ScheduleList", sf->names.size() == 1, sf->output);
    }
    rc = 0;
  });

  auto* describe = sched->add_subcommand("describe", "Describe schedules");
  describe->fallthrough();
  describe->add_option("names", sf->names, "Schedule names (default: all in the Velero namespace)");
  describe->add_option("-l,--selector", sf->selector, "Only describe schedules matching this label selector");
  describe->add_option("-o,--output", sf->describe_output, "json or yaml instead of text");
  describe->callback([&common, &rc, sf] {
    if (!sf->describe_output.empty()) check_output(sf->describe_output, false);
    auto cluster = open_cluster(common);
    auto list = select(client_of(cluster), common, sf->names, sf->selector, common.velero_namespace);
    bool first = true;
    for (const auto& s : list) {
      if (!sf->describe_output.empty()) {
        print_object(std::cout, s.to_json(), sf->describe_output);
        continue;
      }
      if (!first) std::cout << "\n\n";
      print_schedule_description(std::cout, s);
      first = false;
    }
    rc = 0;
  });

  for (bool paused : {true, false}) {
    auto* cmd = sched->add_subcommand(paused ? "pause" : "unpause", paused ? "Pause schedules" : "Unpause schedules");
    cmd->fallthrough();
    cmd->add_option("names", sf->names, "Schedule names");
    cmd->add_flag("--all", sf->all, paused ? "Pause all schedules" : "Unpause all schedules");
    cmd->add_option("-l,--selector", sf->selector, "Schedules matching this label selector");
    add_optional_bool(*cmd, "--skip-immediately", sf->skip_immediately,
                      "Written to spec.skipImmediately (unset: cleared, the server's default applies)");
    cmd->callback([&common, &rc, sf, paused] { rc = schedule_pause(common, *sf, paused); });
  }

  auto* del = sched->add_subcommand("delete", "Delete schedules (their backups stay, unless they carry owner references)");
  del->fallthrough();
  del->add_option("names", sf->names, "Schedule names");
  del->add_flag("--all", sf->all, "Delete all schedules");
  del->add_option("-l,--selector", sf->selector, "Delete all schedules matching this label selector");
  del->add_flag("--confirm", sf->confirm, "Confirm deletion (without it, a terminal is asked; anything else refused)");
  del->callback([&common, &rc, sf] { rc = schedule_delete(common, *sf); });
}

}  // namespace vbackup::cli
