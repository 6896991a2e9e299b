// The CLI's signal handling (tools/vbackup/interrupt.hpp), in child processes: the first SIGINT or
// SIGTERM only sets the flag (the process goes on and says it is cleaning up), a second one ends
// the process at once with 128 + its number, and the previous handlers come back afterwards.
#include "../../tools/vbackup/interrupt.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

using vbackup::cli::Interrupt;

namespace {

struct Child {
  int status = -1;  // exit status, or 128 + signal
  std::string err;  // what it wrote on stderr
};

// Runs `body` in a forked child with stderr into a file; the child exits with body's return value.
Child in_child(const std::function<int()>& body) {
  vbackup::testing::TempDir dir("interrupt");
  auto err_path = dir / "stderr";
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    ::_exit(body());
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  Child c;
  c.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  c.err = vbackup::testing::read_file(err_path);
  return c;
}

}  // namespace

TEST_CASE("issue 12 CLI: the first SIGINT sets the flag and says so; the process goes on") {
  auto c = in_child([] {
    Interrupt interrupt(true);
    if (Interrupt::requested()) return 10;
    ::raise(SIGINT);
    if (!Interrupt::requested() || Interrupt::signal() != SIGINT || Interrupt::exit_status() != 130) return 11;
    interrupt.announce();  // the command's cancel message follows this one
    std::this_thread::sleep_for(std::chrono::milliseconds(120));  // the watcher would print it too: once only
    return 0;
  });
  CHECK(c.status == 0);
  CHECK(c.err == "\nvbackup: interrupted, cleaning up (press Ctrl-C again to quit at once)\n");
}

TEST_CASE("issue 12 CLI: the watcher prints the message without help; SIGTERM gives 143") {
  auto c = in_child([] {
    Interrupt interrupt(false);
    ::raise(SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return Interrupt::exit_status();
  });
  CHECK(c.status == 143);
  CHECK(c.err == "vbackup: interrupted, cleaning up (press Ctrl-C again to quit at once)\n");
}

TEST_CASE("issue 12 CLI: a second signal ends the process at once with 128 + its number") {
  auto twice = in_child([] {
    Interrupt interrupt(false);
    ::raise(SIGINT);
    ::raise(SIGINT);
    return 1;  // not reached
  });
  CHECK(twice.status == 130);
  auto mixed = in_child([] {
    Interrupt interrupt(false);
    ::raise(SIGINT);
    ::raise(SIGTERM);
    return 1;
  });
  CHECK(mixed.status == 143);
}

TEST_CASE("issue 12 CLI: outside an operation the signals do what they did before") {
  auto c = in_child([] {
    ::signal(SIGTERM, SIG_DFL);  // as a program starts (doctest installs handlers of its own)
    { Interrupt interrupt(false); }
    ::raise(SIGTERM);  // the default action again: killed
    return 1;
  });
  CHECK(c.status == 128 + SIGTERM);
  CHECK(c.err.empty());
}
