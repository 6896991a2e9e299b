// SSH signatures (openssh-portable PROTOCOL.sshsig) with Ed25519 keys: what `ssh-keygen -Y sign`
// writes and `ssh-keygen -Y verify` checks against an allowed signers file (ssh-keygen(1) "ALLOWED
// SIGNERS"). Keys come from unencrypted OpenSSH private key files (PROTOCOL.key).
#include "crypto/primitives.hpp"

#include "core/encoding.hpp"
#include "vbackup/crypto.hpp"
#include "vbackup/error.hpp"

#include <cstdint>
#include <ctime>
#include <optional>

namespace vbackup::crypto {
namespace {

constexpr std::string_view kMagic = "SSHSIG";
constexpr std::string_view kBegin = "-----BEGIN SSH SIGNATURE-----";
constexpr std::string_view kEnd = "-----END SSH SIGNATURE-----";
constexpr std::string_view kKeyType = "ssh-ed25519";

[[noreturn]] void bad(std::string_view what, const std::string& problem) {
  throw Error(ErrorCode::invalid, std::string(what) + ": " + problem);
}

// RFC 4251 §5 encodings.
void put_u32(std::string& out, std::uint32_t v) {
  for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void put_string(std::string& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

struct Reader {
  std::string_view data;
  std::string_view what;
  std::string_view context;
  [[noreturn]] void truncated() const { bad(what, std::string(context) + ": truncated"); }
  std::uint32_t u32() {
    if (data.size() < 4) truncated();
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(data[i]);
    data.remove_prefix(4);
    return v;
  }
  std::string_view string() {
    std::uint32_t n = u32();
    if (data.size() < n) truncated();
    std::string_view s = data.substr(0, n);
    data.remove_prefix(n);
    return s;
  }
  std::string_view raw(std::size_t n) {
    if (data.size() < n) truncated();
    std::string_view s = data.substr(0, n);
    data.remove_prefix(n);
    return s;
  }
};

std::string public_blob(std::string_view public_key) {
  std::string blob;
  put_string(blob, kKeyType);
  put_string(blob, public_key);
  return blob;
}

// The 32-byte key of an ssh-ed25519 public key blob; nullopt for another key type.
std::optional<std::string> parse_public_blob(std::string_view blob, std::string_view what) {
  Reader r{blob, what, "public key"};
  if (r.string() != kKeyType) return std::nullopt;
  std::string_view key = r.string();
  if (key.size() != 32 || !r.data.empty()) bad(what, "public key: malformed ssh-ed25519 key");
  return std::string(key);
}

// "SHA256:…" as ssh-keygen -l prints it.
std::string key_fingerprint(std::string_view public_key) {
  return "SHA256:" + base64_raw_encode(sha256(public_blob(public_key)));
}

std::string signed_data(std::string_view ns, std::string_view hash_algorithm, std::string_view message) {
  std::string out(kMagic);
  put_string(out, ns);
  put_string(out, "");  // reserved
  put_string(out, hash_algorithm);
  put_string(out, hash_algorithm == "sha256" ? sha256(message) : sha512(message));
  return out;
}

// OpenSSH's match_pattern: '*' and '?' wildcards, with the same answers. OpenSSH recurses at every
// '*', which is exponential on patterns like "*a*a*a*…b" (found by the sshsig fuzz target); this
// is the iterative form: on a mismatch, the last '*' takes one more character. O(|s|·|p|), no
// recursion.
bool match_pattern(std::string_view s, std::string_view p) {
  std::size_t si = 0, pi = 0;
  std::size_t star = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == s[si]))) {
      ++si;
      ++pi;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      star_s = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++star_s;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

// OpenSSH's match_pattern_list: comma-separated patterns, '!' negates; a negated match wins.
bool match_pattern_list(std::string_view s, std::string_view list) {
  bool positive = false;
  while (true) {
    std::size_t comma = list.find(',');
    std::string_view sub = list.substr(0, comma);
    bool negated = !sub.empty() && sub[0] == '!';
    if (negated) sub.remove_prefix(1);
    if (match_pattern(s, sub)) {
      if (negated) return false;
      positive = true;
    }
    if (comma == std::string_view::npos) return positive;
    list.remove_prefix(comma + 1);
  }
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

// The next whitespace-delimited token; quotes (options) keep their spaces.
std::string_view next_token(std::string_view& line) {
  while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
  std::size_t i = 0;
  bool quoted = false;
  for (; i < line.size() && (quoted || !is_space(line[i])); ++i) {
    if (line[i] == '"') quoted = !quoted;
  }
  std::string_view token = line.substr(0, i);
  line.remove_prefix(i);
  return token;
}

// ssh-keygen's YYYYMMDD[HHMM[SS]][Z]: UTC with Z, else local time.
std::optional<std::time_t> parse_time(std::string_view s) {
  bool utc = !s.empty() && (s.back() == 'Z' || s.back() == 'z');
  if (utc) s.remove_suffix(1);
  if (s.size() != 8 && s.size() != 12 && s.size() != 14) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t n) { return std::stoi(std::string(s.substr(pos, n))); };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  if (s.size() >= 12) tm.tm_hour = num(8, 2), tm.tm_min = num(10, 2);
  if (s.size() == 14) tm.tm_sec = num(12, 2);
  tm.tm_isdst = -1;
  std::time_t t = utc ? timegm(&tm) : mktime(&tm);
  if (t <= 0) return std::nullopt;
  return t;
}

struct SignerOptions {
  bool cert_authority = false;
  std::optional<std::string> namespaces;
  std::optional<std::time_t> valid_after, valid_before;
};

SignerOptions parse_options(std::string_view opts, const std::string& where) {
  SignerOptions o;
  while (!opts.empty()) {
    std::size_t end = 0;
    bool quoted = false;
    for (; end < opts.size() && (quoted || opts[end] != ','); ++end) {
      if (opts[end] == '"') quoted = !quoted;
    }
    std::string_view opt = opts.substr(0, end);
    opts.remove_prefix(std::min(end + 1, opts.size()));
    auto value = [&](std::string_view name) -> std::optional<std::string> {
      if (opt.size() < name.size() + 3 || opt.substr(0, name.size() + 2) != std::string(name) + "=\"" || opt.back() != '"') {
        return std::nullopt;
      }
      return std::string(opt.substr(name.size() + 2, opt.size() - name.size() - 3));
    };
    if (opt == "cert-authority") {
      o.cert_authority = true;
    } else if (auto ns = value("namespaces")) {
      o.namespaces = *ns;
    } else if (auto after = value("valid-after")) {
      if (!(o.valid_after = parse_time(*after))) bad(where, "invalid \"valid-after\" time");
    } else if (auto before = value("valid-before")) {
      if (!(o.valid_before = parse_time(*before))) bad(where, "invalid \"valid-before\" time");
    } else {
      bad(where, "unknown option \"" + std::string(opt) + "\"");
    }
  }
  return o;
}

}  // namespace

SshSigningKey SshSigningKey::parse(std::string_view text, std::string_view what) {
  constexpr std::string_view begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
  constexpr std::string_view end = "-----END OPENSSH PRIVATE KEY-----";
  std::size_t b = text.find(begin), e = text.find(end);
  if (b == std::string_view::npos || e == std::string_view::npos || e < b) {
    bad(what, "not an OpenSSH private key (ssh-keygen -t ed25519)");
  }
  auto blob = base64_decode(text.substr(b + begin.size(), e - b - begin.size()));
  if (!blob) bad(what, "OpenSSH private key: invalid base64");
  Reader r{*blob, what, "OpenSSH private key"};
  constexpr std::string_view kAuthMagic{"openssh-key-v1\0", 15};
  if (r.raw(kAuthMagic.size()) != kAuthMagic) bad(what, "OpenSSH private key: wrong magic");
  std::string_view cipher = r.string(), kdf = r.string();
  r.string();  // kdf options
  if (cipher != "none" || kdf != "none") {
    throw Error(ErrorCode::unsupported, std::string(what) + ": encrypted OpenSSH private keys are not supported");
  }
  if (r.u32() != 1) bad(what, "OpenSSH private key: expected exactly one key");
  auto public_key = parse_public_blob(r.string(), what);
  if (!public_key) throw Error(ErrorCode::unsupported, std::string(what) + ": only ssh-ed25519 keys are supported");
  Reader p{r.string(), what, "OpenSSH private key"};
  if (p.u32() != p.u32()) bad(what, "OpenSSH private key: check numbers differ");
  if (p.string() != kKeyType) bad(what, "OpenSSH private key: key type differs from the public key's");
  std::string_view pub = p.string(), secret = p.string();
  if (pub != *public_key || secret.size() != 64 || secret.substr(32) != pub) {
    bad(what, "OpenSSH private key: malformed ssh-ed25519 key");
  }
  SshSigningKey key{std::string(secret.substr(0, 32)), std::string(pub), std::string(p.string())};
  if (ed25519_public(key.seed) != key.public_key) bad(what, "OpenSSH private key: the public key does not match");
  return key;
}

std::string SshSigningKey::public_line() const {
  std::string line = std::string(kKeyType) + " " + base64_encode(public_blob(public_key));
  if (!comment.empty()) line += " " + comment;
  return line;
}

std::string ssh_sign(const SshSigningKey& key, std::string_view message, std::string_view ns) {
  if (ns.empty()) throw Error(ErrorCode::invalid, "SSH signature: the namespace must not be empty");
  std::string signature;
  put_string(signature, kKeyType);
  put_string(signature, ed25519_sign(key.seed, signed_data(ns, "sha512", message)));
  std::string blob(kMagic);
  put_u32(blob, 1);
  put_string(blob, public_blob(key.public_key));
  put_string(blob, ns);
  put_string(blob, "");  // reserved
  put_string(blob, "sha512");
  put_string(blob, signature);
  // Armored as ssh-keygen writes it: base64 wrapped at 70 columns.
  std::string b64 = base64_encode(blob), out = std::string(kBegin) + "\n";
  for (std::size_t i = 0; i < b64.size(); i += 70) out += b64.substr(i, 70) + "\n";
  return out + std::string(kEnd) + "\n";
}

void ssh_verify(std::string_view armored, std::string_view message, std::string_view ns, std::string_view principal,
                std::string_view allowed_signers, std::string_view what) {
  if (armored.substr(0, kBegin.size()) != kBegin) bad(what, "not an SSH signature (no BEGIN SSH SIGNATURE line)");
  std::string_view body = armored.substr(kBegin.size());
  if (body.starts_with("\r\n")) body.remove_prefix(2);
  else if (body.starts_with("\n")) body.remove_prefix(1);
  else bad(what, "SSH signature: no line end after the BEGIN line");
  std::size_t end = body.find("\n" + std::string(kEnd));
  if (end == std::string_view::npos) bad(what, "SSH signature: no END SSH SIGNATURE line");
  auto blob = base64_decode(body.substr(0, end));
  if (!blob) bad(what, "SSH signature: invalid base64");

  Reader r{*blob, what, "SSH signature"};
  if (r.raw(kMagic.size()) != kMagic) bad(what, "SSH signature: wrong magic");
  if (std::uint32_t version = r.u32(); version != 1) bad(what, "SSH signature: unsupported version " + std::to_string(version));
  auto public_key = parse_public_blob(r.string(), what);
  if (!public_key) throw Error(ErrorCode::unsupported, std::string(what) + ": SSH signature: only ssh-ed25519 keys are supported");
  std::string_view sig_ns = r.string();
  r.string();  // reserved: ignored (PROTOCOL.sshsig)
  std::string_view hash = r.string();
  Reader sig{r.string(), what, "SSH signature"};
  if (!r.data.empty()) bad(what, "SSH signature: trailing data");
  if (sig_ns != ns) bad(what, "SSH signature: made for namespace \"" + std::string(sig_ns) + "\", expected \"" + std::string(ns) + "\"");
  if (hash != "sha256" && hash != "sha512") bad(what, "SSH signature: unsupported hash algorithm \"" + std::string(hash) + "\"");
  if (sig.string() != kKeyType) bad(what, "SSH signature: signature type is not ssh-ed25519");
  std::string_view raw = sig.string();
  if (!ed25519_verify(*public_key, signed_data(ns, hash, message), raw)) {
    bad(what, "SSH signature: not valid for this content (" + key_fingerprint(*public_key) + ")");
  }

  // The signature holds; now its key must be allowed for the principal (ssh-keygen -Y verify).
  std::time_t now = std::time(nullptr);
  std::string_view rest = allowed_signers;
  for (int n = 1; !rest.empty(); ++n) {
    std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string where = std::string(what) + ": allowed signers line " + std::to_string(n);
    std::string_view principals = next_token(line);
    if (principals.empty() || principals[0] == '#') continue;
    if (!match_pattern_list(principal, principals)) continue;
    std::string_view token = next_token(line);
    SignerOptions options;
    if (!token.starts_with("ssh-") && !token.starts_with("ecdsa-") && !token.starts_with("sk-")) {
      options = parse_options(token, where);
      token = next_token(line);
    }
    std::string_view key_b64 = next_token(line);
    if (token.empty() || key_b64.empty()) bad(where, "missing key");
    if (token != kKeyType || options.cert_authority) continue;  // cannot be this Ed25519 key
    auto key_blob = base64_decode(key_b64);
    if (!key_blob) bad(where, "invalid key");
    auto listed = parse_public_blob(*key_blob, where);
    if (!listed || *listed != *public_key) continue;
    if (options.namespaces && !match_pattern_list(ns, *options.namespaces)) continue;
    if (options.valid_after && now < *options.valid_after) continue;
    if (options.valid_before && now > *options.valid_before) continue;
    return;
  }
  bad(what, "SSH signature: key " + key_fingerprint(*public_key) + " is not an allowed signer for \"" +
                std::string(principal) + "\" in namespace \"" + std::string(ns) + "\"");
}

}  // namespace vbackup::crypto
