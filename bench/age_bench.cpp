// Throughput of age encryption and decryption (src/crypto) against a plain copy through the same
// streams, and of one-thread gzip (ISA-L level 1, what a backup tarball goes through) alone and
// followed by encryption, on MIB mebibytes (default 256) of Kubernetes-like JSON. Prints one JSON
// line; each ratio is the encrypted throughput over the unencrypted one; and the memory the
// encryptor added (VmHWM growth).
//   age_bench [MIB]
#include "vbackup/crypto.hpp"
#include "vbackup/error.hpp"
#include "vbackup/stream.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

using namespace vbackup;
using Clock = std::chrono::steady_clock;

namespace {

long status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  }
  return -1;
}

void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

struct Discard final : OutputStream {
  using OutputStream::write;
  void write(const void*, std::size_t size) override { bytes += size; }
  std::uint64_t bytes = 0;
};

// `total` bytes of JSON objects, generated a block at a time (nothing held but the block).
struct JsonSource final : InputStream {
  explicit JsonSource(std::uint64_t total) : left(total) {
    for (int i = 0; block.size() < (1 << 20); ++i) {
      block += "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-" + std::to_string(i) +
               "\",\"namespace\":\"ns-" + std::to_string(i % 97) + "\"},\"data\":{\"k\":\"" + std::to_string(i * 7919) + "\"}}\n";
    }
  }
  std::size_t read(void* buffer, std::size_t size) override {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(std::min<std::uint64_t>(size, left), block.size() - pos));
    std::memcpy(buffer, block.data() + pos, n);
    pos = (pos + n) % block.size();
    left -= n;
    return n;
  }
  std::string block;
  std::size_t pos = 0;
  std::uint64_t left;
};

// Copies `in` to `out` in 1 MiB writes, as the backup writer's stages do; returns seconds.
double pump(InputStream& in, OutputStream& out) {
  std::vector<char> buf(1 << 20);
  auto t0 = Clock::now();
  while (std::size_t n = in.read(buf.data(), buf.size())) out.write(buf.data(), n);
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::uint64_t mib = argc > 1 ? std::stoull(argv[1]) : 256;
    std::uint64_t bytes = mib << 20;
    auto recipient = crypto::AgeIdentity::generate();
    auto mibps = [&](double seconds) { return double(mib) / seconds; };

    JsonSource plain_src(bytes);
    Discard plain_out;
    double copy = pump(plain_src, plain_out);

    JsonSource gz_src(bytes);
    Discard gz_out;
    double gzip;
    {
      ParallelGzipOutputStream gz(gz_out, 1, 1);
      gzip = pump(gz_src, gz);
      auto t0 = Clock::now();
      gz.finish();
      gzip += std::chrono::duration<double>(Clock::now() - t0).count();
    }

    // The backup's shape: the tarball is compressed, then encrypted (the encryptor sees gzip's output).
    JsonSource chain_src(bytes);
    Discard chain_out;
    double gzip_then_encrypt;
    {
      crypto::AgeEncryptor enc(chain_out, {recipient.recipient()}, "bench");
      ParallelGzipOutputStream gz(enc, 1, 1);
      gzip_then_encrypt = pump(chain_src, gz);
      auto t0 = Clock::now();
      gz.finish();
      enc.finish();
      gzip_then_encrypt += std::chrono::duration<double>(Clock::now() - t0).count();
    }

    reset_peak();
    long base = status_kib("VmRSS:");
    JsonSource enc_src(bytes);
    StringOutputStream cipher;
    double encrypt;
    {
      Discard discard;
      crypto::AgeEncryptor enc(discard, {recipient.recipient()}, "bench");
      encrypt = pump(enc_src, enc);
      enc.finish();
    }
    long growth = status_kib("VmHWM:") - base;

    // Decryption reads a real age file: encrypt once into memory, then time the reader.
    {
      JsonSource src(bytes);
      crypto::AgeEncryptor enc(cipher, {recipient.recipient()}, "bench");
      pump(src, enc);
      enc.finish();
    }
    std::string ciphertext = cipher.take();
    std::string copy_of = ciphertext;
    StringInputStream copy_in(std::move(copy_of));
    Discard copy_out;
    double copy_from_memory = pump(copy_in, copy_out);
    StringInputStream dec_in(std::move(ciphertext));
    crypto::AgeDecryptor dec(dec_in, {recipient}, "bench");
    Discard dec_out;
    double decrypt = pump(dec, dec_out);
    if (dec_out.bytes != bytes) throw Error(ErrorCode::generic, "bench: decrypted size differs");

    std::printf(
        "{\"mib\":%llu,\"copy_mib_s\":%.0f,\"encrypt_mib_s\":%.0f,\"encrypt_ratio\":%.3f,"
        "\"copy_from_memory_mib_s\":%.0f,\"decrypt_mib_s\":%.0f,\"decrypt_ratio\":%.3f,"
        "\"gzip1_mib_s\":%.0f,\"gzip1_then_encrypt_mib_s\":%.0f,\"gzip1_then_encrypt_ratio\":%.3f,"
        "\"gzip1_compressed_mib\":%.1f,\"encrypt_rss_growth_kib\":%ld}\n",
        static_cast<unsigned long long>(mib), mibps(copy), mibps(encrypt), copy / encrypt, mibps(copy_from_memory),
        mibps(decrypt), copy_from_memory / decrypt, mibps(gzip), mibps(gzip_then_encrypt), gzip / gzip_then_encrypt,
        double(gz_out.bytes) / (1 << 20), growth);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
