// SigV4 signing against the published vectors, S3 body checksums, and the S3 location config and
// credentials as Velero's AWS plugin reads them. No network.
#include "storage/s3/checksum.hpp"
#include "storage/s3/sigv4.hpp"
#include "test_helpers.hpp"
#include "vbackup/error.hpp"
#include "storage/s3/s3.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace vbackup;
using namespace vbackup::s3;

namespace {

// The AWS Signature Version 4 test suite (aws-sig-v4-test-suite): service "service" in us-east-1,
// at 2015-08-30T12:36:00Z, with the documentation's example key pair.
Scope suite_scope() {
  return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service", "20150830T123600Z"};
}
const std::string kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kSuiteCredential = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";

SigningRequest suite_request(std::string method) {
  SigningRequest r;
  r.method = std::move(method);
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_hash = kEmptyHash;
  return r;
}

// The S3 API reference's examples ("Signature Calculations for the Authorization Header",
// "Authenticating Requests: Using Query Parameters"): bucket examplebucket, 2013-05-24T00:00:00Z.
Scope s3_doc_scope() {
  return {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3", "20130524T000000Z"};
}

using testing::EnvVar;
using testing::error_of;

storage::Location s3_location(std::map<std::string, std::string> config, std::string bucket = "velero") {
  storage::Location loc;
  loc.provider = "aws";
  loc.bucket = std::move(bucket);
  loc.config = std::move(config);
  return loc;
}

}  // namespace

TEST_CASE("sigv4: get-vanilla (test suite): canonical request, string to sign and signature") {
  SigningRequest r = suite_request("GET");
  std::string signed_headers;
  std::string creq = canonical_request(r, &signed_headers);
  CHECK(creq == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + kEmptyHash);
  CHECK(signed_headers == "host;x-amz-date");
  CHECK(string_to_sign(suite_scope(), creq) ==
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  CHECK(authorization(r, suite_scope()) ==
        kSuiteCredential + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST_CASE("sigv4: post-vanilla (test suite)") {
  CHECK(authorization(suite_request("POST"), suite_scope()) ==
        kSuiteCredential + "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST_CASE("sigv4: get-vanilla-query-order-key-case (test suite): parameters sorted by name, case-sensitively") {
  SigningRequest r = suite_request("GET");
  r.query = {{"Param2", "value2"}, {"Param1", "value1"}};
  std::string creq = canonical_request(r);
  CHECK(creq.find("\nParam1=value1&Param2=value2\n") != std::string::npos);
  CHECK(sha256_hex(creq) == "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
  CHECK(authorization(r, suite_scope()) ==
        kSuiteCredential + "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST_CASE("sigv4: post-x-www-form-urlencoded (test suite): a body and a signed content-type") {
  SigningRequest r = suite_request("POST");
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  r.payload_hash = sha256_hex("Param1=value1");
  CHECK(r.payload_hash == "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  CHECK(string_to_sign(suite_scope(), canonical_request(r)).ends_with(
      "\n42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"));
  CHECK(authorization(r, suite_scope()) ==
        kSuiteCredential + "SignedHeaders=content-type;host;x-amz-date, "
                           "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST_CASE("sigv4: header names fold case, values are trimmed and inner spaces folded (test suite)") {
  SUBCASE("post-header-value-case: values keep their case") {
    SigningRequest r = suite_request("POST");
    r.headers.emplace_back("My-Header1", "VALUE1");
    CHECK(authorization(r, suite_scope()) ==
          kSuiteCredential + "SignedHeaders=host;my-header1;x-amz-date, "
                             "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d");
  }
  SUBCASE("get-header-value-trim") {
    SigningRequest r = suite_request("GET");
    r.headers.emplace_back("My-Header1", " value1");
    r.headers.emplace_back("My-Header2", "\"a   b   c\"");
    CHECK(canonical_request(r).find("my-header1:value1\nmy-header2:\"a b c\"\n") != std::string::npos);
    CHECK(authorization(r, suite_scope()) ==
          kSuiteCredential + "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
                             "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
  }
  SUBCASE("get-header-key-duplicate: repeated names join their values in order") {
    SigningRequest r = suite_request("GET");
    r.headers.emplace_back("My-Header1", "value2");
    r.headers.emplace_back("My-Header1", "value2");
    r.headers.emplace_back("My-Header1", "value1");
    CHECK(canonical_request(r).find("my-header1:value2,value2,value1\n") != std::string::npos);
    CHECK(authorization(r, suite_scope()) ==
          kSuiteCredential + "SignedHeaders=host;my-header1;x-amz-date, "
                             "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
  }
}

TEST_CASE("sigv4: S3 documentation examples (header signing, service s3)") {
  Scope scope = s3_doc_scope();
  SUBCASE("GET object with a Range") {
    SigningRequest r{"GET", "/test.txt", {}, {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"},
                                              {"x-amz-content-sha256", kEmptyHash}, {"x-amz-date", "20130524T000000Z"}},
                     kEmptyHash, {}};
    std::string creq = canonical_request(r);
    CHECK(creq == "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:" + kEmptyHash +
                      "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n" + kEmptyHash);
    CHECK(string_to_sign(scope, creq).ends_with("\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"));
    CHECK(authorization(r, scope).ends_with("Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
  }
  SUBCASE("PUT object: the key's '$' is encoded in the path, the body hash is signed") {
    std::string body = "Welcome to Amazon S3.";
    std::string hash = sha256_hex(body);
    CHECK(hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    SigningRequest r{"PUT", "/" + uri_encode("test$file.text", true), {},
                     {{"Host", "examplebucket.s3.amazonaws.com"}, {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                      {"x-amz-date", "20130524T000000Z"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                      {"x-amz-content-sha256", hash}},
                     hash, {}};
    CHECK(r.canonical_uri == "/test%24file.text");
    CHECK(string_to_sign(scope, canonical_request(r)).ends_with("\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"));
    CHECK(authorization(r, scope) ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
          "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  }
  SUBCASE("GET bucket lifecycle: a sub-resource without value signs as name=") {
    SigningRequest r{"GET", "/", {{"lifecycle", ""}}, {{"Host", "examplebucket.s3.amazonaws.com"},
                     {"x-amz-content-sha256", kEmptyHash}, {"x-amz-date", "20130524T000000Z"}}, kEmptyHash, {}};
    CHECK(canonical_request(r).starts_with("GET\n/\nlifecycle=\n"));
    CHECK(authorization(r, scope).ends_with("Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
  }
  SUBCASE("List objects: max-keys=2&prefix=J, sent in any order") {
    SigningRequest r{"GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {{"Host", "examplebucket.s3.amazonaws.com"},
                     {"x-amz-content-sha256", kEmptyHash}, {"x-amz-date", "20130524T000000Z"}}, kEmptyHash, {}};
    CHECK(authorization(r, scope).ends_with("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
  }
}

TEST_CASE("sigv4: presigned URL of the S3 documentation (GET test.txt for 86400 s)") {
  SigningRequest r;
  r.method = "GET";
  r.canonical_uri = "/test.txt";
  r.headers = {{"host", "examplebucket.s3.amazonaws.com"}};
  std::string q = presign_query(r, s3_doc_scope(), std::chrono::seconds(86400));
  CHECK(q ==
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  // The documented string to sign, whose last line is the canonical request's hash.
  SigningRequest c = r;
  c.query = {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
             {"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"},
             {"X-Amz-Date", "20130524T000000Z"}, {"X-Amz-Expires", "86400"}, {"X-Amz-SignedHeaders", "host"}};
  c.payload_hash = "UNSIGNED-PAYLOAD";
  CHECK(sha256_hex(canonical_request(c)) == "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
}

TEST_CASE("sigv4: a session token is signed into a presigned URL as X-Amz-Security-Token") {
  SigningRequest r;
  r.method = "GET";
  r.canonical_uri = "/k";
  r.headers = {{"host", "h"}};
  std::string with = presign_query(r, s3_doc_scope(), std::chrono::seconds(600), "tok/en+=");
  std::string without = presign_query(r, s3_doc_scope(), std::chrono::seconds(600));
  CHECK(with.find("&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-SignedHeaders=host&") != std::string::npos);
  CHECK(with.find("X-Amz-Expires=600") != std::string::npos);
  CHECK(with.substr(with.rfind('=')) != without.substr(without.rfind('=')));
}

TEST_CASE("sigv4: UriEncode keeps only unreserved characters; '/' only in paths") {
  CHECK(uri_encode("a-b_c.d~e", false) == "a-b_c.d~e");
  CHECK(uri_encode("a b+c=d", false) == "a%20b%2Bc%3Dd");
  CHECK(uri_encode("backups/b1/", false) == "backups%2Fb1%2F");
  CHECK(uri_encode("backups/b 1/é", true) == "backups/b%201/%C3%A9");
  CHECK(uri_encode("!'()*", true) == "%21%27%28%29%2A");
  CHECK(uri_decode("a%2Fb%2fc+d%") == "a/b/c+d%");
  // The moto pitfall (test-infrastructure.md §3): '/' may travel raw in the URL, but the
  // canonical query string always encodes it.
  CHECK(canonical_query_string({{"prefix", "team-a/"}, {"delimiter", "/"}, {"list-type", "2"}}) ==
        "delimiter=%2F&list-type=2&prefix=team-a%2F");
  CHECK(canonical_query_string({{"uploads", ""}}) == "uploads=");
  // moto's way, used only after moto refused the AWS way: the query as sent, sorted.
  CHECK(raw_canonical_query_string("prefix=team-a/&list-type=2&delimiter=/&uploads") ==
        "delimiter=/&list-type=2&prefix=team-a/&uploads=");
}

TEST_CASE("sigv4: amz_date is UTC in the compact form") {
  CHECK(amz_date(std::chrono::system_clock::time_point(std::chrono::seconds(1369353600))) == "20130524T000000Z");
  CHECK(amz_date(std::chrono::system_clock::time_point(std::chrono::seconds(1440938160))) == "20150830T123600Z");
}

TEST_CASE("checksums: S3's x-amz-checksum-* values are base64 of the big-endian digest (check value of \"123456789\")") {
  CHECK(checksum_base64("CRC32", "123456789") == "y/Q5Jg==");        // 0xCBF43926
  CHECK(checksum_base64("CRC32C", "123456789") == "4waSgw==");       // 0xE3069283
  CHECK(checksum_base64("CRC64NVME", "123456789") == "rosUhgp5mIg=");  // 0xAE8B14860A799888
  CHECK(checksum_base64("SHA1", "123456789") == "98O8HYCOBHMq32eZZczDTKeuNEE=");
  CHECK(checksum_base64("SHA256", "123456789") == "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=");
  CHECK(content_md5("123456789") == "JfnnlDI7RTiF9RgfG2JNCw==");
  CHECK(checksum_header("CRC32C") == "x-amz-checksum-crc32c");
  CHECK(checksum_element("CRC64NVME") == "ChecksumCRC64NVME");
  CHECK_FALSE(known_checksum_algorithm("MD5"));
}

TEST_CASE("config: Velero AWS plugin keys are read with their names and Go's ParseBool") {
  Config c = config_from_location(s3_location({{"region", "minio"}, {"s3Url", "http://127.0.0.1:9000"},
                                               {"s3ForcePathStyle", "True"}, {"insecureSkipTLSVerify", "1"},
                                               {"publicUrl", "https://s3.example.com"}, {"profile", "backup"},
                                               {"credentialsFile", "/creds"}, {"serverSideEncryption", "AES256"},
                                               {"tagging", "a=b&c="}, {"bucket", "velero"}, {"prefix", "p"}}));
  CHECK(c.bucket == "velero");
  CHECK(c.region == "minio");
  CHECK(c.endpoint == "http://127.0.0.1:9000");
  CHECK(c.public_url == "https://s3.example.com");
  CHECK(c.force_path_style);
  CHECK(c.insecure_skip_tls_verify);
  CHECK(c.profile == "backup");
  CHECK(c.credentials_file == "/creds");
  CHECK(c.server_side_encryption == "AES256");
  CHECK(c.checksum_algorithm == "CRC32");  // absent key: the plugin's default
  CHECK(c.part_size == 5u << 20);  // ours (issue 17): 5 MiB parts, 2 in memory
  CHECK(c.upload_parallelism == 2);
}

TEST_CASE("config: checksumAlgorithm present but empty disables checksums (velero#7534); unknown is refused") {
  CHECK(config_from_location(s3_location({{"checksumAlgorithm", ""}})).checksum_algorithm.empty());
  CHECK(config_from_location(s3_location({{"checksumAlgorithm", "SHA256"}})).checksum_algorithm == "SHA256");
  CHECK(error_of([] { config_from_location(s3_location({{"checksumAlgorithm", "MD5"}})); })
            .ends_with(": invalid checksum algorithm: MD5"));
}

TEST_CASE("config: unknown keys are refused as the plugin refuses them") {
  ErrorCode code{};
  std::string msg = error_of([] { config_from_location(s3_location({{"regoin", "x"}, {"zone", "y"}})); }, &code);
  CHECK(code == ErrorCode::invalid);
  CHECK(msg.find("config has invalid keys [regoin zone]; valid keys are [region s3Url publicUrl kmsKeyId "
                 "customerKeyEncryptionFile customerKeyEncryptionSecret s3ForcePathStyle signatureVersion "
                 "credentialsFile profile serverSideEncryption insecureSkipTLSVerify enableSharedConfig tagging "
                 "checksumAlgorithm bucket prefix caCert]") != std::string::npos);
}

TEST_CASE("config: bad values are named errors") {
  CHECK(error_of([] { config_from_location(s3_location({{"s3ForcePathStyle", "yes"}})); })
            .find("could not parse s3ForcePathStyle (expected bool)") != std::string::npos);
  CHECK(error_of([] { config_from_location(s3_location({{"s3Url", "minio:9000"}})); })
            .find("s3Url \"minio:9000\" must start with http:// or https://") != std::string::npos);
  CHECK(error_of([] { config_from_location(s3_location({{"kmsKeyId", "k"}, {"customerKeyEncryptionFile", "f"}})); })
            .find("you can only use one of: kmsKeyId, customerKeyEncryptionFile, or customerKeyEncryptionSecret") !=
        std::string::npos);
  ErrorCode code{};
  error_of([] { config_from_location(s3_location({{"customerKeyEncryptionSecret", "s/k"}})); }, &code);
  CHECK(code == ErrorCode::unsupported);
  error_of([] { config_from_location(s3_location({{"signatureVersion", "1"}})); }, &code);
  CHECK(code == ErrorCode::unsupported);
  CHECK(error_of([] { config_from_location(s3_location({{"tagging", "=x"}})); }).find("tagging") != std::string::npos);
}

TEST_CASE("config: a bucket containing '/' is refused (spec §2.1)") {
  ErrorCode code{};
  std::string msg = error_of([] { config_from_location(s3_location({}, "velero/backups")); }, &code);
  CHECK(code == ErrorCode::invalid);
  CHECK(msg.find("velero/backups") != std::string::npos);
}

TEST_CASE("credentials: profiles of a shared credentials or config file") {
  std::string text =
      "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key=secret1\n\n"
      "[profile backup]\r\naws_access_key_id=AKIDBACKUP\r\naws_secret_access_key = secret2 \r\n"
      "aws_session_token=tok\r\nregion = eu-west-3\r\ns3 =\r\n  max_concurrent_requests = 4\r\n"
      "[other]\naws_access_key_id=AKIDOTHER\n";
  Credentials d = credentials_from_file_text(text, "default", "/creds");
  CHECK(d.access_key_id == "AKIDDEFAULT");
  CHECK(d.secret_access_key == "secret1");
  CHECK(d.session_token.empty());
  CHECK(d.source == "profile \"default\" in /creds");
  Credentials b = credentials_from_file_text(text, "backup", "/creds");
  CHECK(b.access_key_id == "AKIDBACKUP");
  CHECK(b.secret_access_key == "secret2");
  CHECK(b.session_token == "tok");
  CHECK(b.region == "eu-west-3");
  std::string missing = error_of([&] { credentials_from_file_text(text, "nope", "/creds"); });
  CHECK(missing == "/creds: no profile \"nope\"");
  std::string incomplete = error_of([&] { credentials_from_file_text(text, "other", "/creds"); });
  CHECK(incomplete == "/creds: profile \"other\" has no aws_access_key_id and aws_secret_access_key");
}

TEST_CASE("credentials: an explicit profile reads the file; otherwise the environment wins, as in the AWS SDK") {
  testing::TempDir dir("sigv4");
  auto file = dir.write("credentials", "[default]\naws_access_key_id=AKIDFILE\naws_secret_access_key=filesecret\n"
                                       "[backup]\naws_access_key_id=AKIDBACKUP\naws_secret_access_key=backupsecret\n");
  EnvVar env;
  env.set("AWS_PROFILE", std::nullopt);
  env.set("AWS_SHARED_CREDENTIALS_FILE", std::nullopt);
  env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env.set("AWS_SECRET_ACCESS_KEY", "envsecret");
  env.set("AWS_SESSION_TOKEN", "envtoken");
  Config cfg;
  cfg.credentials_file = file.string();
  Credentials c = resolve_credentials(cfg);
  CHECK(c.access_key_id == "AKIDENV");
  CHECK(c.session_token == "envtoken");
  CHECK(c.source == "environment (AWS_ACCESS_KEY_ID)");
  cfg.profile = "backup";
  c = resolve_credentials(cfg);
  CHECK(c.access_key_id == "AKIDBACKUP");
  CHECK(c.session_token.empty());
  cfg.profile.clear();
  env.set("AWS_PROFILE", "default");
  CHECK(resolve_credentials(cfg).access_key_id == "AKIDFILE");
  env.set("AWS_PROFILE", std::nullopt);
  env.set("AWS_ACCESS_KEY_ID", std::nullopt);
  CHECK(resolve_credentials(cfg).access_key_id == "AKIDFILE");
  env.set("AWS_SHARED_CREDENTIALS_FILE", file.string());
  CHECK(resolve_credentials(Config{}).access_key_id == "AKIDFILE");
  // No environment keys and no file: a named error that never shows a secret.
  cfg.credentials_file = (dir / "absent").string();
  std::string msg = error_of([&] { resolve_credentials(cfg); });
  CHECK(msg.find("no credentials file at " + (dir / "absent").string()) != std::string::npos);
}

TEST_CASE("addressing: virtual-hosted by default; path-style when forced, for IP hosts and non-DNS bucket names") {
  // signed_url needs no network: it shows the URL every request of the store is built on.
  auto url_of = [](Config c) {
    c.region = c.region.empty() ? "eu-west-3" : c.region;
    return open_s3_store(c, Credentials{"AKIDEXAMPLE", "secret", "", "", "test"})->signed_url("backups/b 1/x.gz", std::chrono::seconds(600));
  };
  Config aws;
  aws.bucket = "velero-backups";
  CHECK(url_of(aws).starts_with("https://velero-backups.s3.eu-west-3.amazonaws.com/backups/b%201/x.gz?X-Amz-Algorithm="));
  CHECK(url_of(aws).find("X-Amz-Credential=AKIDEXAMPLE%2F") != std::string::npos);
  CHECK(url_of(aws).find("%2Feu-west-3%2Fs3%2Faws4_request") != std::string::npos);
  Config forced = aws;
  forced.force_path_style = true;
  CHECK(url_of(forced).starts_with("https://s3.eu-west-3.amazonaws.com/velero-backups/backups/b%201/x.gz?"));
  Config dotted = aws;
  dotted.bucket = "velero.backups";  // dots break the TLS wildcard certificate of a virtual host
  CHECK(url_of(dotted).starts_with("https://s3.eu-west-3.amazonaws.com/velero.backups/backups/"));
  Config minio = aws;
  minio.endpoint = "http://minio.velero.svc:9000";
  CHECK(url_of(minio).starts_with("http://velero-backups.minio.velero.svc:9000/backups/"));
  minio.force_path_style = true;
  CHECK(url_of(minio).starts_with("http://minio.velero.svc:9000/velero-backups/backups/"));
  Config ip = aws;
  ip.endpoint = "http://10.0.0.5:9000/";
  CHECK(url_of(ip).starts_with("http://10.0.0.5:9000/velero-backups/backups/"));
  Config based = aws;
  based.endpoint = "https://gateway.example/s3/";
  based.force_path_style = true;
  CHECK(url_of(based).starts_with("https://gateway.example/s3/velero-backups/backups/"));
  Config cn = aws;
  cn.region = "cn-north-1";
  CHECK(url_of(cn).starts_with("https://velero-backups.s3.cn-north-1.amazonaws.com.cn/"));
  Config pub = minio;
  pub.public_url = "https://backups.example.com";
  CHECK(url_of(pub).starts_with("https://backups.example.com/velero-backups/backups/"));
  aws.region = "us-east-1";
  CHECK(error_of([&] { open_s3_store(aws, Credentials{"A", "s", "", "", "t"})->signed_url("k", std::chrono::hours(24 * 8)); })
            .find("between 1 s and 7 days") != std::string::npos);
}
