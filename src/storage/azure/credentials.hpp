// Where the storage account key comes from, as velero-plugin-for-microsoft-azure reads it: the
// variable named by storageAccountKeyEnvVar, looked up first in the credentials file (the BSL's
// `credential` secret that Velero materializes, or $AZURE_CREDENTIALS_FILE), then in the
// environment. Internal header.
#pragma once

#include "storage/azure/azure.hpp"

#include <map>
#include <string>
#include <string_view>

namespace vbackup::storage::azure {

// KEY=VALUE lines as godotenv reads them: blank lines and '#' comments skipped, an optional
// "export " prefix, "KEY: VALUE" too, single-quoted values literal, double-quoted ones with \n, \"
// and \\ escapes, unquoted ones trimmed and cut at " #". Errors name the file and the line
// number, never the line (it may hold a secret).
std::map<std::string, std::string> parse_dotenv(std::string_view text, std::string_view what);

// The decoded account key. Throws Error(invalid) naming `where`, the variable and the file, never
// the value: variable unset or empty, value not base64, file unreadable or malformed.
std::string read_account_key(const AzureConfig& config, std::string_view where);

}  // namespace vbackup::storage::azure
