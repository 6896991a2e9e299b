#include "core/spilling_item_set.hpp"

#include <algorithm>

namespace vbackup::detail {

SpillingItemSet::SpillingItemSet(std::size_t memory_items, std::filesystem::path directory)
    : memory_items_(memory_items), directory_(std::move(directory)) {}

bool SpillingItemSet::insert(std::string_view key) {
  if (memory_.contains(key)) return false;
  // Once spilled, new keys go to disk only, even if an erase made room in memory: a key is in one
  // part at most, so size() is the sum of both.
  if (!disk_ && memory_.size() < memory_items_) return memory_.insert(key);
  if (!disk_) {
    std::filesystem::path dir = directory_.empty() ? std::filesystem::temp_directory_path() : directory_;
    // Sized once: from the estimate, or, without one, for a million keys (a 32 MiB sparse table
    // file): doubling the table on the way re-inserts every key with a read and a write each,
    // which cost 6 CPU-s at 1M (docs/benchmarks.md, issue 17 session 6).
    std::uint64_t rest = expected_ == 0 ? kUnknownDiskItems : expected_ > memory_items_ ? expected_ - memory_items_ : 0;
    disk_ = std::make_unique<DiskItemSet>(dir, std::max<std::uint64_t>(rest, memory_items_), "vbackup-backed-up-",
                                          "backed-up-items set");
  }
  return disk_->insert(key);
}

bool SpillingItemSet::contains(std::string_view key) const {
  return memory_.contains(key) || (disk_ && disk_->contains(key));
}

void SpillingItemSet::erase(std::string_view key) {
  if (memory_.contains(key)) {
    memory_.erase(key);
  } else if (disk_) {
    disk_->erase(key);
  }
}

}  // namespace vbackup::detail
