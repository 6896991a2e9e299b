// SIGINT and SIGTERM during `backup create` and `restore create`: they take the library's cancel
// path (on_progress returns false; the store's writers and readers check too, so a cancel is seen
// while an upload or a download is under way), which removes what the operation had written. The
// handler only sets an atomic flag; a second signal ends the process at once (_exit, which is
// async-signal-safe), leaving what `backup-location check` then reports as leftovers.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

namespace vbackup::cli {

class Interrupt {
 public:
  // Installs the handlers until destroyed (the previous ones come back). `progress_on_screen`: the
  // message starts on a new line, after the progress bar.
  explicit Interrupt(bool progress_on_screen);
  ~Interrupt();
  Interrupt(const Interrupt&) = delete;
  Interrupt& operator=(const Interrupt&) = delete;

  // The first signal's number, 0 while none came: what the progress callback and the store's
  // cancel checks read.
  static int signal();
  static bool requested() { return signal() != 0; }
  // 130 after SIGINT, 143 after SIGTERM (128 + the signal, as shells report it). A second signal
  // exits at once with 128 + its number.
  static int exit_status() { return 128 + signal(); }
  // Prints the message now if a signal came and the watcher has not printed it yet: before what
  // the command says about the cancel, so that the lines come in order.
  void announce();

 private:
  void print_once();
  bool printed_ = false;
  bool progress_on_screen_;
  // Prints the message as soon as the flag is set (a signal handler must not write to std::cerr).
  std::jthread watcher_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
};

}  // namespace vbackup::cli
