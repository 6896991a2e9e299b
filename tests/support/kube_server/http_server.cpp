// The only translation unit of the test API server that includes Beast and Asio.
#include "kube_server/http_server.hpp"

#include "kube_server/util.hpp"
#include "vbackup/error.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <deque>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

namespace vbackup::kubetest {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

struct HttpServer::Impl {
  HttpServerOptions options;
  Handler handler;
  EndWatch end_watch;
  net::io_context ioc;
  std::optional<ssl::context> ssl_ctx;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::uint16_t port = 0;
  bool running = false;
  bool shutting_down = false;  // sessions destroyed with the io_context leave the Api alone

  void accept();
};

namespace {

constexpr std::size_t kMaxRequestBody = 64 * 1024 * 1024;
constexpr auto kIdleTimeout = std::chrono::minutes(10);

std::string header_value(const http::request<http::string_body>& req, http::field f) {
  auto it = req.find(f);
  return it == req.end() ? std::string() : std::string(it->value());
}

bool accepts_gzip(std::string_view accept_encoding) {
  // "gzip", "gzip, deflate", "br;q=1.0, gzip;q=0.8"; a q=0 refusal is not expected from clients.
  return accept_encoding.find("gzip") != std::string_view::npos;
}

template <class Stream>
beast::tcp_stream& tcp_of(Stream& s) {
  return beast::get_lowest_layer(s);
}

template <class Stream>
class Session;

// Queues a watch's chunks for the session that streams them; safe to call from any thread.
template <class Stream>
class SessionSink final : public WatchSink {
 public:
  SessionSink(std::weak_ptr<Session<Stream>> session, net::any_io_executor executor)
      : session_(std::move(session)), executor_(std::move(executor)) {}
  void push(std::string chunk) override {
    net::post(executor_, [weak = session_, chunk = std::move(chunk)]() mutable {
      if (auto s = weak.lock()) s->enqueue_chunk(std::move(chunk));
    });
  }
  void end() override {
    net::post(executor_, [weak = session_] {
      if (auto s = weak.lock()) s->end_stream();
    });
  }

 private:
  std::weak_ptr<Session<Stream>> session_;
  net::any_io_executor executor_;
};

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(HttpServer::Impl* server, Stream stream)
      : server_(server), stream_(std::move(stream)), timer_(stream_.get_executor()) {}

  ~Session() {
    if (watch_id_ && !watch_ended_ && !server_->shutting_down) {
      try {
        server_->end_watch(watch_id_);
      } catch (...) {
      }
    }
  }

  void run() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read();
    } else {
      tcp_of(stream_).expires_after(std::chrono::seconds(30));
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return;  // a refused handshake (no or a bad client certificate) closes the connection
        self->note_client_certificate();
        self->read();
      });
    }
  }

  void enqueue_chunk(std::string chunk) {
    if (stream_ended_) return;
    char size[20];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    pending_.push_back(std::string(size) + chunk + "\r\n");
    if (!holding_) flush();
  }

  void end_stream() {
    watch_ended_ = true;
    if (stream_ended_) return;
    stream_ended_ = true;
    pending_.push_back("0\r\n\r\n");
    if (!holding_) flush();
  }

 private:
  void note_client_certificate() {
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      SSL* ssl = stream_.native_handle();
      X509* cert = SSL_get1_peer_certificate(ssl);
      if (!cert) return;
      if (SSL_get_verify_result(ssl) == X509_V_OK) {
        char cn[256] = {0};
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
        client_subject_ = cn[0] ? cn : "unnamed";
      }
      X509_free(cert);
    }
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(kMaxRequestBody);
    parser_->header_limit(64 * 1024);
    tcp_of(stream_).expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      ApiResponse r;
      r.status = 413;
      r.body = request_entity_too_large(kMaxRequestBody).body();
      keep_alive_ = false;
      respond(std::move(r), "");
      return;
    }
    if (ec) return close();
    auto& req = parser_->get();
    ApiRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.content_type = header_value(req, http::field::content_type);
    request.accept = header_value(req, http::field::accept);
    request.accept_encoding = header_value(req, http::field::accept_encoding);
    request.authorization = header_value(req, http::field::authorization);
    request.user_agent = header_value(req, http::field::user_agent);
    request.body = std::move(req.body());
    request.client_cert_subject = client_subject_;
    keep_alive_ = req.keep_alive();
    std::weak_ptr<Session> weak = this->shared_from_this();
    auto executor = stream_.get_executor();
    request.make_watch_sink = [weak, executor]() -> std::shared_ptr<WatchSink> {
      return std::make_shared<SessionSink<Stream>>(weak, executor);
    };
    ApiResponse response = server_->handler(request);
    if (response.watch_id) {
      if (response.delay.count() == 0) return start_watch(response);
      // A slow answer (delay switch): the watch's headers and events wait too.
      holding_ = true;
      timer_.expires_after(response.delay);
      timer_.async_wait([self = this->shared_from_this(), response](beast::error_code ec) {
        if (ec) return self->close();
        self->holding_ = false;
        self->start_watch(response);
      });
      return;
    }
    respond(std::move(response), request.accept_encoding);
  }

  void respond(ApiResponse r, const std::string& accept_encoding) {
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(r.status));
    res_.set(http::field::content_type, r.content_type);
    res_.set(http::field::cache_control, "no-cache, private");
    for (auto& [k, v] : r.headers) res_.set(k, v);
    if (r.body.size() >= server_->options.gzip_threshold && accepts_gzip(accept_encoding)) {
      res_.set(http::field::content_encoding, "gzip");
      res_.set(http::field::vary, "Accept-Encoding");
      res_.body() = gzip_compress(r.body);
    } else {
      res_.body() = std::move(r.body);
    }
    res_.keep_alive(keep_alive_);
    res_.prepare_payload();
    reset_ = r.reset;
    if (r.delay.count() > 0) {
      timer_.expires_after(r.delay);
      timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (!ec) self->write();
      });
    } else {
      write();
    }
  }

  // connectionReset switch: the answer's head (and half its body) goes out, then a TCP reset
  // (SO_LINGER 0), as when a proxy or a dying API server drops the connection.
  void write_cut() {
    std::ostringstream os;
    os << res_.base();
    std::string head = os.str();
    const std::string& body = res_.body();
    out_ = head;
    if (reset_ == ResetPoint::mid_body) out_ += body.substr(0, body.size() / 2);
    net::async_write(stream_, net::buffer(out_), [self = this->shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ec;
      auto& socket = tcp_of(self->stream_).socket();
      socket.set_option(net::socket_base::linger(true, 0), ec);
      socket.close(ec);
    });
  }

  void write() {
    if (reset_ != ResetPoint::none) return write_cut();
    http::async_write(stream_, res_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->keep_alive_) return self->close();
      self->read();
    });
  }

  void start_watch(const ApiResponse& r) {
    watch_id_ = r.watch_id;
    tcp_of(stream_).expires_never();
    pending_.push_front(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    flush();
    // A read completes only when the client goes (or sends something, which it must not).
    stream_.async_read_some(net::buffer(probe_), [self = this->shared_from_this()](beast::error_code, std::size_t) {
      self->client_gone();
    });
    if (r.watch_timeout.count() > 0) {
      timer_.expires_after(r.watch_timeout);
      timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (!ec) self->client_gone();
      });
    }
  }

  void client_gone() {
    if (watch_id_ && !watch_ended_) {
      watch_ended_ = true;
      server_->end_watch(watch_id_);  // the store calls end(), which posts end_stream()
      end_stream();
    }
  }

  void flush() {
    if (writing_ || pending_.empty()) return;
    out_.clear();
    while (!pending_.empty()) {
      out_ += pending_.front();
      pending_.pop_front();
    }
    writing_ = true;
    net::async_write(stream_, net::buffer(out_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec) {
        self->client_gone();
        return self->close();
      }
      if (self->stream_ended_ && self->pending_.empty()) return self->close();
      self->flush();
    });
  }

  void close() {
    timer_.cancel();
    beast::error_code ec;
    tcp_of(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp_of(stream_).socket().close(ec);
  }

  HttpServer::Impl* server_;
  Stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  bool keep_alive_ = true;
  std::string client_subject_;
  // Watch streaming.
  std::uint64_t watch_id_ = 0;
  bool watch_ended_ = false, stream_ended_ = false, writing_ = false;
  bool holding_ = false;  // a delayed watch: events queue until its headers are sent
  ResetPoint reset_ = ResetPoint::none;
  std::deque<std::string> pending_;
  std::string out_;
  char probe_[1];
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [self = this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !self->acceptor.is_open()) return;
      return self->accept();
    }
    socket.set_option(tcp::no_delay(true), ec);
    if (self->ssl_ctx) {
      using S = ssl::stream<beast::tcp_stream>;
      std::make_shared<Session<S>>(self, S(beast::tcp_stream(std::move(socket)), *self->ssl_ctx))->run();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(self, beast::tcp_stream(std::move(socket)))->run();
    }
    self->accept();
  });
}

HttpServer::HttpServer(HttpServerOptions options, Handler handler, EndWatch end_watch) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
  impl_->end_watch = std::move(end_watch);
}

HttpServer::~HttpServer() {
  stop();
  // Open sessions are destroyed with the io_context; the Api may already be gone by then.
  impl_->shutting_down = true;
  impl_.reset();
}

void HttpServer::start() {
  Impl& s = *impl_;
  if (s.running) return;
  const auto& o = s.options;
  if (o.tls) {
    s.ssl_ctx.emplace(ssl::context::tls_server);
    s.ssl_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    try {
      s.ssl_ctx->use_certificate_chain(net::buffer(o.cert_pem));
      s.ssl_ctx->use_private_key(net::buffer(o.key_pem), ssl::context::pem);
      if (!o.client_ca_pem.empty()) {
        s.ssl_ctx->add_certificate_authority(net::buffer(o.client_ca_pem));
        // Ask for a client certificate; without one the client is not authenticated by it.
        s.ssl_ctx->set_verify_mode(ssl::verify_peer | (o.require_client_cert ? ssl::verify_fail_if_no_peer_cert : 0));
        s.ssl_ctx->set_verify_callback([](bool, ssl::verify_context&) { return true; });
        if (o.require_client_cert) s.ssl_ctx->set_verify_callback([](bool ok, ssl::verify_context&) { return ok; });
        // Name the acceptable CA in the CertificateRequest so clients pick the right certificate.
        BIO* bio = BIO_new_mem_buf(o.client_ca_pem.data(), static_cast<int>(o.client_ca_pem.size()));
        if (X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
          SSL_CTX_add_client_CA(s.ssl_ctx->native_handle(), ca);
          X509_free(ca);
        }
        BIO_free(bio);
      }
    } catch (const std::exception& e) {
      throw Error(ErrorCode::invalid, std::string("kube-test-server: TLS certificate or key: ") + e.what());
    }
  }
  beast::error_code ec;
  const auto address = net::ip::make_address(o.host, ec);
  if (ec) throw invalid_input("kube-test-server: bad listen address \"" + o.host + "\"");
  tcp::endpoint endpoint(address, o.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error(ErrorCode::io, "kube-test-server: cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + ec.message());
  s.port = s.acceptor.local_endpoint().port();
  s.work.emplace(s.ioc.get_executor());
  s.accept();
  const int n = std::max(1, o.threads);
  for (int i = 0; i < n; ++i) s.threads.emplace_back([impl = impl_.get()] { impl->ioc.run(); });
  s.running = true;
}

void HttpServer::stop() {
  Impl& s = *impl_;
  if (!s.running) return;
  s.running = false;
  s.work.reset();
  s.ioc.stop();
  for (auto& t : s.threads)
    if (t.joinable()) t.join();
  s.threads.clear();
  beast::error_code ec;
  s.acceptor.close(ec);
}

std::uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::schedule(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<net::steady_timer>(impl_->ioc, delay);
  timer->async_wait([timer, fn = std::move(fn)](beast::error_code ec) {
    if (!ec) fn();
  });
}

}  // namespace vbackup::kubetest
