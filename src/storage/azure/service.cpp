// Requests to the Blob service: signing, URLs, and what a failed answer means.
#include "storage/azure/service.hpp"

#include "storage/azure/responses.hpp"
#include "storage/azure/sharedkey.hpp"
#include "vbackup/error.hpp"

#include <algorithm>

namespace vbackup::storage::azure {
namespace {

http::ClientOptions client_options(const AzureConfig& config, const AzureStoreOptions& options) {
  http::ClientOptions o;
  o.tls.ca_pem = config.ca_cert;
  o.retry.max_attempts = std::max(1, options.max_attempts);
  o.max_connections_per_origin = std::max<std::size_t>(8, options.max_parallel_blocks + 2);
  o.user_agent = "libvbackup azure";
  o.log = options.log;
  o.request_timeout = config.request_timeout;
  if (options.notice) {
    o.on_wait = [notice = options.notice](const http::WaitNotice& w) {
      notice(http::wait_line("the object store " + w.origin, w));
    };
  }
  return o;
}

}  // namespace

Service::Service(AzureConfig config, std::string key, AzureStoreOptions options)
    : config_(std::move(config)),
      key_(std::move(key)),
      options_(std::move(options)),
      client_(client_options(config_, options_)) {
  describe_ = "azure://" + config_.container + " (storage account " + config_.storage_account + " at " +
              config_.endpoint + ")";
}

Service::~Service() { wipe(key_); }

std::string Service::container_url() const { return config_.endpoint + "/" + url_encode(config_.container, false); }

std::string Service::blob_url(std::string_view key) const { return container_url() + "/" + url_encode(key, true); }

http::Request Service::request(std::string method, std::string url, std::string_view operation) const {
  http::Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.description = "azure://" + config_.container + ": " + std::string(operation);
  r.headers.set("x-ms-version", std::string(kAzureApiVersion));
  // Signed anew for each attempt: x-ms-date changes, and the client has just set Content-Length.
  r.sign = [this](http::Request& req) {
    req.headers.set("x-ms-date", rfc1123_date(std::chrono::system_clock::now()));
    SignInput in;
    in.method = req.method;
    if (!split_target(http::Url::parse(req.url).target, in.path, in.query)) {
      throw invalid_input(req.description + ": malformed percent-encoding in the request URL");
    }
    in.headers = req.headers.fields();
    req.headers.set("Authorization", authorization_header(config_.storage_account, key_, in));
  };
  return r;
}

std::string Service::error_code(const http::Response& response) {
  if (auto h = response.headers.get("x-ms-error-code"); h && !h->empty()) return *h;
  if (auto body = parse_error_body(response.body)) return body->code;
  return {};
}

Error Service::failure(const http::Response& response, std::string_view operation, std::string_view key) const {
  std::string code = error_code(response);
  std::optional<ServiceError> body = parse_error_body(response.body);
  std::string message = body ? body->message : std::string();
  std::string what = describe_ + ": " + std::string(operation);
  // "403 AuthorizationFailure: Server failed to …"; the reason phrase only when there is nothing
  // better (the service repeats the message in it).
  std::string detail = std::to_string(response.status);
  if (!code.empty()) detail += " " + code;
  if (!message.empty()) detail += ": " + message;
  if (code.empty() && message.empty() && !response.reason.empty()) detail += " " + response.reason;
  if (!body && !response.body.empty()) detail += " (the error body is not the service's XML)";

  if (response.status == 404 && code == "BlobNotFound") {
    return not_found(describe_ + ": " + std::string(key) + ": no such object").with_http(response.status, code);
  }
  if (code == "ContainerNotFound") {
    return Error(ErrorCode::storage, what + ": container \"" + config_.container + "\" does not exist in storage account \"" +
                                         config_.storage_account + "\" (" + detail + ")")
        .with_http(response.status, code);
  }
  if (response.status == 403 || code == "AuthenticationFailed" || code == "AuthorizationFailure") {
    return Error(ErrorCode::storage, what + ": authorization failed for storage account \"" + config_.storage_account +
                                         "\" (" + detail + "); check the key in " + config_.key_env_var)
        .with_http(response.status, code);
  }
  if (response.status == 404 && code.empty() && !key.empty()) {
    return not_found(describe_ + ": " + std::string(key) + ": no such object").with_http(response.status, code);
  }
  return Error(ErrorCode::storage, what + ": " + detail).with_http(response.status, code);
}

std::string Service::read_sas_url(std::string_view key, std::chrono::seconds ttl) const {
  auto now = std::chrono::system_clock::now();
  ServiceSas sas;
  sas.permissions = "r";
  sas.start = iso8601_seconds(now - std::chrono::minutes(10));
  sas.expiry = iso8601_seconds(now + ttl);
  // The plugin signs for HTTPS only; an http endpoint (the emulator) could not use such a URL.
  sas.protocol = config_.endpoint.starts_with("https://") ? "https" : "https,http";
  sas.version = std::string(kAzureApiVersion);
  sas.account = config_.storage_account;
  sas.container = config_.container;
  sas.blob = std::string(key);
  return blob_url(key) + "?" + sas_query(sas, key_);
}

}  // namespace vbackup::storage::azure
