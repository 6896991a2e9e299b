// The age payload (C2SP age.md "Payload"): a 16-byte nonce, then ChaCha20-Poly1305 over 64 KiB
// chunks with the STREAM nonce (11-byte big-endian counter, last byte 1 on the final chunk). Each
// adapter holds one chunk, so memory does not grow with the file.
#include "crypto/age_format.hpp"
#include "crypto/primitives.hpp"

#include "vbackup/error.hpp"

#include <array>
#include <cstring>
#include <vector>

namespace vbackup::crypto {
namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kTag = 16;
constexpr std::size_t kEncChunk = kChunk + kTag;
constexpr std::size_t kNonceSize = 16;

std::array<unsigned char, 12> chunk_nonce(std::uint64_t counter, bool last) {
  std::array<unsigned char, 12> nonce{};
  for (int i = 10; i >= 3; --i, counter >>= 8) nonce[i] = static_cast<unsigned char>(counter & 0xff);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

std::string payload_key(std::string_view file_key, std::string_view nonce) {
  return hkdf_sha256(file_key, nonce, "payload");
}

}  // namespace

// ---- writer ---------------------------------------------------------------------------------------

struct AgeEncryptor::State {
  State(OutputStream& s, std::string w) : sink(s), what(std::move(w)) {}
  OutputStream& sink;
  std::string what;
  std::unique_ptr<ChaCha20Poly1305> aead;
  std::vector<unsigned char> plain = std::vector<unsigned char>(kChunk);
  std::vector<unsigned char> sealed = std::vector<unsigned char>(kEncChunk);
  std::size_t filled = 0;
  std::uint64_t counter = 0;
  bool finished = false;

  void seal(bool last) {
    auto nonce = chunk_nonce(counter++, last);
    aead->seal(nonce.data(), plain.data(), filled, sealed.data());
    sink.write(sealed.data(), filled + kTag);
    filled = 0;
  }
};

AgeEncryptor::AgeEncryptor(OutputStream& sink, const std::vector<AgeRecipient>& recipients, std::string what)
    : state_(std::make_unique<State>(sink, std::move(what))) {
  if (recipients.empty()) throw Error(ErrorCode::invalid, state_->what + ": age: no recipient");
  for (const auto& r : recipients) {
    if (r.type == AgeRecipient::Type::scrypt && recipients.size() != 1) {
      throw Error(ErrorCode::invalid, state_->what + ": age: a passphrase must be the only recipient");
    }
  }
  std::string file_key = random_bytes(age::kFileKeySize);
  std::vector<age::Stanza> stanzas;
  for (const auto& r : recipients) stanzas.push_back(age::wrap(r, file_key));
  std::string nonce = random_bytes(kNonceSize);
  state_->aead = std::make_unique<ChaCha20Poly1305>(payload_key(file_key, nonce));
  sink.write(age::format_header(stanzas, file_key));
  sink.write(nonce);
}

AgeEncryptor::~AgeEncryptor() = default;

void AgeEncryptor::write(const void* data, std::size_t size) {
  State& s = *state_;
  if (s.finished) throw Error(ErrorCode::generic, s.what + ": age: write after finish");
  auto* in = static_cast<const unsigned char*>(data);
  while (size > 0) {
    // A full chunk is sealed only once more data follows: the last chunk carries the final flag.
    if (s.filled == kChunk) s.seal(false);
    std::size_t n = std::min(size, kChunk - s.filled);
    std::memcpy(s.plain.data() + s.filled, in, n);
    s.filled += n;
    in += n;
    size -= n;
  }
}

void AgeEncryptor::finish() {
  State& s = *state_;
  if (s.finished) return;
  s.seal(true);  // empty only when the whole payload is
  s.finished = true;
}

// ---- reader ---------------------------------------------------------------------------------------

struct AgeDecryptor::State {
  State(InputStream& s, std::string w) : source(s), what(std::move(w)) {}
  InputStream& source;
  std::string what;
  std::unique_ptr<ChaCha20Poly1305> aead;
  std::string pending;  // bytes read past the header, consumed first
  std::size_t pending_pos = 0;
  std::vector<unsigned char> sealed = std::vector<unsigned char>(kEncChunk + 1);  // one chunk + 1 lookahead
  std::size_t sealed_len = 0;
  std::vector<unsigned char> plain = std::vector<unsigned char>(kChunk);
  std::size_t plain_pos = 0, plain_len = 0;
  std::uint64_t counter = 0;
  bool done = false;
  std::string failure;   // once a chunk fails, every later read fails the same way
  std::string deferred;  // the failure of the chunk just returned, raised when it is consumed

  std::size_t pull(unsigned char* out, std::size_t size) {
    if (pending_pos < pending.size()) {
      std::size_t n = std::min(size, pending.size() - pending_pos);
      std::memcpy(out, pending.data() + pending_pos, n);
      pending_pos += n;
      return n;
    }
    return source.read(out, size);
  }

  [[noreturn]] void fail(const std::string& problem) {
    failure = what + ": age payload: chunk " + std::to_string(counter) + ": " + problem;
    throw Error(ErrorCode::invalid, failure);
  }

  bool open(std::size_t size, bool last) {
    auto nonce = chunk_nonce(counter, last);
    return aead->open(nonce.data(), sealed.data(), size, plain.data());
  }

  void next_chunk() {
    while (sealed_len < sealed.size()) {
      std::size_t n = pull(sealed.data() + sealed_len, sealed.size() - sealed_len);
      if (n == 0) break;
      sealed_len += n;
    }
    if (sealed_len == 0) {
      fail(counter == 0 ? "missing (the payload has no chunk)" : "missing: the file is truncated after chunk " +
                                                                     std::to_string(counter - 1));
    }
    // A chunk that authenticates is returned even when the STREAM is broken right after it (as age
    // does: CCTV's payload hashes count it); the failure comes with the next read.
    if (sealed_len > kEncChunk) {  // more follows: a full, non-final chunk
      if (!open(kEncChunk, false)) {
        if (!open(kEncChunk, true)) fail("authentication failed (altered, truncated or out of order)");
        deferred = "is marked final but data follows it";
      }
      plain_len = kChunk;
      sealed[0] = sealed[kEncChunk];
      sealed_len = 1;
    } else {
      if (sealed_len < kTag) fail("truncated (shorter than its 16-byte tag)");
      if (open(sealed_len, true)) {
        done = true;
      } else {
        if (!open(sealed_len, false)) fail("authentication failed (altered, truncated or out of order)");
        // Only a full chunk can be a non-final one: a short one is a broken final chunk (age's rule).
        if (sealed_len < kEncChunk) fail("is not marked final, and the file ends after it (truncated)");
        deferred = "is not the final chunk, and the file ends after it (truncated)";
      }
      plain_len = sealed_len - kTag;
      if (plain_len == 0 && counter > 0) fail("the final chunk is empty (only an empty payload may have one)");
      sealed_len = 0;
    }
    plain_pos = 0;
    ++counter;
  }
};

AgeDecryptor::AgeDecryptor(InputStream& source, const std::vector<AgeIdentity>& identities, std::string what,
                           std::vector<std::string> expected)
    : state_(std::make_unique<State>(source, std::move(what))) {
  State& s = *state_;
  age::ReadHeader header = age::read_header(source, s.what);
  std::string file_key = age::open_header(header, identities, s.what, expected);
  s.pending = std::move(header.rest);
  std::string nonce(kNonceSize, '\0');
  std::size_t got = 0;
  while (got < kNonceSize) {
    std::size_t n = s.pull(reinterpret_cast<unsigned char*>(nonce.data()) + got, kNonceSize - got);
    if (n == 0) throw Error(ErrorCode::invalid, s.what + ": age payload: truncated nonce (" + std::to_string(got) + " of 16 bytes)");
    got += n;
  }
  s.aead = std::make_unique<ChaCha20Poly1305>(payload_key(file_key, nonce));
}

AgeDecryptor::~AgeDecryptor() = default;

std::size_t AgeDecryptor::read(void* buffer, std::size_t size) {
  State& s = *state_;
  if (!s.failure.empty()) throw Error(ErrorCode::invalid, s.failure);
  if (size == 0) return 0;
  if (s.plain_pos == s.plain_len) {
    if (!s.deferred.empty()) {
      --s.counter;
      s.fail(s.deferred);
    }
    if (s.done) return 0;
    s.next_chunk();
    if (s.plain_len == 0) return 0;  // the empty payload's single chunk
  }
  std::size_t n = std::min(size, s.plain_len - s.plain_pos);
  std::memcpy(buffer, s.plain.data() + s.plain_pos, n);
  s.plain_pos += n;
  return n;
}

// ---- rekey ----------------------------------------------------------------------------------------

void age_rekey(InputStream& in, OutputStream& out, const std::vector<AgeIdentity>& identities,
               const std::vector<AgeRecipient>& recipients, std::string_view what) {
  if (recipients.empty()) throw Error(ErrorCode::invalid, std::string(what) + ": age rekey: no recipient");
  for (const auto& r : recipients) {
    if (r.type == AgeRecipient::Type::scrypt && recipients.size() != 1) {
      throw Error(ErrorCode::invalid, std::string(what) + ": age rekey: a passphrase must be the only recipient");
    }
  }
  age::ReadHeader header = age::read_header(in, what);
  std::string file_key = age::open_header(header, identities, what);
  std::vector<age::Stanza> stanzas;
  for (const auto& r : recipients) stanzas.push_back(age::wrap(r, file_key));
  out.write(age::format_header(stanzas, file_key));
  // The nonce and payload as they are: the same file key still derives the same payload key.
  out.write(header.rest);
  std::vector<char> block(kChunk);
  while (std::size_t n = in.read(block.data(), block.size())) out.write(block.data(), n);
}

}  // namespace vbackup::crypto
