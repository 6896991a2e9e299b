// The S3 ObjectStore: SigV4-signed requests through the project's HTTP client. Small objects go up
// in one PutObject; larger ones stream through a multipart upload whose parts are uploaded in
// parallel, each retried on its own, with at most `upload_parallelism` parts in memory; a failed or
// abandoned upload is aborted (velero#5856). Reads stream and resume with Range after a dropped
// connection. This file: opening, listing, removing and signed URLs; store.hpp names the others.
#include "core/xml.hpp"
#include "storage/s3/checksum.hpp"
#include "storage/s3/store.hpp"

#include <algorithm>

namespace vbackup::s3 {
namespace {

constexpr std::size_t kDeleteBatch = 1000;
constexpr std::chrono::seconds kMaxPresign{7 * 24 * 3600};

}  // namespace

std::uint64_t parse_size(const std::string& text) {
  if (text.empty() || text.size() > 19 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  return std::stoull(text);
}

std::optional<Timestamp> parse_time(const std::string& text) {
  try {
    return parse_rfc3339(text);  // "2009-10-12T17:50:30.000Z"
  } catch (const Error&) {
    return std::nullopt;  // a listing entry without a readable time has an unknown age
  }
}

std::unique_ptr<storage::ObjectWriter> S3Store::open_write(const std::string& key) {
  check_key(key);
  return open_writer(*this, key);
}

std::unique_ptr<InputStream> S3Store::get(const std::string& key, const storage::ByteRange& range) {
  check_key(key);
  return cancellable(open_reader(*this, key, range), name(key));
}

std::vector<std::string> S3Store::list_common_prefixes(const std::string& prefix, const std::string& delimiter) {
  if (delimiter.empty()) throw invalid_input(describe() + ": empty delimiter");
  std::vector<std::string> prefixes;
  list(prefix, delimiter, nullptr, &prefixes);
  std::sort(prefixes.begin(), prefixes.end());
  return prefixes;
}

std::vector<std::string> S3Store::list_objects(const std::string& prefix) {
  std::vector<std::string> keys;
  for (auto& o : list_object_info(prefix)) keys.push_back(std::move(o.key));
  return keys;
}

std::vector<storage::ObjectInfo> S3Store::list_object_info(const std::string& prefix) {
  std::vector<storage::ObjectInfo> objects;
  list(prefix, "", &objects, nullptr);
  std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return objects;
}

bool S3Store::exists(const std::string& key) {
  check_key(key);
  std::string what = "HEAD " + name(key);
  http::Request r = request("HEAD", key, {}, what);
  add_sse_c(r);
  http::Response resp = send(std::move(r), sha256_hex(""));
  if (resp.status == 200) return true;
  if (resp.status == 404) return false;
  throw error_from(resp, resp.body, what);
}

void S3Store::remove(const std::string& key) {
  check_key(key);
  std::string what = "DELETE " + name(key);
  http::Response resp = send(request("DELETE", key, {}, what), sha256_hex(""));
  if (resp.status == 200 || resp.status == 204) return;
  Error e = error_from(resp, resp.body, what);
  if (e.code() == ErrorCode::not_found) return;  // S3 semantics: deleting a missing key succeeds
  throw e;
}

void S3Store::remove_batch(const std::vector<std::string>& keys) {
  for (const auto& k : keys) check_key(k);
  for (std::size_t start = 0; start < keys.size(); start += kDeleteBatch) {
    std::size_t end = std::min(keys.size(), start + kDeleteBatch);
    std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
    for (std::size_t i = start; i < end; ++i) body += "<Object><Key>" + xml::escape(keys[i]) + "</Key></Object>";
    body += "</Delete>";
    std::string what = "DeleteObjects s3://" + cfg_.bucket + " (" + std::to_string(end - start) + " keys from " + keys[start] + ")";
    http::Request r = request("POST", "", {{"delete", ""}}, what);
    r.headers.set("Content-Type", "application/xml");
    r.headers.set("Content-MD5", content_md5(body));
    std::string hash = sha256_hex(body);
    r.body = std::move(body);
    http::Response resp = send(std::move(r), hash);
    if (resp.status != 200) throw error_from(resp, resp.body, what);
    xml::Element result = xml::parse(resp.body, what);
    if (result.name == "Error") throw error_from(resp, resp.body, what);
    std::vector<std::string> failures;
    for (const xml::Element* e : result.all("Error")) {
      if (e->child_text("Code") == "NoSuchKey") continue;
      failures.push_back(e->child_text("Key") + ": " + e->child_text("Code") + " " + e->child_text("Message"));
    }
    if (!failures.empty()) {
      std::string msg = what + ": " + std::to_string(failures.size()) + " keys not deleted";
      for (std::size_t i = 0; i < failures.size() && i < 3; ++i) msg += (i ? "; " : ": ") + failures[i];
      throw Error(ErrorCode::storage, scrub(msg));
    }
  }
}

void S3Store::list(const std::string& prefix, const std::string& delimiter, std::vector<storage::ObjectInfo>* objects,
                   std::vector<std::string>* prefixes) {
  std::string token;
  std::string what = "ListObjectsV2 s3://" + cfg_.bucket + "/" + prefix + (delimiter.empty() ? "" : " delimiter " + delimiter);
  for (int page = 0;; ++page) {
    Params q = {{"list-type", "2"}};
    if (!token.empty()) q.emplace_back("continuation-token", token);
    if (!delimiter.empty()) q.emplace_back("delimiter", delimiter);
    if (!prefix.empty()) q.emplace_back("prefix", prefix);
    http::Response resp = send(request("GET", "", q, what), sha256_hex(""));
    if (resp.status != 200) throw error_from(resp, resp.body, what);
    xml::Element result = xml::parse(resp.body, what + " (page " + std::to_string(page + 1) + ")");
    if (result.name == "Error") throw error_from(resp, resp.body, what);
    if (result.name != "ListBucketResult") {
      throw Error(ErrorCode::storage, what + ": expected <ListBucketResult>, got <" + result.name + ">");
    }
    if (objects) {
      for (const xml::Element* c : result.all("Contents")) {
        objects->push_back({c->child_text("Key"), parse_size(c->child_text("Size")), parse_time(c->child_text("LastModified"))});
      }
    }
    if (prefixes) {
      for (const xml::Element* c : result.all("CommonPrefixes")) prefixes->push_back(c->child_text("Prefix"));
    }
    if (result.child_text("IsTruncated") != "true") return;
    std::string next = result.child_text("NextContinuationToken");
    if (next.empty() || next == token) {
      throw Error(ErrorCode::storage, what + ": truncated listing without a new NextContinuationToken");
    }
    token = next;
  }
}

std::string S3Store::signed_url(const std::string& key, std::chrono::seconds ttl) {
  return signed_url_at(key, ttl, std::chrono::system_clock::now());
}

std::string S3Store::signed_url_at(const std::string& key, std::chrono::seconds ttl,
                                   std::chrono::system_clock::time_point now) {
  check_key(key);
  if (ttl.count() <= 0 || ttl > kMaxPresign) {
    throw invalid_input(describe() + ": signed URL lifetime must be between 1 s and 7 days");
  }
  const Endpoint& ep = public_endpoint_;
  SigningRequest s;
  s.method = "GET";
  s.canonical_uri = ep.path(cfg_.bucket, key);
  s.headers.emplace_back("host", ep.host_header(cfg_.bucket));
  Scope scope{creds_.access_key_id, creds_.secret_access_key, region_, "s3", amz_date(now)};
  return ep.scheme + "://" + ep.host_header(cfg_.bucket) + s.canonical_uri + "?" +
         presign_query(s, scope, ttl, creds_.session_token);
}

// ---------------------------------------------------------------------------------------------
// Factories

std::unique_ptr<S3ObjectStore> open_s3_store(const Config& config, const Credentials& credentials) {
  return std::make_unique<S3Store>(config, credentials);
}

std::unique_ptr<S3ObjectStore> open_s3_store(const Config& config) {
  return open_s3_store(config, resolve_credentials(config));
}

std::unique_ptr<storage::ObjectStore> open_s3_store(const storage::Location& location) {
  return open_s3_store(config_from_location(location));
}

}  // namespace vbackup::s3
