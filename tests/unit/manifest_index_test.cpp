// The manifests source's on-disk index (issue 17): an offline backup of a million objects keeps
// flat memory. The index sorts through bounded runs on disk and keeps one key every `stride`
// entries in memory; lists come in the API server's storage-key order, the later of two
// definitions wins, as kubectl apply would leave it.
#include "core/item_set.hpp"
#include "manifests/object_index.hpp"
#include "test_helpers.hpp"
#include "vbackup/cluster.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

using namespace vbackup;
using manifests::detail::ObjectIndex;
using manifests::detail::RecordSpill;

namespace {

std::string storage_key(const std::string& ns, const std::string& name) { return ns.empty() ? name : ns + "/" + name; }

}  // namespace

TEST_CASE("issue 17: the index spills its sort and keeps one key in `stride` in memory") {
  ObjectIndex::Limits limits;
  limits.run_bytes = 8 * 1024;
  limits.stride = 16;
  ObjectIndex index(limits);
  // resource -> storage key -> (sequence, entry) the index must keep (the highest sequence).
  std::map<std::string, std::map<std::string, std::pair<std::uint64_t, ObjectIndex::Entry>>> want;
  std::mt19937 rng(17);
  const char* namespaces[] = {"a", "a-b", "b", "kube-system"};
  std::uint64_t seq = 0;
  int duplicates = 0;
  for (int i = 0; i < 6000; ++i) {
    bool cluster_scoped = i % 5 == 0;
    std::string resource = cluster_scoped ? "/persistentvolumes" : (i % 2 ? "/configmaps" : "apps/deployments");
    ObjectIndex::Entry e;
    e.ns = cluster_scoped ? "" : namespaces[rng() % 4];
    e.name = "obj-" + std::to_string(rng() % 3000);  // some names come twice: duplicates
    e.origin = "file-" + std::to_string(i) + ".yaml:1";
    e.offset = static_cast<std::uint64_t>(i) * 1000;
    e.length = static_cast<std::uint32_t>(i);
    auto& slot = want[resource][storage_key(e.ns, e.name)];
    if (slot.first) ++duplicates;
    slot = {++seq, e};
    index.add(resource, e, seq);
  }
  REQUIRE(duplicates > 0);
  int reported = 0;
  index.finish([&](std::string_view resource, const ObjectIndex::Entry& later, const ObjectIndex::Entry& earlier,
                   std::uint64_t) {
    ++reported;
    CHECK(later.name == earlier.name);
    CHECK(later.ns == earlier.ns);
    CHECK(later.offset > earlier.offset);  // added later
    CHECK(want.at(std::string(resource)).count(storage_key(later.ns, later.name)));
  });
  CHECK(reported == duplicates);

  std::uint64_t total = 0;
  for (const auto& [resource, entries] : want) total += entries.size();
  auto stats = index.stats();
  CHECK(stats.entries == total);
  CHECK(stats.sort_runs > 1);  // the sort did not hold the entries in memory
  CHECK(stats.resident_keys <= total / limits.stride + want.size());

  for (const auto& kv : want) {
    const std::string& resource = kv.first;  // named, not bound: the lambdas below capture them (clang 14)
    const auto& entries = kv.second;
    // Whole resource: every entry once, in storage-key order ("a-b/..." before "a/...").
    std::vector<std::string> got;
    index.for_each(resource, "", [&](ObjectIndex::Entry&& e) {
      auto it = entries.find(storage_key(e.ns, e.name));
      REQUIRE(it != entries.end());
      CHECK(e.offset == it->second.second.offset);  // the later definition
      CHECK(e.origin == it->second.second.origin);
      got.push_back(storage_key(e.ns, e.name));
    });
    CHECK(got.size() == entries.size());
    CHECK(std::is_sorted(got.begin(), got.end()));
    CHECK(index.count(resource, "") == static_cast<std::int64_t>(entries.size()));
    // One namespace at a time.
    for (const char* ns : namespaces) {
      std::int64_t n = 0;
      index.for_each(resource, ns, [&](ObjectIndex::Entry&& e) {
        CHECK(e.ns == ns);
        ++n;
      });
      std::int64_t expected = std::count_if(entries.begin(), entries.end(), [&](const auto& kv) { return kv.second.second.ns == ns; });
      CHECK(n == expected);
      CHECK(index.count(resource, ns) == expected);
    }
    // Point lookups: each entry, and names around them that are not there.
    for (const auto& [key, v] : entries) {
      auto e = index.find(resource, v.second.ns, v.second.name);
      REQUIRE(e);
      CHECK(e->offset == v.second.offset);
      CHECK_FALSE(index.find(resource, v.second.ns, v.second.name + "x"));
    }
    CHECK_FALSE(index.find(resource, "", ""));
    CHECK_FALSE(index.find(resource, "zzz", "obj-1"));
  }
  CHECK_FALSE(index.find("/secrets", "a", "obj-1"));
  CHECK(index.count("/secrets", "") == 0);
}

TEST_CASE("issue 17: names with control bytes keep the API server's bytewise order") {
  ObjectIndex::Limits limits;
  limits.stride = 1;
  ObjectIndex index(limits);
  std::vector<std::string> names = {"a\x01z", "a", "a\nb", std::string("a\0b", 3), "a\x02", "a\x0f", "a\x10", "A"};
  std::uint64_t seq = 0;
  for (const auto& n : names) index.add("/configmaps", {"ns", n, "o", 0, 0}, ++seq);
  index.finish({});
  std::vector<std::string> got;
  index.for_each("/configmaps", "ns", [&](ObjectIndex::Entry&& e) { got.push_back(e.name); });
  std::sort(names.begin(), names.end());
  CHECK(got == names);
  for (const auto& n : names) CHECK(index.find("/configmaps", "ns", n));
}

TEST_CASE("issue 17: pending records come back in order with every byte") {
  RecordSpill spill;
  std::string binary("x\0y\n", 4);
  for (int i = 0; i < 1000; ++i) spill.put({std::to_string(i), binary, ""});
  int i = 0;
  spill.for_each([&](std::vector<std::string>& f) {
    REQUIRE(f.size() == 3);
    CHECK(f[0] == std::to_string(i++));
    CHECK(f[1] == binary);
    CHECK(f[2].empty());
  });
  CHECK(i == 1000);
}

TEST_CASE("issue 17: the manifests source lists, counts and gets from its on-disk index") {
  testing::TempDir dir("manifest-index");
  // 3 namespaces x 700 ConfigMaps in one List file, in reverse order, plus a duplicate.
  std::string list = R"({"apiVersion":"v1","kind":"List","items":[)";
  for (int i = 2099; i >= 0; --i) {
    std::string ns = i % 3 == 0 ? "a" : i % 3 == 1 ? "a-b" : "b";
    list += R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-)" + std::to_string(i) +
            R"(","namespace":")" + ns + R"("},"data":{"v":"first"}})" + (i ? "," : "");
  }
  list += "]}";
  dir.write("objects.json", list);
  dir.write("z.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-0, namespace: a}\ndata: {v: second}\n");
  auto source = open_manifest_source({dir.path});
  const ApiResource* cms = source->discovery().find("", "configmaps");
  REQUIRE(cms);
  std::vector<std::string> keys;
  source->list(*cms, {}, [&](json::object&& o) {
    keys.push_back(std::string(json::get_string(o.at("metadata").as_object(), "namespace")) + "/" +
                   std::string(json::get_string(o.at("metadata").as_object(), "name")));
  });
  CHECK(keys.size() == 2100);
  CHECK(std::is_sorted(keys.begin(), keys.end()));
  CHECK(keys.front().starts_with("a-b/"));  // '-' < '/': storage-key order
  ListOptions in_b;
  in_b.namespace_ = "b";
  CHECK(source->count(*cms, in_b) == 700);
  int listed = 0;
  source->list(*cms, in_b, [&](json::object&&) { ++listed; });
  CHECK(listed == 700);
  auto cm = source->get(*cms, "a", "cm-0");
  REQUIRE(cm);
  CHECK(json::marshal(cm->at("data")) == R"({"v":"second"})");  // the later definition wins
  CHECK_FALSE(source->get(*cms, "b", "cm-0"));
  auto warnings = source->warnings();
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("also defined at") != std::string::npos);
  // The implied Namespace objects are there too.
  const ApiResource* nss = source->discovery().find("", "namespaces");
  REQUIRE(nss);
  CHECK(source->count(*nss, {}) == 3);
}

TEST_CASE("issue 17: SortedSpill merges every 64 runs of a level, so open run files stay few") {
  vbackup::detail::SortedSpill spill(64);  // a handful of lines a run: thousands of runs
  std::set<std::string> want;
  std::mt19937 rng(6);
  std::size_t most_open = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string line = "line-" + std::to_string(rng() % 20000);  // duplicates too
    want.insert(line);
    spill.add(line);
    most_open = std::max(most_open, spill.spilled_runs());
  }
  CHECK(most_open < 3 * vbackup::detail::SortedSpill::kFanIn);
  std::vector<std::string> got;
  spill.for_each_sorted([&](std::string_view l) { got.emplace_back(l); });
  CHECK(got == std::vector<std::string>(want.begin(), want.end()));
}
