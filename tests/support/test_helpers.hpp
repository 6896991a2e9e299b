// What every test needs: a temporary directory, scoped environment variables, the message of an
// expected Error, and child processes on free loopback ports (the emulators of
// test-infrastructure.md §3 and §4: moto server, s3rver, Azurite).
#pragma once

#include "vbackup/error.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vbackup::testing {

// The source tree: VBK_SOURCE_ROOT (meson test sets it), else the current directory.
std::filesystem::path source_root();
// The whole file, "" if it cannot be read.
std::string read_file(const std::filesystem::path& path);
// This process's descriptors on files whose path starts with `prefix` (unlinked ones included, which
// only /proc sees); with `unlinked_only`, only those already unlinked (st_nlink == 0).
int open_files(const std::string& prefix, bool unlinked_only = false);

// A fresh, empty directory <tmp>/vbk-<tag>-XXXXXX, removed with its contents at the end of scope.
struct TempDir {
  explicit TempDir(std::string_view tag = "test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path operator/(const std::filesystem::path& rel) const { return path / rel; }
  // Writes `text` (bytes as given) to path/rel, creating the parents; returns the file's path.
  std::filesystem::path write(const std::filesystem::path& rel, std::string_view text, bool executable = false) const;

  std::filesystem::path path;
};

// Sets or unsets environment variables for one scope; the destructor restores what each was,
// last change first (so one variable may be changed twice).
class EnvVar {
 public:
  EnvVar() = default;
  EnvVar(const std::string& name, const char* value) { set(name, value); }  // nullptr: unset
  EnvVar(const std::string& name, const std::string& value) { set(name, value); }
  ~EnvVar();
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

  void set(const std::string& name, const char* value);  // nullptr: unset
  void set(const std::string& name, const std::optional<std::string>& value);

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// The message of the vbackup::Error that `f` throws ("" if it throws none), its code in `*code`.
// Any other exception goes on to the test framework.
std::string error_of(const std::function<void()>& f, ErrorCode* code = nullptr);

// ---- memory --------------------------------------------------------------------------------------

// A field of /proc/self/status in KiB ("VmRSS:" now, "VmHWM:" the peak), -1 if absent.
long status_kib(std::string_view field);
inline long rss_kib() { return status_kib("VmRSS:"); }
inline long peak_rss_kib() { return status_kib("VmHWM:"); }
// Restarts the peak (VmHWM) where the kernel allows (/proc/self/clear_refs); with `trim`, freed heap
// goes back to the system first (malloc_trim), so the next measurement starts from what is live.
void reset_peak_rss(bool trim = false);
// AddressSanitizer's quarantine and ThreadSanitizer's shadow keep memory resident: under them, RSS
// says nothing and memory bounds are not checked.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kRssMeaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kRssMeaningful = false;
#else
inline constexpr bool kRssMeaningful = true;
#endif
#else
inline constexpr bool kRssMeaningful = true;
#endif

// ---- child processes ----------------------------------------------------------------------------

using Env = std::vector<std::pair<std::string, std::string>>;

// A child process in its own process group, stdout and stderr into `log`, stdin from /dev/null,
// `env` added to the inherited environment. stop() (and the destructor) ends the group with SIGTERM,
// then SIGKILL after 5 s; it also dies with the test process (PR_SET_PDEATHSIG), so a crashed test
// leaves nothing behind.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const Env& env, const std::filesystem::path& log);
  ~Process() { stop(); }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  std::optional<int> exited();  // the exit status (128 + signal) once it has ended
  int wait();
  void stop();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// A folder for this test process's emulator data and logs, removed at exit.
std::filesystem::path scratch_dir();

struct RunResult {
  int status;
  std::string output;  // stdout and stderr
};
// Runs a program to its end (no shell), its output logged under scratch_dir().
RunResult run(const std::vector<std::string>& argv, const Env& env = {});

// A loopback port nobody listens on right now (the kernel picks it).
unsigned short free_port();
// Whether something accepts TCP connections on 127.0.0.1:port (a bare connect, so an emulator
// that counts requests sees none).
bool port_open(unsigned short port);
// Waits until `p` listens on `port`; throws std::runtime_error naming `what`, with the end of its
// log, if it exits first or the timeout passes.
void wait_for_port(unsigned short port, Process& p, const std::string& what, const std::filesystem::path& log,
                   std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Deterministic incompressible bytes.
std::string random_bytes(std::size_t n, std::uint64_t seed);

// ---- emulators ----------------------------------------------------------------------------------

// An S3 emulator on 127.0.0.1 with a bucket and a key that may use it, and the independent aws CLI
// (Debian's aws-cli v2, /usr/bin/aws) pointed at it.
struct S3Emulator {
  std::string name;
  std::string endpoint;
  unsigned short port = 0;
  std::string access_key, secret;
  std::string bucket;
  std::filesystem::path dir;
  std::unique_ptr<Process> process;

  Env aws_env() const;
  RunResult aws(std::vector<std::string> args) const;
  std::string aws_ok(std::vector<std::string> args) const;  // throws std::runtime_error on failure
};
// moto server (python3 -m moto.server): an IAM user with an allow-all policy, bucket "vbk-moto";
// it checks every SigV4 signature. Throws std::runtime_error with its log if it cannot start.
S3Emulator start_moto();
// s3rver (tests/support/node_modules), bucket "vbk-s3rver", key S3RVER/S3RVER.
S3Emulator start_s3rver();

// Azurite's blob service on a free port (tests/support/node_modules), in a folder of its own,
// stopped by the destructor. It never throws: error() says why it is not running.
class Azurite {
 public:
  // The published development account (test-infrastructure.md §4): not a secret.
  static constexpr const char* kAccount = "devstoreaccount1";
  static constexpr const char* kKey =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

  // `extra` adds options (--cert/--key for TLS, then scheme "https").
  explicit Azurite(const std::string& name, std::vector<std::string> extra = {}, std::string scheme = "http");
  ~Azurite();
  const std::string& error() const { return error_; }
  unsigned short port() const { return port_; }
  // <scheme>://127.0.0.1:<port>/devstoreaccount1 (path-style, as the emulator is addressed).
  std::string endpoint() const;

 private:
  std::string scheme_;
  TempDir dir_;
  unsigned short port_ = 0;
  std::unique_ptr<Process> process_;
  std::string error_;
};

}  // namespace vbackup::testing
