// A fault-injecting HTTP/1.1 proxy for tests: it listens on 127.0.0.1:<ephemeral> and forwards each
// client connection, byte for byte, to one upstream server (an emulator such as moto, s3rver or
// Azurite, or a TestHttpServer) over plain HTTP. Point the client at proxy.url() instead of the
// upstream. Request and response bytes are not rewritten (the Host header stays the proxy's, which is
// what the client signed), so signatures still verify upstream.
//
// Faults are switched on while it runs, from any thread, and each applies to the next requests that
// arrive (counted when a request header is read), in this order of precedence when several are
// armed: stall, fail, drop_request_after, drop_response_after. Each is used up after `count` requests.
//
//   FaultProxy proxy("127.0.0.1", s3rver_port);
//   proxy.slow_down_next(2);            // two 503 SlowDown answers, then the emulator answers
//   proxy.drop_response_after(1 << 20); // the next response is cut after 1 MiB of its body
//   proxy.stall_next(std::chrono::seconds(5));
//   ... run the client against proxy.url() ...
//   CHECK(proxy.requests() == 4);
//
// Byte counts of bodies are bytes on the wire (with chunked framing, if the body is chunked).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace vbackup::testing {

class FaultProxy {
 public:
  using HeaderList = std::vector<std::pair<std::string, std::string>>;

  FaultProxy(std::string upstream_host, unsigned short upstream_port);
  ~FaultProxy();  // closes every connection and stops
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::string url() const;  // "http://127.0.0.1:PORT", no trailing slash
  unsigned short port() const;

  // The next `count` requests are answered by the proxy itself with `status`, `headers` and `body`
  // (Content-Length added); their bodies are read and discarded and the upstream never sees them.
  // The connection stays open (keep-alive).
  void fail_next(int count, int status, std::string body = {}, HeaderList headers = {});
  // 503 "Slow Down" with S3's <Error><Code>SlowDown</Code>… body (how S3 throttles).
  void slow_down_next(int count);
  // 429 Too Many Requests with "Retry-After: <seconds>".
  void throttle_next(int count, int retry_after_seconds);
  // 503 with Azure's <Error><Code>ServerBusy</Code>… body (how Azure Storage throttles).
  void server_busy_next(int count);

  // The next `count` requests: forward the request header and the first `bytes` bytes of the
  // request body upstream, then close both connections (the client sees a reset or EOF while sending
  // or waiting for the response).
  void drop_request_after(std::uint64_t bytes, int count = 1);
  // The next `count` requests are forwarded whole, but their responses are cut: the response header
  // and the first `bytes` bytes of the response body reach the client, then both connections close.
  void drop_response_after(std::uint64_t bytes, int count = 1);
  // The next `count` requests: read the request header, send nothing for `duration` (nothing is
  // forwarded), then close the connection.
  void stall_next(std::chrono::milliseconds duration, int count = 1);
  // Faults hit only requests whose request line ("GET /bucket/backups/b/b.tar.gz HTTP/1.1")
  // contains `substring` ("" = every request, the default); other requests pass through and do not
  // use a fault up (brief "s3-faults": aim at the tarball, or at one backup of a sync).
  void only_for(std::string substring);
  // Disarms every fault not yet used (the only_for filter stays).
  void reset();

  std::size_t requests() const;     // request headers read from clients, faulted or not
  std::size_t forwarded() const;    // requests sent upstream (including ones later cut)
  std::size_t faults() const;       // faults applied so far
  std::size_t connections() const;  // client connections accepted

  static std::string s3_slow_down_body();
  static std::string azure_server_busy_body();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vbackup::testing
