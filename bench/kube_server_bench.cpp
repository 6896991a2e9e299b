// The ceiling of kube-test-server: how fast it answers single-object GETs and paged LISTs, so
// later benchmarks (backup of a live cluster) can report their throughput as a fraction of it.
//
//   kube_server_bench [--objects 100000] [--size 4096] [--page 500] [--seconds 5] [--clients 2]
//                     [--server-threads 2] [--port P]
//
// Without --port it starts the server in process and fills namespace "bench" with --objects
// ConfigMaps of --size bytes of configuration-like text that gzip shrinks about 3x
// (kube-test-server --fill does the same for a server run as a program; pass its --port to
// measure that one instead). Figures:
//   GET     requests/s, --clients keep-alive connections GETting single ConfigMaps in turn
//   LIST    items/s and MB/s (JSON bytes) for a full paged LIST of the namespace (limit=--page),
//           one client, as Velero lists a resource; once plain and once with Accept-Encoding: gzip
//           (then the API server's compression, level 1, is part of the cost; MB/s counts
//           uncompressed JSON, "wire" the compressed bytes).
#include "kube_server/kube_server.hpp"
#include "kube_server/loopback_client.hpp"
#include "vbackup/json.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace vbackup;
using namespace vbackup::kubetest;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::size_t objects = 100000, size = 4096, page = 500;
  double seconds = 5;
  int clients = 2, server_threads = 2;
  int port = 0;
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: kube_server_bench [--objects N] [--size BYTES] [--page N] [--seconds S] [--clients N] "
               "[--server-threads N] [--port P]\n");
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    const std::string a = argv[i];
    if (a == "--objects") o.objects = std::strtoull(value(), nullptr, 10);
    else if (a == "--size") o.size = std::strtoull(value(), nullptr, 10);
    else if (a == "--page") o.page = std::strtoull(value(), nullptr, 10);
    else if (a == "--seconds") o.seconds = std::strtod(value(), nullptr);
    else if (a == "--clients") o.clients = std::atoi(value());
    else if (a == "--server-threads") o.server_threads = std::atoi(value());
    else if (a == "--port") o.port = std::atoi(value());
    else usage();
  }
  if (o.objects == 0 || o.page == 0 || o.clients < 1 || o.seconds <= 0) usage();
  return o;
}

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct ListFigures {
  std::size_t items = 0, bytes = 0, wire = 0, pages = 0;
  double seconds = 0;
};

// Full paged LISTs of namespace bench, repeated until `seconds` have passed (at least once).
ListFigures paged_lists(std::uint16_t port, std::size_t page, double seconds, bool gzip) {
  LoopbackClient c(port);
  ListFigures f;
  HeaderList headers;
  if (gzip) headers.emplace_back("Accept-Encoding", "gzip");
  const auto start = Clock::now();
  do {
    std::string token;
    do {
      std::string target = "/api/v1/namespaces/bench/configmaps?limit=" + std::to_string(page);
      if (!token.empty()) target += "&continue=" + token;
      HttpResult r = c.get(target, headers);
      if (r.status != 200) {
        std::fprintf(stderr, "LIST %s: HTTP %d: %s\n", target.c_str(), r.status, r.body.substr(0, 300).c_str());
        std::exit(1);
      }
      // The continue token sits in the metadata at the front; items are counted by their "uid"s
      // rather than by parsing (a JSON parse would make the client the bottleneck).
      auto meta_end = r.body.find("\"items\":[");
      auto cont = r.body.find("\"continue\":\"");
      token = (cont != std::string::npos && cont < meta_end)
                  ? r.body.substr(cont + 12, r.body.find('"', cont + 12) - cont - 12)
                  : std::string();
      for (std::size_t at = meta_end; (at = r.body.find("\"uid\":\"", at)) != std::string::npos; at += 7) ++f.items;
      f.bytes += r.body.size();
      f.wire += r.wire_bytes;
      ++f.pages;
    } while (!token.empty());
  } while (since(start) < seconds);
  f.seconds = since(start);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  std::unique_ptr<KubeServer> server;
  std::uint16_t port = static_cast<std::uint16_t>(o.port);
  double fill_seconds = 0;
  if (!port) {
    KubeServerOptions so;
    so.threads = o.server_threads;
    so.api.request_log = 0;
    so.api.watch_history = 0;  // a fill of 100k objects need not be replayable to watches
    auto t = Clock::now();
    server = std::make_unique<KubeServer>(so);
    const double start_seconds = since(t);
    t = Clock::now();
    server->api().fill_configmaps("bench", o.objects, o.size);
    fill_seconds = since(t);
    port = server->port();
    std::printf("kube-test-server: started in %.1f ms, %zu ConfigMaps of %zu bytes written in %.2f s\n",
                start_seconds * 1000, o.objects, o.size, fill_seconds);
  }

  // GET of one object, --clients connections.
  std::atomic<std::size_t> gets{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto get_start = Clock::now();
  for (int i = 0; i < o.clients; ++i) {
    threads.emplace_back([&, i] {
      LoopbackClient c(port);
      std::size_t n = static_cast<std::size_t>(i) * 7919, local = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        HttpResult r = c.get("/api/v1/namespaces/bench/configmaps/cm-" + std::to_string(n++ % o.objects));
        if (r.status != 200) {
          std::fprintf(stderr, "GET: HTTP %d: %s\n", r.status, r.body.substr(0, 300).c_str());
          std::exit(1);
        }
        ++local;
      }
      gets += local;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double get_seconds = since(get_start);
  const double get_rate = static_cast<double>(gets) / get_seconds;

  const ListFigures plain = paged_lists(port, o.page, o.seconds, false);
  const ListFigures gz = paged_lists(port, o.page, o.seconds, true);
  auto items_per_s = [](const ListFigures& f) { return static_cast<double>(f.items) / f.seconds; };
  auto mb_per_s = [](std::size_t bytes, const ListFigures& f) { return static_cast<double>(bytes) / f.seconds / 1e6; };

  std::printf("GET one ConfigMap (%d clients, keep-alive): %.0f requests/s\n", o.clients, get_rate);
  std::printf("LIST paged (limit=%zu), plain: %.0f items/s, %.1f MB/s (%zu items in %zu pages, %.2f s)\n", o.page,
              items_per_s(plain), mb_per_s(plain.bytes, plain), plain.items, plain.pages, plain.seconds);
  std::printf("LIST paged (limit=%zu), gzip:  %.0f items/s, %.1f MB/s JSON, %.1f MB/s wire (ratio %.2f; %zu items, %.2f s)\n",
              o.page, items_per_s(gz), mb_per_s(gz.bytes, gz), mb_per_s(gz.wire, gz),
              static_cast<double>(gz.bytes) / static_cast<double>(gz.wire ? gz.wire : 1), gz.items, gz.seconds);
  json::object figures{{"objects", o.objects},
                       {"objectBytes", o.size},
                       {"page", o.page},
                       {"getRequestsPerSecond", static_cast<std::int64_t>(get_rate)},
                       {"listItemsPerSecond", static_cast<std::int64_t>(items_per_s(plain))},
                       {"listMegabytesPerSecond", mb_per_s(plain.bytes, plain)},
                       {"listGzipItemsPerSecond", static_cast<std::int64_t>(items_per_s(gz))},
                       {"listGzipMegabytesPerSecond", mb_per_s(gz.bytes, gz)}};
  std::printf("%s\n", json::marshal(figures, {.sort_keys = false}).c_str());
  return 0;
}
