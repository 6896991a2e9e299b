// Client: requests, retries (as the AWS SDKs do them), signing hook, gzip, and messages that never
// carry a header value or a URL signature. Connections and bytes are transport.cpp's business.
#include "http/client.hpp"

#include "core/gunzip.hpp"
#include "core/strings.hpp"
#include "http/transport.hpp"
#include "vbackup/error.hpp"
#include "vbackup/time.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <ctime>
#include <iomanip>
#include <random>
#include <sstream>
#include <thread>

namespace vbackup::http {

void warn_tls_verification_off(const std::string& what) {
  static std::mutex mu;
  static std::set<std::string> warned;
  {
    std::lock_guard lock(mu);
    if (!warned.insert(what).second) return;
  }
  std::string line = "vbackup: warning: TLS certificate verification is turned off for " + what +
                     ": the server's identity is not checked and the connection can be intercepted\n";
  std::fputs(line.c_str(), stderr);
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 9110 §5.6.2 token characters (header names, methods).
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (std::isalnum(c)) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos) return false;
  }
  return true;
}

// A URL as it may appear in a message: no user information, and no query string when the query
// carries a signature (S3 presigned X-Amz-Signature, Azure SAS sig=).
std::string display_url(std::string_view url) {
  std::string u(url);
  if (auto scheme = u.find("://"); scheme != std::string::npos) {
    auto auth_end = u.find_first_of("/?#", scheme + 3);
    auto at = u.rfind('@', auth_end == std::string::npos ? u.size() : auth_end);
    if (at != std::string::npos && at > scheme) u.erase(scheme + 3, at + 1 - (scheme + 3));
  }
  auto q = u.find('?');
  if (q == std::string::npos) return u;
  std::string query = lower(std::string_view(u).substr(q + 1));
  for (std::string_view secret : {"x-amz-signature=", "sig="}) {
    for (std::size_t p = query.find(secret); p != std::string::npos; p = query.find(secret, p + 1)) {
      if (p == 0 || query[p - 1] == '&') return u.substr(0, q);
    }
  }
  return u;
}

bool retryable_status(int status) {
  return status == 500 || status == 502 || status == 503 || status == 504 || status == 429;
}

// Retry-After: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> retry_after(const Headers& h) {
  auto v = h.get("Retry-After");
  if (!v) return std::nullopt;
  std::string s(trim(*v, kBlanks));
  if (s.empty()) return std::nullopt;
  if (std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (s.size() > 9) return std::chrono::milliseconds(std::chrono::hours(24 * 365));
    return std::chrono::seconds(std::stol(s));
  }
  std::tm tm{};
  std::istringstream in(s);
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");  // IMF-fixdate
  if (in.fail()) return std::nullopt;
  auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto d = std::chrono::duration_cast<std::chrono::milliseconds>(when - std::chrono::system_clock::now());
  return std::max(d, std::chrono::milliseconds(0));
}

// AWS "full jitter": uniform in [0, min(max_delay, base_delay * 2^retry)].
std::chrono::milliseconds backoff(const RetryPolicy& p, int retry) {
  long long cap = p.base_delay.count();
  for (int i = 0; i < retry && cap < p.max_delay.count(); ++i) cap *= 2;
  cap = std::min<long long>(cap, p.max_delay.count());
  if (cap <= 0) return std::chrono::milliseconds(0);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::chrono::milliseconds(std::uniform_int_distribution<long long>(0, cap)(rng));
}

std::string attempts_text(int n) { return std::to_string(n) + (n == 1 ? " attempt" : " attempts"); }

// Transparent Content-Encoding: gzip (several members allowed, as Go's gzip.Reader does), decoded
// by ISA-L (core/gunzip.hpp): a backup inflates every LIST page it asked gzip for.
class GzipDecoder {
 public:
  explicit GzipDecoder(std::string context) : context_(std::move(context)), in_(64 * 1024) {}
  GzipDecoder(const GzipDecoder&) = delete;
  GzipDecoder& operator=(const GzipDecoder&) = delete;

  std::size_t read(detail::Exchange& ex, void* out, std::size_t n) {
    if (n == 0) return 0;
    for (;;) {
      if (next_ == end_) {
        if (!input_end_) {
          std::size_t got = ex.read_body(in_.data(), in_.size());
          if (got == 0) {
            input_end_ = true;
          } else {
            saw_input_ = true;
            next_ = 0;
            end_ = got;
          }
          continue;
        }
        if (member_ended_ || !saw_input_) return 0;
        throw Error(ErrorCode::storage, context_ + ": gzip response body is truncated");
      }
      if (member_ended_) {
        gz_.next_member();
        member_ended_ = false;
      }
      auto step = gz_.inflate(in_.data() + next_, end_ - next_, static_cast<unsigned char*>(out), n);
      next_ += step.consumed;
      if (step.error) throw Error(ErrorCode::storage, context_ + ": invalid gzip response body: " + step.error);
      member_ended_ = step.member_end;
      if (step.produced) return step.produced;
    }
  }

 private:
  std::string context_;
  vbackup::detail::GzipInflater gz_;
  std::vector<unsigned char> in_;
  std::size_t next_ = 0, end_ = 0;
  bool input_end_ = false, saw_input_ = false, member_ended_ = false;
};

// The body of one response as the caller sees it: first bytes already buffered (error bodies read
// for the retry decision), then the rest from the connection, gzip-decoded when we asked for gzip.
class Body {
 public:
  Body(std::unique_ptr<detail::Exchange> ex, bool gzip, std::string context)
      : ex_(std::move(ex)), context_(std::move(context)) {
    if (gzip) gz_.emplace(context_);
  }
  // Throws detail::TransportFailure (transport) or Error (gzip).
  std::size_t read(void* out, std::size_t n) {
    if (!ex_) return 0;
    std::size_t got = gz_ ? gz_->read(*ex_, out, n) : ex_->read_body(out, n);
    if (got == 0) ex_.reset();  // the connection is back in the pool already
    return got;
  }
  // Reads up to `limit` more bytes into `out`; true when the body ended within the limit.
  bool read_into(std::string& out, std::size_t limit) {
    char buf[64 * 1024];
    for (;;) {
      std::size_t room = limit - std::min(limit, out.size());
      if (room == 0) {
        std::size_t got = read(buf, 1);  // anything beyond the limit?
        if (got == 0) return true;
        out.append(buf, got);
        return false;
      }
      std::size_t got = read(buf, std::min(room, sizeof buf));
      if (got == 0) return true;
      out.append(buf, got);
    }
  }
  void abandon() { ex_.reset(); }  // closes the connection unless the body was read to the end
  // The call's budget ends with the call: the caller reads the rest bounded by io_timeout only.
  void detach_budget() {
    if (ex_) ex_->set_budget(nullptr);
  }

 private:
  std::unique_ptr<detail::Exchange> ex_;
  std::string context_;
  std::optional<GzipDecoder> gz_;
};

class StreamImpl final : public ResponseStream {
 public:
  StreamImpl(Response r, std::unique_ptr<Body> body, std::string prefix, std::string context)
      : response_(std::move(r)), body_(std::move(body)), prefix_(std::move(prefix)), context_(std::move(context)) {}

  const Response& response() const override { return response_; }

  std::size_t read(void* buffer, std::size_t size) override {
    if (pos_ < prefix_.size()) {
      std::size_t n = std::min(size, prefix_.size() - pos_);
      std::memcpy(buffer, prefix_.data() + pos_, n);
      pos_ += n;
      return n;
    }
    if (!body_) return 0;
    try {
      std::size_t n = body_->read(buffer, size);
      if (n == 0) body_.reset();
      return n;
    } catch (const detail::TransportFailure& f) {
      body_.reset();
      throw Error(ErrorCode::storage, context_ + ": " + f.cause);
    }
  }

 private:
  Response response_;
  std::unique_ptr<Body> body_;
  std::string prefix_;
  std::size_t pos_ = 0;
  std::string context_;
};

constexpr std::size_t kWriteChunk = 256 * 1024;
constexpr std::chrono::milliseconds kMaxRetryAfter = std::chrono::minutes(5);
// In open(), a response with status >= 300 has its body (up to this much) read before the retry
// decision, so retry_response and the caller can see the error document.
constexpr std::size_t kErrorBodyLimit = 1 << 20;

}  // namespace

// ---- Headers, Url ----

void Headers::set(std::string name, std::string value) {
  remove(name);
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const auto& f) { return iequals(f.first, name); });
}

std::optional<std::string> Headers::get(std::string_view name) const {
  std::optional<std::string> out;
  for (const auto& [n, v] : fields_) {
    if (!iequals(n, name)) continue;
    if (out) {
      *out += ", ";  // RFC 9110 §5.3: repeated fields combine as a list
      *out += v;
    } else {
      out = v;
    }
  }
  return out;
}

Url Url::parse(std::string_view text) {
  auto bad = [&](const std::string& why) { return invalid_input("URL " + display_url(text) + ": " + why); };
  Url u;
  auto sep = text.find("://");
  if (sep == std::string_view::npos) throw bad("not an absolute URL (expected http:// or https://)");
  u.scheme = lower(text.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") throw bad("scheme must be http or https");
  std::string_view rest = text.substr(sep + 3);
  auto auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view target = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) throw bad("user information in URLs is not supported");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) throw bad("unterminated IPv6 address");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw bad("unexpected characters after the IPv6 address");
      port = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) throw bad("no host");
  if (u.host.find_first_of(" \t\r\n/\\") != std::string::npos) throw bad("invalid host");
  if (port.empty()) {
    u.port = u.scheme == "https" ? "443" : "80";
  } else {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
        std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535)
      throw bad("invalid port");
    u.port = std::to_string(std::stoi(std::string(port)));
  }
  if (auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  if (target.find_first_of(" \t\r\n") != std::string_view::npos) throw bad("spaces or line breaks in the path");
  u.target = target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
  return u;
}

std::string Url::host_header() const {
  bool v6 = host.find(':') != std::string::npos;
  std::string h = v6 ? "[" + host + "]" : host;
  bool default_port = (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
  return default_port ? h : h + ":" + port;
}

std::string Url::origin() const {
  bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + port;
}

// ---- Client ----

struct Client::Impl {
  ClientOptions options;
  detail::Transport transport;
  explicit Impl(ClientOptions o) : options(std::move(o)), transport(options) {}

  void log(const std::string& line) const {
    if (options.log) options.log(line);
  }

  struct Result {
    Response response;
    std::unique_ptr<Body> body;  // open(): the rest of the body; send(): null
  };

  Result execute(Request& req, bool streaming, std::size_t limit);
};

namespace {

// "<description>: <METHOD> <url>": the subject of every message about a request.
std::string subject(const Request& req) {
  std::string s = req.description.empty() ? std::string() : req.description + ": ";
  return s + req.method + " " + display_url(req.url);
}

std::string head_of(const Request& req, const Url& url) {
  if (!is_token(req.method)) throw invalid_input(subject(req) + ": invalid method");
  std::string head = req.method + " " + url.target + " HTTP/1.1\r\n";
  for (const auto& [name, value] : req.headers.fields()) {
    if (!is_token(name)) throw invalid_input(subject(req) + ": invalid header name \"" + name + "\"");
    if (value.find_first_of("\r\n", 0) != std::string::npos || value.find('\0') != std::string::npos)
      throw invalid_input(subject(req) + ": header " + name + " has a line break in its value");
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  head += "\r\n";
  return head;
}

// Sends the body from `req.body` or a freshly opened `req.body_source`, in chunks so that each
// write has its own io_timeout and nothing holds the whole body.
void send_request(detail::Exchange& ex, const Request& req, const std::string& head, std::uint64_t length) {
  if (!req.body_source) {
    std::string_view body = req.body;
    if (body.size() <= kWriteChunk) return ex.write(head, body);
    ex.write(head);
    for (std::size_t off = 0; off < body.size(); off += kWriteChunk) ex.write(body.substr(off, kWriteChunk));
    return;
  }
  ex.write(head);
  auto in = req.body_source();
  if (!in) throw invalid_input(subject(req) + ": body_source returned no stream");
  std::vector<char> buf(kWriteChunk);
  std::uint64_t sent = 0;
  for (;;) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), length - sent + 1));
    std::size_t n = in->read(buf.data(), want);
    if (n == 0) break;
    if (sent + n > length)
      throw invalid_input(subject(req) + ": body_source has more than content_length (" + std::to_string(length) +
                          ") bytes");
    ex.write(std::string_view(buf.data(), n));
    sent += n;
  }
  if (sent != length)
    throw invalid_input(subject(req) + ": body_source ended after " + std::to_string(sent) + " of " +
                        std::to_string(length) + " bytes (content_length)");
}

}  // namespace

Client::Impl::Result Client::Impl::execute(Request& req, bool streaming, std::size_t limit) {
  const std::string what = subject(req);
  const Url url = Url::parse(req.url);
  const int max_attempts = std::max(1, options.retry.max_attempts);
  const bool head_request = req.method == "HEAD";

  // The request timeout spans every attempt and every pause between them (kubectl's
  // --request-timeout; client-go bounds the request and its retries with one context).
  using Clock = std::chrono::steady_clock;
  const auto request_timeout = std::max(std::chrono::milliseconds(0), options.request_timeout);
  detail::Budget budget;
  if (request_timeout.count() > 0) budget.deadline = budget.quiet_since + request_timeout;
  if (options.on_wait && options.wait_notice_after.count() > 0) {
    budget.notice_after = options.wait_notice_after;
    budget.notice = [&](std::chrono::milliseconds waited) {
      options.on_wait(WaitNotice{what, url.origin(), waited, request_timeout});
    };
  }
  auto room_for = [&](std::chrono::milliseconds delay) {
    return !budget.limited() || Clock::now() + delay < budget.deadline;
  };
  auto out_of_time = [&](const std::string& cause, int attempts) {
    std::string why = cause.ends_with("the request timeout") ? cause + " of " + format_duration(request_timeout)
                                                              : cause + "; the request timeout of " +
                                                                    format_duration(request_timeout) + " is spent";
    log("http: " + what + ": " + why + "; giving up after " + attempts_text(attempts));
    return Error(ErrorCode::storage, what + ": " + why + " (after " + attempts_text(attempts) + ")");
  };

  std::uint64_t length = 0;
  bool send_length = false;
  if (req.body_source) {
    if (!req.content_length) throw invalid_input(what + ": a body_source needs content_length");
    length = *req.content_length;
    send_length = true;
  } else {
    if (req.content_length && *req.content_length != req.body.size())
      throw invalid_input(what + ": content_length " + std::to_string(*req.content_length) + " but the body has " +
                          std::to_string(req.body.size()) + " bytes");
    length = req.body.size();
    send_length = length > 0 || req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  }
  const bool we_ask_gzip = options.accept_gzip && !req.headers.get("Accept-Encoding");
  const Headers base = req.headers;

  for (int attempt = 1;; ++attempt) {
    // Each attempt starts from the caller's headers, so a signature of the previous one never leaks
    // into the next; sign() then sees the Host and Content-Length that will be sent.
    req.headers = base;
    req.headers.set("Host", url.host_header());
    if (send_length) req.headers.set("Content-Length", std::to_string(length));
    else req.headers.remove("Content-Length");
    if (!req.headers.get("User-Agent") && !options.user_agent.empty()) req.headers.set("User-Agent", options.user_agent);
    if (we_ask_gzip) req.headers.set("Accept-Encoding", "gzip");
    if (req.sign) req.sign(req);
    const std::string head = head_of(req, url);

    std::string reason;  // why this attempt is retried; empty: it is the answer
    std::chrono::milliseconds delay{0};  // before the next attempt
    try {
      auto ex = transport.open(url, &budget);
      send_request(*ex, req, head, length);
      Response resp = ex->read_header(head_request);
      bool gzip = we_ask_gzip && !head_request && iequals(resp.headers.get("Content-Encoding").value_or(""), "gzip");
      if (gzip) {
        // As Go's transport does: the caller sees the decoded body, so the coding headers go.
        resp.headers.remove("Content-Encoding");
        resp.headers.remove("Content-Length");
      }
      auto body = std::make_unique<Body>(std::move(ex), gzip, what);
      if (!streaming) {
        if (!body->read_into(resp.body, limit))
          throw Error(ErrorCode::storage, what + ": response body larger than the limit of " + std::to_string(limit) +
                                              " bytes (" + std::to_string(resp.status) + " " + resp.reason + ")");
        body.reset();
      } else if (resp.status >= 300) {
        if (body->read_into(resp.body, kErrorBodyLimit)) body.reset();
      }

      if (retryable_status(resp.status) && req.idempotent) {
        reason = std::to_string(resp.status) + " " + resp.reason;
      } else if (options.retry.retry_response && options.retry.retry_response(resp)) {
        reason = std::to_string(resp.status) + " " + resp.reason + " (retry_response)";
      }
      if (!reason.empty()) {
        auto server_delay = retry_after(resp.headers);
        delay = backoff(options.retry, attempt - 1);
        // The server's Retry-After wins over a shorter backoff (bounded, so a bogus value cannot hang us).
        if (server_delay) {
          delay = std::max(delay, std::min(*server_delay, kMaxRetryAfter));
          reason += ", Retry-After " + *resp.headers.get("Retry-After");
        }
        if (attempt >= max_attempts || !room_for(delay)) {
          log("http: " + what + ": " + reason + "; giving up after " + attempts_text(attempt) +
              (attempt >= max_attempts ? "" : " (the request timeout of " + format_duration(request_timeout) + " ends first)"));
          reason.clear();
        }
      }
      // The answer. In open(), `body` holds the rest of the body (after a buffered error body).
      if (reason.empty()) {
        if (body) body->detach_budget();
        return Result{std::move(resp), std::move(body)};
      }
      // `body` goes out of scope here: a body read to the end leaves the connection pooled.
    } catch (const detail::TransportFailure& f) {
      if (budget.exhausted) throw out_of_time(f.cause, attempt);
      bool reached = f.stage != detail::TransportFailure::Stage::connect;
      bool may_retry = f.retryable && (req.idempotent || !reached);
      if (!may_retry || attempt >= max_attempts) {
        std::string why = f.cause;
        if (f.retryable && !may_retry) why += "; not retried: the request is not idempotent and may have reached the server";
        log("http: " + what + ": " + why + "; giving up after " + attempts_text(attempt));
        throw Error(ErrorCode::storage, what + ": " + why + " (after " + attempts_text(attempt) + ")");
      }
      reason = f.cause;
      delay = backoff(options.retry, attempt - 1);
      if (!room_for(delay)) throw out_of_time(f.cause + "; no answer within the request timeout", attempt);
    }

    log("http: " + what + ": " + reason + "; retrying, attempt " + std::to_string(attempt + 1) + " of " +
        std::to_string(max_attempts) + " in " + std::to_string(delay.count()) + " ms");
    // Slept in slices, so that a long pause still gets its notice.
    for (auto until = Clock::now() + delay; Clock::now() < until;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(100)));
      budget.tick();
    }
  }
}

std::string wait_line(std::string_view server, const WaitNotice& w) {
  std::string line = "waiting for " + std::string(server) + ": no answer for " +
                     format_duration(std::chrono::duration_cast<std::chrono::seconds>(w.waited));
  return line + (w.request_timeout.count() > 0 ? " (request timeout " + format_duration(w.request_timeout) + ")"
                                               : " (no request timeout)");
}

std::chrono::milliseconds parse_request_timeout(std::string_view text, std::string_view what) {
  auto bad = [&] {
    return invalid_input(std::string(what) + ": \"" + std::string(text) +
                         "\": Invalid timeout value. Timeout must be a single integer in seconds, or an integer "
                         "followed by a corresponding time unit (e.g. 1s | 2m | 3h)");
  };
  std::string_view t = trim(text, kBlanks);
  if (t.empty()) throw bad();
  // client-go's clientcmd.ParseTimeout: a non-negative integer is seconds, else a Go duration.
  if (t.size() <= 12 && std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::chrono::seconds(std::stoll(std::string(t)));
  }
  std::chrono::nanoseconds d;
  try {
    d = parse_duration(t);
  } catch (const Error&) {
    throw bad();
  }
  if (d.count() < 0) throw bad();
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(d);  // 500us: 1 ms, never "no limit"
  return ms;
}

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

const ClientOptions& Client::options() const { return impl_->options; }

Response Client::send(Request request, std::size_t limit) {
  return impl_->execute(request, false, limit).response;
}

std::unique_ptr<ResponseStream> Client::open(Request request) {
  auto r = impl_->execute(request, true, 0);
  std::string prefix = r.response.body;  // a buffered error body is also what read() returns first
  return std::make_unique<StreamImpl>(std::move(r.response), std::move(r.body), std::move(prefix), subject(request));
}

}  // namespace vbackup::http
