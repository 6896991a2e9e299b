// age interoperability with Debian's age and age-keygen (package `age`, scripts/setup.sh): `age -d`
// reads what AgeEncryptor writes, AgeDecryptor reads what `age -e` writes, and keys cross both ways.
// (age reads passphrases only from a terminal, so scrypt is proved by the CCTV vectors in age_test.)
#include "crypto/primitives.hpp"
#include "test_helpers.hpp"
#include "vbackup/crypto.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
using namespace vbackup::crypto;
namespace t = vbackup::testing;

namespace {

std::string run_ok(const std::vector<std::string>& argv) {
  auto r = t::run(argv);
  INFO(r.output);
  REQUIRE(r.status == 0);
  return r.output;
}

void encrypt_file(const std::filesystem::path& out_path, std::string_view plain, const std::vector<AgeRecipient>& to) {
  StringOutputStream out;
  AgeEncryptor enc(out, to, out_path.string());
  enc.write(plain);
  enc.finish();
  std::FILE* f = std::fopen(out_path.c_str(), "wb");
  REQUIRE(f);
  std::fwrite(out.str().data(), 1, out.str().size(), f);
  std::fclose(f);
}

std::string decrypt_file(const std::filesystem::path& path, const std::vector<AgeIdentity>& ids) {
  auto in = open_file(path);
  AgeDecryptor dec(*in, ids, path.string());
  return read_all(dec, std::size_t(1) << 30, path.string());
}

}  // namespace

TEST_CASE("age interop: age -d reads our files, at the chunk boundaries and for several recipients") {
  t::TempDir dir("age-interop");
  // A key from age-keygen, read by us as an identity file (its comments included).
  run_ok({"age-keygen", "-o", (dir / "theirs.txt").string()});
  auto theirs = read_age_identity_file(dir / "theirs.txt");
  REQUIRE(theirs.size() == 1);
  auto ours = AgeIdentity::generate();
  dir.write("ours.txt", "# ours\n" + ours.to_string() + "\n");
  // age-keygen -y prints the recipient of an identity file: the same as ours.
  CHECK(run_ok({"age-keygen", "-y", (dir / "ours.txt").string()}) == ours.recipient().to_string() + "\n");
  CHECK(run_ok({"age-keygen", "-y", (dir / "theirs.txt").string()}) == theirs[0].recipient().to_string() + "\n");
  for (std::size_t size : {0, 1, 65535, 65536, 65537, 3 * 1024 * 1024}) {
    CAPTURE(size);
    std::string plain = t::random_bytes(size, size + 1);
    encrypt_file(dir / "f.age", plain, {theirs[0].recipient(), ours.recipient()});
    run_ok({"age", "-d", "-i", (dir / "theirs.txt").string(), "-o", (dir / "out1").string(), (dir / "f.age").string()});
    CHECK(t::read_file(dir / "out1") == plain);
    run_ok({"age", "-d", "-i", (dir / "ours.txt").string(), "-o", (dir / "out2").string(), (dir / "f.age").string()});
    CHECK(t::read_file(dir / "out2") == plain);
  }
}

TEST_CASE("age interop: we read age -e output (-r and -R), and age refuses what we altered") {
  t::TempDir dir("age-interop");
  auto ours = AgeIdentity::generate();
  auto other = AgeIdentity::generate();
  dir.write("recipients.txt", "# team\n" + ours.recipient().to_string() + "\n" + other.recipient().to_string() + "\n");
  for (std::size_t size : {0, 1, 65536, 65537, 2 * 1024 * 1024 + 5}) {
    CAPTURE(size);
    std::string plain = t::random_bytes(size, size + 7);
    auto in = dir.write("plain", plain);
    run_ok({"age", "-e", "-r", ours.recipient().to_string(), "-o", (dir / "a.age").string(), in.string()});
    CHECK(decrypt_file(dir / "a.age", {ours}) == plain);
    run_ok({"age", "-e", "-R", (dir / "recipients.txt").string(), "-o", (dir / "b.age").string(), in.string()});
    CHECK(decrypt_file(dir / "b.age", {other}) == plain);
  }
  // A bit flipped in our payload: age refuses it too.
  std::string plain = t::random_bytes(100000, 3);
  encrypt_file(dir / "c.age", plain, {ours.recipient()});
  std::string bytes = t::read_file(dir / "c.age");
  bytes[bytes.size() - 100] ^= 0x20;
  dir.write("c.age", bytes);
  dir.write("ours.txt", ours.to_string() + "\n");
  auto r = t::run({"age", "-d", "-i", (dir / "ours.txt").string(), "-o", (dir / "out").string(), (dir / "c.age").string()});
  CHECK(r.status != 0);
  CHECK(vbackup::testing::error_of([&] { decrypt_file(dir / "c.age", {ours}); }).find("chunk 1: authentication failed") !=
        std::string::npos);
}

TEST_CASE("age interop: a rekeyed file is read by age with the new key only") {
  t::TempDir dir("age-interop");
  auto old_id = AgeIdentity::generate(), new_id = AgeIdentity::generate();
  std::string plain = t::random_bytes(300000, 9);
  encrypt_file(dir / "f.age", plain, {old_id.recipient()});
  {
    auto in = open_file(dir / "f.age");
    StringOutputStream out;
    age_rekey(*in, out, {old_id}, {new_id.recipient()}, "f.age");
    dir.write("g.age", out.str());
  }
  dir.write("new.txt", new_id.to_string() + "\n");
  dir.write("old.txt", old_id.to_string() + "\n");
  run_ok({"age", "-d", "-i", (dir / "new.txt").string(), "-o", (dir / "out").string(), (dir / "g.age").string()});
  CHECK(t::read_file(dir / "out") == plain);
  CHECK(t::run({"age", "-d", "-i", (dir / "old.txt").string(), "-o", (dir / "out2").string(), (dir / "g.age").string()}).status != 0);
}
