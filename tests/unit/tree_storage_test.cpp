// core's tree_storage (issue 17, session 7): a parsed object's bump allocator starts in a block
// recycled through a bounded pool, the block goes back only when the last value using it dies (on any
// thread), larger trees keep the pool out of it, and what lives in the storage is kept exactly.
#include "core/tree_storage.hpp"
#include "test_helpers.hpp"
#include "vbackup/json.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace vbackup;
using vbackup::detail::kMaxPooledTreeBlocks;
using vbackup::detail::kTreeBlockSize;
using vbackup::detail::pooled_tree_blocks;
using vbackup::detail::tree_storage;

namespace {

// A ConfigMap of about `bytes` bytes of JSON text.
std::string config_map(std::size_t bytes, const std::string& name = "cm") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
         R"(","namespace":"demo"},"data":{"k":")" + std::string(bytes, 'v') + R"("}})";
}

// Puts at least one block in the pool, so the counts below start from a known state.
std::size_t warm_pool() {
  { auto sp = tree_storage(config_map(100)); }
  REQUIRE(pooled_tree_blocks() >= 1);
  return pooled_tree_blocks();
}

}  // namespace

TEST_CASE("a small object's tree starts in a pooled block that returns when its last value dies") {
  const std::size_t before = warm_pool();
  const std::string text = config_map(2000);
  std::optional<json::value> copy;
  {
    json::value v = json::parse(text, "cm.json", tree_storage(text, 2));
    CHECK(pooled_tree_blocks() == before - 1);  // taken from the pool, not malloc'd
    copy.emplace(v);                             // a copy shares the storage (boost::json)
    CHECK(copy->storage() == v.storage());
  }
  CHECK(pooled_tree_blocks() == before - 1);  // the copy still lives in it
  CHECK(json::marshal(*copy, {.sort_keys = false}) == text);
  copy.reset();
  CHECK(pooled_tree_blocks() == before);
}

TEST_CASE("a returned block is the next one taken") {
  warm_pool();
  void* first = nullptr;
  {
    auto sp = tree_storage(config_map(100));
    first = sp->allocate(16, 8);
  }
  auto sp = tree_storage(config_map(100));
  CHECK(sp->allocate(16, 8) == first);
}

TEST_CASE("a tree too large for a block gets storage of its own and leaves the pool alone") {
  const std::size_t before = warm_pool();
  const std::string text = config_map(kTreeBlockSize);  // three times this is past the block
  json::value v = json::parse(text, "big.json", tree_storage(text));
  CHECK(pooled_tree_blocks() == before);
  CHECK(json::marshal(v, {.sort_keys = false}) == text);
}

TEST_CASE("a tree that outgrows its pooled block goes on in malloc'd blocks, bytes intact") {
  const std::size_t before = warm_pool();
  const std::string text = config_map(1000);
  {
    json::value v = json::parse(text, "cm.json", tree_storage(text));
    CHECK(pooled_tree_blocks() == before - 1);
    json::object& data = v.as_object()["data"].as_object();
    for (int i = 0; i < 40; ++i) data["key-" + std::to_string(i)] = std::string(4096, static_cast<char>('a' + i % 26));
    CHECK(data.size() == 41);
    CHECK(data.at("key-39").as_string() == std::string(4096, 'n'));
    CHECK(data.at("k").as_string() == std::string(1000, 'v'));
  }
  CHECK(pooled_tree_blocks() == before);
}

TEST_CASE("the pool keeps at most kMaxPooledTreeBlocks blocks") {
  std::vector<json::value> live;
  for (std::size_t i = 0; i < kMaxPooledTreeBlocks + 8; ++i) {
    const std::string text = config_map(100, "cm-" + std::to_string(i));
    live.push_back(json::parse(text, "cm.json", tree_storage(text)));
  }
  CHECK(pooled_tree_blocks() == 0);
  live.clear();
  CHECK(pooled_tree_blocks() == kMaxPooledTreeBlocks);
}

TEST_CASE("values parsed on worker threads and dropped on another return their blocks") {
  const std::size_t before = warm_pool();
  std::vector<std::optional<json::value>> kept(8);
  std::atomic<int> differ{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 8; ++t) {
    workers.emplace_back([&kept, &differ, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string text = config_map(3000 + i, "cm-" + std::to_string(t));
        json::value v = json::parse(text, "cm.json", tree_storage(text, 2));
        if (json::marshal(v, {.sort_keys = false}) != text) ++differ;
        if (i == 199) kept[t].emplace(std::move(v));  // move-constructed: it keeps its storage
      }
    });
  }
  for (auto& w : workers) w.join();
  CHECK(differ == 0);
  CHECK(pooled_tree_blocks() <= kMaxPooledTreeBlocks - 8);  // 8 blocks still leased by `kept`
  for (const auto& v : kept) CHECK(v->as_object().at("data").as_object().at("k").as_string().size() == 3199);
  kept.clear();  // dropped here, on the test's thread
  CHECK(pooled_tree_blocks() >= before);
  CHECK(pooled_tree_blocks() <= kMaxPooledTreeBlocks);
}
