// SSH signatures (PROTOCOL.sshsig) against Debian's ssh-keygen (openssh-client), both ways: our
// signatures are byte-identical to `ssh-keygen -Y sign` (Ed25519 is deterministic) and pass
// `ssh-keygen -Y verify`; theirs pass ssh_verify; the allowed signers rules refuse what they refuse.
#include "test_helpers.hpp"
#include "vbackup/crypto.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
using namespace vbackup::crypto;
namespace t = vbackup::testing;

namespace {

std::string sh_quote(const std::string& s) { return "'" + s + "'"; }

struct Fixture {
  t::TempDir dir{"sshsig"};
  SshSigningKey key;
  std::string message = "velero-backup.json checksums: " + t::random_bytes(1000, 5);
  std::filesystem::path message_path;

  Fixture() {
    auto r = t::run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "backup signer", "-f", (dir / "key").string()});
    INFO(r.output);
    REQUIRE(r.status == 0);
    key = SshSigningKey::parse(t::read_file(dir / "key"), "key");
    message_path = dir.write("message", message);
  }

  // ssh-keygen -Y verify with the message on stdin; its exit status.
  int keygen_verify(const std::string& signature, const std::string& allowed, const std::string& principal,
                    const std::string& ns) {
    auto sig = dir.write("check.sig", signature);
    auto signers = dir.write("allowed_signers", allowed);
    auto r = t::run({"sh", "-c", "ssh-keygen -Y verify -f " + sh_quote(signers.string()) + " -I " + sh_quote(principal) +
                                     " -n " + sh_quote(ns) + " -s " + sh_quote(sig.string()) + " < " +
                                     sh_quote(message_path.string())});
    return r.status;
  }
};

}  // namespace

TEST_CASE("sshsig: the key file ssh-keygen writes is read; its public line is ssh-keygen's") {
  Fixture f;
  CHECK(f.key.comment == "backup signer");
  CHECK(f.key.public_line() + "\n" == t::read_file(f.dir / "key.pub"));
}

TEST_CASE("sshsig: our signature is ssh-keygen -Y sign's, byte for byte, and ssh-keygen -Y verify accepts it") {
  Fixture f;
  std::string ours = ssh_sign(f.key, f.message, "vbackup.io/backup");
  auto r = t::run({"ssh-keygen", "-Y", "sign", "-f", (f.dir / "key").string(), "-n", "vbackup.io/backup",
                   f.message_path.string()});
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(ours == t::read_file(f.dir / "message.sig"));
  std::string allowed = "backup@example.com " + f.key.public_line() + "\n";
  CHECK(f.keygen_verify(ours, allowed, "backup@example.com", "vbackup.io/backup") == 0);
  // And theirs passes ours.
  CHECK(t::error_of([&] {
          ssh_verify(t::read_file(f.dir / "message.sig"), f.message, "vbackup.io/backup", "backup@example.com", allowed, "sig");
        }) == "");
}

TEST_CASE("sshsig: refusals agree with ssh-keygen: altered content, namespace, principal, options") {
  Fixture f;
  std::string sig = ssh_sign(f.key, f.message, "vbackup.io/backup");
  std::string line = f.key.public_line();
  struct Case {
    const char* name;
    std::string allowed, principal, ns;
    bool valid;
    std::string message;  // ours, "" when valid
  };
  std::string fp = "key SHA256:";
  const Case cases[] = {
      {"listed", "backup@example.com " + line + "\n", "backup@example.com", "vbackup.io/backup", true, ""},
      {"comments, blank lines, wildcard", "# signers\n\n*@example.com " + line + "\n", "backup@example.com", "vbackup.io/backup", true, ""},
      {"principal list", "a@x,backup@example.com " + line + "\n", "backup@example.com", "vbackup.io/backup", true, ""},
      {"'?' and a '*' that must backtrack", "b?ck*@*ex*.com " + line + "\n", "backup@example.com", "vbackup.io/backup", true, ""},
      {"a '*' pattern that does not match", "b*up@*.org " + line + "\n", "backup@example.com", "vbackup.io/backup", false, "not an allowed signer"},
      {"namespaces option allows", "backup@example.com namespaces=\"git,vbackup.io/*\" " + line + "\n", "backup@example.com", "vbackup.io/backup", true, ""},
      {"valid-after in the past", "backup@example.com valid-after=\"20200101\" " + line + "\n", "backup@example.com", "vbackup.io/backup", true, ""},
      {"other principal", "ops@example.com " + line + "\n", "backup@example.com", "vbackup.io/backup", false, "not an allowed signer"},
      {"negated principal", "*@example.com,!backup@example.com " + line + "\n", "backup@example.com", "vbackup.io/backup", false, "not an allowed signer"},
      {"namespaces option refuses", "backup@example.com namespaces=\"git\" " + line + "\n", "backup@example.com", "vbackup.io/backup", false, "not an allowed signer"},
      {"expired", "backup@example.com valid-before=\"20200101Z\" " + line + "\n", "backup@example.com", "vbackup.io/backup", false, "not an allowed signer"},
      {"other key", "backup@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBgnvTmYN9ZLo35scjyZWFQVOxSg3LOGJMPKGh5y3HKt\n", "backup@example.com", "vbackup.io/backup", false, "not an allowed signer"},
      {"wrong namespace", "backup@example.com " + line + "\n", "backup@example.com", "file", false,
       "sig: SSH signature: made for namespace \"vbackup.io/backup\", expected \"file\""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK((f.keygen_verify(sig, c.allowed, c.principal, c.ns) == 0) == c.valid);
    std::string message = t::error_of([&] { ssh_verify(sig, f.message, c.ns, c.principal, c.allowed, "sig"); });
    if (c.valid) CHECK(message == "");
    else CHECK(message.find(c.message) != std::string::npos);
  }
  // OpenSSH's recursive match_pattern is exponential on many '*' (the sshsig fuzz target timed out on
  // one): ours answers such a pattern at once (not asked of ssh-keygen, which would take hours).
  std::string many_stars;
  for (int i = 0; i < 40; ++i) many_stars += "*a";
  std::string principal(80, 'a');
  CHECK(t::error_of([&] { ssh_verify(sig, f.message, "vbackup.io/backup", principal, many_stars + "*b " + line + "\n", "sig"); })
            .find("not an allowed signer") != std::string::npos);
  CHECK(t::error_of([&] { ssh_verify(sig, f.message, "vbackup.io/backup", principal, many_stars + "* " + line + "\n", "sig"); }) == "");
  std::string allowed = "backup@example.com " + line + "\n";
  // Altered content: a byte of the message, then a byte of the signature.
  std::string altered = f.message;
  altered[10] ^= 1;
  CHECK(t::error_of([&] { ssh_verify(sig, altered, "vbackup.io/backup", "backup@example.com", allowed, "sig"); })
            .find("sig: SSH signature: not valid for this content (SHA256:") == 0);
  std::string bad_sig = sig;
  bad_sig[bad_sig.size() - 40] = bad_sig[bad_sig.size() - 40] == 'A' ? 'B' : 'A';
  CHECK(f.keygen_verify(bad_sig, allowed, "backup@example.com", "vbackup.io/backup") != 0);
  CHECK(t::error_of([&] { ssh_verify(bad_sig, f.message, "vbackup.io/backup", "backup@example.com", allowed, "sig"); }) != "");
  CHECK(t::error_of([&] { ssh_verify("hello", f.message, "n", "p", allowed, "sig"); }) ==
        "sig: not an SSH signature (no BEGIN SSH SIGNATURE line)");
  CHECK(t::error_of([&] { ssh_verify(sig, f.message, "vbackup.io/backup", "backup@example.com",
                                      "backup@example.com bogus=\"1\" " + line + "\n", "sig"); }) ==
        "sig: allowed signers line 1: unknown option \"bogus=\"1\"\"");
  CHECK(t::error_of([&] { ssh_sign(f.key, "m", ""); }) == "SSH signature: the namespace must not be empty");
}

TEST_CASE("sshsig: keys we cannot use are refused with the reason") {
  t::TempDir dir("sshsig");
  REQUIRE(t::run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", (dir / "enc").string()}).status == 0);
  ErrorCode code{};
  CHECK(t::error_of([&] { SshSigningKey::parse(t::read_file(dir / "enc"), "enc"); }, &code) ==
        "enc: encrypted OpenSSH private keys are not supported");
  CHECK(code == ErrorCode::unsupported);
  REQUIRE(t::run({"ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", (dir / "ecdsa").string()}).status == 0);
  CHECK(t::error_of([&] { SshSigningKey::parse(t::read_file(dir / "ecdsa"), "ecdsa"); }) ==
        "ecdsa: only ssh-ed25519 keys are supported");
  CHECK(t::error_of([&] { SshSigningKey::parse("ssh-ed25519 AAAA", "pub"); }) ==
        "pub: not an OpenSSH private key (ssh-keygen -t ed25519)");
}
