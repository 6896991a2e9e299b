// Encryption at rest and integrity, in formats other tools check (docs/crypto.md):
//  - age v1 (age-encryption.org/v1): X25519 and scrypt recipients, the STREAM payload, as stream
//    adapters (memory bounded by one 64 KiB chunk), and rekey (a new header, the payload bytes kept);
//  - a checksum manifest (JSON: SHA-256 of named files and of named tarball items);
//  - SSH signatures (SSHSIG, `ssh-keygen -Y sign/verify`) with Ed25519 keys.
// Errors are vbackup::Error naming the input (`what`) and the problem.
#pragma once

#include "vbackup/stream.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::crypto {

// ---- age -------------------------------------------------------------------------------------------

// Where a file key is wrapped: an X25519 public key ("age1…") or a passphrase (scrypt, which must
// be the file's only recipient).
struct AgeRecipient {
  enum class Type { x25519, scrypt };
  Type type = Type::x25519;
  std::string key;         // x25519: the 32-byte public key; scrypt: the passphrase
  int scrypt_log_n = 18;   // scrypt work factor (age's default)

  static AgeRecipient parse(std::string_view age1, std::string_view what);  // "age1…"
  static AgeRecipient passphrase(std::string passphrase, int log_n = 18);
  std::string to_string() const;   // "age1…" (x25519 only)
  // A short name safe to print and record: the first 8 bytes of SHA-256 of the public key, hex
  // ("x25519:3f2a…"), or "scrypt". X25519 stanzas are anonymous, so a reader learns which key is
  // missing only from fingerprints recorded beside the file (AgeDecryptor's `expected`).
  std::string fingerprint() const;
};

// What unwraps a file key: an X25519 secret key ("AGE-SECRET-KEY-1…") or a passphrase.
struct AgeIdentity {
  AgeRecipient::Type type = AgeRecipient::Type::x25519;
  std::string key;  // x25519: the 32-byte secret; scrypt: the passphrase

  static AgeIdentity generate();  // a new X25519 identity
  static AgeIdentity parse(std::string_view secret, std::string_view what);  // "AGE-SECRET-KEY-1…"
  static AgeIdentity passphrase(std::string passphrase);
  std::string to_string() const;  // "AGE-SECRET-KEY-1…" (x25519 only)
  AgeRecipient recipient() const;  // x25519 only
};

// age's identity file (age -i) and recipients file (age -R): one key a line, '#' comments and
// blank lines skipped; errors name the file and the line. Plugin and SSH keys are refused as
// unsupported.
std::vector<AgeIdentity> parse_age_identities(std::string_view text, std::string_view what);
std::vector<AgeIdentity> read_age_identity_file(const std::filesystem::path& path);
std::vector<AgeRecipient> parse_age_recipients(std::string_view text, std::string_view what);

// Encrypts into `sink`: the header at construction, then 64 KiB chunks; finish() writes the final
// chunk (without it the output is incomplete and no reader accepts it).
class AgeEncryptor final : public OutputStream {
 public:
  AgeEncryptor(OutputStream& sink, const std::vector<AgeRecipient>& recipients, std::string what);
  ~AgeEncryptor() override;
  using OutputStream::write;
  void write(const void* data, std::size_t size) override;
  void finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Decrypts an age file read from `source`. The header is read and its MAC checked at construction
// (a wrong identity throws Error(not_found) naming the stanza types, the identities tried and the
// `expected` fingerprints); each chunk is authenticated before a byte of it is returned, so an
// altered, truncated or reordered payload throws Error(invalid) naming `what` and the chunk.
class AgeDecryptor final : public InputStream {
 public:
  AgeDecryptor(InputStream& source, const std::vector<AgeIdentity>& identities, std::string what,
               std::vector<std::string> expected = {});
  ~AgeDecryptor() override;
  std::size_t read(void* buffer, std::size_t size) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Key rotation: unwraps the file key of `in` with `identities`, writes a new header wrapping it for
// `recipients`, then copies the rest (nonce and payload) unchanged, without decrypting it.
void age_rekey(InputStream& in, OutputStream& out, const std::vector<AgeIdentity>& identities,
               const std::vector<AgeRecipient>& recipients, std::string_view what);

// ---- checksum manifest -------------------------------------------------------------------------------

// SHA-256 over a stream of bytes.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex_digest();  // 64 lower-case hex digits; ends the hash
  std::uint64_t size() const { return size_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::uint64_t size_ = 0;
};

// Passes bytes on to `sink` (or nowhere) and hashes them.
class Sha256OutputStream final : public OutputStream {
 public:
  explicit Sha256OutputStream(OutputStream* sink = nullptr) : sink_(sink) {}
  using OutputStream::write;
  void write(const void* data, std::size_t size) override;
  Sha256& hash() { return hash_; }

 private:
  OutputStream* sink_;
  Sha256 hash_;
};

struct ChecksumEntry {
  std::string file;  // the file's name; for an item, the tarball's name
  std::string path;  // an item's path inside the tarball; "" for a file
  std::uint64_t size = 0;
  std::string sha256;  // 64 lower-case hex digits
};

// docs/crypto.md, "Checksum manifest". Entries are kept sorted by (file, path).
struct ChecksumManifest {
  std::vector<ChecksumEntry> files;
  std::vector<ChecksumEntry> items;

  std::string to_json() const;
  // Strict: unknown or duplicate keys, a wrong version, bad hex or sizes, duplicate entries are errors.
  static ChecksumManifest parse(std::string_view text, std::string_view what);
  // Each difference of `actual` from this manifest, by path: "demo.tar.gz: sha256 differs",
  // "demo.tar.gz!resources/pods/…: missing", "…: unexpected". Empty when they match.
  std::vector<std::string> compare(const ChecksumManifest& actual) const;
};

// ---- SSH signatures (SSHSIG) -----------------------------------------------------------------------

// An Ed25519 key from an unencrypted OpenSSH private key file (ssh-keygen -t ed25519 -N '').
struct SshSigningKey {
  std::string seed;        // 32 bytes
  std::string public_key;  // 32 bytes
  std::string comment;
  static SshSigningKey parse(std::string_view openssh_private_key, std::string_view what);
  std::string public_line() const;  // "ssh-ed25519 AAAA… comment"
};

// The armored signature ssh-keygen -Y sign -n <ns> writes (hash sha512), byte for byte.
std::string ssh_sign(const SshSigningKey& key, std::string_view message, std::string_view ns);

// ssh-keygen -Y verify -I <principal> -n <ns> -f <allowed_signers>: the signature must be valid and
// its key listed for the principal (with the namespace allowed); throws Error(invalid) naming
// `what` and the reason otherwise. Certificate authorities are not supported (lines skipped).
void ssh_verify(std::string_view armored_signature, std::string_view message, std::string_view ns,
                std::string_view principal, std::string_view allowed_signers, std::string_view what);

}  // namespace vbackup::crypto
