// Where an S3 store's requests go: the endpoint's origin and base path, and the addressing style
// (virtual-hosted "bucket.host" or path-style "host/bucket", as the AWS plugin's s3ForcePathStyle and
// the SDK's rules for IPs, localhost and bucket names that are no DNS label decide). Internal header.
#pragma once

#include "storage/s3/sigv4.hpp"

#include <string>

namespace vbackup::s3 {

// Where requests go: an origin, an optional base path, and the addressing style.
struct Endpoint {
  std::string scheme, host, port, base_path;
  bool path_style = false;
  std::string url;  // as configured, for messages

  // The Host header of a request to `bucket`.
  std::string host_header(const std::string& bucket) const;
  // Path of a key (encoded, '/' kept), or of the bucket when `key` is empty.
  std::string path(const std::string& bucket, const std::string& key) const;
};

Endpoint make_endpoint(const std::string& url, const std::string& bucket, bool force_path_style);

// The query string as sent: values percent-encoded, except '/' which goes raw (moto 5 re-encodes
// %2F when it checks the signature; AWS decodes either form). The signature always uses %2F.
std::string query_string(const Params& q);

}  // namespace vbackup::s3
