// The HTTP client's ceiling on loopback: small GETs over keep-alive against the test server of
// tests/support, from 1 and from 4 threads, plain HTTP and TLS. Later benchmarks (S3, Azure,
// Kubernetes) can compare their request rates with these figures.
//
//   http_bench [seconds-per-case]     (default 3)
#include "http/client.hpp"

#include "test_http_server.hpp"
#include "test_pki.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace vbackup;
using namespace vbackup::testing;

namespace {

double run(http::Client& client, const std::string& url, int threads, std::chrono::milliseconds duration) {
  std::atomic<long> done{0}, failed{0};
  auto stop = std::chrono::steady_clock::now() + duration;
  std::vector<std::thread> ts;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      while (std::chrono::steady_clock::now() < stop) {
        http::Request r;
        r.url = url;
        auto resp = client.send(r);
        if (resp.status == 200 && resp.body.size() == 64) ++done;
        else ++failed;
      }
    });
  }
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failed) std::printf("  (%ld failed requests)\n", failed.load());
  return done / secs;
}

}  // namespace

int main(int argc, char** argv) {
  auto duration = std::chrono::milliseconds(static_cast<long>(1000 * (argc > 1 ? std::atof(argv[1]) : 3.0)));
  auto handler = [](const ServerRequest&) {
    ServerReply r;
    r.body = std::string(64, 'x');
    return r;
  };
  TestCertificate ca = make_test_ca("bench CA");
  TestCertificate leaf = make_test_leaf(ca, "127.0.0.1", {}, {"127.0.0.1"});
  TestHttpServer plain(handler);
  TestHttpServer tls(handler, ServerTls{leaf.cert_pem, leaf.key_pem, ""});

  std::printf("small GETs (64-byte body) over keep-alive on loopback, %.1f s per case\n", duration.count() / 1000.0);
  for (bool use_tls : {false, true}) {
    for (int threads : {1, 4}) {
      http::ClientOptions o;
      o.tls.ca_pem = ca.cert_pem;
      o.max_connections_per_origin = 8;
      http::Client client(o);
      TestHttpServer& server = use_tls ? tls : plain;
      std::size_t before = server.connections();
      double rps = run(client, server.url() + "/small", threads, duration);
      std::printf("%-5s %d thread%s: %8.0f requests/s  (%zu connections)\n", use_tls ? "https" : "http", threads,
                  threads == 1 ? " " : "s", rps, server.connections() - before);
    }
  }
  return 0;
}
