// From a kubeconfig context (or the in-cluster service account) to what a client needs: client-go's
// DirectClientConfig.ClientConfig(), its validation (clientcmd/validation.go) and
// rest.InClusterConfig().
#include "core/strings.hpp"
#include "http/client.hpp"
#include "kube/internal.hpp"
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"

#include <cstdlib>
#include <fstream>
#include <system_error>

namespace vbackup::kube {

static RestConfig load_rest_config_from(const ConnectOptions& options);  // the kubeconfig or in-cluster config

namespace {

namespace fs = std::filesystem;

std::string dq(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string files_text(const Kubeconfig& config) {
  if (config.files.empty()) return "<input>";
  std::string out;
  for (const auto& f : config.files) out += (out.empty() ? "" : ":") + f.string();
  return out;
}

// rest.DefaultServerURL: a host without a scheme gets https:// when TLS is configured, else http://.
std::string server_url(std::string server, bool tls) {
  if (server.rfind("http://", 0) != 0 && server.rfind("https://", 0) != 0) {
    server = (tls ? "https://" : "http://") + server;
  }
  while (server.size() > 8 && server.back() == '/') server.pop_back();
  return server;
}

}  // namespace

std::string read_small_file(const fs::path& path, std::string_view what, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(std::string(what) + " " + path.string() + ": cannot read the file");
  std::string out;
  char buf[8192];
  while (in) {
    in.read(buf, sizeof buf);
    out.append(buf, static_cast<std::size_t>(in.gcount()));
    if (out.size() > limit) {
      throw invalid_input(std::string(what) + " " + path.string() + ": larger than " + std::to_string(limit) + " bytes");
    }
  }
  if (in.bad()) throw io_error(std::string(what) + " " + path.string() + ": cannot read the file");
  return out;
}

RestConfig rest_config(const Kubeconfig& config, std::string_view context_name) {
  const std::string where = "kubeconfig " + files_text(config);
  std::string name(context_name.empty() ? std::string_view(config.current_context) : context_name);
  if (name.empty()) {
    if (config.clusters.empty() && config.contexts.empty() && config.users.empty()) {
      throw invalid_input(where + ": no configuration has been provided (no clusters, users or contexts)");
    }
    throw invalid_input(where + ": current-context is not set and no context was given (--kubecontext)");
  }
  auto ctx_it = config.contexts.find(name);
  if (ctx_it == config.contexts.end()) {
    std::string known;
    for (const auto& [k, v] : config.contexts) known += (known.empty() ? "" : ", ") + dq(k);
    throw invalid_input(where + ": context " + dq(name) + " not found" +
                        (known.empty() ? std::string(" (the file defines no contexts)") : " (contexts: " + known + ")"));
  }
  const Context& ctx = ctx_it->second;
  const std::string ctx_where = "kubeconfig " + ctx.origin.string() + ": context " + dq(name);

  auto cl_it = config.clusters.find(ctx.cluster);
  if (cl_it == config.clusters.end()) {
    throw invalid_input(ctx_where + ": cluster " + dq(ctx.cluster) + " not found");
  }
  const Cluster& cluster = cl_it->second;
  const std::string cl_where = "kubeconfig " + cluster.origin.string() + ": cluster " + dq(ctx.cluster);

  AuthInfo empty_user;
  const AuthInfo* user = &empty_user;
  if (!ctx.user.empty()) {
    auto u_it = config.users.find(ctx.user);
    if (u_it == config.users.end()) throw invalid_input(ctx_where + ": user " + dq(ctx.user) + " not found");
    user = &u_it->second;
  }
  const std::string u_where = "kubeconfig " + user->origin.string() + ": user " + dq(ctx.user);

  // validateClusterInfo
  std::vector<std::string> problems;
  if (cluster.server.empty()) problems.push_back(cl_where + ": no server defined");
  if (!cluster.certificate_authority.empty() && !cluster.certificate_authority_data.empty()) {
    problems.push_back(cl_where + ": certificate-authority-data and certificate-authority are both specified");
  }
  if (cluster.insecure_skip_tls_verify && (!cluster.certificate_authority.empty() || !cluster.certificate_authority_data.empty())) {
    // client-go's transport refuses the combination ("specifying a root certificates file with the
    // insecure flag is not allowed").
    problems.push_back(cl_where + ": insecure-skip-tls-verify cannot be combined with a certificate authority");
  }
  // validateAuthInfo
  std::vector<std::string> methods;
  if (!user->token.empty() || !user->token_file.empty()) methods.push_back("token");
  if (!user->username.empty() || !user->password.empty()) methods.push_back("basicAuth");
  bool has_cert = !user->client_certificate.empty() || !user->client_certificate_data.empty();
  bool has_key = !user->client_key.empty() || !user->client_key_data.empty();
  if (has_cert) {
    if (!user->client_certificate.empty() && !user->client_certificate_data.empty()) {
      problems.push_back(u_where + ": client-certificate-data and client-certificate are both specified");
    }
    if (!user->client_key.empty() && !user->client_key_data.empty()) {
      problems.push_back(u_where + ": client-key-data and client-key are both specified");
    }
    if (!has_key) problems.push_back(u_where + ": client-key-data or client-key must be specified to use a client certificate");
  } else if (has_key) {
    problems.push_back(u_where + ": client-key given without client-certificate");
  }
  if (user->exec) {
    const ExecConfig& e = *user->exec;
    if (!user->auth_provider.empty()) problems.push_back(u_where + ": auth-provider cannot be combined with exec");
    if (e.command.empty()) problems.push_back(u_where + ": exec.command must be specified");
    if (e.api_version.empty()) problems.push_back(u_where + ": exec.apiVersion must be specified");
    for (const auto& [k, v] : e.env) {
      if (k.empty()) problems.push_back(u_where + ": exec.env: a variable without a name");
    }
    if (e.interactive_mode.empty()) {
      problems.push_back(u_where + ": exec.interactiveMode must be specified for " + e.api_version);
    } else if (e.interactive_mode != "Never" && e.interactive_mode != "IfAvailable" && e.interactive_mode != "Always") {
      problems.push_back(u_where + ": exec.interactiveMode: invalid value " + dq(e.interactive_mode) +
                         " (Never, IfAvailable or Always)");
    }
  }
  if (methods.size() > 1) {
    problems.push_back(u_where + ": more than one authentication method found (token and basicAuth), only one is allowed");
  }
  if ((!user->impersonate_uid.empty() || !user->impersonate_groups.empty() || !user->impersonate_extra.empty()) &&
      user->impersonate.empty()) {
    problems.push_back(u_where + ": as-uid, as-groups or as-user-extra given without as (impersonated user)");
  }
  if (!problems.empty()) {
    std::string msg = problems.front();
    for (std::size_t i = 1; i < problems.size(); ++i) msg += "; " + problems[i];
    throw invalid_input(msg);
  }
  if (!user->auth_provider.empty()) {
    throw Error(ErrorCode::unsupported,
                u_where + ": auth-provider " + dq(user->auth_provider) +
                    " is not supported (client-go removed the in-tree providers in v1.26); use an exec credential "
                    "plugin such as gke-gcloud-auth-plugin or kubelogin");
  }
  if (!cluster.proxy_url.empty()) {
    throw Error(ErrorCode::unsupported, cl_where + ": proxy-url is not supported; reach the API server directly");
  }
  if (user->exec && user->exec->interactive_mode == "Always") {
    throw Error(ErrorCode::unsupported,
                u_where + ": exec plugin " + dq(user->exec->command) +
                    " requires interactiveMode Always, and libvbackup never runs a plugin interactively");
  }

  RestConfig rc;
  rc.context = name;
  rc.source = "kubeconfig " + files_text(config) + ", context " + dq(name);
  rc.namespace_ = ctx.namespace_.empty() ? "default" : ctx.namespace_;
  rc.insecure_skip_tls_verify = cluster.insecure_skip_tls_verify;
  rc.tls_server_name = cluster.tls_server_name;
  rc.disable_compression = cluster.disable_compression;
  if (!cluster.certificate_authority_data.empty()) {
    rc.ca_pem = cluster.certificate_authority_data;
    rc.ca_origin = "certificate-authority-data of cluster " + dq(ctx.cluster) + " in " + cluster.origin.string();
  } else if (!cluster.certificate_authority.empty()) {
    // Read now, so a missing file is a configuration error naming it, as client-go's validation does.
    rc.ca_pem = read_small_file(cluster.certificate_authority, cl_where + ": certificate-authority", 4 << 20);
    rc.ca_file = cluster.certificate_authority;
    rc.ca_origin = "certificate-authority file " + cluster.certificate_authority;
  } else {
    rc.ca_origin = "the system trust store";
  }
  if (has_cert) {
    rc.client_cert_pem = !user->client_certificate_data.empty()
                             ? user->client_certificate_data
                             : read_small_file(user->client_certificate, u_where + ": client-certificate", 4 << 20);
    rc.client_key_pem = !user->client_key_data.empty()
                            ? user->client_key_data
                            : read_small_file(user->client_key, u_where + ": client-key", 4 << 20);
  }
  if (!user->token.empty()) {
    rc.bearer_token = user->token;  // token wins over tokenFile, as in client-go
  } else if (!user->token_file.empty()) {
    rc.bearer_token = trim_space(read_small_file(user->token_file, u_where + ": tokenFile", 1 << 20));
    rc.bearer_token_file = user->token_file;
  }
  rc.username = user->username;
  rc.password = user->password;
  rc.exec = user->exec;
  rc.exec_cluster_name = ctx.cluster;
  rc.impersonate = user->impersonate;
  rc.impersonate_uid = user->impersonate_uid;
  rc.impersonate_groups = user->impersonate_groups;
  rc.impersonate_extra = user->impersonate_extra;
  bool tls = !rc.ca_pem.empty() || !rc.client_cert_pem.empty() || rc.insecure_skip_tls_verify ||
             !rc.tls_server_name.empty();
  rc.server = server_url(cluster.server, tls);
  return rc;
}

RestConfig in_cluster_config(const fs::path& root) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) {
    throw Error(ErrorCode::invalid,
                "in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set "
                "(not running in a pod?)");
  }
  RestConfig rc;
  std::string h(host);
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // net.JoinHostPort for IPv6
  rc.server = "https://" + h + ":" + port;
  rc.source = "in-cluster service account " + root.string();
  const fs::path token = root / "token";
  rc.bearer_token = trim_space(read_small_file(token, "in-cluster configuration: token", 1 << 20));
  rc.bearer_token_file = token.string();
  const fs::path ca = root / "ca.crt";
  std::error_code ec;
  if (fs::exists(ca, ec)) {
    rc.ca_pem = read_small_file(ca, "in-cluster configuration: CA", 4 << 20);
    rc.ca_file = ca.string();
    rc.ca_origin = "service-account CA file " + ca.string();
  } else {
    rc.ca_origin = "the system trust store (no " + ca.string() + ")";
  }
  // clientcmd's in-cluster namespace: $POD_NAMESPACE, then the service account's namespace file.
  if (const char* ns = std::getenv("POD_NAMESPACE"); ns && *ns) {
    rc.namespace_ = ns;
  } else if (fs::exists(root / "namespace", ec)) {
    std::string ns_text = trim_space(read_small_file(root / "namespace", "in-cluster configuration: namespace", 4096));
    if (!ns_text.empty()) rc.namespace_ = ns_text;
  }
  return rc;
}

std::chrono::milliseconds parse_request_timeout(std::string_view text, std::string_view what) {
  return http::parse_request_timeout(text, what);
}

RestConfig load_rest_config(const ConnectOptions& options) {
  RestConfig rc = load_rest_config_from(options);
  if (options.request_timeout) rc.timeout = *options.request_timeout;
  if (options.notice) rc.notice = options.notice;
  return rc;
}

static RestConfig load_rest_config_from(const ConnectOptions& options) {
  if (!options.kubeconfig.empty()) {
    std::error_code ec;
    if (!fs::exists(options.kubeconfig, ec)) {
      throw not_found("kubeconfig " + options.kubeconfig + ": no such file");
    }
    return rest_config(Kubeconfig::merge({fs::path(options.kubeconfig)}), options.context);
  }
  std::vector<fs::path> files = default_kubeconfig_files();
  bool any = false;
  for (const auto& f : files) {
    std::error_code ec;
    if (fs::exists(f, ec)) any = true;
  }
  if (!any) {
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    if (options.allow_in_cluster && host && *host && options.context.empty()) {
      return in_cluster_config(options.in_cluster_root);
    }
    std::string tried;
    for (const auto& f : files) tried += (tried.empty() ? "" : ", ") + f.string();
    throw not_found("no kubeconfig found (looked for " + (tried.empty() ? std::string("$KUBECONFIG and $HOME/.kube/config") : tried) +
                    "); pass --kubeconfig, set $KUBECONFIG, or run in a pod");
  }
  return rest_config(Kubeconfig::merge(files), options.context);
}

}  // namespace vbackup::kube
