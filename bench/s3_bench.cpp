// Upload and download throughput of the S3 store through moto server and s3rver, next to
// `aws s3 cp` (aws-cli v2) of the same bytes in the same run, with the peak RSS growth of our side.
//
//   ninja -C build src/storage/s3/s3_bench && VBK_SOURCE_ROOT=$PWD build/src/storage/s3/s3_bench [MiB [part MiB parts]]
//
// With a part size and a part count (upload_parallelism), those instead of the defaults.
//
// The object (default 256 MiB) is generated on the fly for our upload and hashed on the fly on
// download, so the bench itself holds no copy of it; aws reads and writes a file of the same bytes.
#include "../tests/integration/s3_emulators.hpp"

#include <malloc.h>
#include <openssl/evp.h>

#include <cstdio>
#include <iostream>

using namespace vbackup;
using namespace vbackup::s3_test;

namespace {

long status_kib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
  }
  return -1;
}
void reset_peak() {
  ::malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Sha {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Sha() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  ~Sha() { EVP_MD_CTX_free(ctx); }
  void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx, p, n); }
  std::string hex() {
    unsigned char out[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, out, &len);
    return s3::hex(std::string_view(reinterpret_cast<char*>(out), len));
  }
};

std::size_t g_part_mib = 0, g_parallelism = 0;  // 0: the defaults

void bench(const Emulator& e, std::size_t mib) {
  const std::size_t size = mib << 20;
  std::string chunk = random_bytes(1 << 20, 7);
  // The same bytes for aws: a file of `mib` copies of the chunk.
  fs::path file = e.dir / "bench.bin";
  {
    std::ofstream out(file, std::ios::binary);
    for (std::size_t i = 0; i < mib; ++i) out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  }
  Sha expected;
  for (std::size_t i = 0; i < mib; ++i) expected.update(chunk.data(), chunk.size());
  std::string want = expected.hex();

  s3::Config config = e.config();
  if (g_part_mib) config.part_size = g_part_mib << 20;
  if (g_parallelism) config.upload_parallelism = g_parallelism;
  auto store = e.store(config);
  store->put("bench/warm-up", "x");
  reset_peak();
  long base = status_kib("VmRSS:");
  auto t0 = std::chrono::steady_clock::now();
  {
    auto w = store->open_write("bench/ours.bin");
    for (std::size_t i = 0; i < mib; ++i) w->write(chunk);
    w->commit();
  }
  double up = seconds_since(t0);
  long up_rss = status_kib("VmHWM:") - base;

  reset_peak();
  base = status_kib("VmRSS:");
  t0 = std::chrono::steady_clock::now();
  Sha got;
  std::uint64_t total = 0;
  {
    auto in = store->get("bench/ours.bin");
    std::string buf(256 << 10, '\0');
    while (std::size_t n = in->read(buf.data(), buf.size())) {
      got.update(buf.data(), n);
      total += n;
    }
  }
  double down = seconds_since(t0);
  long down_rss = status_kib("VmHWM:") - base;
  if (total != size || got.hex() != want) throw std::runtime_error(e.name + ": downloaded bytes differ");

  t0 = std::chrono::steady_clock::now();
  e.aws_ok({"s3", "cp", "--only-show-errors", file.string(), "s3://" + e.bucket + "/bench/aws.bin"});
  double aws_up = seconds_since(t0);
  fs::path back = e.dir / "bench-back.bin";
  t0 = std::chrono::steady_clock::now();
  e.aws_ok({"s3", "cp", "--only-show-errors", "s3://" + e.bucket + "/bench/aws.bin", back.string()});
  double aws_down = seconds_since(t0);

  auto rate = [&](double s) { return static_cast<double>(mib) / s; };
  std::printf("%-7s upload   %7.1f MiB/s (aws s3 cp %7.1f MiB/s, ratio %.2f)  peak RSS growth %ld KiB\n", e.name.c_str(),
              rate(up), rate(aws_up), aws_up / up, up_rss);
  std::printf("%-7s download %7.1f MiB/s (aws s3 cp %7.1f MiB/s, ratio %.2f)  peak RSS growth %ld KiB\n", e.name.c_str(),
              rate(down), rate(aws_down), aws_down / down, down_rss);
  std::fflush(stdout);
  store->remove_batch({"bench/warm-up", "bench/ours.bin", "bench/aws.bin"});
  fs::remove(file);
  fs::remove(back);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = argc > 1 ? std::stoul(argv[1]) : 256;
  try {
    if (argc > 3) {
      g_part_mib = std::stoul(argv[2]);
      g_parallelism = std::stoul(argv[3]);
    }
    s3::Config d;
    std::printf("S3 store, %zu MiB object, part size %zu MiB, %zu parts in memory; ratio = aws time / our time\n", mib,
                g_part_mib ? g_part_mib : static_cast<std::size_t>(d.part_size >> 20),
                g_parallelism ? g_parallelism : d.upload_parallelism);
    bench(moto(), mib);
    bench(s3rver(), mib);
  } catch (const std::exception& e) {
    std::cerr << "s3_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
