// The API server's parallel-create ceiling for the restore benchmark (issue 11; bench/restore_bench.py
// runs it): POSTs a list of objects over several keep-alive connections of the project's HTTP client
// (the one the restore's Kubernetes client stands on), with no rate limit and no work per object
// beyond sending it, so that what it measures is the server.
//
//   create_load --server http://127.0.0.1:PORT --dir DIR [--connections N]
//
// DIR holds restore_bench export's setup.jsonl and items.jsonl ("<collection path>\t<JSON>" lines).
// The setup objects (namespaces, CRDs) are created one by one first; each CRD's group version is
// then waited for in discovery (as kubectl and the restore must wait); then the items are POSTed by N
// threads taking the next line in turn. Prints one JSON line: {"connections", "items", "failed",
// "seconds" (everything), "itemSeconds" (the parallel part)}; the first failure goes to stderr.
// Every answer but 201 counts as failed.
#include "http/client.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace vbackup;
using Clock = std::chrono::steady_clock;

namespace {

using Line = std::pair<std::string, std::string>;  // collection path, body

std::vector<Line> read_lines(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw Error(ErrorCode::io, file + ": cannot be read");
  std::vector<Line> out;
  std::string line;
  while (std::getline(in, line)) {
    auto tab = line.find('\t');
    if (tab == std::string::npos) throw Error(ErrorCode::invalid, file + ": a line without a tab");
    out.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  return out;
}

http::Response post(http::Client& client, const std::string& server, const Line& l) {
  http::Request r;
  r.method = "POST";
  r.url = server + l.first;
  r.body = l.second;
  r.headers.set("Content-Type", "application/json");
  r.headers.set("Accept", "application/json");
  r.idempotent = false;
  r.description = "POST " + l.first;
  return client.send(std::move(r));
}

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  std::string server, dir;
  int connections = 1;
  bool ok = argc % 2 == 1;
  for (int i = 1; ok && i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--server") server = argv[i + 1];
    else if (k == "--dir") dir = argv[i + 1];
    else if (k == "--connections") connections = std::atoi(argv[i + 1]);
    else ok = false;
  }
  if (!ok || server.empty() || dir.empty() || connections < 1) {
    std::cerr << "usage: create_load --server URL --dir DIR [--connections N]\n";
    return 2;
  }
  try {
    const auto setup = read_lines(dir + "/setup.jsonl");
    const auto items = read_lines(dir + "/items.jsonl");
    http::ClientOptions co;
    co.max_connections_per_origin = static_cast<std::size_t>(connections);
    co.user_agent = "create_load";
    http::Client client(co);

    const auto start = Clock::now();
    std::vector<std::string> group_versions;
    for (const auto& l : setup) {
      auto r = post(client, server, l);
      if (r.status != 201) throw Error(ErrorCode::kube, "POST " + l.first + ": HTTP " + std::to_string(r.status) + ": " + r.body);
      if (l.first.find("/customresourcedefinitions") != std::string::npos) {
        auto crd = json::parse(l.second, "CRD").get_object();
        const json::object* spec = json::find_object(crd, "spec");
        for (const auto& v : *json::find_array(*spec, "versions")) {
          group_versions.push_back(std::string(json::get_string(*spec, "group")) + "/" +
                                   std::string(json::get_string(v.get_object(), "name")));
        }
      }
    }
    for (const auto& gv : group_versions) {  // served once the CRD is Established
      while (true) {
        http::Request r;
        r.url = server + "/apis/" + gv;
        if (client.send(r).status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }

    const auto item_start = Clock::now();
    std::atomic<std::size_t> next{0}, failed{0};
    std::mutex first_mu;
    std::string first_failure;
    std::vector<std::thread> threads;
    for (int t = 0; t < connections; ++t) {
      threads.emplace_back([&] {
        for (std::size_t i; (i = next++) < items.size();) {
          auto r = post(client, server, items[i]);
          if (r.status != 201) {
            ++failed;
            std::lock_guard lock(first_mu);
            if (first_failure.empty()) first_failure = items[i].first + ": HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 400);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    const double item_seconds = since(item_start), seconds = since(start);
    if (!first_failure.empty()) std::cerr << "create_load: first failure: " << first_failure << "\n";
    std::printf("{\"connections\":%d,\"items\":%zu,\"failed\":%zu,\"seconds\":%.3f,\"itemSeconds\":%.3f}\n", connections,
                setup.size() + items.size(), failed.load(), seconds, item_seconds);
    return failed ? 1 : 0;
  } catch (const Error& e) {
    std::cerr << "create_load: " << e.what() << "\n";
    return 1;
  }
}
