// Emulators for the S3 tests and benchmark: moto server and s3rver started on free loopback ports,
// killed with their process group at exit (and with the test process, PR_SET_PDEATHSIG), and the
// independent aws CLI (/usr/bin/aws) pointed at them. test-infrastructure.md §3 describes both.
// A failure to start throws std::runtime_error with the emulator's log.
#pragma once

#include "storage/s3/sigv4.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/layout.hpp"
#include "vbackup/s3.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace vbackup::s3_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline fs::path source_root() {
  const char* r = std::getenv("VBK_SOURCE_ROOT");
  return r ? fs::path(r) : fs::current_path();
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

using Env = std::vector<std::pair<std::string, std::string>>;

// A child process in its own process group, killed with the group when the test ends; it also dies
// with the test process (PR_SET_PDEATHSIG), so a crashed test leaves no emulator behind.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const Env& env, const fs::path& log) {
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      std::fprintf(stderr, "exec %s failed: %s\n", args[0], std::strerror(errno));
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
  }
  ~Process() { stop(); }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // The exit status once it has ended, else nullopt.
  std::optional<int> exited() {
    if (status_) return status_;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return status_;
  }
  int wait() {
    if (status_) return *status_;
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return *status_;
  }
  void stop() {
    if (status_) return;
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 50 && !exited(); ++i) std::this_thread::sleep_for(100ms);
    if (!exited()) {
      ::kill(-pid_, SIGKILL);
      wait();
    }
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct RunResult {
  int status;
  std::string output;  // stdout and stderr
};

// A folder for emulator data, logs and aws downloads, removed at exit (after the emulators, which
// are function-local statics constructed later and so destroyed earlier).
inline fs::path scratch_dir() {
  struct Scratch {
    fs::path path = fs::temp_directory_path() / ("vbk-s3-test-" + std::to_string(::getpid()));
    Scratch() { fs::create_directories(path); }
    ~Scratch() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static Scratch dir;
  return dir.path;
}

inline RunResult run(const std::vector<std::string>& argv, const Env& env = {}) {
  static std::atomic<int> n{0};
  fs::path log = scratch_dir() / ("run-" + std::to_string(++n) + ".log");
  Process p(argv, env, log);
  int status = p.wait();
  return {status, read_file(log)};
}

inline unsigned short free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline bool port_open(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Polls with a bare TCP connect: an HTTP probe would use up one of moto's unauthenticated requests.
inline void wait_for_port(unsigned short port, Process& p, const std::string& what, const fs::path& log) {
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!port_open(port)) {
    if (auto st = p.exited()) {
      throw std::runtime_error(what + " exited with status " + std::to_string(*st) + " before listening on port " +
                               std::to_string(port) + "; its log:\n" + read_file(log));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(what + " did not listen on port " + std::to_string(port) + " within 60 s; its log:\n" +
                               read_file(log));
    }
    std::this_thread::sleep_for(100ms);
  }
}

// Deterministic incompressible bytes.
inline std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::string out(n, '\0');
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::uint64_t v = rng();
    std::memcpy(&out[i], &v, 8);
  }
  for (std::size_t i = n - n % 8; i < n; ++i) out[i] = static_cast<char>(rng());
  return out;
}

struct Emulator {
  std::string name;
  std::string endpoint;
  unsigned short port = 0;
  std::string access_key, secret;
  std::string bucket;
  fs::path dir;
  std::unique_ptr<Process> process;

  Env aws_env() const {
    return {{"AWS_ACCESS_KEY_ID", access_key}, {"AWS_SECRET_ACCESS_KEY", secret}, {"AWS_DEFAULT_REGION", "us-east-1"},
            {"AWS_CONFIG_FILE", (dir / "aws-config").string()}, {"AWS_SHARED_CREDENTIALS_FILE", (dir / "aws-creds").string()},
            {"AWS_PAGER", ""}, {"AWS_EC2_METADATA_DISABLED", "true"}, {"HOME", dir.string()}};
  }
  // The independent client: Debian's aws-cli v2, never the pyenv v1 shim on PATH.
  RunResult aws(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"/usr/bin/aws", "--endpoint-url", endpoint, "--output", "json"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, aws_env());
  }
  std::string aws_ok(std::vector<std::string> args) const {
    std::string cmd;
    for (const auto& a : args) cmd += a + " ";
    RunResult r = aws(args);
    if (r.status != 0) throw std::runtime_error("aws " + cmd + "failed (" + std::to_string(r.status) + "):\n" + r.output);
    return r.output;
  }
  s3::Config config(const std::string& b = "") const {
    s3::Config c;
    c.bucket = b.empty() ? bucket : b;
    c.region = "us-east-1";
    c.endpoint = endpoint;
    c.force_path_style = true;
    return c;
  }
  s3::Credentials credentials() const { return {access_key, secret, "", "", "the test's " + name + " key"}; }
  std::unique_ptr<s3::S3ObjectStore> store(s3::Config c) const { return s3::open_s3_store(c, credentials()); }
  std::unique_ptr<s3::S3ObjectStore> store() const { return store(config()); }
};

inline Emulator start_moto() {
  Emulator e;
  e.name = "moto";
  e.dir = scratch_dir() / "moto";
  fs::create_directories(e.dir);
  unsigned short port = free_port();
  e.port = port;
  e.endpoint = "http://127.0.0.1:" + std::to_string(port);
  fs::path log = e.dir / "server.log";
  // The first three requests run without authentication: create an IAM user, its key and an
  // allow-all policy; after that moto checks every SigV4 signature.
  e.process = std::make_unique<Process>(
      std::vector<std::string>{"python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", std::to_string(port)},
      Env{{"INITIAL_NO_AUTH_ACTION_COUNT", "3"}}, log);
  wait_for_port(port, *e.process, "moto server (python3 -m moto.server from the python3 on PATH)", log);
  e.access_key = "AKIDBOOTSTRAP";
  e.secret = "bootstrap";
  e.aws_ok({"iam", "create-user", "--user-name", "vbk"});
  std::string key_json = e.aws_ok({"iam", "create-access-key", "--user-name", "vbk"});
  e.aws_ok({"iam", "put-user-policy", "--user-name", "vbk", "--policy-name", "all", "--policy-document",
            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})"});
  json::value v = json::parse(key_json, "aws iam create-access-key output");
  e.access_key = std::string(v.at("AccessKey").at("AccessKeyId").as_string());
  e.secret = std::string(v.at("AccessKey").at("SecretAccessKey").as_string());
  e.bucket = "vbk-moto";
  e.aws_ok({"s3api", "create-bucket", "--bucket", e.bucket});
  return e;
}

inline Emulator start_s3rver() {
  Emulator e;
  e.name = "s3rver";
  e.dir = scratch_dir() / "s3rver";
  fs::create_directories(e.dir / "data");
  unsigned short port = free_port();
  e.port = port;
  e.endpoint = "http://127.0.0.1:" + std::to_string(port);
  e.access_key = "S3RVER";
  e.secret = "S3RVER";
  e.bucket = "vbk-s3rver";
  fs::path bin = source_root() / "tests/support/node_modules/.bin/s3rver";
  if (!fs::exists(bin)) throw std::runtime_error("s3rver is not installed at " + bin.string() + " (scripts/setup.sh installs it with npm)");
  fs::path log = e.dir / "server.log";
  e.process = std::make_unique<Process>(
      std::vector<std::string>{"node", bin.string(), "-d", (e.dir / "data").string(), "-a", "127.0.0.1", "-p",
                               std::to_string(port), "-s", "--configure-bucket", e.bucket},
      Env{}, log);
  wait_for_port(port, *e.process, "s3rver", log);
  return e;
}

inline Emulator& moto() {
  static Emulator e = start_moto();
  return e;
}
inline Emulator& s3rver() {
  static Emulator e = start_s3rver();
  return e;
}

}  // namespace vbackup::s3_test
