#include "kube_server/loopback_client.hpp"

#include "kube_server/util.hpp"
#include "vbackup/error.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vbackup::kubetest {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool has_header(const HeaderList& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return lower(h.first) == name; });
}

}  // namespace

LoopbackClient::LoopbackClient(std::uint16_t port, std::string host) : host_(std::move(host)), port_(port) {}

LoopbackClient::~LoopbackClient() { close(); }

void LoopbackClient::connect() {
  close();
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw io_error("loopback client: socket: " + std::string(std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  ::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::string why = std::strerror(errno);
    close();
    throw io_error("loopback client: connect to " + host_ + ":" + std::to_string(port_) + ": " + why);
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  buffer_.clear();
  pos_ = 0;
}

void LoopbackClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void LoopbackClient::send_all(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw io_error("loopback client: send: " + std::string(std::strerror(errno)));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool LoopbackClient::fill() {
  if (pos_ > 0 && pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  } else if (pos_ > (1 << 20)) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  char chunk[256 * 1024];
  while (true) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

std::string LoopbackClient::read_line() {
  while (true) {
    auto eol = buffer_.find("\r\n", pos_);
    if (eol != std::string::npos) {
      std::string line = buffer_.substr(pos_, eol - pos_);
      pos_ = eol + 2;
      return line;
    }
    if (!fill()) throw io_error("loopback client: connection closed in the middle of an answer");
  }
}

HttpResult LoopbackClient::read_head() {
  HttpResult r;
  std::string status = read_line();
  if (!status.starts_with("HTTP/1.")) throw io_error("loopback client: malformed status line \"" + status + "\"");
  r.status = std::atoi(status.c_str() + 9);
  while (true) {
    std::string line = read_line();
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers[lower(line.substr(0, colon))] = value;
  }
  return r;
}

HttpResult LoopbackClient::request(std::string_view method, std::string_view target, std::string_view body,
                                   const HeaderList& headers) {
  std::string req;
  req.reserve(256 + body.size());
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host_).append("\r\n");
  for (const auto& [k, v] : headers) req.append(k).append(": ").append(v).append("\r\n");
  if (!body.empty() && !has_header(headers, "content-type")) req.append("Content-Type: application/json\r\n");
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  req.append("\r\n").append(body);
  for (int attempt = 0;; ++attempt) {
    try {
      if (fd_ < 0) connect();
      send_all(req);
      if (pos_ == buffer_.size() && !fill()) throw io_error("loopback client: connection closed before an answer");
      break;
    } catch (const Error&) {
      close();
      if (attempt == 1) throw;  // a kept-alive connection the server closed: one fresh try
    }
  }
  HttpResult r = read_head();
  std::string raw;
  if (lower(r.header("transfer-encoding")) == "chunked") {
    while (true) {
      std::size_t size = std::stoul(read_line(), nullptr, 16);
      if (size == 0) {
        while (!read_line().empty()) {
        }
        break;
      }
      while (buffer_.size() - pos_ < size + 2)
        if (!fill()) throw io_error("loopback client: connection closed in a chunk");
      raw.append(buffer_, pos_, size);
      pos_ += size + 2;
    }
  } else if (!r.header("content-length").empty()) {
    const std::size_t size = std::stoul(r.header("content-length"));
    while (buffer_.size() - pos_ < size)
      if (!fill()) throw io_error("loopback client: connection closed in a body");
    raw.assign(buffer_, pos_, size);
    pos_ += size;
  } else {
    while (fill()) {
    }
    raw.assign(buffer_, pos_, std::string::npos);
    pos_ = buffer_.size();
    close();
  }
  r.wire_bytes = raw.size();
  r.body = lower(r.header("content-encoding")) == "gzip" ? gzip_decompress(raw) : std::move(raw);
  if (lower(r.header("connection")) == "close") close();
  return r;
}

int LoopbackClient::stream(std::string_view target, const std::function<bool(std::string_view)>& on_line,
                           const HeaderList& headers) {
  connect();
  std::string req = "GET " + std::string(target) + " HTTP/1.1\r\nHost: " + host_ + "\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  send_all(req);
  HttpResult r = read_head();
  const bool chunked = lower(r.header("transfer-encoding")) == "chunked";
  std::string pending;
  auto deliver = [&](std::string_view data) {
    pending.append(data);
    std::size_t eol;
    while ((eol = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, eol);
      pending.erase(0, eol + 1);
      if (!on_line(line)) return false;
    }
    return true;
  };
  try {
    if (!chunked) {
      const std::size_t size = r.header("content-length").empty() ? std::string::npos : std::stoul(r.header("content-length"));
      while ((size == std::string::npos || buffer_.size() - pos_ < size) && fill()) {
      }
      deliver(std::string_view(buffer_).substr(pos_, size));
    } else {
      while (true) {
        std::size_t size = std::stoul(read_line(), nullptr, 16);
        if (size == 0) break;
        while (buffer_.size() - pos_ < size + 2)
          if (!fill()) throw io_error("loopback client: stream ended in a chunk");
        const bool go_on = deliver(std::string_view(buffer_).substr(pos_, size));
        pos_ += size + 2;
        if (!go_on) break;
      }
    }
  } catch (const Error&) {
    // The stream ended without its last chunk: as much as arrived has been delivered.
  }
  close();
  return r.status;
}

}  // namespace vbackup::kubetest
