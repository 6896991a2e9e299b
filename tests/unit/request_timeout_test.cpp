// The request timeout (issue 12, "Hung servers and timeouts"): a server that accepts connections and
// never answers must not hold a caller for attempts × io_timeout (it held the CLI for 10 minutes: 5
// attempts of 60 s for GET /version, then as many for GET /api). One budget spans a request and its
// retries, as kubectl's --request-timeout (client-go's one context per request); a notice says what
// is waited for; the failure names the server. Checked for the HTTP client, the Kubernetes client,
// and the S3 and Azure stores, against servers on loopback that accept and never answer.
#include "http/client.hpp"

#include "loopback_listener.hpp"
#include "test_helpers.hpp"
#include "test_http_server.hpp"
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/location.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>

using namespace vbackup;
using namespace vbackup::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Accepts every connection, reads the request header, and then says nothing until it is stopped:
// the hung server of the issue.
class SilentServer {
 public:
  SilentServer() {
    listener_.start([this](LoopbackListener::tcp::socket& s, std::size_t) {
      boost::asio::streambuf buf;
      boost::system::error_code ec;
      boost::asio::read_until(s, buf, "\r\n\r\n", ec);
      ++requests_;
      while (listener_.pause(50ms)) {
      }
    });
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(listener_.port()); }
  std::size_t requests() const { return requests_; }

 private:
  LoopbackListener listener_;
  std::atomic<std::size_t> requests_{0};
};

// Answers the header at once, then the 20 bytes of the body one every 100 ms: slow, but moving.
class DribbleServer {
 public:
  DribbleServer() {
    listener_.start([this](LoopbackListener::tcp::socket& s, std::size_t) {
      boost::asio::streambuf buf;
      boost::asio::read_until(s, buf, "\r\n\r\n");
      boost::asio::write(s, boost::asio::buffer(std::string("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n")));
      for (int i = 0; i < 20 && listener_.pause(100ms); ++i) boost::asio::write(s, boost::asio::buffer("x", 1));
    });
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(listener_.port()); }

 private:
  LoopbackListener listener_;
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

http::ClientOptions patient() {
  // What made the wait long: 5 attempts, each waiting io_timeout for the response header.
  http::ClientOptions o;
  o.retry.max_attempts = 5;
  o.retry.base_delay = 1ms;
  o.retry.max_delay = 5ms;
  o.io_timeout = 20s;
  return o;
}

struct Lines {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(std::string_view)> sink() {
    return [this](std::string_view l) {
      std::lock_guard lock(mu);
      lines.emplace_back(l);
    };
  }
};

}  // namespace

TEST_CASE("request timeout: a server that never answers fails the call within the timeout, not attempts x io_timeout") {
  SilentServer server;
  auto o = patient();
  o.request_timeout = 1500ms;
  http::Client client(o);
  auto start = Clock::now();
  http::Request r;
  r.url = server.url() + "/version";
  r.description = "probe";
  std::string msg = error_of([&] { client.send(r); });
  double took = seconds_since(start);
  CHECK(took >= 1.4);
  CHECK(took < 4.0);  // without the budget: 5 attempts of 20 s
  CHECK(msg.find("probe: GET " + server.url() + "/version") != std::string::npos);  // names the server
  CHECK(msg.find("no answer within the request timeout of 1.5s") != std::string::npos);
}

TEST_CASE("request timeout: open() is bounded the same way until the response header") {
  SilentServer server;
  auto o = patient();
  o.request_timeout = 800ms;
  http::Client client(o);
  auto start = Clock::now();
  http::Request r;
  r.url = server.url() + "/blob";
  std::string msg = error_of([&] { client.open(r); });
  CHECK(seconds_since(start) < 3.0);
  CHECK(msg.find("no answer within the request timeout of 800ms") != std::string::npos);
}

TEST_CASE("request timeout: a retry that would end after the budget is not waited for") {
  // 503 with Retry-After: 30 — the retry would come after the request timeout: the answer is returned.
  TestHttpServer server([](const ServerRequest&) {
    ServerReply reply;
    reply.status = 503;
    reply.headers = {{"Retry-After", "30"}};
    return reply;
  });
  auto o = patient();
  o.request_timeout = 1s;
  Lines log;
  o.log = log.sink();
  http::Client client(o);
  auto start = Clock::now();
  http::Request r;
  r.url = server.url() + "/x";
  auto resp = client.send(r);
  CHECK(resp.status == 503);
  CHECK(seconds_since(start) < 1.0);
  CHECK(server.requests() == 1);
  REQUIRE(!log.lines.empty());
  CHECK(log.lines.back().find("the request timeout of 1s ends first") != std::string::npos);
}

TEST_CASE("request timeout: time while body bytes move is not counted (a slow download is not cut)") {
  DribbleServer server;
  auto o = patient();
  o.request_timeout = 700ms;  // the body takes 2 s, the header comes at once
  http::Client client(o);
  http::Request r;
  r.url = server.url() + "/slow";
  auto resp = client.send(r);
  CHECK(resp.status == 200);
  CHECK(resp.body == std::string(20, 'x'));
}

TEST_CASE("request timeout: the wait notice comes once, after wait_notice_after, naming the origin") {
  SilentServer server;
  auto o = patient();
  o.request_timeout = 1200ms;
  o.wait_notice_after = 300ms;
  std::mutex mu;
  std::vector<http::WaitNotice> notices;
  o.on_wait = [&](const http::WaitNotice& n) {
    std::lock_guard lock(mu);
    notices.push_back(n);
  };
  http::Client client(o);
  http::Request r;
  r.url = server.url() + "/version";
  error_of([&] { client.send(r); });
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].origin == server.url());
  CHECK(notices[0].waited >= 300ms);
  CHECK(notices[0].request_timeout == 1200ms);
  CHECK(http::wait_line("the Kubernetes API server " + server.url(), notices[0]) ==
        "waiting for the Kubernetes API server " + server.url() + ": no answer for 0s (request timeout 1.2s)");
}

TEST_CASE("request timeout: kubectl's --request-timeout values") {
  using kube::parse_request_timeout;
  CHECK(parse_request_timeout("0") == 0ms);  // no limit
  CHECK(parse_request_timeout("30") == 30s);  // a number is seconds
  CHECK(parse_request_timeout("30s") == 30s);
  CHECK(parse_request_timeout("1m") == 60s);
  CHECK(parse_request_timeout("1m30s") == 90s);
  CHECK(parse_request_timeout("1.5s") == 1500ms);
  CHECK(parse_request_timeout("250ms") == 250ms);
  CHECK(parse_request_timeout("1h") == std::chrono::hours(1));
  for (const char* bad : {"", "-1s", "-5", "abc", "30 s", "1x"}) {
    ErrorCode code{};
    std::string msg = error_of([&] { parse_request_timeout(bad); }, &code);
    CHECK(code == ErrorCode::invalid);
    CHECK(msg.find("--request-timeout: \"" + std::string(bad) + "\": Invalid timeout value") == 0);
  }
}

TEST_CASE("request timeout: the Kubernetes client gives up on a hung API server, naming it, and says it waits") {
  SilentServer server;
  TempDir dir("rt");
  std::filesystem::path kc = dir.path / "kubeconfig";
  std::ofstream(kc) << "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \"" << server.url()
                    << "\"}}]\nusers: [{name: u, user: {token: t}}]\n"
                       "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
  kube::ConnectOptions connect;
  connect.kubeconfig = kc.string();
  Lines notices;
  connect.notice = notices.sink();
  CHECK(kube::load_rest_config(connect).timeout == kube::default_request_timeout);  // 1m unless told
  connect.request_timeout = 5500ms;  // the notice comes after 5 s
  kube::RestConfig config = kube::load_rest_config(connect);
  CHECK(config.timeout == 5500ms);
  kube::KubeClient client(config);
  auto start = Clock::now();
  ErrorCode code{};
  std::string msg = error_of([&] { client.version(); }, &code);
  double took = seconds_since(start);
  CHECK(code == ErrorCode::kube);
  CHECK(took >= 5.4);
  CHECK(took < 9.0);
  CHECK(msg.find("cannot reach the Kubernetes API server " + server.url()) == 0);
  CHECK(msg.find("no answer within the request timeout of 5.5s") != std::string::npos);
  REQUIRE(notices.lines.size() == 1);
  CHECK(notices.lines[0] == "waiting for the Kubernetes API server " + server.url() +
                                ": no answer for 5s (request timeout 5.5s)");
  CHECK(server.requests() == 1);  // one attempt took the whole budget
}

TEST_CASE("request timeout: an S3 location's requestTimeout, overridden by LocationOptions, bounds each request") {
  SilentServer server;
  EnvVar env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
  env.set("AWS_SECRET_ACCESS_KEY", "secret");
  env.set("AWS_PROFILE", nullptr);
  std::string url = "s3://bucket?region=us-east-1&s3ForcePathStyle=true&s3Url=" + server.url();
  {
    auto loc = open_location(url + "&requestTimeout=1s");
    auto start = Clock::now();
    std::string msg = error_of([&] { loc.backups->list_backups(); });
    CHECK(seconds_since(start) < 3.0);
    CHECK(msg.find("GET " + server.url() + "/bucket") != std::string::npos);  // the endpoint
    CHECK(msg.find("no answer within the request timeout of 1s") != std::string::npos);
  }
  LocationOptions options;
  options.request_timeout = 600ms;  // the CLI's --request-timeout wins over the location's
  auto loc = open_location(url + "&requestTimeout=1h", options);
  auto start = Clock::now();
  std::string msg = error_of([&] { loc.objects->exists("backups/x/velero-backup.json"); });
  CHECK(seconds_since(start) < 2.0);
  CHECK(msg.find("no answer within the request timeout of 600ms") != std::string::npos);
  ErrorCode code{};
  msg = error_of([&] { open_location(url + "&requestTimeout=soon"); }, &code);
  CHECK(code == ErrorCode::invalid);
  CHECK(msg.find("requestTimeout: \"soon\": Invalid timeout value") != std::string::npos);
}

TEST_CASE("request timeout: an Azure location is bounded the same way, with the notice") {
  SilentServer server;
  EnvVar env("VBK_TEST_AZURE_KEY", "a2V5a2V5a2V5a2V5");
  std::string url = "azure://container?storageAccount=acct&storageAccountKeyEnvVar=VBK_TEST_AZURE_KEY"
                    "&storageAccountURI=" + server.url() + "/acct&requestTimeout=700ms";
  Lines notices;
  LocationOptions options;
  options.notice = notices.sink();
  auto loc = open_location(url, options);
  auto start = Clock::now();
  std::string msg = error_of([&] { loc.backups->list_backups(); });
  CHECK(seconds_since(start) < 3.0);
  CHECK(msg.find("GET " + server.url() + "/acct/container") != std::string::npos);
  CHECK(msg.find("no answer within the request timeout of 700ms") != std::string::npos);
  CHECK(notices.lines.empty());  // 700 ms is below the 5 s of the notice
}
