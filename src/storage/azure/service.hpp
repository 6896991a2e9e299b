// One container of a storage account as the store's parts share it: the HTTP client, the account
// key, request building with Shared Key signing, and the mapping of service answers to errors.
// Internal header.
#pragma once

#include "http/client.hpp"
#include "storage/azure/azure.hpp"
#include "vbackup/error.hpp"

#include <chrono>

#include <memory>
#include <string>
#include <string_view>

namespace vbackup::storage::azure {

class Service {
 public:
  Service(AzureConfig config, std::string key, AzureStoreOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  const AzureConfig& config() const { return config_; }
  const AzureStoreOptions& options() const { return options_; }
  http::Client& client() { return client_; }
  const std::string& describe() const { return describe_; }

  // <endpoint>/<container> and <endpoint>/<container>/<percent-encoded key>.
  std::string container_url() const;
  std::string blob_url(std::string_view key) const;

  // A request that states x-ms-version and is signed (x-ms-date, Authorization) before each attempt.
  // `operation` names it in messages ("Put Block 3 of backups/b/b.tar.gz").
  http::Request request(std::string method, std::string url, std::string_view operation) const;

  // The error for a response that is not the expected success, from x-ms-error-code and the body:
  // 404 BlobNotFound → Error(not_found); 403 → "authorization failed for storage account X";
  // ContainerNotFound → the container named; otherwise status, code and the message's first line.
  // Never a header value, a signature or the key.
  Error failure(const http::Response& response, std::string_view operation, std::string_view key = {}) const;

  // The service's error code of a response (header first, then the body), "" when none.
  static std::string error_code(const http::Response& response);

  void log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  // Service SAS for reading one blob until now + ttl (valid from 10 minutes ago, for clock skew,
  // as the plugin's GetSASURI does).
  std::string read_sas_url(std::string_view key, std::chrono::seconds ttl) const;

 private:
  AzureConfig config_;
  std::string key_;  // decoded account key, wiped on destruction
  AzureStoreOptions options_;
  std::string describe_;
  http::Client client_;
};

// Writers for block blobs (blob_writer.cpp).
std::unique_ptr<ObjectWriter> open_blob_writer(std::shared_ptr<Service> service, const std::string& key);

}  // namespace vbackup::storage::azure
