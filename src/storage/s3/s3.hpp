// Amazon S3 and S3-compatible stores (MinIO, Ceph, moto, s3rver) behind storage::ObjectStore,
// configured the way Velero's AWS plugin reads a BackupStorageLocation's `config` map.
#pragma once

#include "vbackup/storage.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::s3 {

// Velero AWS plugin config keys (velero-plugin-for-aws object_store.go). Any other key is refused
// as the plugin refuses it ("config has invalid keys [...]; valid keys are [...]").
struct Config {
  std::string bucket;
  // "region"; empty: the profile's region, AWS_REGION, AWS_DEFAULT_REGION, then (AWS, no s3Url) the
  // bucket's own region from HeadBucket as the plugin's GetBucketRegion does, else us-east-1.
  std::string region;
  std::string endpoint;              // "s3Url": an S3-compatible endpoint, e.g. http://127.0.0.1:9000
  std::string public_url;            // "publicUrl": endpoint used for signed download URLs
  bool force_path_style = false;     // "s3ForcePathStyle"
  bool insecure_skip_tls_verify = false;  // "insecureSkipTLSVerify"
  std::string ca_cert;               // "caCert": extra trusted CAs, PEM
  std::string profile;               // "profile"; empty: AWS_PROFILE, else "default"
  std::string credentials_file;      // "credentialsFile"; empty: AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
  // The BSL's spec.credential (Location::credentials): read as the credentials file's text would be.
  std::string credentials_text, credentials_source;
  std::string server_side_encryption;  // "serverSideEncryption", e.g. AES256 or aws:kms
  std::string kms_key_id;            // "kmsKeyId" (implies aws:kms)
  std::string customer_key_file;     // "customerKeyEncryptionFile": SSE-C key, exactly 32 bytes
  std::string tagging;               // "tagging": x-amz-tagging of uploaded objects
  // "checksumAlgorithm": CRC32 when the key is absent; "" sends no checksum headers (MinIO and
  // Ceph versions that reject them, velero#7534); CRC32, CRC32C, SHA1, SHA256 or CRC64NVME.
  std::string checksum_algorithm = "CRC32";

  // Not BSL keys (a stock Velero would refuse them): tuning for this library.
  // Multipart part size, of the first parts; S3 needs >= 5 MiB (but the last). Parts double every
  // `part_size_doubling` parts (0: never), as the AWS SDKs and rclone grow theirs, so the 10,000
  // parts S3 allows reach its 5 TiB object limit: 5 MiB × 1000 × (1 + 2 + … + 512) ≈ 5 TB, the last
  // parts 2.5 GiB (S3's part limit: 5 GiB). A tarball below 4.9 GiB goes up in 5 MiB parts.
  std::uint64_t part_size = 5 << 20;
  std::size_t part_size_doubling = 1000;
  // Parts in memory at once per writer (the one filling + those uploading): memory per writer is
  // at most upload_parallelism × part size, 10 MiB below 4.9 GiB (issue 17: a backup to S3 under
  // 64 MiB; a backup has two writers open, the tarball's and the log's). One part uploading while
  // the next fills outruns the backup's tarball (about 15 MB/s) on moto (docs/benchmarks.md).
  std::size_t upload_parallelism = 2;
  int max_attempts = 5;                     // per request, retries included
  // "requestTimeout" (ours: a stock Velero's plugin refuses the key, as it would the tuning above):
  // the longest one request may wait for the endpoint, its retries included (kubectl's
  // --request-timeout format: "30s", "1m", "0" for no limit); time while bytes move is not counted.
  std::chrono::milliseconds request_timeout{60000};
  // A line for the user when a request has waited 5 s without an answer ("waiting for the object
  // store http://…: no answer for 5s (request timeout 1m0s)"); may be empty.
  std::function<void(std::string_view line)> notice;
  // Every retry (with its reason) and failed attempt of the HTTP client; URLs only, no secrets.
  std::function<void(std::string_view line)> log;
};

// The credentials a store signs with. `source` says where they came from ("profile \"default\"
// in /root/.aws/credentials", "environment"), for messages; the secret never appears in one.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string region;  // the profile's region, if it names one
  std::string source;
};

// The size of part `number` (1-based) of a multipart upload under `config`: part_size, doubled
// every part_size_doubling parts, at most 5 GiB (S3's part limit).
std::uint64_t part_size_of(const Config& config, int number);

// Reads a Location (provider "aws") into a Config; throws Error(invalid) naming the key.
Config config_from_location(const storage::Location& location);

// Resolves credentials as the AWS SDK does for Velero: an explicit profile (config or AWS_PROFILE)
// reads the credentials file; otherwise AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN];
// otherwise the file's profile. Throws Error(invalid) naming the file and profile.
Credentials resolve_credentials(const Config& config);

// Parses an AWS shared credentials/config file ("[name]" or "[profile name]" sections,
// aws_access_key_id, aws_secret_access_key, aws_session_token). `what` names the file in errors.
Credentials credentials_from_file_text(std::string_view text, const std::string& profile, const std::string& what);

// The S3 store of a bucket. Beyond ObjectStore it deletes in batches (DeleteObjects, 1000 keys a
// request).
class S3ObjectStore : public storage::ObjectStore {
 public:
  virtual void remove_batch(const std::vector<std::string>& keys) = 0;
};

std::unique_ptr<S3ObjectStore> open_s3_store(const Config& config, const Credentials& credentials);
std::unique_ptr<S3ObjectStore> open_s3_store(const Config& config);  // resolve_credentials(config)
std::unique_ptr<storage::ObjectStore> open_s3_store(const storage::Location& location);

}  // namespace vbackup::s3
