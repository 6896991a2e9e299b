// The API server's parallel-create ceiling for the restore benchmark (issue 11; bench/restore_bench.py
// runs it): POSTs a list of objects over several keep-alive connections of the project's HTTP client
// (the one the restore's Kubernetes client stands on), with no rate limit and no work per object
// beyond sending it, so that what it measures is the server.
//
//   create_load --server http://127.0.0.1:PORT --dir DIR [--connections N] [--managed-fields-patch]
//               [--client project|loopback]
//
// DIR holds restore_bench export's setup.jsonl and items.jsonl ("<collection path>\t<JSON>" lines).
// The setup objects (namespaces, CRDs) are created one by one first; each CRD's group version is
// then waited for in discovery (as kubectl and the restore must wait); then the items are POSTed by N
// threads taking the next line in turn. Prints one JSON line: {"connections", "items", "failed",
// "seconds" (everything), "itemSeconds" (the parallel part)}; the first failure goes to stderr.
// Every answer but 201 counts as failed.
//
// With --managed-fields-patch each created item is followed by the request a restore sends next
// (restore §2.3 step 17): a merge patch of its metadata.managedFields back to the backed-up value
// (bodies prepared before the clock starts). That is the server's ceiling for Velero's request
// pattern, two writes an item, where the plain run is the ceiling for creating the objects.
//
// --client loopback sends through the test server's own blocking socket client (one per thread,
// tests/support/kube_server/loopback_client.hpp) instead of the project's HTTP client: what the
// server does when the client costs next to nothing, to tell the client's share from the server's.
#include "http/client.hpp"
#include "kube_server/loopback_client.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <tuple>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace vbackup;
using Clock = std::chrono::steady_clock;

namespace {

using Line = std::pair<std::string, std::string>;  // collection path, body

// The managedFields patch of a restore (apply.cpp, step 17): target path and body, or empty.
Line managed_fields_patch(const Line& l) {
  auto v = json::parse(l.second, l.first);
  const json::object* md = json::find_object(v.get_object(), "metadata");
  const auto* mf = md ? md->if_contains("managedFields") : nullptr;
  if (!mf || !mf->is_array() || mf->get_array().empty()) return {};
  return {l.first + "/" + std::string(json::get_string(*md, "name")),
          json::marshal(json::object{{"metadata", json::object{{"managedFields", *mf}}}})};
}

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

// One request on the project's client or on this thread's loopback client: the status and body.
struct Sender {
  http::Client* client = nullptr;  // the project's client, shared
  std::string server;              // http://127.0.0.1:PORT
  std::uint16_t port = 0;          // for loopback clients

  std::pair<int, std::string> send(const Line& l, const char* method = "POST",
                                   const char* content_type = "application/json") const {
    if (!client) {
      thread_local std::unique_ptr<kubetest::LoopbackClient> loopback;
      if (!loopback) loopback = std::make_unique<kubetest::LoopbackClient>(port);
      auto r = loopback->request(method, l.first, l.second, {{"Content-Type", content_type}, {"Accept", "application/json"}});
      return {r.status, std::move(r.body)};
    }
    http::Request r;
    r.method = method;
    r.url = server + l.first;
    r.body = l.second;
    r.headers.set("Content-Type", content_type);
    r.headers.set("Accept", "application/json");
    r.idempotent = false;
    r.description = std::string(method) + " " + l.first;
    auto resp = client->send(std::move(r));
    return {resp.status, std::move(resp.body)};
  }
};

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  std::string server, dir;
  int connections = 1;
  std::string client_kind = "project";
  bool ok = true, patch_managed_fields = false;
  for (int i = 1; ok && i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--managed-fields-patch") patch_managed_fields = true;
    else if (i + 1 == argc) ok = false;
    else if (k == "--server") server = argv[++i];
    else if (k == "--dir") dir = argv[++i];
    else if (k == "--connections") connections = std::atoi(argv[++i]);
    else if (k == "--client") client_kind = argv[++i];
    else ok = false;
  }
  if (client_kind != "project" && client_kind != "loopback") ok = false;
  if (!ok || server.empty() || dir.empty() || connections < 1) {
    std::cerr << "usage: create_load --server URL --dir DIR [--connections N] [--managed-fields-patch] [--client project|loopback]\n";
    return 2;
  }
  try {
    const auto setup = read_lines(dir + "/setup.jsonl");
    const auto items = read_lines(dir + "/items.jsonl");
    std::vector<Line> patches;
    if (patch_managed_fields) {
      patches.reserve(items.size());
      for (const auto& l : items) patches.push_back(managed_fields_patch(l));
    }
    http::ClientOptions co;
    co.max_connections_per_origin = static_cast<std::size_t>(connections);
    co.user_agent = "create_load";
    http::Client client(co);
    Sender sender{client_kind == "project" ? &client : nullptr, server, 0};
    if (!sender.client) {
      auto colon = server.rfind(':');
      sender.port = static_cast<std::uint16_t>(std::atoi(server.c_str() + colon + 1));
    }

    const auto start = Clock::now();
    std::vector<std::string> group_versions;
    for (const auto& l : setup) {
      auto [status, body] = sender.send(l);
      if (status != 201) throw Error(ErrorCode::kube, "POST " + l.first + ": HTTP " + std::to_string(status) + ": " + body);
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
        if (sender.send({"/apis/" + gv, ""}, "GET").first == 200) break;
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
          auto [status, body] = sender.send(items[i]);
          if (status == 201 && patch_managed_fields && !patches[i].first.empty()) {
            auto p = sender.send(patches[i], "PATCH", "application/merge-patch+json");
            if (p.first != 200) std::tie(status, body) = std::move(p);
          }
          if (status != 201) {
            ++failed;
            std::lock_guard lock(first_mu);
            if (first_failure.empty()) first_failure = items[i].first + ": HTTP " + std::to_string(status) + ": " + body.substr(0, 400);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    const double item_seconds = since(item_start), seconds = since(start);
    if (!first_failure.empty()) std::cerr << "create_load: first failure: " << first_failure << "\n";
    std::printf("{\"client\":\"%s\",\"connections\":%d,\"managedFieldsPatch\":%s,\"items\":%zu,\"failed\":%zu,\"seconds\":%.3f,\"itemSeconds\":%.3f}\n", client_kind.c_str(), connections,
                patch_managed_fields ? "true" : "false", setup.size() + items.size(), failed.load(), seconds, item_seconds);
    return failed ? 1 : 0;
  } catch (const Error& e) {
    std::cerr << "create_load: " << e.what() << "\n";
    return 1;
  }
}
