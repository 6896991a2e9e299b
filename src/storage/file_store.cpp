// A local directory as a bucket: the embedded default. Keys map to relative paths; an object
// becomes visible only by an atomic rename after fsync, so readers (and a crash) never see half
// of one. Temporary files carry a prefix that listings skip.
#include "storage/object_key.hpp"
#include "vbackup/error.hpp"
#include "vbackup/storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>

namespace fs = std::filesystem;

namespace vbackup::storage {
namespace {

constexpr std::string_view kTempPrefix = ".vbk-tmp-";

Error store_error(const std::string& message) { return Error(ErrorCode::storage, message); }

// Keys are relative, '/'-separated, without empty, "." or ".." segments, and never name a temporary file.
void check_key(const std::string& key, const std::string& what) { check_object_key(key, what, kTempPrefix); }

void fsync_path(const fs::path& p, bool directory) {
  int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// A temporary file is "<kTempPrefix><file name>-<16 hex digits>"; the file name it stands for, or
// "" for a name that is not one of ours.
std::string temp_target(std::string_view temp_name) {
  if (!temp_name.starts_with(kTempPrefix) || temp_name.size() < kTempPrefix.size() + 18) return "";
  std::string_view rest = temp_name.substr(kTempPrefix.size());
  if (rest[rest.size() - 17] != '-') return "";
  return std::string(rest.substr(0, rest.size() - 17));
}

// Size and modification time of a file, by stat(2) (nullopt when it is gone).
std::optional<std::pair<std::uint64_t, Timestamp>> file_info(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  return std::pair{static_cast<std::uint64_t>(st.st_size), Timestamp(std::chrono::seconds(st.st_mtim.tv_sec))};
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

class FileWriter final : public ObjectWriter {
 public:
  FileWriter(fs::path target, std::string what, std::function<bool()> cancelled)
      : target_(std::move(target)), what_(std::move(what)), cancelled_(std::move(cancelled)) {
    std::error_code ec;
    fs::create_directories(target_.parent_path(), ec);
    if (ec) throw store_error(what_ + ": cannot create directory " + target_.parent_path().string() + ": " + ec.message());
    temp_ = target_.parent_path() / (std::string(kTempPrefix) + target_.filename().string() + "-" + random_suffix());
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) throw store_error(what_ + ": cannot create " + temp_.string() + ": " + std::strerror(errno));
  }
  ~FileWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) {
      ::unlink(temp_.c_str());
      ::rmdir(target_.parent_path().c_str());  // only succeeds if the upload left the folder empty
    }
  }
  void write(const void* data, std::size_t size) override {
    if (committed_) throw store_error(what_ + ": write after commit");
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      ssize_t n = ::write(fd_, p, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw store_error(what_ + ": write failed: " + std::strerror(errno));
      }
      p += n;
      size -= static_cast<std::size_t>(n);
      written_ += static_cast<std::uint64_t>(n);
    }
  }
  void commit() override {
    if (committed_) return;
    // The cancel check (ObjectStore::set_cancel_check): nothing becomes visible after a cancel.
    if (cancelled_ && cancelled_()) throw Error(ErrorCode::cancelled, what_ + ": upload cancelled");
    if (::fsync(fd_) != 0) throw store_error(what_ + ": fsync failed: " + std::strerror(errno));
    if (::close(fd_) != 0) {
      fd_ = -1;
      throw store_error(what_ + ": close failed: " + std::strerror(errno));
    }
    fd_ = -1;
    if (::rename(temp_.c_str(), target_.c_str()) != 0) {
      throw store_error(what_ + ": cannot rename into place: " + std::strerror(errno));
    }
    committed_ = true;
    fsync_path(target_.parent_path(), true);
  }
  std::uint64_t bytes_written() const override { return written_; }

 private:
  fs::path target_, temp_;
  std::string what_;
  std::function<bool()> cancelled_;
  int fd_ = -1;
  bool committed_ = false;
  std::uint64_t written_ = 0;
};

class RangeFileInput final : public InputStream {
 public:
  RangeFileInput(const fs::path& p, const ByteRange& range, std::string what) : what_(std::move(what)) {
    fd_ = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      if (errno == ENOENT) throw not_found(what_ + ": no such object");
      throw store_error(what_ + ": cannot open: " + std::strerror(errno));
    }
    if (range.offset && ::lseek(fd_, static_cast<off_t>(range.offset), SEEK_SET) < 0) {
      ::close(fd_);
      throw store_error(what_ + ": cannot seek: " + std::strerror(errno));
    }
    remaining_ = range.length;
  }
  ~RangeFileInput() override { ::close(fd_); }
  std::size_t read(void* buffer, std::size_t size) override {
    if (remaining_) size = static_cast<std::size_t>(std::min<std::uint64_t>(size, *remaining_));
    if (size == 0) return 0;
    for (;;) {
      ssize_t n = ::read(fd_, buffer, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw store_error(what_ + ": read failed: " + std::strerror(errno));
      if (remaining_) *remaining_ -= static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_ = -1;
  std::optional<std::uint64_t> remaining_;
  std::string what_;
};

class FileStore final : public ObjectStore {
 public:
  // Opening changes nothing (`backup-location check` must not): a missing folder reads as an empty
  // bucket and is created by the first write.
  explicit FileStore(fs::path root) : root_(std::move(root)) {
    std::error_code ec;
    if (fs::exists(root_, ec) && !fs::is_directory(root_, ec)) {
      throw store_error("file://" + root_.string() + ": not a usable directory: it is a file");
    }
  }

  std::unique_ptr<ObjectWriter> open_write(const std::string& key) override {
    check_key(key, describe());
    return std::make_unique<FileWriter>(root_ / key, describe() + ": " + key, cancel_check());
  }

  std::unique_ptr<InputStream> get(const std::string& key, const ByteRange& range) override {
    check_key(key, describe());
    fs::path p = root_ / key;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) throw not_found(describe() + ": " + key + ": no such object");
    return cancellable(std::make_unique<RangeFileInput>(p, range, describe() + ": " + key), describe() + ": " + key);
  }

  bool exists(const std::string& key) override {
    check_key(key, describe());
    std::error_code ec;
    return fs::is_regular_file(root_ / key, ec);
  }

  std::vector<std::string> list_common_prefixes(const std::string& prefix, const std::string& delimiter) override {
    if (delimiter != "/") throw Error(ErrorCode::unsupported, describe() + ": only \"/\" is supported as a delimiter");
    // The directory holding the prefix's last segment; entries there whose names start with the
    // rest of the prefix and that hold at least one object are common prefixes (S3 semantics).
    auto slash = prefix.rfind('/');
    std::string dir_part = slash == std::string::npos ? "" : prefix.substr(0, slash + 1);
    std::string name_part = slash == std::string::npos ? prefix : prefix.substr(slash + 1);
    std::vector<std::string> out;
    std::error_code ec;
    fs::path dir = root_ / dir_part;
    if (!fs::is_directory(dir, ec)) return out;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename().string();
      if (name.starts_with(kTempPrefix) || !name.starts_with(name_part)) continue;
      if (entry.is_directory(ec) && holds_object(entry.path())) out.push_back(dir_part + name + "/");
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<std::string> list_objects(const std::string& prefix) override {
    std::vector<std::string> out;
    walk(prefix, [&](const fs::path&, std::string key) {
      if (!key.empty() && key.starts_with(prefix)) out.push_back(std::move(key));
    });
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<ObjectInfo> list_object_info(const std::string& prefix) override {
    std::vector<ObjectInfo> out;
    walk(prefix, [&](const fs::path& p, std::string key) {
      if (key.empty() || !key.starts_with(prefix)) return;
      if (auto info = file_info(p)) out.push_back(ObjectInfo{std::move(key), info->first, info->second});
    });
    std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  // The temporary files of writers that never committed nor were destroyed (a killed process).
  std::vector<PendingUpload> list_pending_uploads(const std::string& prefix) override {
    std::vector<PendingUpload> out;
    walk(prefix, [&](const fs::path& p, std::string key) {
      if (!key.empty()) return;  // an object, not a temporary file
      std::string target = temp_target(p.filename().string());
      if (target.empty()) return;
      std::error_code ec;
      std::string id = fs::relative(p, root_, ec).generic_string();
      if (ec) return;
      auto slash = id.rfind('/');
      std::string object_key = (slash == std::string::npos ? "" : id.substr(0, slash + 1)) + target;
      if (!object_key.starts_with(prefix)) return;
      if (auto info = file_info(p)) out.push_back(PendingUpload{std::move(object_key), std::move(id), info->second, info->first});
    });
    std::sort(out.begin(), out.end(), [](const PendingUpload& a, const PendingUpload& b) {
      return a.key != b.key ? a.key < b.key : a.id < b.id;
    });
    return out;
  }

  void abort_pending_upload(const PendingUpload& upload) override {
    // The id is a temporary file's key: never an object's, never outside the root.
    check_object_key(upload.id, describe(), "");
    fs::path p = root_ / upload.id;
    if (temp_target(p.filename().string()).empty()) {
      throw invalid_input(describe() + ": \"" + upload.id + "\" is not a temporary file of this store");
    }
    std::error_code ec;
    if (!fs::remove(p, ec) && ec && ec != std::errc::no_such_file_or_directory) {
      throw store_error(describe() + ": cannot delete " + upload.id + ": " + ec.message());
    }
    prune_empty_dirs(p);
  }

  void remove(const std::string& key) override {
    check_key(key, describe());
    fs::path p = root_ / key;
    std::error_code ec;
    if (!fs::remove(p, ec) && ec && ec != std::errc::no_such_file_or_directory) {
      throw store_error(describe() + ": cannot delete " + key + ": " + ec.message());
    }
    prune_empty_dirs(p);
  }

  // Velero's CreateSignedURL gives a URL that the velero CLI fetches over HTTP from another
  // machine; a file:// path is readable only here, so the file store has none to give.
  std::string signed_url(const std::string& key, std::chrono::seconds) override {
    check_key(key, describe());
    throw Error(ErrorCode::unsupported, describe() + ": no signed URL for " + key +
                                            ": a file store has no HTTP endpoint a velero client could download from "
                                            "(use an S3 or Azure location, or read the file directly)");
  }

  std::string describe() const override { return "file://" + root_.string(); }

 private:
  // Empty directories are not prefixes in object storage: prune them from p's up to the root.
  void prune_empty_dirs(const fs::path& p) {
    std::error_code ec;
    for (fs::path d = p.parent_path(); d != root_ && d.string().size() > root_.string().size(); d = d.parent_path()) {
      if (!fs::is_empty(d, ec) || ec) break;
      fs::remove(d, ec);
    }
  }

  // Every regular file under the directory of the prefix's last '/': f(path, key), key "" for a
  // temporary file (not an object).
  template <typename F>
  void walk(const std::string& prefix, F&& f) {
    auto slash = prefix.rfind('/');
    std::string dir_part = slash == std::string::npos ? "" : prefix.substr(0, slash + 1);
    std::error_code ec;
    fs::path dir = root_ / dir_part;
    if (!fs::is_directory(dir, ec)) return;
    for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) throw store_error(describe() + ": cannot list " + prefix + ": " + ec.message());
      if (!it->is_regular_file(ec)) continue;
      if (it->path().filename().string().starts_with(kTempPrefix)) {
        f(it->path(), std::string());
        continue;
      }
      f(it->path(), fs::relative(it->path(), root_, ec).generic_string());
    }
  }

  static bool holds_object(const fs::path& dir) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) return false;
      if (it->is_regular_file(ec) && !it->path().filename().string().starts_with(kTempPrefix)) return true;
    }
    return false;
  }

  fs::path root_;
};

}  // namespace

std::unique_ptr<ObjectStore> open_file_store(const fs::path& root) {
  fs::path p = fs::absolute(root).lexically_normal();
  if (p.filename().empty() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();  // "dir/" → "dir"
  return std::make_unique<FileStore>(p);
}

}  // namespace vbackup::storage
