// Throughput of age encryption and decryption (src/crypto) against a plain copy through the same
// streams, and of one-thread gzip (ISA-L level 1, what a backup tarball goes through) alone and
// followed by encryption, on MIB mebibytes (default 256) of Kubernetes-like JSON. Prints one JSON
// line; each ratio is the encrypted throughput over the unencrypted one; and the memory the
// encryptor added (VmHWM growth, the JSON generator's 1 MiB block included). Times are process
// CPU time, best of ROUNDS (default 3).
//   age_bench [MIB [ROUNDS]]
#include "vbackup/crypto.hpp"
#include "vbackup/error.hpp"
#include "vbackup/stream.hpp"

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

using namespace vbackup;
// Process CPU time, not wall time: on the shared 2-core machine the wall clock mostly measures
// waiting for a core, and every stage here runs on one thread at a time.
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
  }
};

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

double seconds_since(Clock::time_point t0) { return Clock::now() - t0; }

// Copies `in` to `out` in 1 MiB writes, as the backup writer's stages do; returns seconds.
double pump(InputStream& in, OutputStream& out) {
  std::vector<char> buf(1 << 20);
  auto t0 = Clock::now();
  while (std::size_t n = in.read(buf.data(), buf.size())) out.write(buf.data(), n);
  return seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::uint64_t mib = argc > 1 ? std::stoull(argv[1]) : 256;
    int rounds = argc > 2 ? std::stoi(argv[2]) : 3;
    std::uint64_t bytes = mib << 20;
    auto recipient = crypto::AgeIdentity::generate();

    // What the encryptor holds, measured first (before the heap holds anything to reuse).
    long growth = 0;
    {
      std::vector<char> buf(1 << 20);  // the pump's buffer, allocated before the reset
      reset_peak();
      long base = status_kib("VmRSS:");
      JsonSource src(bytes / 4);
      Discard out;
      crypto::AgeEncryptor enc(out, {recipient.recipient()}, "bench");
      while (std::size_t n = src.read(buf.data(), buf.size())) enc.write(buf.data(), n);
      enc.finish();
      growth = status_kib("VmHWM:") - base;
    }

    // Decryption reads a real age file, and its baseline the same bytes: both from memory.
    std::string ciphertext;
    {
      JsonSource src(bytes);
      StringOutputStream cipher;
      crypto::AgeEncryptor enc(cipher, {recipient.recipient()}, "bench");
      pump(src, enc);
      enc.finish();
      ciphertext = cipher.take();
    }

    // On a shared machine the load shifts between phases: each phase runs `rounds` times, the
    // rounds interleaved, and the best time of each counts.
    double copy = 1e9, encrypt = 1e9, copy_from_memory = 1e9, decrypt = 1e9, gzip = 1e9, gzip_then_encrypt = 1e9;
    double compressed_mib = 0;
    for (int round = 0; round < rounds; ++round) {
      {
        JsonSource src(bytes);
        Discard out;
        copy = std::min(copy, pump(src, out));
      }
      {
        JsonSource src(bytes);
        Discard out;
        crypto::AgeEncryptor enc(out, {recipient.recipient()}, "bench");
        auto t0 = Clock::now();
        pump(src, enc);
        enc.finish();
        encrypt = std::min(encrypt, seconds_since(t0));
      }
      {
        StringInputStream in(ciphertext);
        Discard out;
        copy_from_memory = std::min(copy_from_memory, pump(in, out));
      }
      {
        StringInputStream in(ciphertext);
        Discard out;
        auto t0 = Clock::now();
        crypto::AgeDecryptor dec(in, {recipient}, "bench");
        pump(dec, out);
        decrypt = std::min(decrypt, seconds_since(t0));
        if (out.bytes != bytes) throw Error(ErrorCode::generic, "bench: decrypted size differs");
      }
      {
        JsonSource src(bytes);
        Discard out;
        auto t0 = Clock::now();
        ParallelGzipOutputStream gz(out, 1, 1);
        pump(src, gz);
        gz.finish();
        gzip = std::min(gzip, seconds_since(t0));
        compressed_mib = double(out.bytes) / (1 << 20);
      }
      {
        // The backup's shape: the tarball is compressed, then encrypted (the encryptor sees gzip's output).
        JsonSource src(bytes);
        Discard out;
        auto t0 = Clock::now();
        crypto::AgeEncryptor enc(out, {recipient.recipient()}, "bench");
        ParallelGzipOutputStream gz(enc, 1, 1);
        pump(src, gz);
        gz.finish();
        enc.finish();
        gzip_then_encrypt = std::min(gzip_then_encrypt, seconds_since(t0));
      }
    }
    auto mibps = [&](double seconds) { return double(mib) / seconds; };
    std::printf(
        "{\"mib\":%llu,\"rounds\":%d,\"copy_mib_s\":%.0f,\"encrypt_mib_s\":%.0f,\"encrypt_ratio\":%.3f,"
        "\"copy_from_memory_mib_s\":%.0f,\"decrypt_mib_s\":%.0f,\"decrypt_ratio\":%.3f,"
        "\"gzip1_mib_s\":%.0f,\"gzip1_then_encrypt_mib_s\":%.0f,\"gzip1_then_encrypt_ratio\":%.3f,"
        "\"gzip1_compressed_mib\":%.1f,\"encrypt_rss_growth_kib\":%ld}\n",
        static_cast<unsigned long long>(mib), rounds, mibps(copy), mibps(encrypt), copy / encrypt,
        mibps(copy_from_memory), mibps(decrypt), copy_from_memory / decrypt, mibps(gzip), mibps(gzip_then_encrypt),
        gzip / gzip_then_encrypt, compressed_mib, growth);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
