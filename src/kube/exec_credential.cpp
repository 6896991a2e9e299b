// client.authentication.k8s.io exec credential plugins (client-go plugin/pkg/client/auth/exec):
// what the plugin is given (KUBERNETES_EXEC_INFO), how it is run, and how its ExecCredential is
// validated. The token and keys the plugin prints never reach a message.
#include "kube/internal.hpp"
#include "core/encoding.hpp"
#include "vbackup/error.hpp"
#include "vbackup/time.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace vbackup::kube {
namespace {

constexpr std::string_view kV1 = "client.authentication.k8s.io/v1";
constexpr std::string_view kV1beta1 = "client.authentication.k8s.io/v1beta1";

Error exec_error(std::string_view what, const std::string& problem) {
  return Error(ErrorCode::kube, std::string(what) + ": " + problem);
}

// The last few lines of the plugin's stderr, one line, for a failure message.
std::string stderr_tail(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.size() > 400) text = "…" + text.substr(text.size() - 400);
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return text;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace

std::string exec_info_json(const ExecConfig& exec, const RestConfig& config) {
  json::object spec;
  if (exec.provide_cluster_info) {
    json::object cluster;  // clientauthentication Cluster, in Go field order with omitempty
    cluster["server"] = config.server;
    if (!config.tls_server_name.empty()) cluster["tls-server-name"] = config.tls_server_name;
    if (config.insecure_skip_tls_verify) cluster["insecure-skip-tls-verify"] = true;
    if (!config.ca_pem.empty()) cluster["certificate-authority-data"] = base64_encode(config.ca_pem);
    if (config.disable_compression) cluster["disable-compression"] = true;
    spec["cluster"] = std::move(cluster);
  }
  spec["interactive"] = false;
  json::object info;
  info["kind"] = "ExecCredential";
  info["apiVersion"] = exec.api_version;
  info["spec"] = std::move(spec);
  return json::marshal(info, {.sort_keys = false});
}

ExecCredential parse_exec_credential(std::string_view output, const ExecConfig& exec, std::string_view what) {
  json::value doc;
  try {
    doc = json::parse(output, std::string(what) + ": output");
  } catch (const Error& e) {
    throw Error(ErrorCode::kube, std::string(e.what()) + " (expected an ExecCredential)");
  }
  if (!doc.is_object()) throw exec_error(what, "output is not an ExecCredential object");
  const json::object& o = doc.get_object();
  std::string_view api_version = json::get_string(o, "apiVersion");
  std::string_view kind = json::get_string(o, "kind");
  if (api_version != exec.api_version) {
    throw exec_error(what, "the plugin is configured to use API version " + exec.api_version +
                               ", it returned version " + (api_version.empty() ? "\"\"" : std::string(api_version)));
  }
  if (kind != "ExecCredential") throw exec_error(what, "the plugin returned kind \"" + std::string(kind) + "\", not ExecCredential");
  const json::object* status = json::find_object(o, "status");
  if (!status) throw exec_error(what, "the plugin's ExecCredential has no status");
  ExecCredential cred;
  auto text = [&](std::string_view key) -> std::string {
    auto it = status->find(key);
    if (it == status->end() || it->value().is_null()) return {};
    if (!it->value().is_string()) throw exec_error(what, "status." + std::string(key) + ": expected a string");
    return std::string(it->value().get_string());
  };
  cred.token = text("token");
  cred.client_cert_pem = text("clientCertificateData");
  cred.client_key_pem = text("clientKeyData");
  std::string expiry = text("expirationTimestamp");
  if (!expiry.empty()) {
    try {
      cred.expiry = std::chrono::system_clock::time_point(parse_rfc3339(expiry));
    } catch (const Error& e) {
      throw exec_error(what, std::string("status.expirationTimestamp: ") + e.what());
    }
  }
  if (cred.client_cert_pem.empty() != cred.client_key_pem.empty()) {
    throw exec_error(what, "the plugin returned only one of clientCertificateData and clientKeyData");
  }
  if (cred.token.empty() && cred.client_cert_pem.empty()) {
    throw exec_error(what, "the plugin returned neither a token nor a client certificate and key");
  }
  return cred;
}

ExecCredential run_exec_plugin(const ExecConfig& exec, const RestConfig& config, std::chrono::milliseconds timeout) {
  const std::string what = "exec credential plugin \"" + exec.command + "\" (cluster \"" + config.exec_cluster_name + "\")";
  if (exec.api_version != kV1 && exec.api_version != kV1beta1) {
    throw Error(ErrorCode::unsupported, what + ": exec.apiVersion " + exec.api_version + " is not supported (" +
                                            std::string(kV1) + " or " + std::string(kV1beta1) + ")");
  }
  // Environment: ours, then the config's (a name given there replaces ours), then the exec info.
  std::vector<std::string> env;
  auto overridden = [&](std::string_view entry) {
    auto eq = entry.find('=');
    std::string_view name = entry.substr(0, eq);
    if (name == "KUBERNETES_EXEC_INFO") return true;
    for (const auto& [k, v] : exec.env) {
      if (k == name) return true;
    }
    return false;
  };
  for (char** e = environ; e && *e; ++e) {
    if (!overridden(*e)) env.emplace_back(*e);
  }
  for (const auto& [k, v] : exec.env) env.push_back(k + "=" + v);
  env.push_back("KUBERNETES_EXEC_INFO=" + exec_info_json(exec, config));
  std::vector<char*> envp;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_s;
  argv_s.push_back(exec.command);
  for (const auto& a : exec.args) argv_s.push_back(a);
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw exec_error(what, std::string("pipe: ") + std::strerror(errno));
  Fd out_r{out_pipe[0]}, out_w{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw exec_error(what, std::string("pipe: ") + std::strerror(errno));
  Fd err_r{err_pipe[0]}, err_w{err_pipe[1]};

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_w.fd, 2);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, exec.command.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    std::string msg = rc == ENOENT ? "executable not found" : std::string("cannot run: ") + std::strerror(rc);
    if (!exec.install_hint.empty()) msg += ". " + exec.install_hint;
    throw exec_error(what, msg);
  }
  out_w.close();
  err_w.close();

  std::string out, err;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2];
    int n = 0;
    if (out_r.fd >= 0) fds[n++] = {out_r.fd, POLLIN, 0};
    if (err_r.fd >= 0) fds[n++] = {err_r.fd, POLLIN, 0};
    int pr = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (pr < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[8192];
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      Fd& which = fds[i].fd == out_r.fd ? out_r : err_r;
      std::string& sink = fds[i].fd == out_r.fd ? out : err;
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        which.close();
      } else if (sink.size() < (4u << 20)) {
        sink.append(buf, static_cast<std::size_t>(got));
      }
    }
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) throw exec_error(what, "no answer within " + std::to_string(timeout.count() / 1000) + " s; killed");
  if (WIFSIGNALED(status)) {
    throw exec_error(what, "killed by signal " + std::to_string(WTERMSIG(status)) +
                               (err.empty() ? std::string() : ": " + stderr_tail(err)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    std::string msg = "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WEXITSTATUS(status) == 127 && !exec.install_hint.empty()) msg += ". " + exec.install_hint;
    if (!err.empty()) msg += ": " + stderr_tail(err);
    throw exec_error(what, msg);
  }
  return parse_exec_credential(out, exec, what);
}

}  // namespace vbackup::kube
