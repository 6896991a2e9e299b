// The connection layer's pool, connect and TLS (Beast/Asio; the request/response exchange is in
// transport_exchange.cpp, what both share in transport_conn.hpp). Each connection is driven by the
// thread using it (transport_conn.hpp: no thread hops); only host name resolution runs on a thread
// of its own (design.md "Concurrency").
#include "http/transport_conn.hpp"

#include "vbackup/error.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <future>

namespace vbackup::http::detail {

namespace {

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

}  // namespace

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

Transport::Impl::Impl(const ClientOptions& o) : options(o) {
  if (options.max_connections_per_origin == 0) options.max_connections_per_origin = 1;
  setup_tls();
}

Transport::Impl::~Impl() {
  std::vector<std::unique_ptr<Conn>> idle;
  {
    std::lock_guard lock(mu);
    for (auto& [origin, pool] : pools)
      for (auto& c : pool.idle) idle.push_back(std::move(c));
    pools.clear();
  }
  for (auto& c : idle) close(std::move(c));
  resolver_work.reset();
  if (resolver_thread.joinable()) resolver_thread.join();
}

void Transport::Impl::setup_tls() {
  const TlsOptions& t = options.tls;
  tls_ctx.emplace(ssl::context::tls_client);
  tls_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  error_code ec;
  if (t.verify) {
    tls_ctx->set_verify_mode(ssl::verify_peer);
    auto add_source = [&](const std::string& what) { ca_sources += (ca_sources.empty() ? "" : " + ") + what; };
    if (t.trust_system_store || (t.ca_pem.empty() && t.ca_file.empty())) {
      // Loaded by the first https connection (load_system_store): parsing the system bundle costs
      // ~75 ms of CPU, which a client that only speaks plain http (a test API server, a local
      // MinIO) never needs.
      system_store_wanted = true;
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

void Transport::Impl::load_system_store() {
  // Once, before any connection uses the context: OpenSSL's SSL_CTX is not to be changed while
  // connections made from it run on other threads.
  std::call_once(system_store_loaded, [this] {
    if (!system_store_wanted) return;
    error_code ignored;  // as before: a missing system store leaves the other sources
    tls_ctx->set_default_verify_paths(ignored);
  });
}

// A pooled connection whose peer has closed it, or sent bytes nobody asked for, is useless.
bool Transport::Impl::still_usable(Conn& c) {
  if (c.buffer.size() != 0) return false;
  if (c.tls && SSL_pending(c.tls->native_handle()) > 0) return false;
  char byte;
  ssize_t n = ::recv(c.lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// Closes and frees on the calling thread: nobody else runs the connection's io_context, and its
// pending handlers (a stream's timeout timer) are destroyed with it, never run.
void Transport::Impl::close(std::unique_ptr<Conn> c) {
  error_code ec;
  c->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
  c->lowest().close();
}

void Transport::Impl::release(std::unique_ptr<Conn> c, bool reusable) {
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

std::pair<std::unique_ptr<Conn>, bool> Transport::Impl::acquire(const Url& url, Budget* budget) {
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

std::vector<tcp::endpoint> Transport::Impl::resolve(const Url& url, Clock::time_point deadline, Budget* budget,
                                                    const std::function<std::string(const char*)>& timed_out) {
  // An IP literal with a numeric port needs no lookup (getaddrinfo would return it as given).
  unsigned port = 0;
  const char* pe = url.port.data() + url.port.size();
  if (auto [p, ec] = std::from_chars(url.port.data(), pe, port); ec == std::errc() && p == pe && port > 0 &&
                                                                    port <= 65535) {
    error_code bad;
    auto address = asio::ip::make_address(url.host, bad);
    if (!bad) return {tcp::endpoint(address, static_cast<unsigned short>(port))};
  }

  std::call_once(resolver_started, [this] {
    resolver_work.emplace(resolver_ioc.get_executor());
    resolver_thread = std::thread([this] { resolver_ioc.run(); });
  });
  // getaddrinfo has no timeout of its own: a timer cancels the lookup at the connect deadline.
  // The handlers own what they touch: the waiting thread may return while they still run.
  struct Lookup {
    explicit Lookup(asio::io_context& ioc) : resolver(ioc), timer(ioc) {}
    tcp::resolver resolver;
    asio::steady_timer timer;
    bool timed_out = false;
    std::promise<std::pair<error_code, std::vector<tcp::endpoint>>> result;
  };
  auto lookup = std::make_shared<Lookup>(resolver_ioc);
  auto future = lookup->result.get_future();
  // Started on the resolver thread: the resolver and timer are used by that thread only.
  asio::post(resolver_ioc, [lookup, deadline, host = url.host, port_text = url.port] {
    lookup->timer.expires_at(deadline);
    lookup->timer.async_wait([lookup](error_code ec) {
      if (ec) return;
      lookup->timed_out = true;
      lookup->resolver.cancel();
    });
    lookup->resolver.async_resolve(host, port_text, [lookup](error_code ec, tcp::resolver::results_type res) {
      lookup->timer.cancel();
      std::vector<tcp::endpoint> endpoints;
      for (const auto& e : res) endpoints.push_back(e.endpoint());
      lookup->result.set_value({ec, std::move(endpoints)});
    });
  });
  if (budget && budget->notice) {
    while (future.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) budget->tick();
  }
  auto [ec, endpoints] = future.get();
  if (ec) {
    // The handler wrote timed_out before set_value: the future orders it before this read.
    const bool expired = lookup->timed_out;
    bool again = ec == asio::error::host_not_found_try_again || ec == asio::error::try_again || expired;
    std::string why = expired ? timed_out("timed out") : ec.message();
    throw TransportFailure(TransportFailure::Stage::connect, again, "cannot resolve host " + url.host + ": " + why);
  }
  return endpoints;
}

std::unique_ptr<Conn> Transport::Impl::connect(const Url& url, Budget* budget) {
  using Stage = TransportFailure::Stage;
  const WaitLimit wait(budget, options.connect_timeout);
  const auto timeout = wait.limit;
  const auto deadline = Clock::now() + timeout;
  // Why the connect deadline passed: connect_timeout, or the request timeout.
  auto timed_out = [&](const char* what) {
    return wait.cut ? wait.timed_out(budget, "") : std::string(what) + " after " + ms_text(timeout) + " (connect_timeout)";
  };
  const std::vector<tcp::endpoint> endpoints = resolve(url, deadline, budget, timed_out);

  auto c = std::make_unique<Conn>();
  c->origin = url.origin();
  // Beast sizes each socket read by the buffer's spare capacity: without this, bodies arrive in
  // reads of a few hundred bytes (measured: 200 MiB took 300k reads and 30 s on loopback).
  c->buffer.reserve(kReadBuffer);
  const std::string where = url.host_header();
  c->tcp.emplace(c->ioc);
  OpResult r = run_here(*c, [&](auto done) {
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

  if (url.scheme != "https") {
    c->plain.emplace(c->tcp->socket());
  } else {
    load_system_store();
    c->tls.emplace(PollSocket(c->tcp->socket()), *tls_ctx);
    try {
      tls_handshake(*c, url, deadline, [&] { return timed_out("timed out"); }, budget);
    } catch (...) {
      close(std::move(c));
      throw;
    }
  }
  return c;
}

void Transport::Impl::tls_handshake(Conn& c, const Url& url, Clock::time_point deadline,
                                    const std::function<std::string()>& timed_out, Budget* budget) {
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
  OpResult r;
  c.io().arm_until(deadline, budget);
  c.tls->handshake(ssl::stream_base::client, r.ec);
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

Transport::Transport(const ClientOptions& options) : impl_(std::make_unique<Impl>(options)) {}
Transport::~Transport() = default;

}  // namespace vbackup::http::detail
