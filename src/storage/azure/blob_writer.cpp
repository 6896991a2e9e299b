// Uploads of block blobs. A body that fits in one block goes up as one Put Blob; a larger one as
// Put Block requests (several in flight) and one Put Block List, which is the commit: until it
// succeeds nothing is visible under the key, and the blocks of an abandoned upload are simply
// never committed (the service discards uncommitted blocks after a week; there is no call to make).
// This is the fix of velero#2301 (RequestBodyTooLarge): no request body exceeds the block size.
// Blocks grow with the upload (AzureStoreOptions::block_size_doubling), so memory stays (max_parallel_blocks
// + 1) × blockSizeInBytes for all but huge blobs while 50,000 blocks still hold terabytes.
// The store's cancel check is made while blocks are awaited and before the commit; a cancelled
// upload's blocks stay uncommitted and expire with the others.
#include "storage/azure/responses.hpp"
#include "storage/azure/service.hpp"
#include "storage/azure/sharedkey.hpp"
#include "core/encoding.hpp"
#include "core/mapped_buffer.hpp"
#include "vbackup/error.hpp"

#include <cstdio>
#include <deque>
#include <future>
#include <random>

namespace vbackup::storage::azure {
namespace {

constexpr std::size_t kMaxBlocks = 50000;  // blocks in one committed blob
constexpr std::uint64_t kMaxBlockSize = 4000ull << 20;  // Put Block's limit since version 2019-12-12
constexpr auto kCancelPoll = std::chrono::milliseconds(100);

// A prefix unique to this upload, so two writers of the same blob never overwrite each other's
// uncommitted blocks. 15 hex digits + '-' + 8 digits = 24 bytes: base64 without padding, and the
// same length for every block (the service requires it).
std::string upload_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%015llx", static_cast<unsigned long long>(rng() & 0x0FFFFFFFFFFFFFFFull));
  return buf;
}

class BlobWriter final : public ObjectWriter {
 public:
  BlobWriter(std::shared_ptr<Service> service, std::string key, std::function<bool()> cancelled)
      : service_(std::move(service)),
        cancelled_(std::move(cancelled)),
        key_(std::move(key)),
        url_(service_->blob_url(key_)),
        first_block_size_(service_->config().block_size),
        block_size_(static_cast<std::size_t>(first_block_size_)),
        max_parallel_(std::max(1u, service_->options().max_parallel_blocks)),
        upload_id_(upload_id()) {}

  ~BlobWriter() override {
    // Abandoned: wait for the blocks in flight (their threads use this writer's service); they
    // stay uncommitted.
    for (auto& f : in_flight_) {
      try {
        f.get();
      } catch (...) {
      }
    }
  }

  void write(const void* data, std::size_t size) override {
    if (committed_) throw Error(ErrorCode::storage, what() + ": write after commit");
    if (failed_) throw Error(ErrorCode::storage, what() + ": write after a failed upload");
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      if (buffer_.size() == block_size_) stage_buffer();
      if (buffer_.capacity() < block_size_) {
        ::vbackup::detail::MappedBuffer bigger(block_size_);
        bigger.append(buffer_.data(), buffer_.size());
        buffer_ = std::move(bigger);
      }
      std::size_t n = std::min(size, block_size_ - buffer_.size());
      buffer_.append(p, n);
      p += n;
      size -= n;
      written_ += n;
    }
  }

  void commit() override {
    if (committed_) return;
    if (failed_) throw Error(ErrorCode::storage, what() + ": commit after a failed upload");
    try {
      check_cancelled();
      if (block_ids_.empty()) {
        put_blob();
      } else {
        if (!buffer_.empty()) stage_buffer();
        while (!in_flight_.empty()) reap_one();
        check_cancelled();  // the last chance before the blob becomes visible
        put_block_list();
      }
    } catch (...) {
      failed_ = true;
      throw;
    }
    committed_ = true;
    buffer_ = ::vbackup::detail::MappedBuffer();
  }

  std::uint64_t bytes_written() const override { return written_; }

 private:
  std::string what() const { return service_->describe() + ": " + key_; }

  // The size of block `number` (1-based): the first size, doubled every block_size_doubling blocks.
  std::size_t block_size_of(std::size_t number) const {
    std::uint64_t size = first_block_size_;
    unsigned every = service_->options().block_size_doubling;
    if (every == 0) return static_cast<std::size_t>(size);
    for (std::size_t n = (number - 1) / every; n > 0 && size < kMaxBlockSize; --n) size *= 2;
    return static_cast<std::size_t>(std::min(size, std::max(kMaxBlockSize, first_block_size_)));
  }

  void check_cancelled() const {
    if (cancelled_ && cancelled_()) throw Error(ErrorCode::cancelled, what() + ": upload cancelled");
  }

  void reap_one() {
    // Polled, so that a cancel is seen while a slow block goes up.
    while (in_flight_.front().wait_for(kCancelPoll) != std::future_status::ready) check_cancelled();
    auto f = std::move(in_flight_.front());
    in_flight_.pop_front();
    f.get();  // rethrows the block's error
  }

  void stage_buffer() {
    try {
      if (block_ids_.size() == kMaxBlocks) {
        throw Error(ErrorCode::storage, what() + ": the object needs more than 50,000 blocks (blocks from " +
                                            std::to_string(first_block_size_) + " bytes); raise blockSizeInBytes");
      }
      while (in_flight_.size() >= max_parallel_) reap_one();
      char suffix[16];
      std::snprintf(suffix, sizeof suffix, "-%08zu", block_ids_.size());
      std::string id = base64_encode(upload_id_ + suffix);
      block_ids_.push_back(id);
      auto block = std::make_shared<const ::vbackup::detail::MappedBuffer>(std::move(buffer_));
      std::size_t number = block_ids_.size();
      block_size_ = block_size_of(number + 1);  // the next block's buffer is mapped at its first byte
      in_flight_.push_back(std::async(std::launch::async, [service = service_, url = url_, key = key_, id, block, number] {
        put_block(*service, url, key, id, block, number);
      }));
    } catch (...) {
      failed_ = true;
      throw;
    }
  }

  static void put_block(Service& service, const std::string& url, const std::string& key, const std::string& id,
                        const std::shared_ptr<const ::vbackup::detail::MappedBuffer>& block, std::size_t number) {
    std::string operation = "Put Block " + std::to_string(number) + " of " + key;
    http::Request req = service.request("PUT", url + "?comp=block&blockid=" + url_encode(id, false), operation);
    req.headers.set("Content-MD5", content_md5(block->view()));  // the service checks the bytes it got
    req.content_length = block->size();
    req.body_source = [block] { return std::make_unique<::vbackup::detail::MappedBufferInputStream>(block); };
    http::Response resp = service.client().send(std::move(req));
    if (resp.status != 201) throw service.failure(resp, operation, key);
  }

  void put_blob() {
    std::string operation = "Put Blob " + key_;
    auto body = std::make_shared<const ::vbackup::detail::MappedBuffer>(std::move(buffer_));
    http::Request req = service_->request("PUT", url_, operation);
    req.headers.set("x-ms-blob-type", "BlockBlob");
    req.headers.set("Content-Type", "application/octet-stream");
    req.headers.set("Content-MD5", content_md5(body->view()));
    req.content_length = body->size();
    req.body_source = [body] { return std::make_unique<::vbackup::detail::MappedBufferInputStream>(body); };
    http::Response resp = service_->client().send(std::move(req));
    if (resp.status != 201) throw service_->failure(resp, operation, key_);
  }

  void put_block_list() {
    std::string operation = "Put Block List (" + std::to_string(block_ids_.size()) + " blocks) " + key_;
    http::Request req = service_->request("PUT", url_ + "?comp=blocklist", operation);
    req.body = block_list_xml(block_ids_);
    req.headers.set("Content-Type", "application/xml");
    req.headers.set("Content-MD5", content_md5(req.body));
    req.headers.set("x-ms-blob-content-type", "application/octet-stream");
    http::Response resp = service_->client().send(std::move(req));
    if (resp.status != 201) throw service_->failure(resp, operation, key_);
  }

  std::shared_ptr<Service> service_;
  std::function<bool()> cancelled_;
  std::string key_, url_;
  std::uint64_t first_block_size_;
  std::size_t block_size_;  // of the block being filled
  unsigned max_parallel_;
  std::string upload_id_;
  ::vbackup::detail::MappedBuffer buffer_;  // the block being filled (core/mapped_buffer.hpp: why not a string)
  std::vector<std::string> block_ids_;
  std::deque<std::future<void>> in_flight_;
  std::uint64_t written_ = 0;
  bool committed_ = false;
  bool failed_ = false;
};

}  // namespace

std::unique_ptr<ObjectWriter> open_blob_writer(std::shared_ptr<Service> service, const std::string& key,
                                               std::function<bool()> cancelled) {
  return std::make_unique<BlobWriter>(std::move(service), key, std::move(cancelled));
}

}  // namespace vbackup::storage::azure
