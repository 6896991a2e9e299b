// kube-test-server: an in-memory Kubernetes API server for tests and benchmarks. It serves
// discovery (the built-in Kubernetes v1.33 groups, snapshot.storage.k8s.io and CRDs), OpenAPI v3
// as kubectl needs it, CRUD with the API server's metadata rules, paged LIST, watch, merge / JSON /
// strategic merge patch, Status errors, CRD establishment after a delay, optional TLS, bearer /
// basic / client-certificate auth, and fault switches (faults.hpp) set at start or through
// POST /__control. It starts in milliseconds:
//
//   vbackup::kubetest::KubeServer server({.seed = {"examples/manifests"}});
//   server.write_kubeconfig(dir / "kubeconfig");   // for kubectl or the library's client
//   ... server.url() ...                           // "http://127.0.0.1:41234"
//
// The executable (kube_server_main.cpp) wraps this class; see `kube-test-server --help`.
#pragma once

#include "kube_server/api.hpp"
#include "kube_server/tls.hpp"
#include "vbackup/json.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vbackup::kubetest {

class HttpServer;

struct KubeServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = a free port
  int threads = 2;
  std::size_t gzip_threshold = 128 * 1024;  // compress answers at least this large when the client accepts gzip
  // TLS: with no certificate given, a CA, a server certificate and a client certificate are made
  // at start (pki()), and written to cert_dir when set.
  bool tls = false;
  std::filesystem::path cert_dir;
  std::filesystem::path tls_cert_file, tls_key_file;
  std::filesystem::path client_ca_file;  // client certificates signed by it authenticate (default: the made CA)
  bool require_client_cert = false;      // the TLS handshake fails without a client certificate
  ApiOptions api;                        // auth (token, basic), delays, discovery switches
  std::vector<std::filesystem::path> seed;  // manifests to load at start
  json::object faults;                   // applied at start, as a POST /__control body
};

enum class KubeconfigAuth { automatic, none, token, basic, client_certificate };

class KubeServer {
 public:
  // Starts serving; throws Error when it cannot listen, Error(invalid) for bad options.
  explicit KubeServer(KubeServerOptions options = {});
  ~KubeServer();
  KubeServer(const KubeServer&) = delete;
  KubeServer& operator=(const KubeServer&) = delete;

  std::uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:PORT" or "https://..."
  // The certificates made at start (TLS without a given certificate), else nullptr.
  const TestPki* pki() const;
  // A kubeconfig for this server (context "kube-test-server", namespace "default"). automatic picks
  // the token when one is required, else basic auth when set, else the client certificate when
  // one is required, else no credentials. Certificates are embedded as *-data fields.
  std::string kubeconfig(KubeconfigAuth auth = KubeconfigAuth::automatic) const;
  void write_kubeconfig(const std::filesystem::path& path, KubeconfigAuth auth = KubeconfigAuth::automatic) const;

  Api& api();
  // Problems met while seeding (one line each: unknown kinds, invalid objects, manifest warnings).
  const std::vector<std::string>& seed_problems() const;

 private:
  KubeServerOptions options_;
  std::optional<TestPki> pki_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<Api> api_;
  std::vector<std::string> seed_problems_;
};

}  // namespace vbackup::kubetest
