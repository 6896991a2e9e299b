// Reading an S3 object: GetObject, ranged with a Range header, streamed; after a dropped
// connection the rest is asked for again, pinned to the same object by its ETag (If-Match).
#include "storage/s3/store.hpp"

#include <algorithm>

namespace vbackup::s3 {
namespace {

constexpr std::size_t kErrorBodyLimit = 1 << 20;

class S3Reader final : public InputStream {
 public:
  S3Reader(S3Store& store, std::string key, const storage::ByteRange& range);
  std::size_t read(void* buffer, std::size_t size) override;

 private:
  void open(bool resume);

  S3Store& store_;
  std::string key_;
  std::uint64_t start_;
  std::optional<std::uint64_t> length_;  // requested
  std::optional<std::uint64_t> expected_;  // what the answer said it carries
  std::uint64_t received_ = 0;
  std::string etag_;
  std::unique_ptr<http::ResponseStream> body_;
  int resumes_ = 0;
  bool eof_ = false;
};

S3Reader::S3Reader(S3Store& store, std::string key, const storage::ByteRange& range)
    : store_(store), key_(std::move(key)), start_(range.offset), length_(range.length) {
  if (length_ && *length_ == 0) {
    // No Range header can ask for nothing; keep get()'s not_found contract all the same.
    if (!store_.exists(key_)) throw not_found(store_.name(key_) + ": no such object");
    eof_ = true;
    return;
  }
  open(false);
}

void S3Reader::open(bool resume) {
  std::uint64_t from = start_ + received_;
  std::string range;
  if (from > 0 || length_) {
    range = "bytes=" + std::to_string(from) + "-";
    if (length_) range += std::to_string(start_ + *length_ - 1);
  }
  std::string what = "GET " + store_.name(key_);
  body_ = store_.open_get(key_, range, resume ? etag_ : std::string());
  const http::Response& resp = body_->response();
  if (resp.status == 416 && !resume) {
    // Asking from the end of the object (or beyond) reads nothing, as in the file store.
    body_.reset();
    eof_ = true;
    return;
  }
  if (resp.status != 200 && resp.status != 206) {
    std::string err_body = read_all(*body_, kErrorBodyLimit, what);
    if (resume && resp.status == 412) {
      throw Error(ErrorCode::storage, what + ": the object changed while it was being read (ETag " + etag_ + ")");
    }
    throw store_.error_from(resp, err_body, what);
  }
  if (!range.empty() && resp.status == 200 && from > 0) {
    throw Error(ErrorCode::storage, what + ": the server ignored the Range header");
  }
  if (!resume) etag_ = resp.headers.get("ETag").value_or("");
  auto cl = resp.headers.get("Content-Length");
  if (cl && !cl->empty() && std::all_of(cl->begin(), cl->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    expected_ = received_ + std::stoull(*cl);
  } else {
    expected_.reset();
  }
}

std::size_t S3Reader::read(void* buffer, std::size_t size) {
  if (eof_ || size == 0) return 0;
  for (;;) {
    std::string failure;
    try {
      std::size_t n = body_->read(buffer, size);
      if (n > 0) {
        received_ += n;
        return n;
      }
      if (!expected_ || received_ >= *expected_) {
        eof_ = true;
        body_.reset();
        return 0;
      }
      failure = "the body ended after " + std::to_string(received_) + " of " + std::to_string(*expected_) + " bytes";
    } catch (const Error& e) {
      if (e.code() != ErrorCode::storage && e.code() != ErrorCode::io) throw;
      failure = e.what();
    }
    // The connection dropped mid-body: ask for the rest, pinned to the same object by its ETag.
    if (++resumes_ >= std::max(2, store_.config().max_attempts)) {
      throw Error(ErrorCode::storage, "GET " + store_.name(key_) + ": " + failure + " (after " +
                                          std::to_string(resumes_) + " attempts)");
    }
    store_.log("GET " + store_.name(key_) + ": resuming at byte " + std::to_string(start_ + received_) + ": " + failure);
    body_.reset();
    open(true);
  }
}

}  // namespace

std::unique_ptr<http::ResponseStream> S3Store::open_get(const std::string& key, const std::string& range,
                                                        const std::string& if_match) {
  std::string what = "GET " + name(key);
  http::Request r = request("GET", key, {}, what);
  if (!range.empty()) r.headers.set("Range", range);
  if (!if_match.empty()) r.headers.set("If-Match", if_match);
  add_sse_c(r);
  sign(r, sha256_hex(""));
  return client_->open(std::move(r));
}

std::unique_ptr<InputStream> open_reader(S3Store& store, std::string key, const storage::ByteRange& range) {
  return std::make_unique<S3Reader>(store, std::move(key), range);
}

}  // namespace vbackup::s3
