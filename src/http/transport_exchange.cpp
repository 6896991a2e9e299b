// One request/response on a pooled connection (Beast): the request state machine over the
// connection that Transport (transport.cpp) lends it. Each step runs on the calling thread as
// system calls with poll() for the waits (PollSocket, transport_conn.hpp), under TLS or not.
#include "http/transport_conn.hpp"

#include <boost/asio/write.hpp>

#include <array>

namespace vbackup::http::detail {

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
    std::string joined;  // TLS: one record for a small request, not a record per buffer
    if (c_->tls && !a.empty() && !b.empty() && a.size() + b.size() <= kCoalesce) {
      joined.reserve(a.size() + b.size());
      joined.append(a).append(b);
      a = joined;
      b = {};
    }
    std::array<asio::const_buffer, 2> bufs{asio::buffer(a.data(), a.size()), asio::buffer(b.data(), b.size())};
    OpResult r = step(wait.limit, false, [&](auto& stream, error_code& ec) { return asio::write(stream, bufs, ec); });
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
      OpResult r = step(wait.limit, /*poll_first=*/c_->buffer.size() == 0, [&](auto& stream, error_code& ec) {
        return bhttp::read_header(stream, c_->buffer, *parser_, ec);
      });
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
      OpResult r = step(wait.limit, false, [&](auto& stream, error_code& ec) {
        return bhttp::read_some(stream, c_->buffer, *parser_, ec);
      });
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

  static constexpr std::size_t kCoalesce = 16 * 1024;

  // Runs op(stream, ec) on the connection's stream, TLS or plain, its waits bounded by `limit`.
  template <class Op>
  OpResult step(std::chrono::milliseconds limit, bool poll_first, Op&& op) {
    c_->io().arm(limit, budget_, poll_first);
    OpResult r;
    r.n = c_->tls ? op(*c_->tls, r.ec) : op(*c_->plain, r.ec);
    return r;
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

std::unique_ptr<Exchange> Transport::open(const Url& url, Budget* budget) {
  auto [conn, reused] = impl_->acquire(url, budget);
  return std::make_unique<BeastExchange>(*impl_, std::move(conn), reused, budget);
}

}  // namespace vbackup::http::detail
