// The Azure Blob ObjectStore against a real Azurite started by this test on a free loopback port,
// cross-checked with the independent stdlib-only Python client (tests/support/azure_sharedkey_client.py):
// what we write it reads with the same SHA-256 and the other way round; a wrong key, a missing
// container and missing blobs are named errors; listings page with markers; uploads and downloads
// survive faults injected by tests/support/fault_proxy.hpp; Velero's layout (BackupStore) works.
// If Azurite cannot start, every test fails with the reason (never skipped).
#include "../support/fault_proxy.hpp"
#include "../support/test_helpers.hpp"
#include "storage/azure/azure.hpp"
#include "vbackup/error.hpp"
#include "vbackup/layout.hpp"
#include "vbackup/storage.hpp"

#include <doctest/doctest.h>

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace vbackup;
using namespace vbackup::storage;
namespace fs = std::filesystem;

namespace {

// The Azurite development account (test-infrastructure.md §4): published, not a secret.
constexpr const char* kAccount = testing::Azurite::kAccount;
constexpr const char* kKey = testing::Azurite::kKey;
constexpr const char* kKeyVar = "AZURE_STORAGE_ACCOUNT_ACCESS_KEY";
// A well-formed key of the right length that is not the account's.
constexpr const char* kWrongKey = "AAAAvdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

using testing::error_of;
using testing::source_root;

// One Azurite for the whole run. If it cannot start, every test fails with the reason.
testing::Azurite& azurite() {
  static testing::Azurite instance("http");
  REQUIRE_MESSAGE(instance.error().empty(), instance.error());
  ::setenv(kKeyVar, kKey, 1);
  return instance;
}

std::string shell_quote(const std::string& s);
struct RunResult {
  int status;
  std::string out;
};
RunResult run_status(const std::string& command);

// A second Azurite serving https with a certificate for 127.0.0.1 made for this run.
struct TlsAzurite {
  testing::TempDir dir{"azurite-pki"};
  std::string cert_pem;
  std::unique_ptr<testing::Azurite> server;
  std::string error;
  TlsAzurite() {
    std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
    RunResult r = run_status("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
                             "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " + shell_quote(key) +
                             " -out " + shell_quote(cert));
    if (r.status != 0) {
      error = "cannot make a test certificate with openssl: " + r.out;
      return;
    }
    cert_pem = testing::read_file(cert);
    server = std::make_unique<testing::Azurite>("tls", std::vector<std::string>{"--cert", cert, "--key", key}, "https");
    error = server->error();
  }
};

TlsAzurite& tls_azurite() {
  static TlsAzurite instance;
  REQUIRE_MESSAGE(instance.error.empty(), instance.error);
  ::setenv(kKeyVar, kKey, 1);
  return instance;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

RunResult run_status(const std::string& command) {
  RunResult r{0, {}};
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

// The independent Python client against the emulator (or any endpoint).
std::string python(const std::string& args, const std::string& endpoint = azurite().endpoint(),
                   const std::string& cafile = "") {
  std::string cmd = "/usr/bin/python3 " + shell_quote((source_root() / "tests/support/azure_sharedkey_client.py").string()) +
                    " --endpoint " + shell_quote(endpoint) + (cafile.empty() ? "" : " --cafile " + shell_quote(cafile)) +
                    " --account " + kAccount + " --key " + shell_quote(kKey) + " " + args;
  RunResult r = run_status(cmd);
  INFO("command: " << cmd << "\noutput: " << r.out);
  REQUIRE(r.status == 0);
  return r.out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string create_container(const std::string& name) {
  python("create-container " + shell_quote(name));
  return name;
}

Location location(const std::string& container, const std::string& endpoint, std::map<std::string, std::string> extra = {}) {
  Location l;
  l.provider = "azure";
  l.bucket = container;
  l.config = {{"storageAccount", kAccount}, {"storageAccountKeyEnvVar", kKeyVar}, {"storageAccountURI", endpoint}};
  for (auto& [k, v] : extra) l.config[k] = v;
  return l;
}

std::unique_ptr<ObjectStore> open_store(const std::string& container, std::map<std::string, std::string> extra = {},
                                        AzureStoreOptions options = {}) {
  return open_azure_store(location(container, azurite().endpoint(), std::move(extra)), options);
}

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx_, p, n); }
  std::string hex() {
    unsigned char d[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, d, &len);
    char out[65];
    for (unsigned i = 0; i < len; ++i) std::snprintf(out + 2 * i, 3, "%02x", d[i]);
    return std::string(out, 64);
  }

 private:
  EVP_MD_CTX* ctx_;
};

// Deterministic bytes (xorshift64*), generated in pieces so no test holds a large object.
class Pattern {
 public:
  explicit Pattern(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  void fill(char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (avail_ == 0) {
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        word_ = state_ * 0x2545F4914F6CDD1Dull;
        avail_ = 8;
      }
      p[i] = static_cast<char>(word_ & 0xff);
      word_ >>= 8;
      --avail_;
    }
  }
  std::string take(std::size_t n) {
    std::string s(n, '\0');
    fill(s.data(), n);
    return s;
  }

 private:
  std::uint64_t state_, word_ = 0;
  int avail_ = 0;
};

std::string sha256_of(std::string_view s) {
  Sha256 h;
  h.update(s.data(), s.size());
  return h.hex();
}

// Writes `size` pattern bytes in 1 MiB pieces; returns their SHA-256.
std::string write_pattern(ObjectWriter& w, std::uint64_t seed, std::uint64_t size) {
  Pattern p(seed);
  Sha256 h;
  std::vector<char> buf(1 << 20);
  for (std::uint64_t done = 0; done < size;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - done));
    p.fill(buf.data(), n);
    w.write(buf.data(), n);
    h.update(buf.data(), n);
    done += n;
  }
  return h.hex();
}

std::string sha256_of_stream(InputStream& in, std::uint64_t* bytes = nullptr) {
  Sha256 h;
  std::vector<char> buf(1 << 20);
  std::uint64_t total = 0;
  for (;;) {
    std::size_t n = in.read(buf.data(), buf.size());
    if (n == 0) break;
    h.update(buf.data(), n);
    total += n;
  }
  if (bytes) *bytes = total;
  return h.hex();
}

// A file holding `content`, removed at the end of scope.
struct TempFile {
  testing::TempDir dir{"azure-it"};
  fs::path path;
  explicit TempFile(const std::string& content) : path(dir.write("file", content)) {}
};


}  // namespace

TEST_CASE("azure: what we write the Python client reads, and what it writes we read, byte for byte") {
  std::string c = create_container("cross");
  auto store = open_store(c, {{"blockSizeInBytes", std::to_string(4 << 20)}});

  // A small object goes up as one Put Blob; a 25 MiB one as 7 blocks + Put Block List.
  store->put("backups/b1/velero-backup.json", "{\"kind\":\"Backup\"}");
  auto w = store->open_write("backups/b1/b1.tar.gz");
  std::string big_sha = write_pattern(*w, 1, 25 << 20);
  CHECK_FALSE(store->exists("backups/b1/b1.tar.gz"));  // not before the commit
  w->commit();
  CHECK(w->bytes_written() == 25u << 20);
  CHECK(python("sha256 " + c + " backups/b1/b1.tar.gz") == big_sha + "\n");
  CHECK(python("sha256 " + c + " backups/b1/velero-backup.json") == sha256_of("{\"kind\":\"Backup\"}") + "\n");

  // The Python client's uploads: blocks of 1 MiB for 5 MiB + 3 bytes, and one Put Blob.
  Pattern p(2);
  std::string theirs = p.take((5 << 20) + 3);
  TempFile file(theirs);
  python("put --block-size 1048576 " + c + " 'from python/blocks.bin' " + shell_quote(file.path.string()));
  TempFile small("hello from python");
  python("put " + c + " 'from python/small+1 %.txt' " + shell_quote(small.path.string()));
  auto in = store->get("from python/blocks.bin");
  std::uint64_t bytes = 0;
  CHECK(sha256_of_stream(*in, &bytes) == sha256_of(theirs));
  CHECK(bytes == theirs.size());
  CHECK(store->get_all("from python/small+1 %.txt", 100) == "hello from python");

  // Ranges, including one that starts past the end (nothing, as a file would give).
  auto mid = store->get("from python/blocks.bin", {(1 << 20) - 5, 10});
  CHECK(read_all(*mid, 100, "range") == theirs.substr((1 << 20) - 5, 10));
  auto tail = store->get("from python/blocks.bin", {theirs.size() - 4, std::nullopt});
  CHECK(read_all(*tail, 100, "tail") == theirs.substr(theirs.size() - 4));
  auto past = store->get("from python/small+1 %.txt", {1000, std::nullopt});
  CHECK(read_all(*past, 100, "past") == "");
  auto empty_range = store->get("from python/small+1 %.txt", {3, 0});
  CHECK(read_all(*empty_range, 100, "empty") == "");

  // An empty object.
  store->put("empty", "");
  CHECK(store->exists("empty"));
  CHECK(store->get_all("empty", 10) == "");
  CHECK(python("sha256 " + c + " empty") == sha256_of("") + "\n");
}

TEST_CASE("azure: nothing is visible until commit; an abandoned upload leaves no blob") {
  std::string c = create_container("commit");
  auto store = open_store(c, {{"blockSizeInBytes", std::to_string(1 << 20)}});
  {
    auto w = store->open_write("backups/b/b.tar.gz");
    write_pattern(*w, 3, (3 << 20) + 17);  // three blocks staged, the fourth in the buffer
    CHECK_FALSE(store->exists("backups/b/b.tar.gz"));
    CHECK(store->list_objects("").empty());
    CHECK(python("list " + c).empty());
  }  // destroyed without commit: the staged blocks stay uncommitted and expire
  CHECK_FALSE(store->exists("backups/b/b.tar.gz"));
  CHECK(store->list_objects("").empty());

  auto w = store->open_write("backups/b/b.tar.gz");
  std::string sha = write_pattern(*w, 4, (2 << 20) + 1);
  w->commit();
  CHECK(python("sha256 " + c + " backups/b/b.tar.gz") == sha + "\n");
  CHECK_THROWS_AS(w->write("more"), Error);

  // A second upload replaces the first only when it commits.
  auto w2 = store->open_write("backups/b/b.tar.gz");
  write_pattern(*w2, 5, 3 << 20);
  CHECK(python("sha256 " + c + " backups/b/b.tar.gz") == sha + "\n");
  w2.reset();
  CHECK(python("sha256 " + c + " backups/b/b.tar.gz") == sha + "\n");
}

TEST_CASE("azure: a wrong key is \"authorization failed for storage account\", and never shows a key") {
  std::string c = create_container("wrongkey");
  testing::EnvVar wrong_key("VBK_WRONG_AZURE_KEY", kWrongKey);
  auto store = open_store(c, {{"storageAccountKeyEnvVar", "VBK_WRONG_AZURE_KEY"}});
  for (auto op : std::vector<std::function<void()>>{[&] { store->put("x", "y"); },
                                                    [&] { store->list_objects(""); },
                                                    [&] { store->exists("x"); },
                                                    [&] { store->get("x"); },
                                                    [&] { store->remove("x"); }}) {
    ErrorCode code{};
    std::string msg = error_of(op, &code);
    CAPTURE(msg);
    CHECK(code == ErrorCode::storage);
    CHECK(msg.find("authorization failed for storage account \"devstoreaccount1\"") != std::string::npos);
    CHECK(msg.find("check the key in VBK_WRONG_AZURE_KEY") != std::string::npos);
    CHECK(msg.find("AAAAvdM02") == std::string::npos);
    CHECK(msg.find("Eby8vdM02") == std::string::npos);
    CHECK(msg.find("SharedKey") == std::string::npos);
  }
  wrong_key.set("VBK_WRONG_AZURE_KEY", nullptr);
  CHECK(error_of([&] { open_store(c, {{"storageAccountKeyEnvVar", "VBK_WRONG_AZURE_KEY"}}); }) ==
        "storage location azure://wrongkey: storageAccountKeyEnvVar names VBK_WRONG_AZURE_KEY, which is not set (or "
        "empty) in the environment");
}

TEST_CASE("azure: missing blobs are not_found, a missing container is named") {
  std::string c = create_container("missing");
  auto store = open_store(c);
  ErrorCode code{};
  std::string msg = error_of([&] { store->get("backups/nope/velero-backup.json"); }, &code);
  CHECK(code == ErrorCode::not_found);
  CHECK(msg.find("backups/nope/velero-backup.json: no such object") != std::string::npos);
  CHECK_FALSE(store->exists("backups/nope/velero-backup.json"));
  store->remove("backups/nope/velero-backup.json");  // deleting what is not there is fine

  auto gone = open_store("no-such-container");
  for (auto op : std::vector<std::function<void()>>{[&] { gone->get("k"); }, [&] { gone->list_objects(""); },
                                                    [&] { gone->put("k", "v"); }, [&] { gone->remove("k"); }}) {
    msg = error_of(op, &code);
    CAPTURE(msg);
    CHECK(code == ErrorCode::storage);
    CHECK(msg.find("container \"no-such-container\" does not exist in storage account \"devstoreaccount1\"") !=
          std::string::npos);
    CHECK(msg.find("ContainerNotFound") != std::string::npos);
  }
  CHECK_FALSE(gone->exists("k"));  // as the plugin's ObjectExists
}

TEST_CASE("azure: listings with a delimiter and with markers across small pages") {
  std::string c = create_container("listing");
  AzureStoreOptions small_pages;
  small_pages.list_page_size = 2;
  auto store = open_store(c, {}, small_pages);
  std::vector<std::string> keys{"backups/b1/velero-backup.json", "backups/b1/b1.tar.gz", "backups/b2/velero-backup.json",
                                "backups/b3/deep/x/y.txt", "backups/with space/a b.json", "backups/plus+/c%d.json",
                                "backups/\xC3\xA9t\xC3\xA9/v.json", "restores/r1/restore-r1-logs.gz", "top.txt",
                                "backupsX/z"};
  for (const auto& k : keys) store->put(k, k);

  CHECK(store->list_common_prefixes("backups/", "/") ==
        std::vector<std::string>{"backups/b1/", "backups/b2/", "backups/b3/", "backups/plus+/", "backups/with space/",
                                 "backups/\xC3\xA9t\xC3\xA9/"});
  CHECK(store->list_common_prefixes("", "/") == std::vector<std::string>{"backups/", "backupsX/", "restores/"});
  CHECK(store->list_common_prefixes("back", "/") == std::vector<std::string>{"backups/", "backupsX/"});
  CHECK(store->list_common_prefixes("nothing/", "/").empty());

  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  CHECK(store->list_objects("") == sorted);
  auto python_names = split_lines(python("list " + c + " --max-results 3"));
  std::sort(python_names.begin(), python_names.end());
  CHECK(python_names == sorted);
  CHECK(store->list_objects("backups/b1/") ==
        std::vector<std::string>{"backups/b1/b1.tar.gz", "backups/b1/velero-backup.json"});
  for (const auto& k : keys) CHECK(store->get_all(k, 1000) == k);
}

TEST_CASE("azure: signed URLs are read-only service SASes the Python client can fetch without a key") {
  std::string c = create_container("sas");
  auto store = open_store(c);
  store->put("backups/b1/b1-logs.gz", "log bytes");
  std::string url = store->signed_url("backups/b1/b1-logs.gz", std::chrono::minutes(10));
  CHECK(url.starts_with(azurite().endpoint() + "/sas/backups/b1/b1-logs.gz?sv=2021-08-06&st="));
  CHECK(url.find("&sr=b&sp=r&spr=https%2Chttp&sig=") != std::string::npos);
  CHECK(url.find(kKey) == std::string::npos);
  CHECK(python("fetch " + shell_quote(url)) == sha256_of("log bytes") + "\n");
  // A tampered signature is refused: the URL is only good for what it was signed for.
  std::string other = url;
  other.replace(other.find("b1-logs.gz"), 10, "b1-data.gz");
  RunResult r = run_status("/usr/bin/python3 " + shell_quote((source_root() / "tests/support/azure_sharedkey_client.py").string()) +
                           " --account x fetch " + shell_quote(other));
  CHECK(r.status != 0);
  CHECK(r.out.find("HTTP 403") != std::string::npos);
}

TEST_CASE("azure: Velero's bucket layout through BackupStore, under a prefix") {
  std::string c = create_container("layout");
  std::shared_ptr<ObjectStore> objects = open_store(c);
  BackupStore bs(objects, "cluster-a");
  CHECK(bs.validation_error().empty());  // an empty container is a valid location
  for (const char* b : {"nightly-1", "nightly-2"}) {
    objects->put(bs.backup_metadata_key(b), "{\"kind\":\"Backup\",\"apiVersion\":\"velero.io/v1\"}");
    objects->put(bs.backup_contents_key(b), "tarball");
    objects->put(bs.backup_log_key(b), "log");
  }
  objects->put(bs.backup_contents_key("incomplete"), "tarball only");  // no velero-backup.json
  CHECK(bs.list_backups() == std::vector<std::string>{"nightly-1", "nightly-2"});
  CHECK(bs.backup_exists("nightly-1"));
  CHECK_FALSE(bs.backup_exists("incomplete"));
  CHECK(bs.validation_error().empty());
  objects->put("cluster-a/stray/file", "x");
  CHECK(bs.validation_error() == "Backup store contains invalid top-level directories: [stray]");
  auto deleted = bs.delete_backup("nightly-1");
  CHECK(deleted.size() == 3);
  CHECK(bs.list_backups() == std::vector<std::string>{"nightly-2"});
  CHECK(split_lines(python("list " + c + " --prefix cluster-a/backups/nightly-1/")).empty());
}

TEST_CASE("azure: a block that fails once, or is cut mid-body, is retried; the blob is identical") {
  std::string c = create_container("faults");
  testing::FaultProxy proxy("127.0.0.1", azurite().port());
  std::vector<std::string> log;
  std::mutex log_mutex;
  AzureStoreOptions options;
  options.log = [&](std::string_view line) {
    std::lock_guard<std::mutex> lock(log_mutex);
    log.emplace_back(line);
  };
  auto store = open_azure_store(location(c, proxy.url() + "/" + kAccount, {{"blockSizeInBytes", std::to_string(4 << 20)}}),
                                options);

  // 25 MiB: the first Put Block is answered 500 once, a later one is cut after 1 MiB of its body.
  proxy.fail_next(1, 500);
  auto w = store->open_write("backups/f/f.tar.gz");
  Pattern p(7);
  Sha256 h;
  std::vector<char> buf(1 << 20);
  for (int i = 0; i < 25; ++i) {
    p.fill(buf.data(), buf.size());
    if (i == 12) proxy.drop_request_after(1 << 20);
    w->write(buf.data(), buf.size());
    h.update(buf.data(), buf.size());
  }
  w->commit();
  std::string sha = h.hex();
  CHECK(proxy.faults() == 2);
  CHECK(python("sha256 " + c + " backups/f/f.tar.gz") == sha + "\n");
  {
    std::lock_guard<std::mutex> lock(log_mutex);
    CHECK(log.size() >= 2);  // each retry is logged with its reason
  }

  // A download whose connection drops after 3 MiB resumes from the next byte.
  proxy.drop_response_after(3 << 20);
  auto in = store->get("backups/f/f.tar.gz");
  std::uint64_t bytes = 0;
  CHECK(sha256_of_stream(*in, &bytes) == sha);
  CHECK(bytes == 25u << 20);
  CHECK(proxy.faults() == 3);
  bool resumed = false;
  for (const auto& line : log) resumed = resumed || line.find("resuming from byte") != std::string::npos;
  CHECK(resumed);

  // Throttling (503 ServerBusy) on a listing is retried.
  proxy.server_busy_next(2);
  CHECK(store->list_objects("backups/") == std::vector<std::string>{"backups/f/f.tar.gz"});
}

TEST_CASE("azure: a block that keeps failing fails the upload clearly and leaves nothing visible") {
  std::string c = create_container("hardfail");
  testing::FaultProxy proxy("127.0.0.1", azurite().port());
  AzureStoreOptions options;
  options.max_attempts = 2;
  auto store = open_azure_store(location(c, proxy.url() + "/" + kAccount, {{"blockSizeInBytes", std::to_string(1 << 20)}}),
                                options);
  proxy.fail_next(100, 503, "<?xml version=\"1.0\"?><Error><Code>ServerBusy</Code><Message>busy\nRequestId:1</Message></Error>");
  auto w = store->open_write("backups/x/x.tar.gz");
  ErrorCode code{};
  std::string msg = error_of(
      [&] {
        write_pattern(*w, 8, 3 << 20);
        w->commit();
      },
      &code);
  CAPTURE(msg);
  CHECK(code == ErrorCode::storage);
  CHECK(msg.find("Put Block") != std::string::npos);
  CHECK(msg.find("503") != std::string::npos);
  CHECK(msg.find("ServerBusy: busy") != std::string::npos);
  w.reset();
  proxy.reset();
  CHECK_FALSE(store->exists("backups/x/x.tar.gz"));
  CHECK(store->list_objects("").empty());
}

TEST_CASE("azure: malformed and truncated List Blobs answers are named errors") {
  std::string c = create_container("badxml");
  testing::FaultProxy proxy("127.0.0.1", azurite().port());
  auto store = open_azure_store(location(c, proxy.url() + "/" + kAccount));
  store->put("a", "1");
  proxy.fail_next(1, 200, "<EnumerationResults><Blobs><Blob><Name>a</Name></Blob>",
                  {{"Content-Type", "application/xml"}});
  std::string msg = error_of([&] { store->list_objects(""); });
  CHECK(msg.find("List Blobs prefix \"\": not valid XML (line 1") != std::string::npos);
  proxy.fail_next(1, 200, "{\"not\": \"xml\"}");
  CHECK(error_of([&] { store->list_objects(""); }).find("not valid XML") != std::string::npos);
  proxy.fail_next(1, 200, "<Error><Code>x</Code></Error>");
  CHECK(error_of([&] { store->list_objects(""); }).find("unexpected List Blobs response") != std::string::npos);
  AzureStoreOptions one_attempt;
  one_attempt.max_attempts = 1;
  auto impatient = open_azure_store(location(c, proxy.url() + "/" + kAccount), one_attempt);
  proxy.fail_next(1, 500, "<html>oops</html>");
  msg = error_of([&] { impatient->list_objects(""); });
  CHECK(msg.find("500") != std::string::npos);
  CHECK(msg.find("the error body is not the service's XML") != std::string::npos);
  proxy.reset();
  // A list answer cut in the middle of its body: the client retries it (a GET), then it succeeds.
  proxy.drop_response_after(20);
  CHECK(store->list_objects("") == std::vector<std::string>{"a"});
}

TEST_CASE("azure: 256 MiB up and down through Azurite; the writer's memory stays bounded") {
  std::string c = create_container("bench");
  auto store = open_store(c);  // default block size (8 MiB), 4 blocks in flight
  const std::uint64_t size = 256ull << 20;
  testing::reset_peak_rss();
  long base = testing::rss_kib();
  auto t0 = std::chrono::steady_clock::now();
  auto w = store->open_write("bench/256m.bin");
  std::string sha = write_pattern(*w, 9, size);
  w->commit();
  auto t1 = std::chrono::steady_clock::now();
  long growth = testing::peak_rss_kib() - base;
  w.reset();
  auto in = store->get("bench/256m.bin");
  std::uint64_t bytes = 0;
  std::string down_sha = sha256_of_stream(*in, &bytes);
  auto t2 = std::chrono::steady_clock::now();
  CHECK(down_sha == sha);
  CHECK(bytes == size);
  // The same download by the Python client, as a yardstick for the emulator's own speed.
  CHECK(python("sha256 " + c + " bench/256m.bin") == sha + "\n");
  auto t3 = std::chrono::steady_clock::now();
  double up_s = std::chrono::duration<double>(t1 - t0).count();
  double down_s = std::chrono::duration<double>(t2 - t1).count();
  double py_s = std::chrono::duration<double>(t3 - t2).count();
  MESSAGE("256 MiB through Azurite: upload " << (256 / up_s) << " MiB/s (" << up_s << " s), download "
                                             << (256 / down_s) << " MiB/s (" << down_s << " s), the Python client's "
                                             << "download " << (256 / py_s) << " MiB/s; writer peak RSS growth "
                                             << growth << " KiB (VmHWM after clear_refs reset, minus VmRSS before)");
  // (4 in flight + 1 filling) x 8 MiB, plus the client's buffers: well under the 64 MiB.
  if (testing::kRssMeaningful) CHECK(growth < 48 * 1024);
  store->remove("bench/256m.bin");
}

TEST_CASE("azure: a download that drops after its blob was replaced fails instead of splicing two versions") {
  std::string c = create_container("replaced");
  testing::FaultProxy proxy("127.0.0.1", azurite().port());
  auto through_proxy = open_azure_store(location(c, proxy.url() + "/" + kAccount));
  auto direct = open_store(c);
  auto w = direct->open_write("backups/r/r.tar.gz");
  write_pattern(*w, 10, 8 << 20);
  w->commit();

  proxy.drop_response_after(2 << 20);
  auto in = through_proxy->get("backups/r/r.tar.gz");
  std::vector<char> buf(1 << 20);
  CHECK(in->read(buf.data(), buf.size()) > 0);
  auto w2 = direct->open_write("backups/r/r.tar.gz");
  write_pattern(*w2, 11, 8 << 20);
  w2->commit();
  ErrorCode code{};
  std::string msg = error_of(
      [&] {
        while (in->read(buf.data(), buf.size()) > 0) {
        }
      },
      &code);
  CHECK(code == ErrorCode::storage);
  CHECK(msg.find("backups/r/r.tar.gz: the blob was replaced while it was being read") != std::string::npos);
}

TEST_CASE("azure: https with the location's caCert; without it the server's certificate is refused") {
  TlsAzurite& tls = tls_azurite();
  testing::TempDir tmp("azure-ca");
  fs::path ca = tmp.write("ca.pem", tls.cert_pem);
  python("create-container tls", tls.server->endpoint(), ca.string());

  auto store = open_azure_store(location("tls", tls.server->endpoint(), {{"caCert", tls.cert_pem}}));
  store->put("backups/t/velero-backup.json", "{}");
  CHECK(store->get_all("backups/t/velero-backup.json", 10) == "{}");
  CHECK(store->list_common_prefixes("backups/", "/") == std::vector<std::string>{"backups/t/"});
  std::string url = store->signed_url("backups/t/velero-backup.json", std::chrono::minutes(10));
  CHECK(url.find("&spr=https&") != std::string::npos);  // https only, as the plugin signs
  RunResult r = run_status("/usr/bin/python3 " + shell_quote((source_root() / "tests/support/azure_sharedkey_client.py").string()) +
                           " --cafile " + shell_quote(ca.string()) + " --account x fetch " + shell_quote(url));
  CHECK(r.status == 0);
  CHECK(r.out == sha256_of("{}") + "\n");

  auto untrusting = open_azure_store(location("tls", tls.server->endpoint()));
  ErrorCode code{};
  std::string msg = error_of([&] { untrusting->put("x", "y"); }, &code);
  CAPTURE(msg);
  CHECK(code == ErrorCode::storage);
  CHECK(msg.find("certificate") != std::string::npos);
}

// ---- brief "s6-bkmem" (issue 17): block sizes that keep a backup under 64 MiB ----------------------
TEST_CASE("azure: blobs of 4 MiB blocks by default, and blocks that grow during the upload, read back byte-exact") {
  std::string c = create_container("blocksizes");
  CHECK(AzureStoreOptions{}.max_parallel_blocks == 2);  // (2 + 1) × 4 MiB in memory per writer
  auto store = open_store(c);  // no blockSizeInBytes: 4 MiB blocks
  auto w = store->open_write("backups/d/d.tar.gz");
  std::string sha = write_pattern(*w, 3, (13 << 20) + 5);  // 4 blocks, the last one short
  w->commit();
  CHECK(python("sha256 " + c + " backups/d/d.tar.gz") == sha + "\n");

  AzureStoreOptions growing;
  growing.block_size_doubling = 2;  // 1, 1, 2, 2, 4 MiB, …
  auto store2 = open_store(c, {{"blockSizeInBytes", std::to_string(1 << 20)}}, growing);
  auto w2 = store2->open_write("backups/g/g.tar.gz");
  std::string sha2 = write_pattern(*w2, 4, (11 << 20) + 77);  // 1+1+2+2+4 MiB, then 1 MiB + 77 bytes
  w2->commit();
  CHECK(w2->bytes_written() == (11u << 20) + 77);
  CHECK(python("sha256 " + c + " backups/g/g.tar.gz") == sha2 + "\n");
  auto in = store2->get("backups/g/g.tar.gz", {(2 << 20) - 3, 6});  // across the second and third blocks
  Pattern p(4);
  std::string all = p.take((11 << 20) + 77);
  CHECK(read_all(*in, 100, "range") == all.substr((2 << 20) - 3, 6));
}
