// libFuzzer target for the SSH signature parsers (src/crypto/sshsig.cpp): the armored signature,
// the allowed signers file and the OpenSSH private key file. The input is cut at NUL bytes into
// signature, allowed signers, message; the whole input is also tried as a key file. Invariants
// beyond "no crash": only vbackup::Error escapes; a key that parses signs, and its signature
// verifies against an allowed signers line made of its public line.
#include "vbackup/crypto.hpp"
#include "vbackup/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace vbackup;
using namespace vbackup::crypto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string_view parts[3];
  std::string_view rest = text;
  for (auto& part : parts) {
    std::size_t nul = rest.find('\0');
    part = rest.substr(0, nul);
    rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
  }
  try {
    ssh_verify(parts[0], parts[2], "vbackup.io/backup", "backup@example.com", parts[1], "fuzz");
  } catch (const Error&) {
  }
  SshSigningKey key;
  try {
    key = SshSigningKey::parse(text, "fuzz");
  } catch (const Error&) {
    return 0;
  }
  // A key that parsed signs, and the signature verifies: an Error here escapes and fails the run.
  std::string sig = ssh_sign(key, "message", "n");
  ssh_verify(sig, "message", "n", "p", "p " + key.public_line() + "\n", "fuzz");
  return 0;
}
