// The S3 writer's part sizes (issue 17: a backup to S3 under 64 MiB): 5 MiB parts, 2 in memory,
// doubling every part_size_doubling parts so S3's 10,000 parts still reach its 5 TiB object limit;
// multipart uploads at these sizes round-trip byte-exact through moto and `aws s3api` sees the parts.
#include "s3_emulators.hpp"
#include "storage/s3/sigv4.hpp"
#include "vbackup/json.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
using namespace vbackup::s3_test;

namespace {

std::string get_all(storage::ObjectStore& store, const std::string& key) {
  auto in = store.get(key);
  return read_all(*in, std::size_t(1) << 31, key);
}

// The sizes of the parts of `key` as S3 keeps them (GetObjectAttributes lists each part).
std::vector<std::uint64_t> part_sizes(const Emulator& e, const std::string& key, int parts) {
  std::vector<std::uint64_t> sizes;
  for (int n = 1; n <= parts; ++n) {
    std::string out = e.aws_ok({"s3api", "head-object", "--bucket", e.bucket, "--key", key, "--part-number",
                                std::to_string(n)});
    sizes.push_back(static_cast<std::uint64_t>(json::parse(out, "head-object").as_object().at("ContentLength").as_int64()));
  }
  return sizes;
}

}  // namespace

TEST_CASE("S3 part sizes: 5 MiB, doubling every 1000 parts, 10,000 parts reach 5 TiB, none over 5 GiB") {
  s3::Config c;
  CHECK(c.part_size == 5u << 20);  // S3's minimum for all parts but the last
  CHECK(c.upload_parallelism == 2);
  CHECK(s3::part_size_of(c, 1) == 5u << 20);
  CHECK(s3::part_size_of(c, 1000) == 5u << 20);
  CHECK(s3::part_size_of(c, 1001) == 10u << 20);
  CHECK(s3::part_size_of(c, 9001) == 2560ull << 20);
  std::uint64_t total = 0, previous = 0;
  for (int n = 1; n <= 10000; ++n) {
    std::uint64_t size = s3::part_size_of(c, n);
    REQUIRE(size >= previous);  // never shrinks
    REQUIRE(size <= 5ull << 30);  // UploadPart's limit
    previous = size;
    total += size;
  }
  CHECK(total >= 5ull * 1000 * 1000 * 1000 * 1000);  // S3's largest object, 5 TB
  // Memory per writer below 4.9 GiB: 2 parts of 5 MiB.
  CHECK(c.upload_parallelism * s3::part_size_of(c, 999) == 10u << 20);
  c.part_size_doubling = 0;  // fixed parts: 10,000 × 5 MiB, about 48.8 GiB at most
  CHECK(s3::part_size_of(c, 10000) == 5u << 20);
  c.part_size = 6ull << 30;  // a configured part above S3's limit stays as configured (S3 will refuse it)
  CHECK(s3::part_size_of(c, 1) == 6ull << 30);
}

TEST_CASE("moto: a multipart upload at the default part sizes round-trips byte-exact") {
  auto store = moto().store(moto().config());  // defaults: 5 MiB parts, 2 in memory
  std::string data = random_bytes((17 << 20) + 4321, 17);  // 4 parts, the last one short
  std::string key = "parts/default.bin";
  {
    auto w = store->open_write(key);
    for (std::size_t off = 0; off < data.size(); off += 777777) w->write(std::string_view(data).substr(off, 777777));
    w->commit();
  }
  CHECK(get_all(*store, key) == data);
  std::string head = moto().aws_ok({"s3api", "head-object", "--bucket", moto().bucket, "--key", key});
  CHECK(head.find("-4\\\"") != std::string::npos);  // a multipart ETag of 4 parts
  auto sizes = part_sizes(moto(), key, 4);
  CHECK(sizes == std::vector<std::uint64_t>{5u << 20, 5u << 20, 5u << 20, (2u << 20) + 4321});
  store->remove(key);
}

TEST_CASE("moto: parts that grow during the upload round-trip byte-exact") {
  s3::Config c = moto().config();
  c.part_size_doubling = 2;  // 5, 5, 10, 10 MiB, then 20
  auto store = moto().store(c);
  std::string data = random_bytes((31 << 20) + 99, 31);
  std::string key = "parts/growing.bin";
  {
    auto w = store->open_write(key);
    for (std::size_t off = 0; off < data.size(); off += (3 << 20)) w->write(std::string_view(data).substr(off, 3 << 20));
    w->commit();
  }
  CHECK(get_all(*store, key) == data);
  CHECK(part_sizes(moto(), key, 5) == std::vector<std::uint64_t>{5u << 20, 5u << 20, 10u << 20, 10u << 20, (1u << 20) + 99});
  store->remove(key);
}
