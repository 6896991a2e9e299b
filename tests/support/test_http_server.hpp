// A small HTTP/1.1 server on 127.0.0.1:<ephemeral> for tests: a handler decides each reply from the
// request; bodies can be large and are streamed both ways (the server never holds more than a
// configurable prefix of a request body, and generates large reply bodies on the fly), so memory
// tests of a client in the same process stay meaningful. Optional TLS, optionally requiring a
// client certificate. Thread per connection; everything stops in the destructor.
//
//   TestHttpServer server([](const ServerRequest& r) {
//     ServerReply reply;
//     reply.body = "hello " + r.target;
//     return reply;
//   });
//   client.send({.url = server.url() + "/x"});
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vbackup::testing {

// Deterministic content for large bodies: byte `offset` of a pattern body is pattern_byte(offset).
unsigned char pattern_byte(std::uint64_t offset);
void fill_pattern(void* buffer, std::uint64_t offset, std::size_t size);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ServerRequest {
  std::string method;
  std::string target;  // as sent: path and query
  HeaderList headers;
  std::string body;                   // the first keep_body bytes of the body
  std::uint64_t body_size = 0;        // all of it
  bool body_is_pattern = true;        // every byte equals pattern_byte(its offset) (true when empty)
  std::size_t connection = 0;         // 1 for the first connection accepted, 2 for the next, …
  std::size_t request_on_connection = 0;  // 1 for the first request on its connection
  std::string client_certificate_cn;  // TLS with client certificates: the peer's common name
  std::string tls_server_name;        // TLS: the SNI the client sent (empty when none)
  std::optional<std::string> header(std::string_view name) const;  // case-insensitive, first
};

struct ServerReply {
  int status = 200;
  HeaderList headers;                 // Content-Length / Transfer-Encoding are added by the server
  std::string body;
  std::uint64_t pattern_size = 0;     // > 0: ignore `body` and stream this many pattern bytes
  bool chunked = false;               // Transfer-Encoding: chunked instead of Content-Length
  bool gzip = false;                  // gzip `body` and add Content-Encoding: gzip
  bool close = false;                 // Connection: close, then close
  std::chrono::milliseconds delay{0};         // wait before sending anything
  std::chrono::milliseconds stall_after_header{0};  // send the header, then nothing for this long
};

using Handler = std::function<ServerReply(const ServerRequest&)>;

struct ServerTls {
  std::string cert_pem;       // server certificate chain
  std::string key_pem;
  std::string client_ca_pem;  // non-empty: a client certificate signed by this CA is required
};

class TestHttpServer {
 public:
  explicit TestHttpServer(Handler handler, std::optional<ServerTls> tls = std::nullopt,
                          std::size_t keep_body = 1 << 20);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  std::string url() const;  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT", no trailing slash
  unsigned short port() const;
  std::size_t connections() const;           // accepted so far
  std::size_t max_open_connections() const;  // the most open at the same time
  std::size_t requests() const;              // complete requests handled

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vbackup::testing
