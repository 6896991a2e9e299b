// The S3 store's requests: construction (region, SSE-C key, endpoints), request building, SigV4
// signing, the headers of new objects, sending (with the fallback for moto's way of signing) and
// the mapping of error answers to Errors that never carry a secret.
#include "core/percent.hpp"
#include "core/xml.hpp"
#include "storage/s3/checksum.hpp"
#include "storage/s3/store.hpp"
#include "core/encoding.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>

namespace vbackup::s3 {
namespace {

http::ClientOptions client_options(const Config& cfg) {
  http::ClientOptions o;
  o.tls.verify = !cfg.insecure_skip_tls_verify;
  o.tls.insecure_what = "the S3 object store (insecureSkipTLSVerify)";
  o.tls.ca_pem = cfg.ca_cert;
  o.retry.max_attempts = std::max(1, cfg.max_attempts);
  // S3 asks to retry a 400 RequestTimeout (the body came too slowly) like a 5xx.
  o.retry.retry_response = [](const http::Response& r) {
    return r.status == 400 && (r.body.find("<Code>RequestTimeout</Code>") != std::string::npos);
  };
  o.log = cfg.log;
  o.request_timeout = cfg.request_timeout;
  if (cfg.notice) {
    o.on_wait = [notice = cfg.notice](const http::WaitNotice& w) { notice(http::wait_line("the object store " + w.origin, w)); };
  }
  o.max_connections_per_origin = std::max<std::size_t>(8, cfg.upload_parallelism + 2);
  return o;
}

}  // namespace

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
      s.query = parse_query(sent, "request target", {.decoding = {.strict = false}});
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
    // The key id masked but for its last 4 characters, as `aws configure list` shows it: enough to
    // tell which key was used, never the whole credential in a message (issue 16 "Secrets").
    const std::string& id = creds_.access_key_id;
    std::string masked = id.size() <= 4 ? std::string(id.size(), '*') : std::string(id.size() - 4, '*') + id.substr(id.size() - 4);
    return Error(ErrorCode::storage, scrub(what + ": access denied (" + cause + ") for access key id " + masked +
                                           " from " + creds_.source))
        .with_http(r.status, code);
  }
  if (code == "NoSuchBucket") {
    return Error(ErrorCode::storage, scrub(what + ": bucket \"" + cfg_.bucket + "\" does not exist (NoSuchBucket)"))
        .with_http(r.status, code);
  }
  if (r.status == 404 && (code.empty() || code == "NoSuchKey")) {
    return not_found(scrub(what + ": no such object")).with_http(r.status, code);
  }
  if (!region_hint.empty() && region_hint != region_) {
    cause += "; the bucket is in region " + region_hint + ", not " + region_;
  }
  return Error(ErrorCode::storage, scrub(what + ": " + cause)).with_http(r.status, code);
}

}  // namespace vbackup::s3
