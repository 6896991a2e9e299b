// Velero's server metrics (pkg/metrics/metrics.go): names, help texts, the `schedule` label and the
// backup duration buckets, written in the Prometheus text exposition format 0.0.4.
#include "vbackup/server.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace vbackup::server {

namespace {

enum class Type { counter, gauge, histogram };

struct Family {
  std::string_view name, help;
  Type type;
};

// metrics.go's backup and restore families (the volume and data-mover ones need snapshots).
constexpr Family kFamilies[] = {
    {"backup_attempt_total", "Total number of attempted backups", Type::counter},
    {"backup_success_total", "Total number of successful backups", Type::counter},
    {"backup_partial_failure_total", "Total number of partially failed backups", Type::counter},
    {"backup_failure_total", "Total number of failed backups", Type::counter},
    {"backup_validation_failure_total", "Total number of validation failed backups", Type::counter},
    {"backup_deletion_attempt_total", "Total number of attempted backup deletions", Type::counter},
    {"backup_deletion_success_total", "Total number of successful backup deletions", Type::counter},
    {"backup_deletion_failure_total", "Total number of failed backup deletions", Type::counter},
    {"backup_warning_total", "Total number of warned backups", Type::counter},
    {"backup_duration_seconds", "Time taken to complete backup, in seconds", Type::histogram},
    {"backup_items_total", "Total number of items backed up", Type::gauge},
    {"backup_items_errors", "Total number of errors encountered during backup", Type::gauge},
    {"backup_last_successful_timestamp", "Last time a backup ran successfully, Unix timestamp in seconds", Type::gauge},
    {"backup_last_status", "Last status of the backup. A value of 1 is success, 0 is failure", Type::gauge},
    {"restore_attempt_total", "Total number of attempted restores", Type::counter},
    {"restore_success_total", "Total number of successful restores", Type::counter},
    {"restore_partial_failure_total", "Total number of partially failed restores", Type::counter},
    {"restore_failed_total", "Total number of failed restores", Type::counter},
    {"restore_validation_failed_total", "Total number of failed restores failing validations", Type::counter},
};

// backupDurationSeconds: 1m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 4h.
constexpr double kDurationBuckets[] = {60, 300, 600, 900, 1800, 3600, 7200, 10800, 14400};

// Go's strconv.FormatFloat(v, 'g', -1, 64) as the client library writes sample values, enough for
// counters and timestamps: integers without a fraction, others with the shortest round trip.
std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// Label values escape backslash, double quote and newline.
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

struct Histogram {
  std::vector<std::uint64_t> buckets = std::vector<std::uint64_t>(std::size(kDurationBuckets), 0);
  std::uint64_t count = 0;
  double sum = 0;
};

}  // namespace

struct Metrics::Impl {
  mutable std::mutex mutex;
  std::map<std::string, std::map<std::string, double>, std::less<>> values;  // family → schedule → value
  std::map<std::string, Histogram> durations;                                 // schedule → histogram
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::add(std::string_view name, const std::string& schedule, double delta) {
  std::lock_guard lock(impl_->mutex);
  impl_->values[std::string(name)][schedule] += delta;
}

void Metrics::backup_attempt(const std::string& s) { add("backup_attempt_total", s); }
void Metrics::backup_success(const std::string& s) {
  add("backup_success_total", s);
  std::lock_guard lock(impl_->mutex);
  impl_->values["backup_last_status"][s] = 1;
}
void Metrics::backup_partial_failure(const std::string& s) {
  add("backup_partial_failure_total", s);
  std::lock_guard lock(impl_->mutex);
  impl_->values["backup_last_status"][s] = 0;
}
void Metrics::backup_failure(const std::string& s) {
  add("backup_failure_total", s);
  std::lock_guard lock(impl_->mutex);
  impl_->values["backup_last_status"][s] = 0;
}
void Metrics::backup_validation_failure(const std::string& s) {
  add("backup_validation_failure_total", s);
  std::lock_guard lock(impl_->mutex);
  impl_->values["backup_last_status"][s] = 0;
}
void Metrics::backup_duration(const std::string& s, double seconds) {
  std::lock_guard lock(impl_->mutex);
  Histogram& h = impl_->durations[s];
  for (std::size_t i = 0; i < std::size(kDurationBuckets); ++i)
    if (seconds <= kDurationBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}
void Metrics::backup_last_successful(const std::string& s, double unix_seconds) {
  std::lock_guard lock(impl_->mutex);
  impl_->values["backup_last_successful_timestamp"][s] = unix_seconds;
}
void Metrics::backup_items(const std::string& s, double total, double errors) {
  std::lock_guard lock(impl_->mutex);
  impl_->values["backup_items_total"][s] = total;
  impl_->values["backup_items_errors"][s] = errors;
}
void Metrics::restore_attempt(const std::string& s) { add("restore_attempt_total", s); }
void Metrics::restore_success(const std::string& s) { add("restore_success_total", s); }
void Metrics::restore_partial_failure(const std::string& s) { add("restore_partial_failure_total", s); }
void Metrics::restore_failed(const std::string& s) { add("restore_failed_total", s); }
void Metrics::restore_validation_failed(const std::string& s) { add("restore_validation_failed_total", s); }

std::string Metrics::exposition() const {
  std::lock_guard lock(impl_->mutex);
  std::string out;
  auto header = [&](std::string_view name, std::string_view help, std::string_view type) {
    out += "# HELP velero_" + std::string(name) + " " + std::string(help) + "\n";
    out += "# TYPE velero_" + std::string(name) + " " + std::string(type) + "\n";
  };
  for (const Family& f : kFamilies) {
    if (f.type == Type::histogram) {
      // Like the Go client, a vector with no sample yet writes nothing but its HELP and TYPE.
      header(f.name, f.help, "histogram");
      for (const auto& [schedule, h] : impl_->durations) {
        const std::string lv = label_value(schedule);
        for (std::size_t i = 0; i < std::size(kDurationBuckets); ++i)
          out += "velero_" + std::string(f.name) + "_bucket{schedule=\"" + lv + "\",le=\"" + number(kDurationBuckets[i]) +
                 "\"} " + number(double(h.buckets[i])) + "\n";
        out += "velero_" + std::string(f.name) + "_bucket{schedule=\"" + lv + "\",le=\"+Inf\"} " + number(double(h.count)) + "\n";
        out += "velero_" + std::string(f.name) + "_sum{schedule=\"" + lv + "\"} " + number(h.sum) + "\n";
        out += "velero_" + std::string(f.name) + "_count{schedule=\"" + lv + "\"} " + number(double(h.count)) + "\n";
      }
      continue;
    }
    header(f.name, f.help, f.type == Type::counter ? "counter" : "gauge");
    auto it = impl_->values.find(f.name);
    if (it == impl_->values.end()) continue;
    for (const auto& [schedule, v] : it->second)
      out += "velero_" + std::string(f.name) + "{schedule=\"" + label_value(schedule) + "\"} " + number(v) + "\n";
  }
  // Families added by other controllers through add(), as counters.
  for (const auto& [name, samples] : impl_->values) {
    bool known = false;
    for (const Family& f : kFamilies) known = known || f.name == name;
    if (known) continue;
    header(name, name, "counter");
    for (const auto& [schedule, v] : samples)
      out += "velero_" + name + "{schedule=\"" + label_value(schedule) + "\"} " + number(v) + "\n";
  }
  return out;
}

}  // namespace vbackup::server
