// The OpenSSL primitives age and SSHSIG are built on (X25519, HKDF-SHA-256, ChaCha20-Poly1305,
// scrypt, SHA-256/512, Ed25519, CSPRNG), each a small function over byte strings, and the unpadded
// canonical base64 age uses. Internal header; every failure of OpenSSL throws Error(generic).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vbackup::crypto {

std::string random_bytes(std::size_t n);

// RFC 7748 X25519(scalar, point); both 32 bytes. The all-zero result of a low-order point is
// returned as is: the caller decides (age aborts on it).
std::string x25519(std::string_view scalar, std::string_view point);
std::string x25519_base(std::string_view scalar);  // X25519(scalar, basepoint)

// RFC 5869 HKDF-SHA-256 (extract with salt, expand with info) to `length` bytes.
std::string hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info, std::size_t length = 32);

// RFC 7539 ChaCha20-Poly1305 with no associated data: seal appends the 16-byte tag; open returns
// nullopt when the tag does not match.
std::string chacha20poly1305_seal(std::string_view key, std::string_view nonce, std::string_view plaintext);
std::optional<std::string> chacha20poly1305_open(std::string_view key, std::string_view nonce,
                                                 std::string_view ciphertext);
// The same into caller buffers, for the STREAM chunks: one cipher context set up with the key once,
// then only the nonce per chunk. out must hold size (+16 for seal, −16 for open); open returns
// false on a wrong tag.
class ChaCha20Poly1305 {
 public:
  explicit ChaCha20Poly1305(std::string_view key);
  ~ChaCha20Poly1305();
  ChaCha20Poly1305(const ChaCha20Poly1305&) = delete;
  ChaCha20Poly1305& operator=(const ChaCha20Poly1305&) = delete;
  void seal(const unsigned char* nonce, const unsigned char* in, std::size_t size, unsigned char* out);
  bool open(const unsigned char* nonce, const unsigned char* in, std::size_t size, unsigned char* out);

 private:
  void* encrypt_;  // EVP_CIPHER_CTX*
  void* decrypt_;
};

// RFC 7914 scrypt with r = 8, p = 1 (age's parameters), N = 2^log_n.
std::string scrypt(std::string_view passphrase, std::string_view salt, int log_n, std::size_t length = 32);

std::string sha256(std::string_view data);
std::string sha512(std::string_view data);
std::string to_hex(std::string_view bytes);

// Ed25519: the 32-byte public key of a 32-byte seed, a 64-byte signature, a verification.
std::string ed25519_public(std::string_view seed);
std::string ed25519_sign(std::string_view seed, std::string_view message);
bool ed25519_verify(std::string_view public_key, std::string_view message, std::string_view signature);

bool constant_time_equal(std::string_view a, std::string_view b);

// RFC 4648 §4 without '=' padding, as age writes it; decode accepts only the canonical encoding
// (§3.5: no padding, no line breaks, zero trailing bits), else nullopt.
std::string base64_raw_encode(std::string_view bytes);
std::optional<std::string> base64_raw_decode(std::string_view text);

}  // namespace vbackup::crypto
