// A BackupStorageLocation's config map read the way velero-plugin-for-aws reads it (Init in
// object_store.go, config.go), and AWS credentials resolved the way the AWS SDK does it for the
// plugin.
#include "core/strings.hpp"
#include "http/client.hpp"
#include "storage/s3/checksum.hpp"
#include "vbackup/error.hpp"
#include "vbackup/layout.hpp"
#include "storage/s3/s3.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vbackup::s3 {
namespace {

// The plugin's ValidateObjectStoreConfigKeys list, in its order; Velero adds bucket, prefix and
// caCert to every object store's list.
const std::vector<std::string>& valid_keys() {
  static const std::vector<std::string> keys = {
      "region", "s3Url", "publicUrl", "kmsKeyId", "customerKeyEncryptionFile", "customerKeyEncryptionSecret",
      "s3ForcePathStyle", "signatureVersion", "credentialsFile", "profile", "serverSideEncryption",
      "insecureSkipTLSVerify", "enableSharedConfig", "tagging", "checksumAlgorithm", "bucket", "prefix", "caCert"};
  return keys;
}

std::string go_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? " " : "") + items[i];
  return out + "]";
}

// Go's strconv.ParseBool.
std::optional<bool> parse_go_bool(const std::string& v) {
  if (v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "true" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "FALSE" || v == "false" || v == "False") return false;
  return std::nullopt;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// A line of the credentials file (already split at '\n') without blanks and a CR.
std::string trim(std::string_view s) { return std::string(vbackup::trim(s, kLineSpace)); }

// The plugin's CheckTags: "key1=value1&key2=value2", each key non-empty.
void check_tagging(const std::string& tagging, const std::string& what) {
  std::size_t start = 0;
  while (start <= tagging.size()) {
    auto amp = tagging.find('&', start);
    std::string pair = tagging.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw invalid_input(what + ": tagging \"" + tagging + "\": expected key1=value1&key2=value2");
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
}

}  // namespace

Config config_from_location(const storage::Location& location) {
  std::string what = "storage location " + location.url();
  if (location.provider != "aws") throw invalid_input(what + ": not an S3 location (provider \"" + location.provider + "\")");
  const auto& c = location.config;
  std::vector<std::string> invalid;
  for (const auto& [k, v] : c) {
    // requestTimeout is ours (s3.hpp), accepted besides the plugin's list, which messages quote as it is.
    if (k == "requestTimeout") continue;
    if (std::find(valid_keys().begin(), valid_keys().end(), k) == valid_keys().end()) invalid.push_back(k);
  }
  if (!invalid.empty()) {
    throw invalid_input(what + ": config has invalid keys " + go_list(invalid) + "; valid keys are " + go_list(valid_keys()));
  }
  auto get = [&](const char* k) -> std::string {
    auto it = c.find(k);
    return it == c.end() ? std::string() : it->second;
  };
  auto get_bool = [&](const char* k) -> bool {
    std::string v = get(k);
    if (v.empty()) return false;
    auto b = parse_go_bool(v);
    if (!b) throw invalid_input(what + ": could not parse " + std::string(k) + " (expected bool): \"" + v + "\"");
    return *b;
  };

  Config cfg;
  cfg.bucket = storage::normalize_bucket(location.bucket);
  if (cfg.bucket.empty()) throw invalid_input(what + ": no bucket");
  cfg.region = get("region");
  cfg.endpoint = get("s3Url");
  cfg.public_url = get("publicUrl");
  cfg.force_path_style = get_bool("s3ForcePathStyle");
  cfg.insecure_skip_tls_verify = get_bool("insecureSkipTLSVerify");
  get_bool("enableSharedConfig");
  cfg.ca_cert = get("caCert");
  cfg.profile = get("profile");
  cfg.credentials_file = get("credentialsFile");
  cfg.credentials_text = location.credentials;
  cfg.credentials_source = location.credentials_source;
  cfg.server_side_encryption = get("serverSideEncryption");
  cfg.kms_key_id = get("kmsKeyId");
  cfg.customer_key_file = get("customerKeyEncryptionFile");
  cfg.tagging = get("tagging");
  for (const char* url_key : {"s3Url", "publicUrl"}) {
    std::string u = get(url_key);
    if (!u.empty() && !u.starts_with("http://") && !u.starts_with("https://")) {
      throw invalid_input(what + ": " + url_key + " \"" + u + "\" must start with http:// or https://");
    }
  }
  if (std::string sv = get("signatureVersion"); !sv.empty() && sv != "4") {
    throw Error(ErrorCode::unsupported, what + ": signatureVersion \"" + sv + "\" is not supported (only 4)");
  }
  int sse_methods = !cfg.kms_key_id.empty() + !cfg.customer_key_file.empty() + !get("customerKeyEncryptionSecret").empty();
  if (sse_methods > 1) {
    throw invalid_input(what + ": you can only use one of: kmsKeyId, customerKeyEncryptionFile, or customerKeyEncryptionSecret");
  }
  if (!get("customerKeyEncryptionSecret").empty()) {
    throw Error(ErrorCode::unsupported, what + ": customerKeyEncryptionSecret needs the Velero server's Kubernetes "
                                               "secret; use customerKeyEncryptionFile");
  }
  if (!cfg.tagging.empty()) check_tagging(cfg.tagging, what);
  if (auto it = c.find("requestTimeout"); it != c.end()) {
    cfg.request_timeout = http::parse_request_timeout(it->second, what + ": requestTimeout");
  }
  if (auto it = c.find("checksumAlgorithm"); it != c.end()) {
    // Present but empty disables checksums (velero#7534); absent means CRC32.
    if (!it->second.empty() && !known_checksum_algorithm(it->second)) {
      throw invalid_input(what + ": invalid checksum algorithm: " + it->second);
    }
    cfg.checksum_algorithm = it->second;
  }
  return cfg;
}

Credentials credentials_from_file_text(std::string_view text, const std::string& profile, const std::string& what) {
  // Credentials-file sections are [name]; config-file sections are [profile name] (and [default]).
  // The plugin passes credentialsFile as both, so either form names the profile.
  Credentials out;
  bool found = false, in_section = false;
  std::istringstream lines{std::string(text)};
  std::string line;
  int lineno = 0;
  while (std::getline(lines, line)) {
    ++lineno;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[') {
      if (t.back() != ']') throw invalid_input(what + ": line " + std::to_string(lineno) + ": unterminated section header");
      std::string name = trim(std::string_view(t).substr(1, t.size() - 2));
      if (name.starts_with("profile ")) name = trim(std::string_view(name).substr(8));
      in_section = name == profile;
      found = found || in_section;
      continue;
    }
    if (!in_section) continue;
    auto eq = t.find('=');
    if (eq == std::string::npos) continue;  // nested sub-sections (s3 =\n  max_concurrent…) and the like
    std::string key = trim(std::string_view(t).substr(0, eq));
    std::string value = trim(std::string_view(t).substr(eq + 1));
    if (key == "aws_access_key_id") out.access_key_id = value;
    else if (key == "aws_secret_access_key") out.secret_access_key = value;
    else if (key == "aws_session_token") out.session_token = value;
    else if (key == "region") out.region = value;
  }
  if (!found) throw invalid_input(what + ": no profile \"" + profile + "\"");
  if (out.access_key_id.empty() || out.secret_access_key.empty()) {
    throw invalid_input(what + ": profile \"" + profile + "\" has no aws_access_key_id and aws_secret_access_key");
  }
  out.source = "profile \"" + profile + "\" in " + what;
  return out;
}

Credentials resolve_credentials(const Config& config) {
  std::string profile = !config.profile.empty() ? config.profile : env("AWS_PROFILE");
  bool explicit_profile = !profile.empty();
  if (profile.empty()) profile = "default";
  std::string file = !config.credentials_file.empty() ? config.credentials_file : env("AWS_SHARED_CREDENTIALS_FILE");
  if (file.empty() && !env("HOME").empty()) file = env("HOME") + "/.aws/credentials";

  if (!explicit_profile && !env("AWS_ACCESS_KEY_ID").empty()) {
    Credentials c;
    c.access_key_id = env("AWS_ACCESS_KEY_ID");
    c.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    if (c.secret_access_key.empty()) {
      throw invalid_input("AWS credentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    }
    c.session_token = env("AWS_SESSION_TOKEN");
    c.source = "environment (AWS_ACCESS_KEY_ID)";
    return c;
  }
  // The BSL's spec.credential stands where the credentials file would (Velero sets credentialsFile
  // to the file its credentials store wrote the Secret's key to).
  if (!config.credentials_text.empty()) {
    return credentials_from_file_text(config.credentials_text, profile,
                                      config.credentials_source.empty() ? "spec.credential" : config.credentials_source);
  }
  std::ifstream in(file, std::ios::binary);
  if (file.empty() || !in) {
    throw invalid_input("AWS credentials: no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment and no "
                        "credentials file" + (file.empty() ? std::string() : " at " + file) +
                        " (set credentialsFile, or AWS_SHARED_CREDENTIALS_FILE)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return credentials_from_file_text(text.str(), profile, file);
}

}  // namespace vbackup::s3
