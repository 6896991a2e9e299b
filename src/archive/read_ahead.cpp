#include "archive/read_ahead.hpp"

namespace vbackup::archive::detail {

ReadAhead::ReadAhead(InputStream& source, std::size_t block, std::size_t depth)
    : source_(source), buffers_(depth, std::vector<char>(block)) {
  for (std::size_t i = 0; i < depth; ++i) free_.push_back(i);
  thread_ = std::thread([this] { run(); });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ReadAhead::run() {
  for (;;) {
    std::size_t i;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !free_.empty(); });
      if (stop_) return;
      i = free_.back();
      free_.pop_back();
    }
    std::size_t n = 0;
    std::exception_ptr error;
    try {
      n = source_.read(buffers_[i].data(), buffers_[i].size());
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mu_);
      if (error) {
        error_ = error;
      } else {
        filled_.emplace_back(i, n);
      }
      end_ = error || n == 0;
    }
    cv_.notify_all();
    if (error || n == 0) return;
  }
}

std::string_view ReadAhead::next() {
  std::unique_lock lock(mu_);
  if (held_) {
    free_.push_back(*held_);
    held_.reset();
    cv_.notify_all();
  }
  cv_.wait(lock, [&] { return !filled_.empty() || end_; });
  if (filled_.empty()) {
    if (error_) std::rethrow_exception(error_);
    return {};
  }
  auto [i, n] = filled_.front();
  filled_.pop_front();
  held_ = i;
  return {buffers_[i].data(), n};
}

}  // namespace vbackup::archive::detail
