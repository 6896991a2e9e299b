// Velero's logrus text lines (operation_log.hpp).
#include "operations/operation_log.hpp"

#include "core/encoding.hpp"

#include <algorithm>

namespace vbackup::detail {
namespace {

// logrus quotes a value unless every character is a letter, digit or one of "-._/@^+".
bool needs_quoting(std::string_view s) {
  if (s.empty()) return true;
  return std::any_of(s.begin(), s.end(), [](char c) {
    return !(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '/' ||
             c == '@' || c == '^' || c == '+');
  });
}

void append_field(std::string& line, std::string_view key, std::string_view value) {
  line += ' ';
  line += key;
  line += '=';
  if (needs_quoting(value)) {
    line += go_quote(value);
  } else {
    line += value;
  }
}

}  // namespace

OperationLog::OperationLog(std::string field, std::string ref, std::function<Timestamp()> now,
                           std::function<void(std::string_view, std::string_view)> mirror)
    : field_(std::move(field)), ref_(std::move(ref)), own_field_(field_, ref_), now_(std::move(now)), mirror_(std::move(mirror)) {}

std::int64_t OperationLog::warnings() const {
  std::lock_guard lock(mu_);
  return warnings_;
}

std::int64_t OperationLog::errors() const {
  std::lock_guard lock(mu_);
  return errors_;
}

void OperationLog::set_sink(OutputStream* sink) {
  std::lock_guard lock(mu_);
  sink_ = sink;
  if (sink_ && !pending_.empty()) {
    sink_->write(pending_);
    pending_.clear();
  }
}

void OperationLog::write(std::string_view level, std::string_view msg, const LogFields& fields) {
  // logrus sorts the fields by key; the operation's own field is one of them. Sorted as pointers.
  constexpr std::size_t kInline = 8;
  const std::pair<std::string, std::string>* inline_sorted[kInline];
  std::vector<const std::pair<std::string, std::string>*> many;
  const std::pair<std::string, std::string>** sorted = inline_sorted;
  const std::size_t n = fields.size() + 1;
  if (n > kInline) {
    many.resize(n);
    sorted = many.data();
  }
  for (std::size_t i = 0; i < fields.size(); ++i) sorted[i] = &fields[i];
  sorted[n - 1] = &own_field_;
  std::sort(sorted, sorted + n, [](const auto* a, const auto* b) { return *a < *b; });
  // logrus stamps whole seconds: a restore writes a line an item, thousands a second, so each thread
  // keeps the last second's text.
  thread_local Timestamp last_time{};
  thread_local std::string last_text;
  const Timestamp t = now_();
  if (last_text.empty() || t != last_time) {
    last_time = t;
    last_text = go_quote(format_rfc3339(t));
  }
  std::string line;
  line.reserve(96 + msg.size());
  line += "time=";
  line += last_text;
  line += " level=";
  line += level;
  line += " msg=";
  line += go_quote(msg);
  for (std::size_t i = 0; i < n; ++i) append_field(line, sorted[i]->first, sorted[i]->second);
  std::lock_guard lock(mu_);
  if (level == "warning") ++warnings_;
  if (level == "error") ++errors_;
  if (mirror_) mirror_(level, line);
  line += '\n';
  if (sink_) {
    sink_->write(line);
  } else {
    pending_ += line;
  }
}

}  // namespace vbackup::detail
