// Synchronous Asio, one thread per client connection, raw bytes with just enough HTTP/1.1 framing
// (Content-Length, chunked, read-until-close) to know where each message ends.
#include "fault_proxy.hpp"

#include "core/strings.hpp"
#include "loopback_listener.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <optional>

namespace vbackup::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

enum class Framing { none, length, chunked, until_close };

struct Head {
  std::string first_line;
  std::string method;  // requests
  int status = 0;      // responses
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  bool close = false;
};

Head parse_head(const std::string& text, bool response) {
  Head h;
  std::size_t eol = text.find("\r\n");
  h.first_line = text.substr(0, eol);
  if (response) {
    auto sp = h.first_line.find(' ');
    if (sp != std::string::npos) h.status = std::atoi(h.first_line.c_str() + sp + 1);
  } else {
    h.method = h.first_line.substr(0, h.first_line.find(' '));
  }
  for (std::size_t pos = eol + 2; pos < text.size();) {
    std::size_t end = text.find("\r\n", pos);
    if (end == std::string::npos || end == pos) break;
    std::string line = text.substr(pos, end - pos);
    pos = end + 2;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = lower(line.substr(0, colon));
    std::string value(trim(std::string_view(line).substr(colon + 1), kBlanks));
    if (name == "content-length") h.content_length = std::stoull(value);
    if (name == "transfer-encoding" && lower(value).find("chunked") != std::string::npos) h.chunked = true;
    if (name == "connection" && lower(value).find("close") != std::string::npos) h.close = true;
  }
  return h;
}

const char* reason_of(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Slow Down";
    case 504: return "Gateway Timeout";
    default: return "Fault";
  }
}

// Thrown to end a connection: a fault cut it, or a peer went away.
struct Cut {};

// A body copier: reads from `src` (after what is already in `buf`), writes to `dst` (or discards
// when null), and cuts after `limit` bytes.
class Copier {
 public:
  Copier(tcp::socket& src, std::string& buf, tcp::socket* dst, std::uint64_t limit)
      : src_(src), buf_(buf), dst_(dst), limit_(limit) {}

  void copy(Framing f, std::uint64_t length) {
    switch (f) {
      case Framing::none: return;
      case Framing::length: return copy_exact(length);
      case Framing::until_close:
        for (;;) {
          if (buf_.empty() && !fill()) return;
          emit(buf_);
          buf_.clear();
        }
      case Framing::chunked:
        for (;;) {
          std::string line = read_line();
          emit(line);
          std::uint64_t size = std::stoull(line, nullptr, 16);
          if (size == 0) {
            for (;;) {  // trailers, then the empty line
              std::string t = read_line();
              emit(t);
              if (t == "\r\n") return;
            }
          }
          copy_exact(size + 2);  // data and its CRLF
        }
    }
  }

 private:
  bool fill() {
    char tmp[64 * 1024];
    error_code ec;
    std::size_t n = src_.read_some(asio::buffer(tmp), ec);
    if (ec) return false;
    buf_.append(tmp, n);
    return true;
  }
  std::string read_line() {
    for (;;) {
      auto eol = buf_.find("\r\n");
      if (eol != std::string::npos) {
        std::string line = buf_.substr(0, eol + 2);
        buf_.erase(0, eol + 2);
        return line;
      }
      if (!fill()) throw Cut{};
    }
  }
  void copy_exact(std::uint64_t n) {
    while (n > 0) {
      if (buf_.empty() && !fill()) throw Cut{};
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(buf_.size(), n));
      emit(std::string_view(buf_).substr(0, take));
      buf_.erase(0, take);
      n -= take;
    }
  }
  void emit(std::string_view data) {
    bool cut = sent_ + data.size() > limit_;
    if (cut) data = data.substr(0, static_cast<std::size_t>(limit_ - sent_));
    if (dst_ && !data.empty()) {
      error_code ec;
      asio::write(*dst_, asio::buffer(data.data(), data.size()), ec);
      if (ec) throw Cut{};
    }
    sent_ += data.size();
    if (cut) throw Cut{};
  }

  tcp::socket& src_;
  std::string& buf_;
  tcp::socket* dst_;
  std::uint64_t limit_;
  std::uint64_t sent_ = 0;
};

constexpr std::uint64_t kNoLimit = ~std::uint64_t{0};

}  // namespace

struct FaultProxy::Impl {
  std::string upstream_host;
  unsigned short upstream_port;
  mutable std::mutex mu;

  // Armed faults (under mu).
  int fail_count = 0;
  int fail_status = 500;
  std::string fail_body;
  HeaderList fail_headers;
  int stall_count = 0;
  std::chrono::milliseconds stall_for{0};
  int drop_request_count = 0;
  std::uint64_t drop_request_bytes = 0;
  int drop_response_count = 0;
  std::uint64_t drop_response_bytes = 0;
  std::string only_for;  // request-line filter ("" = all)

  std::atomic<std::size_t> n_requests{0}, n_forwarded{0}, n_faults{0};

  LoopbackListener listener;  // last: stopped (threads joined) before the members they use go

  Impl(std::string host, unsigned short up_port) : upstream_host(std::move(host)), upstream_port(up_port) {
    listener.start([this](tcp::socket& client, std::size_t) {
      tcp::socket upstream(listener.io());
      try {
        serve(client, upstream);
      } catch (...) {
      }
      close(upstream);
    });
  }

  bool track(tcp::socket& s) { return listener.track(s); }
  void close(tcp::socket& s) { listener.close(s); }
  bool pause(std::chrono::milliseconds d) { return listener.pause(d); }

  enum class Fault { none, stall, fail, drop_request, drop_response };

  Fault take_fault(const std::string& request_line, std::chrono::milliseconds& stall, int& status, std::string& body,
                   HeaderList& headers, std::uint64_t& bytes) {
    std::lock_guard lock(mu);
    Fault f = Fault::none;
    if (!only_for.empty() && request_line.find(only_for) == std::string::npos) return f;
    if (stall_count > 0) {
      --stall_count;
      stall = stall_for;
      f = Fault::stall;
    } else if (fail_count > 0) {
      --fail_count;
      status = fail_status;
      body = fail_body;
      headers = fail_headers;
      f = Fault::fail;
    } else if (drop_request_count > 0) {
      --drop_request_count;
      bytes = drop_request_bytes;
      f = Fault::drop_request;
    } else if (drop_response_count > 0) {
      --drop_response_count;
      bytes = drop_response_bytes;
      f = Fault::drop_response;
    }
    if (f != Fault::none) ++n_faults;
    return f;
  }

  static std::string read_head(tcp::socket& s, std::string& buf) {
    error_code ec;
    std::size_t n = asio::read_until(s, asio::dynamic_buffer(buf), "\r\n\r\n", ec);
    if (ec) throw Cut{};
    std::string head = buf.substr(0, n);
    buf.erase(0, n);
    return head;
  }

  static void write_all(tcp::socket& s, std::string_view data) {
    error_code ec;
    asio::write(s, asio::buffer(data.data(), data.size()), ec);
    if (ec) throw Cut{};
  }

  void serve(tcp::socket& client, tcp::socket& upstream) {
    std::string cbuf, ubuf;
    for (;;) {
      std::string head_text = read_head(client, cbuf);
      Head req = parse_head(head_text, false);
      ++n_requests;
      Framing req_framing = req.chunked ? Framing::chunked : req.content_length ? Framing::length : Framing::none;
      std::uint64_t req_length = req.content_length.value_or(0);

      std::chrono::milliseconds stall{0};
      int status = 0;
      std::string body;
      HeaderList headers;
      std::uint64_t bytes = 0;
      Fault fault = take_fault(req.first_line, stall, status, body, headers, bytes);

      if (fault == Fault::stall) {
        pause(stall);
        return;
      }
      if (fault == Fault::fail) {
        Copier(client, cbuf, nullptr, kNoLimit).copy(req_framing, req_length);
        std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_of(status) + "\r\n";
        bool has_type = false;
        for (const auto& [n, v] : headers) {
          out += n + ": " + v + "\r\n";
          if (lower(n) == "content-type") has_type = true;
        }
        if (!has_type && !body.empty() && body.front() == '<') out += "Content-Type: application/xml\r\n";
        out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        if (req.close) out += "Connection: close\r\n";
        out += "\r\n" + body;
        write_all(client, out);
        if (req.close) return;
        continue;
      }

      if (!upstream.is_open()) {
        ubuf.clear();
        error_code ec;
        upstream.connect(tcp::endpoint(asio::ip::make_address(upstream_host), upstream_port), ec);
        if (!ec) upstream.set_option(tcp::no_delay(true), ec);
        if (ec || !track(upstream)) {
          write_all(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
          return;
        }
      }
      write_all(upstream, head_text);
      Copier(client, cbuf, &upstream, fault == Fault::drop_request ? bytes : kNoLimit).copy(req_framing, req_length);
      ++n_forwarded;

      Head resp;
      std::string resp_text;
      do {  // interim 1xx responses pass through
        resp_text = read_head(upstream, ubuf);
        resp = parse_head(resp_text, true);
        write_all(client, resp_text);
      } while (resp.status >= 100 && resp.status < 200 && resp.status != 101);
      Framing framing = Framing::until_close;
      if (req.method == "HEAD" || resp.status == 204 || resp.status == 304) framing = Framing::none;
      else if (resp.chunked) framing = Framing::chunked;
      else if (resp.content_length) framing = Framing::length;
      Copier(upstream, ubuf, &client, fault == Fault::drop_response ? bytes : kNoLimit)
          .copy(framing, resp.content_length.value_or(0));
      if (fault == Fault::drop_response) return;  // the body was shorter than the cut: cut anyway
      if (resp.close || framing == Framing::until_close) close(upstream);
      if (req.close || framing == Framing::until_close) return;
    }
  }
};

FaultProxy::FaultProxy(std::string upstream_host, unsigned short upstream_port)
    : impl_(std::make_unique<Impl>(std::move(upstream_host), upstream_port)) {}
FaultProxy::~FaultProxy() = default;

std::string FaultProxy::url() const { return "http://127.0.0.1:" + std::to_string(impl_->listener.port()); }
unsigned short FaultProxy::port() const { return impl_->listener.port(); }

void FaultProxy::fail_next(int count, int status, std::string body, HeaderList headers) {
  std::lock_guard lock(impl_->mu);
  impl_->fail_count = count;
  impl_->fail_status = status;
  impl_->fail_body = std::move(body);
  impl_->fail_headers = std::move(headers);
}

void FaultProxy::slow_down_next(int count) { fail_next(count, 503, s3_slow_down_body()); }

void FaultProxy::throttle_next(int count, int retry_after_seconds) {
  fail_next(count, 429, "", {{"Retry-After", std::to_string(retry_after_seconds)}});
}

void FaultProxy::server_busy_next(int count) {
  fail_next(count, 503, azure_server_busy_body(), {{"x-ms-error-code", "ServerBusy"}});
}

void FaultProxy::drop_request_after(std::uint64_t bytes, int count) {
  std::lock_guard lock(impl_->mu);
  impl_->drop_request_count = count;
  impl_->drop_request_bytes = bytes;
}

void FaultProxy::drop_response_after(std::uint64_t bytes, int count) {
  std::lock_guard lock(impl_->mu);
  impl_->drop_response_count = count;
  impl_->drop_response_bytes = bytes;
}

void FaultProxy::stall_next(std::chrono::milliseconds duration, int count) {
  std::lock_guard lock(impl_->mu);
  impl_->stall_count = count;
  impl_->stall_for = duration;
}

void FaultProxy::only_for(std::string substring) {
  std::lock_guard lock(impl_->mu);
  impl_->only_for = std::move(substring);
}

void FaultProxy::reset() {
  std::lock_guard lock(impl_->mu);
  impl_->fail_count = impl_->stall_count = impl_->drop_request_count = impl_->drop_response_count = 0;
}

std::size_t FaultProxy::requests() const { return impl_->n_requests; }
std::size_t FaultProxy::forwarded() const { return impl_->n_forwarded; }
std::size_t FaultProxy::faults() const { return impl_->n_faults; }
std::size_t FaultProxy::connections() const { return impl_->listener.connections(); }

std::string FaultProxy::s3_slow_down_body() {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your "
         "request rate.</Message><RequestId>FAULTPROXY0000001</RequestId><HostId>fault-proxy</HostId></Error>";
}

std::string FaultProxy::azure_server_busy_body() {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code><Message>The server is busy."
         "\nRequestId:fault-proxy\nTime:2026-01-01T00:00:00.0000000Z</Message></Error>";
}

}  // namespace vbackup::testing
