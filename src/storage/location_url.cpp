// Location URLs, the short form of a BackupStorageLocation on every surface (CLI, C, Python).
#include "core/percent.hpp"
#include "vbackup/error.hpp"
#include "vbackup/layout.hpp"
#include "vbackup/storage.hpp"

#include <cctype>

namespace vbackup::storage {
namespace {

// Config keys that carry secrets are never echoed back in URLs or messages.
bool is_secret_key(const std::string& key) {
  std::string k;
  for (char c : key) k.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return k.find("secret") != std::string::npos || k.find("password") != std::string::npos ||
         k == "storageaccountkey" || k.find("token") != std::string::npos;
}

}  // namespace

Location parse_location_url(std::string_view url) {
  auto fail = [&](const std::string& why) -> Error {
    return invalid_input("storage location \"" + std::string(url) + "\": " + why);
  };
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    throw fail("expected file://DIR, s3://BUCKET[/PREFIX]?region=… or azure://CONTAINER[/PREFIX]?storageAccount=…");
  }
  std::string scheme(url.substr(0, scheme_end));
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  Location loc;
  std::string what = "storage location \"" + std::string(url) + "\"";
  for (auto& [key, value] : parse_query(query, what, {.decoding = {}, .require_value = true})) loc.config[key] = std::move(value);
  auto take = [&](const char* key) -> std::string {
    auto it = loc.config.find(key);
    if (it == loc.config.end()) return {};
    std::string v = it->second;
    loc.config.erase(it);
    return v;
  };
  if (auto n = take("name"); !n.empty()) loc.name = n;
  if (auto m = take("accessMode"); !m.empty()) {
    if (m != "ReadOnly" && m != "ReadWrite") throw fail("accessMode must be ReadOnly or ReadWrite");
    loc.read_only = m == "ReadOnly";
  }
  std::optional<std::string> decoded = percent_decode(rest);
  if (!decoded) throw fail("bad percent-encoding");
  std::string path = std::move(*decoded);
  if (scheme == "file") {
    if (path.empty()) throw fail("no directory after file://");
    loc.provider = "file";
    loc.bucket = path;
    loc.prefix = normalize_prefix(take("prefix"));
  } else if (scheme == "s3" || scheme == "azure") {
    loc.provider = scheme == "s3" ? "aws" : "azure";
    auto slash = path.find('/');
    loc.bucket = path.substr(0, slash);
    if (loc.bucket.empty()) throw fail(scheme == "s3" ? "no bucket name" : "no container name");
    loc.prefix = normalize_prefix(slash == std::string::npos ? "" : path.substr(slash + 1));
    if (auto p = take("prefix"); !p.empty()) loc.prefix = normalize_prefix(p);
  } else {
    throw fail("unknown scheme \"" + scheme + "\" (expected file, s3 or azure)");
  }
  return loc;
}

std::string Location::url() const {
  std::string out;
  std::string query;
  auto add = [&](const std::string& k, const std::string& v) {
    query += (query.empty() ? "?" : "&") + percent_encode(k, "/:") + "=" + percent_encode(v, "/:");
  };
  if (provider == "file") {
    out = "file://" + bucket;
    if (!prefix.empty()) add("prefix", prefix);
  } else {
    out = (provider == "aws" ? "s3://" : provider == "azure" ? "azure://" : provider + "://") + bucket;
    if (!prefix.empty()) out += "/" + prefix;
  }
  for (const auto& [k, v] : config) {
    if (!is_secret_key(k)) add(k, v);
  }
  return out + query;
}

namespace {

std::string trim_slashes(std::string_view s) {
  while (!s.empty() && s.front() == '/') s.remove_prefix(1);
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::string normalize_bucket(std::string_view bucket) {
  std::string b = trim_slashes(bucket);
  if (b.find('/') != std::string::npos && !b.starts_with("arn:aws:s3:")) {
    throw invalid_input("bucket \"" + std::string(bucket) +
                        "\": a bucket name cannot contain '/'; put the prefix in the Prefix field");
  }
  if (b.empty()) throw invalid_input("bucket: the name is empty");
  return b;
}

std::string normalize_prefix(std::string_view prefix) { return trim_slashes(prefix); }

}  // namespace vbackup::storage
