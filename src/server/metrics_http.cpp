// The server's one Beast/Asio translation unit: /metrics, /healthz and /readyz on
// --metrics-address (Velero serves /metrics on :8085; the health endpoints are the probes a
// Deployment points at). One connection at a time, one request per connection: a scraper's load.
#include "vbackup/error.hpp"
#include "vbackup/server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <thread>

namespace vbackup::server {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct MetricsServer::Impl {
  const Metrics& metrics;
  std::function<bool()> ready;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  int port = 0;

  Impl(const Metrics& m, std::function<bool()> r) : metrics(m), ready(std::move(r)) {}

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) serve(std::move(socket));
      accept();
    });
  }

  void serve(tcp::socket socket) {
    auto s = std::make_shared<tcp::socket>(std::move(socket));
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto req = std::make_shared<bhttp::request<bhttp::string_body>>();
    bhttp::async_read(*s, *buffer, *req, [this, s, buffer, req](beast::error_code ec, std::size_t) {
      if (ec) return;
      auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
      res->version(req->version());
      res->keep_alive(false);
      std::string target(req->target());
      if (auto q = target.find('?'); q != std::string::npos) target.resize(q);
      res->set(bhttp::field::content_type, "text/plain; charset=utf-8");
      if (req->method() != bhttp::verb::get && req->method() != bhttp::verb::head) {
        res->result(bhttp::status::method_not_allowed);
        res->body() = "method not allowed\n";
      } else if (target == "/metrics") {
        res->result(bhttp::status::ok);
        res->set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        res->body() = metrics.exposition();
      } else if (target == "/healthz") {
        res->result(bhttp::status::ok);
        res->body() = "ok\n";
      } else if (target == "/readyz") {
        bool ok = !ready || ready();
        res->result(ok ? bhttp::status::ok : bhttp::status::service_unavailable);
        res->body() = ok ? "ok\n" : "not ready\n";
      } else {
        res->result(bhttp::status::not_found);
        res->body() = "404 page not found\n";
      }
      res->prepare_payload();
      bhttp::async_write(*s, *res, [s, res](beast::error_code, std::size_t) {
        beast::error_code ignored;
        s->shutdown(tcp::socket::shutdown_send, ignored);
      });
    });
  }
};

MetricsServer::MetricsServer(const std::string& address, const Metrics& metrics, std::function<bool()> ready)
    : impl_(std::make_unique<Impl>(metrics, std::move(ready))) {
  // Go's net.Listen form: "host:port", ":port" for every interface.
  auto colon = address.rfind(':');
  if (colon == std::string::npos) throw invalid_input("--metrics-address " + address + ": expected host:port");
  std::string host = address.substr(0, colon), port_text = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    std::size_t used = 0;
    port = std::stoi(port_text, &used);
    if (used != port_text.size() || port < 0 || port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    throw invalid_input("--metrics-address " + address + ": the port is not a number from 0 to 65535");
  }
  beast::error_code ec;
  net::ip::address ip = host.empty() ? net::ip::address(net::ip::address_v6::any())
                                     : net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) throw invalid_input("--metrics-address " + address + ": not an IP address: " + host);
  tcp::endpoint ep(ip, static_cast<unsigned short>(port));
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec && host.empty()) a.set_option(net::ip::v6_only(false), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec && host.empty()) {
    // No IPv6 on this host: all IPv4 interfaces.
    beast::error_code ec4;
    a.close(ec4);
    tcp::endpoint ep4(net::ip::address_v4::any(), static_cast<unsigned short>(port));
    ec4 = {};
    a.open(ep4.protocol(), ec4);
    if (!ec4) a.set_option(net::socket_base::reuse_address(true), ec4);
    if (!ec4) a.bind(ep4, ec4);
    if (!ec4) a.listen(net::socket_base::max_listen_connections, ec4);
    ec = ec4;
  }
  if (ec) throw Error(ErrorCode::io, "--metrics-address " + address + ": cannot listen: " + ec.message());
  impl_->port = a.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

MetricsServer::~MetricsServer() {
  net::post(impl_->ioc, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int MetricsServer::port() const { return impl_->port; }

}  // namespace vbackup::server
