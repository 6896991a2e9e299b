// The HTTP client (src/http/client.hpp) against real servers on loopback: the test server of
// tests/support, through the fault proxy where a fault is needed, with TLS certificates made at
// test time. No mocks.
#include "http/client.hpp"

#include "fault_proxy.hpp"
#include "test_helpers.hpp"
#include "test_http_server.hpp"
#include "test_pki.hpp"
#include "vbackup/error.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

using namespace vbackup;
using namespace vbackup::http;
using namespace vbackup::testing;
using namespace std::chrono_literals;

namespace {

// Retries without waiting long, and every log line kept.
struct Logged {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(std::string_view)> sink() {
    return [this](std::string_view l) {
      std::lock_guard lock(mu);
      lines.emplace_back(l);
    };
  }
  std::string all() {
    std::lock_guard lock(mu);
    std::string s;
    for (auto& l : lines) s += l + "\n";
    return s;
  }
};

ClientOptions quick(Logged* log = nullptr) {
  ClientOptions o;
  o.retry.base_delay = 1ms;
  o.retry.max_delay = 5ms;
  o.connect_timeout = 5000ms;
  o.io_timeout = 10000ms;
  if (log) o.log = log->sink();
  return o;
}

Request get(std::string url) {
  Request r;
  r.url = std::move(url);
  return r;
}

ServerReply text(std::string body, int status = 200) {
  ServerReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// A port on loopback where nothing listens: bound and closed again.
unsigned short closed_port() {
  TestHttpServer s([](const ServerRequest&) { return ServerReply{}; });
  return s.port();
}

constexpr long kRssBoundKib = 8 * 1024;

// A body source of `size` pattern bytes, generated as it is read.
class PatternSource final : public InputStream {
 public:
  explicit PatternSource(std::uint64_t size) : size_(size) {}
  std::size_t read(void* buffer, std::size_t n) override {
    std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_ - pos_));
    fill_pattern(buffer, pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::uint64_t size_, pos_ = 0;
};

}  // namespace

// ---- URLs and encoding ----

TEST_CASE("percent_encode: RFC 3986 unreserved characters stay, everything else is %XX upper case") {
  CHECK(percent_encode("AZaz09-._~", false) == "AZaz09-._~");
  CHECK(percent_encode("a b/c+d=é", false) == "a%20b%2Fc%2Bd%3D%C3%A9");
  CHECK(percent_encode("backups/b 1/x", true) == "backups/b%201/x");
  CHECK(percent_encode("", true).empty());
}

TEST_CASE("Url::parse: scheme, host, default and explicit ports, IPv6, target") {
  Url u = Url::parse("https://s3.example.com/bucket/key?x=1#frag");
  CHECK(u.scheme == "https");
  CHECK(u.host == "s3.example.com");
  CHECK(u.port == "443");
  CHECK(u.target == "/bucket/key?x=1");
  CHECK(u.host_header() == "s3.example.com");
  CHECK(u.origin() == "https://s3.example.com:443");
  Url v = Url::parse("http://[::1]:8080");
  CHECK(v.host == "::1");
  CHECK(v.target == "/");
  CHECK(v.host_header() == "[::1]:8080");
  CHECK(Url::parse("HTTP://h?q=1").target == "/?q=1");
  CHECK_THROWS_AS(Url::parse("ftp://h/x"), Error);
  CHECK_THROWS_AS(Url::parse("http://h:99999/"), Error);
  CHECK_THROWS_AS(Url::parse("/relative"), Error);
  try {
    Url::parse("http://user:hunter2@h/x");
    FAIL("user information accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid);
    CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
  }
}

TEST_CASE("Headers: case-insensitive get, set replaces, repeated fields combine") {
  Headers h;
  h.add("X-A", "1");
  h.add("x-a", "2");
  CHECK(h.get("X-A") == "1, 2");
  h.set("x-A", "3");
  CHECK(h.get("x-a") == "3");
  CHECK(h.fields().size() == 1);
  h.remove("X-a");
  CHECK_FALSE(h.get("x-a"));
}

// ---- Keep-alive and the pool ----

TEST_CASE("keep-alive: sequential requests reuse one connection") {
  TestHttpServer server([](const ServerRequest& r) { return text("hello " + r.target); });
  Client client(quick());
  for (int i = 0; i < 20; ++i) {
    Response resp = client.send(get(server.url() + "/n" + std::to_string(i)));
    CHECK(resp.status == 200);
    CHECK(resp.body == "hello /n" + std::to_string(i));
  }
  CHECK(server.requests() == 20);
  CHECK(server.connections() == 1);
}

TEST_CASE("keep-alive: a response with Connection: close is not reused, a HEAD response is") {
  int n = 0;
  TestHttpServer server([&](const ServerRequest& r) {
    ServerReply reply = text("0123456789");
    reply.close = r.target == "/close";
    ++n;
    return reply;
  });
  Client client(quick());
  CHECK(client.send(get(server.url() + "/close")).body == "0123456789");
  Request head = get(server.url() + "/head");
  head.method = "HEAD";
  Response h = client.send(head);
  CHECK(h.status == 200);
  CHECK(h.body.empty());
  CHECK(h.headers.get("content-length") == "10");
  CHECK(client.send(get(server.url() + "/again")).body == "0123456789");
  CHECK(server.connections() == 2);
}

TEST_CASE("pool: concurrent callers never open more than max_connections_per_origin") {
  TestHttpServer server([](const ServerRequest& r) {
    ServerReply reply = text(r.target);
    reply.delay = 5ms;
    return reply;
  });
  ClientOptions o = quick();
  o.max_connections_per_origin = 3;
  Client client(o);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        if (client.send(get(server.url() + path)).body == path) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 80);
  CHECK(server.max_open_connections() <= 3);
  CHECK(server.connections() <= 3);
}

TEST_CASE("pool: a stream not read to the end closes its connection; one read to the end returns it") {
  TestHttpServer server([](const ServerRequest&) {
    ServerReply r;
    r.pattern_size = 1 << 20;
    return r;
  });
  Client client(quick());
  {
    auto s = client.open(get(server.url() + "/a"));
    char buf[100];
    CHECK(s->read(buf, sizeof buf) > 0);
  }  // abandoned
  {
    auto s = client.open(get(server.url() + "/b"));
    CHECK(read_all(*s, 2 << 20, "b").size() == 1 << 20);
  }
  auto s = client.open(get(server.url() + "/c"));
  CHECK(read_all(*s, 2 << 20, "c").size() == 1 << 20);
  CHECK(server.connections() == 2);
}

// ---- Bodies ----

TEST_CASE("streaming: the peak-RSS measurement sees a 32 MiB allocation made after the reset") {
  testing::reset_peak_rss();
  long base = testing::rss_kib();
  {
    std::vector<char> big(32 << 20);
    for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = 1;
    CHECK(big[4096] == 1);
  }
  if (testing::kRssMeaningful) CHECK(testing::peak_rss_kib() - base > 30 * 1024);
}

TEST_CASE("streaming: a 200 MiB response is read through open() without the client's memory growing") {
  constexpr std::uint64_t kSize = 200ull << 20;
  TestHttpServer server([&](const ServerRequest& req) {
    ServerReply r;
    r.pattern_size = req.target == "/big" ? kSize : 10;
    return r;
  });
  Client client(quick());
  client.send(get(server.url() + "/warm-up"));  // threads, buffers and TLS-free pool exist before the baseline
  std::vector<char> buf(256 * 1024);
  testing::reset_peak_rss();
  long base = testing::rss_kib();
  auto s = client.open(get(server.url() + "/big"));
  CHECK(s->response().status == 200);
  CHECK(s->response().body.empty());
  std::uint64_t total = 0;
  bool same = true;
  for (;;) {
    std::size_t n = s->read(buf.data(), buf.size());
    if (n == 0) break;
    for (std::size_t i = 0; i < n && same; i += 4093) same = static_cast<unsigned char>(buf[i]) == pattern_byte(total + i);
    total += n;
  }
  long growth = testing::peak_rss_kib() - base;
  MESSAGE("200 MiB download: peak RSS growth ", growth, " KiB (VmHWM after clear_refs reset, minus VmRSS before)");
  CHECK(total == kSize);
  CHECK(same);
  if (testing::kRssMeaningful) CHECK(growth < kRssBoundKib);
}

TEST_CASE("streaming: a 200 MiB request body from body_source is sent without the client's memory growing") {
  constexpr std::uint64_t kSize = 200ull << 20;
  std::atomic<std::uint64_t> seen{0};
  std::atomic<bool> pattern{false};
  TestHttpServer server(
      [&](const ServerRequest& r) {
        seen = r.body_size;
        pattern = r.body_is_pattern;
        return text("stored");
      },
      std::nullopt, 0);
  Client client(quick());
  client.send(get(server.url() + "/warm-up"));
  testing::reset_peak_rss();
  long base = testing::rss_kib();
  Request put;
  put.method = "PUT";
  put.url = server.url() + "/upload";
  put.content_length = kSize;
  put.body_source = [&] { return std::make_unique<PatternSource>(kSize); };
  Response resp = client.send(std::move(put));
  long growth = testing::peak_rss_kib() - base;
  MESSAGE("200 MiB upload: peak RSS growth ", growth, " KiB");
  CHECK(resp.status == 200);
  CHECK(resp.body == "stored");
  CHECK(seen == kSize);
  CHECK(pattern);
  if (testing::kRssMeaningful) CHECK(growth < kRssBoundKib);
}

TEST_CASE("body_source: content_length is required and must match what the source gives") {
  TestHttpServer server([](const ServerRequest&) { return text("ok"); });
  Client client(quick());
  Request r;
  r.method = "PUT";
  r.url = server.url() + "/x";
  r.body_source = [] { return std::make_unique<StringInputStream>("abc"); };
  CHECK_THROWS_AS(client.send(r), Error);
  r.content_length = 5;
  try {
    client.send(r);
    FAIL("short body accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid);
    CHECK(std::string(e.what()).find("ended after 3 of 5 bytes") != std::string::npos);
  }
  r.content_length = 3;
  CHECK(client.send(r).status == 200);
}

TEST_CASE("send: a body above the limit is an error naming the limit") {
  TestHttpServer server([](const ServerRequest&) { return text(std::string(5000, 'x')); });
  Client client(quick());
  CHECK(client.send(get(server.url() + "/x"), 5000).body.size() == 5000);
  try {
    client.send(get(server.url() + "/x"), 4999);
    FAIL("limit ignored");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::storage);
    CHECK(std::string(e.what()).find("limit of 4999 bytes") != std::string::npos);
  }
}

TEST_CASE("chunked responses are decoded, in send() and open()") {
  TestHttpServer server([](const ServerRequest&) {
    ServerReply r;
    r.pattern_size = 3 * 256 * 1024 + 17;
    r.chunked = true;
    return r;
  });
  Client client(quick());
  std::string body = client.send(get(server.url() + "/c")).body;
  REQUIRE(body.size() == 3 * 256 * 1024 + 17);
  CHECK(static_cast<unsigned char>(body[300000]) == pattern_byte(300000));
  auto s = client.open(get(server.url() + "/c"));
  CHECK(read_all(*s, 1 << 22, "c") == body);
  CHECK(server.connections() == 1);
}

TEST_CASE("gzip: accept_gzip asks for gzip and decodes it; without it nothing is asked") {
  std::string doc;
  for (int i = 0; i < 2000; ++i) doc += R"({"kind":"Pod","metadata":{"name":"web-)" + std::to_string(i) + "\"}}\n";
  std::atomic<bool> asked{false};
  TestHttpServer server([&](const ServerRequest& r) {
    asked = r.header("Accept-Encoding").value_or("") == "gzip";
    ServerReply reply = text(doc);
    reply.gzip = asked;
    return reply;
  });
  ClientOptions o = quick();
  o.accept_gzip = true;
  Client gz(o);
  Response resp = gz.send(get(server.url() + "/api"));
  CHECK(asked);
  CHECK(resp.body == doc);
  CHECK_FALSE(resp.headers.get("Content-Encoding"));
  auto s = gz.open(get(server.url() + "/api"));
  CHECK(read_all(*s, 1 << 24, "api") == doc);

  Client plain(quick());
  CHECK(plain.send(get(server.url() + "/api")).body == doc);
  CHECK_FALSE(asked);
}

TEST_CASE("open(): an error response's body is in response().body and is also what read() returns") {
  const std::string xml = "<Error><Code>NoSuchKey</Code></Error>";
  TestHttpServer server([&](const ServerRequest&) { return text(xml, 404); });
  Client client(quick());
  auto s = client.open(get(server.url() + "/missing"));
  CHECK(s->response().status == 404);
  CHECK(s->response().body == xml);
  CHECK(read_all(*s, 1000, "missing") == xml);
}

// ---- Retries ----

TEST_CASE("retries: 503 twice then 200 succeeds on the third attempt, signed before each attempt") {
  std::atomic<int> n{0};
  std::vector<std::string> dates;
  TestHttpServer server([&](const ServerRequest& r) {
    dates.push_back(r.header("X-Signed").value_or(""));
    return ++n <= 2 ? text("busy", 503) : text("done");
  });
  Logged log;
  Client client(quick(&log));
  Request r = get(server.url() + "/obj");
  r.description = "GET s3://bucket/obj";
  int signed_count = 0;
  r.sign = [&](Request& req) {
    ++signed_count;
    CHECK(req.headers.get("Host") == Url::parse(server.url()).host_header());
    req.headers.set("X-Signed", std::to_string(signed_count));
  };
  Response resp = client.send(r);
  CHECK(resp.status == 200);
  CHECK(resp.body == "done");
  CHECK(server.requests() == 3);
  CHECK(signed_count == 3);
  CHECK(dates == std::vector<std::string>{"1", "2", "3"});  // each attempt carries only its own signature
  std::string lines = log.all();
  CHECK(lines.find("503 Service Unavailable; retrying, attempt 2 of 5") != std::string::npos);
  CHECK(lines.find("attempt 3 of 5") != std::string::npos);
  CHECK(lines.find("GET s3://bucket/obj") != std::string::npos);
  CHECK(server.connections() == 1);  // error bodies are drained, so the connection is kept
}

TEST_CASE("retries: body_source is reopened for every attempt") {
  std::atomic<int> n{0};
  std::string last;
  TestHttpServer server([&](const ServerRequest& r) {
    last = r.body;
    return ++n == 1 ? text("", 500) : text("ok");
  });
  Client client(quick());
  int opened = 0;
  Request r;
  r.method = "PUT";
  r.url = server.url() + "/k";
  r.content_length = 5;
  r.body_source = [&] {
    ++opened;
    return std::make_unique<StringInputStream>("hello");
  };
  CHECK(client.send(r).status == 200);
  CHECK(opened == 2);
  CHECK(last == "hello");
}

TEST_CASE("retries: max_attempts bounds them and the last response is returned") {
  TestHttpServer server([](const ServerRequest&) { return text("broken", 500); });
  Logged log;
  ClientOptions o = quick(&log);
  o.retry.max_attempts = 4;
  Client client(o);
  Response resp = client.send(get(server.url() + "/x"));
  CHECK(resp.status == 500);
  CHECK(resp.body == "broken");
  CHECK(server.requests() == 4);
  REQUIRE(log.lines.size() == 4);  // three retries, then giving up
  CHECK(log.lines[3].find("500 Internal Server Error; giving up after 4 attempts") != std::string::npos);
  o.retry.max_attempts = 1;
  Client once(o);
  CHECK(once.send(get(server.url() + "/x")).status == 500);
  CHECK(server.requests() == 5);
}

TEST_CASE("retries: 429 with Retry-After waits at least that long and says so in the log") {
  TestHttpServer server([](const ServerRequest&) { return text("ok"); });
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.throttle_next(1, 1);
  Logged log;
  Client client(quick(&log));  // backoff alone would wait at most 5 ms
  auto start = std::chrono::steady_clock::now();
  Response resp = client.send(get(proxy.url() + "/x"));
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(resp.status == 200);
  CHECK(proxy.requests() == 2);
  CHECK(log.all().find("429 Too Many Requests, Retry-After 1;") != std::string::npos);
  CHECK(waited >= 1s);
}

TEST_CASE("retries: S3 SlowDown through the fault proxy, then the upstream answers") {
  TestHttpServer server([](const ServerRequest&) { return text("ok"); });
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.slow_down_next(3);
  Client client(quick());
  CHECK(client.send(get(proxy.url() + "/x")).status == 200);
  CHECK(proxy.requests() == 4);
  CHECK(proxy.faults() == 3);
  CHECK(server.requests() == 1);
}

TEST_CASE("retries: retry_response decides for provider-specific answers (S3 RequestTimeout is a 400)") {
  std::atomic<int> n{0};
  TestHttpServer server([&](const ServerRequest&) {
    return ++n == 1 ? text("<Error><Code>RequestTimeout</Code></Error>", 400) : text("ok");
  });
  ClientOptions o = quick();
  o.retry.retry_response = [](const Response& r) {
    return r.status == 400 && r.body.find("<Code>RequestTimeout</Code>") != std::string::npos;
  };
  Client client(o);
  CHECK(client.send(get(server.url() + "/x")).status == 200);
  CHECK(server.requests() == 2);
  Client plain(quick());
  n = 0;
  CHECK(plain.send(get(server.url() + "/x")).status == 400);
}

TEST_CASE("retries: a non-idempotent request is not retried once it may have reached the server") {
  TestHttpServer server([](const ServerRequest&) { return text("busy", 503); });
  Client client(quick());
  Request post;
  post.method = "POST";
  post.url = server.url() + "/create";
  post.body = "{}";
  post.idempotent = false;
  CHECK(client.send(post).status == 503);
  CHECK(server.requests() == 1);

  // The connection drops after the request went out: not retried, and the message says why.
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.drop_response_after(0, 5);
  post.url = proxy.url() + "/create";
  try {
    client.send(post);
    FAIL("no error");
  } catch (const Error& e) {
    std::string m = e.what();
    CHECK(m.find("not retried: the request is not idempotent") != std::string::npos);
    CHECK(m.find("(after 1 attempt)") != std::string::npos);
  }
  CHECK(proxy.requests() == 1);
}

TEST_CASE("retries: connection refused is retried, even for a non-idempotent request, up to max_attempts") {
  Logged log;
  ClientOptions o = quick(&log);
  o.retry.max_attempts = 3;
  Client client(o);
  Request post;
  post.method = "POST";
  post.url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/x";
  post.idempotent = false;
  post.description = "create thing";
  try {
    client.send(post);
    FAIL("no error");
  } catch (const Error& e) {
    std::string m = e.what();
    CHECK(e.code() == ErrorCode::storage);
    CHECK(m.rfind("create thing: POST " + post.url + ": ", 0) == 0);
    CHECK(m.find("refused") != std::string::npos);
    CHECK(m.find("(after 3 attempts)") != std::string::npos);
  }
  CHECK(log.all().find("attempt 3 of 3") != std::string::npos);
}

TEST_CASE("retries: a connection dropped in the middle of the response, then success with the same bytes") {
  TestHttpServer server([](const ServerRequest&) {
    ServerReply r;
    r.pattern_size = 300000;
    return r;
  });
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.drop_response_after(100000);
  Logged log;
  Client client(quick(&log));
  std::string body = client.send(get(proxy.url() + "/obj")).body;
  REQUIRE(body.size() == 300000);
  bool same = true;
  for (std::size_t i = 0; i < body.size(); ++i) same = same && static_cast<unsigned char>(body[i]) == pattern_byte(i);
  CHECK(same);
  CHECK(proxy.requests() == 2);
  CHECK(log.all().find("after 100000 bytes") != std::string::npos);
}

TEST_CASE("retries: a connection dropped while the request body is sent, then success") {
  std::atomic<std::uint64_t> got{0};
  TestHttpServer server([&](const ServerRequest& r) {
    got = r.body_is_pattern ? r.body_size : 0;
    return text("ok");
  });
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.drop_request_after(1 << 20);
  Client client(quick());
  Request put;
  put.method = "PUT";
  put.url = proxy.url() + "/part";
  put.content_length = 8 << 20;
  put.body_source = [] { return std::make_unique<PatternSource>(8 << 20); };
  CHECK(client.send(put).status == 200);
  CHECK(got == 8u << 20);
  CHECK(proxy.requests() == 2);
}

TEST_CASE("timeouts: a stalled server fails the attempt after io_timeout, naming the URL") {
  TestHttpServer server([](const ServerRequest&) { return text("ok"); });
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.stall_next(5s, 2);
  Logged log;
  ClientOptions o = quick(&log);
  o.io_timeout = 300ms;
  o.retry.max_attempts = 2;
  Client client(o);
  try {
    client.send(get(proxy.url() + "/slow"));
    FAIL("no timeout");
  } catch (const Error& e) {
    std::string m = e.what();
    CHECK(e.code() == ErrorCode::storage);
    CHECK(m.find("GET " + proxy.url() + "/slow") != std::string::npos);
    CHECK(m.find("no data for 300 ms (io_timeout)") != std::string::npos);
    CHECK(m.find("(after 2 attempts)") != std::string::npos);
  }
  // The next request is not faulted and succeeds on a fresh connection.
  CHECK(client.send(get(proxy.url() + "/fast")).status == 200);
}

TEST_CASE("timeouts: a body that stops in the middle fails read() with a message naming the URL") {
  TestHttpServer server([](const ServerRequest&) {
    ServerReply r;
    r.body = "partial";
    r.stall_after_header = 3s;
    return r;
  });
  ClientOptions o = quick();
  o.io_timeout = 200ms;
  Client client(o);
  auto s = client.open(get(server.url() + "/stuck"));
  CHECK(s->response().status == 200);
  char buf[16];
  try {
    s->read(buf, sizeof buf);
    FAIL("no timeout");
  } catch (const Error& e) {
    std::string m = e.what();
    CHECK(m.find("GET " + server.url() + "/stuck") != std::string::npos);
    CHECK(m.find("io_timeout") != std::string::npos);
  }
}

// ---- TLS ----

namespace {
struct Pki {
  TestCertificate ca = make_test_ca("vbackup test CA");
  TestCertificate server = make_test_leaf(ca, "127.0.0.1", {"localhost"}, {"127.0.0.1"});
  TestCertificate named = make_test_leaf(ca, "api.test.invalid", {"api.test.invalid"}, {});
  TestCertificate client = make_test_leaf(ca, "vbk-test-client", {}, {}, true);
};
Pki& pki() {
  static Pki p;
  return p;
}
ServerReply who(const ServerRequest& r) { return text("cn=" + r.client_certificate_cn + " sni=" + r.tls_server_name); }
}  // namespace

TEST_CASE("TLS: verified against the given CA (ca_pem, then ca_file), with keep-alive") {
  TestHttpServer server(who, ServerTls{pki().server.cert_pem, pki().server.key_pem, ""});
  ClientOptions o = quick();
  o.tls.ca_pem = pki().ca.cert_pem;
  Client client(o);
  CHECK(client.send(get(server.url() + "/")).body == "cn= sni=");  // no SNI for an IP address (RFC 6066)
  CHECK(client.send(get(server.url() + "/")).status == 200);
  CHECK(server.connections() == 1);

  testing::TempDir dir("http-ca");
  auto file = dir.write("ca.pem", pki().ca.cert_pem);
  ClientOptions f = quick();
  f.tls.ca_file = file.string();
  CHECK(Client(f).send(get(server.url() + "/")).status == 200);
}

TEST_CASE("TLS: an unknown CA fails verification, is not retried, and the message names the CA sources") {
  TestHttpServer server(who, ServerTls{pki().server.cert_pem, pki().server.key_pem, ""});
  Logged log;
  Client client(quick(&log));
  try {
    client.send(get(server.url() + "/secret"));
    FAIL("connected without a trusted CA");
  } catch (const Error& e) {
    std::string m = e.what();
    CHECK(e.code() == ErrorCode::storage);
    CHECK(m.find("TLS certificate verification failed for 127.0.0.1") != std::string::npos);
    CHECK(m.find("trusted CAs: system store") != std::string::npos);
    CHECK(m.find("(after 1 attempt)") != std::string::npos);
  }
  CHECK(server.requests() == 0);
}

TEST_CASE("TLS: the system store is read by the first https connection, not when the client is made") {
  // OpenSSL reads the system store from SSL_CERT_FILE when it is set, at the moment it loads it:
  // a client made while the variable names nothing, whose first https request comes after it names
  // the test CA, trusts the test CA. (Parsing the system bundle costs ~75 ms of CPU, which a client
  // that only speaks plain http should not pay.)
  TestHttpServer server(who, ServerTls{pki().server.cert_pem, pki().server.key_pem, ""});
  testing::TempDir dir("http-system-store");
  auto file = dir.write("system.pem", pki().ca.cert_pem);
  testing::EnvVar env("SSL_CERT_FILE", (dir / "absent.pem").c_str());
  Client client(quick());  // system store only
  env.set("SSL_CERT_FILE", file.c_str());
  int status = 0;
  std::string failure;
  try {
    status = client.send(get(server.url() + "/")).status;
  } catch (const Error& e) {
    failure = e.what();
  }
  CHECK_MESSAGE(status == 200, failure);
}

TEST_CASE("TLS: request bodies small and large and a large response cross intact on one connection") {
  // The request head and a small body are joined into one TLS record; a large body is written as
  // it comes. Each size sits on a side of that 16 KiB line.
  TestHttpServer server(
      [](const ServerRequest& r) {
        if (r.target == "/big") {
          std::string body(4 << 20, '\0');
          fill_pattern(body.data(), 0, body.size());
          return text(body);
        }
        return text(std::to_string(r.body_size) + (r.body_is_pattern ? " pattern" : " other"));
      },
      ServerTls{pki().server.cert_pem, pki().server.key_pem, ""});
  ClientOptions o = quick();
  o.tls.ca_pem = pki().ca.cert_pem;
  Client client(o);
  for (std::size_t size : {std::size_t{1}, std::size_t{16 * 1024 - 300}, std::size_t{16 * 1024 + 1}, std::size_t{3 << 20}}) {
    Request post;
    post.method = "POST";
    post.url = server.url() + "/echo";
    post.body.resize(size);
    fill_pattern(post.body.data(), 0, size);
    CHECK(client.send(std::move(post)).body == std::to_string(size) + " pattern");
  }
  std::string big = client.send(get(server.url() + "/big")).body;
  std::string want(4 << 20, '\0');
  fill_pattern(want.data(), 0, want.size());
  CHECK(big.size() == want.size());
  CHECK(big == want);
  CHECK(server.connections() == 1);
}

TEST_CASE("TLS: trust_system_store=false trusts only the given CA, as Kubernetes does") {
  TestHttpServer server(who, ServerTls{pki().server.cert_pem, pki().server.key_pem, ""});
  ClientOptions o = quick();
  o.tls.ca_pem = pki().ca.cert_pem;
  o.tls.trust_system_store = false;
  CHECK(Client(o).send(get(server.url() + "/")).status == 200);
  // Another CA alone: refused, and the message says the system store was not consulted.
  static TestCertificate other = make_test_ca("another CA");
  o.tls.ca_pem = other.cert_pem;
  try {
    Client(o).send(get(server.url() + "/"));
    FAIL("connected with a CA that did not sign the server's certificate");
  } catch (const Error& e) {
    std::string m = e.what();
    CHECK(m.find("trusted CAs: ca_pem") != std::string::npos);
    CHECK(m.find("system store") == std::string::npos);
  }
}

TEST_CASE("TLS: verify=false is the explicit opt-out") {
  TestHttpServer server(who, ServerTls{pki().server.cert_pem, pki().server.key_pem, ""});
  ClientOptions o = quick();
  o.tls.verify = false;
  CHECK(Client(o).send(get(server.url() + "/")).status == 200);
}

TEST_CASE("TLS: the certificate must name the host; server_name overrides the name and sets SNI") {
  TestHttpServer server(who, ServerTls{pki().named.cert_pem, pki().named.key_pem, ""});
  ClientOptions o = quick();
  o.tls.ca_pem = pki().ca.cert_pem;
  try {
    Client(o).send(get(server.url() + "/"));
    FAIL("certificate for another name accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("IP address mismatch") != std::string::npos);
  }
  o.tls.server_name = "api.test.invalid";
  CHECK(Client(o).send(get(server.url() + "/")).body == "cn= sni=api.test.invalid");
  o.tls.server_name = "other.test.invalid";
  try {
    Client(o).send(get(server.url() + "/"));
    FAIL("certificate for another name accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("hostname mismatch") != std::string::npos);
  }
}

TEST_CASE("TLS: a client certificate is presented when the server requires one") {
  TestHttpServer server(who, ServerTls{pki().server.cert_pem, pki().server.key_pem, pki().ca.cert_pem});
  ClientOptions o = quick();
  o.tls.ca_pem = pki().ca.cert_pem;
  o.tls.client_cert_pem = pki().client.cert_pem;
  o.tls.client_key_pem = pki().client.key_pem;
  CHECK(Client(o).send(get(server.url() + "/")).body == "cn=vbk-test-client sni=");

  ClientOptions without = quick();
  without.tls.ca_pem = pki().ca.cert_pem;
  CHECK_THROWS_AS(Client(without).send(get(server.url() + "/")), Error);
  CHECK(server.requests() == 1);
}

TEST_CASE("TLS: unusable options are invalid input and never echo the key") {
  ClientOptions o;
  o.tls.client_cert_pem = pki().client.cert_pem;
  o.tls.client_key_pem = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n";
  try {
    Client c(o);
    FAIL("bad key accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid);
    CHECK(std::string(e.what()).find("c2VjcmV0") == std::string::npos);
  }
  ClientOptions ca;
  ca.tls.ca_pem = "not a certificate";
  CHECK_THROWS_AS(Client{ca}, Error);
}

// ---- Secrets ----

TEST_CASE("errors and logs never contain the Authorization value or a URL signature") {
  Logged log;
  ClientOptions o = quick(&log);
  o.retry.max_attempts = 2;
  Client client(o);
  const std::string base = "http://127.0.0.1:" + std::to_string(closed_port());
  for (std::string url : {base + "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abcdef0123secret",
                          base + "/c/blob?sv=2021-08-06&sig=AZURE%2Bsecret%3D"}) {
    Request r = get(url);
    r.headers.set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/x, Signature=deadbeefsecret");
    r.sign = [](Request& req) { req.headers.set("x-ms-authorization-extra", "SharedKey acct:signedsecret"); };
    try {
      client.send(r);
      FAIL("no error");
    } catch (const Error& e) {
      std::string m = e.what();
      CHECK(m.find("secret") == std::string::npos);
      CHECK(m.find("Signature") == std::string::npos);
      CHECK(m.find(url.substr(0, url.find('?'))) != std::string::npos);
    }
  }
  CHECK(log.lines.size() == 4);
  CHECK(log.all().find("secret") == std::string::npos);
}

TEST_CASE("headers with line breaks are refused before anything is sent, naming the header only") {
  TestHttpServer server([](const ServerRequest&) { return text("ok"); });
  Client client(quick());
  Request r = get(server.url() + "/");
  r.headers.set("X-Token", "abc\r\nInjected: secretvalue");
  try {
    client.send(r);
    FAIL("header injection accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid);
    CHECK(std::string(e.what()).find("X-Token") != std::string::npos);
    CHECK(std::string(e.what()).find("secretvalue") == std::string::npos);
  }
  CHECK(server.requests() == 0);
}

// ---- Threads ----

TEST_CASE("concurrency: several threads share one client, each gets its own answers") {
  TestHttpServer server([](const ServerRequest& r) {
    ServerReply reply = text(r.target + ":" + r.body);
    return reply;
  });
  ClientOptions o = quick();
  o.max_connections_per_origin = 4;
  Client client(o);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        Request r;
        r.method = "PUT";
        r.url = server.url() + "/t" + std::to_string(t);
        r.body = std::to_string(i);
        if (client.send(r).body == "/t" + std::to_string(t) + ":" + std::to_string(i)) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 300);
  CHECK(server.connections() <= 4);
}

TEST_CASE("pool: a caller that finds every connection held waits, then gets an error instead of a deadlock") {
  TestHttpServer server([](const ServerRequest&) {
    ServerReply r;
    r.pattern_size = 1 << 20;
    return r;
  });
  ClientOptions o = quick();
  o.max_connections_per_origin = 1;
  o.connect_timeout = 200ms;
  o.io_timeout = 200ms;
  Client client(o);
  auto held = client.open(get(server.url() + "/held"));
  try {
    client.send(get(server.url() + "/second"));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("no free connection to http://127.0.0.1:") != std::string::npos);
    CHECK(std::string(e.what()).find("max_connections_per_origin") != std::string::npos);
  }
  held.reset();  // closes it: the next caller gets a connection
  CHECK(client.send(get(server.url() + "/third"), 2 << 20).body.size() == 1 << 20);
}

TEST_CASE("gzip: a body of several gzip members decodes as one (Go's gzip.Reader is multistream)") {
  std::string a(100000, 'a'), b = "{\"kind\":\"List\"}";
  for (std::size_t i = 0; i < a.size(); i += 7) a[i] = static_cast<char>('a' + i % 26);
  TestHttpServer server([&](const ServerRequest&) {
    ServerReply r = text(gzip_compress(a) + gzip_compress(b, 9) + gzip_compress(""));
    r.headers.emplace_back("Content-Encoding", "gzip");
    return r;
  });
  ClientOptions o = quick();
  o.accept_gzip = true;
  Client client(o);
  CHECK(client.send(get(server.url() + "/list")).body == a + b);
  auto s = client.open(get(server.url() + "/list"));
  CHECK(read_all(*s, 1 << 24, "list") == a + b);
}

TEST_CASE("gzip: a corrupt gzip body is a named error, not garbage") {
  TestHttpServer server([](const ServerRequest&) {
    ServerReply r = text("this is not gzip at all");
    r.headers.emplace_back("Content-Encoding", "gzip");
    return r;
  });
  ClientOptions o = quick();
  o.accept_gzip = true;
  Client client(o);
  Request r = get(server.url() + "/pods");
  r.description = "list pods";
  try {
    client.send(r);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::storage);
    CHECK(std::string(e.what()).rfind("list pods: GET " + server.url() + "/pods: invalid gzip response body", 0) == 0);
  }
}

namespace {
// Threads of this process now (Linux: /proc/self/status).
int thread_count() { return static_cast<int>(testing::status_kib("Threads:")); }
}  // namespace

TEST_CASE("transport: a client has no I/O threads; every request runs on the calling thread") {
  // Issue 17: a request's socket operations run on the caller's thread (no post to an I/O
  // thread and wait). To an IP literal nothing needs resolving either, so the only thread a
  // request adds is the test server's thread for the new connection.
  TestHttpServer server([](const ServerRequest& r) { return text("hello " + r.target); });
  const int before = thread_count();
  REQUIRE(before > 0);
  {
    Client client(quick());
    CHECK(thread_count() <= before);
    for (int i = 0; i < 50; ++i) CHECK(client.send(get(server.url() + "/n")).body == "hello /n");
    CHECK(server.connections() == 1);
    CHECK(thread_count() <= before + 1);
  }
}

TEST_CASE("transport: a host name is resolved (by the connect deadline) and its connection kept alive") {
  TestHttpServer server([](const ServerRequest& r) { return text("hello " + r.target); });
  std::string url = server.url();
  url.replace(url.find("127.0.0.1"), 9, "localhost");  // the server listens on 127.0.0.1 only
  Client client(quick());
  for (int i = 0; i < 5; ++i) CHECK(client.send(get(url + "/x")).body == "hello /x");
  CHECK(server.connections() == 1);
}
