#include "storage/object_key.hpp"
#include "vbackup/error.hpp"
#include "vbackup/storage.hpp"

namespace vbackup::storage {

void check_object_key(const std::string& key, const std::string& what, std::string_view reserved_prefix) {
  auto bad = [&] { return invalid_input(what + ": invalid object key \"" + key + "\""); };
  if (key.empty() || key.front() == '/' || key.back() == '/') throw bad();
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string::npos) end = key.size();
    std::string_view seg(key.data() + start, end - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.find('\0') != std::string_view::npos ||
        (!reserved_prefix.empty() && seg.starts_with(reserved_prefix))) {
      throw bad();
    }
    start = end + 1;
  }
}

void ObjectStore::put(const std::string& key, std::string_view data) {
  auto w = open_write(key);
  w->write(data);
  w->commit();
}

namespace {

class CancellableInput final : public InputStream {
 public:
  CancellableInput(std::unique_ptr<InputStream> in, std::function<bool()> cancelled, std::string what)
      : in_(std::move(in)), cancelled_(std::move(cancelled)), what_(std::move(what)) {}
  std::size_t read(void* buffer, std::size_t size) override {
    if (cancelled_()) throw Error(ErrorCode::cancelled, what_ + ": download cancelled");
    return in_->read(buffer, size);
  }

 private:
  std::unique_ptr<InputStream> in_;
  std::function<bool()> cancelled_;
  std::string what_;
};

}  // namespace

std::unique_ptr<InputStream> ObjectStore::cancellable(std::unique_ptr<InputStream> in, const std::string& what) const {
  if (!download_cancel_check_) return in;
  return std::make_unique<CancellableInput>(std::move(in), download_cancel_check_, what);
}

std::vector<ObjectInfo> ObjectStore::list_object_info(const std::string& prefix) {
  std::vector<ObjectInfo> out;
  for (auto& key : list_objects(prefix)) out.push_back(ObjectInfo{std::move(key), 0, std::nullopt});
  return out;
}

std::vector<PendingUpload> ObjectStore::list_pending_uploads(const std::string&) { return {}; }

void ObjectStore::abort_pending_upload(const PendingUpload& upload) {
  throw Error(ErrorCode::unsupported, describe() + ": " + upload.key + ": this store keeps no pending uploads");
}

std::string ObjectStore::get_all(const std::string& key, std::size_t limit) {
  auto in = get(key);
  return read_all(*in, limit, describe() + ": " + key);
}

}  // namespace vbackup::storage
