#include "storage/s3/checksum.hpp"

#include "core/encoding.hpp"
#include "vbackup/error.hpp"

#include <openssl/evp.h>
#include <zlib.h>

#include <array>
#include <cstdint>

namespace vbackup::s3 {
namespace {

// Reflected CRC tables; CRC-32C (Castagnoli, 0x82F63B78) and CRC-64/NVME (0x9A6C9329AC4BC9B5).
template <typename T, T Poly>
constexpr std::array<T, 256> crc_table() {
  std::array<T, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    T c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ Poly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrc32c = crc_table<std::uint32_t, 0x82F63B78u>();
constexpr auto kCrc64Nvme = crc_table<std::uint64_t, 0x9A6C9329AC4BC9B5ull>();

template <typename T>
std::string big_endian(T v) {
  std::string out(sizeof(T), '\0');
  for (std::size_t i = 0; i < sizeof(T); ++i) out[sizeof(T) - 1 - i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return out;
}

std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), out, &len, md, nullptr)) throw Error(ErrorCode::generic, "digest failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

bool known_checksum_algorithm(std::string_view a) {
  return a == "CRC32" || a == "CRC32C" || a == "SHA1" || a == "SHA256" || a == "CRC64NVME";
}

std::string checksum_header(std::string_view a) {
  std::string h = "x-amz-checksum-";
  for (char c : a) h.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  return h;
}

std::string checksum_element(std::string_view a) { return "Checksum" + std::string(a); }

std::string checksum_base64(std::string_view a, std::string_view data) {
  if (a == "CRC32") {
    uLong c = crc32(0L, Z_NULL, 0);
    // zlib takes uInt lengths: feed it in chunks.
    std::size_t off = 0;
    while (off < data.size()) {
      uInt n = static_cast<uInt>(std::min<std::size_t>(data.size() - off, 1u << 30));
      c = crc32(c, reinterpret_cast<const Bytef*>(data.data() + off), n);
      off += n;
    }
    return base64_encode(big_endian(static_cast<std::uint32_t>(c)));
  }
  if (a == "CRC32C") {
    std::uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : data) c = kCrc32c[(c ^ b) & 0xFF] ^ (c >> 8);
    return base64_encode(big_endian(c ^ 0xFFFFFFFFu));
  }
  if (a == "CRC64NVME") {
    std::uint64_t c = ~0ull;
    for (unsigned char b : data) c = kCrc64Nvme[(c ^ b) & 0xFF] ^ (c >> 8);
    return base64_encode(big_endian(~c));
  }
  if (a == "SHA1") return base64_encode(digest(EVP_sha1(), data));
  if (a == "SHA256") return base64_encode(digest(EVP_sha256(), data));
  throw invalid_input("invalid checksum algorithm: " + std::string(a));
}

std::string content_md5(std::string_view data) { return base64_encode(digest(EVP_md5(), data)); }

}  // namespace vbackup::s3
