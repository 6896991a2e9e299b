// The age v1 header (C2SP age.md "Header"): stanzas, the header MAC, and the file key wrapped and
// unwrapped for X25519 and scrypt recipients. Internal header, shared by the stream adapters, rekey
// and the age_header fuzz target.
#pragma once

#include "vbackup/crypto.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::crypto::age {

inline constexpr std::string_view kVersionLine = "age-encryption.org/v1";
inline constexpr std::size_t kFileKeySize = 16;
inline constexpr std::size_t kMaxHeaderSize = 1 << 20;  // far above any real header (≈100 B a stanza)
inline constexpr int kMaxScryptLogN = 22;               // age's own limit (CCTV scrypt_work_factor_23)

struct Stanza {
  std::vector<std::string> args;  // args[0] is the type ("X25519", "scrypt", or another's)
  std::string body;               // decoded
};

struct Header {
  std::vector<Stanza> stanzas;
  std::string mac;        // 32 bytes
  std::size_t mac_input;  // length of the header text the MAC covers (up to and including "---")
  std::size_t size;       // length of the whole header text, through the MAC line's LF
};

// Parses the header at the start of `text`. nullopt: `text` ends before the header does and more
// may come (eof false). Throws Error(invalid) "<what>: age header: …" on anything the ABNF refuses.
std::optional<Header> parse_header(std::string_view text, bool eof, std::string_view what);

// Reads the header from `in`: returns it with its text, and `rest`, the bytes read past it.
struct ReadHeader {
  Header header;
  std::string text;
  std::string rest;
};
ReadHeader read_header(InputStream& in, std::string_view what);

// The header text for `stanzas`, MAC line included, for `file_key`.
std::string format_header(const std::vector<Stanza>& stanzas, std::string_view file_key);
std::string header_mac(std::string_view file_key, std::string_view mac_input);

// One stanza wrapping `file_key` for `recipient`.
Stanza wrap(const AgeRecipient& recipient, std::string_view file_key);
// The file key the identities unwrap from the header's stanzas. A stanza of a known type that breaks
// its rules, or an scrypt stanza beside another, throws Error(invalid); no match throws
// Error(not_found) naming the stanza types, the identities tried and the `expected` fingerprints.
std::string unwrap(const Header& header, const std::vector<AgeIdentity>& identities, std::string_view what,
                   const std::vector<std::string>& expected = {});
// unwrap, then the MAC checked: Error(invalid) "<what>: age header MAC does not match …".
std::string open_header(const ReadHeader& read, const std::vector<AgeIdentity>& identities, std::string_view what,
                        const std::vector<std::string>& expected = {});

}  // namespace vbackup::crypto::age
