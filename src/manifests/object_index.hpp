// The manifests source's index of objects, kept on disk (issue 17): an offline backup of a million
// objects must not hold a million index entries in memory. Entries are added in the order they are
// read, sorted through core's SortedSpill (bounded runs on disk), and written to a temporary index
// file in the API server's list order; memory keeps one key every `stride` entries to find its way
// back, plus counts per resource and namespace.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::detail {
class SortedSpill;
}

namespace vbackup::manifests::detail {

// Fields written one record after the other to a temporary file and read back in the same order:
// what the source has learnt of each object before discovery is complete (a CRD may come after its
// custom resources), so the pending objects cost disk, not memory.
class RecordSpill {
 public:
  RecordSpill();
  ~RecordSpill();
  RecordSpill(const RecordSpill&) = delete;
  RecordSpill& operator=(const RecordSpill&) = delete;
  void put(const std::vector<std::string_view>& fields);
  // Once, after the last put: calls `each` with every record's fields, in order.
  void for_each(const std::function<void(std::vector<std::string>& fields)>& each);
  std::uint64_t records() const { return records_; }

 private:
  std::FILE* file_ = nullptr;
  std::uint64_t records_ = 0;
};

class ObjectIndex {
 public:
  struct Entry {
    std::string ns, name, origin;  // ns empty for cluster-scoped objects
    std::uint64_t offset = 0;      // the object's JSON in the source's object spill file
    std::uint32_t length = 0;
  };
  struct Limits {
    std::size_t run_bytes = 1 << 20;  // the sort's memory (SortedSpill's run size)
    std::size_t stride = 64;          // one key kept in memory every `stride` entries
  };
  struct Stats {
    std::uint64_t entries = 0;        // after duplicates were dropped
    std::uint64_t resident_keys = 0;  // keys held in memory to seek into the index file
    std::size_t sort_runs = 0;        // runs the sort spilled to disk (0: it fitted in run_bytes)
  };
  using DuplicateCallback = std::function<void(std::string_view resource, const Entry& later, const Entry& earlier,
                                               std::uint64_t later_sequence)>;

  ObjectIndex() : ObjectIndex(Limits{}) {}
  explicit ObjectIndex(Limits limits);
  ~ObjectIndex();
  ObjectIndex(const ObjectIndex&) = delete;
  ObjectIndex& operator=(const ObjectIndex&) = delete;

  // Before finish(), in any order. `resource` is the source's resource key ("apps/deployments");
  // `sequence` orders definitions of the same object: the highest wins (kubectl apply's "the later
  // definition wins"). Sequences must be unique.
  void add(std::string_view resource, const Entry& e, std::uint64_t sequence);
  // Sorts and writes the index file. `on_duplicate` is called for each definition replaced by a
  // later one of the same resource, namespace and name (later first), in sort order.
  void finish(const DuplicateCallback& on_duplicate);

  // After finish(). Entries of `resource` in the API server's storage-key order ("<ns>/<name>" or
  // "<name>" compared as one string); `ns` non-empty keeps that namespace's only.
  void for_each(std::string_view resource, std::string_view ns, const std::function<void(Entry&&)>& each) const;
  std::optional<Entry> find(std::string_view resource, std::string_view ns, std::string_view name) const;
  std::int64_t count(std::string_view resource, std::string_view ns) const;
  Stats stats() const { return stats_; }

 private:
  struct Resource {
    std::uint64_t begin = 0, end = 0;  // byte range in the index file
    std::int64_t count = 0;
    std::map<std::string, std::int64_t, std::less<>> per_namespace;
    std::vector<std::pair<std::string, std::uint64_t>> keys;  // every stride-th storage key and its record's offset
  };
  // Reads records of the index file from `from` to `to`, calling `each` until it returns false.
  void scan(std::uint64_t from, std::uint64_t to, const std::function<bool(Entry&&)>& each) const;
  // The offset of the last kept key not after `storage_key` (where a scan for it starts).
  std::uint64_t seek(const Resource& r, std::string_view storage_key) const;

  Limits limits_;
  std::unique_ptr<vbackup::detail::SortedSpill> sort_;
  std::FILE* file_ = nullptr;
  std::map<std::string, Resource, std::less<>> resources_;
  Stats stats_;
};

}  // namespace vbackup::manifests::detail
