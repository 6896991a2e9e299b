#include "output.hpp"

#include "vbackup/labels.hpp"
#include "vbackup/manifests.hpp"
#include "vbackup/velero.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <sstream>

namespace vbackup::cli {
namespace {

std::string or_none(const std::string& s) { return s.empty() ? "<none>" : s; }

std::string join(const std::vector<std::string>& v, const char* empty) {
  if (v.empty()) return empty;
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string selector_text(const velero::BackupSpec& s) {
  if (s.label_selector && !s.label_selector->is_null()) return labels::format_label_selector(*s.label_selector);
  return "<none>";
}

void print_map(std::ostream& out, const char* title, const velero::StringMap& m, int width) {
  out << std::left << std::setw(width) << title;
  if (m.empty()) {
    out << "<none>\n";
    return;
  }
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out << std::string(static_cast<std::size_t>(width), ' ');
    out << k << "=" << v << "\n";
    first = false;
  }
}

void print_result(std::ostream& out, const char* title, const velero::Result& r) {
  out << title << ":";
  if (r.empty()) {
    out << "  <none>\n";
    return;
  }
  out << "\n";
  auto list = [&](const char* scope, const std::vector<std::string>& v) {
    if (v.empty()) return;
    out << "  " << scope << ":\n";
    for (const auto& m : v) out << "    " << m << "\n";
  };
  list("Velero", r.velero);
  list("Cluster", r.cluster);
  if (!r.namespaces.empty()) {
    out << "  Namespaces:\n";
    for (const auto& [ns, v] : r.namespaces) {
      out << "    " << ns << ":\n";
      for (const auto& m : v) out << "      " << m << "\n";
    }
  }
}

}  // namespace

std::string human_duration(std::chrono::seconds d) {
  long long seconds = d.count();
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return std::to_string(seconds) + "s";
  long long minutes = seconds / 60;
  if (minutes < 10) {
    long long s = seconds % 60;
    return s == 0 ? std::to_string(minutes) + "m" : std::to_string(minutes) + "m" + std::to_string(s) + "s";
  }
  if (minutes < 180) return std::to_string(minutes) + "m";
  long long hours = seconds / 3600;
  if (hours < 8) {
    long long m = minutes % 60;
    return m == 0 ? std::to_string(hours) + "h" : std::to_string(hours) + "h" + std::to_string(m) + "m";
  }
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) {
    long long h = hours % 24;
    return h == 0 ? std::to_string(hours / 24) + "d" : std::to_string(hours / 24) + "d" + std::to_string(h) + "h";
  }
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) {
    long long dy = (hours / 24) % 365;
    return dy == 0 ? std::to_string(hours / 24 / 365) + "y"
                   : std::to_string(hours / 24 / 365) + "y" + std::to_string(dy) + "d";
  }
  return std::to_string(hours / 24 / 365) + "y";
}

std::string format_time(Timestamp t) {
  std::string s = format_rfc3339(t);  // 2026-11-24T10:00:01Z
  return s.substr(0, 10) + " " + s.substr(11, 8) + " +0000 UTC";
}

std::string labels_cell(const velero::StringMap& labels) {
  // labels.FormatLabels: sorted by key, "<none>" when there are none.
  std::vector<std::string> pairs;
  for (const auto& [k, v] : labels) pairs.push_back(k + "=" + v);
  std::sort(pairs.begin(), pairs.end());
  std::string s;
  for (const auto& p : pairs) s += (s.empty() ? "" : ",") + p;
  return s.empty() ? "<none>" : s;
}

void print_backup_table(std::ostream& out, const std::vector<velero::Backup>& backups, Timestamp now, bool show_labels) {
  std::vector<std::vector<std::string>> rows{
      {"NAME", "STATUS", "ERRORS", "WARNINGS", "CREATED", "EXPIRES", "STORAGE LOCATION", "SELECTOR"}};
  if (show_labels) rows[0].push_back("LABELS");
  for (const auto& b : backups) {
    const auto& st = b.status;
    std::string created = b.metadata.creation_timestamp ? format_time(*b.metadata.creation_timestamp)
                          : st.start_timestamp           ? format_time(*st.start_timestamp)
                                                         : "<unknown>";
    std::string expires = "n/a";
    if (st.expiration) expires = *st.expiration > now ? human_duration(*st.expiration - now) : "<expired>";
    rows.push_back({b.metadata.name, st.phase.empty() ? "New" : st.phase, std::to_string(st.errors),
                    std::to_string(st.warnings), created, expires, b.spec.storage_location, selector_text(b.spec)});
    if (show_labels) rows.back().push_back(labels_cell(b.metadata.labels));
  }
  print_table(out, rows);
}

void print_backup_description(std::ostream& out, const BackupDetails& d, bool details) {
  const auto& b = d.backup;
  const auto& s = b.spec;
  const auto& st = b.status;
  out << "Name:         " << b.metadata.name << "\n";
  out << "Namespace:    " << b.metadata.namespace_ << "\n";
  print_map(out, "Labels:       ", b.metadata.labels, 14);
  print_map(out, "Annotations:  ", b.metadata.annotations, 14);
  out << "\nPhase:  " << (st.phase.empty() ? "New" : st.phase) << "\n";
  if (!st.validation_errors.empty()) {
    out << "\nValidation errors:";
    for (const auto& e : st.validation_errors) out << "  " << e << "\n";
  }
  if (!st.failure_reason.empty()) out << "\nFailure reason:  " << st.failure_reason << "\n";
  out << "\nErrors:    " << st.errors << "\nWarnings:  " << st.warnings << "\n";
  out << "\nNamespaces:\n  Included:  " << join(s.included_namespaces, "*")
      << "\n  Excluded:  " << join(s.excluded_namespaces, "<none>") << "\n";
  out << "\nResources:\n";
  bool old_model = !s.included_resources.empty() || !s.excluded_resources.empty() || s.include_cluster_resources;
  if (old_model) {
    out << "  Included:        " << join(s.included_resources, "*") << "\n";
    out << "  Excluded:        " << join(s.excluded_resources, "<none>") << "\n";
    out << "  Cluster-scoped:  "
        << (s.include_cluster_resources ? (*s.include_cluster_resources ? "included" : "excluded") : "auto") << "\n";
  } else {
    out << "  Included cluster-scoped:    " << join(s.included_cluster_scoped_resources, "<none>") << "\n";
    out << "  Excluded cluster-scoped:    " << join(s.excluded_cluster_scoped_resources, "<none>") << "\n";
    out << "  Included namespace-scoped:  " << join(s.included_namespace_scoped_resources, "*") << "\n";
    out << "  Excluded namespace-scoped:  " << join(s.excluded_namespace_scoped_resources, "<none>") << "\n";
  }
  out << "\nLabel selector:  " << selector_text(s) << "\n";
  std::vector<std::string> ors;
  for (const auto& ls : s.or_label_selectors) ors.push_back(labels::format_label_selector(ls));
  out << "\nOr label selector:  " << (ors.empty() ? "<none>" : join(ors, "<none>")) << "\n";
  out << "\nStorage Location:  " << s.storage_location << "\n";
  out << "\nTTL:  " << format_duration(s.ttl) << "\n";
  out << "\nBackup Format Version:  " << or_none(st.format_version) << "\n";
  // Ours: only a zstd backup says so (vbackup.io/compression), as a Velero server cannot restore it.
  if (recorded_compression(b) == archive::Compression::zstd) {
    out << "\nCompression:  zstd (a Velero server cannot restore this backup: it reads " << b.metadata.name
        << ".tar.gz as gzip)\n";
  }
  out << "\nStarted:    " << (st.start_timestamp ? format_time(*st.start_timestamp) : "<n/a>") << "\n";
  out << "Completed:  " << (st.completion_timestamp ? format_time(*st.completion_timestamp) : "<n/a>") << "\n";
  out << "\nExpiration:  " << (st.expiration ? format_time(*st.expiration) : "<n/a>") << "\n";
  if (st.progress) {
    out << "\nTotal items to be backed up:  " << st.progress->total_items << "\n";
    out << "Items backed up:              " << st.progress->items_backed_up << "\n";
  }
  print_item_operations(out, d, details);
  if (!details) {
    out << "\nResource List:  <backup resource list not shown; use --details>\n";
    print_backup_volumes(out, d, details);
    return;
  }
  out << "\nResource List:";
  if (!d.has_resource_list) {
    out << "  <backup resource list not found>\n";
  } else if (d.resource_list.empty()) {
    out << "  <none>\n";
  } else {
    out << "\n";
    for (const auto& [kind, items] : d.resource_list) {
      out << "  " << kind << ":\n";
      for (const auto& i : items) out << "    - " << i << "\n";
    }
  }
  print_backup_volumes(out, d, details);
  if (d.has_results) {
    out << "\n";
    print_result(out, "Errors", d.results.errors);
    out << "\n";
    print_result(out, "Warnings", d.results.warnings);
  }
}

void print_object(std::ostream& out, const json::value& value, const std::string& format) {
  if (format == "yaml") {
    out << manifests::to_yaml(value);
  } else {
    out << json::marshal(value, {.sort_keys = false, .indent = 2}) << "\n";
  }
}

void print_list(std::ostream& out, json::array items, std::string_view list_kind, bool single, const std::string& format) {
  if (single && items.size() == 1) {
    print_object(out, items.front(), format);
    return;
  }
  print_object(out,
               json::object{{"apiVersion", "velero.io/v1"}, {"kind", std::string(list_kind)}, {"items", std::move(items)}},
               format);
}

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return;
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

namespace {

// text/tabwriter's Writer.format: a column block is a run of adjacent lines that have a cell in
// that column (the last cell of a line is not in any column); its width is the widest cell plus
// the padding, and the columns to the right are formatted within the block, recursively.
struct TabWriter {
  std::vector<std::vector<std::string>> lines;
  std::vector<std::size_t> widths;
  std::string out;

  static std::size_t runes(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  }
  void write_lines(std::size_t line0, std::size_t line1) {
    for (std::size_t i = line0; i < line1; ++i) {
      const auto& line = lines[i];
      for (std::size_t j = 0; j < line.size(); ++j) {
        out += line[j];
        if (j < widths.size()) out.append(widths[j] - std::min(widths[j], runes(line[j])), ' ');
      }
      if (i + 1 < lines.size()) out += '\n';
    }
  }
  void format(std::size_t line0, std::size_t line1) {
    const std::size_t column = widths.size();
    for (std::size_t i = line0; i < line1; ++i) {
      if (column + 1 >= lines[i].size()) continue;
      write_lines(line0, i);
      line0 = i;
      std::size_t width = 0;
      for (; i < line1 && column + 1 < lines[i].size(); ++i) width = std::max(width, runes(lines[i][column]) + 2);
      widths.push_back(width);
      format(line0, i);
      widths.pop_back();
      line0 = i;
      if (i == line1) break;
    }
    write_lines(line0, line1);
  }
};

}  // namespace

std::string tabwrite(std::string_view text) {
  TabWriter w;
  std::vector<std::string> cells(1);
  for (char ch : text) {
    if (ch == '\t') {
      cells.emplace_back();
    } else if (ch == '\n') {
      w.lines.push_back(std::move(cells));
      cells.assign(1, std::string());
    } else {
      cells.back().push_back(ch);
    }
  }
  w.lines.push_back(std::move(cells));  // after the last newline: an empty line, printed without one
  w.format(0, w.lines.size());
  return w.out;
}

namespace {

std::string grouped(std::int64_t n) {  // 100028 → "100,028"
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string bytes_si(std::uint64_t b) {  // as velero and kubectl print sizes: kB, MB, GB
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1000 && u < 4) { v /= 1000; ++u; }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace

std::string format_bytes(std::uint64_t bytes) { return bytes_si(bytes); }

std::string progress_bar_line(std::int64_t done, std::int64_t total, const std::string& extra, double seconds,
                              std::size_t width) {
  total = std::max(total, done);
  bool known = total > done;  // once the count is reached, the bar would say nothing more
  std::string items = known ? grouped(done) + "/" + grouped(total) + " items" : grouped(done) + " items";
  std::string tail = "  " + items + (extra.empty() ? "" : "  " + extra);
  double rate = seconds > 0.05 ? static_cast<double>(done) / seconds : 0;
  if (rate > 0) tail += "  " + grouped(static_cast<std::int64_t>(rate)) + " items/s";
  if (known && rate > 0) {
    auto eta = static_cast<std::int64_t>(static_cast<double>(total - done) / rate + 0.5);
    tail += "  ETA " + human_duration(std::chrono::seconds(eta));
  }
  if (!known) return tail.substr(2);
  int percent = static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total));
  char pct[8];
  std::snprintf(pct, sizeof pct, "%3d%%", percent);
  // A bar of fixed width, left out when the terminal is too narrow for it and the figures.
  constexpr std::size_t bar = 20;
  if (width < tail.size() + bar + 8) return std::string(pct) + tail;
  auto filled = static_cast<std::size_t>(static_cast<double>(bar) * static_cast<double>(done) / static_cast<double>(total));
  return "[" + std::string(filled, '#') + std::string(bar - filled, '-') + "] " + pct + tail;
}

std::string progress_line(const BackupProgress& p, double seconds, std::size_t width) {
  return progress_bar_line(p.items_backed_up, p.total_items, bytes_si(p.bytes_written), seconds, width);
}

}  // namespace vbackup::cli

