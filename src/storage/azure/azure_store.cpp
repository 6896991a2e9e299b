// The Azure Blob ObjectStore (Velero's ObjectStore contract, spec §2.9, on one container): ranged
// downloads that resume after a dropped connection, HEAD for existence, List Blobs with marker
// paging, Delete Blob, and read-only service SAS URLs.
#include "storage/azure/credentials.hpp"
#include "storage/azure/responses.hpp"
#include "storage/azure/service.hpp"
#include "storage/azure/sharedkey.hpp"
#include "storage/azure/azure.hpp"
#include "vbackup/error.hpp"

#include <algorithm>
#include <set>

namespace vbackup::storage {
namespace {

using azure::Service;

void check_key(const Service& s, const std::string& key) {
  // Azure accepts up to 1024 characters; an empty name, or one that ends with '/', is no object.
  if (key.empty() || key.size() > 1024 || key.find('\0') != std::string::npos) {
    throw invalid_input(s.describe() + ": invalid object key \"" + key + "\"");
  }
}

std::optional<std::uint64_t> header_number(const http::Response& r, std::string_view name) {
  auto v = r.headers.get(name);
  if (!v || v->empty() || v->size() > 19 || !std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoull(*v);
}

// A blob's bytes from `range`, streamed. When the connection drops (or the body ends short of the
// length the service announced), the rest is asked for again with a Range from the next byte and
// If-Match on the first answer's ETag, so a blob replaced meanwhile is an error, not a splice.
class BlobReader final : public InputStream {
 public:
  BlobReader(std::shared_ptr<Service> service, std::string key, const ByteRange& range)
      : service_(std::move(service)), key_(std::move(key)), next_(range.offset) {
    if (range.length) end_ = range.offset + *range.length;
    open();
  }

  std::size_t read(void* buffer, std::size_t size) override {
    int failures = 0;
    for (;;) {
      if (done_) return 0;
      if (end_) size = static_cast<std::size_t>(std::min<std::uint64_t>(size, *end_ - next_));
      if (size == 0) return 0;
      if (!stream_) open();
      if (done_) return 0;
      std::string why;
      try {
        std::size_t n = stream_->read(buffer, size);
        if (n > 0) {
          next_ += n;
          return n;
        }
        stream_.reset();
        if (!expected_end_ || next_ >= *expected_end_) {
          done_ = true;
          return 0;
        }
        why = "the body ended after " + std::to_string(next_) + " of " + std::to_string(*expected_end_) + " bytes";
      } catch (const Error& e) {
        if (e.code() != ErrorCode::storage) throw;
        stream_.reset();
        why = e.what();
      }
      if (++failures >= std::max(1, service_->options().max_attempts)) {
        throw Error(ErrorCode::storage, what() + ": download failed at byte " + std::to_string(next_) + " after " +
                                            std::to_string(failures) + " attempts: " + why);
      }
      service_->log("azure: " + what() + ": " + why + "; resuming from byte " + std::to_string(next_));
    }
  }

 private:
  std::string what() const { return service_->describe() + ": " + key_; }

  void open() {
    std::string operation = "Get Blob " + key_;
    if (end_ && next_ >= *end_) {
      // An empty range: nothing to read, but the object must exist.
      http::Request head = service_->request("HEAD", service_->blob_url(key_), operation);
      http::Response r = service_->client().send(std::move(head));
      if (r.status != 200) throw service_->failure(r, operation, key_);
      done_ = true;
      return;
    }
    http::Request req = service_->request("GET", service_->blob_url(key_), operation);
    if (next_ > 0 || end_) {
      req.headers.set("x-ms-range",
                      "bytes=" + std::to_string(next_) + "-" + (end_ ? std::to_string(*end_ - 1) : std::string()));
    }
    if (!etag_.empty()) req.headers.set("If-Match", etag_);
    auto stream = service_->client().open(std::move(req));
    const http::Response& r = stream->response();
    if (r.status == 416 && etag_.empty()) {
      done_ = true;  // the range starts at or after the end: nothing to read (as a file would)
      return;
    }
    if (r.status == 412) {
      throw Error(ErrorCode::storage, what() + ": the blob was replaced while it was being read");
    }
    if (r.status != 200 && r.status != 206) throw service_->failure(r, operation, key_);
    if (etag_.empty()) etag_ = r.headers.get("ETag").value_or("");
    if (auto length = header_number(r, "Content-Length")) expected_end_ = next_ + *length;
    stream_ = std::move(stream);
  }

  std::shared_ptr<Service> service_;
  std::string key_;
  std::uint64_t next_;
  std::optional<std::uint64_t> end_;           // exclusive, from the caller's range
  std::optional<std::uint64_t> expected_end_;  // exclusive, from the current answer's length
  std::string etag_;
  std::unique_ptr<http::ResponseStream> stream_;
  bool done_ = false;
};

class AzureStore final : public ObjectStore {
 public:
  explicit AzureStore(std::shared_ptr<Service> service) : service_(std::move(service)) {}

  std::unique_ptr<ObjectWriter> open_write(const std::string& key) override {
    check_key(*service_, key);
    return azure::open_blob_writer(service_, key);
  }

  std::unique_ptr<InputStream> get(const std::string& key, const ByteRange& range) override {
    check_key(*service_, key);
    return std::make_unique<BlobReader>(service_, key, range);
  }

  bool exists(const std::string& key) override {
    check_key(*service_, key);
    std::string operation = "Get Blob Properties " + key;
    http::Response r = service_->client().send(service_->request("HEAD", service_->blob_url(key), operation));
    if (r.status == 200) return true;
    // As the plugin's Exists: a missing blob or container is "no" (a HEAD answer has no body; the
    // code is in x-ms-error-code).
    std::string code = Service::error_code(r);
    if (r.status == 404 && (code == "BlobNotFound" || code == "ContainerNotFound" || code.empty())) return false;
    throw service_->failure(r, operation, key);
  }

  std::vector<std::string> list_common_prefixes(const std::string& prefix, const std::string& delimiter) override {
    if (delimiter.empty()) throw invalid_input(service_->describe() + ": list_common_prefixes needs a delimiter");
    std::set<std::string> prefixes;  // sorted, and a prefix repeated across pages counts once
    list(prefix, delimiter, [&](azure::ListBlobsPage& page) {
      for (auto& p : page.prefixes) prefixes.insert(std::move(p));
    });
    return {prefixes.begin(), prefixes.end()};
  }

  std::vector<std::string> list_objects(const std::string& prefix) override {
    std::vector<std::string> out;
    list(prefix, "", [&](azure::ListBlobsPage& page) {
      for (auto& b : page.blobs) out.push_back(std::move(b));
    });
    std::sort(out.begin(), out.end());  // the service sorts too; byte order is the contract here
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  void remove(const std::string& key) override {
    check_key(*service_, key);
    std::string operation = "Delete Blob " + key;
    http::Request req = service_->request("DELETE", service_->blob_url(key), operation);
    req.headers.set("x-ms-delete-snapshots", "include");  // a blob with snapshots is deleted with them
    http::Response r = service_->client().send(std::move(req));
    if (r.status == 202 || r.status == 200) return;
    if (r.status == 404 && Service::error_code(r) == "BlobNotFound") return;  // already gone: S3 semantics
    throw service_->failure(r, operation, key);
  }

  std::string signed_url(const std::string& key, std::chrono::seconds ttl) override {
    check_key(*service_, key);
    return service_->read_sas_url(key, ttl);
  }

  std::string describe() const override { return service_->describe(); }

 private:
  template <typename OnPage>
  void list(const std::string& prefix, const std::string& delimiter, OnPage on_page) {
    std::string operation = "List Blobs prefix \"" + prefix + "\"" + (delimiter.empty() ? "" : " delimiter \"" + delimiter + "\"");
    std::string marker;
    std::set<std::string> seen_markers;
    for (;;) {
      std::string url = service_->container_url() + "?restype=container&comp=list";
      if (!prefix.empty()) url += "&prefix=" + azure::url_encode(prefix, false);
      if (!delimiter.empty()) url += "&delimiter=" + azure::url_encode(delimiter, false);
      url += "&maxresults=" + std::to_string(std::clamp(service_->options().list_page_size, 1u, 5000u));
      if (!marker.empty()) url += "&marker=" + azure::url_encode(marker, false);
      http::Response r = service_->client().send(service_->request("GET", url, operation));
      if (r.status != 200) throw service_->failure(r, operation);
      azure::ListBlobsPage page = azure::parse_list_blobs(r.body, service_->describe() + ": " + operation);
      on_page(page);
      if (page.next_marker.empty()) return;
      if (!seen_markers.insert(page.next_marker).second) {
        throw Error(ErrorCode::storage, service_->describe() + ": " + operation + ": the service returned the marker \"" +
                                            page.next_marker + "\" twice; the listing would never end");
      }
      marker = std::move(page.next_marker);
    }
  }

  std::shared_ptr<Service> service_;
};

}  // namespace

std::unique_ptr<ObjectStore> open_azure_store(const Location& location, const AzureStoreOptions& options) {
  AzureConfig config = parse_azure_config(location);
  std::string key = azure::read_account_key(config, "storage location azure://" + config.container);
  return std::make_unique<AzureStore>(std::make_shared<Service>(std::move(config), std::move(key), options));
}

}  // namespace vbackup::storage
