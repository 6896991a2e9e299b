// KubeClient::Impl, shared by the client's translation units (client.cpp: requests, LIST and CRUD;
// client_watch.cpp; client_discovery.cpp): the connection, authentication and pacing state.
#pragma once

#include "core/percent.hpp"
#include "core/strings.hpp"
#include "core/tree_storage.hpp"
#include "http/client.hpp"
#include "kube/internal.hpp"
#include "core/encoding.hpp"
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup_version.h"

#include <atomic>
#include <cctype>
#include <future>
#include <mutex>
#include <thread>

namespace vbackup::kube {

using steady = std::chrono::steady_clock;

inline bool looks_like_tls(std::string_view message) {
  std::string lower;
  for (char c : message) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (std::string_view w : {"tls", "ssl", "certificate", "handshake", "x509"}) {
    if (lower.find(w) != std::string::npos) return true;
  }
  return false;
}

inline std::string enc(std::string_view s) { return percent_encode(s); }

struct KubeClient::Impl {
  RestConfig config;
  TokenBucket bucket;
  InFlightLimit in_flight;

  std::mutex http_mutex;
  std::shared_ptr<http::Client> http;
  std::string http_cert;  // the client certificate the current http client presents

  std::mutex auth_mutex;
  std::shared_ptr<const ExecCredential> exec_cred;
  std::atomic<int> exec_runs{0};
  std::string file_token;
  steady::time_point file_token_read{};

  std::mutex discovery_mutex;
  std::vector<std::unique_ptr<Discovery>> discoveries;  // older ones kept: references stay valid
  std::vector<std::string> discovery_warnings;

  explicit Impl(RestConfig c)
      : config(std::move(c)), bucket(config.qps, config.burst), in_flight(config.max_in_flight) {
    if (config.server.empty()) throw invalid_input(config.source + ": no server");
    try {
      http::Url::parse(config.server + "/");
    } catch (const Error& e) {
      throw invalid_input(config.source + ": server " + config.server + ": not a valid URL");
    }
    while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
    if (config.user_agent.empty()) config.user_agent = std::string("libvbackup/") + VBACKUP_VERSION;
    file_token = config.bearer_token;
    file_token_read = steady::now();
    http = make_http(config.client_cert_pem, config.client_key_pem);
    http_cert = config.client_cert_pem;
  }

  std::shared_ptr<http::Client> make_http(const std::string& cert, const std::string& key) const {
    http::ClientOptions o;
    o.tls.verify = !config.insecure_skip_tls_verify;
    o.tls.insecure_what = "the Kubernetes API server (insecure-skip-tls-verify)";
    o.tls.ca_pem = config.ca_pem;
    // A cluster's certificate-authority is the only trusted root, as in client-go.
    o.tls.trust_system_store = config.ca_pem.empty();
    o.tls.client_cert_pem = cert;
    o.tls.client_key_pem = key;
    o.tls.server_name = config.tls_server_name;
    // The request timeout bounds a request and its retries (client-go: one context for both);
    // io_timeout bounds each wait for a byte, at most a minute.
    o.request_timeout = config.timeout;
    o.io_timeout = config.timeout.count() > 0 ? std::min(config.timeout, std::chrono::milliseconds(60000))
                                              : std::chrono::milliseconds(60000);
    if (config.notice) {
      o.on_wait = [notice = config.notice, server = "the Kubernetes API server " + config.server](
                      const http::WaitNotice& w) { notice(http::wait_line(server, w)); };
    }
    o.max_connections_per_origin = std::max<std::size_t>(1, config.max_in_flight);
    o.user_agent = config.user_agent;
    o.accept_gzip = !config.disable_compression;
    o.log = config.log;
    // client-go retries 429, and 5xx answers that carry Retry-After, whatever the verb: the server
    // did not act on them. (The HTTP layer already retries 429 and 5xx for idempotent requests.)
    o.retry.retry_response = [](const http::Response& r) {
      return r.status == 429 || (r.status >= 500 && r.headers.get("Retry-After").has_value());
    };
    return std::make_shared<http::Client>(std::move(o));
  }

  // The exec credential to use now: the cached one while it is valid, else a fresh run.
  std::shared_ptr<const ExecCredential> exec_credential() {
    std::lock_guard lock(auth_mutex);
    if (exec_cred && exec_cred->valid_at(std::chrono::system_clock::now())) return exec_cred;
    auto cred = std::make_shared<ExecCredential>(run_exec_plugin(*config.exec, config, std::chrono::seconds(60)));
    ++exec_runs;
    exec_cred = cred;
    return cred;
  }

  // After a 401: forget the credential that was refused, unless another thread already replaced it.
  void drop_exec_credential(const std::shared_ptr<const ExecCredential>& used) {
    std::lock_guard lock(auth_mutex);
    if (exec_cred == used) exec_cred.reset();
  }

  // client-go's cachingTokenSource over a token file: re-read when older than a minute.
  std::string token_from_file() {
    std::lock_guard lock(auth_mutex);
    if (steady::now() - file_token_read > std::chrono::minutes(1)) {
      try {
        file_token = trim_space(read_small_file(config.bearer_token_file, config.source + ": token file", 1 << 20));
      } catch (const Error&) {
        // Keep the last good token, as client-go does when a re-read fails.
      }
      file_token_read = steady::now();
    }
    return file_token;
  }

  // After a 401: read the token file now; true when it holds another token than the one in use.
  bool reread_token_file() {
    std::lock_guard lock(auth_mutex);
    std::string before = file_token;
    try {
      file_token = trim_space(read_small_file(config.bearer_token_file, config.source + ": token file", 1 << 20));
    } catch (const Error&) {
      return false;
    }
    file_token_read = steady::now();
    return file_token != before;
  }

  std::shared_ptr<http::Client> http_for(const ExecCredential* cred) {
    std::lock_guard lock(http_mutex);
    if (cred && !cred->client_cert_pem.empty() && cred->client_cert_pem != http_cert) {
      http = make_http(cred->client_cert_pem, cred->client_key_pem);
      http_cert = cred->client_cert_pem;
    }
    return http;
  }

  struct Sent {
    http::Response response;
    std::string url;
  };

  // stream: when set, the body is not read but handed over as a stream (a watch).
  Sent send(std::string_view method, std::string_view path_and_query, const std::string& body,
            std::string_view content_type, std::size_t limit, std::string_view accept = "application/json",
            std::unique_ptr<http::ResponseStream>* stream = nullptr) {
    const std::string url = config.server + std::string(path_and_query);
    bool retried_unauthorized = false;
    while (true) {
      bucket.acquire();
      InFlightLimit::Slot slot(in_flight);
      std::shared_ptr<const ExecCredential> cred;
      http::Request req;
      req.method = std::string(method);
      req.url = url;
      req.idempotent = method == "GET" || method == "PUT" || method == "DELETE" || method == "HEAD";
      req.headers.set("Accept", std::string(accept));
      if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        req.body = body;
        req.headers.set("Content-Type", content_type.empty() ? std::string("application/json") : std::string(content_type));
      }
      if (config.exec) {
        cred = exec_credential();
        if (!cred->token.empty()) req.headers.set("Authorization", "Bearer " + cred->token);
      } else if (!config.bearer_token_file.empty()) {
        req.headers.set("Authorization", "Bearer " + token_from_file());
      } else if (!config.bearer_token.empty()) {
        req.headers.set("Authorization", "Bearer " + config.bearer_token);
      } else if (!config.username.empty() || !config.password.empty()) {
        req.headers.set("Authorization", "Basic " + base64_encode(config.username + ":" + config.password));
      }
      if (!config.impersonate.empty()) {
        req.headers.set("Impersonate-User", config.impersonate);
        if (!config.impersonate_uid.empty()) req.headers.set("Impersonate-Uid", config.impersonate_uid);
        for (const auto& g : config.impersonate_groups) req.headers.add("Impersonate-Group", g);
        for (const auto& [k, vs] : config.impersonate_extra) {
          for (const auto& v : vs) req.headers.add("Impersonate-Extra-" + enc(k), v);
        }
      }
      auto client = http_for(cred.get());
      http::Response resp;
      try {
        if (stream) {
          *stream = client->open(std::move(req));
          resp = (*stream)->response();
        } else {
          resp = client->send(std::move(req), limit);
        }
      } catch (const Error& e) {
        std::string msg = "cannot reach the Kubernetes API server " + config.server + " (" + config.source + "): " + e.what();
        if (looks_like_tls(e.what())) {
          msg += "; the server certificate was checked against " +
                 (config.insecure_skip_tls_verify ? std::string("nothing (insecure-skip-tls-verify)") : config.ca_origin);
          if (!config.tls_server_name.empty()) msg += " for the name " + config.tls_server_name;
        }
        throw KubeError(ErrorCode::kube, msg, 0, Reason::unknown, "");
      }
      if (resp.status == 401 && !retried_unauthorized) {
        // An expired or rotated credential: run the plugin again (or re-read the token file) once.
        if (config.exec) {
          drop_exec_credential(cred);
          retried_unauthorized = true;
          continue;
        }
        if (!config.bearer_token_file.empty() && reread_token_file()) {
          retried_unauthorized = true;
          continue;
        }
      }
      return {std::move(resp), url};
    }
  }

  http::Response call(std::string_view method, std::string_view path_and_query, const std::string& body = {},
                      std::string_view content_type = {}, std::size_t limit = 256u << 20,
                      std::string_view accept = "application/json") {
    Sent s = send(method, path_and_query, body, content_type, limit, accept);
    if (s.response.status < 200 || s.response.status > 299) {
      throw error_from_response(std::string(method) + " " + s.url, s.response.status, s.response.body,
                                s.response.headers.get("Retry-After").value_or(""));
    }
    return std::move(s.response);
  }

  json::value call_json(std::string_view method, std::string_view path_and_query, const std::string& body = {},
                        std::string_view content_type = {}, std::string_view accept = "application/json",
                        boost::json::storage_ptr storage = {}) {
    http::Response r = call(method, path_and_query, body, content_type, 256u << 20, accept);
    return parse_answer(method, path_and_query, r.body, std::move(storage));
  }

  json::object call_object(std::string_view method, std::string_view path_and_query, const std::string& body = {},
                           std::string_view content_type = {}) {
    http::Response r = call(method, path_and_query, body, content_type);
    // One bump allocator per answer (freed with the object), its first block sized for the whole
    // tree and pooled (core/tree_storage.hpp): an answer is parsed once and read, and node-by-node
    // malloc/free of a 4 KB object was a tenth of a restore's CPU (issue 17).
    json::value v = parse_answer(method, path_and_query, r.body, detail::tree_storage(r.body));
    if (!v.is_object()) {
      throw Error(ErrorCode::kube, std::string(method) + " " + config.server + std::string(path_and_query) +
                                       ": the answer is not a JSON object");
    }
    return std::move(v.get_object());
  }

  json::value parse_answer(std::string_view method, std::string_view path_and_query, const std::string& text,
                           boost::json::storage_ptr storage) {
    try {
      return json::parse(text, std::string(method) + " " + config.server + std::string(path_and_query), std::move(storage));
    } catch (const Error& e) {
      throw Error(ErrorCode::kube, e.what());
    }
  }

  std::unique_ptr<Discovery> fetch_discovery(std::vector<std::string>& warnings);
  std::unique_ptr<Discovery> fetch_aggregated(const json::value& api, std::vector<std::string>& warnings);
};

}  // namespace vbackup::kube
