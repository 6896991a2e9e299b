#include "core/tree_storage.hpp"

#include "vbackup/json.hpp"

#include <boost/json/monotonic_resource.hpp>

#include <memory>
#include <mutex>
#include <new>
#include <vector>

namespace vbackup::detail {
namespace {

struct BlockPool {
  std::mutex mu;
  std::vector<void*> free;

  void* take() {
    {
      std::lock_guard lock(mu);
      if (!free.empty()) {
        void* b = free.back();
        free.pop_back();
        return b;
      }
    }
    return ::operator new(kTreeBlockSize);
  }
  void give_back(void* b) noexcept {
    {
      std::lock_guard lock(mu);
      if (free.size() < kMaxPooledTreeBlocks) {
        free.push_back(b);  // reserved below: no allocation under the lock, nothing to throw
        return;
      }
    }
    ::operator delete(b);
  }
};

// Never destroyed: a tree may die during static destruction (a value held by a static), and its
// block must still have a pool to go back to. Reachable, so leak checkers stay quiet.
BlockPool& pool() {
  static BlockPool* p = [] {
    auto* q = new BlockPool;
    q->free.reserve(kMaxPooledTreeBlocks);
    return q;
  }();
  return *p;
}

// A monotonic resource over a pooled block. The lease is declared first, so it is destroyed last:
// the monotonic resource frees the blocks it took from malloc, then the pooled one goes back.
class PooledTreeResource final : public boost::json::memory_resource {
 public:
  PooledTreeResource() : lease_{pool().take()}, mono_(static_cast<unsigned char*>(lease_.block), kTreeBlockSize) {}

 private:
  struct Lease {
    void* block;
    ~Lease() { pool().give_back(block); }
  };

  void* do_allocate(std::size_t n, std::size_t align) override { return mono_.allocate(n, align); }
  void do_deallocate(void*, std::size_t, std::size_t) override {}  // freed all at once, as monotonic
  bool do_is_equal(const memory_resource& other) const noexcept override { return this == &other; }

  Lease lease_;
  boost::json::monotonic_resource mono_;
};

}  // namespace
}  // namespace vbackup::detail

// Deallocation is a no-op: containers using this storage skip their deallocate calls, as they do
// for a monotonic_resource.
namespace boost::json {
template <>
struct is_deallocate_trivial<vbackup::detail::PooledTreeResource> : std::true_type {};
}  // namespace boost::json

namespace vbackup::detail {

boost::json::storage_ptr tree_storage(std::string_view text, std::size_t room) {
  const std::size_t need = room * json::tree_size_hint(text);
  if (need <= kTreeBlockSize) return boost::json::make_shared_resource<PooledTreeResource>();
  return boost::json::make_shared_resource<boost::json::monotonic_resource>(need);
}

std::size_t pooled_tree_blocks() {
  BlockPool& p = pool();
  std::lock_guard lock(p.mu);
  return p.free.size();
}

}  // namespace vbackup::detail
