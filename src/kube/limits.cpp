// Client-side pacing: client-go's token bucket (flowcontrol.NewTokenBucketRateLimiter over
// golang.org/x/time/rate, Velero's --client-qps/--client-burst) and a bound on requests in flight.
#include "kube/internal.hpp"

#include <algorithm>
#include <thread>

namespace vbackup::kube {

TokenBucket::TokenBucket(double qps, int burst, clock::time_point now)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(std::max(1, burst)), last_(now) {}

TokenBucket::clock::duration TokenBucket::reserve(clock::time_point now) {
  if (qps_ <= 0) return clock::duration::zero();
  std::lock_guard lock(mutex_);
  if (now > last_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0) return clock::duration::zero();
  return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(-tokens_ / qps_));
}

void TokenBucket::acquire() {
  auto wait = reserve(clock::now());
  if (wait > clock::duration::zero()) std::this_thread::sleep_for(wait);
}

void InFlightLimit::enter() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return current_ < max_; });
  ++current_;
  peak_ = std::max(peak_, current_);
}

void InFlightLimit::leave() {
  {
    std::lock_guard lock(mutex_);
    --current_;
  }
  cv_.notify_one();
}

std::size_t InFlightLimit::in_flight() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::size_t InFlightLimit::peak() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

}  // namespace vbackup::kube
