#include "crypto/primitives.hpp"

#include "core/encoding.hpp"
#include "vbackup/error.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <memory>

namespace vbackup::crypto {
namespace {

[[noreturn]] void fail(const char* what) { throw Error(ErrorCode::generic, std::string("OpenSSL: ") + what + " failed"); }

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct CipherCtxFree { void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct KdfFree { void operator()(EVP_KDF* p) const { EVP_KDF_free(p); } };
struct KdfCtxFree { void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); } };
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

void require_size(std::string_view s, std::size_t n, const char* what) {
  if (s.size() != n) throw Error(ErrorCode::invalid, std::string(what) + ": expected " + std::to_string(n) + " bytes");
}

std::string derive(const char* name, const OSSL_PARAM* params, std::size_t length) {
  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, name, nullptr));
  if (!kdf) fail(name);
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf.get()));
  std::string out(length, '\0');
  if (!ctx || EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), length, params) != 1) fail(name);
  return out;
}

}  // namespace

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) fail("RAND_bytes");
  return out;
}

std::string x25519(std::string_view scalar, std::string_view point) {
  require_size(scalar, 32, "X25519 scalar");
  require_size(point, 32, "X25519 point");
  Pkey priv(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, bytes(scalar), 32));
  Pkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, bytes(point), 32));
  if (!priv || !peer) fail("X25519 key");
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(priv.get(), nullptr));
  std::string out(32, '\0');
  std::size_t len = 32;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) fail("X25519");
  // OpenSSL refuses an all-zero shared secret (a low-order point): report it as zeros, and age aborts.
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len) != 1) return std::string(32, '\0');
  return out;
}

std::string x25519_base(std::string_view scalar) {
  require_size(scalar, 32, "X25519 scalar");
  Pkey priv(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, bytes(scalar), 32));
  std::string out(32, '\0');
  std::size_t len = 32;
  if (!priv || EVP_PKEY_get_raw_public_key(priv.get(), reinterpret_cast<unsigned char*>(out.data()), &len) != 1) fail("X25519");
  return out;
}

std::string hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info, std::size_t length) {
  char digest[] = "SHA256";
  // An empty salt or info is left out: OpenSSL refuses empty octet strings, and RFC 5869 treats a
  // missing salt as HashLen zeros, which HMAC pads an empty key to anyway.
  OSSL_PARAM params[5];
  int n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.data()), ikm.size());
  if (!salt.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size());
  }
  if (!info.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size());
  }
  params[n] = OSSL_PARAM_construct_end();
  return derive("HKDF", params, length);
}

ChaCha20Poly1305::ChaCha20Poly1305(std::string_view key) : encrypt_(EVP_CIPHER_CTX_new()), decrypt_(EVP_CIPHER_CTX_new()) {
  require_size(key, 32, "ChaCha20-Poly1305 key");
  auto* enc = static_cast<EVP_CIPHER_CTX*>(encrypt_);
  auto* dec = static_cast<EVP_CIPHER_CTX*>(decrypt_);
  if (!enc || !dec || EVP_EncryptInit_ex(enc, EVP_chacha20_poly1305(), nullptr, bytes(key), nullptr) != 1 ||
      EVP_DecryptInit_ex(dec, EVP_chacha20_poly1305(), nullptr, bytes(key), nullptr) != 1) {
    EVP_CIPHER_CTX_free(enc);
    EVP_CIPHER_CTX_free(dec);
    fail("ChaCha20-Poly1305 init");
  }
}

ChaCha20Poly1305::~ChaCha20Poly1305() {
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(encrypt_));
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(decrypt_));
}

void ChaCha20Poly1305::seal(const unsigned char* nonce, const unsigned char* in, std::size_t size, unsigned char* out) {
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(encrypt_);
  int len = 0;
  if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) != 1 ||
      (size && EVP_EncryptUpdate(ctx, out, &len, in, static_cast<int>(size)) != 1) ||
      EVP_EncryptFinal_ex(ctx, out + size, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out + size) != 1) {
    fail("ChaCha20-Poly1305 seal");
  }
}

bool ChaCha20Poly1305::open(const unsigned char* nonce, const unsigned char* in, std::size_t size, unsigned char* out) {
  if (size < 16) return false;
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(decrypt_);
  std::size_t body = size - 16;
  int len = 0;
  if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) != 1 ||
      (body && EVP_DecryptUpdate(ctx, out, &len, in, static_cast<int>(body)) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, const_cast<unsigned char*>(in + body)) != 1) {
    fail("ChaCha20-Poly1305 open");
  }
  return EVP_DecryptFinal_ex(ctx, out + body, &len) == 1;
}

std::string chacha20poly1305_seal(std::string_view key, std::string_view nonce, std::string_view plaintext) {
  require_size(nonce, 12, "ChaCha20-Poly1305 nonce");
  std::string out(plaintext.size() + 16, '\0');
  ChaCha20Poly1305(key).seal(bytes(nonce), bytes(plaintext), plaintext.size(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::optional<std::string> chacha20poly1305_open(std::string_view key, std::string_view nonce,
                                                 std::string_view ciphertext) {
  require_size(nonce, 12, "ChaCha20-Poly1305 nonce");
  if (ciphertext.size() < 16) return std::nullopt;
  std::string out(ciphertext.size() - 16, '\0');
  if (!ChaCha20Poly1305(key).open(bytes(nonce), bytes(ciphertext), ciphertext.size(),
                                  reinterpret_cast<unsigned char*>(out.data()))) {
    return std::nullopt;
  }
  return out;
}

std::string scrypt(std::string_view passphrase, std::string_view salt, int log_n, std::size_t length) {
  if (log_n < 1 || log_n > 62) throw Error(ErrorCode::invalid, "scrypt: work factor out of range");
  std::uint64_t n = std::uint64_t(1) << log_n;
  std::uint32_t r = 8, p = 1;
  // N = 2^22 with r = 8 needs 4 GiB; OpenSSL's default memory cap (32 MiB) would refuse age's 2^18.
  std::uint64_t maxmem = 128 * r * (n + p + 2) + (std::uint64_t(1) << 20);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(passphrase.data()), passphrase.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  return derive("SCRYPT", params, length);
}

namespace {
std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) fail("digest");
  return std::string(reinterpret_cast<const char*>(out), len);
}
}  // namespace

std::string sha256(std::string_view data) { return digest(EVP_sha256(), data); }
std::string sha512(std::string_view data) { return digest(EVP_sha512(), data); }

std::string to_hex(std::string_view bytes_in) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes_in.size() * 2);
  for (unsigned char c : bytes_in) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string ed25519_public(std::string_view seed) {
  require_size(seed, 32, "Ed25519 seed");
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(seed), 32));
  std::string out(32, '\0');
  std::size_t len = 32;
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(out.data()), &len) != 1) fail("Ed25519");
  return out;
}

std::string ed25519_sign(std::string_view seed, std::string_view message) {
  require_size(seed, 32, "Ed25519 seed");
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(seed), 32));
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::string out(64, '\0');
  std::size_t len = 64;
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, bytes(message), message.size()) != 1) {
    fail("Ed25519 sign");
  }
  return out;
}

bool ed25519_verify(std::string_view public_key, std::string_view message, std::string_view signature) {
  if (public_key.size() != 32 || signature.size() != 64) return false;
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(public_key), 32));
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) fail("Ed25519 verify");
  return EVP_DigestVerify(ctx.get(), bytes(signature), 64, bytes(message), message.size()) == 1;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64_raw_encode(std::string_view in) {
  std::string out = base64_encode(in);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

std::optional<std::string> base64_raw_decode(std::string_view text) {
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) return std::nullopt;  // also '=', CR and LF, which core's decoder would accept
  }
  if (text.size() % 4 == 1) return std::nullopt;
  std::string padded(text);
  padded.append((4 - text.size() % 4) % 4, '=');
  auto out = base64_decode(padded);
  // Non-zero trailing bits decode too; re-encoding tells a canonical text from another.
  if (!out || base64_raw_encode(*out) != text) return std::nullopt;
  return out;
}

}  // namespace vbackup::crypto
