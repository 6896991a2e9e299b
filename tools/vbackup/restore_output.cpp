// Printing restores (velero's restore_printer.go and restore_describer.go), restore plans and the
// inspect listings.
#include "output.hpp"

#include "vbackup/labels.hpp"

#include <map>
#include <sstream>

namespace vbackup::cli {
namespace {

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

std::string or_none(const std::string& s) { return s.empty() ? "<none>" : s; }

// BoolPointerString.
std::string bool_pointer(const std::optional<bool>& b, const char* f, const char* t, const char* unset) {
  return !b ? unset : *b ? t : f;
}

// metav1.Time's String() of a timestamp that may be absent (Go's zero time then).
std::string go_time(const std::optional<Timestamp>& t) { return t ? format_time(*t) : "0001-01-01 00:00:00 +0000 UTC"; }

// Describer.DescribeMap: keys sorted, one per line.
void describe_map(std::ostream& d, const char* name, const velero::StringMap& m) {
  d << name << ":\t";
  if (m.empty()) {
    d << "<none>\n";
    return;
  }
  const char* prefix = "";
  for (const auto& [k, v] : m) {
    d << prefix << k << "=" << v << "\n";
    prefix = "\t";
  }
}

// Describer.DescribeSlice.
void describe_slice(std::ostream& d, int preindent, const std::string& name, const std::vector<std::string>& s) {
  std::string pretab(static_cast<std::size_t>(preindent), '\t');
  d << pretab << name << ":\t";
  if (s.empty()) {
    d << pretab << "<none>\n";
    return;
  }
  std::string prefix;
  for (const auto& x : s) {
    d << prefix << x << "\n";
    prefix = pretab + "\t";
  }
}

// describeResult; namespaces in name order (Go ranges over a map: any order).
void describe_result(std::ostream& d, const char* name, const velero::Result& r) {
  d << name << ":\n";
  describe_slice(d, 1, "Velero", r.velero);
  describe_slice(d, 1, "Cluster", r.cluster);
  if (r.namespaces.empty()) {
    d << "\tNamespaces: <none>\n";
    return;
  }
  d << "\tNamespaces:\n";
  for (const auto& [ns, messages] : r.namespaces) describe_slice(d, 2, ns, messages);
}

std::string kind_of(const std::string& api_version_kind) {
  auto slash = api_version_kind.rfind('/');
  return slash == std::string::npos ? api_version_kind : api_version_kind.substr(slash + 1);
}

}  // namespace

void print_restore_table(std::ostream& out, const std::vector<velero::Restore>& restores) {
  std::vector<std::vector<std::string>> rows{
      {"NAME", "BACKUP", "STATUS", "STARTED", "COMPLETED", "ERRORS", "WARNINGS", "CREATED", "SELECTOR"}};
  for (const auto& r : restores) {
    const auto& st = r.status;
    auto stamp = [](const std::optional<Timestamp>& t) { return t ? format_time(*t) : std::string("n/a"); };  // formatTimestamp
    rows.push_back({r.metadata.name, r.spec.backup_name, st.phase.empty() ? "New" : st.phase, stamp(st.start_timestamp),
                    stamp(st.completion_timestamp), std::to_string(st.errors), std::to_string(st.warnings),
                    go_time(r.metadata.creation_timestamp),
                    labels::format_label_selector(r.spec.label_selector.value_or(json::value(nullptr)))});
  }
  print_table(out, rows);
}

void print_restore_description(std::ostream& out, const RestoreDetails& details, bool with_details) {
  namespace phase = velero::restore_phase;
  const auto& r = details.restore;
  const auto& s = r.spec;
  const auto& st = r.status;
  std::ostringstream d;
  d << "Name:\t" << r.metadata.name << "\n";
  d << "Namespace:\t" << r.metadata.namespace_ << "\n";
  describe_map(d, "Labels", r.metadata.labels);
  describe_map(d, "Annotations", r.metadata.annotations);

  const std::string ph = st.phase.empty() ? std::string(phase::New) : st.phase;
  d << "\nPhase:\t" << ph;
  if (ph == phase::Failed || ph == phase::PartiallyFailed) {
    d << " (run 'vbackup restore logs " << r.metadata.name << "' for more information)";
  }
  d << "\n";
  if (st.progress) {
    if (ph == phase::InProgress) {
      d << "Estimated total items to be restored:\t" << st.progress->total_items << "\n";
      d << "Items restored so far:\t" << st.progress->items_restored << "\n";
    } else {
      d << "Total items to be restored:\t" << st.progress->total_items << "\n";
      d << "Items restored:\t" << st.progress->items_restored << "\n";
    }
  }
  d << "\nStarted:\t" << (st.start_timestamp ? format_time(*st.start_timestamp) : "<n/a>") << "\n";
  d << "Completed:\t" << (st.completion_timestamp ? format_time(*st.completion_timestamp) : "<n/a>") << "\n";
  if (!st.validation_errors.empty()) {
    d << "\nValidation errors:";  // no newline: velero's, the first error follows on the line
    for (const auto& e : st.validation_errors) d << "\t" << e << "\n";
  }
  if (!st.failure_reason.empty()) d << "\nFailure reason:\t" << st.failure_reason << "\n";  // ours: velero shows it nowhere
  if (st.warnings > 0 || st.errors > 0) {
    if (!details.has_results) {
      d << "Warnings:\t<restore results not found>\n\nErrors:\t<restore results not found>\n";
    } else {
      if (st.warnings > 0) describe_result(d << "\n", "Warnings", details.results.warnings);
      if (st.errors > 0) describe_result(d << "\n", "Errors", details.results.errors);
    }
  }

  d << "\nBackup:\t" << s.backup_name << "\n";
  const bool all_ns = s.included_namespaces.empty() ||
                      (s.included_namespaces.size() == 1 && s.included_namespaces.front() == "*");
  d << "\nNamespaces:\n\tIncluded:\t" << (all_ns ? "all namespaces found in the backup" : join(s.included_namespaces, ", "))
    << "\n\tExcluded:\t" << or_none(join(s.excluded_namespaces, ", ")) << "\n";
  d << "\nResources:\n\tIncluded:\t" << (s.included_resources.empty() ? "*" : join(s.included_resources, ", "))
    << "\n\tExcluded:\t" << or_none(join(s.excluded_resources, ", "))
    << "\n\tCluster-scoped:\t" << bool_pointer(s.include_cluster_resources, "excluded", "included", "auto") << "\n";
  d << "\n";
  describe_map(d, "Namespace mappings", s.namespace_mapping);
  d << "\nLabel selector:\t" << labels::format_label_selector(s.label_selector.value_or(json::value(nullptr))) << "\n";
  std::vector<std::string> ors;
  for (const auto& ls : s.or_label_selectors) ors.push_back(labels::format_label_selector(ls));
  d << "\nOr label selector:\t" << or_none(join(ors, " or ")) << "\n";
  d << "\nRestore PVs:\t" << bool_pointer(s.restore_pvs, "false", "true", "auto") << "\n";
  d << "\nExisting Resource Policy: \t" << or_none(s.existing_resource_policy) << "\n";
  d << "ItemOperationTimeout:\t" << format_duration(s.item_operation_timeout) << "\n";
  d << "\nPreserve Service NodePorts:\t" << bool_pointer(s.preserve_node_ports, "false", "true", "auto") << "\n";
  if (s.resource_modifier) {
    d << "\nResource modifier:\n\tType:\t" << s.resource_modifier->kind << "\n\tName:\t" << s.resource_modifier->name << "\n";
  }
  if (const auto* policy = s.extra.if_contains("resourcePolicy"); policy && policy->is_object()) {
    const auto& ref = policy->get_object();
    d << "\nResource policies:\n\tType:\t" << json::get_string(ref, "kind") << "\n\tName:\t" << json::get_string(ref, "name")
      << "\n";
  }
  if (s.uploader_config && s.uploader_config->is_object()) {
    const auto& u = s.uploader_config->get_object();
    d << "\nUploader config:\n";
    if (const auto* w = u.if_contains("writeSparseFiles"); w && w->is_bool() && w->get_bool()) d << "\tWrite Sparse Files:\ttrue\n";
    if (const auto* p = u.if_contains("parallelFilesDownload"); p && p->is_int64() && p->get_int64() > 0) {
      d << "\tParallel Restore:\t" << p->get_int64() << "\n";
    }
  }
  d << "\n";
  if (st.hook_status) {
    d << "\nHooksAttempted: \t" << st.hook_status->hooks_attempted << "\nHooksFailed: \t" << st.hook_status->hooks_failed
      << "\n";
  }
  if (with_details) {
    d << "\n";
    if (!details.has_resource_list) {
      d << "Resource List:\t<restore resource list not found>\n";
    } else {
      d << "Resource List:\n";
      for (const auto& [gvk, entries] : details.resource_list) d << "\t" << gvk << ":\n\t\t- " << join(entries, "\n\t\t- ") << "\n";
    }
  }
  out << tabwrite(d.str());
}

std::string restore_progress_line(const RestoreProgress& p, double seconds, std::size_t width) {
  return progress_bar_line(p.items_restored, p.total_items, "", seconds, width);
}

void print_plan_table(std::ostream& out, const std::vector<RestorePlanItem>& plan) {
  // Namespace "<none>" for cluster-scoped objects, as kubectl's custom columns print a missing field.
  std::vector<std::vector<std::string>> rows{{"KIND", "NAMESPACE", "NAME", "ACTION", "REASON"}};
  for (const auto& p : plan) rows.push_back({kind_of(p.api_version_kind), or_none(p.namespace_), p.name, p.action, p.reason});
  print_table(out, rows);
}

std::string plan_summary(const std::vector<RestorePlanItem>& plan) {
  std::map<std::string, std::size_t> n;
  for (const auto& p : plan) ++n[p.action];
  return std::to_string(n["create"] + n["created"]) + " to create, " + std::to_string(n["update"] + n["updated"]) +
         " to update, " + std::to_string(n["unchanged"]) + " unchanged, " + std::to_string(n["skip"] + n["skipped"]) +
         " skipped, " + std::to_string(n["fail"] + n["failed"]) + " failing";
}

void print_item_table(std::ostream& out, const std::vector<BackupItemEntry>& items) {
  std::vector<std::vector<std::string>> rows{{"GROUP-RESOURCE", "NAMESPACE", "NAME"}};
  for (const auto& i : items) rows.push_back({i.group_resource, or_none(i.namespace_), i.name});
  print_table(out, rows);
}

void print_changes(std::ostream& out, const std::vector<BackupItemChange>& changes) {
  std::vector<std::vector<std::string>> rows{{"CHANGE", "GROUP-RESOURCE", "NAMESPACE", "NAME"}};
  for (const auto& c : changes) rows.push_back({c.change, c.item.group_resource, or_none(c.item.namespace_), c.item.name});
  print_table(out, rows);
  for (const auto& c : changes) {
    if (c.diff.empty()) continue;
    out << "\n" << c.diff;
    if (c.diff.back() != '\n') out << "\n";
  }
}

}  // namespace vbackup::cli
