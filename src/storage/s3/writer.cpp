// Writing an S3 object: one PutObject for an object of at most one part, else a multipart upload
// whose parts go up in parallel (at most `upload_parallelism` parts in memory, the one being
// filled included), each retried on its own; CompleteMultipartUpload is the commit, and a failed
// or abandoned upload is aborted (velero#5856). Parts grow with the upload (part_size_of), so the
// memory of a writer is upload_parallelism × 5 MiB up to a 4.9 GiB object and S3's 10,000 parts
// still reach 5 TB. The store's cancel check is made while the writer waits for parts and before
// the commit, so a cancel waits at most for the parts in flight before the upload is aborted.
#include "core/xml.hpp"
#include "storage/s3/checksum.hpp"
#include "storage/s3/store.hpp"

#include <algorithm>
#include <deque>
#include <future>

namespace vbackup::s3 {
namespace {

constexpr std::size_t kMaxParts = 10000;
constexpr std::uint64_t kMaxPartSize = 5ull << 30;  // S3's UploadPart limit
constexpr auto kCancelPoll = std::chrono::milliseconds(100);

class S3Writer final : public storage::ObjectWriter {
 public:
  S3Writer(S3Store& store, std::string key);
  ~S3Writer() override;
  using ObjectWriter::write;
  void write(const void* data, std::size_t size) override;
  void commit() override;
  std::uint64_t bytes_written() const override { return written_; }

 private:
  void flush_part();
  void wait_oldest();
  void check_cancelled() const;
  void abort_upload() noexcept;
  template <typename F>
  void guarded(F&& f);

  S3Store& store_;
  std::string key_;
  detail::MappedBuffer buffer_;  // the part being filled (core/mapped_buffer.hpp: why not a string)
  std::string upload_id_;
  int next_part_ = 1;
  std::deque<std::future<Part>> in_flight_;
  std::vector<Part> done_;
  bool committed_ = false, failed_ = false;
  std::uint64_t written_ = 0;
};

S3Writer::S3Writer(S3Store& store, std::string key) : store_(store), key_(std::move(key)) {}

S3Writer::~S3Writer() {
  if (!committed_) abort_upload();
}

template <typename F>
void S3Writer::guarded(F&& f) {
  if (committed_) throw Error(ErrorCode::storage, store_.name(key_) + ": write after commit");
  if (failed_) throw Error(ErrorCode::storage, store_.name(key_) + ": the upload already failed");
  try {
    f();
  } catch (...) {
    failed_ = true;
    abort_upload();
    throw;
  }
}

void S3Writer::write(const void* data, std::size_t size) {
  guarded([&] {
    const char* p = static_cast<const char*>(data);
    auto part_size = static_cast<std::size_t>(part_size_of(store_.config(), next_part_));
    while (size > 0) {
      // A full buffer becomes a part only once more bytes arrive, so an object of exactly one
      // part goes up in a single PutObject.
      if (buffer_.size() >= part_size) {
        flush_part();
        part_size = static_cast<std::size_t>(part_size_of(store_.config(), next_part_));
      }
      if (buffer_.capacity() < part_size) {
        detail::MappedBuffer bigger(part_size);
        bigger.append(buffer_.data(), buffer_.size());
        buffer_ = std::move(bigger);
      }
      std::size_t n = std::min(size, part_size - buffer_.size());
      buffer_.append(p, n);
      p += n;
      size -= n;
      written_ += n;
    }
  });
}

void S3Writer::flush_part() {
  if (upload_id_.empty()) upload_id_ = store_.create_multipart(key_);
  if (static_cast<std::size_t>(next_part_) > kMaxParts) {
    throw Error(ErrorCode::storage, store_.name(key_) + ": more than 10000 parts (" + std::to_string(written_) +
                                        " bytes, parts from " + std::to_string(store_.config().part_size) +
                                        " bytes); raise the part size");
  }
  const std::size_t parallelism = store_.config().upload_parallelism;
  auto data = std::make_shared<const detail::MappedBuffer>(std::move(buffer_));
  int number = next_part_++;
  if (parallelism <= 1) {
    done_.push_back(store_.upload_part(key_, upload_id_, number, std::move(data)));
    return;
  }
  // The buffer being filled counts against the bound, so at most parallelism - 1 parts upload
  // while the caller writes the next one.
  while (in_flight_.size() + 1 >= parallelism) wait_oldest();
  in_flight_.push_back(std::async(std::launch::async, [this, number, data = std::move(data)]() mutable {
    return store_.upload_part(key_, upload_id_, number, std::move(data));
  }));
}

void S3Writer::check_cancelled() const {
  if (store_.cancel_requested()) throw Error(ErrorCode::cancelled, store_.name(key_) + ": upload cancelled");
}

void S3Writer::wait_oldest() {
  // Polled, so that a cancel is seen while a slow part goes up; the abort then waits for the parts
  // in flight (their requests cannot be interrupted) and aborts the upload.
  while (in_flight_.front().wait_for(kCancelPoll) != std::future_status::ready) check_cancelled();
  std::future<Part> f = std::move(in_flight_.front());
  in_flight_.pop_front();
  done_.push_back(f.get());
}

void S3Writer::commit() {
  if (committed_) return;
  guarded([&] {
    check_cancelled();
    if (upload_id_.empty()) {
      store_.put_object(key_, std::make_shared<const detail::MappedBuffer>(std::move(buffer_)));
    } else {
      if (!buffer_.empty()) flush_part();
      while (!in_flight_.empty()) wait_oldest();
      check_cancelled();  // the last chance before the object becomes visible
      std::sort(done_.begin(), done_.end(), [](const Part& a, const Part& b) { return a.number < b.number; });
      store_.complete_multipart(key_, upload_id_, done_);
      upload_id_.clear();
    }
    buffer_ = detail::MappedBuffer();
    committed_ = true;
  });
}

void S3Writer::abort_upload() noexcept {
  for (auto& f : in_flight_) {
    try {
      f.get();
    } catch (...) {
    }
  }
  in_flight_.clear();
  buffer_ = detail::MappedBuffer();
  if (upload_id_.empty()) return;
  try {
    store_.abort_multipart(key_, upload_id_);
  } catch (const std::exception& e) {
    store_.log(std::string("abandoned multipart upload left behind: ") + e.what());
  }
  upload_id_.clear();
}

}  // namespace

std::uint64_t part_size_of(const Config& config, int number) {
  std::uint64_t size = config.part_size;
  if (config.part_size_doubling == 0 || number < 1) return size;
  for (auto n = static_cast<std::uint64_t>(number - 1) / config.part_size_doubling; n > 0 && size < kMaxPartSize; --n) {
    size *= 2;
  }
  return std::min(size, std::max(kMaxPartSize, config.part_size));
}

void S3Store::put_object(const std::string& key, std::shared_ptr<const detail::MappedBuffer> data) {
  std::string what = "PUT " + name(key);
  http::Request r = request("PUT", key, {}, what);
  add_object_headers(r);
  if (!cfg_.checksum_algorithm.empty()) {
    // Both headers, as the AWS SDKs send them (moto records the checksum only with the second).
    r.headers.set(checksum_header(cfg_.checksum_algorithm), checksum_base64(cfg_.checksum_algorithm, data->view()));
    r.headers.set("x-amz-sdk-checksum-algorithm", cfg_.checksum_algorithm);
  }
  std::string hash = sha256_hex(data->view());
  r.content_length = data->size();
  r.body_source = [data] { return std::make_unique<detail::MappedBufferInputStream>(data); };
  http::Response resp = send(std::move(r), hash);
  if (resp.status != 200) throw error_from(resp, resp.body, what);
}

std::string S3Store::create_multipart(const std::string& key) {
  std::string what = "CreateMultipartUpload " + name(key);
  http::Request r = request("POST", key, {{"uploads", ""}}, what);
  add_object_headers(r);
  if (!cfg_.checksum_algorithm.empty()) r.headers.set("x-amz-checksum-algorithm", cfg_.checksum_algorithm);
  // Retried like every S3 call in the AWS SDKs (a 503 SlowDown is common here). A retry after a
  // response was lost can leave an unused upload behind, which only an AbortIncompleteMultipartUpload
  // lifecycle rule reclaims; failing the whole backup instead would be worse.
  http::Response resp = send(std::move(r), sha256_hex(""));
  if (resp.status != 200) throw error_from(resp, resp.body, what);
  xml::Element result = xml::parse(resp.body, what);
  std::string id = result.child_text("UploadId");
  if (result.name != "InitiateMultipartUploadResult" || id.empty()) {
    throw Error(ErrorCode::storage, what + ": the answer has no UploadId");
  }
  return id;
}

Part S3Store::upload_part(const std::string& key, const std::string& upload_id, int number,
                          std::shared_ptr<const detail::MappedBuffer> data) {
  std::string what = "UploadPart " + name(key) + " part " + std::to_string(number);
  http::Request r = request("PUT", key, {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}}, what);
  add_sse_c(r);
  Part part;
  part.number = number;
  if (!cfg_.checksum_algorithm.empty()) {
    part.checksum = checksum_base64(cfg_.checksum_algorithm, data->view());
    r.headers.set(checksum_header(cfg_.checksum_algorithm), part.checksum);
    r.headers.set("x-amz-sdk-checksum-algorithm", cfg_.checksum_algorithm);
  }
  std::string hash = sha256_hex(data->view());
  r.content_length = data->size();
  r.body_source = [data] { return std::make_unique<detail::MappedBufferInputStream>(data); };
  http::Response resp = send(std::move(r), hash);
  if (resp.status != 200) throw error_from(resp, resp.body, what);
  part.etag = resp.headers.get("ETag").value_or("");
  if (part.etag.empty()) throw Error(ErrorCode::storage, what + ": the answer has no ETag");
  return part;
}

void S3Store::complete_multipart(const std::string& key, const std::string& upload_id, const std::vector<Part>& parts) {
  std::string what = "CompleteMultipartUpload " + name(key) + " (" + std::to_string(parts.size()) + " parts)";
  std::string body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const Part& p : parts) {
    body += "<Part><ETag>" + xml::escape(p.etag) + "</ETag>";
    if (!p.checksum.empty()) {
      std::string el = checksum_element(cfg_.checksum_algorithm);
      body += "<" + el + ">" + p.checksum + "</" + el + ">";
    }
    body += "<PartNumber>" + std::to_string(p.number) + "</PartNumber></Part>";
  }
  body += "</CompleteMultipartUpload>";
  http::Request r = request("POST", key, {{"uploadId", upload_id}}, what);
  r.headers.set("Content-Type", "application/xml");
  add_sse_c(r);
  std::string hash = sha256_hex(body);
  r.body = std::move(body);
  http::Response resp = send(std::move(r), hash);
  if (resp.status != 200) throw error_from(resp, resp.body, what);
  // S3 may answer 200 and still fail the completion, with an <Error> body.
  xml::Element result = xml::parse(resp.body, what);
  if (result.name == "Error") {
    http::Response as_error = resp;
    as_error.status = 500;
    throw error_from(as_error, resp.body, what);
  }
}

void S3Store::abort_multipart(const std::string& key, const std::string& upload_id) {
  std::string what = "AbortMultipartUpload " + name(key);
  http::Response resp = send(request("DELETE", key, {{"uploadId", upload_id}}, what), sha256_hex(""));
  if (resp.status == 404) return;  // NoSuchUpload: nothing left to abort
  if (resp.status != 204 && resp.status != 200) throw error_from(resp, resp.body, what);
}

std::unique_ptr<storage::ObjectWriter> open_writer(S3Store& store, std::string key) {
  return std::make_unique<S3Writer>(store, std::move(key));
}

}  // namespace vbackup::s3
