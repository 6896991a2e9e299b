// Streams a file up to a location and back down through libvbackup's ObjectStore, and prints what
// it measured as one JSON line: {"upload_mib_s", "download_mib_s", "peak_rss_growth_mib", "bytes"}.
//   storage_bench LOCATION FILE KEY
// The peak RSS growth is VmHWM after a clear_refs reset minus VmRSS before (as the tests measure),
// so it shows what the transfer itself held in memory. bench/storage_bench.py drives it.
#include "vbackup/error.hpp"
#include "vbackup/location.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

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

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: storage_bench LOCATION FILE KEY\n";
    return 2;
  }
  try {
    auto loc = vbackup::open_location(argv[1]);
    std::string key = loc.backups->root() + argv[3];
    std::vector<char> buf(1 << 20);
    reset_peak();
    long base = status_kib("VmRSS:");
    auto t0 = std::chrono::steady_clock::now();
    std::uint64_t bytes = 0;
    {
      auto in = vbackup::open_file(argv[2]);
      auto w = loc.objects->open_write(key);
      while (std::size_t n = in->read(buf.data(), buf.size())) {
        w->write(buf.data(), n);
        bytes += n;
      }
      w->commit();
    }
    auto t1 = std::chrono::steady_clock::now();
    std::uint64_t down = 0;
    {
      auto in = loc.objects->get(key);
      while (std::size_t n = in->read(buf.data(), buf.size())) down += n;
    }
    auto t2 = std::chrono::steady_clock::now();
    long peak = status_kib("VmHWM:");
    loc.objects->remove(key);
    if (down != bytes) throw vbackup::Error(vbackup::ErrorCode::storage, "downloaded " + std::to_string(down) + " of " + std::to_string(bytes) + " bytes");
    double mib = static_cast<double>(bytes) / (1 << 20);
    auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    std::printf("{\"upload_mib_s\": %.1f, \"download_mib_s\": %.1f, \"peak_rss_growth_mib\": %.1f, \"bytes\": %llu}\n",
                mib / secs(t0, t1), mib / secs(t1, t2), (peak - base) / 1024.0, static_cast<unsigned long long>(bytes));
    return 0;
  } catch (const vbackup::Error& e) {
    std::cerr << "storage_bench: " << e.what() << "\n";
    return 1;
  }
}
