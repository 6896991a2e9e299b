#include "storage/s3/sigv4.hpp"

#include "vbackup/error.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace vbackup::s3 {

std::string sha256(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

std::string sha256_hex(std::string_view data) { return hex(sha256(data)); }

std::string hex(std::string_view raw) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string canonical_query_string(const Params& query) {
  // Sorted by encoded name, then encoded value; every parameter is name=value, even with an empty
  // value (get-vanilla-empty-query-key).
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(query.size());
  for (const auto& [k, v] : query) enc.emplace_back(uri_encode(k, false), uri_encode(v, false));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

std::string raw_canonical_query_string(std::string_view q) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    auto eq = pair.find('=');
    pairs.emplace_back(std::string(pair.substr(0, eq)), eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims leading and trailing spaces and folds inner runs of spaces into one (get-header-value-trim).
std::string fold_value(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string canonical_request(const SigningRequest& r, std::string* signed_headers_out) {
  // Header names lower-cased and sorted; repeated names joined with ',' in their order
  // (get-header-key-duplicate).
  std::vector<std::pair<std::string, std::string>> hs;
  for (const auto& [k, v] : r.headers) hs.emplace_back(lower(k), fold_value(v));
  std::stable_sort(hs.begin(), hs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers, signed_headers;
  for (std::size_t i = 0; i < hs.size();) {
    std::string value = hs[i].second;
    std::size_t j = i + 1;
    for (; j < hs.size() && hs[j].first == hs[i].first; ++j) value += "," + hs[j].second;
    canonical_headers += hs[i].first + ":" + value + "\n";
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers += hs[i].first;
    i = j;
  }
  if (signed_headers_out) *signed_headers_out = signed_headers;
  std::string query = r.canonical_query ? *r.canonical_query : canonical_query_string(r.query);
  return r.method + "\n" + r.canonical_uri + "\n" + query + "\n" + canonical_headers + "\n" +
         signed_headers + "\n" + r.payload_hash;
}

std::string string_to_sign(const Scope& scope, std::string_view creq) {
  return "AWS4-HMAC-SHA256\n" + scope.amz_date + "\n" + scope.credential_scope() + "\n" + sha256_hex(creq);
}

std::string signature(const Scope& scope, std::string_view sts) {
  std::string k = hmac_sha256("AWS4" + scope.secret_access_key, scope.date());
  k = hmac_sha256(k, scope.region);
  k = hmac_sha256(k, scope.service);
  k = hmac_sha256(k, "aws4_request");
  return hex(hmac_sha256(k, sts));
}

std::string authorization(const SigningRequest& request, const Scope& scope) {
  std::string signed_headers;
  std::string creq = canonical_request(request, &signed_headers);
  return "AWS4-HMAC-SHA256 Credential=" + scope.access_key_id + "/" + scope.credential_scope() +
         ", SignedHeaders=" + signed_headers + ", Signature=" + signature(scope, string_to_sign(scope, creq));
}

std::string presign_query(SigningRequest request, const Scope& scope, std::chrono::seconds expires,
                          std::string_view session_token) {
  // SignedHeaders lists the names sorted, as the canonical request does.
  std::vector<std::string> names;
  for (const auto& h : request.headers) names.push_back(lower(h.first));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string signed_headers;
  for (const auto& n : names) signed_headers += (signed_headers.empty() ? "" : ";") + n;
  request.query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  request.query.emplace_back("X-Amz-Credential", scope.access_key_id + "/" + scope.credential_scope());
  request.query.emplace_back("X-Amz-Date", scope.amz_date);
  request.query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
  if (!session_token.empty()) request.query.emplace_back("X-Amz-Security-Token", std::string(session_token));
  request.query.emplace_back("X-Amz-SignedHeaders", signed_headers);
  request.payload_hash = "UNSIGNED-PAYLOAD";
  std::string sig = signature(scope, string_to_sign(scope, canonical_request(request)));
  return canonical_query_string(request.query) + "&X-Amz-Signature=" + sig;
}

}  // namespace vbackup::s3
