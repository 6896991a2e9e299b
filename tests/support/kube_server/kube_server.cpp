#include "kube_server/kube_server.hpp"

#include "core/temp_file.hpp"
#include "kube_server/http_server.hpp"
#include "kube_server/util.hpp"
#include "vbackup/error.hpp"

#include <fstream>
#include <sstream>

namespace vbackup::kubetest {

namespace {

std::string read_file(const std::filesystem::path& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(std::string(what) + " " + path.string() + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

KubeServer::KubeServer(KubeServerOptions options) : options_(std::move(options)) {
  HttpServerOptions http;
  http.host = options_.host;
  http.port = options_.port;
  http.threads = options_.threads;
  http.gzip_threshold = options_.gzip_threshold;
  http.tls = options_.tls;
  http.require_client_cert = options_.require_client_cert;
  if (options_.tls) {
    if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
      if (options_.tls_cert_file.empty() || options_.tls_key_file.empty())
        throw invalid_input("kube-test-server: a TLS certificate needs both the certificate and the key file");
      http.cert_pem = read_file(options_.tls_cert_file, "TLS certificate");
      http.key_pem = read_file(options_.tls_key_file, "TLS key");
    } else {
      pki_ = generate_test_pki();
      if (!options_.cert_dir.empty()) write_test_pki(*pki_, options_.cert_dir);
      http.cert_pem = pki_->server_cert;
      http.key_pem = pki_->server_key;
    }
    if (!options_.client_ca_file.empty()) http.client_ca_pem = read_file(options_.client_ca_file, "client CA");
    else if (pki_) http.client_ca_pem = pki_->ca_cert;
  } else if (options_.require_client_cert) {
    throw invalid_input("kube-test-server: client certificates need TLS");
  }
  http_ = std::make_unique<HttpServer>(
      std::move(http), [this](const ApiRequest& r) { return api_->handle(r); },
      [this](std::uint64_t id) { api_->end_watch(id); });
  HttpServer* server = http_.get();
  api_ = std::make_unique<Api>(options_.api, [server](std::chrono::milliseconds d, std::function<void()> fn) {
    server->schedule(d, std::move(fn));
  });
  if (!options_.faults.empty()) api_->control(options_.faults);
  if (!options_.seed.empty()) seed_problems_ = api_->seed(options_.seed);
  http_->start();
  api_->set_server_address(options_.host + ":" + std::to_string(http_->port()));
}

KubeServer::~KubeServer() {
  api_->end_all_watches();  // watch sinks hold the server's executors: they go first
  http_.reset();            // threads stop before the Api they call goes
  api_.reset();
}

std::uint16_t KubeServer::port() const { return http_->port(); }

std::string KubeServer::url() const {
  return std::string(options_.tls ? "https://" : "http://") + options_.host + ":" + std::to_string(port());
}

const TestPki* KubeServer::pki() const { return pki_ ? &*pki_ : nullptr; }

Api& KubeServer::api() { return *api_; }

const std::vector<std::string>& KubeServer::seed_problems() const { return seed_problems_; }

std::string KubeServer::kubeconfig(KubeconfigAuth auth) const {
  const std::string& token = options_.api.token;
  const std::string& basic = options_.api.basic_auth;
  if (auth == KubeconfigAuth::automatic) {
    if (!token.empty()) auth = KubeconfigAuth::token;
    else if (!basic.empty()) auth = KubeconfigAuth::basic;
    else if (options_.require_client_cert && pki_) auth = KubeconfigAuth::client_certificate;
    else auth = KubeconfigAuth::none;
  }
  std::string y = "apiVersion: v1\nkind: Config\nclusters:\n- name: kube-test-server\n  cluster:\n    server: " + url() + "\n";
  if (options_.tls) {
    if (pki_) y += "    certificate-authority-data: " + base64_encode(pki_->ca_cert) + "\n";
    else y += "    insecure-skip-tls-verify: true\n";
  }
  y += "contexts:\n- name: kube-test-server\n  context:\n    cluster: kube-test-server\n    user: test-user\n"
       "    namespace: default\ncurrent-context: kube-test-server\npreferences: {}\nusers:\n- name: test-user\n  user:";
  switch (auth) {
    case KubeconfigAuth::token:
      y += "\n    token: " + token + "\n";
      break;
    case KubeconfigAuth::basic: {
      auto colon = basic.find(':');
      y += "\n    username: " + basic.substr(0, colon) + "\n    password: " +
           (colon == std::string::npos ? std::string() : basic.substr(colon + 1)) + "\n";
      break;
    }
    case KubeconfigAuth::client_certificate:
      if (!pki_) throw invalid_input("kube-test-server: no client certificate was made (TLS with generated certificates only)");
      y += "\n    client-certificate-data: " + base64_encode(pki_->client_cert) +
           "\n    client-key-data: " + base64_encode(pki_->client_key) + "\n";
      break;
    default:
      y += " {}\n";
  }
  return y;
}

void KubeServer::write_kubeconfig(const std::filesystem::path& path, KubeconfigAuth auth) const {
  // Written beside it, then renamed: a test that waits for the file to appear (the Python fixtures
  // poll for it) never reads it half written.
  ::vbackup::detail::replace_file(path, kubeconfig(auth), "kubeconfig " + path.string());
}

}  // namespace vbackup::kubetest
