// Internal to src/http: what transport.cpp (pool, connect, TLS) and transport_exchange.cpp (one
// request/response) share. Includes Beast and Asio: include it from those two files only (each such
// translation unit costs ~8 s and 600 MB to compile).
//
// Threading: every pooled connection owns a single-threaded io_context on which its stream and
// timers live. The thread that uses the connection starts an operation and drives that io_context
// itself (run_here) until the operation's handler has run: no other thread, no post, no wake-up;
// Asio's speculative non-blocking read/write means a small request, or a response already in the
// socket, costs no epoll wait at all. A connection moves between threads only through the pool's
// mutex (acquire/release) or inside its Exchange, which is used by one thread at a time: so one
// thread at a time drives its io_context.
#pragma once

#include "http/transport.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace vbackup::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// An idle pooled connection older than this is closed rather than reused: servers drop idle
// keep-alive connections (S3 after ~20 s, many servers after 60 s), and a request sent on a
// connection the server is closing fails for no reason of its own.
inline constexpr auto kMaxIdle = std::chrono::seconds(15);
inline constexpr std::size_t kHeaderLimit = 64 * 1024;
inline constexpr std::size_t kReadBuffer = 64 * 1024;

struct Conn {
  // First member: the io_context outlives the streams and timers built on it (members are
  // destroyed in reverse order). Concurrency hint 1: one thread at a time runs it.
  asio::io_context ioc{1};
  std::optional<beast::tcp_stream> tcp;  // plain http
  std::optional<TlsStream> tls;          // https
  beast::flat_buffer buffer;
  std::string origin;
  Clock::time_point idle_since;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }
  template <class F>
  auto visit(F&& f) {
    if (tls) return f(*tls);
    return f(*tcp);
  }
};

struct OpResult {
  error_code ec;
  std::size_t n = 0;
};

// Runs `start(done)` on the calling thread and drives the connection's io_context until `done(ec,
// n)` has been called; a budget with a notice is ticked every 100 ms while it waits. Not run() to
// completion: a tcp_stream's timeout timer stays pending after its operation has completed.
template <class Start>
OpResult run_here(Conn& c, Start&& start, Budget* budget = nullptr) {
  OpResult r;
  bool done = false;
  if (c.ioc.stopped()) c.ioc.restart();
  start([&r, &done](error_code ec, std::size_t n) {
    r = OpResult{ec, n};
    done = true;
  });
  const bool ticking = budget && budget->notice;
  while (!done) {
    std::size_t ran = ticking ? c.ioc.run_one_for(std::chrono::milliseconds(100)) : c.ioc.run_one();
    if (ticking) budget->tick();
    if (ran == 0 && c.ioc.stopped() && !done) {
      // Out of work without the handler having run: cannot happen while an operation is pending;
      // an error rather than a spin if it ever does.
      return OpResult{asio::error::operation_aborted, 0};
    }
  }
  return r;
}

inline std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

// The limit of one wait: `limit`, cut to the budget's deadline.
struct WaitLimit {
  std::chrono::milliseconds limit;
  bool cut = false;  // the request timeout is what ends it
  WaitLimit(Budget* budget, std::chrono::milliseconds l) : limit(l) {
    if (budget) limit = budget->wait_limit(l, cut);
  }
  // Why a wait of this limit timed out; marks the budget spent when it was the deadline.
  std::string timed_out(Budget* budget, const char* which) const {
    if (cut && budget) {
      budget->exhausted = true;
      return "no answer within the request timeout";
    }
    return std::string("no data for ") + ms_text(limit) + " (" + which + ")";
  }
};

// Refused, reset, EOF, timeout: worth another attempt (transport.cpp).
bool transient(const error_code& ec);
// The cause of a failed wait, for a TransportFailure message (transport.cpp).
std::string describe(const error_code& ec, const WaitLimit& wait, Budget* budget, const char* which);

struct Transport::Impl {
  ClientOptions options;
  std::optional<ssl::context> tls_ctx;
  std::string ca_sources;  // "system store + ca_pem + ca_file /x" for verification messages
  bool system_store_wanted = false;
  std::once_flag system_store_loaded;

  // Host name resolution only (getaddrinfo has no timeout, so it runs asynchronously against the
  // connect deadline): a shared io_context and one thread, started by the first name that is not
  // an IP literal. Socket I/O never runs here.
  asio::io_context resolver_ioc{1};
  std::once_flag resolver_started;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> resolver_work;
  std::thread resolver_thread;

  struct Pool {
    std::deque<std::unique_ptr<Conn>> idle;
    std::size_t open = 0;  // idle + in use
  };
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, Pool> pools;

  explicit Impl(const ClientOptions& o);
  ~Impl();

  void setup_tls();
  void load_system_store();
  static bool still_usable(Conn& c);
  static void close(std::unique_ptr<Conn> c);
  void release(std::unique_ptr<Conn> c, bool reusable);
  std::pair<std::unique_ptr<Conn>, bool> acquire(const Url& url, Budget* budget);
  std::unique_ptr<Conn> connect(const Url& url, Budget* budget);
  // The endpoints of url's host and port, by the connect deadline. `timed_out` words the cause.
  std::vector<tcp::endpoint> resolve(const Url& url, Clock::time_point deadline, Budget* budget,
                                     const std::function<std::string(const char*)>& timed_out);
  void tls_handshake(Conn& c, const Url& url, Clock::time_point deadline,
                     const std::function<std::string()>& timed_out, Budget* budget);
};

}  // namespace vbackup::http::detail
