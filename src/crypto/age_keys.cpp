// age's native recipient types (C2SP age.md "The X25519 recipient type", "The scrypt recipient
// type"), their Bech32 encodings, identity and recipients files, and the file key's wrapping.
#include "crypto/age_format.hpp"
#include "crypto/bech32.hpp"
#include "crypto/primitives.hpp"

#include "vbackup/error.hpp"

#include <map>

namespace vbackup::crypto {
namespace {

constexpr std::string_view kX25519Info = "age-encryption.org/v1/X25519";
constexpr std::string_view kScryptLabel = "age-encryption.org/v1/scrypt";
const std::string kZeroNonce(12, '\0');

[[noreturn]] void bad(std::string_view what, const std::string& problem) {
  throw Error(ErrorCode::invalid, std::string(what) + ": " + problem);
}

// Lines of an identity or recipients file as age reads them (bufio.ScanLines: LF or CRLF).
template <typename F>
void for_each_key_line(std::string_view text, F&& f) {
  std::size_t pos = 0;
  for (int n = 1; pos < text.size(); ++n) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    f(line, n);
  }
}

}  // namespace

// ---- recipients and identities ------------------------------------------------------------------

AgeRecipient AgeRecipient::parse(std::string_view text, std::string_view what) {
  auto decoded = bech32::decode(text);
  if (!decoded) bad(what, "not a valid age recipient (bech32 \"age1…\")");
  if (decoded->hrp != "age") {
    throw Error(ErrorCode::unsupported, std::string(what) + ": recipient type \"" + decoded->hrp +
                                            "\" is not supported (only X25519 \"age1…\" keys)");
  }
  if (decoded->data.size() != 32) bad(what, "an age1 X25519 recipient holds 32 bytes");
  return AgeRecipient{Type::x25519, decoded->data, 18};
}

AgeRecipient AgeRecipient::passphrase(std::string passphrase, int log_n) {
  if (passphrase.empty()) throw Error(ErrorCode::invalid, "age: empty passphrase");
  if (log_n < 1 || log_n > age::kMaxScryptLogN) throw Error(ErrorCode::invalid, "age: scrypt work factor out of range");
  return AgeRecipient{Type::scrypt, std::move(passphrase), log_n};
}

std::string AgeRecipient::to_string() const {
  if (type != Type::x25519) throw Error(ErrorCode::invalid, "age: a passphrase has no recipient string");
  return bech32::encode("age", key);
}

std::string AgeRecipient::fingerprint() const {
  if (type == Type::scrypt) return "scrypt";
  return "x25519:" + to_hex(sha256(key).substr(0, 8));
}

AgeIdentity AgeIdentity::generate() { return AgeIdentity{AgeRecipient::Type::x25519, random_bytes(32)}; }

AgeIdentity AgeIdentity::parse(std::string_view text, std::string_view what) {
  auto decoded = bech32::decode(text);
  if (!decoded) bad(what, "not a valid age identity (bech32 \"AGE-SECRET-KEY-1…\")");
  if (decoded->hrp != "age-secret-key-") {
    throw Error(ErrorCode::unsupported, std::string(what) + ": identity type \"" + decoded->hrp +
                                            "\" is not supported (only X25519 \"AGE-SECRET-KEY-1…\" keys)");
  }
  // age writes and accepts identities in upper case only.
  if (text.substr(0, 15) != "AGE-SECRET-KEY-") bad(what, "an age identity is written in upper case");
  if (decoded->data.size() != 32) bad(what, "an AGE-SECRET-KEY-1 identity holds 32 bytes");
  return AgeIdentity{AgeRecipient::Type::x25519, decoded->data};
}

AgeIdentity AgeIdentity::passphrase(std::string passphrase) {
  if (passphrase.empty()) throw Error(ErrorCode::invalid, "age: empty passphrase");
  return AgeIdentity{AgeRecipient::Type::scrypt, std::move(passphrase)};
}

std::string AgeIdentity::to_string() const {
  if (type != AgeRecipient::Type::x25519) throw Error(ErrorCode::invalid, "age: a passphrase has no identity string");
  return bech32::encode("AGE-SECRET-KEY-", key, true);
}

AgeRecipient AgeIdentity::recipient() const {
  if (type != AgeRecipient::Type::x25519) throw Error(ErrorCode::invalid, "age: a passphrase has no recipient");
  return AgeRecipient{AgeRecipient::Type::x25519, x25519_base(key), 18};
}

std::vector<AgeIdentity> parse_age_identities(std::string_view text, std::string_view what) {
  std::vector<AgeIdentity> out;
  for_each_key_line(text, [&](std::string_view line, int n) {
    std::string where = std::string(what) + ": line " + std::to_string(n);
    if (line.starts_with("AGE-PLUGIN-")) throw Error(ErrorCode::unsupported, where + ": age plugin identities are not supported");
    if (line.starts_with("-----BEGIN")) throw Error(ErrorCode::unsupported, where + ": SSH and PEM keys are not supported as age identities");
    out.push_back(AgeIdentity::parse(line, where));
  });
  if (out.empty()) bad(what, "no identity found");
  return out;
}

std::vector<AgeIdentity> read_age_identity_file(const std::filesystem::path& path) {
  auto in = open_file(path);
  return parse_age_identities(read_all(*in, 1 << 20, path.string()), path.string());
}

std::vector<AgeRecipient> parse_age_recipients(std::string_view text, std::string_view what) {
  std::vector<AgeRecipient> out;
  for_each_key_line(text, [&](std::string_view line, int n) {
    out.push_back(AgeRecipient::parse(line, std::string(what) + ": line " + std::to_string(n)));
  });
  if (out.empty()) bad(what, "no recipient found");
  return out;
}

// ---- wrapping the file key ------------------------------------------------------------------------

namespace age {

Stanza wrap(const AgeRecipient& recipient, std::string_view file_key) {
  if (recipient.type == AgeRecipient::Type::scrypt) {
    std::string salt = random_bytes(16);
    std::string key = scrypt(recipient.key, std::string(kScryptLabel) + salt, recipient.scrypt_log_n);
    return Stanza{{"scrypt", base64_raw_encode(salt), std::to_string(recipient.scrypt_log_n)},
                  chacha20poly1305_seal(key, kZeroNonce, file_key)};
  }
  std::string ephemeral = random_bytes(32);
  std::string share = x25519_base(ephemeral);
  std::string shared = x25519(ephemeral, recipient.key);
  std::string key = hkdf_sha256(shared, share + recipient.key, kX25519Info);
  return Stanza{{"X25519", base64_raw_encode(share)}, chacha20poly1305_seal(key, kZeroNonce, file_key)};
}

namespace {

// The rules every identity implementation MUST check (age.md), applied before any decryption.
void check_body(const Stanza& s, std::string_view what, std::size_t index) {
  // 16-byte file key + 16-byte tag, checked first against partitioning oracle attacks.
  if (s.body.size() != kFileKeySize + 16) {
    bad(what, "age header: " + s.args[0] + " stanza " + std::to_string(index + 1) + ": body is not 32 bytes");
  }
}

std::optional<std::string> unwrap_x25519(const AgeIdentity& id, const std::string& recipient, const Stanza& s,
                                         std::string_view what, std::size_t index) {
  std::string where = "age header: X25519 stanza " + std::to_string(index + 1);
  if (s.args.size() != 2) bad(what, where + ": expected 2 arguments");
  auto share = base64_raw_decode(s.args[1]);
  if (!share || share->size() != 32) bad(what, where + ": share is not canonical base64 of 32 bytes");
  check_body(s, what, index);
  std::string shared = x25519(id.key, *share);
  if (shared == std::string(32, '\0')) bad(what, where + ": share is a low-order point (all-zero shared secret)");
  std::string key = hkdf_sha256(shared, *share + recipient, kX25519Info);
  return chacha20poly1305_open(key, kZeroNonce, s.body);
}

std::optional<std::string> unwrap_scrypt(const AgeIdentity& id, const Stanza& s, std::string_view what) {
  std::string where = "age header: scrypt stanza";
  if (s.args.size() != 3) bad(what, where + ": expected 3 arguments");
  auto salt = base64_raw_decode(s.args[1]);
  if (!salt || salt->size() != 16) bad(what, where + ": salt is not canonical base64 of 16 bytes");
  const std::string& factor = s.args[2];
  // ^[1-9][0-9]*$, and at most age's limit.
  bool digits = !factor.empty() && factor.size() <= 2 && factor[0] >= '1' && factor[0] <= '9';
  for (char c : factor) digits = digits && c >= '0' && c <= '9';
  if (!digits) bad(what, where + ": work factor is not a decimal number without leading zeros");
  int log_n = std::stoi(factor);
  if (log_n > kMaxScryptLogN) {
    bad(what, where + ": work factor 2^" + factor + " is above the limit 2^" + std::to_string(kMaxScryptLogN));
  }
  check_body(s, what, 0);
  std::string key = scrypt(id.key, std::string(kScryptLabel) + *salt, log_n);
  return chacha20poly1305_open(key, kZeroNonce, s.body);
}

}  // namespace

std::string unwrap(const Header& header, const std::vector<AgeIdentity>& identities, std::string_view what,
                   const std::vector<std::string>& expected) {
  const auto& stanzas = header.stanzas;
  for (const Stanza& s : stanzas) {
    // "An scrypt stanza, if present, MUST be the only stanza in the header."
    if (s.args[0] == "scrypt" && stanzas.size() != 1) bad(what, "age header: an scrypt stanza must be the only stanza");
  }
  for (const AgeIdentity& id : identities) {
    std::string recipient = id.type == AgeRecipient::Type::x25519 ? x25519_base(id.key) : std::string();
    for (std::size_t i = 0; i < stanzas.size(); ++i) {
      std::optional<std::string> key;
      if (id.type == AgeRecipient::Type::x25519 && stanzas[i].args[0] == "X25519") {
        key = unwrap_x25519(id, recipient, stanzas[i], what, i);
      } else if (id.type == AgeRecipient::Type::scrypt && stanzas[i].args[0] == "scrypt") {
        key = unwrap_scrypt(id, stanzas[i], what);
      }
      if (key) return *key;  // 16 bytes: check_body fixed the length
    }
  }
  // No match: say what the file is for and what was tried, so the user finds the missing key.
  std::map<std::string, int> types;
  for (const Stanza& s : stanzas) ++types[s.args[0]];
  std::string message = std::string(what) + ": no identity matches the age header: it is encrypted to ";
  bool first = true;
  for (const auto& [type, count] : types) {
    message += (first ? "" : ", ") + std::to_string(count) + " " + type + " recipient" + (count > 1 ? "s" : "");
    first = false;
  }
  for (std::size_t i = 0; i < expected.size(); ++i) message += (i ? ", " : " (recorded: ") + expected[i];
  if (!expected.empty()) message += ")";
  message += "; tried ";
  if (identities.empty()) message += "no identity";
  for (std::size_t i = 0; i < identities.size(); ++i) {
    const AgeIdentity& id = identities[i];
    message += (i ? ", " : "") + (id.type == AgeRecipient::Type::x25519 ? id.recipient().fingerprint() : "a passphrase");
  }
  throw Error(ErrorCode::not_found, message);
}

std::string open_header(const ReadHeader& read, const std::vector<AgeIdentity>& identities, std::string_view what,
                        const std::vector<std::string>& expected) {
  std::string file_key = unwrap(read.header, identities, what, expected);
  if (!constant_time_equal(header_mac(file_key, std::string_view(read.text).substr(0, read.header.mac_input)),
                           read.header.mac)) {
    bad(what, "age header MAC does not match (the header was altered)");
  }
  return file_key;
}

}  // namespace age
}  // namespace vbackup::crypto
