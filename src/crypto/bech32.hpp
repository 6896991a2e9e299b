// Bech32 (BIP-173) as age uses it: no length limit on the data part, all upper or all lower case,
// checksum over the lower-case string. Internal header.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vbackup::crypto::bech32 {

struct Decoded {
  std::string hrp;   // lower case
  std::string data;  // 8-bit bytes (converted from the 5-bit groups)
};

// Encodes `data` (8-bit bytes) under `hrp`; upper case output if `upper`.
std::string encode(std::string_view hrp, std::string_view data, bool upper = false);
// nullopt for anything BIP-173 rejects (mixed case, characters, separator, checksum, padding).
// max_length: 90 for BIP-173's own limit, 0 for none (age).
std::optional<Decoded> decode(std::string_view text, std::size_t max_length = 0);

}  // namespace vbackup::crypto::bech32
