// The endpoint and addressing style of an S3 store (endpoint.hpp).
#include "storage/s3/endpoint.hpp"

#include "http/client.hpp"

#include <algorithm>

namespace vbackup::s3 {
namespace {

bool is_ip_or_localhost(const std::string& host) {
  if (host == "localhost" || host.find(':') != std::string::npos) return true;  // IPv6 literal
  return std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

// A bucket that can be a DNS label of a virtual-hosted URL (dots break TLS wildcard certificates).
bool dns_compatible(const std::string& bucket, bool https) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (c == '.' && !https))) return false;
  }
  return bucket.front() != '-' && bucket.back() != '-';
}

}  // namespace

std::string Endpoint::host_header(const std::string& bucket) const {
  std::string h = path_style ? host : bucket + "." + host;
  if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";
  bool default_port = (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
  return default_port ? h : h + ":" + port;
}

std::string Endpoint::path(const std::string& bucket, const std::string& key) const {
  std::string p = base_path;
  if (path_style) p += "/" + uri_encode(bucket, false);
  if (key.empty()) return p.empty() ? "/" : p;
  return p + "/" + uri_encode(key, true);
}

Endpoint make_endpoint(const std::string& url, const std::string& bucket, bool force_path_style) {
  http::Url u = http::Url::parse(url);
  Endpoint e;
  e.url = url;
  e.scheme = u.scheme;
  e.host = u.host;
  e.port = u.port;
  std::string target = u.target.substr(0, u.target.find('?'));
  while (!target.empty() && target.back() == '/') target.pop_back();
  e.base_path = target;
  e.path_style = force_path_style || is_ip_or_localhost(u.host) || !dns_compatible(bucket, u.scheme == "https");
  return e;
}

std::string query_string(const Params& q) {
  std::string out;
  for (const auto& [k, v] : q) {
    if (!out.empty()) out.push_back('&');
    out += uri_encode(k, false);
    out.push_back('=');
    out += uri_encode(v, true);
  }
  return out;
}

}  // namespace vbackup::s3
