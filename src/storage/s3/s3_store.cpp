// The S3 ObjectStore: SigV4-signed requests through the project's HTTP client. Small objects go up
// in one PutObject; larger ones stream through a multipart upload whose parts are uploaded in
// parallel, each retried on its own, with at most `upload_parallelism` parts in memory; a failed or
// abandoned upload is aborted (velero#5856). Reads stream and resume with Range after a dropped
// connection.
#include "core/xml.hpp"
#include "http/client.hpp"
#include "storage/s3/checksum.hpp"
#include "storage/s3/sigv4.hpp"
#include "vbackup/encoding.hpp"
#include "vbackup/error.hpp"
#include "vbackup/s3.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <mutex>

namespace vbackup::s3 {
namespace {

constexpr std::size_t kMaxParts = 10000;
constexpr std::size_t kDeleteBatch = 1000;
constexpr std::size_t kErrorBodyLimit = 1 << 20;
constexpr std::chrono::seconds kMaxPresign{7 * 24 * 3600};

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

// Where requests go: an origin, an optional base path, and the addressing style.
struct Endpoint {
  std::string scheme, host, port, base_path;
  bool path_style = false;
  std::string url;  // as configured, for messages

  std::string host_header(const std::string& bucket) const {
    std::string h = path_style ? host : bucket + "." + host;
    if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";
    bool default_port = (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
    return default_port ? h : h + ":" + port;
  }
  // Path of a key (encoded, '/' kept), or of the bucket when `key` is empty.
  std::string path(const std::string& bucket, const std::string& key) const {
    std::string p = base_path;
    if (path_style) p += "/" + uri_encode(bucket, false);
    if (key.empty()) return p.empty() ? "/" : p;
    return p + "/" + uri_encode(key, true);
  }
};

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

// The query string as sent: values percent-encoded, except '/' which goes raw (moto 5 re-encodes
// %2F when it checks the signature; AWS decodes either form). The signature always uses %2F.
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

Params parse_query(std::string_view q) {
  Params out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) out.emplace_back(uri_decode(pair), "");
    else out.emplace_back(uri_decode(pair.substr(0, eq)), uri_decode(pair.substr(eq + 1)));
  }
  return out;
}

// A read-only view of a shared buffer: the replayable body of a part or small object.
class SharedBufferInput final : public InputStream {
 public:
  explicit SharedBufferInput(std::shared_ptr<const std::string> data) : data_(std::move(data)) {}
  std::size_t read(void* buffer, std::size_t size) override {
    std::size_t n = std::min(size, data_->size() - pos_);
    std::memcpy(buffer, data_->data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::shared_ptr<const std::string> data_;
  std::size_t pos_ = 0;
};

struct Part {
  int number = 0;
  std::string etag;
  std::string checksum;
};

class S3Store;

class S3Reader final : public InputStream {
 public:
  S3Reader(S3Store& store, std::string key, const storage::ByteRange& range);
  std::size_t read(void* buffer, std::size_t size) override;

 private:
  void open(bool resume);

  S3Store& store_;
  std::string key_;
  std::uint64_t start_;
  std::optional<std::uint64_t> length_;  // requested
  std::optional<std::uint64_t> expected_;  // what the answer said it carries
  std::uint64_t received_ = 0;
  std::string etag_;
  std::unique_ptr<http::ResponseStream> body_;
  int resumes_ = 0;
  bool eof_ = false;
};

class S3Writer final : public storage::ObjectWriter {
 public:
  S3Writer(S3Store& store, std::string key);
  ~S3Writer() override;
  using ObjectWriter::write;
  void write(const void* data, std::size_t size) override;
  void commit() override;
  std::uint64_t bytes_written() const override { return written_; }

 private:
  void flush_part();
  void wait_oldest();
  void abort_upload() noexcept;
  template <typename F>
  void guarded(F&& f);

  S3Store& store_;
  std::string key_;
  std::string buffer_;
  std::string upload_id_;
  int next_part_ = 1;
  std::deque<std::future<Part>> in_flight_;
  std::vector<Part> done_;
  bool committed_ = false, failed_ = false;
  std::uint64_t written_ = 0;
};

class S3Store final : public S3ObjectStore {
 public:
  S3Store(Config cfg, Credentials creds);

  std::unique_ptr<storage::ObjectWriter> open_write(const std::string& key) override {
    check_key(key);
    return std::make_unique<S3Writer>(*this, key);
  }
  std::unique_ptr<InputStream> get(const std::string& key, const storage::ByteRange& range) override {
    check_key(key);
    return std::make_unique<S3Reader>(*this, key, range);
  }
  bool exists(const std::string& key) override;
  std::vector<std::string> list_common_prefixes(const std::string& prefix, const std::string& delimiter) override {
    if (delimiter.empty()) throw invalid_input(describe() + ": empty delimiter");
    std::vector<std::string> prefixes;
    list(prefix, delimiter, nullptr, &prefixes);
    std::sort(prefixes.begin(), prefixes.end());
    return prefixes;
  }
  std::vector<std::string> list_objects(const std::string& prefix) override {
    std::vector<std::string> keys;
    list(prefix, "", &keys, nullptr);
    std::sort(keys.begin(), keys.end());
    return keys;
  }
  void remove(const std::string& key) override;
  void remove_batch(const std::vector<std::string>& keys) override;
  std::string signed_url(const std::string& key, std::chrono::seconds ttl) override;
  std::string describe() const override { return describe_; }

  // Used by the writer and the reader.
  const Config& config() const { return cfg_; }
  std::string name(const std::string& key) const { return "s3://" + cfg_.bucket + "/" + key; }
  void put_object(const std::string& key, std::shared_ptr<const std::string> data);
  std::string create_multipart(const std::string& key);
  Part upload_part(const std::string& key, const std::string& upload_id, int number,
                   std::shared_ptr<const std::string> data);
  void complete_multipart(const std::string& key, const std::string& upload_id, const std::vector<Part>& parts);
  void abort_multipart(const std::string& key, const std::string& upload_id);
  std::unique_ptr<http::ResponseStream> open_get(const std::string& key, const std::string& range,
                                                 const std::string& if_match);
  Error error_from(const http::Response& r, std::string_view body, const std::string& what) const;
  void log(const std::string& line) const {
    if (cfg_.log) cfg_.log(line);
  }

 private:
  void check_key(const std::string& key) const {
    if (key.empty()) throw invalid_input(describe() + ": empty object key");
    if (key.size() > 1024) throw invalid_input(describe() + ": object key longer than 1024 bytes");
  }
  http::Request request(const std::string& method, const std::string& key, const Params& query,
                        const std::string& what) const;
  void sign(http::Request& r, const std::string& payload_hash) const;
  void add_sse_c(http::Request& r) const;
  void add_object_headers(http::Request& r) const;
  http::Response send(http::Request r, const std::string& body_hash) const;
  void list(const std::string& prefix, const std::string& delimiter, std::vector<std::string>* keys,
            std::vector<std::string>* prefixes);
  std::string resolve_region() const;
  std::string scrub(std::string s) const;

  Config cfg_;
  Credentials creds_;
  std::string region_;
  Endpoint endpoint_, public_endpoint_;
  std::string describe_;
  std::string sse_c_key_, sse_c_key_md5_;
  mutable std::unique_ptr<http::Client> client_;
  mutable std::atomic<bool> raw_query_signing_{false};
};

// ---------------------------------------------------------------------------------------------
// Store

http::ClientOptions client_options(const Config& cfg) {
  http::ClientOptions o;
  o.tls.verify = !cfg.insecure_skip_tls_verify;
  o.tls.ca_pem = cfg.ca_cert;
  o.retry.max_attempts = std::max(1, cfg.max_attempts);
  // S3 asks to retry a 400 RequestTimeout (the body came too slowly) like a 5xx.
  o.retry.retry_response = [](const http::Response& r) {
    return r.status == 400 && (r.body.find("<Code>RequestTimeout</Code>") != std::string::npos);
  };
  o.log = cfg.log;
  o.max_connections_per_origin = std::max<std::size_t>(8, cfg.upload_parallelism + 2);
  return o;
}

S3Store::S3Store(Config cfg, Credentials creds) : cfg_(std::move(cfg)), creds_(std::move(creds)) {
  client_ = std::make_unique<http::Client>(client_options(cfg_));
  describe_ = "s3://" + cfg_.bucket + (cfg_.endpoint.empty() ? "" : " (" + cfg_.endpoint + ")");
  if (cfg_.part_size < (5u << 20)) {
    // S3 refuses parts under 5 MiB but the last; emulators do not, so tests may go lower.
    if (cfg_.part_size < (64u << 10)) throw invalid_input(describe_ + ": part size below 64 KiB");
  }
  if (cfg_.upload_parallelism == 0) cfg_.upload_parallelism = 1;
  if (!cfg_.customer_key_file.empty()) {
    std::ifstream in(cfg_.customer_key_file, std::ios::binary);
    if (!in) throw invalid_input(describe_ + ": provided customerKeyEncryptionFile does not exist: " + cfg_.customer_key_file);
    std::string key(32, '\0');
    in.read(key.data(), 32);
    if (in.gcount() != 32) {
      throw invalid_input(describe_ + ": contents of customerKeyEncryptionFile (" + cfg_.customer_key_file +
                          ") are not exactly 32 bytes");
    }
    sse_c_key_ = base64_encode(key);
    sse_c_key_md5_ = content_md5(key);
  }
  region_ = resolve_region();
  std::string endpoint = cfg_.endpoint;
  if (endpoint.empty()) {
    endpoint = "https://s3." + region_ + ".amazonaws.com" + (region_.starts_with("cn-") ? ".cn" : "");
  }
  endpoint_ = make_endpoint(endpoint, cfg_.bucket, cfg_.force_path_style);
  public_endpoint_ = cfg_.public_url.empty() ? endpoint_ : make_endpoint(cfg_.public_url, cfg_.bucket, cfg_.force_path_style);
}

std::string S3Store::resolve_region() const {
  if (!cfg_.region.empty()) return cfg_.region;
  if (!creds_.region.empty()) return creds_.region;
  for (const char* v : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (const char* r = std::getenv(v); r && *r) return r;
  }
  if (!cfg_.endpoint.empty()) return "us-east-1";
  // AWS without a region: ask S3 where the bucket lives (the plugin's GetBucketRegion), from the
  // x-amz-bucket-region header that HeadBucket carries even when it is refused.
  http::Request r;
  r.method = "HEAD";
  r.url = "https://s3.amazonaws.com/" + uri_encode(cfg_.bucket, false);
  r.description = "HEAD s3://" + cfg_.bucket + " (bucket region)";
  http::Response resp = client_->send(std::move(r));
  auto region = resp.headers.get("x-amz-bucket-region");
  if (!region || region->empty()) {
    throw Error(ErrorCode::storage, "unable to determine bucket's region, bucket: " + cfg_.bucket + " (HTTP " +
                                        std::to_string(resp.status) + "; set region in the location's config)");
  }
  return *region;
}

std::string S3Store::scrub(std::string s) const {
  for (const std::string* secret : {&creds_.secret_access_key, &creds_.session_token, &sse_c_key_}) {
    if (secret->size() < 4) continue;
    for (auto p = s.find(*secret); p != std::string::npos; p = s.find(*secret, p)) s.replace(p, secret->size(), "***");
  }
  return s;
}

http::Request S3Store::request(const std::string& method, const std::string& key, const Params& query,
                               const std::string& what) const {
  http::Request r;
  r.method = method;
  std::string q = query_string(query);
  r.url = endpoint_.scheme + "://" + endpoint_.host_header(cfg_.bucket) + endpoint_.path(cfg_.bucket, key) +
          (q.empty() ? "" : "?" + q);
  r.description = what;
  return r;
}

void S3Store::sign(http::Request& r, const std::string& payload_hash) const {
  r.sign = [this, payload_hash](http::Request& req) {
    Scope scope{creds_.access_key_id, creds_.secret_access_key, region_, "s3",
                amz_date(std::chrono::system_clock::now())};
    req.headers.set("x-amz-date", scope.amz_date);
    req.headers.set("x-amz-content-sha256", payload_hash);
    if (!creds_.session_token.empty()) req.headers.set("x-amz-security-token", creds_.session_token);
    http::Url u = http::Url::parse(req.url);
    SigningRequest s;
    s.method = req.method;
    auto qpos = u.target.find('?');
    s.canonical_uri = u.target.substr(0, qpos);
    if (qpos != std::string::npos) {
      std::string_view sent = std::string_view(u.target).substr(qpos + 1);
      s.query = parse_query(sent);
      if (raw_query_signing_) s.canonical_query = raw_canonical_query_string(sent);
    }
    s.payload_hash = payload_hash;
    s.headers.emplace_back("host", req.headers.get("Host").value_or(u.host_header()));
    for (const auto& [k, v] : req.headers.fields()) {
      std::string lk = k;
      for (char& c : lk) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lk.starts_with("x-amz-") || lk == "content-type" || lk == "content-md5" || lk == "range" || lk == "if-match") {
        s.headers.emplace_back(lk, v);
      }
    }
    req.headers.set("Authorization", authorization(s, scope));
  };
}

void S3Store::add_sse_c(http::Request& r) const {
  if (sse_c_key_.empty()) return;
  r.headers.set("x-amz-server-side-encryption-customer-algorithm", "AES256");
  r.headers.set("x-amz-server-side-encryption-customer-key", sse_c_key_);
  r.headers.set("x-amz-server-side-encryption-customer-key-MD5", sse_c_key_md5_);
}

// Headers of a new object (PutObject, CreateMultipartUpload), as the plugin's
// buildPutObjectInput sets them: only the non-empty ones.
void S3Store::add_object_headers(http::Request& r) const {
  if (!cfg_.tagging.empty()) r.headers.set("x-amz-tagging", cfg_.tagging);
  if (!cfg_.kms_key_id.empty()) {
    r.headers.set("x-amz-server-side-encryption", "aws:kms");
    r.headers.set("x-amz-server-side-encryption-aws-kms-key-id", cfg_.kms_key_id);
  } else if (!sse_c_key_.empty()) {
    add_sse_c(r);
  } else if (!cfg_.server_side_encryption.empty()) {
    r.headers.set("x-amz-server-side-encryption", cfg_.server_side_encryption);
  }
}

http::Response S3Store::send(http::Request r, const std::string& body_hash) const {
  // moto server recomputes signatures over the query as it arrived, with '/' raw, where AWS (and
  // MinIO, Ceph) sign it as %2F. The first request with a '/' in its query that gets
  // SignatureDoesNotMatch is sent again signed moto's way; when that passes, this store keeps
  // signing that way (logged once). Wrong credentials fail both ways and report the first answer.
  auto q = r.url.find('?');
  std::optional<http::Request> again;
  if (!raw_query_signing_ && q != std::string::npos && r.url.find('/', q) != std::string::npos) again = r;
  sign(r, body_hash);
  http::Response resp = client_->send(std::move(r));
  if (again && resp.status == 403 && resp.body.find("<Code>SignatureDoesNotMatch</Code>") != std::string::npos) {
    raw_query_signing_ = true;
    sign(*again, body_hash);
    http::Response second = client_->send(std::move(*again));
    if (second.status != 403) {
      log(describe_ + ": the server checks signatures over the query string as sent (moto); signing it that way");
      return second;
    }
    raw_query_signing_ = false;
  }
  return resp;
}

Error S3Store::error_from(const http::Response& r, std::string_view body, const std::string& what) const {
  std::string code, message, region_hint, detail;
  if (!body.empty()) {
    try {
      xml::Element e = xml::parse(body, "the error body");
      if (e.name == "Error") {
        code = e.child_text("Code");
        message = e.child_text("Message");
        region_hint = e.child_text("Region");
      } else {
        detail = "unexpected <" + e.name + "> error body";
      }
    } catch (const Error& x) {
      detail = std::string(x.what()) + ", " + std::to_string(body.size()) + " bytes";
    }
  }
  if (region_hint.empty()) region_hint = r.headers.get("x-amz-bucket-region").value_or("");
  std::string status = "HTTP " + std::to_string(r.status) + (r.reason.empty() ? "" : " " + r.reason);
  std::string cause = code.empty() ? status : code + (message.empty() ? "" : ": " + message);
  if (!detail.empty()) cause += " (" + detail + ")";
  static const char* const denied[] = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
                                       "ExpiredToken", "InvalidClientTokenId", "AllAccessDisabled"};
  bool is_denied = r.status == 403 || std::find(std::begin(denied), std::end(denied), code) != std::end(denied);
  if (is_denied) {
    return Error(ErrorCode::storage, scrub(what + ": access denied (" + cause + ") for access key id " +
                                           creds_.access_key_id + " from " + creds_.source));
  }
  if (code == "NoSuchBucket") {
    return Error(ErrorCode::storage, scrub(what + ": bucket \"" + cfg_.bucket + "\" does not exist (NoSuchBucket)"));
  }
  if (r.status == 404 && (code.empty() || code == "NoSuchKey")) return not_found(scrub(what + ": no such object"));
  if (!region_hint.empty() && region_hint != region_) {
    cause += "; the bucket is in region " + region_hint + ", not " + region_;
  }
  return Error(ErrorCode::storage, scrub(what + ": " + cause));
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

void S3Store::list(const std::string& prefix, const std::string& delimiter, std::vector<std::string>* keys,
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
    if (keys) {
      for (const xml::Element* c : result.all("Contents")) keys->push_back(c->child_text("Key"));
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
  check_key(key);
  if (ttl.count() <= 0 || ttl > kMaxPresign) {
    throw invalid_input(describe() + ": signed URL lifetime must be between 1 s and 7 days");
  }
  const Endpoint& ep = public_endpoint_;
  SigningRequest s;
  s.method = "GET";
  s.canonical_uri = ep.path(cfg_.bucket, key);
  s.headers.emplace_back("host", ep.host_header(cfg_.bucket));
  Scope scope{creds_.access_key_id, creds_.secret_access_key, region_, "s3", amz_date(std::chrono::system_clock::now())};
  return ep.scheme + "://" + ep.host_header(cfg_.bucket) + s.canonical_uri + "?" +
         presign_query(s, scope, ttl, creds_.session_token);
}

void S3Store::put_object(const std::string& key, std::shared_ptr<const std::string> data) {
  std::string what = "PUT " + name(key);
  http::Request r = request("PUT", key, {}, what);
  add_object_headers(r);
  if (!cfg_.checksum_algorithm.empty()) {
    // Both headers, as the AWS SDKs send them (moto records the checksum only with the second).
    r.headers.set(checksum_header(cfg_.checksum_algorithm), checksum_base64(cfg_.checksum_algorithm, *data));
    r.headers.set("x-amz-sdk-checksum-algorithm", cfg_.checksum_algorithm);
  }
  std::string hash = sha256_hex(*data);
  r.content_length = data->size();
  r.body_source = [data] { return std::make_unique<SharedBufferInput>(data); };
  http::Response resp = send(std::move(r), hash);
  if (resp.status != 200) throw error_from(resp, resp.body, what);
}

std::string S3Store::create_multipart(const std::string& key) {
  std::string what = "CreateMultipartUpload " + name(key);
  http::Request r = request("POST", key, {{"uploads", ""}}, what);
  add_object_headers(r);
  if (!cfg_.checksum_algorithm.empty()) r.headers.set("x-amz-checksum-algorithm", cfg_.checksum_algorithm);
  // Retried like every S3 call in the AWS SDKs (a 503 SlowDown is common here). A retry after a
  // response was lost can leave an unused upload behind, which only an AbortIncompleteMultipartUpload
  // lifecycle rule reclaims; failing the whole backup instead would be worse.
  http::Response resp = send(std::move(r), sha256_hex(""));
  if (resp.status != 200) throw error_from(resp, resp.body, what);
  xml::Element result = xml::parse(resp.body, what);
  std::string id = result.child_text("UploadId");
  if (result.name != "InitiateMultipartUploadResult" || id.empty()) {
    throw Error(ErrorCode::storage, what + ": the answer has no UploadId");
  }
  return id;
}

Part S3Store::upload_part(const std::string& key, const std::string& upload_id, int number,
                          std::shared_ptr<const std::string> data) {
  std::string what = "UploadPart " + name(key) + " part " + std::to_string(number);
  http::Request r = request("PUT", key, {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}}, what);
  add_sse_c(r);
  Part part;
  part.number = number;
  if (!cfg_.checksum_algorithm.empty()) {
    part.checksum = checksum_base64(cfg_.checksum_algorithm, *data);
    r.headers.set(checksum_header(cfg_.checksum_algorithm), part.checksum);
    r.headers.set("x-amz-sdk-checksum-algorithm", cfg_.checksum_algorithm);
  }
  std::string hash = sha256_hex(*data);
  r.content_length = data->size();
  r.body_source = [data] { return std::make_unique<SharedBufferInput>(data); };
  http::Response resp = send(std::move(r), hash);
  if (resp.status != 200) throw error_from(resp, resp.body, what);
  part.etag = resp.headers.get("ETag").value_or("");
  if (part.etag.empty()) throw Error(ErrorCode::storage, what + ": the answer has no ETag");
  return part;
}

void S3Store::complete_multipart(const std::string& key, const std::string& upload_id, const std::vector<Part>& parts) {
  std::string what = "CompleteMultipartUpload " + name(key) + " (" + std::to_string(parts.size()) + " parts)";
  std::string body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const Part& p : parts) {
    body += "<Part><ETag>" + xml::escape(p.etag) + "</ETag>";
    if (!p.checksum.empty()) {
      std::string el = checksum_element(cfg_.checksum_algorithm);
      body += "<" + el + ">" + p.checksum + "</" + el + ">";
    }
    body += "<PartNumber>" + std::to_string(p.number) + "</PartNumber></Part>";
  }
  body += "</CompleteMultipartUpload>";
  http::Request r = request("POST", key, {{"uploadId", upload_id}}, what);
  r.headers.set("Content-Type", "application/xml");
  add_sse_c(r);
  std::string hash = sha256_hex(body);
  r.body = std::move(body);
  http::Response resp = send(std::move(r), hash);
  if (resp.status != 200) throw error_from(resp, resp.body, what);
  // S3 may answer 200 and still fail the completion, with an <Error> body.
  xml::Element result = xml::parse(resp.body, what);
  if (result.name == "Error") {
    http::Response as_error = resp;
    as_error.status = 500;
    throw error_from(as_error, resp.body, what);
  }
}

void S3Store::abort_multipart(const std::string& key, const std::string& upload_id) {
  std::string what = "AbortMultipartUpload " + name(key);
  http::Response resp = send(request("DELETE", key, {{"uploadId", upload_id}}, what), sha256_hex(""));
  if (resp.status != 204 && resp.status != 200) {
    Error e = error_from(resp, resp.body, what);
    if (e.code() == ErrorCode::not_found) return;  // NoSuchUpload: nothing left to abort
    throw e;
  }
}

std::unique_ptr<http::ResponseStream> S3Store::open_get(const std::string& key, const std::string& range,
                                                        const std::string& if_match) {
  std::string what = "GET " + name(key);
  http::Request r = request("GET", key, {}, what);
  if (!range.empty()) r.headers.set("Range", range);
  if (!if_match.empty()) r.headers.set("If-Match", if_match);
  add_sse_c(r);
  sign(r, sha256_hex(""));
  return client_->open(std::move(r));
}

// ---------------------------------------------------------------------------------------------
// Reader

S3Reader::S3Reader(S3Store& store, std::string key, const storage::ByteRange& range)
    : store_(store), key_(std::move(key)), start_(range.offset), length_(range.length) {
  if (length_ && *length_ == 0) {
    // No Range header can ask for nothing; keep get()'s not_found contract all the same.
    if (!store_.exists(key_)) throw not_found(store_.name(key_) + ": no such object");
    eof_ = true;
    return;
  }
  open(false);
}

void S3Reader::open(bool resume) {
  std::uint64_t from = start_ + received_;
  std::string range;
  if (from > 0 || length_) {
    range = "bytes=" + std::to_string(from) + "-";
    if (length_) range += std::to_string(start_ + *length_ - 1);
  }
  std::string what = "GET " + store_.name(key_);
  body_ = store_.open_get(key_, range, resume ? etag_ : std::string());
  const http::Response& resp = body_->response();
  if (resp.status == 416 && !resume) {
    // Asking from the end of the object (or beyond) reads nothing, as in the file store.
    body_.reset();
    eof_ = true;
    return;
  }
  if (resp.status != 200 && resp.status != 206) {
    std::string err_body = read_all(*body_, kErrorBodyLimit, what);
    if (resume && resp.status == 412) {
      throw Error(ErrorCode::storage, what + ": the object changed while it was being read (ETag " + etag_ + ")");
    }
    throw store_.error_from(resp, err_body, what);
  }
  if (!range.empty() && resp.status == 200 && from > 0) {
    throw Error(ErrorCode::storage, what + ": the server ignored the Range header");
  }
  if (!resume) etag_ = resp.headers.get("ETag").value_or("");
  auto cl = resp.headers.get("Content-Length");
  if (cl && !cl->empty() && std::all_of(cl->begin(), cl->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    expected_ = received_ + std::stoull(*cl);
  } else {
    expected_.reset();
  }
}

std::size_t S3Reader::read(void* buffer, std::size_t size) {
  if (eof_ || size == 0) return 0;
  for (;;) {
    std::string failure;
    try {
      std::size_t n = body_->read(buffer, size);
      if (n > 0) {
        received_ += n;
        return n;
      }
      if (!expected_ || received_ >= *expected_) {
        eof_ = true;
        body_.reset();
        return 0;
      }
      failure = "the body ended after " + std::to_string(received_) + " of " + std::to_string(*expected_) + " bytes";
    } catch (const Error& e) {
      if (e.code() != ErrorCode::storage && e.code() != ErrorCode::io) throw;
      failure = e.what();
    }
    // The connection dropped mid-body: ask for the rest, pinned to the same object by its ETag.
    if (++resumes_ >= std::max(2, store_.config().max_attempts)) {
      throw Error(ErrorCode::storage, "GET " + store_.name(key_) + ": " + failure + " (after " +
                                          std::to_string(resumes_) + " attempts)");
    }
    store_.log("GET " + store_.name(key_) + ": resuming at byte " + std::to_string(start_ + received_) + ": " + failure);
    body_.reset();
    open(true);
  }
}

// ---------------------------------------------------------------------------------------------
// Writer

S3Writer::S3Writer(S3Store& store, std::string key) : store_(store), key_(std::move(key)) {}

S3Writer::~S3Writer() {
  if (!committed_) abort_upload();
}

template <typename F>
void S3Writer::guarded(F&& f) {
  if (committed_) throw Error(ErrorCode::storage, store_.name(key_) + ": write after commit");
  if (failed_) throw Error(ErrorCode::storage, store_.name(key_) + ": the upload already failed");
  try {
    f();
  } catch (...) {
    failed_ = true;
    abort_upload();
    throw;
  }
}

void S3Writer::write(const void* data, std::size_t size) {
  guarded([&] {
    const char* p = static_cast<const char*>(data);
    const std::size_t part_size = store_.config().part_size;
    while (size > 0) {
      // A full buffer becomes a part only once more bytes arrive, so an object of exactly one
      // part goes up in a single PutObject.
      if (buffer_.size() >= part_size) flush_part();
      if (buffer_.capacity() < part_size) buffer_.reserve(part_size);
      std::size_t n = std::min(size, part_size - buffer_.size());
      buffer_.append(p, n);
      p += n;
      size -= n;
      written_ += n;
    }
  });
}

void S3Writer::flush_part() {
  if (upload_id_.empty()) upload_id_ = store_.create_multipart(key_);
  if (static_cast<std::size_t>(next_part_) > kMaxParts) {
    throw Error(ErrorCode::storage, store_.name(key_) + ": more than 10000 parts of " +
                                        std::to_string(store_.config().part_size) + " bytes; raise the part size");
  }
  const std::size_t parallelism = store_.config().upload_parallelism;
  auto data = std::make_shared<const std::string>(std::move(buffer_));
  buffer_ = std::string();
  int number = next_part_++;
  if (parallelism <= 1) {
    done_.push_back(store_.upload_part(key_, upload_id_, number, std::move(data)));
    return;
  }
  // The buffer being filled counts against the bound, so at most parallelism - 1 parts upload
  // while the caller writes the next one.
  while (in_flight_.size() + 1 >= parallelism) wait_oldest();
  in_flight_.push_back(std::async(std::launch::async, [this, number, data = std::move(data)]() mutable {
    return store_.upload_part(key_, upload_id_, number, std::move(data));
  }));
}

void S3Writer::wait_oldest() {
  std::future<Part> f = std::move(in_flight_.front());
  in_flight_.pop_front();
  done_.push_back(f.get());
}

void S3Writer::commit() {
  if (committed_) return;
  guarded([&] {
    if (upload_id_.empty()) {
      store_.put_object(key_, std::make_shared<const std::string>(std::move(buffer_)));
    } else {
      if (!buffer_.empty()) flush_part();
      while (!in_flight_.empty()) wait_oldest();
      std::sort(done_.begin(), done_.end(), [](const Part& a, const Part& b) { return a.number < b.number; });
      store_.complete_multipart(key_, upload_id_, done_);
      upload_id_.clear();
    }
    buffer_ = std::string();
    committed_ = true;
  });
}

void S3Writer::abort_upload() noexcept {
  for (auto& f : in_flight_) {
    try {
      f.get();
    } catch (...) {
    }
  }
  in_flight_.clear();
  buffer_ = std::string();
  if (upload_id_.empty()) return;
  try {
    store_.abort_multipart(key_, upload_id_);
  } catch (const std::exception& e) {
    store_.log(std::string("abandoned multipart upload left behind: ") + e.what());
  }
  upload_id_.clear();
}

}  // namespace

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
