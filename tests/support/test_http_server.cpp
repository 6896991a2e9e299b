// Synchronous Asio/Beast, one thread per connection (loopback_listener.hpp): simple to reason about
// in tests.
#include "test_http_server.hpp"

#include "loopback_listener.hpp"

#include "vbackup/stream.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <atomic>
#include <cctype>
#include <mutex>

namespace vbackup::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

unsigned char pattern_byte(std::uint64_t offset) {
  // Not periodic at any power of two, so a shifted or repeated chunk is noticed.
  return static_cast<unsigned char>((offset * 7 + (offset >> 11) * 13 + (offset >> 23)) & 0xff);
}

void fill_pattern(void* buffer, std::uint64_t offset, std::size_t size) {
  auto* p = static_cast<unsigned char*>(buffer);
  for (std::size_t i = 0; i < size; ++i) p[i] = pattern_byte(offset + i);
}

std::optional<std::string> ServerRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() &&
        std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      return v;
  }
  return std::nullopt;
}

struct TestHttpServer::Impl {
  Handler handler;
  std::optional<ssl::context> tls_ctx;
  std::size_t keep_body;
  std::atomic<std::size_t> handled{0};
  LoopbackListener listener;  // last: stopped (threads joined) before the members they use go

  Impl(Handler h, std::optional<ServerTls> tls, std::size_t keep) : handler(std::move(h)), keep_body(keep) {
    if (tls) {
      tls_ctx.emplace(ssl::context::tls_server);
      tls_ctx->use_certificate_chain(asio::buffer(tls->cert_pem));
      tls_ctx->use_private_key(asio::buffer(tls->key_pem), ssl::context::pem);
      if (!tls->client_ca_pem.empty()) {
        tls_ctx->add_certificate_authority(asio::buffer(tls->client_ca_pem));
        tls_ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      }
    }
    listener.start([this](tcp::socket& sock, std::size_t id) { serve(sock, id); });
  }

  bool pause(std::chrono::milliseconds d) { return listener.pause(d); }

  void serve(tcp::socket& sock, std::size_t id) {
    if (tls_ctx) {
      ssl::stream<tcp::socket&> stream(sock, *tls_ctx);
      error_code ec;
      stream.handshake(ssl::stream_base::server, ec);
      if (ec) return;
      std::string cn;
      if (X509* peer = SSL_get1_peer_certificate(stream.native_handle())) {
        char buf[256] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof buf);
        cn = buf;
        X509_free(peer);
      }
      const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
      serve_stream(stream, id, cn, sni ? sni : "");
    } else {
      serve_stream(sock, id, "", "");
    }
  }

  template <class Stream>
  void serve_stream(Stream& stream, std::size_t id, const std::string& cn, const std::string& sni) {
    beast::flat_buffer buffer;
    buffer.reserve(64 * 1024);  // Beast reads as much as the spare capacity
    std::vector<char> chunk(256 * 1024);
    for (std::size_t n_on_conn = 1;; ++n_on_conn) {
      bhttp::request_parser<bhttp::buffer_body> parser;
      parser.header_limit(64 * 1024);
      parser.body_limit(boost::none);
      error_code ec;
      bhttp::read_header(stream, buffer, parser, ec);
      if (ec) return;
      ServerRequest req;
      req.method = std::string(parser.get().method_string());
      req.target = std::string(parser.get().target());
      for (const auto& f : parser.get()) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      req.connection = id;
      req.request_on_connection = n_on_conn;
      req.client_certificate_cn = cn;
      req.tls_server_name = sni;
      while (!parser.is_done()) {
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
        bhttp::read(stream, buffer, parser, ec);
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec) return;
        std::size_t n = chunk.size() - parser.get().body().size;
        for (std::size_t i = 0; i < n && req.body_is_pattern; ++i)
          if (static_cast<unsigned char>(chunk[i]) != pattern_byte(req.body_size + i)) req.body_is_pattern = false;
        if (req.body.size() < keep_body) req.body.append(chunk.data(), std::min(n, keep_body - req.body.size()));
        req.body_size += n;
      }
      bool keep_alive = parser.get().keep_alive();

      ServerReply reply = handler(req);
      ++handled;
      if (reply.delay.count() > 0 && !pause(reply.delay)) return;
      if (reply.gzip) {
        reply.body = gzip_compress(reply.body);
        reply.headers.emplace_back("Content-Encoding", "gzip");
      }
      const bool head = req.method == "HEAD";
      const std::uint64_t size = reply.pattern_size > 0 ? reply.pattern_size : reply.body.size();
      std::string h = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                      std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(reply.status))) + "\r\n";
      for (const auto& [n, v] : reply.headers) h += n + ": " + v + "\r\n";
      const bool no_body = reply.status == 204 || reply.status == 304 || reply.status < 200;
      if (!no_body) h += reply.chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + std::to_string(size) + "\r\n";
      if (reply.close || !keep_alive) h += "Connection: close\r\n";
      h += "\r\n";
      const bool small = !head && !no_body && !reply.chunked && reply.pattern_size == 0 &&
                         reply.body.size() <= 64 * 1024 && reply.stall_after_header.count() == 0;
      if (small) h += reply.body;  // one write, as real servers do for small replies
      asio::write(stream, asio::buffer(h), ec);
      if (ec) return;
      if (reply.stall_after_header.count() > 0 && !pause(reply.stall_after_header)) return;
      if (!head && !no_body && !small) {
        for (std::uint64_t off = 0; off < size;) {
          std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), size - off));
          if (reply.pattern_size > 0) fill_pattern(chunk.data(), off, n);
          else std::memcpy(chunk.data(), reply.body.data() + off, n);
          if (reply.chunked) {
            char line[32];
            int len = std::snprintf(line, sizeof line, "%zx\r\n", n);
            std::array<asio::const_buffer, 3> bufs{asio::buffer(line, len), asio::buffer(chunk.data(), n), asio::buffer("\r\n", 2)};
            asio::write(stream, bufs, ec);
          } else {
            asio::write(stream, asio::buffer(chunk.data(), n), ec);
          }
          if (ec) return;
          off += n;
        }
        if (reply.chunked) asio::write(stream, asio::buffer("0\r\n\r\n", 5), ec);
        if (ec) return;
      }
      if (reply.close || !keep_alive) return;
    }
  }
};

TestHttpServer::TestHttpServer(Handler handler, std::optional<ServerTls> tls, std::size_t keep_body)
    : impl_(std::make_unique<Impl>(std::move(handler), std::move(tls), keep_body)) {}
TestHttpServer::~TestHttpServer() = default;

std::string TestHttpServer::url() const {
  return std::string(impl_->tls_ctx ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->listener.port());
}
unsigned short TestHttpServer::port() const { return impl_->listener.port(); }
std::size_t TestHttpServer::connections() const { return impl_->listener.connections(); }
std::size_t TestHttpServer::max_open_connections() const { return impl_->listener.max_open(); }
std::size_t TestHttpServer::requests() const { return impl_->handled; }

}  // namespace vbackup::testing
