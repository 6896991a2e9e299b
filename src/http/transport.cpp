// The only translation unit of src/http that includes Beast and Asio (each such file costs ~8 s and
// 600 MB to compile). Every operation on a connection runs on that connection's strand; the calling
// thread posts it and waits for the result, so the public API stays synchronous (design.md
// "Concurrency": one io_context per client with its own threads).
#include "http/transport.hpp"

#include "vbackup/error.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace vbackup::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

// Network I/O threads per client. Two: the machines this runs on have few cores, and the work
// on them is only moving bytes (and TLS records); callers block on their own threads.
constexpr int kIoThreads = 2;
// An idle pooled connection older than this is closed rather than reused: servers drop idle
// keep-alive connections (S3 after ~20 s, many servers after 60 s), and a request sent on a
// connection the server is closing fails for no reason of its own.
constexpr auto kMaxIdle = std::chrono::seconds(15);
constexpr std::size_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kReadBuffer = 64 * 1024;

using Strand = asio::strand<asio::io_context::executor_type>;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct Conn {
  explicit Conn(Strand s) : strand(std::move(s)) {}
  Strand strand;
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

// Runs `start(done)` on the connection's strand and blocks until `done(ec, n)` is called; a
// budget with a notice is ticked while it waits.
template <class Start>
OpResult run_on(Strand& strand, Start&& start, Budget* budget = nullptr) {
  // The handler owns the promise: the waiting thread may return (and unwind) while set_value runs.
  auto promise = std::make_shared<std::promise<OpResult>>();
  auto future = promise->get_future();
  asio::post(strand, [&start, promise] {
    start([promise](error_code ec, std::size_t n) { promise->set_value(OpResult{ec, n}); });
  });
  if (budget && budget->notice) {
    while (future.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) budget->tick();
  }
  return future.get();
}

std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

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

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// The OpenSSL reason of the most recent error, without data (never key material).
std::string openssl_reason() {
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  const char* r = ERR_reason_error_string(e);
  return r ? r : "OpenSSL error " + std::to_string(e);
}

bool transient(const error_code& ec) {
  namespace ae = asio::error;
  return ec == ae::connection_refused || ec == ae::connection_reset || ec == ae::connection_aborted ||
         ec == ae::broken_pipe || ec == ae::eof || ec == ae::network_unreachable || ec == ae::host_unreachable ||
         ec == ae::network_down || ec == ae::network_reset || ec == ae::timed_out || ec == ae::try_again ||
         ec == ae::host_not_found_try_again || ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
         ec == bhttp::error::partial_message || ec == ssl::error::stream_truncated;
}

std::string describe(const error_code& ec, const WaitLimit& wait, Budget* budget, const char* which) {
  if (ec == beast::error::timeout) return wait.timed_out(budget, which);
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof) return "connection closed by the server";
  if (ec == bhttp::error::partial_message || ec == ssl::error::stream_truncated)
    return "connection closed in the middle of the response";
  return ec.message();
}

}  // namespace

std::chrono::milliseconds Budget::wait_limit(std::chrono::milliseconds limit, bool& cut) const {
  cut = false;
  if (!limited()) return limit;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left < std::chrono::milliseconds(1)) left = std::chrono::milliseconds(1);
  if (left <= limit) {
    cut = true;
    return left;
  }
  return limit;
}

void Budget::moved(Clock::duration took) {
  if (limited()) deadline += took;
  quiet_since = Clock::now();
}

void Budget::tick() {
  if (noticed || !notice || notice_after.count() <= 0) return;
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - quiet_since);
  if (waited < notice_after) return;
  noticed = true;
  notice(waited);
}

struct Transport::Impl {
  ClientOptions options;
  asio::io_context ioc{kIoThreads};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::optional<ssl::context> tls_ctx;
  std::string ca_sources;  // "system store + ca_pem + ca_file /x" for verification messages

  struct Pool {
    std::deque<std::unique_ptr<Conn>> idle;
    std::size_t open = 0;  // idle + in use
  };
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, Pool> pools;

  explicit Impl(const ClientOptions& o) : options(o) {
    if (options.max_connections_per_origin == 0) options.max_connections_per_origin = 1;
    setup_tls();
    work.emplace(ioc.get_executor());
    for (int i = 0; i < kIoThreads; ++i) threads.emplace_back([this] { ioc.run(); });
  }

  ~Impl() {
    std::vector<std::unique_ptr<Conn>> idle;
    {
      std::lock_guard lock(mu);
      for (auto& [origin, pool] : pools)
        for (auto& c : pool.idle) idle.push_back(std::move(c));
      pools.clear();
    }
    for (auto& c : idle) close(std::move(c));
    work.reset();
    for (auto& t : threads) t.join();
  }

  void setup_tls() {
    const TlsOptions& t = options.tls;
    tls_ctx.emplace(ssl::context::tls_client);
    tls_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    error_code ec;
    if (t.verify) {
      tls_ctx->set_verify_mode(ssl::verify_peer);
      auto add_source = [&](const std::string& what) { ca_sources += (ca_sources.empty() ? "" : " + ") + what; };
      if (t.trust_system_store || (t.ca_pem.empty() && t.ca_file.empty())) {
        tls_ctx->set_default_verify_paths(ec);
        add_source("system store");
      }
      if (!t.ca_pem.empty()) {
        tls_ctx->add_certificate_authority(asio::buffer(t.ca_pem), ec);
        if (ec) throw invalid_input("tls.ca_pem: not a PEM certificate: " + ec.message());
        add_source("ca_pem");
      }
      if (!t.ca_file.empty()) {
        tls_ctx->load_verify_file(t.ca_file, ec);
        if (ec) throw invalid_input("tls.ca_file " + t.ca_file + ": cannot load CA certificates: " + ec.message());
        add_source("ca_file " + t.ca_file);
      }
    } else {
      tls_ctx->set_verify_mode(ssl::verify_none);
      warn_tls_verification_off(t.insecure_what.empty() ? std::string("an HTTPS client") : t.insecure_what);
    }
    if (!t.client_cert_pem.empty() || !t.client_key_pem.empty()) {
      if (t.client_cert_pem.empty() || t.client_key_pem.empty())
        throw invalid_input("tls: a client certificate needs both client_cert_pem and client_key_pem");
      tls_ctx->use_certificate_chain(asio::buffer(t.client_cert_pem), ec);
      if (ec) throw invalid_input("tls.client_cert_pem: not a PEM certificate: " + openssl_reason());
      tls_ctx->use_private_key(asio::buffer(t.client_key_pem), ssl::context::pem, ec);
      if (ec) throw invalid_input("tls.client_key_pem: not a usable PEM private key: " + openssl_reason());
      if (SSL_CTX_check_private_key(tls_ctx->native_handle()) != 1)
        throw invalid_input("tls: client_key_pem does not match client_cert_pem");
    }
  }

  // A pooled connection whose peer has closed it, or sent bytes nobody asked for, is useless.
  static bool still_usable(Conn& c) {
    if (c.buffer.size() != 0) return false;
    if (c.tls && SSL_pending(c.tls->native_handle()) > 0) return false;
    char byte;
    ssize_t n = ::recv(c.lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  // Closes on the strand (a timer handler of the stream may still be queued there) and frees it.
  void close(std::unique_ptr<Conn> c) {
    Conn* raw = c.release();
    asio::post(raw->strand, [raw] {
      std::unique_ptr<Conn> owned(raw);
      error_code ec;
      owned->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
      owned->lowest().close();
    });
  }

  void release(std::unique_ptr<Conn> c, bool reusable) {
    std::unique_ptr<Conn> to_close;
    {
      std::lock_guard lock(mu);
      Pool& pool = pools[c->origin];
      if (reusable) {
        c->idle_since = Clock::now();
        pool.idle.push_back(std::move(c));
      } else {
        --pool.open;
        to_close = std::move(c);
      }
    }
    cv.notify_all();  // waiters of every origin share the condition variable
    if (to_close) close(std::move(to_close));
  }

  std::pair<std::unique_ptr<Conn>, bool> acquire(const Url& url, Budget* budget) {
    const std::string origin = url.origin();
    // Waiting longer than this for a free connection means the caller holds them all (say, open
    // response streams on the same thread): an error is better than a deadlock.
    const WaitLimit limit(budget, std::max(options.connect_timeout, options.io_timeout));
    const auto wait_limit = limit.limit;
    std::vector<std::unique_ptr<Conn>> stale;
    std::unique_ptr<Conn> found;
    {
      std::unique_lock lock(mu);
      Pool& pool = pools[origin];
      auto deadline = Clock::now() + wait_limit;
      for (;;) {
        while (!pool.idle.empty()) {
          auto c = std::move(pool.idle.back());  // most recently used first
          pool.idle.pop_back();
          if (Clock::now() - c->idle_since < kMaxIdle && still_usable(*c)) {
            found = std::move(c);
            break;
          }
          --pool.open;
          stale.push_back(std::move(c));
        }
        if (found) break;
        if (pool.open < options.max_connections_per_origin) {
          ++pool.open;
          break;
        }
        if (cv.wait_until(lock, deadline) == std::cv_status::timeout && pool.idle.empty() &&
            pool.open >= options.max_connections_per_origin) {
          lock.unlock();
          for (auto& c : stale) close(std::move(c));
          if (limit.cut) limit.timed_out(budget, "");
          throw TransportFailure(TransportFailure::Stage::connect, false,
                                 "no free connection to " + origin + ": all " +
                                     std::to_string(options.max_connections_per_origin) + " busy for " +
                                     ms_text(std::chrono::duration_cast<std::chrono::milliseconds>(wait_limit)) +
                                     " (max_connections_per_origin)");
        }
      }
    }
    for (auto& c : stale) close(std::move(c));
    if (found) return {std::move(found), true};
    try {
      return {connect(url, budget), false};
    } catch (...) {
      {
        std::lock_guard lock(mu);
        --pools[origin].open;
      }
      cv.notify_all();
      throw;
    }
  }

  std::unique_ptr<Conn> connect(const Url& url, Budget* budget) {
    using Stage = TransportFailure::Stage;
    const WaitLimit wait(budget, options.connect_timeout);
    const auto timeout = wait.limit;
    const auto deadline = Clock::now() + timeout;
    // Why the connect deadline passed: connect_timeout, or the request timeout.
    auto timed_out = [&](const char* what) {
      return wait.cut ? wait.timed_out(budget, "") : std::string(what) + " after " + ms_text(timeout) + " (connect_timeout)";
    };
    auto c = std::make_unique<Conn>(asio::make_strand(ioc));
    c->origin = url.origin();
    // Beast sizes each socket read by the buffer's spare capacity: without this, bodies arrive in
    // reads of a few hundred bytes (measured: 200 MiB took 300k reads and 30 s on loopback).
    c->buffer.reserve(kReadBuffer);
    const std::string where = url.host_header();

    // getaddrinfo has no timeout of its own: a timer cancels the lookup at the connect deadline.
    auto resolver = std::make_shared<tcp::resolver>(c->strand);
    auto timer = std::make_shared<asio::steady_timer>(c->strand);
    auto resolve_timed_out = std::make_shared<bool>(false);
    tcp::resolver::results_type endpoints;
    OpResult r = run_on(c->strand, [&](auto done) {
      timer->expires_at(deadline);
      timer->async_wait([resolver, resolve_timed_out](error_code ec) {
        if (ec) return;
        *resolve_timed_out = true;
        resolver->cancel();
      });
      resolver->async_resolve(url.host, url.port,
                              [&endpoints, timer, done](error_code ec, tcp::resolver::results_type res) {
                                timer->cancel();
                                endpoints = std::move(res);
                                done(ec, 0);
                              });
    }, budget);
    if (r.ec) {
      bool again = r.ec == asio::error::host_not_found_try_again || r.ec == asio::error::try_again || *resolve_timed_out;
      std::string why = *resolve_timed_out ? timed_out("timed out") : r.ec.message();
      throw TransportFailure(Stage::connect, again, "cannot resolve host " + url.host + ": " + why);
    }

    if (url.scheme == "https") {
      c->tls.emplace(c->strand, *tls_ctx);
    } else {
      c->tcp.emplace(c->strand);
    }
    r = run_on(c->strand, [&](auto done) {
      c->lowest().expires_at(deadline);
      c->lowest().async_connect(endpoints, [done](error_code ec, const tcp::endpoint&) { done(ec, 0); });
    }, budget);
    if (r.ec) {
      std::string cause = r.ec == beast::error::timeout ? timed_out("connect timed out")
                                                        : "cannot connect: " + r.ec.message();
      close(std::move(c));
      throw TransportFailure(Stage::connect, transient(r.ec), "connecting to " + where + ": " + cause);
    }
    error_code ignored;
    c->lowest().socket().set_option(tcp::no_delay(true), ignored);

    if (c->tls) {
      try {
        tls_handshake(*c, url, deadline, [&] { return timed_out("timed out"); }, budget);
      } catch (...) {
        close(std::move(c));
        throw;
      }
    }
    return c;
  }

  template <class TimedOut>
  void tls_handshake(Conn& c, const Url& url, Clock::time_point deadline, TimedOut timed_out, Budget* budget) {
    using Stage = TransportFailure::Stage;
    const TlsOptions& t = options.tls;
    const std::string name = t.server_name.empty() ? url.host : t.server_name;
    const bool ip = is_ip_literal(name);
    SSL* s = c.tls->native_handle();
    // SNI carries host names only (RFC 6066 §3).
    if (!ip && SSL_set_tlsext_host_name(s, name.c_str()) != 1)
      throw TransportFailure(Stage::connect, false, "TLS: cannot set server name " + name + ": " + openssl_reason());
    if (t.verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(s);
      int ok;
      if (ip) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
      } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = SSL_set1_host(s, name.c_str());
      }
      if (ok != 1)
        throw TransportFailure(Stage::connect, false, "TLS: cannot verify against name " + name + ": " + openssl_reason());
    }
    OpResult r = run_on(c.strand, [&](auto done) {
      c.lowest().expires_at(deadline);
      c.tls->async_handshake(ssl::stream_base::client, [done](error_code ec) { done(ec, 0); });
    }, budget);
    if (!r.ec) return;
    long verify = SSL_get_verify_result(s);
    if (t.verify && verify != X509_V_OK) {
      throw TransportFailure(Stage::connect, false,
                             "TLS certificate verification failed for " + name + " (" + url.host_header() +
                                 "): " + X509_verify_cert_error_string(verify) + "; trusted CAs: " + ca_sources);
    }
    std::string cause = r.ec == beast::error::timeout ? timed_out() : r.ec.message();
    // A protocol-level refusal (wrong version, no shared cipher, our client certificate rejected)
    // will not change on retry; a reset or a timeout may.
    bool retry = r.ec.category() != asio::error::get_ssl_category() && transient(r.ec);
    throw TransportFailure(Stage::connect, retry, "TLS handshake with " + url.host_header() + " failed: " + cause);
  }
};

namespace {

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
    OpResult r = run_on(c_->strand, [&](auto done) {
      c_->lowest().expires_after(wait.limit);
      std::array<asio::const_buffer, 2> bufs{asio::buffer(a.data(), a.size()), asio::buffer(b.data(), b.size())};
      c_->visit([&](auto& stream) { asio::async_write(stream, bufs, done); });
    }, budget_);
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
      OpResult r = run_on(c_->strand, [&](auto done) {
        c_->lowest().expires_after(wait.limit);
        c_->visit([&](auto& stream) { bhttp::async_read_header(stream, c_->buffer, *parser_, done); });
      }, budget_);
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
      OpResult r = run_on(c_->strand, [&](auto done) {
        c_->lowest().expires_after(wait.limit);
        c_->visit([&](auto& stream) { bhttp::async_read_some(stream, c_->buffer, *parser_, done); });
      }, budget_);
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
  // on the calling thread: no socket operation is pending, and it saves a trip through the strand.
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

Transport::Transport(const ClientOptions& options) : impl_(std::make_unique<Impl>(options)) {}
Transport::~Transport() = default;

std::unique_ptr<Exchange> Transport::open(const Url& url, Budget* budget) {
  auto [conn, reused] = impl_->acquire(url, budget);
  return std::make_unique<BeastExchange>(*impl_, std::move(conn), reused, budget);
}

}  // namespace vbackup::http::detail
