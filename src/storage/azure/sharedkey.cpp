// Shared Key and service SAS signing (see sharedkey.hpp for the documents each rule comes from).
#include "storage/azure/sharedkey.hpp"

#include "core/encoding.hpp"
#include "vbackup/error.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <stdexcept>

namespace vbackup::storage::azure {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trim, then fold each run of linear whitespace to one space ("Replace any linear whitespace in the
// header value with a single space"). We never send such values; the rule is kept for x-ms-meta-*.
std::string fold_value(std::string_view v) {
  while (!v.empty() && is_space(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_space(v.back())) v.remove_suffix(1);
  std::string out;
  out.reserve(v.size());
  bool in_space = false;
  for (char c : v) {
    if (is_space(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

// The value of a standard header for the string-to-sign: the first field of that name, or "".
std::string standard_header(const SignInput& in, std::string_view name) {
  for (const auto& [k, v] : in.headers) {
    if (k.size() == name.size() && lower(k) == name) return fold_value(v);
  }
  return {};
}

std::tm utc(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

}  // namespace

std::string canonicalized_headers(const SignInput& in) {
  // Names are unique after lower-casing in what we send; repeated ones are joined with ',' as the
  // SDKs do. Sorting is by byte: for the x-ms-* names we send it agrees with the service's collation.
  std::map<std::string, std::string> fields;
  for (const auto& [k, v] : in.headers) {
    std::string name = lower(fold_value(k));
    if (!name.starts_with("x-ms-")) continue;
    auto [it, fresh] = fields.emplace(name, fold_value(v));
    if (!fresh) it->second += "," + fold_value(v);
  }
  std::string out;
  for (const auto& [k, v] : fields) out += k + ":" + v + "\n";
  return out;
}

std::string canonicalized_resource(std::string_view account, const SignInput& in) {
  std::string out = "/" + std::string(account) + (in.path.empty() ? std::string("/") : in.path);
  std::map<std::string, std::vector<std::string>> params;
  for (const auto& [k, v] : in.query) params[lower(k)].push_back(v);
  for (auto& [k, values] : params) {
    std::sort(values.begin(), values.end());
    out += "\n" + k + ":";
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + values[i];
  }
  return out;
}

std::string string_to_sign(std::string_view account, const SignInput& in) {
  std::string length = standard_header(in, "content-length");
  if (length == "0") length.clear();  // version 2015-02-21 and later
  std::string out;
  out += in.method + "\n";
  out += standard_header(in, "content-encoding") + "\n";
  out += standard_header(in, "content-language") + "\n";
  out += length + "\n";
  out += standard_header(in, "content-md5") + "\n";
  out += standard_header(in, "content-type") + "\n";
  out += standard_header(in, "date") + "\n";
  out += standard_header(in, "if-modified-since") + "\n";
  out += standard_header(in, "if-match") + "\n";
  out += standard_header(in, "if-none-match") + "\n";
  out += standard_header(in, "if-unmodified-since") + "\n";
  out += standard_header(in, "range") + "\n";
  out += canonicalized_headers(in);
  out += canonicalized_resource(account, in);
  return out;
}

std::string authorization_header(std::string_view account, std::string_view key, const SignInput& in) {
  return "SharedKey " + std::string(account) + ":" + hmac_sha256_base64(key, string_to_sign(account, in));
}

std::string rfc1123_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm = utc(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string iso8601_seconds(std::chrono::system_clock::time_point t) {
  std::tm tm = utc(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string sas_string_to_sign(const ServiceSas& sas) {
  // Sixteen positional fields; the empty ones keep their line (identifier, IP, snapshot time,
  // encryption scope and the five response-header overrides).
  std::string resource = "/blob/" + sas.account + "/" + sas.container + "/" + sas.blob;
  return sas.permissions + "\n" + sas.start + "\n" + sas.expiry + "\n" + resource + "\n" + "\n" + "\n" +
         sas.protocol + "\n" + sas.version + "\n" + "b" + "\n" + "\n" + "\n" + "\n" + "\n" + "\n" + "\n";
}

std::string sas_query(const ServiceSas& sas, std::string_view key) {
  std::string sig = hmac_sha256_base64(key, sas_string_to_sign(sas));
  return "sv=" + url_encode(sas.version, false) + "&st=" + url_encode(sas.start, false) +
         "&se=" + url_encode(sas.expiry, false) + "&sr=b&sp=" + url_encode(sas.permissions, false) +
         "&spr=" + url_encode(sas.protocol, false) + "&sig=" + url_encode(sig, false);
}

bool split_target(std::string_view target, std::string& path, std::vector<std::pair<std::string, std::string>>& query) {
  query.clear();
  auto q = target.find('?');
  path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return true;
  try {
    query = parse_query(target.substr(q + 1), "request target");
  } catch (const Error&) {
    return false;
  }
  return true;
}

std::string content_md5(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("MD5 failed");
  }
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

void wipe(std::string& secret) noexcept {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

}  // namespace vbackup::storage::azure
