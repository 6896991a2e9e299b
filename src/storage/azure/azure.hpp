// Azure Blob Storage as an ObjectStore, configured with the BackupStorageLocation config keys of
// velero-plugin-for-microsoft-azure and authorized with the storage account key (Shared Key).
#pragma once

#include "vbackup/storage.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace vbackup::storage {

// The Blob service version every request states (x-ms-version) and service SASes carry (sv).
// 2021-08-06: Put Blob up to 5000 MiB and Put Block up to 4000 MiB (since 2019-12-12), the
// 2020-12-06 SAS format, Encoded="true" names in listings; served by every public Azure region and
// accepted by Azurite 3.x (which refuses versions newer than its own, 2025-11-05 for 3.35).
inline constexpr std::string_view kAzureApiVersion = "2021-08-06";

// A location's config, checked the way the plugin's Init checks it. The account key itself is not
// part of it: it is read from the named variable when the store opens, and never echoed.
struct AzureConfig {
  std::string container;         // location.bucket
  std::string storage_account;   // storageAccount (required)
  std::string endpoint;          // storageAccountURI, or https://<account>.blob.<cloud suffix>; no trailing '/'
  std::string key_env_var;       // storageAccountKeyEnvVar
  std::string credentials_file;  // credentialsFile, else $AZURE_CREDENTIALS_FILE: KEY=VALUE lines
                                 // that take precedence over the environment (godotenv.Overload)
  std::string credentials_text;    // the BSL's spec.credential (Location::credentials): read as that file
  std::string credentials_source;  // names it in messages
  // blockSizeInBytes: 1 .. 4000 MiB, the size of the first blocks (AzureStoreOptions::
  // block_size_doubling grows them). The default is 4 MiB, not the plugin's 100 MiB, to bound memory
  // (issue 17: a backup under 64 MiB): a writer holds at most (max_parallel_blocks + 1) blocks,
  // 12 MiB by default below 19.5 GiB; doubling every 5000 blocks, 50,000 blocks reach 20 TiB.
  std::uint64_t block_size = 4 << 20;
  std::string ca_cert;                  // caCert (PEM), trusted in addition to the system store
  // requestTimeout (ours; the plugin refuses the key): the longest one request may wait for the
  // service, its retries included ("30s", "1m", "0" for no limit); time while bytes move is not counted.
  std::chrono::milliseconds request_timeout{60000};
};

// Accepted keys: storageAccount, storageAccountKeyEnvVar, storageAccountURI, blockSizeInBytes,
// resourceGroup, subscriptionId, activeDirectoryAuthorityURI and useAAD (used by the plugin for
// Azure AD and the ARM key lookup; ignored here, except useAAD=true which is refused as
// unsupported), credentialsFile, and Velero's own bucket, prefix and caCert. Any other key is
// refused with Velero's message ("config has invalid keys [...]; valid keys are [...]").
// AZURE_CLOUD_NAME picks the endpoint suffix as the plugin does. Throws Error(invalid) naming the
// location and the key, or Error(unsupported).
AzureConfig parse_azure_config(const Location& location);

struct AzureStoreOptions {
  unsigned max_parallel_blocks = 2;  // Put Block requests in flight per upload; memory per writer
                                     // is at most (this + 1) × block size
  // Blocks double every this many blocks of an upload (0: never), at most 4000 MiB each: the
  // 50,000 blocks of a blob then hold far more than 50,000 × blockSizeInBytes, as rclone and the AWS
  // SDKs grow their parts.
  unsigned block_size_doubling = 5000;
  unsigned list_page_size = 5000;    // maxresults of each List Blobs request (the service maximum)
  int max_attempts = 5;              // per request (HTTP retries) and per download drop (resumes)
  std::function<void(std::string_view line)> log;  // retries and resumes; never headers or keys
  // A line for the user when a request has waited 5 s without an answer; may be empty.
  std::function<void(std::string_view line)> notice;
};

// Opens the container. Nothing is sent until the first operation. Throws Error(invalid) for a bad
// config or a missing / malformed key (naming the variable, never its value).
std::unique_ptr<ObjectStore> open_azure_store(const Location& location, const AzureStoreOptions& options = {});

}  // namespace vbackup::storage
