// The connection layer under Client: a keep-alive pool per origin, connect/TLS, and one
// request/response exchange at a time per connection, each connection with its own io_context
// driven by the calling thread (no I/O threads; one thread resolves host names). Retries, signing,
// gzip and messages live in client.cpp; Beast and Asio live only in transport.cpp (pool, connect,
// TLS), transport_exchange.cpp (the exchange) and the header they share, transport_conn.hpp.
#pragma once

#include "http/client.hpp"

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace vbackup::http::detail {

// Why one attempt failed below HTTP. `stage` says how far the request got, which decides whether
// a non-idempotent request may be retried: only `connect` failures certainly never reached the server.
struct TransportFailure : std::exception {
  enum class Stage { connect, send, receive };
  Stage stage;
  bool retryable;      // refused, reset, EOF, timeout; not certificate or protocol errors
  std::string cause;   // "connection refused", "no data for 2000 ms (io_timeout)", …; never a header value
  TransportFailure(Stage s, bool r, std::string c) : stage(s), retryable(r), cause(std::move(c)) {}
  const char* what() const noexcept override { return cause.c_str(); }
};

// What one call of Client may still wait for its server (ClientOptions::request_timeout), over
// all its attempts, and the notice of a long wait. Time during which body bytes move is given back
// (the deadline moves on by it), so only waiting is counted. Used by one thread at a time.
struct Budget {
  using Clock = std::chrono::steady_clock;
  Clock::time_point deadline = Clock::time_point::max();  // max(): no request timeout
  Clock::time_point quiet_since = Clock::now();          // since when nothing has moved
  std::chrono::milliseconds notice_after{0};             // 0: no notice
  std::function<void(std::chrono::milliseconds waited)> notice;  // called at most once
  bool noticed = false;
  bool exhausted = false;  // a wait ended because the deadline came

  bool limited() const { return deadline != Clock::time_point::max(); }
  // The longest the next wait may last: `limit`, or what is left before the deadline when that
  // comes first (then `cut` is set).
  std::chrono::milliseconds wait_limit(std::chrono::milliseconds limit, bool& cut) const;
  // Bytes moved during `took`: it does not count against the deadline, and waiting starts anew.
  void moved(Clock::duration took);
  // Called by a waiting thread now and then: the notice, once the wait passes notice_after.
  void tick();
};

// One request/response on one pooled connection. Blocking; used by one thread at a time.
// Destroying it before the body was read to the end closes the connection.
class Exchange {
 public:
  virtual ~Exchange() = default;
  // True when the connection came from the pool rather than a fresh connect.
  virtual bool reused() const = 0;
  // Sends raw request bytes (`a` then `b`, in one write when both are small).
  virtual void write(std::string_view a, std::string_view b = {}) = 0;
  // Reads the response header (1xx interim responses skipped); `head_request` means no body follows.
  virtual Response read_header(bool head_request) = 0;
  // Reads up to `size` bytes of the body as sent (chunked framing removed, content coding kept);
  // 0 at the end, when the connection goes back to the pool if the server keeps it alive.
  virtual std::size_t read_body(void* buffer, std::size_t size) = 0;
  // Body bytes read so far.
  virtual std::uint64_t body_bytes() const = 0;
  // The budget its waits are bounded by (nullptr: only io_timeout), e.g. none once open() has
  // handed the body to the caller.
  virtual void set_budget(Budget* budget) = 0;
};

class Transport {
 public:
  explicit Transport(const ClientOptions& options);  // Error(invalid) for unusable TLS options
  ~Transport();  // no Exchange may outlive it
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // A connection to the URL's origin: an idle pooled one, or a new one when fewer than
  // max_connections_per_origin are open, else waits for one to be released.
  // Throws TransportFailure(connect, …). Connecting (and waiting for a free connection) is
  // bounded by `budget` too, which the exchange keeps for its waits.
  std::unique_ptr<Exchange> open(const Url& url, Budget* budget = nullptr);

  struct Impl;  // transport_conn.hpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vbackup::http::detail
