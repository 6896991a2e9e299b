// BackupStorageLocation config for provider "azure" (velero-plugin-for-microsoft-azure
// object_store.go Init, common.go) and the account key's sources.
#include "core/strings.hpp"
#include "http/client.hpp"
#include "storage/azure/credentials.hpp"
#include "storage/azure/sharedkey.hpp"
#include "core/encoding.hpp"
#include "vbackup/error.hpp"
#include "vbackup/layout.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

namespace vbackup::storage {
namespace {

// The plugin's valid keys (ValidateObjectStoreConfigKeys adds bucket, prefix and caCert).
const std::vector<std::string>& valid_keys() {
  static const std::vector<std::string> keys{
      "resourceGroup",  "storageAccount", "subscriptionId",          "blockSizeInBytes",
      "storageAccountURI", "useAAD",     "activeDirectoryAuthorityURI", "storageAccountKeyEnvVar",
      "credentialsFile", "bucket",        "prefix",                  "caCert"};
  return keys;
}

constexpr std::uint64_t kMaxBlockSize = 4000ull << 20;  // Put Block limit since version 2019-12-12

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Container names: 3-63 characters of lower-case letters, digits and single hyphens, starting and
// ending with a letter or digit; or one of the special containers.
bool valid_container_name(const std::string& name) {
  if (name == "$root" || name == "$web" || name == "$logs") return true;
  if (name.size() < 3 || name.size() > 63) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) continue;
    if (c != '-' || i == 0 || i + 1 == name.size() || name[i + 1] == '-') return false;
  }
  return true;
}

// The blob endpoint suffix of the cloud named by AZURE_CLOUD_NAME (azure-sdk-for-go's cloud names,
// as the plugin's cloudFromName maps them).
std::string cloud_suffix(const std::string& where) {
  const char* env = std::getenv("AZURE_CLOUD_NAME");
  std::string name = env ? lower(env) : "";
  if (name.empty() || name == "azurepubliccloud") return "core.windows.net";
  if (name == "azurechinacloud") return "core.chinacloudapi.cn";
  if (name == "azureusgovernmentcloud") return "core.usgovcloudapi.net";
  throw Error(ErrorCode::unsupported, where + ": AZURE_CLOUD_NAME \"" + std::string(env) +
                                          "\" is not a cloud this build knows (AzurePublicCloud, AzureChinaCloud, "
                                          "AzureUSGovernmentCloud); set storageAccountURI instead");
}

}  // namespace

AzureConfig parse_azure_config(const Location& location) {
  std::string where = "storage location azure://" + location.bucket;
  auto fail = [&](const std::string& why) { return invalid_input(where + ": " + why); };

  std::vector<std::string> invalid;
  for (const auto& [k, v] : location.config) {
    // requestTimeout is ours (azure.hpp), accepted besides the plugin's list, which messages quote as it is.
    if (k == "requestTimeout") continue;
    if (std::find(valid_keys().begin(), valid_keys().end(), k) == valid_keys().end()) invalid.push_back(k);
  }
  if (!invalid.empty()) {
    std::string msg = "config has invalid keys [";
    for (std::size_t i = 0; i < invalid.size(); ++i) msg += (i ? " " : "") + invalid[i];
    msg += "]; valid keys are [";
    for (std::size_t i = 0; i < valid_keys().size(); ++i) msg += (i ? " " : "") + valid_keys()[i];
    throw fail(msg + "]");
  }
  auto get = [&](const char* key) -> std::string {
    auto it = location.config.find(key);
    return it == location.config.end() ? std::string() : it->second;
  };

  AzureConfig c;
  c.container = normalize_bucket(location.bucket);
  if (!valid_container_name(c.container)) {
    throw fail("\"" + c.container + "\" is not a valid container name (3-63 lower-case letters, digits and "
               "single hyphens, starting and ending with a letter or digit)");
  }
  c.storage_account = get("storageAccount");
  if (c.storage_account.empty()) throw fail("storageAccount not defined");
  for (char ch : c.storage_account) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-') {
      throw fail("storageAccount \"" + c.storage_account + "\" is not a storage account name");
    }
  }
  if (lower(get("useAAD")) == "true") {
    throw Error(ErrorCode::unsupported, where + ": useAAD=true (Azure AD authentication) is not supported by this "
                                                "build; use the storage account key through storageAccountKeyEnvVar");
  }
  c.key_env_var = get("storageAccountKeyEnvVar");
  if (c.key_env_var.empty()) {
    // Without it the plugin asks Azure AD for a token and ARM for the account's keys (ListKeys).
    throw Error(ErrorCode::unsupported,
                where + ": storageAccountKeyEnvVar is not set; without it Velero's Azure plugin authenticates "
                        "through Azure AD (useAAD, or the ARM ListKeys call), which this build does not implement. "
                        "Set storageAccountKeyEnvVar to the name of the variable that holds the storage account key "
                        "(Velero's documentation uses AZURE_STORAGE_ACCOUNT_ACCESS_KEY)");
  }
  c.credentials_text = location.credentials;
  c.credentials_source = location.credentials_source;
  if (location.config.count("credentialsFile")) {
    c.credentials_file = get("credentialsFile");
    if (c.credentials_file.empty()) throw fail("credentialsFile is empty");
  } else if (const char* f = std::getenv("AZURE_CREDENTIALS_FILE"); f && *f) {
    c.credentials_file = f;
  }

  std::string uri = get("storageAccountURI");
  if (uri.empty()) {
    c.endpoint = "https://" + c.storage_account + ".blob." + cloud_suffix(where);
  } else {
    // The plugin's documentation shows the bare host ("my-sa.blob.core.windows.net").
    if (uri.find("://") == std::string::npos) uri = "https://" + uri;
    std::string scheme = lower(uri.substr(0, uri.find("://")));
    if (scheme != "http" && scheme != "https") throw fail("storageAccountURI \"" + uri + "\" is not an http(s) URL");
    if (uri.find_first_of("?#") != std::string::npos) {
      throw fail("storageAccountURI \"" + uri + "\" must not carry a query or fragment");
    }
    if (uri.size() <= scheme.size() + 3 || uri[scheme.size() + 3] == '/') {
      throw fail("storageAccountURI \"" + uri + "\" has no host");
    }
    while (uri.ends_with("/")) uri.pop_back();
    uri = scheme + uri.substr(scheme.size());
    c.endpoint = uri;
  }

  if (auto bs = get("blockSizeInBytes"); !bs.empty()) {
    std::uint64_t v = 0;
    bool ok = bs.size() <= 12 && std::all_of(bs.begin(), bs.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (ok) v = std::stoull(bs);
    if (!ok || v == 0 || v > kMaxBlockSize) {
      throw fail("blockSizeInBytes \"" + bs + "\" must be a whole number of bytes from 1 to " +
                 std::to_string(kMaxBlockSize) + " (4000 MiB)");
    }
    c.block_size = v;
  }
  c.ca_cert = get("caCert");
  if (location.config.count("requestTimeout")) {
    c.request_timeout = http::parse_request_timeout(get("requestTimeout"), where + ": requestTimeout");
  }
  return c;
}

namespace azure {

std::map<std::string, std::string> parse_dotenv(std::string_view text, std::string_view what) {
  std::map<std::string, std::string> out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    auto trim = [](std::string_view s) { return vbackup::trim(s, kCSpace); };
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ")) line = trim(line.substr(7));
    auto sep = line.find_first_of("=:");
    std::string_view key = sep == std::string_view::npos ? std::string_view{} : trim(line.substr(0, sep));
    if (key.empty()) {
      throw invalid_input(std::string(what) + ": line " + std::to_string(line_no) + ": expected KEY=VALUE");
    }
    std::string_view raw = trim(line.substr(sep + 1));
    std::string value;
    if (raw.size() >= 2 && raw.front() == '\'' && raw.back() == '\'') {
      value = std::string(raw.substr(1, raw.size() - 2));
    } else if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"') {
      raw = raw.substr(1, raw.size() - 2);
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\\' && i + 1 < raw.size()) {
          char n = raw[++i];
          value.push_back(n == 'n' ? '\n' : n == 'r' ? '\r' : n);
        } else {
          value.push_back(raw[i]);
        }
      }
    } else {
      if (auto hash = raw.find(" #"); hash != std::string_view::npos) raw = trim(raw.substr(0, hash));
      value = std::string(raw);
    }
    out[std::string(key)] = std::move(value);
  }
  return out;
}

std::string read_account_key(const AzureConfig& config, std::string_view where) {
  std::string value;
  bool found = false;
  // The BSL's spec.credential stands where the credentials file would (Velero sets credentialsFile
  // to the file its credentials store wrote the Secret's key to).
  const bool from_secret = !config.credentials_text.empty();
  const std::string file_name = from_secret ? config.credentials_source : "credentials file " + config.credentials_file;
  if (from_secret || !config.credentials_file.empty()) {
    std::string text;
    if (from_secret) {
      text = config.credentials_text;
    } else {
      std::ifstream in(config.credentials_file, std::ios::binary);
      if (!in) throw invalid_input(std::string(where) + ": credentials file " + config.credentials_file + " cannot be read");
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    auto vars = parse_dotenv(text, file_name);
    wipe(text);
    if (auto it = vars.find(config.key_env_var); it != vars.end()) {
      value = std::move(it->second);
      found = true;
    }
    for (auto& [k, v] : vars) wipe(v);
  }
  if (!found) {
    if (const char* env = std::getenv(config.key_env_var.c_str())) value = env;
  }
  std::string source = from_secret                        ? file_name + " or the environment"
                       : config.credentials_file.empty() ? "the environment"
                                                         : "the credentials file " + config.credentials_file + " or the environment";
  if (value.empty()) {
    throw invalid_input(std::string(where) + ": storageAccountKeyEnvVar names " + config.key_env_var +
                        ", which is not set (or empty) in " + source);
  }
  // As azblob.NewSharedKeyCredential decodes it (base64.StdEncoding); surrounding blanks from a
  // file or a shell are not part of the key.
  std::string_view trimmed = trim(value, kCSpace);
  std::optional<std::string> key = base64_decode(trimmed);
  wipe(value);
  if (!key || key->empty()) {
    if (key) wipe(*key);
    throw invalid_input(std::string(where) + ": the storage account key in " + config.key_env_var +
                        " is not valid base64");
  }
  return std::move(*key);
}

}  // namespace azure
}  // namespace vbackup::storage
