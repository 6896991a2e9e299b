// The project's one HTTP client (Boost.Beast over Asio, TLS through OpenSSL), used by the object
// stores and the Kubernetes client. It knows nothing of S3, Azure or Kubernetes: callers sign
// requests through a hook and interpret bodies themselves. Internal header: no Beast or Asio type
// appears here, so including it costs nothing.
#pragma once

#include "core/percent.hpp"
#include "vbackup/stream.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vbackup::http {

// Header fields in order; names compare case-insensitively.
class Headers {
 public:
  void set(std::string name, std::string value);   // replaces every field of that name
  void add(std::string name, std::string value);   // appends
  void remove(std::string_view name);
  std::optional<std::string> get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// An absolute http(s) URL split the way requests need it. `target` is path + "?" + query as given
// (already percent-encoded by the caller).
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  std::string port;    // always set ("80", "443" by default)
  std::string target;  // "/bucket/key?x=1", at least "/"
  static Url parse(std::string_view url);  // Error(invalid) naming the URL
  std::string host_header() const;         // "host" or "host:port" when the port is not the default
  std::string origin() const;              // "https://host:port"
};

struct Request {
  std::string method = "GET";
  std::string url;  // absolute
  Headers headers;
  // The body: `body` in memory, or `body_source` reopened for every attempt (a replayable stream),
  // or neither for no body. With body_source, content_length must be set.
  std::string body;
  std::function<std::unique_ptr<InputStream>()> body_source;
  std::optional<std::uint64_t> content_length;
  // Only idempotent requests are retried after the request may have reached the server.
  bool idempotent = true;
  // Called before each attempt (after the client has set Host and Content-Length), to sign it:
  // SigV4 and SharedKey sign the date, which changes between attempts. Each attempt starts again
  // from the headers given here, so headers added by the previous call are gone. sign may change
  // headers only (a changed url or body is not seen).
  std::function<void(Request&)> sign;
  // What the request is about, for messages and logs ("PUT s3://bucket/key"); never a secret.
  std::string description;
};

struct Response {
  int status = 0;
  std::string reason;
  Headers headers;
  // send(): the whole body. open(): empty, except for a status >= 300, where the first 1 MiB of the
  // body is read before the retry decision and kept here (read() returns it too).
  std::string body;
};

// A response whose body is read as a stream. The connection returns to the pool when the body has
// been read to the end; destroying it earlier closes the connection. It must not outlive its Client.
// A transport failure while reading throws Error(storage) naming the request; it is not retried
// (the caller can resume with a Range request).
class ResponseStream : public InputStream {
 public:
  virtual const Response& response() const = 0;
};

struct TlsOptions {
  bool verify = true;             // insecureSkipTLSVerify / insecure-skip-tls-verify turn it off
  std::string ca_pem;             // extra trusted CAs (PEM)
  std::string ca_file;            // or a file of them
  // The system store is trusted besides ca_pem/ca_file (object stores do this); false trusts only
  // them, as Kubernetes does with a cluster's certificate-authority (client-go replaces the roots).
  bool trust_system_store = true;
  std::string client_cert_pem;    // client certificate and key (Kubernetes)
  std::string client_key_pem;
  std::string server_name;        // SNI and verification name override (tls-server-name)
  // What turned verification off, for the warning ("S3 (insecureSkipTLSVerify)"); see below.
  std::string insecure_what;
};

// Prints "vbackup: warning: TLS certificate verification is turned off for <what>..." to stderr, once
// per process for each `what` (issue 16: verification is on by default; turning it off is never
// silent). Every Client built with tls.verify = false calls it with tls.insecure_what.
void warn_tls_verification_off(const std::string& what);

// AWS-SDK-style retries: exponential backoff with full jitter, honouring Retry-After.
struct RetryPolicy {
  int max_attempts = 5;  // 1 = no retries
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{20000};
  // Extra decision for a complete response (the client already retries 500, 502, 503, 504 and
  // 429 of idempotent requests); e.g. S3's 400 RequestTimeout. Return true to retry. It is asked
  // for non-idempotent requests too (client-go retries 429 whatever the verb), and sees the body
  // (send(): all of it; open(): the first 1 MiB of a status >= 300).
  // Retry-After (seconds or HTTP-date) on a retried response is waited for when longer than the
  // backoff, up to 5 minutes.
  std::function<bool(const Response&)> retry_response;
};

// What a caller is told when a call has waited long for its server (ClientOptions::on_wait).
struct WaitNotice {
  std::string subject;  // "<description>: <METHOD> <url>", as in messages (no secret)
  std::string origin;   // "https://host:port"
  std::chrono::milliseconds waited{0};           // without an answer so far
  std::chrono::milliseconds request_timeout{0};  // the call's budget (0: none)
};

struct ClientOptions {
  TlsOptions tls;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds io_timeout{60000};  // no byte moves for this long: the attempt fails
  // The longest one call (send(); open() up to the response header) may wait for its server, over
  // all its attempts and the pauses between them, as kubectl's --request-timeout bounds a request
  // and its retries: once spent, the call fails at once whatever attempts remain ("no answer within
  // the request timeout of 30s"). Only waiting counts (connecting, a server that does not read the
  // request or does not answer, backoff); time while body bytes move is given back, so a large
  // upload on a slow link is not cut. Each wait is also bounded by connect_timeout / io_timeout.
  // 0: no limit beyond those and max_attempts.
  std::chrono::milliseconds request_timeout{0};
  // Called at most once per call, on the calling thread, when it has waited wait_notice_after
  // without an answer and still waits (a line for the user: what is being waited for). 0: never.
  std::chrono::milliseconds wait_notice_after{5000};
  std::function<void(const WaitNotice&)> on_wait;
  // A caller that finds them all busy waits for one, at most max(connect_timeout, io_timeout), then
  // gets an error (a thread holding that many open ResponseStreams would otherwise wait forever).
  std::size_t max_connections_per_origin = 8;
  RetryPolicy retry;
  std::string user_agent = "libvbackup";
  bool accept_gzip = false;  // send Accept-Encoding: gzip and decode (Kubernetes responses)
  // Every retry (with its reason and the next attempt's number) and every giving-up; URLs only,
  // never headers, and no query string when it carries a signature. Called on the calling thread,
  // so possibly from several threads at once.
  std::function<void(std::string_view line)> log;
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends the request with retries and returns the final response with its body in memory (bodies
  // above `limit` bytes are an error). Any HTTP status is returned, not thrown (redirects are not
  // followed); transport failures after the last attempt throw Error(storage) "<description>:
  // <METHOD> <url>: <cause> (after N attempts)". A certificate that fails verification is not
  // retried. Bad requests (a header with a line break, a body_source without content_length)
  // throw Error(invalid) before anything is sent.
  // Thread-safe: calls from several threads share the connection pool.
  Response send(Request request, std::size_t limit = 64 << 20);

  // Sends the request (retried until response headers arrive) and returns the body as a stream.
  std::unique_ptr<ResponseStream> open(Request request);

  const ClientOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "waiting for <server>: no answer for 5s (request timeout 1m0s)": the line a notice becomes.
std::string wait_line(std::string_view server, const WaitNotice& notice);

// A request timeout as kubectl reads --request-timeout (client-go's clientcmd.ParseTimeout): a
// non-negative number of seconds ("30"), or a Go duration with its unit ("30s", "1m"); "0" is no
// limit. Error(invalid) naming `what` and the value otherwise.
std::chrono::milliseconds parse_request_timeout(std::string_view text, std::string_view what);

// RFC 3986 percent-encoding for URL paths and query strings (unreserved characters kept;
// `keep_slash` keeps '/' for paths): core/percent.hpp's encoder.
inline std::string percent_encode(std::string_view s, bool keep_slash) {
  return vbackup::percent_encode(s, keep_slash ? "/" : "");
}

}  // namespace vbackup::http
