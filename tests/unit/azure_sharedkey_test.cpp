// Azure Blob without a network: Shared Key signing checked against the strings Microsoft documents
// and against an independent stdlib-only Python client (tests/support/azure_sharedkey_client.py),
// the service SAS, the XML the service sends, and the BackupStorageLocation config and key sources
// of velero-plugin-for-microsoft-azure.
#include "storage/azure/credentials.hpp"
#include "storage/azure/responses.hpp"
#include "storage/azure/sharedkey.hpp"
#include "test_helpers.hpp"
#include "storage/azure/azure.hpp"
#include "core/encoding.hpp"
#include "vbackup/error.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

using namespace vbackup;
using namespace vbackup::storage;
using namespace vbackup::storage::azure;
namespace fs = std::filesystem;

namespace {

// The Azurite development account (test-infrastructure.md §4); a published, non-secret key.
constexpr const char* kDevAccount = "devstoreaccount1";
constexpr const char* kDevKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

std::string dev_key_bytes() {
  auto key = base64_decode(kDevKey);
  REQUIRE(key);
  return *key;
}

std::string source_root() {
  const char* root = std::getenv("VBK_SOURCE_ROOT");
  return root ? root : ".";
}

// Runs a command, returns its standard output; fails the test on a non-zero exit.
std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  INFO("command: " << command << "\noutput: " << out);
  REQUIRE(status == 0);
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The JSON string the Python client prints for a string-to-sign, decoded (it only escapes \n, \"
// and \\ for the strings used here, plus \uXXXX for non-ASCII, which the tests avoid in headers).
std::string json_unquote(const std::string& line) {
  std::string out;
  REQUIRE(line.size() >= 2);
  for (std::size_t i = 1; i + 1 < line.size(); ++i) {
    if (line[i] == '\\') {
      char n = line[++i];
      if (n == 'n') out.push_back('\n');
      else if (n == 'u') {
        unsigned cp = std::stoul(line.substr(i + 1, 4), nullptr, 16);
        i += 4;
        REQUIRE(cp < 0x80);  // the tests keep the string-to-sign ASCII
        out.push_back(static_cast<char>(cp));
      } else out.push_back(n);
    } else {
      out.push_back(line[i]);
    }
  }
  return out;
}

struct PythonSignature {
  std::string string_to_sign;
  std::string signature;
};

PythonSignature python_sign(const SignInput& in, const std::string& account) {
  std::string cmd = "/usr/bin/python3 " + shell_quote(source_root() + "/tests/support/azure_sharedkey_client.py") +
                    " --account " + shell_quote(account) + " --key " + shell_quote(kDevKey) + " sign --method " +
                    shell_quote(in.method) + " --path " + shell_quote(in.path);
  for (const auto& [k, v] : in.query) cmd += " --query " + shell_quote(k + "=" + v);
  for (const auto& [k, v] : in.headers) cmd += " --header " + shell_quote(k + ":" + v);
  std::string out = run(cmd);
  auto nl = out.find('\n');
  REQUIRE(nl != std::string::npos);
  PythonSignature s;
  s.string_to_sign = json_unquote(out.substr(0, nl));
  s.signature = out.substr(nl + 1);
  while (!s.signature.empty() && (s.signature.back() == '\n' || s.signature.back() == '\r')) s.signature.pop_back();
  return s;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto nl = s.find('\n', start);
    out.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) return out;
    start = nl + 1;
  }
}

using testing::EnvVar;
using testing::error_of;

// A file holding `content`, removed at the end of scope.
struct TempFile {
  testing::TempDir dir{"azure-unit"};
  fs::path path;
  explicit TempFile(const std::string& content) : path(dir.write("file", content)) {}
};

Location azure_location(std::map<std::string, std::string> config, std::string container = "velero") {
  Location l;
  l.provider = "azure";
  l.bucket = std::move(container);
  l.config = std::move(config);
  return l;
}

}  // namespace

// --- Shared Key: Microsoft's documented strings -----------------------------------------------

TEST_CASE("shared key: Microsoft's Get Container Metadata example gives the documented string-to-sign") {
  // authorize-with-shared-key: GET with x-ms-date "Fri, 26 Jun 2015 23:39:12 GMT", version
  // 2015-02-21, ?restype=container&comp=metadata&timeout=20.
  SignInput in{"GET", "/mycontainer",
               {{"restype", "container"}, {"comp", "metadata"}, {"timeout", "20"}},
               {{"x-ms-date", "Fri, 26 Jun 2015 23:39:12 GMT"}, {"x-ms-version", "2015-02-21"}}};
  CHECK(string_to_sign("myaccount", in) ==
        "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\nx-ms-version:2015-02-21\n"
        "/myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20");
}

TEST_CASE("shared key: a zero Content-Length is an empty line (version 2015-02-21 and later)") {
  SignInput in{"PUT", "/mycontainer", {{"restype", "container"}, {"timeout", "30"}},
               {{"x-ms-date", "Fri, 26 Jun 2015 23:39:12 GMT"}, {"x-ms-version", "2015-02-21"}, {"Content-Length", "0"}}};
  CHECK(string_to_sign("myaccount", in) ==
        "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\nx-ms-version:2015-02-21\n"
        "/myaccount/mycontainer\nrestype:container\ntimeout:30");
}

TEST_CASE("shared key: Microsoft's canonicalized resource examples") {
  // "Get Container Metadata" and "List Blobs" from the Constructing the canonicalized resource
  // string section: query names sorted, a repeated parameter's values sorted and comma-joined.
  SignInput meta{"GET", "/mycontainer", {{"restype", "container"}, {"comp", "metadata"}}, {}};
  CHECK(canonicalized_resource("myaccount", meta) == "/myaccount/mycontainer\ncomp:metadata\nrestype:container");
  SignInput list{"GET", "/mycontainer",
                 {{"restype", "container"}, {"comp", "list"}, {"include", "snapshots"}, {"include", "metadata"},
                  {"include", "uncommittedblobs"}},
                 {}};
  CHECK(canonicalized_resource("myaccount", list) ==
        "/myaccount/mycontainer\ncomp:list\ninclude:metadata,snapshots,uncommittedblobs\nrestype:container");
  SignInput service{"GET", "", {{"comp", "list"}}, {}};
  CHECK(canonicalized_resource("myaccount", service) == "/myaccount/\ncomp:list");
}

TEST_CASE("shared key: the emulator's path-style URL names the account twice (infra §4)") {
  SignInput in{"GET", "/devstoreaccount1/velero/backups/b1/velero-backup.json", {}, {}};
  CHECK(canonicalized_resource(kDevAccount, in) == "/devstoreaccount1/devstoreaccount1/velero/backups/b1/velero-backup.json");
}

TEST_CASE("shared key: query names are lower-cased and values used decoded") {
  SignInput in{"PUT", "/c/b", {{"comp", "block"}, {"BlockId", "YWJj+/="}}, {}};
  CHECK(canonicalized_resource("a", in) == "/a/c/b\nblockid:YWJj+/=\ncomp:block");
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  REQUIRE(split_target("/c/b?comp=block&blockid=YWJj%2B%2F%3D&prefix=a%20b", path, query));
  CHECK(path == "/c/b");
  REQUIRE(query.size() == 3);
  CHECK(query[1].second == "YWJj+/=");
  CHECK(query[2].second == "a b");
  CHECK_FALSE(split_target("/c?prefix=%G1", path, query));
  CHECK_FALSE(split_target("/c?prefix=%4", path, query));
}

TEST_CASE("shared key: only x-ms-* headers are canonicalized, lower-cased, sorted and folded") {
  SignInput in{"GET", "/c", {},
               {{"X-Ms-Version", "  2021-08-06 "}, {"x-ms-date", "Mon,  1 Jan\t2026"}, {"Authorization", "secret"},
                {"Host", "example"}, {"x-ms-blob-type", "BlockBlob"}}};
  CHECK(canonicalized_headers(in) == "x-ms-blob-type:BlockBlob\nx-ms-date:Mon, 1 Jan 2026\nx-ms-version:2021-08-06\n");
}

TEST_CASE("shared key: the eleven standard headers sit on their own lines") {
  SignInput in{"PUT", "/c/b", {},
               {{"Content-Length", "17"}, {"Content-MD5", "md5=="}, {"Content-Type", "application/octet-stream"},
                {"If-Match", "\"0x1\""}, {"Range", "bytes=0-9"}, {"content-encoding", "gzip"}}};
  auto lines = lines_of(string_to_sign("a", in));
  REQUIRE(lines.size() == 13);  // verb, eleven headers, the resource (no canonical headers here)
  CHECK(lines[0] == "PUT");
  CHECK(lines[1] == "gzip");
  CHECK(lines[3] == "17");
  CHECK(lines[4] == "md5==");
  CHECK(lines[5] == "application/octet-stream");
  CHECK(lines[8] == "\"0x1\"");
  CHECK(lines[11] == "bytes=0-9");
  CHECK(lines[12] == "/a/c/b");
}

TEST_CASE("shared key: HMAC-SHA256 matches RFC 4231 test case 2; the dev key decodes to 64 bytes") {
  CHECK(hmac_sha256_base64("Jefe", "what do ya want for nothing?") == "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
  CHECK(dev_key_bytes().size() == 64);
}

TEST_CASE("shared key: dates in RFC 1123 and SAS form") {
  auto t = std::chrono::system_clock::from_time_t(1255297753);  // Sun, 11 Oct 2009 21:49:13 GMT
  CHECK(rfc1123_date(t) == "Sun, 11 Oct 2009 21:49:13 GMT");
  CHECK(iso8601_seconds(t) == "2009-10-11T21:49:13Z");
}

// --- Shared Key: the independent Python client agrees --------------------------------------------

TEST_CASE("shared key: the independent Python client computes the same string-to-sign and signature") {
  const std::vector<SignInput> requests{
      // Put Blob through the emulator's path-style URL.
      {"PUT", "/devstoreaccount1/velero/backups/b1/b1.tar.gz", {},
       {{"x-ms-date", "Fri, 26 Jun 2015 23:39:12 GMT"}, {"x-ms-version", "2021-08-06"}, {"x-ms-blob-type", "BlockBlob"},
        {"Content-Length", "1048576"}, {"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}, {"Content-Type", "application/octet-stream"}}},
      // Put Block: the block id's '+', '/' and '=' are signed decoded.
      {"PUT", "/devstoreaccount1/velero/big", {{"comp", "block"}, {"blockid", "dmJrLTAwMDAwMDAx+/=="}},
       {{"x-ms-date", "Sat, 01 Jan 2022 00:00:00 GMT"}, {"x-ms-version", "2021-08-06"}, {"Content-Length", "10485760"}}},
      // List Blobs with prefix, delimiter, marker and maxresults; a space in the prefix.
      {"GET", "/velero",
       {{"restype", "container"}, {"comp", "list"}, {"prefix", "backups/my backup/"}, {"delimiter", "/"},
        {"marker", "2!88!MDAwMDIx"}, {"maxresults", "2"}},
       {{"x-ms-date", "Sat, 01 Jan 2022 00:00:00 GMT"}, {"x-ms-version", "2021-08-06"}}},
      // Ranged Get Blob with If-Match, and a percent-encoded path.
      {"GET", "/devstoreaccount1/velero/backups/a%20b/c%2Bd.json", {},
       {{"x-ms-date", "Sat, 01 Jan 2022 00:00:00 GMT"}, {"x-ms-version", "2021-08-06"},
        {"x-ms-range", "bytes=1048576-2097151"}, {"If-Match", "\"0x8D9C\""}}},
      // Delete Blob with snapshots.
      {"DELETE", "/velero/backups/b1/b1.tar.gz", {},
       {{"x-ms-date", "Sat, 01 Jan 2022 00:00:00 GMT"}, {"x-ms-version", "2021-08-06"}, {"x-ms-delete-snapshots", "include"}}},
  };
  std::string key = dev_key_bytes();
  for (const auto& in : requests) {
    CAPTURE(in.method);
    CAPTURE(in.path);
    PythonSignature py = python_sign(in, kDevAccount);
    CHECK(string_to_sign(kDevAccount, in) == py.string_to_sign);
    CHECK(hmac_sha256_base64(key, string_to_sign(kDevAccount, in)) == py.signature);
    CHECK(authorization_header(kDevAccount, key, in) == std::string("SharedKey devstoreaccount1:") + py.signature);
  }
}

TEST_CASE("service SAS: the 2020-12-06 string-to-sign has sixteen fields and matches the Python client") {
  ServiceSas sas;
  sas.start = "2022-01-01T00:00:00Z";
  sas.expiry = "2022-01-01T00:10:00Z";
  sas.protocol = "https,http";
  sas.version = std::string(kAzureApiVersion);
  sas.account = kDevAccount;
  sas.container = "velero";
  sas.blob = "backups/b1/b1.tar.gz";
  std::string text = sas_string_to_sign(sas);
  auto fields = lines_of(text);
  REQUIRE(fields.size() == 16);
  CHECK(fields[0] == "r");
  CHECK(fields[3] == "/blob/devstoreaccount1/velero/backups/b1/b1.tar.gz");  // the account once, even for the emulator
  CHECK(fields[6] == "https,http");
  CHECK(fields[7] == "2021-08-06");
  CHECK(fields[8] == "b");

  std::string out = run("/usr/bin/python3 " + shell_quote(source_root() + "/tests/support/azure_sharedkey_client.py") +
                        " --account devstoreaccount1 --key " + shell_quote(kDevKey) +
                        " sas --container velero --blob backups/b1/b1.tar.gz --start 2022-01-01T00:00:00Z"
                        " --expiry 2022-01-01T00:10:00Z --protocol https,http --version 2021-08-06");
  auto nl = out.find('\n');
  CHECK(json_unquote(out.substr(0, nl)) == text);
  std::string py_sig = out.substr(nl + 1, out.find('\n', nl + 1) - nl - 1);
  std::string query = sas_query(sas, dev_key_bytes());
  CHECK(query.starts_with("sv=2021-08-06&st=2022-01-01T00%3A00%3A00Z&se=2022-01-01T00%3A10%3A00Z&sr=b&sp=r&spr=https%2Chttp&sig="));
  CHECK(query.ends_with("&sig=" + url_encode(py_sig, false)));
}

// --- XML -------------------------------------------------------------------------------------------

TEST_CASE("xml: a List Blobs page gives blobs, prefixes and the next marker") {
  const char* body =
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<EnumerationResults ServiceEndpoint=\"http://127.0.0.1:10000/devstoreaccount1\" ContainerName=\"velero\">"
      "<Prefix>backups/</Prefix><MaxResults>3</MaxResults><Delimiter>/</Delimiter>"
      "<Blobs>"
      "<Blob><Name>backups/a &amp; b.json</Name><Properties><Content-Length>3</Content-Length></Properties></Blob>"
      "<BlobPrefix><Name>backups/b1/</Name></BlobPrefix>"
      "<Blob><Name Encoded=\"true\">backups/%01ctl</Name><Properties/></Blob>"
      "<Blob><Name><![CDATA[backups/<cdata>]]></Name></Blob>"
      "<Blob><Name>backups/&#xE9;t&#233;</Name></Blob>"
      "</Blobs>"
      "<NextMarker>2!88!MDAwMDIx</NextMarker>"
      "</EnumerationResults>";
  ListBlobsPage page = parse_list_blobs(body, "List Blobs velero");
  CHECK(page.blobs == std::vector<std::string>{"backups/a & b.json", "backups/\x01" "ctl", "backups/<cdata>",
                                               "backups/\xC3\xA9t\xC3\xA9"});
  CHECK(page.prefixes == std::vector<std::string>{"backups/b1/"});
  CHECK(page.next_marker == "2!88!MDAwMDIx");

  ListBlobsPage last = parse_list_blobs("<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>", "x");
  CHECK(last.blobs.empty());
  CHECK(last.next_marker.empty());
}

TEST_CASE("xml: malformed, truncated or foreign bodies are errors naming the response") {
  for (const char* body : {"<EnumerationResults><Blobs><Blob><Name>x</Name></Blob></Blobs>",
                           "<EnumerationResults><Blobs></Blob></EnumerationResults>",
                           "<EnumerationResults>\n<Blobs><Blob><Name>a &nbsp; b</Name></Blob></Blobs></EnumerationResults>",
                           "<!DOCTYPE x [<!ENTITY a \"b\">]><x/>", "", "<a/><b/>",
                           "<EnumerationResults><Blobs><Blob><Name>x</Na"}) {
    CAPTURE(body);
    ErrorCode code{};
    std::string msg = error_of([&] { parse_list_blobs(body, "List Blobs azure://velero"); }, &code);
    CHECK(msg.starts_with("List Blobs azure://velero: not valid XML (line "));
    CHECK(code == ErrorCode::storage);
  }
  CHECK(error_of([&] { parse_list_blobs("<Error><Code>x</Code></Error>", "L"); })
            .find("unexpected List Blobs response: root element is <Error>") != std::string::npos);
  CHECK(error_of([&] { parse_list_blobs("<EnumerationResults/>", "L"); }).find("no <Blobs> element") != std::string::npos);
  CHECK(error_of([&] { parse_list_blobs("<EnumerationResults><Blobs><Blob/></Blobs></EnumerationResults>", "L"); })
            .find("<Blob> without <Name>") != std::string::npos);
  CHECK(error_of([&] {
          parse_list_blobs("<EnumerationResults><Blobs><Blob><Name Encoded=\"true\">%G0</Name></Blob></Blobs></EnumerationResults>", "L");
        }).find("bad percent-encoding") != std::string::npos);
}

TEST_CASE("xml: error bodies give code and the first line of the message, never the auth detail") {
  auto e = parse_error_body(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to "
      "authenticate the request.\nRequestId:1\nTime:2022</Message><AuthenticationErrorDetail>The MAC signature found "
      "in the HTTP request 'c2lnbmF0dXJl' is not the same as any computed signature.</AuthenticationErrorDetail></Error>");
  REQUIRE(e);
  CHECK(e->code == "AuthenticationFailed");
  CHECK(e->message == "Server failed to authenticate the request.");
  CHECK_FALSE(parse_error_body("<html>502 Bad Gateway</html>"));
  CHECK_FALSE(parse_error_body("<Error><Code>Trunc"));
  CHECK_FALSE(parse_error_body(""));
  CHECK(block_list_xml({"QQ==", "Qg=="}) ==
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>QQ==</Latest><Latest>Qg==</Latest></BlockList>");
}

// --- Config (velero-plugin-for-microsoft-azure Init) ----------------------------------------------

TEST_CASE("config: the plugin's keys are accepted; resourceGroup and subscriptionId are ignored") {
  AzureConfig c = parse_azure_config(azure_location({{"storageAccount", "devstoreaccount1"},
                                                     {"storageAccountKeyEnvVar", "AZURE_STORAGE_ACCOUNT_ACCESS_KEY"},
                                                     {"storageAccountURI", "http://127.0.0.1:10000/devstoreaccount1/"},
                                                     {"resourceGroup", "rg"},
                                                     {"subscriptionId", "sub"},
                                                     {"activeDirectoryAuthorityURI", "https://login.microsoftonline.us/"},
                                                     {"useAAD", "false"},
                                                     {"blockSizeInBytes", "4194304"},
                                                     {"bucket", "velero"},
                                                     {"prefix", "p"},
                                                     {"caCert", "-----BEGIN CERTIFICATE-----"}}));
  CHECK(c.container == "velero");
  CHECK(c.storage_account == "devstoreaccount1");
  CHECK(c.endpoint == "http://127.0.0.1:10000/devstoreaccount1");
  CHECK(c.key_env_var == "AZURE_STORAGE_ACCOUNT_ACCESS_KEY");
  CHECK(c.block_size == 4194304);
  CHECK(c.ca_cert == "-----BEGIN CERTIFICATE-----");
}

TEST_CASE("config: the default endpoint follows AZURE_CLOUD_NAME; a bare storageAccountURI host means https") {
  std::map<std::string, std::string> base{{"storageAccount", "acct"}, {"storageAccountKeyEnvVar", "K"}};
  CHECK(parse_azure_config(azure_location(base)).endpoint == "https://acct.blob.core.windows.net");
  CHECK(parse_azure_config(azure_location(base)).block_size == 4u << 20);  // ours (issue 17), not the plugin's 100 MiB
  {
    EnvVar cloud("AZURE_CLOUD_NAME", "AzureChinaCloud");
    CHECK(parse_azure_config(azure_location(base)).endpoint == "https://acct.blob.core.chinacloudapi.cn");
  }
  {
    EnvVar cloud("AZURE_CLOUD_NAME", "AzureStackCloud");
    ErrorCode code{};
    CHECK(error_of([&] { parse_azure_config(azure_location(base)); }, &code).find("AZURE_CLOUD_NAME") != std::string::npos);
    CHECK(code == ErrorCode::unsupported);
  }
  auto with_uri = base;
  with_uri["storageAccountURI"] = "acct.blob.core.windows.net";
  CHECK(parse_azure_config(azure_location(with_uri)).endpoint == "https://acct.blob.core.windows.net");
  with_uri["storageAccountURI"] = "ftp://acct";
  CHECK(error_of([&] { parse_azure_config(azure_location(with_uri)); }).find("is not an http(s) URL") != std::string::npos);
}

TEST_CASE("config: unknown keys are refused with Velero's message") {
  ErrorCode code{};
  std::string msg = error_of(
      [] {
        parse_azure_config(azure_location({{"storageAccount", "a"}, {"storageAccountKeyEnvVar", "K"}, {"region", "x"},
                                           {"insecureSkipTLSVerify", "true"}}));
      },
      &code);
  CHECK(code == ErrorCode::invalid);
  CHECK(msg.find("storage location azure://velero: config has invalid keys [insecureSkipTLSVerify region]; valid keys are "
                 "[resourceGroup storageAccount subscriptionId blockSizeInBytes storageAccountURI useAAD "
                 "activeDirectoryAuthorityURI storageAccountKeyEnvVar credentialsFile bucket prefix caCert]") !=
        std::string::npos);
}

TEST_CASE("config: missing or unsupported settings are named errors") {
  ErrorCode code{};
  CHECK(error_of([] { parse_azure_config(azure_location({{"storageAccountKeyEnvVar", "K"}})); }, &code)
            .ends_with("storageAccount not defined"));
  CHECK(code == ErrorCode::invalid);
  CHECK(error_of([] { parse_azure_config(azure_location({{"storageAccount", "a"}})); }, &code)
            .find("storageAccountKeyEnvVar is not set") != std::string::npos);
  CHECK(code == ErrorCode::unsupported);
  CHECK(error_of([] { parse_azure_config(azure_location({{"storageAccount", "a"}, {"storageAccountKeyEnvVar", "K"}, {"useAAD", "True"}})); },
                 &code)
            .find("useAAD=true") != std::string::npos);
  CHECK(code == ErrorCode::unsupported);
  for (const char* bad : {"0", "-1", "abc", "4194304000000", "4194304001"}) {
    CAPTURE(bad);
    CHECK(error_of([&] {
            parse_azure_config(azure_location({{"storageAccount", "a"}, {"storageAccountKeyEnvVar", "K"}, {"blockSizeInBytes", bad}}));
          }).find("blockSizeInBytes") != std::string::npos);
  }
  CHECK(parse_azure_config(azure_location({{"storageAccount", "a"}, {"storageAccountKeyEnvVar", "K"}, {"blockSizeInBytes", "4194304000"}}))
            .block_size == 4194304000u);
  for (const char* bad : {"Velero", "ab", "a--b", "-ab", "ab-", "a_b"}) {
    CAPTURE(bad);
    CHECK(error_of([&] { parse_azure_config(azure_location({{"storageAccount", "a"}, {"storageAccountKeyEnvVar", "K"}}, bad)); })
              .find("is not a valid container name") != std::string::npos);
  }
  CHECK(error_of([] { parse_azure_config(azure_location({{"storageAccount", "a"}, {"storageAccountKeyEnvVar", "K"}}, "velero/backups")); })
            .find("cannot contain '/'") != std::string::npos);
}

// --- The account key's sources ---------------------------------------------------------------------

TEST_CASE("credentials: the key comes from the named variable, the credentials file first") {
  AzureConfig c = parse_azure_config(azure_location({{"storageAccount", "devstoreaccount1"}, {"storageAccountKeyEnvVar", "VBK_TEST_AZURE_KEY"}}));
  {
    EnvVar key("VBK_TEST_AZURE_KEY", kDevKey);
    CHECK(read_account_key(c, "azure://velero") == dev_key_bytes());
    // godotenv.Overload: the file wins over the environment.
    TempFile file("# Velero's cloud credentials\nexport AZURE_SUBSCRIPTION_ID=sub\nVBK_TEST_AZURE_KEY=\"Zm9vYmFy\"\n");
    c.credentials_file = file.path.string();
    CHECK(read_account_key(c, "azure://velero") == "foobar");
  }
  TempFile file(std::string("VBK_TEST_AZURE_KEY=") + kDevKey + "\n");
  c.credentials_file = file.path.string();
  CHECK(read_account_key(c, "azure://velero") == dev_key_bytes());  // only in the file

  // Without credentialsFile in the config, $AZURE_CREDENTIALS_FILE names the file (as in the plugin).
  EnvVar env_file("AZURE_CREDENTIALS_FILE", file.path.string());
  AzureConfig from_env = parse_azure_config(
      azure_location({{"storageAccount", "devstoreaccount1"}, {"storageAccountKeyEnvVar", "VBK_TEST_AZURE_KEY"}}));
  CHECK(from_env.credentials_file == file.path.string());
  CHECK(read_account_key(from_env, "azure://velero") == dev_key_bytes());
  AzureConfig explicit_file = parse_azure_config(azure_location(
      {{"storageAccount", "devstoreaccount1"}, {"storageAccountKeyEnvVar", "VBK_TEST_AZURE_KEY"}, {"credentialsFile", "/x/cloud"}}));
  CHECK(explicit_file.credentials_file == "/x/cloud");
}

TEST_CASE("credentials: a missing or malformed key is named by its variable, never shown") {
  AzureConfig c = parse_azure_config(azure_location({{"storageAccount", "devstoreaccount1"}, {"storageAccountKeyEnvVar", "VBK_TEST_AZURE_KEY"}}));
  ::unsetenv("VBK_TEST_AZURE_KEY");
  CHECK(error_of([&] { read_account_key(c, "azure://velero"); }) ==
        "azure://velero: storageAccountKeyEnvVar names VBK_TEST_AZURE_KEY, which is not set (or empty) in the environment");
  {
    EnvVar key("VBK_TEST_AZURE_KEY", "not base64 but a s3cr3t");
    std::string msg = error_of([&] { read_account_key(c, "azure://velero"); });
    CHECK(msg == "azure://velero: the storage account key in VBK_TEST_AZURE_KEY is not valid base64");
    CHECK(msg.find("s3cr3t") == std::string::npos);
  }
  TempFile file("GOOD=1\nthis line holds s3cr3t without separator\n");
  c.credentials_file = file.path.string();
  std::string msg = error_of([&] { read_account_key(c, "azure://velero"); });
  CHECK(msg.find(": line 2: expected KEY=VALUE") != std::string::npos);
  CHECK(msg.find("s3cr3t") == std::string::npos);
  c.credentials_file = "/nonexistent/cloud";
  CHECK(error_of([&] { read_account_key(c, "azure://velero"); }).find("credentials file /nonexistent/cloud cannot be read") !=
        std::string::npos);
}

TEST_CASE("credentials: dotenv lines as godotenv reads them") {
  auto vars = parse_dotenv("A=1\n  export B = two words # comment\nC='lit #eral'\nD=\"x\\ny\"\nE: colon\n\n# c\nF=\n", "f");
  CHECK(vars["A"] == "1");
  CHECK(vars["B"] == "two words");
  CHECK(vars["C"] == "lit #eral");
  CHECK(vars["D"] == "x\ny");
  CHECK(vars["E"] == "colon");
  CHECK(vars["F"].empty());
}
