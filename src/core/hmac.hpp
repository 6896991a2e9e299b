// HMAC-SHA256 (RFC 2104 over FIPS 180-4, OpenSSL's), the MAC of AWS SigV4 and of Azure's Shared
// Key and SAS signatures. Internal header.
#pragma once

#include <string>
#include <string_view>

namespace vbackup {

// The 32 raw bytes of HMAC-SHA256(key, message). Throws Error(generic) if OpenSSL fails.
std::string hmac_sha256(std::string_view key, std::string_view message);

// Base64 (StdEncoding) of HMAC-SHA256(key, message): Azure's signature form.
std::string hmac_sha256_base64(std::string_view key, std::string_view message);

}  // namespace vbackup
