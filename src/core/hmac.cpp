#include "core/hmac.hpp"

#include "core/encoding.hpp"
#include "vbackup/error.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace vbackup {

std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len)) {
    throw Error(ErrorCode::generic, "HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string hmac_sha256_base64(std::string_view key, std::string_view message) {
  return base64_encode(hmac_sha256(key, message));
}

}  // namespace vbackup
