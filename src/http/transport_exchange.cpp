// One request/response on a pooled connection (Beast): the request state machine over the
// connection that Transport (transport.cpp) lends it. Each step runs on the calling thread: over
// TLS through the connection's io_context (run_here, transport_conn.hpp), over plain TCP as system
// calls with poll() for the waits (PollSocket).
#include "http/transport_conn.hpp"

#include <boost/asio/write.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <climits>

namespace vbackup::http::detail {

namespace {

// A plain TCP connection's socket as a synchronous Beast stream whose waits end at a deadline.
// Measured on a 10k-item restore: the asynchronous path spent two epoll_wait and two
// timerfd_settime calls (a tcp_stream timer armed per operation) and Asio's operation machinery on
// every request, about 7% of the client's CPU; here a request is one sendmsg, one poll and one
// recvmsg. Same errors as the asynchronous path: beast::error::timeout when the deadline passes,
// asio::error::eof at the peer's end, system errors as they come.
class PollSocket {
 public:
  // poll_first: the caller expects to wait (an answer to a request just sent), so a speculative
  // recvmsg would only return EAGAIN.
  PollSocket(int fd, std::chrono::milliseconds limit, Budget* budget, bool poll_first = false)
      : fd_(fd), deadline_(Clock::now() + limit), budget_(budget), poll_first_(poll_first) {}

  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, error_code& ec) {
    ec = {};
    std::array<iovec, kMaxIov> iov;
    const std::size_t count = to_iovec(buffers, iov);
    if (count == 0) return 0;
    for (;;) {
      if (poll_first_) {
        poll_first_ = false;
        if (!wait(POLLIN, ec)) return 0;
      }
      msghdr msg{};
      msg.msg_iov = iov.data();
      msg.msg_iovlen = count;
      ssize_t n = ::recvmsg(fd_, &msg, MSG_DONTWAIT);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) {
        ec = asio::error::eof;
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        ec = error_code(errno, asio::error::get_system_category());
        return 0;
      }
      if (!wait(POLLIN, ec)) return 0;
    }
  }

  template <class Buffers>
  std::size_t write_some(const Buffers& buffers, error_code& ec) {
    ec = {};
    std::array<iovec, kMaxIov> iov;
    const std::size_t count = to_iovec(buffers, iov);
    if (count == 0) return 0;
    for (;;) {
      msghdr msg{};
      msg.msg_iov = iov.data();
      msg.msg_iovlen = count;
      ssize_t n = ::sendmsg(fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        ec = error_code(errno, asio::error::get_system_category());
        return 0;
      }
      if (!wait(POLLOUT, ec)) return 0;
    }
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
      pollfd p{fd_, events, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::min<decltype(left)>(left, INT_MAX)));
      if (ticking) budget_->tick();
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) {
        ec = error_code(errno, asio::error::get_system_category());
        return false;
      }
    }
  }

  int fd_;
  Clock::time_point deadline_;
  Budget* budget_;
  bool poll_first_;
};

class BeastExchange final : public Exchange {
 public:
  BeastExchange(Transport::Impl& t, std::unique_ptr<Conn> c, bool reused, Budget* budget)
      : t_(t), c_(std::move(c)), reused_(reused), budget_(budget) {}

  ~BeastExchange() override {
    if (c_) t_.release(std::move(c_), false);
  }

  bool reused() const override { return reused_; }
  void set_budget(Budget* budget) override { budget_ = budget; }

  void write(std::string_view a, std::string_view b) override {
    using Stage = TransportFailure::Stage;
    if (!c_) throw TransportFailure(Stage::send, false, "connection already closed");
    if (a.size() + b.size() == 0) return;
    const WaitLimit wait(budget_, t_.options.io_timeout);
    const auto started = Clock::now();
    std::array<asio::const_buffer, 2> bufs{asio::buffer(a.data(), a.size()), asio::buffer(b.data(), b.size())};
    OpResult r;
    if (plain()) {
      PollSocket socket(fd(), wait.limit, budget_);
      r.n = asio::write(socket, bufs, r.ec);
    } else {
      r = run_here(*c_, [&](auto done) {
        c_->lowest().expires_after(wait.limit);
        c_->visit([&](auto& stream) { asio::async_write(stream, bufs, done); });
      }, budget_);
    }
    if (r.ec) {
      std::string cause = r.ec == beast::error::timeout && !wait.cut
                              ? "no data accepted for " + ms_text(wait.limit) + " (io_timeout) while sending the request"
                              : "sending the request: " + describe(r.ec, wait, budget_, "io_timeout");
      fail();
      throw TransportFailure(Stage::send, transient(r.ec) || r.ec == beast::error::timeout, cause);
    }
    if (budget_) budget_->moved(Clock::now() - started);  // the server takes the bytes: not waiting
  }

  Response read_header(bool head_request) override {
    using Stage = TransportFailure::Stage;
    if (!c_) throw TransportFailure(Stage::receive, false, "connection already closed");
    for (;;) {
      const WaitLimit wait(budget_, t_.options.io_timeout);
      parser_.emplace();
      parser_->header_limit(kHeaderLimit);
      parser_->body_limit(boost::none);
      if (head_request) parser_->skip(true);
      OpResult r;
      if (plain()) {
        PollSocket socket(fd(), wait.limit, budget_, /*poll_first=*/c_->buffer.size() == 0);
        r.n = bhttp::read_header(socket, c_->buffer, *parser_, r.ec);
      } else {
        r = run_here(*c_, [&](auto done) {
          c_->lowest().expires_after(wait.limit);
          c_->visit([&](auto& stream) { bhttp::async_read_header(stream, c_->buffer, *parser_, done); });
        }, budget_);
      }
      if (r.ec) {
        bool retry = transient(r.ec);
        std::string cause = (r.ec == bhttp::error::end_of_stream || r.ec == asio::error::eof)
                                ? "connection closed before the response"
                                : "reading the response header: " + describe(r.ec, wait, budget_, "io_timeout");
        fail();
        throw TransportFailure(Stage::receive, retry, cause);
      }
      if (budget_) budget_->quiet_since = Clock::now();  // an answer: what follows is transfer
      int status = parser_->get().result_int();
      if (status >= 100 && status < 200 && status != 101) continue;  // interim response
      Response resp;
      resp.status = status;
      resp.reason = std::string(parser_->get().reason());
      for (const auto& f : parser_->get()) resp.headers.add(std::string(f.name_string()), std::string(f.value()));
      if (parser_->is_done()) finish();
      return resp;
    }
  }

  std::size_t read_body(void* buffer, std::size_t size) override {
    using Stage = TransportFailure::Stage;
    if (!parser_ || parser_->is_done() || size == 0) return 0;
    if (!c_) throw TransportFailure(Stage::receive, false, "connection already closed");
    if (std::size_t got = parse_buffered(buffer, size); got > 0 || !c_) return got;
    for (;;) {
      auto& body = parser_->get().body();
      body.data = buffer;
      body.size = size;
      const WaitLimit wait(budget_, t_.options.io_timeout);
      const auto started = Clock::now();
      OpResult r;
      if (plain()) {
        PollSocket socket(fd(), wait.limit, budget_);
        r.n = bhttp::read_some(socket, c_->buffer, *parser_, r.ec);
      } else {
        r = run_here(*c_, [&](auto done) {
          c_->lowest().expires_after(wait.limit);
          c_->visit([&](auto& stream) { bhttp::async_read_some(stream, c_->buffer, *parser_, done); });
        }, budget_);
      }
      std::size_t got = size - parser_->get().body().size;
      if (r.ec == ssl::error::stream_truncated && parser_->need_eof()) {
        error_code ec;  // a TLS peer that closes without close_notify ends an EOF-delimited body
        parser_->put_eof(ec);
        r.ec = ec;
      }
      if (r.ec && r.ec != bhttp::error::need_buffer) {
        fail();
        bool retry = transient(r.ec);
        throw TransportFailure(Stage::receive, retry,
                               "reading the response body after " + std::to_string(body_bytes_ + got) +
                                   " bytes: " + describe(r.ec, wait, budget_, "io_timeout"));
      }
      if (budget_ && got > 0) budget_->moved(Clock::now() - started);
      body_bytes_ += got;
      if (parser_->is_done()) finish();
      if (got > 0 || !c_) return got;
    }
  }

  std::uint64_t body_bytes() const override { return body_bytes_; }

 private:
  // Body bytes that arrived with the header (a small response, usually all of it) are parsed here
  // without a socket operation.
  std::size_t parse_buffered(void* buffer, std::size_t size) {
    if (c_->buffer.size() == 0) return 0;
    auto& body = parser_->get().body();
    body.data = buffer;
    body.size = size;
    error_code ec;
    std::size_t used = parser_->put(c_->buffer.data(), ec);
    c_->buffer.consume(used);
    if (ec == bhttp::error::need_buffer || ec == bhttp::error::need_more) ec = {};
    if (ec) {
      fail();
      throw TransportFailure(TransportFailure::Stage::receive, false, "invalid response body: " + ec.message());
    }
    std::size_t got = size - body.size;
    body_bytes_ += got;
    if (parser_->is_done()) finish();
    return got;
  }

  bool plain() const { return !c_->tls; }
  int fd() { return c_->tcp->socket().native_handle(); }

  void finish() {
    if (!c_) return;
    bool keep = parser_->get().keep_alive() && c_->buffer.size() == 0;
    t_.release(std::move(c_), keep);
  }
  void fail() {
    if (c_) t_.release(std::move(c_), false);
  }

  Transport::Impl& t_;
  std::unique_ptr<Conn> c_;
  bool reused_;
  Budget* budget_;
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser_;
  std::uint64_t body_bytes_ = 0;
};

}  // namespace

std::unique_ptr<Exchange> Transport::open(const Url& url, Budget* budget) {
  auto [conn, reused] = impl_->acquire(url, budget);
  return std::make_unique<BeastExchange>(*impl_, std::move(conn), reused, budget);
}

}  // namespace vbackup::http::detail
