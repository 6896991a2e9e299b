// Internal to src/http: what transport.cpp (pool, connect, TLS) and transport_exchange.cpp (one
// request/response) share. Includes Beast and Asio: include it from those two files only (each such
// translation unit costs ~8 s and 600 MB to compile).
//
// Threading: every pooled connection is used by one thread at a time, the one holding it: a
// connection moves between threads only through the pool's mutex (acquire/release) or inside its
// Exchange. Its reads and writes, TLS included, are system calls on that thread with poll() for
// the waits (PollSocket); only the connect runs through the connection's own single-threaded
// io_context, which that thread drives itself (run_here): no other thread, no post, no wake-up.
#pragma once

#include "http/transport.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <climits>
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

// An idle pooled connection older than this is closed rather than reused: servers drop idle
// keep-alive connections (S3 after ~20 s, many servers after 60 s), and a request sent on a
// connection the server is closing fails for no reason of its own.
inline constexpr auto kMaxIdle = std::chrono::seconds(15);
inline constexpr std::size_t kHeaderLimit = 64 * 1024;
inline constexpr std::size_t kReadBuffer = 64 * 1024;

// A connection's socket as a synchronous stream whose waits end at a deadline: Beast reads and
// writes plain http on it, ssl::stream runs TLS over it. Measured on a 10k-item restore: the
// asynchronous path (a beast::tcp_stream, its timer armed per operation) spent two epoll_wait and
// two timerfd_settime calls and Asio's operation machinery on every request; here a request is one
// sendmsg, one poll and one recvmsg, and the client's CPU is 8-16% lower (docs/benchmarks.md,
// issue 17 session 9). Errors are those of the asynchronous path: beast::error::timeout when the deadline
// passes, asio::error::eof at the peer's end, system errors as they come.
class PollSocket {
 public:
  using lowest_layer_type = tcp::socket::lowest_layer_type;  // for ssl::stream
  explicit PollSocket(tcp::socket& socket) : socket_(&socket) {}
  lowest_layer_type& lowest_layer() { return socket_->lowest_layer(); }

  // Bounds the waits of the operation that follows: they end `limit` from now, or at `deadline`.
  // poll_first: the caller expects to wait (an answer to a request just sent), so a speculative
  // recvmsg would only return EAGAIN.
  void arm(std::chrono::milliseconds limit, Budget* budget, bool poll_first = false) {
    arm_until(Clock::now() + limit, budget, poll_first);
  }
  void arm_until(Clock::time_point deadline, Budget* budget, bool poll_first = false) {
    deadline_ = deadline;
    budget_ = budget;
    poll_first_ = poll_first;
  }

  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, error_code& ec) {
    ec = {};
    if (asio::buffer_size(buffers) == 0) return 0;
    if (poll_first_) {
      poll_first_ = false;
      if (!wait(POLLIN, ec)) return 0;
    }
    std::size_t n = transfer(buffers, POLLIN, ec, [this](msghdr& msg) { return ::recvmsg(fd_(), &msg, MSG_DONTWAIT); });
    if (n == 0 && !ec) ec = asio::error::eof;  // room to read into, and nothing came: the peer's end
    return n;
  }

  template <class Buffers>
  std::size_t write_some(const Buffers& buffers, error_code& ec) {
    ec = {};
    if (asio::buffer_size(buffers) == 0) return 0;
    return transfer(buffers, POLLOUT, ec,
                    [this](msghdr& msg) { return ::sendmsg(fd_(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL); });
  }

  // The throwing forms complete the SyncReadStream and SyncWriteStream concepts.
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers) {
    error_code ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers) {
    error_code ec;
    std::size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  static constexpr std::size_t kMaxIov = 16;

  // One recvmsg or sendmsg (`call`) over the buffers, waiting for `events` while the socket has
  // nothing to give or no room, until the deadline. `buffers` is not empty.
  template <class Buffers, class Call>
  std::size_t transfer(const Buffers& buffers, short events, error_code& ec, Call&& call) {
    std::array<iovec, kMaxIov> iov;
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = to_iovec(buffers, iov);
    for (;;) {
      ssize_t n = call(msg);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        ec = error_code(errno, asio::error::get_system_category());
        return 0;
      }
      if (!wait(events, ec)) return 0;
    }
  }

  template <class Buffers>
  static std::size_t to_iovec(const Buffers& buffers, std::array<iovec, kMaxIov>& iov) {
    std::size_t count = 0;
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers) && count < kMaxIov;
         ++it) {
      auto b = *it;
      if (b.size() == 0) continue;
      iov[count].iov_base = const_cast<void*>(static_cast<const void*>(b.data()));
      iov[count].iov_len = b.size();
      ++count;
    }
    return count;
  }

  // Until the socket is ready for `events` (or reports an error, which the next call returns):
  // false with beast::error::timeout once the deadline passes. A budget with a notice is ticked
  // every 100 ms, as run_here does.
  bool wait(short events, error_code& ec) {
    const bool ticking = budget_ && budget_->notice;
    for (;;) {
      auto now = Clock::now();
      if (now >= deadline_) {
        ec = beast::error::timeout;
        return false;
      }
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - now).count();
      if (ticking) left = std::min<decltype(left)>(left, 100);
      pollfd p{fd_(), events, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::min<decltype(left)>(left, INT_MAX)));
      if (ticking) budget_->tick();
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) {
        ec = error_code(errno, asio::error::get_system_category());
        return false;
      }
    }
  }

  int fd_() const { return socket_->native_handle(); }

  tcp::socket* socket_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Budget* budget_ = nullptr;
  bool poll_first_ = false;
};

struct Conn {
  // First member: the io_context outlives the socket and the connect timer built on it (members
  // are destroyed in reverse order). Concurrency hint 1: one thread at a time runs it.
  asio::io_context ioc{1};
  std::optional<beast::tcp_stream> tcp;        // the socket; its timer bounds the connect
  std::optional<PollSocket> plain;             // http: reads and writes on tcp's socket
  std::optional<ssl::stream<PollSocket>> tls;  // https: TLS over tcp's socket
  beast::flat_buffer buffer;
  std::string origin;
  Clock::time_point idle_since;

  beast::tcp_stream& lowest() { return *tcp; }
  PollSocket& io() { return tls ? tls->next_layer() : *plain; }
};

struct OpResult {
  error_code ec;
  std::size_t n = 0;
};

// Runs `start(done)` (the connect) on the calling thread and drives the connection's io_context
// until `done(ec, n)` has been called; a budget with a notice is ticked every 100 ms while it waits. Not run() to
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
