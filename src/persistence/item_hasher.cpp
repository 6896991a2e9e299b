// The checksum manifest's item hashes off the backup's main thread (issue 17, session 6): the
// per-item SHA-256 and spill entry were 25% of a live backup's CPU on its critical path.
#include "persistence/sealed_store.hpp"

#include "vbackup/error.hpp"

#include <openssl/evp.h>

#include <cstring>

namespace vbackup::sealing::detail {

// ---- Sha256Digester ------------------------------------------------------------------------------

Sha256Digester::Sha256Digester() : ctx_(EVP_MD_CTX_new()), md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {
  if (!ctx_ || !md_) {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
    throw Error(ErrorCode::generic, "OpenSSL: SHA-256 init failed");
  }
}

Sha256Digester::~Sha256Digester() {
  EVP_MD_CTX_free(ctx_);
  EVP_MD_free(md_);
}

void Sha256Digester::digest(std::string_view bytes, unsigned char* out32) {
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1 || EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx_, out32, &len) != 1 || len != 32) {
    throw Error(ErrorCode::generic, "OpenSSL: SHA-256 failed");
  }
}

// ---- ItemHasher ----------------------------------------------------------------------------------

struct ItemHasher::Batch {
  std::string arena;  // path then bytes of each item (path only for a repeat), back to back
  struct Item {
    std::size_t offset, path_size, size;
    bool repeat;  // the same bytes as the last item of this batch that has its bytes: its digest
  };
  std::vector<Item> items;
  std::size_t last_offset = 0, last_size = 0;  // in arena: the bytes of that last item (items not empty)
  bool same_as_last(std::string_view bytes) const {
    return !items.empty() && last_size == bytes.size() &&
           (bytes.empty() || std::memcmp(arena.data() + last_offset, bytes.data(), bytes.size()) == 0);
  }
  void clear() {
    items.clear();
    arena.clear();
  }
};

ItemHasher::ItemHasher(Sink sink, std::size_t batch_bytes, std::size_t max_batches)
    : sink_(std::move(sink)), batch_bytes_(batch_bytes), max_batches_(max_batches < 2 ? 2 : max_batches) {
  current_ = std::make_unique<Batch>();
  current_->arena.reserve(batch_bytes_);
  batches_ = 1;
  worker_ = std::thread([this] { run(); });
}

ItemHasher::~ItemHasher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void ItemHasher::rethrow_locked() {
  if (error_) std::rethrow_exception(error_);
}

void ItemHasher::add(std::string_view path, std::string_view bytes) {
  // current_ is the producer's own (one thread at a time, as record_item calls it): no lock per item.
  if (failed_.load(std::memory_order_acquire) || finished_) {
    std::lock_guard lock(mutex_);
    rethrow_locked();
    throw Error(ErrorCode::generic, "checksum manifest: item " + std::string(path) + " added after the seal");
  }
  // The backup writes each item twice, under resources/<gr>/ and its preferred version's folder, with
  // the same bytes (runner.cpp): a repeat is compared (memcmp), not copied and hashed again.
  const bool repeat = current_->same_as_last(bytes);
  if (!repeat && current_->arena.size() >= batch_bytes_) {
    std::unique_lock lock(mutex_);
    hand_over(lock);
  }
  Batch& b = *current_;
  b.items.push_back({b.arena.size(), path.size(), bytes.size(), repeat});
  b.arena.append(path);
  if (!repeat) {
    b.last_offset = b.arena.size();
    b.last_size = bytes.size();
    b.arena.append(bytes);
  }
}

void ItemHasher::hand_over(std::unique_lock<std::mutex>& lock) {
  full_.push_back(std::move(current_));
  cv_.notify_all();
  // A free batch, or a new one while fewer than max_batches exist; else wait for the worker.
  cv_.wait(lock, [&] { return !free_.empty() || batches_ < max_batches_ || error_ || stop_; });
  rethrow_locked();
  if (!free_.empty()) {
    current_ = std::move(free_.front());
    free_.pop_front();
  } else {
    current_ = std::make_unique<Batch>();
    current_->arena.reserve(batch_bytes_);
    ++batches_;
  }
}

void ItemHasher::finish() {
  {
    std::unique_lock lock(mutex_);
    rethrow_locked();
    if (finished_) return;
    finished_ = true;
    if (!current_->items.empty()) full_.push_back(std::move(current_));
    done_ = true;
  }
  cv_.notify_all();
  worker_.join();
  std::lock_guard lock(mutex_);
  rethrow_locked();
}

void ItemHasher::run() {
  try {
    Sha256Digester digester;
    unsigned char digest[32];
    for (;;) {
      std::unique_ptr<Batch> batch;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || done_ || !full_.empty(); });
        if (stop_ || full_.empty()) return;  // stopped, or done with nothing left
        batch = std::move(full_.front());
        full_.pop_front();
      }
      for (const auto& item : batch->items) {
        std::string_view path(batch->arena.data() + item.offset, item.path_size);
        // A repeat keeps the digest of the item before it (the first of a batch is never one).
        if (!item.repeat) digester.digest(std::string_view(batch->arena.data() + item.offset + item.path_size, item.size), digest);
        sink_(path, item.size, digest);
      }
      batch->clear();
      // An item far larger than a batch left its arena large: give that memory back.
      if (batch->arena.capacity() > 4 * batch_bytes_) {
        batch->arena.shrink_to_fit();
        batch->arena.reserve(batch_bytes_);
      }
      {
        std::lock_guard lock(mutex_);
        free_.push_back(std::move(batch));
      }
      cv_.notify_all();
    }
  } catch (...) {  // the spill's disk full, OpenSSL: rethrown on the backup's thread
    std::lock_guard lock(mutex_);
    error_ = std::current_exception();
    failed_.store(true, std::memory_order_release);
    cv_.notify_all();
  }
}

}  // namespace vbackup::sealing::detail
