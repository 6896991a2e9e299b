// `backup-location check` (location.hpp check_location(OpenedLocation&)): it changes nothing, and says
// Available, Available (read-only) or Unavailable with the reason (issue 12; spec §2.2 for Velero's part).
#include "test_helpers.hpp"
#include "vbackup/error.hpp"
#include "vbackup/location.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

using namespace vbackup;
namespace fs = std::filesystem;

namespace {

using testing::TempDir;

const Timestamp kNow(std::chrono::seconds(1764000000));

// Every path under `dir`, to show that a check left it as it was.
std::vector<std::string> tree(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    out.push_back(fs::relative(it->path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A bucket in memory that can refuse writes, as a read-only S3 or Azure credential does.
class Store final : public storage::ObjectStore {
 public:
  bool refuse = false;
  std::unique_ptr<storage::ObjectStore> inner = storage::open_memory_store();
  std::unique_ptr<storage::ObjectWriter> open_write(const std::string& key) override {
    if (refuse) throw Error(ErrorCode::storage, "s3://bucket: PUT " + key + ": 403 AccessDenied");
    return inner->open_write(key);
  }
  std::unique_ptr<InputStream> get(const std::string& k, const storage::ByteRange& r) override { return inner->get(k, r); }
  bool exists(const std::string& k) override { return inner->exists(k); }
  std::vector<std::string> list_common_prefixes(const std::string& p, const std::string& d) override {
    return inner->list_common_prefixes(p, d);
  }
  std::vector<std::string> list_objects(const std::string& p) override { return inner->list_objects(p); }
  void remove(const std::string& k) override { inner->remove(k); }
  std::string signed_url(const std::string& k, std::chrono::seconds t) override { return inner->signed_url(k, t); }
  std::string describe() const override { return "s3://bucket"; }
};

OpenedLocation opened(std::shared_ptr<Store> store, std::string prefix = "") {
  OpenedLocation o;
  o.location.provider = "aws";
  o.location.bucket = "bucket";
  o.location.prefix = prefix;
  o.objects = store;
  o.backups = std::make_unique<storage::BackupStore>(store, prefix);
  return o;
}

}  // namespace

TEST_CASE("check: a missing folder is Unavailable, and stays missing (opening and checking create nothing)") {
  TempDir dir;
  fs::path folder = dir.path / "backups";
  auto loc = open_location("file://" + folder.string());
  auto st = check_location(loc, kNow);
  CHECK(st.phase == "Unavailable");
  CHECK(st.message == "the folder " + folder.string() + " does not exist (a backup creates it)");
  CHECK(st.last_validation_time == kNow);
  CHECK(!fs::exists(folder));
  // The location is still usable: listing a missing folder finds no backups.
  CHECK(loc.backups->list_backups().empty());
  CHECK(!fs::exists(folder));

  // A file where the folder should be is refused when the location is opened.
  dir.write("file", "x");
  CHECK(testing::error_of([&] { open_location("file://" + (dir.path / "file").string()); }) ==
        "file://" + (dir.path / "file").string() + ": not a usable directory: it is a file");
}

TEST_CASE("check: a writable folder is Available, and is left exactly as it was") {
  TempDir dir;
  dir.write("backups/b/velero-backup.json", "{}");
  auto before = tree(dir.path);
  auto loc = open_location("file://" + dir.path.string() + "?prefix=not/yet");
  auto st = check_location(loc, kNow);
  CHECK(st.phase == "Available");
  CHECK(st.message.empty());
  CHECK(st.access_mode.empty());
  CHECK(tree(dir.path) == before);
}

TEST_CASE("check: Velero's validation still makes a location Unavailable (spec §2.2)") {
  TempDir dir;
  dir.write("other-tool/data", "x");
  auto loc = open_location("file://" + dir.path.string());
  auto st = check_location(loc, kNow);
  CHECK(st.phase == "Unavailable");
  CHECK(st.message == "Backup store contains invalid top-level directories: [other-tool]");
}

TEST_CASE("check: a folder that is not writable is Available (read-only), with the reason") {
  TempDir dir;
  fs::path folder = dir.path / "ro";
  fs::create_directories(folder);
  ::chmod(folder.c_str(), 0555);
  ::chmod(dir.path.c_str(), 0755);
  // root may write anywhere: the check runs as nobody in a child process then.
  int pipe_fd[2];
  REQUIRE(::pipe(pipe_fd) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipe_fd[0]);
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    std::string out;
    try {
      auto loc = open_location("file://" + folder.string());
      auto st = check_location(loc, kNow);
      out = st.phase + "|" + st.access_mode + "|" + st.message;
    } catch (const std::exception& e) {
      out = std::string("error|") + e.what();
    }
    ssize_t n = ::write(pipe_fd[1], out.data(), out.size());
    ::_exit(n == static_cast<ssize_t>(out.size()) ? 0 : 4);
  }
  ::close(pipe_fd[1]);
  std::string got;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fd[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::chmod(folder.c_str(), 0755);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(got == "Available|ReadOnly|read-only: the folder " + folder.string() + " is not writable: Permission denied");
}

TEST_CASE("check: a BackupStorageLocation with accessMode ReadOnly is Available (read-only) without a write") {
  auto store = std::make_shared<Store>();
  auto loc = opened(store);
  loc.location.read_only = true;
  store->refuse = true;  // would make any write fail the test's expectation below
  auto st = check_location(loc, kNow);
  CHECK(st.phase == "Available");
  CHECK(st.access_mode == "ReadOnly");
  CHECK(st.message == "read-only: the location's accessMode is ReadOnly");
}

TEST_CASE("check: an object store that refuses the probe is Available (read-only); one that takes it keeps nothing") {
  auto store = std::make_shared<Store>();
  store->inner->put("pre/backups/b/velero-backup.json", "{}");
  auto loc = opened(store, "pre");
  store->refuse = true;
  auto st = check_location(loc, kNow);
  CHECK(st.phase == "Available");
  CHECK(st.access_mode == "ReadOnly");
  CHECK(st.message.starts_with("read-only: a probe object cannot be written: s3://bucket: PUT pre/.vbackup-write-probe-"));
  CHECK(st.message.ends_with(": 403 AccessDenied"));

  store->refuse = false;
  st = check_location(loc, kNow);
  CHECK(st.phase == "Available");
  CHECK(st.access_mode.empty());
  CHECK(st.message.empty());
  CHECK(store->list_objects("") == std::vector<std::string>{"pre/backups/b/velero-backup.json"});
  CHECK(location_write_problem(loc.location, *loc.backups, false).empty());
  store->refuse = true;
  CHECK(location_write_problem(loc.location, *loc.backups, false).starts_with(
      "backup storage location s3://bucket/pre: a probe object cannot be written: "));
}
