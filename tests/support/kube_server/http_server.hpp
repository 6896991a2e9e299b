// The HTTP/1.1 front of the test API server: Boost.Beast over Asio, a pool of threads, keep-alive,
// optional TLS (with optional client-certificate verification), gzip for large answers, delayed
// answers and chunked watch streams. No Beast or Asio type appears here.
#pragma once

#include "kube_server/api.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace vbackup::kubetest {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = any free port
  int threads = 2;
  bool tls = false;
  std::string cert_pem, key_pem;  // the server certificate (TLS)
  std::string client_ca_pem;      // client certificates signed by it authenticate ("" = none asked for)
  bool require_client_cert = false;  // refuse the TLS handshake without one
  // The API server compresses answers of at least 128 KiB when the client accepts gzip.
  std::size_t gzip_threshold = 128 * 1024;
};

class HttpServer {
 public:
  using Handler = std::function<ApiResponse(const ApiRequest&)>;
  using EndWatch = std::function<void(std::uint64_t)>;

  HttpServer(HttpServerOptions options, Handler handler, EndWatch end_watch);
  ~HttpServer();  // stops

  // Binds, listens and starts the threads. Throws Error naming the address when it cannot bind.
  void start();
  void stop();
  std::uint16_t port() const;
  // Runs fn after delay on a server thread (for CRD establishment, namespace finalization).
  void schedule(std::chrono::milliseconds delay, std::function<void()> fn);

  struct Impl;  // defined in http_server.cpp, where the sessions use it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vbackup::kubetest
