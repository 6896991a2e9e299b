// The log of a backup or a restore as Velero's server writes it (logrus TextFormatter; spec §2.3
// <b>-logs.gz, restore §2.11 restore-<r>-logs.gz):
//   time="2026-11-24T10:00:01Z" level=info msg="Backing up item" backup=velero/demo name=web resource=pods
// The operation's own field ("backup" or "restore") names it on every line. Velero's status.warnings
// and status.errors count the warning and error entries. Thread-safe: a restore logs from its workers.
#pragma once

#include "vbackup/stream.hpp"
#include "vbackup/time.hpp"

#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace vbackup::detail {

using LogFields = std::vector<std::pair<std::string, std::string>>;

class OperationLog {
 public:
  // field: "backup" or "restore"; ref: "<velero namespace>/<name>".
  OperationLog(std::string field, std::string ref, std::function<Timestamp()> now,
               std::function<void(std::string_view, std::string_view)> mirror);
  // The gzip stream the lines go to; lines logged before a sink is set are kept and flushed then.
  void set_sink(OutputStream* sink);

  // Fields by reference: a restore logs two lines an item with the same fields, and a copy of them
  // per line was a tenth of its allocations (issue 17).
  void info(std::string_view msg, const LogFields& fields = {}) { write("info", msg, fields); }
  void warning(std::string_view msg, const LogFields& fields = {}) { write("warning", msg, fields); }
  void error(std::string_view msg, const LogFields& fields = {}) { write("error", msg, fields); }

  std::int64_t warnings() const;
  std::int64_t errors() const;

 private:
  void write(std::string_view level, std::string_view msg, const LogFields& fields);

  std::string field_, ref_;
  std::pair<std::string, std::string> own_field_;  // {field_, ref_}, on every line
  std::function<Timestamp()> now_;
  std::function<void(std::string_view, std::string_view)> mirror_;
  mutable std::mutex mu_;
  OutputStream* sink_ = nullptr;
  std::string pending_;
  std::int64_t warnings_ = 0, errors_ = 0;
};

}  // namespace vbackup::detail
