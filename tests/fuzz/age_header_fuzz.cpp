// libFuzzer target for the age header parser and reader (C2SP age.md; src/crypto). Invariants beyond
// "no crash": only vbackup::Error escapes; a header that parses is canonical (written again from its
// stanzas it is the same text up to the MAC); a whole input decrypts or fails with Error, with the
// CCTV vectors' X25519 identity, so seeds from tests/data/age reach the STREAM payload. The input is
// also read as an age identity file and recipients file: keys that parse write back to themselves.
#include "crypto/age_format.hpp"
#include "vbackup/crypto.hpp"
#include "vbackup/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace vbackup;
using namespace vbackup::crypto;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const AgeIdentity identity =
      AgeIdentity::parse("AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0", "fuzz");
  try {
    auto header = age::parse_header(text, true, "fuzz");
    check(header.has_value() && header->size <= size && header->mac_input < header->size);
    std::string again = age::format_header(header->stanzas, std::string(16, 'k'));
    check(again.substr(0, header->mac_input) == text.substr(0, header->mac_input));
  } catch (const Error&) {
  }
  try {
    StringInputStream in{std::string(text)};
    AgeDecryptor dec(in, {identity}, "fuzz");
    char buf[4096];
    while (dec.read(buf, sizeof buf) > 0) {
    }
  } catch (const Error&) {
  }
  try {
    for (const auto& id : parse_age_identities(text, "fuzz")) check(AgeIdentity::parse(id.to_string(), "again").key == id.key);
  } catch (const Error&) {
  }
  try {
    for (const auto& r : parse_age_recipients(text, "fuzz")) check(AgeRecipient::parse(r.to_string(), "again").key == r.key);
  } catch (const Error&) {
  }
  return 0;
}
