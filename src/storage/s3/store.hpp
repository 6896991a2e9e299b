// The S3 store as its parts share it: the store itself (s3_store.cpp: list, remove, signed URLs,
// open), its requests (requests.cpp: SigV4 signing, SSE headers, the moto signing fallback, error
// mapping), the reader (reader.cpp: GET, ranged GET, resume) and the writer (writer.cpp: PutObject
// and multipart upload). Internal header.
#pragma once

#include "core/mapped_buffer.hpp"
#include "http/client.hpp"
#include "storage/s3/endpoint.hpp"
#include "storage/s3/sigv4.hpp"
#include "vbackup/error.hpp"
#include "storage/s3/s3.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::s3 {

// An uploaded part of a multipart upload, as CompleteMultipartUpload lists it.
struct Part {
  int number = 0;
  std::string etag;
  std::string checksum;
};

class S3Store final : public S3ObjectStore {
 public:
  S3Store(Config cfg, Credentials creds);

  // s3_store.cpp
  std::unique_ptr<storage::ObjectWriter> open_write(const std::string& key) override;
  std::unique_ptr<InputStream> get(const std::string& key, const storage::ByteRange& range) override;
  bool exists(const std::string& key) override;
  std::vector<std::string> list_common_prefixes(const std::string& prefix, const std::string& delimiter) override;
  std::vector<std::string> list_objects(const std::string& prefix) override;
  void remove(const std::string& key) override;
  void remove_batch(const std::vector<std::string>& keys) override;
  std::string signed_url(const std::string& key, std::chrono::seconds ttl) override;
  // The same, signed as of `now` (tests compare it with other signers at their time).
  std::string signed_url_at(const std::string& key, std::chrono::seconds ttl, std::chrono::system_clock::time_point now);
  std::string describe() const override { return describe_; }
  std::vector<storage::ObjectInfo> list_object_info(const std::string& prefix) override;
  // uploads.cpp: ListMultipartUploads (+ ListParts for each one's newest part) and their abort.
  std::vector<storage::PendingUpload> list_pending_uploads(const std::string& prefix) override;
  void abort_pending_upload(const storage::PendingUpload& upload) override;

  // Used by the writer and the reader.
  const Config& config() const { return cfg_; }
  std::string name(const std::string& key) const { return "s3://" + cfg_.bucket + "/" + key; }
  // writer.cpp: PutObject and the multipart upload calls.
  void put_object(const std::string& key, std::shared_ptr<const detail::MappedBuffer> data);
  std::string create_multipart(const std::string& key);
  Part upload_part(const std::string& key, const std::string& upload_id, int number,
                   std::shared_ptr<const detail::MappedBuffer> data);
  void complete_multipart(const std::string& key, const std::string& upload_id, const std::vector<Part>& parts);
  void abort_multipart(const std::string& key, const std::string& upload_id);
  // reader.cpp: GetObject, optionally ranged and pinned to an ETag.
  std::unique_ptr<http::ResponseStream> open_get(const std::string& key, const std::string& range,
                                                 const std::string& if_match);
  // requests.cpp: the answer of a failed request as an Error naming `what`, without secrets.
  Error error_from(const http::Response& r, std::string_view body, const std::string& what) const;
  void log(const std::string& line) const {
    if (cfg_.log) cfg_.log(line);
  }

 private:
  // requests.cpp: construction, request building, SigV4 signing, sending and errors.
  void check_key(const std::string& key) const {
    if (key.empty()) throw invalid_input(describe() + ": empty object key");
    if (key.size() > 1024) throw invalid_input(describe() + ": object key longer than 1024 bytes");
  }
  http::Request request(const std::string& method, const std::string& key, const Params& query,
                        const std::string& what) const;
  void sign(http::Request& r, const std::string& payload_hash) const;
  void add_sse_c(http::Request& r) const;
  void add_object_headers(http::Request& r) const;
  http::Response send(http::Request r, const std::string& body_hash) const;
  void list(const std::string& prefix, const std::string& delimiter, std::vector<storage::ObjectInfo>* objects,
            std::vector<std::string>* prefixes);
  // uploads.cpp: the parts of one upload: their total size and the newest LastModified.
  void add_parts(storage::PendingUpload& upload);
  std::string resolve_region() const;
  std::string scrub(std::string s) const;

  Config cfg_;
  Credentials creds_;
  std::string region_;
  Endpoint endpoint_, public_endpoint_;
  std::string describe_;
  std::string sse_c_key_, sse_c_key_md5_;
  mutable std::unique_ptr<http::Client> client_;
  mutable std::atomic<bool> raw_query_signing_{false};
};

// Listing fields: <Size> (0 when unreadable) and <LastModified> / <Initiated> (nullopt when unreadable).
std::uint64_t parse_size(const std::string& text);
std::optional<Timestamp> parse_time(const std::string& text);

// The reader and the writer of one object (reader.cpp, writer.cpp); the store has checked `key`.
std::unique_ptr<InputStream> open_reader(S3Store& store, std::string key, const storage::ByteRange& range);
std::unique_ptr<storage::ObjectWriter> open_writer(S3Store& store, std::string key);

}  // namespace vbackup::s3
