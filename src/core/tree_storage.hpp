// Where one parsed Kubernetes object lives while a worker handles it: a bump allocator
// (boost::json::monotonic_resource, freed at once when the last value using it goes) whose first
// block is recycled through a small process-wide pool instead of malloc'd and freed per object.
//
// Why (issue 17, docs/benchmarks.md "Issue 17, session 7"): a restore parses every item and every
// create answer into a bump allocator whose first block is sized for the whole tree (tens of KiB),
// on 8 workers. Malloc'd and freed per object from 8 threads, those blocks fragmented glibc's
// per-thread arenas, and the restore's peak RSS grew with the item count. The library cannot set
// the process's malloc options (embedders own them; MALLOC_ARENA_MAX=2 also cost the restore 5-9%
// CPU here), so the blocks that churn are kept out of malloc instead: a pooled block goes back to
// the pool when its tree dies, on whatever thread that is, and the pool never holds more than
// kMaxPooledTreeBlocks. Measured: 30.7 -> 29.4 MiB peak at 100k items; the rest of the growth was
// the restore log's gzip blocks (core/parallel_gzip.cpp now recycles them).
#pragma once

#include <boost/json/storage_ptr.hpp>

#include <cstddef>
#include <string_view>

namespace vbackup::detail {

// The pooled block's size: the tree of a 10 KB object with a copy of it and its edits fits (three
// times the text, twice), so most items never allocate past it; a larger tree goes on in blocks
// from malloc. Its pages count once touched, and a block is touched only as far as its trees reached.
inline constexpr std::size_t kTreeBlockSize = 64 * 1024;
inline constexpr std::size_t kMaxPooledTreeBlocks = 32;  // 2 MiB at most, kept for the process's life

// A storage for the tree parsed from `text` and edited in place (`room` trees of it, each
// json::tree_size_hint(text): 2 when a copy of it lives next to it). Trees that fit kTreeBlockSize start in a pooled
// block; larger ones get a monotonic resource with a first block of their own size, as before.
boost::json::storage_ptr tree_storage(std::string_view text, std::size_t room = 1);

// How many blocks wait in the pool now (for tests).
std::size_t pooled_tree_blocks();

}  // namespace vbackup::detail
