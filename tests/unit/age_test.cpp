// age v1 (C2SP age.md): Bech32 (BIP-173's vectors), keys, the CCTV age vectors (tests/data/age),
// round trips at the chunk boundaries, and every error the reader and writer report.
#include "crypto/age_format.hpp"
#include "crypto/bech32.hpp"
#include "crypto/primitives.hpp"
#include "test_helpers.hpp"
#include "vbackup/crypto.hpp"
#include "vbackup/error.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <map>

using namespace vbackup;
using namespace vbackup::crypto;
using vbackup::testing::error_of;

namespace {

std::string encrypt(std::string_view plain, const std::vector<AgeRecipient>& to, std::size_t piece = 7000) {
  StringOutputStream out;
  AgeEncryptor enc(out, to, "test.age");
  for (std::size_t i = 0; i < plain.size(); i += piece) enc.write(plain.substr(i, piece));
  enc.finish();
  return out.take();
}

std::string decrypt(std::string cipher, const std::vector<AgeIdentity>& ids, std::vector<std::string> expected = {}) {
  StringInputStream in(std::move(cipher));
  AgeDecryptor dec(in, ids, "test.age", std::move(expected));
  return read_all(dec, std::size_t(1) << 30, "test.age");
}

// A source that counts what was pulled from it.
struct CountingInput final : InputStream {
  explicit CountingInput(std::string d) : data(std::move(d)) {}
  std::size_t read(void* buffer, std::size_t size) override {
    std::size_t n = std::min(size, data.size() - pos);
    std::copy_n(data.data() + pos, n, static_cast<char*>(buffer));
    pos += n;
    return n;
  }
  std::string data;
  std::size_t pos = 0;
};

std::string inflate_all(std::string_view in) {
  z_stream z{};
  REQUIRE(inflateInit(&z) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[65536];
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&z);
  return out;
}

const std::string kPlain = vbackup::testing::random_bytes(5 * 1024 * 1024 + 3, 16);

}  // namespace

// ---- Bech32 -----------------------------------------------------------------------------------------

TEST_CASE("bech32: BIP-173's valid strings decode and encode back") {
  struct Case { const char* text; const char* hrp; const char* data_hex; };
  const Case cases[] = {
      {"A12UEL5L", "a", ""},
      {"a12uel5l", "a", ""},
      {"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
       "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio", ""},
      {"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", "abcdef", "00443214c74254b635cf84653a56d7c675be77df"},
      {"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j", "1",
       "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"},
      {"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "split",
       "c5f38b70305f519bf66d85fb6cf03058f3dde463ecd7918f2dc743918f2d"},
      {"?1ezyfcl", "?", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto d = bech32::decode(c.text, 90);
    REQUIRE(d);
    CHECK(d->hrp == c.hrp);
    CHECK(to_hex(d->data) == c.data_hex);
    std::string text = c.text;
    bool upper = std::any_of(text.begin(), text.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
    CHECK(bech32::encode(d->hrp, d->data, upper) == text);
  }
}

TEST_CASE("bech32: BIP-173's invalid strings are refused") {
  const std::string cases[] = {
      std::string("\x20") + "1nwldj5", std::string("\x7f") + "1axkwrx", std::string("\x80") + "1eym55h",
      "pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3", std::string("de1lg7wt") + "\xff",
      "A1G7SGD8", "10a06t8", "1qzzfhee",
      "a12uEL5L",  // mixed case
  };
  for (const auto& c : cases) {
    CAPTURE(c);
    CHECK_FALSE(bech32::decode(c));
  }
  // 91 characters: over BIP-173's limit, which age lifts.
  const char* long_one = "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx";
  CHECK_FALSE(bech32::decode(long_one, 90));
  CHECK(bech32::decode(long_one));
}

// ---- keys ---------------------------------------------------------------------------------------

TEST_CASE("age keys: the spec's X25519 identity gives the spec's recipient") {
  auto id = AgeIdentity::parse("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX", "spec");
  CHECK(id.recipient().to_string() == "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
  CHECK(id.to_string() == "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX");
  auto r = AgeRecipient::parse("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", "spec");
  CHECK(r.key == id.recipient().key);
  CHECK(r.fingerprint() == "x25519:" + to_hex(sha256(r.key).substr(0, 8)));
  CHECK(AgeRecipient::passphrase("pw").fingerprint() == "scrypt");
}

TEST_CASE("age keys: bad recipients and identities name the input") {
  ErrorCode code{};
  CHECK(error_of([] { AgeRecipient::parse("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwk", "--encrypt-to"); }, &code) ==
        "--encrypt-to: not a valid age recipient (bech32 \"age1…\")");
  CHECK(code == ErrorCode::invalid);
  CHECK(error_of([] { AgeRecipient::parse(bech32::encode("age1pq", std::string(32, 'x')), "r"); }, &code).find(
            "recipient type \"age1pq\" is not supported") != std::string::npos);
  CHECK(code == ErrorCode::unsupported);
  CHECK(error_of([] { AgeRecipient::parse(bech32::encode("age", std::string(31, 'x')), "r"); }) ==
        "r: an age1 X25519 recipient holds 32 bytes");
  // age writes identities in upper case; the lower-case form is refused.
  std::string lower = bech32::encode("age-secret-key-", std::string(32, 'k'));
  CHECK(error_of([&] { AgeIdentity::parse(lower, "id"); }) == "id: an age identity is written in upper case");
  CHECK(error_of([] { AgeRecipient::passphrase(""); }) == "age: empty passphrase");
}

TEST_CASE("age identity file: comments, blank lines, CRLF, several keys; errors name the line") {
  auto a = AgeIdentity::generate(), b = AgeIdentity::generate();
  std::string text = "# created: 2026-12-06T09:00:00Z\n# public key: " + a.recipient().to_string() + "\n" +
                     a.to_string() + "\n\n" + "# second\r\n" + b.to_string() + "\r\n";
  auto ids = parse_age_identities(text, "keys.txt");
  REQUIRE(ids.size() == 2);
  CHECK(ids[0].key == a.key);
  CHECK(ids[1].key == b.key);
  CHECK(error_of([&] { parse_age_identities("# only\n\n", "keys.txt"); }) == "keys.txt: no identity found");
  CHECK(error_of([&] { parse_age_identities("# x\n" + a.to_string() + "\nnot-a-key\n", "keys.txt"); }) ==
        "keys.txt: line 3: not a valid age identity (bech32 \"AGE-SECRET-KEY-1…\")");
  ErrorCode code{};
  CHECK(error_of([] { parse_age_identities("AGE-PLUGIN-YUBIKEY-1XYZ\n", "keys.txt"); }, &code) ==
        "keys.txt: line 1: age plugin identities are not supported");
  CHECK(code == ErrorCode::unsupported);
  CHECK(error_of([] { parse_age_identities("-----BEGIN OPENSSH PRIVATE KEY-----\n", "keys.txt"); }) ==
        "keys.txt: line 1: SSH and PEM keys are not supported as age identities");
  // A secret with one character wrong: the message names the line, never the key's text.
  std::string typo = a.to_string();
  typo[20] = typo[20] == 'Q' ? 'P' : 'Q';
  std::string message = error_of([&] { parse_age_identities(typo + "\n", "keys.txt"); });
  CHECK(message == "keys.txt: line 1: not a valid age identity (bech32 \"AGE-SECRET-KEY-1…\")");
  CHECK(message.find(typo.substr(15, 20)) == std::string::npos);
  // age-keygen's output, as a file.
  vbackup::testing::TempDir dir("age");
  auto path = dir.write("key.txt", text);
  CHECK(read_age_identity_file(path).size() == 2);
  auto recipients = parse_age_recipients("# team\n" + a.recipient().to_string() + "\n" + b.recipient().to_string() + "\n", "r.txt");
  CHECK(recipients.size() == 2);
  CHECK(error_of([] { parse_age_recipients("age1nope\n", "r.txt"); }) == "r.txt: line 1: not a valid age recipient (bech32 \"age1…\")");
}

// ---- the CCTV vectors -----------------------------------------------------------------------------

TEST_CASE("age: every CCTV age vector (tests/data/age) gives its expected result and payload") {
  auto dir = vbackup::testing::source_root() / "tests/data/age";
  int count = 0;
  std::map<std::string, int> by_expect;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name == "README.md") continue;
    CAPTURE(name);
    std::string file = vbackup::testing::read_file(entry.path());
    std::size_t blank = file.find("\n\n");
    REQUIRE(blank != std::string::npos);
    std::multimap<std::string, std::string> keys;
    std::string_view head(file.data(), blank + 1);
    for (std::size_t pos = 0; pos < head.size();) {
      std::size_t nl = head.find('\n', pos);
      std::string_view line = head.substr(pos, nl - pos);
      pos = nl + 1;
      std::size_t colon = line.find(": ");
      keys.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
    }
    std::string body = file.substr(blank + 2);
    if (keys.count("compressed")) body = inflate_all(body);
    std::vector<AgeIdentity> ids;
    for (auto [it, end] = keys.equal_range("identity"); it != end; ++it) ids.push_back(AgeIdentity::parse(it->second, name));
    for (auto [it, end] = keys.equal_range("passphrase"); it != end; ++it) ids.push_back(AgeIdentity::passphrase(it->second));
    std::string expect = keys.find("expect")->second;
    ++by_expect[expect];

    std::string result = "success", released;
    StringInputStream in(body);
    try {
      AgeDecryptor dec(in, ids, name);
      try {
        char buf[10000];
        while (std::size_t n = dec.read(buf, sizeof buf)) released.append(buf, n);
      } catch (const Error& e) {
        CHECK(std::string(e.what()).find(name + ": age payload: chunk ") == 0);
        result = "payload failure";
      }
    } catch (const Error& e) {
      std::string m = e.what();
      if (e.code() == ErrorCode::not_found) result = "no match";
      else if (m.find("age header MAC does not match") != std::string::npos) result = "HMAC failure";
      else if (m.find(": age header: ") != std::string::npos || m.find("truncated nonce") != std::string::npos)
        result = "header failure";
      else result = "other: " + m;
    }
    CHECK(result == expect);
    if (keys.count("payload")) CHECK(to_hex(sha256(released)) == keys.find("payload")->second);
    ++count;
  }
  CHECK(count == 92);  // CCTV's 143 age vectors less 33 armor_* and 18 hybrid*
  CHECK(by_expect["success"] > 10);
  CHECK(by_expect["payload failure"] > 10);
}

// ---- round trips --------------------------------------------------------------------------------

TEST_CASE("age: round trips at the chunk boundaries, X25519 (several recipients) and scrypt") {
  auto a = AgeIdentity::generate(), b = AgeIdentity::generate();
  for (std::size_t size : {std::size_t(0), std::size_t(1), std::size_t(65535), std::size_t(65536), std::size_t(65537),
                           std::size_t(5 * 1024 * 1024)}) {
    CAPTURE(size);
    std::string plain = kPlain.substr(0, size);
    std::string cipher = encrypt(plain, {a.recipient(), b.recipient()});
    // Header, 16-byte nonce, one 16-byte tag per chunk (an empty payload still has one chunk).
    std::size_t chunks = std::max<std::size_t>(1, (size + 65535) / 65536);
    auto header = age::read_header(*std::make_unique<StringInputStream>(cipher), "t");
    CHECK(cipher.size() == header.header.size + 16 + size + 16 * chunks);
    CHECK(decrypt(cipher, {a}) == plain);
    CHECK(decrypt(cipher, {AgeIdentity::generate(), b}) == plain);
  }
  std::string cipher = encrypt(kPlain.substr(0, 70000), {AgeRecipient::passphrase("correct horse", 10)});
  CHECK(decrypt(cipher, {AgeIdentity::passphrase("correct horse")}) == kPlain.substr(0, 70000));
  // One write of the whole input gives the same plaintext as many small ones.
  CHECK(decrypt(encrypt(kPlain, {a.recipient()}, kPlain.size()), {a}) == kPlain);
}

TEST_CASE("age: the reader holds one chunk: it pulls at most one chunk ahead of what it returns") {
  auto a = AgeIdentity::generate();
  CountingInput in(encrypt(kPlain, {a.recipient()}));
  AgeDecryptor dec(in, {a}, "big.age");
  char buf[100];
  REQUIRE(dec.read(buf, sizeof buf) == sizeof buf);
  CHECK(in.pos <= 4096 + 65536 + 16 + 1 + 4096);
}

TEST_CASE("age: a source that trickles (a few bytes a read) decrypts the same") {
  struct Trickle final : InputStream {
    explicit Trickle(std::string d) : data(std::move(d)) {}
    std::size_t read(void* buffer, std::size_t size) override {
      std::size_t n = std::min({size, data.size() - pos, std::size_t(1 + pos % 7)});
      std::copy_n(data.data() + pos, n, static_cast<char*>(buffer));
      pos += n;
      return n;
    }
    std::string data;
    std::size_t pos = 0;
  };
  auto a = AgeIdentity::generate();
  std::string plain = kPlain.substr(0, 140000);
  Trickle in(encrypt(plain, {a.recipient()}, 1));  // also written a byte at a time
  AgeDecryptor dec(in, {a}, "slow.age");
  CHECK(read_all(dec, 1 << 20, "slow.age") == plain);
}

TEST_CASE("age: the writer holds one chunk: every full chunk goes out once a byte follows it") {
  auto a = AgeIdentity::generate();
  StringOutputStream out;
  AgeEncryptor enc(out, {a.recipient()}, "w.age");
  std::size_t header = out.str().size();  // the header and the nonce, written at construction
  enc.write(kPlain.substr(0, 4 * 65536));
  CHECK(out.str().size() == header + 3 * (65536 + 16));  // the 4th full chunk may still be the last
  enc.write(kPlain.substr(4 * 65536, 37856));
  CHECK(out.str().size() == header + 4 * (65536 + 16));
  enc.finish();
  CHECK(out.str().size() == header + 4 * (65536 + 16) + 37856 + 16);
  CHECK(decrypt(out.str(), {a}) == kPlain.substr(0, 4 * 65536 + 37856));
}

// ---- errors -------------------------------------------------------------------------------------

TEST_CASE("age: a wrong identity names the stanza types, the identities tried and the recorded recipients") {
  auto a = AgeIdentity::generate(), b = AgeIdentity::generate(), c = AgeIdentity::generate();
  std::string cipher = encrypt("secret", {a.recipient(), b.recipient()});
  ErrorCode code{};
  std::string message = error_of([&] { decrypt(cipher, {c}, {a.recipient().fingerprint(), b.recipient().fingerprint()}); }, &code);
  CHECK(code == ErrorCode::not_found);
  CHECK(message == "test.age: no identity matches the age header: it is encrypted to 2 X25519 recipients (recorded: " +
                       a.recipient().fingerprint() + ", " + b.recipient().fingerprint() + "); tried " +
                       c.recipient().fingerprint());
  std::string scrypt_cipher = encrypt("secret", {AgeRecipient::passphrase("pw", 10)});
  CHECK(error_of([&] { decrypt(scrypt_cipher, {c, AgeIdentity::passphrase("wrong")}); }) ==
        "test.age: no identity matches the age header: it is encrypted to 1 scrypt recipient; tried " +
            c.recipient().fingerprint() + ", a passphrase");
}

TEST_CASE("age: truncated, reordered and altered payloads are errors naming the input and the chunk") {
  auto a = AgeIdentity::generate();
  std::string plain = kPlain.substr(0, 3 * 65536 + 100);  // chunks 0, 1, 2 full, 3 final
  std::string cipher = encrypt(plain, {a.recipient()});
  std::size_t start = age::read_header(*std::make_unique<StringInputStream>(cipher), "t").header.size + 16;
  const std::size_t enc = 65536 + 16;
  auto error_for = [&](std::string bytes) { return error_of([&] { decrypt(std::move(bytes), {a}); }); };

  CHECK(error_for(cipher.substr(0, start + 2 * enc)) ==
        "test.age: age payload: chunk 1: is not the final chunk, and the file ends after it (truncated)");
  CHECK(error_for(cipher.substr(0, start + 2 * enc + 500)) ==
        "test.age: age payload: chunk 2: authentication failed (altered, truncated or out of order)");
  CHECK(error_for(cipher.substr(0, start)) == "test.age: age payload: chunk 0: missing (the payload has no chunk)");
  CHECK(error_for(cipher.substr(0, start + 10)) == "test.age: age payload: chunk 0: truncated (shorter than its 16-byte tag)");
  CHECK(error_for(cipher.substr(0, start - 3)) == "test.age: age payload: truncated nonce (13 of 16 bytes)");
  std::string swapped = cipher;  // chunks 0 and 1 exchanged
  std::copy_n(cipher.data() + start + enc, enc, swapped.data() + start);
  std::copy_n(cipher.data() + start, enc, swapped.data() + start + enc);
  CHECK(error_for(swapped) == "test.age: age payload: chunk 0: authentication failed (altered, truncated or out of order)");
  std::string flipped = cipher;
  flipped[start + 2 * enc + 7] ^= 0x01;
  CHECK(error_for(flipped) == "test.age: age payload: chunk 2: authentication failed (altered, truncated or out of order)");
  std::string extra = cipher + "x";
  CHECK(error_for(extra) == "test.age: age payload: chunk 3: authentication failed (altered, truncated or out of order)");
  // A whole extra chunk after the final one (the final chunk then has data after it).
  std::string two = encrypt(kPlain.substr(0, 65536), {a.recipient()});
  std::string doubled = two + two.substr(two.size() - enc);
  CHECK(error_of([&] { decrypt(doubled, {a}); }) == "test.age: age payload: chunk 0: is marked final but data follows it");
  // What was decrypted before the failing chunk is returned; the failure repeats on later reads.
  StringInputStream in(flipped);
  AgeDecryptor dec(in, {a}, "test.age");
  std::string got(2 * 65536, '\0');
  std::size_t n = 0;
  while (n < got.size()) n += dec.read(got.data() + n, got.size() - n);
  CHECK(got == plain.substr(0, 2 * 65536));
  char buf[10];
  CHECK(error_of([&] { dec.read(buf, 10); }).find("chunk 2") != std::string::npos);
  CHECK(error_of([&] { dec.read(buf, 10); }).find("chunk 2") != std::string::npos);
}

TEST_CASE("age: altered headers: MAC, version, stanza, not an age file") {
  auto a = AgeIdentity::generate();
  std::string cipher = encrypt("hello", {a.recipient()});
  std::string alt = cipher;
  alt.replace(alt.find("X25519"), 6, "X25519 extra");  // an extra argument: the X25519 rules refuse it
  CHECK(error_of([&] { decrypt(alt, {a}); }) == "test.age: age header: X25519 stanza 1: expected 2 arguments");
  alt = cipher;
  std::size_t mac = alt.find("\n--- ") + 5;
  alt[mac] = alt[mac] == 'A' ? 'B' : 'A';
  CHECK(error_of([&] { decrypt(alt, {a}); }) == "test.age: age header MAC does not match (the header was altered)");
  alt = cipher;
  alt.replace(0, 21, "age-encryption.org/v2");
  CHECK(error_of([&] { decrypt(alt, {a}); }) == "test.age: age header: unsupported version line age-encryption.org/v2");
  CHECK(error_of([&] { decrypt("PK\x03\x04 a zip file", {a}); }) ==
        "test.age: age header: not an age file (no age-encryption.org/ version line)");
  CHECK(error_of([&] { decrypt(cipher.substr(0, 40), {a}); }) == "test.age: age header: truncated (the file ends inside the header)");
  CHECK(error_of([&] { decrypt("age-encryption.org/v1\n" + std::string(2 << 20, 'A'), {a}); }) ==
        "test.age: age header: longer than 1048576 bytes");
}

TEST_CASE("age: the writer's own errors") {
  StringOutputStream out;
  CHECK(error_of([&] { AgeEncryptor(out, {}, "x.age"); }) == "x.age: age: no recipient");
  CHECK(error_of([&] {
          AgeEncryptor(out, {AgeRecipient::passphrase("p", 10), AgeIdentity::generate().recipient()}, "x.age");
        }) == "x.age: age: a passphrase must be the only recipient");
  AgeEncryptor enc(out, {AgeIdentity::generate().recipient()}, "x.age");
  enc.finish();
  CHECK(error_of([&] { enc.write("late"); }) == "x.age: age: write after finish");
}

TEST_CASE("age: the header is written canonically: bodies wrapped at 64 columns, ending with a short line") {
  std::vector<age::Stanza> stanzas = {{{"a"}, std::string(48, 'x')}, {{"b", "c"}, ""}, {{"d"}, std::string(50, 'y')}};
  std::string key(16, 'k');
  std::string text = age::format_header(stanzas, key);
  auto parsed = age::parse_header(text, true, "h");
  REQUIRE(parsed);
  CHECK(parsed->size == text.size());
  REQUIRE(parsed->stanzas.size() == 3);
  CHECK(parsed->stanzas[0].body == std::string(48, 'x'));
  CHECK(parsed->stanzas[2].args == std::vector<std::string>{"d"});
  CHECK(text.find("-> a\n" + base64_raw_encode(std::string(48, 'x')) + "\n\n-> b c\n\n-> d\n") != std::string::npos);
  CHECK(parsed->mac == age::header_mac(key, std::string_view(text).substr(0, parsed->mac_input)));
  CHECK_FALSE(age::parse_header(text.substr(0, text.size() - 1), false, "h"));  // more may come
}

TEST_CASE("age rekey: new recipients read the file, the payload bytes stay identical") {
  auto old_id = AgeIdentity::generate(), new_id = AgeIdentity::generate();
  std::string plain = kPlain.substr(0, 200000);
  std::string cipher = encrypt(plain, {old_id.recipient()});
  StringInputStream in(cipher);
  StringOutputStream out;
  age_rekey(in, out, {old_id}, {new_id.recipient(), AgeIdentity::generate().recipient()}, "backup.tar.gz.age");
  std::string rekeyed = out.take();
  auto old_header = age::read_header(*std::make_unique<StringInputStream>(cipher), "t").header;
  auto new_header = age::read_header(*std::make_unique<StringInputStream>(rekeyed), "t").header;
  CHECK(new_header.stanzas.size() == 2);
  CHECK(rekeyed.substr(new_header.size) == cipher.substr(old_header.size));  // nonce and payload, byte for byte
  CHECK(decrypt(rekeyed, {new_id}) == plain);
  CHECK(error_of([&] { decrypt(rekeyed, {old_id}); }).find("no identity matches") != std::string::npos);
  StringInputStream again(cipher);
  StringOutputStream sink;
  CHECK(error_of([&] { age_rekey(again, sink, {new_id}, {new_id.recipient()}, "backup.tar.gz.age"); }).find(
            "backup.tar.gz.age: no identity matches") == 0);
  // To a passphrase (alone).
  StringInputStream third(cipher);
  StringOutputStream pw;
  age_rekey(third, pw, {old_id}, {AgeRecipient::passphrase("pw", 10)}, "b");
  CHECK(decrypt(pw.take(), {AgeIdentity::passphrase("pw")}) == plain);
}
