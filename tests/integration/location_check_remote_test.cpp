// `backup-location check` against real object stores (issue 12): moto (with a read-only IAM user) and
// Azurite (a refused write through the fault proxy). The check changes nothing: the probe object is
// gone afterwards; a store that refuses it is Available (read-only); a missing bucket or container
// is Unavailable.
#include "fault_proxy.hpp"
#include "test_helpers.hpp"

#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/location.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace vbackup;
namespace fs = std::filesystem;

namespace {

const Timestamp kNow(std::chrono::seconds(1764000000));

testing::S3Emulator& moto() {
  static testing::S3Emulator e = testing::start_moto();
  return e;
}

// A location URL for `bucket` on moto with the key pair in a credentials file of its own.
std::string moto_url(const std::string& bucket, const std::string& key, const std::string& secret) {
  fs::path creds = testing::scratch_dir() / ("creds-" + key);
  std::ofstream(creds) << "[default]\naws_access_key_id=" << key << "\naws_secret_access_key=" << secret << "\n";
  return "s3://" + bucket + "/team?region=us-east-1&s3ForcePathStyle=true&s3Url=" + moto().endpoint +
         "&credentialsFile=" + creds.string();
}

std::vector<std::string> keys_in(OpenedLocation& loc) { return loc.objects->list_objects(""); }

testing::Azurite& azurite() {
  static testing::Azurite instance("check");
  REQUIRE_MESSAGE(instance.error().empty(), instance.error());
  ::setenv("AZURE_STORAGE_ACCOUNT_ACCESS_KEY", testing::Azurite::kKey, 1);
  return instance;
}

std::string azure_url(const std::string& container, const std::string& endpoint) {
  return "azure://" + container + "/velero?storageAccount=" + testing::Azurite::kAccount +
         "&storageAccountKeyEnvVar=AZURE_STORAGE_ACCOUNT_ACCESS_KEY&storageAccountURI=" + endpoint;
}

}  // namespace

TEST_CASE("moto: check is Available and leaves nothing; a read-only IAM user is Available (read-only)") {
  auto& e = moto();
  auto writer = open_location(moto_url(e.bucket, e.access_key, e.secret));
  writer.objects->put("team/backups/b/velero-backup.json", "{}");
  auto st = check_location(writer, kNow);
  CHECK(st.phase == "Available");
  CHECK(st.access_mode.empty());
  CHECK(st.message.empty());
  CHECK(keys_in(writer) == std::vector<std::string>{"team/backups/b/velero-backup.json"});

  // A user who may read and list, not write: what a restore-only credential looks like.
  e.aws_ok({"iam", "create-user", "--user-name", "reader"});
  auto key = json::parse(e.aws_ok({"iam", "create-access-key", "--user-name", "reader"}), "create-access-key");
  e.aws_ok({"iam", "put-user-policy", "--user-name", "reader", "--policy-name", "read", "--policy-document",
            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]})"});
  auto reader = open_location(moto_url(e.bucket, std::string(key.at("AccessKey").at("AccessKeyId").as_string()),
                                       std::string(key.at("AccessKey").at("SecretAccessKey").as_string())));
  st = check_location(reader, kNow);
  CHECK(st.phase == "Available");
  CHECK(st.access_mode == "ReadOnly");
  CHECK(st.message.starts_with("read-only: a probe object cannot be written: "));
  CHECK(st.message.find("AccessDenied") != std::string::npos);
  CHECK(location_write_problem(reader.location, *reader.backups, true).starts_with(
      "backup storage location s3://" + e.bucket + "/team"));
  CHECK(keys_in(writer) == std::vector<std::string>{"team/backups/b/velero-backup.json"});
}

TEST_CASE("moto: a missing bucket is Unavailable, named") {
  auto& e = moto();
  auto missing = open_location(moto_url("no-such-bucket", e.access_key, e.secret));
  auto st = check_location(missing, kNow);
  CHECK(st.phase == "Unavailable");
  CHECK(st.message.find("no-such-bucket") != std::string::npos);
}

TEST_CASE("azurite: check is Available and leaves nothing; a refused write is Available (read-only); a missing container Unavailable") {
  auto& a = azurite();
  auto r = testing::run({"/usr/bin/python3", (testing::source_root() / "tests/support/azure_sharedkey_client.py").string(),
                         "--endpoint", a.endpoint(), "--account", testing::Azurite::kAccount, "--key",
                         testing::Azurite::kKey, "create-container", "checked"});
  REQUIRE_MESSAGE(r.status == 0, r.output);
  auto loc = open_location(azure_url("checked", a.endpoint()));
  auto st = check_location(loc, kNow);
  CHECK(st.phase == "Available");
  CHECK(st.message.empty());
  CHECK(keys_in(loc).empty());

  // Through the fault proxy: the probe's PUT answered 403, as a read-only SAS or role would.
  testing::FaultProxy proxy("127.0.0.1", a.port());
  auto via_proxy = open_location(azure_url("checked", proxy.url() + "/" + testing::Azurite::kAccount));
  proxy.fail_next(1, 403,
                  "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationPermissionMismatch</Code>"
                  "<Message>This request is not authorized to perform this operation using this permission.</Message></Error>",
                  {{"x-ms-error-code", "AuthorizationPermissionMismatch"}, {"Content-Type", "application/xml"}});
  std::string problem = location_write_problem(via_proxy.location, *via_proxy.backups, false);
  CHECK(problem.starts_with("backup storage location azure://checked/velero"));
  CHECK(problem.find("a probe object cannot be written: ") != std::string::npos);
  CHECK(problem.find("403") != std::string::npos);
  CHECK(keys_in(loc).empty());

  auto missing = open_location(azure_url("no-such-container", a.endpoint()));
  st = check_location(missing, kNow);
  CHECK(st.phase == "Unavailable");
  CHECK(st.message.find("no-such-container") != std::string::npos);
}
