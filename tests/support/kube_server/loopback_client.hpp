// A small blocking HTTP/1.1 client over a plain socket, for the test API server's tests and
// benchmark: keep-alive, Content-Length and chunked bodies, gzip answers inflated, and streamed
// (watch) answers delivered line by line. Not the project's HTTP client (src/http): this one keeps
// the server's tests independent of the code they will later check.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vbackup::kubetest {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // decoded (chunks joined, gzip inflated)
  std::size_t wire_bytes = 0;                  // body bytes as received
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class LoopbackClient {
 public:
  explicit LoopbackClient(std::uint16_t port, std::string host = "127.0.0.1");
  ~LoopbackClient();
  LoopbackClient(const LoopbackClient&) = delete;
  LoopbackClient& operator=(const LoopbackClient&) = delete;

  // One request on the kept-alive connection (reconnecting when the server closed it). A body is
  // sent as application/json unless headers name another Content-Type. Throws Error(io) when the
  // server cannot be reached or the answer is malformed.
  HttpResult request(std::string_view method, std::string_view target, std::string_view body = {},
                     const HeaderList& headers = {});
  HttpResult get(std::string_view target, const HeaderList& headers = {}) { return request("GET", target, {}, headers); }

  // A streamed GET (watch): on_line gets each newline-terminated line of the body until it returns
  // false or the server ends the stream. Returns the status; the connection is closed afterwards.
  int stream(std::string_view target, const std::function<bool(std::string_view)>& on_line,
             const HeaderList& headers = {});

 private:
  void connect();
  void close();
  void send_all(std::string_view data);
  bool fill();  // reads more into buffer_; false at end of stream
  std::string read_line();
  HttpResult read_head();

  std::string host_;
  std::uint16_t port_;
  int fd_ = -1;
  std::string buffer_;
  std::size_t pos_ = 0;
};

}  // namespace vbackup::kubetest
