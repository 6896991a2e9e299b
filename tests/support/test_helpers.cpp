#include "test_helpers.hpp"

#include "vbackup/json.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace vbackup::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path source_root() {
  const char* root = std::getenv("VBK_SOURCE_ROOT");
  return root ? fs::path(root) : fs::current_path();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int open_files(const std::string& prefix, bool unlinked_only) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = fs::read_symlink(e.path(), ec).string();
    if (ec || target.rfind(prefix, 0) != 0) continue;
    struct stat st {};
    if (!unlinked_only || (::stat(e.path().c_str(), &st) == 0 && st.st_nlink == 0)) ++n;
  }
  return n;
}

// ---- TempDir, EnvVar, error_of ---------------------------------------------------------------

TempDir::TempDir(std::string_view tag) {
  std::string tmpl = (fs::temp_directory_path() / ("vbk-" + std::string(tag) + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

fs::path TempDir::write(const fs::path& rel, std::string_view text, bool executable) const {
  fs::path p = path / rel;
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + p.string());
  if (executable) ::chmod(p.c_str(), 0755);
  return p;
}

void EnvVar::set(const std::string& name, const char* value) {
  const char* old = std::getenv(name.c_str());
  saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
  if (value) ::setenv(name.c_str(), value, 1);
  else ::unsetenv(name.c_str());
}

void EnvVar::set(const std::string& name, const std::optional<std::string>& value) {
  set(name, value ? value->c_str() : nullptr);
}

EnvVar::~EnvVar() {
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
    if (it->second) ::setenv(it->first.c_str(), it->second->c_str(), 1);
    else ::unsetenv(it->first.c_str());
  }
}

std::string error_of(const std::function<void()>& f, ErrorCode* code) {
  try {
    f();
  } catch (const Error& e) {
    if (code) *code = e.code();
    return e.what();
  }
  return "";
}

long status_kib(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field)) return std::stol(line.substr(field.size()));
  }
  return -1;
}

void reset_peak_rss(bool trim) {
  if (trim) ::malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}

// ---- processes and ports ------------------------------------------------------------------------

Process::Process(const std::vector<std::string>& argv, const Env& env, const fs::path& log) {
  if (argv.empty()) throw std::invalid_argument("Process: empty argv");
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string log_path = log.string();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s failed: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
}

std::optional<int> Process::exited() {
  if (status_) return status_;
  int st = 0;
  if (::waitpid(pid_, &st, WNOHANG) == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return status_;
}

int Process::wait() {
  if (status_) return *status_;
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return *status_;
}

void Process::stop() {
  if (pid_ <= 0 || exited()) return;
  ::kill(-pid_, SIGTERM);
  for (int i = 0; i < 50 && !exited(); ++i) std::this_thread::sleep_for(100ms);
  if (!exited()) {
    ::kill(-pid_, SIGKILL);
    wait();
  }
}

fs::path scratch_dir() {
  // A function-local static: emulators kept in statics constructed later are destroyed before it.
  static TempDir dir("scratch-" + std::to_string(::getpid()));
  return dir.path;
}

RunResult run(const std::vector<std::string>& argv, const Env& env) {
  static std::atomic<int> n{0};
  fs::path log = scratch_dir() / ("run-" + std::to_string(++n) + ".log");
  Process p(argv, env, log);
  int status = p.wait();
  return {status, read_file(log)};
}

unsigned short free_port() {
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

bool port_open(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

void wait_for_port(unsigned short port, Process& p, const std::string& what, const fs::path& log,
                   std::chrono::milliseconds timeout) {
  auto log_tail = [&] {
    std::string s = read_file(log);
    return s.size() > 8000 ? "…" + s.substr(s.size() - 8000) : s;
  };
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!port_open(port)) {
    if (auto st = p.exited()) {
      throw std::runtime_error(what + " exited with status " + std::to_string(*st) + " before listening on port " +
                               std::to_string(port) + "; its log:\n" + log_tail());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(what + " did not listen on port " + std::to_string(port) + " within " +
                               std::to_string(timeout.count() / 1000) + " s; its log:\n" + log_tail());
    }
    std::this_thread::sleep_for(50ms);
  }
}

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::string out(n, '\0');
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::uint64_t v = rng();
    std::memcpy(&out[i], &v, 8);
  }
  for (std::size_t i = n - n % 8; i < n; ++i) out[i] = static_cast<char>(rng());
  return out;
}

// ---- S3 emulators -------------------------------------------------------------------------------

Env S3Emulator::aws_env() const {
  return {{"AWS_ACCESS_KEY_ID", access_key}, {"AWS_SECRET_ACCESS_KEY", secret}, {"AWS_DEFAULT_REGION", "us-east-1"},
          {"AWS_CONFIG_FILE", (dir / "aws-config").string()}, {"AWS_SHARED_CREDENTIALS_FILE", (dir / "aws-creds").string()},
          {"AWS_PAGER", ""}, {"AWS_EC2_METADATA_DISABLED", "true"}, {"HOME", dir.string()}};
}

RunResult S3Emulator::aws(std::vector<std::string> args) const {
  // Debian's aws-cli v2, never the pyenv v1 shim on PATH.
  std::vector<std::string> argv = {"/usr/bin/aws", "--endpoint-url", endpoint, "--output", "json"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, aws_env());
}

std::string S3Emulator::aws_ok(std::vector<std::string> args) const {
  std::string cmd;
  for (const auto& a : args) cmd += a + " ";
  RunResult r = aws(args);
  if (r.status != 0) throw std::runtime_error("aws " + cmd + "failed (" + std::to_string(r.status) + "):\n" + r.output);
  return r.output;
}

S3Emulator start_moto() {
  S3Emulator e;
  e.name = "moto";
  e.dir = scratch_dir() / "moto";
  fs::create_directories(e.dir);
  e.port = free_port();
  e.endpoint = "http://127.0.0.1:" + std::to_string(e.port);
  fs::path log = e.dir / "server.log";
  // The first three requests run without authentication: create an IAM user, its key and an
  // allow-all policy; after that moto checks every SigV4 signature.
  e.process = std::make_unique<Process>(
      std::vector<std::string>{"python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", std::to_string(e.port)},
      Env{{"INITIAL_NO_AUTH_ACTION_COUNT", "3"}}, log);
  wait_for_port(e.port, *e.process, "moto server (python3 -m moto.server from the python3 on PATH)", log);
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

S3Emulator start_s3rver() {
  S3Emulator e;
  e.name = "s3rver";
  e.dir = scratch_dir() / "s3rver";
  fs::create_directories(e.dir / "data");
  e.port = free_port();
  e.endpoint = "http://127.0.0.1:" + std::to_string(e.port);
  e.access_key = "S3RVER";
  e.secret = "S3RVER";
  e.bucket = "vbk-s3rver";
  fs::path bin = source_root() / "tests/support/node_modules/.bin/s3rver";
  if (!fs::exists(bin)) throw std::runtime_error("s3rver is not installed at " + bin.string() + " (scripts/setup.sh installs it with npm)");
  fs::path log = e.dir / "server.log";
  e.process = std::make_unique<Process>(
      std::vector<std::string>{"node", bin.string(), "-d", (e.dir / "data").string(), "-a", "127.0.0.1", "-p",
                               std::to_string(e.port), "-s", "--configure-bucket", e.bucket},
      Env{}, log);
  wait_for_port(e.port, *e.process, "s3rver", log);
  return e;
}

// ---- Azurite ------------------------------------------------------------------------------------

Azurite::Azurite(const std::string& name, std::vector<std::string> extra, std::string scheme)
    : scheme_(std::move(scheme)), dir_("azurite-" + name) {
  fs::path bin = source_root() / "tests/support/node_modules/.bin/azurite-blob";
  if (!fs::exists(bin)) {
    error_ = "Azurite is not installed: " + bin.string() + " does not exist (run scripts/setup.sh)";
    return;
  }
  port_ = free_port();
  std::vector<std::string> args{bin.string(), "--blobHost", "127.0.0.1", "--blobPort", std::to_string(port_),
                                "--location", (dir_ / "data").string(), "--disableTelemetry", "-s"};
  args.insert(args.end(), extra.begin(), extra.end());
  fs::path log = dir_ / "azurite.log";
  try {
    process_ = std::make_unique<Process>(args, Env{}, log);
    wait_for_port(port_, *process_, "Azurite (" + bin.string() + ")", log);
  } catch (const std::exception& e) {
    error_ = e.what();
    process_.reset();
  }
}

Azurite::~Azurite() { process_.reset(); }  // before dir_ goes

std::string Azurite::endpoint() const {
  return scheme_ + "://127.0.0.1:" + std::to_string(port_) + "/" + kAccount;
}

}  // namespace vbackup::testing
