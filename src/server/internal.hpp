// Helpers the server's files share (not installed).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace vbackup::server {

// Sleeps for `d`, or less when stop is requested; true when it slept the whole time.
inline bool interruptible_sleep(std::stop_token stop, std::chrono::milliseconds d) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace vbackup::server
