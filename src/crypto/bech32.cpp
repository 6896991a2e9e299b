// Written from BIP-173 (https://github.com/bitcoin/bips/blob/master/bip-0173.mediawiki).
#include "crypto/bech32.hpp"

#include <cstdint>
#include <vector>

namespace vbackup::crypto::bech32 {
namespace {

constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
  static constexpr std::uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  std::uint32_t chk = 1;
  for (std::uint8_t v : values) {
    std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= gen[i];
    }
  }
  return chk;
}

std::vector<std::uint8_t> hrp_expand(std::string_view hrp) {
  std::vector<std::uint8_t> out;
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(c) & 31);
  return out;
}

// BIP-173's convertbits: regroups `from`-bit values into `to`-bit ones. Decoding (pad = false)
// refuses more than from-1 leftover bits or non-zero ones.
std::optional<std::vector<std::uint8_t>> convert_bits(const std::vector<std::uint8_t>& in, int from, int to, bool pad) {
  std::uint32_t acc = 0;
  int bits = 0;
  std::vector<std::uint8_t> out;
  const std::uint32_t maxv = (1u << to) - 1;
  for (std::uint8_t v : in) {
    if (v >> from) return std::nullopt;
    acc = ((acc << from) | v) & 0xffffff;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & maxv));
    }
  }
  if (pad) {
    if (bits) out.push_back(static_cast<std::uint8_t>((acc << (to - bits)) & maxv));
  } else if (bits >= from || ((acc << (to - bits)) & maxv)) {
    return std::nullopt;
  }
  return out;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

std::string encode(std::string_view hrp_in, std::string_view data, bool to_upper) {
  std::string hrp;
  for (char c : hrp_in) hrp.push_back(lower(c));
  auto five = *convert_bits(std::vector<std::uint8_t>(data.begin(), data.end()), 8, 5, true);
  auto values = hrp_expand(hrp);
  values.insert(values.end(), five.begin(), five.end());
  values.insert(values.end(), 6, 0);
  std::uint32_t mod = polymod(values) ^ 1;
  for (int i = 0; i < 6; ++i) five.push_back(static_cast<std::uint8_t>((mod >> (5 * (5 - i))) & 31));
  std::string out = hrp + "1";
  for (std::uint8_t v : five) out.push_back(kCharset[v]);
  if (to_upper) {
    for (char& c : out) c = upper(c);
  }
  return out;
}

std::optional<Decoded> decode(std::string_view text, std::size_t max_length) {
  if (max_length && text.size() > max_length) return std::nullopt;
  bool has_lower = false, has_upper = false;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) return std::nullopt;
    has_lower |= c >= 'a' && c <= 'z';
    has_upper |= c >= 'A' && c <= 'Z';
  }
  if (has_lower && has_upper) return std::nullopt;
  std::size_t sep = text.rfind('1');
  if (sep == std::string_view::npos || sep == 0 || sep + 7 > text.size()) return std::nullopt;
  Decoded out;
  for (char c : text.substr(0, sep)) out.hrp.push_back(lower(c));
  std::vector<std::uint8_t> values;
  for (char c : text.substr(sep + 1)) {
    auto pos = kCharset.find(lower(c));
    if (pos == std::string_view::npos) return std::nullopt;
    values.push_back(static_cast<std::uint8_t>(pos));
  }
  auto check = hrp_expand(out.hrp);
  check.insert(check.end(), values.begin(), values.end());
  if (polymod(check) != 1) return std::nullopt;
  values.resize(values.size() - 6);
  auto eight = convert_bits(values, 5, 8, false);
  if (!eight) return std::nullopt;
  out.data.assign(eight->begin(), eight->end());
  return out;
}

}  // namespace vbackup::crypto::bech32
