#include "interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>

namespace vbackup::cli {
namespace {

std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the handler may only touch a lock-free atomic");

struct sigaction g_previous_int, g_previous_term;

extern "C" void on_signal(int sig) {
  int none = 0;
  // The first sets the flag; the second quits at once (128 + the signal, as for the first).
  if (!g_signal.compare_exchange_strong(none, sig)) ::_exit(128 + sig);
}

}  // namespace

int Interrupt::signal() { return g_signal.load(); }

Interrupt::Interrupt(bool progress_on_screen) : progress_on_screen_(progress_on_screen) {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // the library's system calls go on; the flag is read between them
  ::sigaction(SIGINT, &sa, &g_previous_int);
  ::sigaction(SIGTERM, &sa, &g_previous_term);
  watcher_ = std::jthread([this](std::stop_token stop) {
    std::unique_lock lock(mutex_);
    // Polled: a handler cannot notify a condition variable. 50 ms is quick to the eye and costs nothing.
    while (g_signal.load() == 0 && !stop.stop_requested()) {
      wake_.wait_for(lock, stop, std::chrono::milliseconds(50), [] { return g_signal.load() != 0; });
    }
    print_once();
  });
}

// Under mutex_.
void Interrupt::print_once() {
  if (g_signal.load() == 0 || printed_) return;
  printed_ = true;
  std::cerr << (progress_on_screen_ ? "\n" : "") << "vbackup: interrupted, cleaning up (press Ctrl-C again to quit at once)"
            << std::endl;
}

void Interrupt::announce() {
  std::lock_guard lock(mutex_);
  print_once();
}

Interrupt::~Interrupt() {
  watcher_.request_stop();
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  ::sigaction(SIGINT, &g_previous_int, nullptr);
  ::sigaction(SIGTERM, &g_previous_term, nullptr);
}

}  // namespace vbackup::cli
